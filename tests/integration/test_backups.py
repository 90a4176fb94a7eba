"""Backups (backups/): written while movements are being recorded, restored into an empty database with every
committed line, its chain and the seal intact; a non-empty database refused; a tampered backup caught by
verify. On SQLite and PostgreSQL (a scratch database on the test server for the restores)."""
import io
import json
import sqlite3
import tarfile
import threading
from pathlib import Path

import sqlalchemy as sa

from backups import archive
from common.actor import AUDITOR, Actor
from inventory import integrity, ledger_keys, services
from tests.integration.helpers import NOW, ctx, new_lot, snapshot


def lines(url: str) -> dict[int, tuple]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as c:
            return {r.id: (r.lot_id, r.quantity, r.hash, r.prev_hash) for r in c.execute(sa.text(
                "select id, lot_id, quantity, hash, prev_hash from movement"))}
    finally:
        engine.dispose()


def test_a_backup_taken_while_movements_are_recorded_restores_every_committed_line_with_its_chain(
        engine, county, db_url, tmp_path):
    lot = new_lot(engine, county.admin, depot="T1", quantity=100_000)
    stop, started = threading.Event(), threading.Event()
    recorded, failures = [], []

    def keeper_at_work():
        try:
            while not stop.is_set():
                services.issue(engine, ctx(county.keeper), lot=lot, quantity=1)
                recorded.append(1)
                started.set()
        except Exception as e:  # noqa: BLE001 — reported by the test below
            failures.append(e)
            started.set()

    worker = threading.Thread(target=keeper_at_work)
    worker.start()
    try:
        assert started.wait(60)
        committed_before = set(lines(db_url))
        manifest = archive.backup(engine, db_url, tmp_path / "b.tar.gz", NOW)
        during = len(recorded)
    finally:
        stop.set()
        worker.join()
    assert not failures and during >= 1
    with archive.scratch(manifest, db_url) as empty:
        assert archive.restore(tmp_path / "b.tar.gz", empty)["ledger"] == manifest["ledger"]
        restored, source = lines(empty), lines(db_url)
        assert committed_before <= set(restored)  # every line committed before the backup began
        assert all(source[i] == line for i, line in restored.items())  # each as it was written
        assert set(restored) == {i for i in source if i <= max(restored)} or db_url.startswith("postgresql")
        copy = sa.create_engine(empty)
        try:
            ledger_keys.attach(copy, ledger_keys.of(engine))
            checked = integrity.verify(copy, Actor(user_id=0, username="t", role=AUDITOR))
            with copy.connect() as c:
                counts = archive.describe(c)["row_counts"]
        finally:
            copy.dispose()
    assert checked["ok"] and checked["lines_checked"] == len(restored) == manifest["ledger"]["lines"]
    assert checked["seal"]["text"] == manifest["ledger"]["seal"]
    assert counts == manifest["row_counts"] and manifest["row_counts"]["movement"] == len(restored)


def test_restore_refuses_a_database_that_is_not_empty_and_changes_nothing(runner, engine, county, tmp_path):
    new_lot(engine, county.admin, quantity=5)
    assert runner.invoke(args=["backup", str(tmp_path / "b.tar.gz")]).exit_code == 0
    before = snapshot(engine)
    r = runner.invoke(args=["restore", str(tmp_path / "b.tar.gz")])
    assert r.exit_code == 2 and "is not empty" in r.output and "new, empty database" in r.output
    assert snapshot(engine) == before


def _repack(path: Path, manifest: dict, member: Path) -> None:
    with tarfile.open(path, "w:gz") as tar:
        data = json.dumps(manifest).encode()
        info = tarfile.TarInfo(archive.MANIFEST)
        info.size = len(data)
        tar.addfile(info, io.BytesIO(data))
        tar.add(member, arcname=member.name)


def _tampered_line(path: Path, db_url: str, out: Path, work: Path) -> None:
    """The backup with one ledger line's quantity changed in its database, its checksum made to match."""
    with archive.opened(path) as (manifest, member):
        if manifest["database"] == "sqlite":
            c = sqlite3.connect(member)
            c.execute("update movement set quantity = quantity + 1 where id = (select max(id) from movement)")
            c.commit()
            c.close()
            changed = work / member.name
            changed.write_bytes(member.read_bytes())
        else:
            with archive.scratch(manifest, db_url) as scratch_url:
                archive.restore(path, scratch_url)
                e = sa.create_engine(scratch_url)
                with e.begin() as c:
                    c.execute(sa.text("update movement set quantity = quantity + 1 "
                                      "where id = (select max(id) from movement)"))
                e.dispose()
                changed = work / member.name
                target = archive.PgTarget.of(scratch_url)
                archive._run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={changed}",
                              *([f"--schema={target.schema}"] if target.schema else [])], target.env, "pg_dump")
    _repack(out, {**manifest, "sha256": archive._sha256(changed)}, changed)


def test_verify_passes_a_good_backup_and_catches_a_tampered_line_or_manifest(runner, engine, county, db_url,
                                                                           tmp_path):
    code = new_lot(engine, county.admin, quantity=50)
    services.issue(engine, ctx(county.keeper), lot=code, quantity=3)
    good = tmp_path / "good.tar.gz"
    assert runner.invoke(args=["backup", str(good)]).exit_code == 0
    r = runner.invoke(args=["backup", "verify", str(good)])
    assert r.exit_code == 0 and r.output.startswith("OK:"), r.output

    line = tmp_path / "line.tar.gz"
    _tampered_line(good, db_url, line, tmp_path)
    r = runner.invoke(args=["backup", "verify", str(line)])
    assert r.exit_code == 1 and "hash chain breaks" in r.output and "DOES NOT VERIFY" in r.output, r.output

    with archive.opened(good) as (manifest, member):
        counts = {**manifest["row_counts"], "lot": manifest["row_counts"]["lot"] + 1}
        _repack(tmp_path / "counts.tar.gz", {**manifest, "row_counts": counts}, member)
        _repack(tmp_path / "bytes.tar.gz", {**manifest, "sha256": "0" * 64}, member)
    r = runner.invoke(args=["backup", "verify", str(tmp_path / "counts.tar.gz")])
    assert r.exit_code == 1 and "table lot:" in r.output, r.output
    r = runner.invoke(args=["backup", "verify", str(tmp_path / "bytes.tar.gz")])
    assert r.exit_code == 1 and "checksum" in r.output, r.output
    (tmp_path / "not.tar.gz").write_bytes(b"not a backup")
    r = runner.invoke(args=["backup", "verify", str(tmp_path / "not.tar.gz")])
    assert r.exit_code == 1 and "cannot be read as a backup" in r.output
