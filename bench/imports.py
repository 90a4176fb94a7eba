"""Importing a 100,000-row stock register (物资储备台账) through ``registers.importing``, against inserting the
same rows directly, with peak memory (issue #12).

On SQLite (a temporary file) migrated to head, a county is written through the catalog: the county depot, 20
town stations, 300 village points, 60 items and an administrator. The register is generated as offices write
one: N rows (100,000; BENCH_SCALE scales it) of 物资名称, 计量单位, 数量, 存放地点, 有效期至 and 批号 — items
and depots named by name, not code, expiry dates in mixed styles — as a UTF-8 CSV and as an XLSX workbook.
Each round starts from a fresh copy of the county's database file, and the variants take turns (the order
rotated every round):

* dry run: ``importing.dry_run`` of the CSV (read, check every row against the catalog, plan; writes nothing);
* dry run XLSX: the same of the workbook (openpyxl, read-only);
* commit: ``importing.commit`` of the CSV: the same plan, then every row a new lot received through the ledger
  (one lot, one hash-chained ledger line each) and the file recorded, in one transaction;
* direct: the same lots and ledger lines written the plainest way — the depots' and items' ids looked up in
  two dicts, the lots inserted with one executemany, their ids read back, each line's chain hash computed
  (``inventory.chain.line_hash``, as the ledger must) and the lines inserted with one executemany, one
  transaction.

Reported: medians over the rounds and the median of the per-round ratios to the direct insert. Peak memory:
each variant once more in a fresh subprocess, whose resident memory is read from /proc/self/status
(``VmHWM``, reset once the app and the file are loaded: the peak the work itself adds) — not ``ru_maxrss``,
which a child inherits from its parent on Linux.
"""
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone

from bench import log, machine, markdown_table, median, reset_peak, status_kb, utc_stamp

SCALE = float(os.environ.get("BENCH_SCALE", "1"))
ROWS = max(1000, int(100_000 * SCALE))
ROUNDS = int(os.environ.get("BENCH_IMPORT_ROUNDS", "3"))
TOWNS, VILLAGES_PER_TOWN, ITEMS = 20, 15, 60
TODAY = date(2026, 12, 5)
NOW = datetime(2026, 12, 5, 1, 0, tzinfo=timezone.utc)
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
UNITS = ["顶", "床", "箱", "件", "套", "台", "个", "袋"]


HISTORY = ("Before the fixes this section came with (10,000 rows, one round, same machine): the commit took 22× the "
           "direct insert and the dry run 2.4× — each row's item and depot were found by normalising every name "
           "of the catalog, and each lot took six statements; and at 100,000 rows reading the XLSX through openpyxl "
           "took 3× the CSV's dry run. Now names are found in an index, the lots and their ledger lines go in "
           "multi-row statements (``inventory.services.receive_new_lots``) and workbooks are read by "
           "python-calamine.")


# ---------------------------------------------------------------- the county and the register


def _app(url: str):
    from app import create_app

    folder = os.path.dirname(url.removeprefix("sqlite:///"))
    return create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "LEDGER_KEYS": os.path.join(folder, "keys")})


def _county(url: str) -> None:
    from accounts.services import add_user
    from common.db import UnitOfWork
    from common.migrate import upgrade
    from inventory.catalog import DepotFields, ItemFields, add_depot, add_item

    upgrade(url)
    app = _app(url)
    engine = app.extensions["engine"]
    with UnitOfWork(engine) as uow:
        add_depot(uow, DepotFields(code="C01", name="县级应急物资储备库", tier="county"))
        for t in range(1, TOWNS + 1):
            add_depot(uow, DepotFields(code=f"T{t:02d}", name=f"第{t}镇应急物资储备站", tier="town", parent="C01"))
            for v in range(1, VILLAGES_PER_TOWN + 1):
                add_depot(uow, DepotFields(code=f"T{t:02d}-V{v:02d}", name=f"第{t}镇{v}村储备点", tier="village",
                                           parent=f"T{t:02d}"))
        for i in range(1, ITEMS + 1):
            add_item(uow, ItemFields(code=f"IT{i:03d}", name_zh=f"救灾物资{i:03d}", name_en=f"Item {i}",
                                     category="living", unit=UNITS[i % len(UNITS)]))
        add_user(uow, "admin", "bench-admin", "admin")
        uow.commit()
    engine.dispose()


def _depot_names() -> list[str]:
    names = ["县级应急物资储备库"]
    for t in range(1, TOWNS + 1):
        names.append(f"第{t}镇应急物资储备站")
        names += [f"第{t}镇{v}村储备点" for v in range(1, VILLAGES_PER_TOWN + 1)]
    return names


def register_rows(n: int) -> list[list]:
    rng = random.Random(12)
    depots = _depot_names()
    rows = []
    for k in range(n):
        i = rng.randint(1, ITEMS)
        expires = TODAY + timedelta(days=rng.randint(30, 3000))
        style = k % 3
        written = (expires.isoformat() if style == 0 else f"{expires.year}/{expires.month}/{expires.day}"
                   if style == 1 else f"{expires.year}年{expires.month}月{expires.day}日")
        rows.append([f"救灾物资{i:03d}", UNITS[i % len(UNITS)], rng.randint(1, 500), rng.choice(depots),
                     written if k % 5 else "", f"B{k:06d}"])
    return rows


HEADER = ["物资名称", "计量单位", "数量", "存放地点", "有效期至", "批号"]


def csv_bytes(rows) -> bytes:
    lines = [",".join(HEADER)] + [",".join(str(c) for c in row) for row in rows]
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")


def xlsx_bytes(rows) -> bytes:
    import io

    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("库存台账")
    ws.append(["某某县应急物资储备台账"])
    ws.append(HEADER)
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


# ---------------------------------------------------------------- the variants


def _admin(engine):
    from sqlmodel import Session, select

    from accounts.models import User
    from accounts.services import actor_for

    with Session(engine) as s:
        return actor_for(s, s.exec(select(User).where(User.username == "admin")).one())


def dry_run(engine, name: str, data: bytes) -> int:
    from registers import importing

    report = importing.dry_run(engine, [(name, data)], today=TODAY)
    return sum(sh["accepted"] for f in report["files"] for sh in f["sheets"])


def commit(engine, name: str, data: bytes) -> int:
    from registers import importing

    report = importing.commit(engine, [(name, data)], _admin(engine), now=NOW, today=TODAY)
    return sum(len(sh["creates"]["lots"]) for f in report["files"] for sh in f["sheets"])


def direct(engine, rows) -> int:
    """The same lots and ledger lines, inserted the plainest way (ids from two dicts, two executemany)."""
    import sqlalchemy as sa

    from inventory import chain, ledger_keys
    from inventory.models import Depot, Item, Lot, Movement
    from registers.values import parse_date

    lot_t, move_t = Lot.__table__, Movement.__table__
    keyring = ledger_keys.of(engine)
    with engine.begin() as c:
        depots = dict(c.execute(sa.select(Depot.name, Depot.id)).all())
        items = dict(c.execute(sa.select(Item.name_zh, Item.id)).all())
        user = c.execute(sa.text("select id from user_account where username = 'admin'")).scalar_one()
        lots = [{"code": f"IMP-direct-{k}", "item_id": items[r[0]], "depot_id": depots[r[3]], "quantity": r[2],
                 "received_on": TODAY, "expires_on": parse_date(r[4]) if r[4] else None,
                 "storage_mode": "physical", "source": "purchase", "created_at": NOW, "chain_head": chain.GENESIS}
                for k, r in enumerate(rows)]
        c.execute(sa.insert(lot_t), lots)
        ids = dict(c.execute(sa.select(lot_t.c.code, lot_t.c.id).where(lot_t.c.code.like("IMP-direct-%"))).all())
        lines, heads = [], []
        for k, (lot, r) in enumerate(zip(lots, rows)):
            fields = dict(kind="receive", lot_id=ids[lot["code"]], depot_id=lot["depot_id"], item_id=lot["item_id"],
                          quantity=r[2], balance_after=r[2], user_id=user, created_at=NOW, reason=None,
                          note=f"register.csv · 批号 {r[5]}", reference="IMP-direct", idempotency_key=None,
                          counterpart_id=None)
            line_hash = chain.line_hash(chain.GENESIS, fields, keyring.current_key)
            lines.append({**fields, "prev_hash": chain.GENESIS, "hash": line_hash, "key_id": keyring.current})
            heads.append({"b_id": fields["lot_id"], "b_head": line_hash})
        c.execute(sa.insert(move_t), lines)
        c.execute(sa.update(lot_t).where(lot_t.c.id == sa.bindparam("b_id")).values(chain_head=sa.bindparam("b_head")),
                  heads)
    return len(rows)


# ---------------------------------------------------------------- measuring


def _fresh(template: str, folder: str, name: str) -> str:
    path = os.path.join(folder, f"{name}.db")
    shutil.copy(template, path)
    return f"sqlite:///{path}"


def _child(variant: str, template: str, folder: str, path: str) -> dict:
    """One variant in a fresh interpreter: its resident memory once loaded, and its peak during the work."""
    url = _fresh(template, folder, f"child-{variant}")
    out = subprocess.run([sys.executable, "-m", "bench.imports", "--child", variant, url, path], cwd=ROOT,
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def child_main(variant: str, url: str, path: str) -> None:
    app = _app(url)
    engine = app.extensions["engine"]
    with open(path, "rb") as f:
        data = f.read()
    rows = register_rows(ROWS) if variant == "direct" else None
    reset = reset_peak()
    loaded = status_kb("VmRSS")
    with app.app_context():
        if variant == "dry_run":
            dry_run(engine, os.path.basename(path), data)
        elif variant == "commit":
            commit(engine, os.path.basename(path), data)
        else:
            direct(engine, rows)
    print(json.dumps({"loaded_kb": loaded, "peak_kb": status_kb("VmHWM"), "reset": reset}))


def _measure(folder: str) -> dict:
    template = os.path.join(folder, "county.db")
    _county(f"sqlite:///{template}")
    rows = register_rows(ROWS)
    csv_data, xlsx_data = csv_bytes(rows), xlsx_bytes(rows)
    csv_path, xlsx_path = os.path.join(folder, "register.csv"), os.path.join(folder, "register.xlsx")
    for path, data in ((csv_path, csv_data), (xlsx_path, xlsx_data)):
        with open(path, "wb") as f:
            f.write(data)
    log(f"register: {ROWS:,} rows, CSV {len(csv_data) / 1e6:.1f} MB, XLSX {len(xlsx_data) / 1e6:.1f} MB")
    variants = {
        "dry run (CSV)": lambda e: dry_run(e, "register.csv", csv_data),
        "dry run (XLSX)": lambda e: dry_run(e, "register.xlsx", xlsx_data),
        "commit (CSV)": lambda e: commit(e, "register.csv", csv_data),
        "direct insert": lambda e: direct(e, rows),
    }
    times = {name: [] for name in variants}
    names = list(variants)
    for r in range(ROUNDS):
        order = names[r % len(names):] + names[:r % len(names)]
        for name in order:
            app = _app(_fresh(template, folder, "round"))
            engine = app.extensions["engine"]
            with app.app_context():
                start = time.perf_counter()
                done = variants[name](engine)
                spent = time.perf_counter() - start
            engine.dispose()
            assert done == ROWS, (name, done)
            times[name].append(spent)
            log(f"round {r + 1}: {name} {spent:.2f} s")
    memory = {"dry run (CSV)": _child("dry_run", template, folder, csv_path),
              "dry run (XLSX)": _child("dry_run", template, folder, xlsx_path),
              "commit (CSV)": _child("commit", template, folder, csv_path),
              "direct insert": _child("direct", template, folder, csv_path)}
    return {"times": times, "memory": memory, "csv_mb": len(csv_data) / 1e6, "xlsx_mb": len(xlsx_data) / 1e6}


def run() -> str:
    import sqlite3

    folder = tempfile.mkdtemp(prefix="rdbench-import-")
    try:
        result = _measure(folder)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    times, memory = result["times"], result["memory"]
    base = times["direct insert"]
    rows = []
    for name, spent in times.items():
        ratios = [a / b for a, b in zip(spent, base)]
        m = memory[name]
        rows.append([name, f"{median(spent):.2f}", f"{ROWS / median(spent):,.0f}", f"{median(ratios):.1f}×",
                     f"{m['peak_kb'] / 1024:.0f}", f"{(m['peak_kb'] - m['loaded_kb']) / 1024:.0f}"])
    m = machine()
    return "\n".join([
        "## Register import",
        "",
        f"- Date: {utc_stamp()}",
        f"- Machine: {m['platform']}; CPU {m['cpu']}, {m['cores']} cores; Python {m['python']}; "
        f"SQLite {sqlite3.sqlite_version}",
        f"- N: a stock register of {ROWS:,} rows (items and depots named by name, mixed date styles), "
        f"CSV {result['csv_mb']:.1f} MB and XLSX {result['xlsx_mb']:.1f} MB; a county of "
        f"{1 + TOWNS + TOWNS * VILLAGES_PER_TOWN} depots and {ITEMS} items; {ROUNDS} rounds, each variant on a "
        "fresh copy of the county's database, turn about.",
        "- Ratio: the variant's time over the direct insert's in the same round (median of the rounds). Peak: "
        "the subprocess's VmHWM during the variant; added: the peak above the resident memory once the app and "
        "the file were loaded.",
        "",
        markdown_table(["variant", "median s", "rows/s", "ratio to direct", "peak MB", "added MB"], rows),
        "",
        HISTORY,
        "",
    ])


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child_main(*sys.argv[2:5])
    else:
        from bench.__main__ import main

        sys.exit(main(["imports", *sys.argv[1:]]))
