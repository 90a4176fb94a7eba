"""Writing, restoring and verifying a backup file (see the package docstring). Plain functions taking an
engine or a database URL; the CLI (backups/cli.py) is a thin edge over them."""
import contextlib
import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import sqlalchemy as sa

FORMAT = "reliefdepot-backup/1"
MANIFEST = "manifest.json"
SQLITE_MEMBER, PG_MEMBER = "database.sqlite3", "database.pgdump"


class BackupError(Exception):
    """A backup that cannot be written, read or restored; the message says why and what to do."""


class NotEmpty(BackupError):
    """The database to restore into already holds tables."""


# ---------------------------------------------------------------- facts about a database


def _tables(conn, schema: str | None = None) -> list[str]:
    return sorted(sa.inspect(conn).get_table_names(schema=schema))


def describe(conn) -> dict:
    """What the manifest says of the database behind ``conn`` (read in ``conn``'s transaction): the
    migration head, each table's row count, the ledger's last line, its hash and the seal over every line."""
    from inventory.chain import Seal

    tables = _tables(conn)
    counts = {t: conn.execute(sa.text(f'SELECT count(*) FROM "{t}"')).scalar_one() for t in tables}
    head = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all() \
        if "alembic_version" in tables else []
    seal, last_hash = Seal(), None
    if "movement" in tables:
        rows = conn.execution_options(stream_results=True, yield_per=5000).execute(
            sa.text("SELECT id, hash FROM movement ORDER BY id"))
        for movement_id, line_hash in rows:
            seal.add(movement_id, line_hash)
            last_hash = line_hash
    keys = conn.execute(sa.text("SELECT key_id, fingerprint FROM ledger_key ORDER BY id")).all() \
        if "ledger_key" in tables else []
    return {"migration_head": head, "row_counts": counts,
            "ledger": {"lines": seal.count, "last_line": seal.upto, "last_hash": last_hash, "seal": seal.text()},
            "ledger_keys": [{"key_id": k, "fingerprint": f} for k, f in keys]}


# ---------------------------------------------------------------- PostgreSQL tools


@dataclass(frozen=True)
class PgTarget:
    """A PostgreSQL database as the command-line tools reach it: libpq environment, and the schema the
    application uses (from ``options=-csearch_path=…`` in the URL; None: the default, public)."""

    env: dict
    schema: str | None
    database: str

    @staticmethod
    def of(url: str) -> "PgTarget":
        u = sa.engine.make_url(url)
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env.update({"PGHOST": u.host or "localhost", "PGPORT": str(u.port or 5432), "PGDATABASE": u.database or "",
                    "PGUSER": u.username or os.environ.get("PGUSER", "postgres")})
        if u.password:
            env["PGPASSWORD"] = u.password  # not on the command line, where `ps` shows it
        options = u.query.get("options")
        if isinstance(options, tuple):
            options = " ".join(options)
        schema = None
        if options:
            env["PGOPTIONS"] = options
            found = re.search(r"search_path=([A-Za-z0-9_]+)", options)
            schema = found.group(1) if found else None
        return PgTarget(env, schema if schema and schema != "public" else None, u.database or "")


def _run(args: list[str], env: dict, what: str) -> None:
    if shutil.which(args[0]) is None:
        raise BackupError(f"{args[0]} is missing: install the PostgreSQL client (Debian: postgresql-client), "
                          "the same major version as the server")
    done = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{what} failed ({args[0]} exit {done.returncode}): {done.stderr.strip()[:2000]}")


def _tool_major(tool: str) -> int:
    if shutil.which(tool) is None:
        raise BackupError(f"{tool} is missing: install the PostgreSQL client (Debian: postgresql-client)")
    out = subprocess.run([tool, "--version"], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"\(PostgreSQL\)\s*(\d+)", out).group(1))  # pg_dump (PostgreSQL) 15.20 (Debian …)


# ---------------------------------------------------------------- backup


def backup(engine, url: str, path: Path, now: datetime) -> dict:
    """Writes a backup of the database at ``url`` (served by ``engine``) to ``path``; returns its manifest.
    Safe while the system is in use: the copy and the manifest are of one moment."""
    path = Path(path)
    with tempfile.TemporaryDirectory(prefix="reliefdepot-backup-") as tmp:
        if engine.dialect.name == "sqlite":
            member, manifest = _backup_sqlite(sa.engine.make_url(url).database, Path(tmp))
        elif engine.dialect.name == "postgresql":
            member, manifest = _backup_postgres(engine, url, Path(tmp))
        else:
            raise BackupError(f"backups of {engine.dialect.name} are not supported")
        if not manifest["migration_head"]:
            raise BackupError("the database has no schema (run `flask --app app db upgrade`): nothing to back up")
        manifest = {"format": FORMAT, "created_at": now.isoformat(), "database": engine.dialect.name,
                    "member": member.name, "sha256": _sha256(member), "size": member.stat().st_size, **manifest}
        partial = path.with_name(path.name + ".partial")
        with tarfile.open(partial, "w:gz") as tar:
            _add_bytes(tar, MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2).encode())
            tar.add(member, arcname=member.name)
        os.replace(partial, path)  # a file named as asked is always a whole backup
    return manifest


def _backup_sqlite(db_path: str, tmp: Path) -> tuple[Path, dict]:
    copy = tmp / SQLITE_MEMBER
    source = sqlite3.connect(db_path, timeout=30)  # reads only; a read-only open of a WAL file needs its -shm
    target = sqlite3.connect(copy)
    try:
        source.backup(target)  # every page in one step, under one read transaction: a consistent copy
    finally:
        source.close()
        target.close()
    _checkpointed(copy)
    facts = _describe_sqlite(copy)
    return copy, facts


def _checkpointed(path: Path) -> None:
    """The copy as one self-contained file (no -wal beside it), in rollback-journal mode."""
    c = sqlite3.connect(path)
    try:
        c.execute("PRAGMA journal_mode=DELETE")
    finally:
        c.close()


def _describe_sqlite(path: Path) -> dict:
    engine = sa.create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as c:
            return describe(c)
    finally:
        engine.dispose()


def _backup_postgres(engine, url: str, tmp: Path) -> tuple[Path, dict]:
    target = PgTarget.of(url)
    dump = tmp / PG_MEMBER
    with engine.connect() as c:
        c = c.execution_options(isolation_level="REPEATABLE READ")
        with c.begin():
            server = c.execute(sa.text("SHOW server_version_num")).scalar_one()
            major = int(server) // 10000
            if _tool_major("pg_dump") < major:
                raise BackupError(f"pg_dump is older than the server (PostgreSQL {major}): install "
                                  f"postgresql-client-{major}")
            snapshot = c.execute(sa.text("SELECT pg_export_snapshot()")).scalar_one()
            facts = describe(c)  # the same snapshot the dump reads
            args = ["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--snapshot={snapshot}",
                    f"--file={dump}"]
            if target.schema:
                args.append(f"--schema={target.schema}")
            _run(args, target.env, "pg_dump")
    facts["postgresql"] = {"server_major": major, "schema": target.schema}
    return dump, facts


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o600
    tar.addfile(info, io.BytesIO(data))


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# ---------------------------------------------------------------- reading a backup


@contextlib.contextmanager
def opened(path: Path):
    """(manifest, path of the database member) of a backup file, unpacked into a temporary folder."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"{path}: no such file")
    with tempfile.TemporaryDirectory(prefix="reliefdepot-restore-") as tmp:
        try:
            with tarfile.open(path, "r:gz") as tar:
                names = tar.getnames()
                if MANIFEST not in names:
                    raise BackupError(f"{path} is not a ReliefDepot backup (no {MANIFEST} inside)")
                manifest = json.loads(tar.extractfile(MANIFEST).read())
                member = manifest.get("member")
                if manifest.get("format") != FORMAT or member not in (SQLITE_MEMBER, PG_MEMBER) or member not in names:
                    raise BackupError(f"{path}: a backup of another format ({manifest.get('format')!r}) "
                                      "or without its database")
                tar.extract(member, tmp, filter="data")
        except (tarfile.TarError, OSError, json.JSONDecodeError, EOFError) as e:
            raise BackupError(f"{path} cannot be read as a backup: {e}") from None
        yield manifest, Path(tmp) / member


# ---------------------------------------------------------------- restore


def restore(path: Path, url: str) -> dict:
    """Restores the backup into the EMPTY database at ``url`` (no tables); raises NotEmpty otherwise.
    Returns the manifest."""
    with opened(path) as (manifest, member):
        if _sha256(member) != manifest["sha256"]:
            raise BackupError(f"{path}: the database inside does not match the checksum in its manifest "
                              "(the file is damaged or was altered)")
        _restore_member(manifest, member, url)
    return manifest


def _restore_member(manifest: dict, member: Path, url: str) -> None:
    kind = sa.engine.make_url(url).get_backend_name()
    if kind != manifest["database"]:
        raise BackupError(f"this is a backup of {manifest['database']}; DATABASE_URL points at {kind}: restore "
                          f"into a {manifest['database']} database")
    if kind == "sqlite":
        _restore_sqlite(member, sa.engine.make_url(url).database)
    else:
        _restore_postgres(member, url, (manifest.get("postgresql") or {}).get("schema"))


def _refuse_non_empty(tables: list[str], where: str) -> None:
    if tables:
        raise NotEmpty(f"{where} is not empty ({len(tables)} tables, e.g. {', '.join(tables[:3])}): a backup is "
                       "restored only into a new, empty database — create one (a new file, or `createdb`) and "
                       "point DATABASE_URL at it, without running `db upgrade` first")


def _restore_sqlite(member: Path, db_path: str) -> None:
    target = sqlite3.connect(db_path, timeout=30)
    try:
        tables = [r[0] for r in target.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        _refuse_non_empty(tables, f"the database {db_path}")
        source = sqlite3.connect(f"file:{member}?mode=ro", uri=True)
        try:
            source.backup(target)
        finally:
            source.close()
        target.execute("PRAGMA journal_mode=WAL")
    finally:
        target.close()


def _restore_postgres(member: Path, url: str, schema: str | None) -> None:
    target = PgTarget.of(url)
    engine = sa.create_engine(url)
    try:
        with engine.connect() as c:
            tables = _tables(c, schema) if schema is None or c.execute(sa.text(
                "SELECT count(*) FROM pg_namespace WHERE nspname = :s"), {"s": schema}).scalar_one() else []
    finally:
        engine.dispose()
    _refuse_non_empty(tables, f"the database {target.database}" + (f" (schema {schema})" if schema else ""))
    _run(["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction",
          f"--dbname={target.database}", str(member)], target.env, "pg_restore")


# ---------------------------------------------------------------- verify


def verify(path: Path, url: str, keyring) -> dict:
    """Restores the backup into a scratch database (a temporary SQLite file, or a PostgreSQL database made
    on the server of ``url`` and dropped after) and checks its checksum, every hash chain and archived
    seal (``inventory.integrity.verify`` with ``keyring``), the seal and the row counts against the
    manifest. Returns {"ok", "problems": [...], "manifest", "lines_checked"}."""
    from inventory import integrity, ledger_keys
    from common.actor import AUDITOR, Actor

    with opened(path) as (manifest, member):
        problems = []
        if _sha256(member) != manifest["sha256"]:
            problems.append("the database inside does not match the checksum in its manifest")
        with scratch(manifest, url) as scratch_url:
            _restore_member(manifest, member, scratch_url)
            engine = sa.create_engine(scratch_url)
            try:
                with engine.connect() as c:
                    found = describe(c)
                ledger_keys.attach(engine, keyring)
                checked = integrity.verify(engine, Actor(user_id=0, username="backup verify", role=AUDITOR))
            finally:
                engine.dispose()
    for table, count in manifest["row_counts"].items():
        if found["row_counts"].get(table) != count:
            problems.append(f"table {table}: {found['row_counts'].get(table)} rows, the manifest says {count}")
    for table in set(found["row_counts"]) - set(manifest["row_counts"]):
        problems.append(f"table {table} is in the backup but not in its manifest")
    for name in ("seal", "last_line", "last_hash", "lines"):
        if found["ledger"][name] != manifest["ledger"][name]:
            problems.append(f"the ledger's {name.replace('_', ' ')} is {found['ledger'][name]}, the manifest says "
                            f"{manifest['ledger'][name]}")
    if checked["first_mismatch"]:
        first = checked["first_mismatch"]
        problems.append(f"the hash chain breaks at line {first['movement_id']} (lot {first['lot']}): "
                        f"{first['problem']} ({checked['mismatch_count']} mismatches in all)")
    problems += [f"archived seal #{s['id']}: {s['problem']}" for s in checked["archived_seal_problems"]]
    problems += [f"ledger key {k['key_id']}: {k['problem']}" for k in checked["key_problems"]]
    return {"ok": not problems, "problems": problems, "manifest": manifest, "lines_checked": checked["lines_checked"]}


@contextlib.contextmanager
def scratch(manifest: dict, url: str):
    """The URL of a scratch database for ``manifest``'s kind: a temporary SQLite file, or a PostgreSQL database
    made on the server of ``url`` (and its schema, if the backup names one), dropped on the way out."""
    if manifest["database"] == "sqlite":
        with tempfile.TemporaryDirectory(prefix="reliefdepot-verify-") as tmp:
            yield f"sqlite:///{Path(tmp) / 'scratch.db'}"
        return
    if sa.engine.make_url(url).get_backend_name() != "postgresql":
        raise BackupError("this is a backup of PostgreSQL: run verify with DATABASE_URL pointing at a PostgreSQL "
                          "server (a scratch database is made there and dropped)")
    name = f"reliefdepot_verify_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(sa.engine.make_url(url).set(query={}), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as c:
            c.execute(sa.text(f'CREATE DATABASE "{name}"'))
        schema = (manifest.get("postgresql") or {}).get("schema")
        scratch = sa.engine.make_url(url).set(database=name, query={"options": f"-csearch_path={schema}"}
                                             if schema else {})
        try:
            yield scratch.render_as_string(hide_password=False)
        finally:
            with admin.connect() as c:
                c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()
