"""Exporting the movement ledger: 1 million ledger lines to CSV through ``audit.exports`` against the
database's own dump of the same rows, and to XLSX with its peak memory.

On SQLite (a temporary file) and PostgreSQL (a schema of its own, dropped afterwards), each migrated to
head, a county of 30 depots, 12 items, 360 lots and 3 users is written with SQLAlchemy Core, then
N ledger lines (1,000,000; BENCH_SCALE scales it) with bulk Core inserts: realistic rows — receipts,
issues, transfers, counts, write-offs and returns over a year, balances that never go below zero, notes
and references on some lines. PostgreSQL is then ANALYZEd (as autovacuum soon would be), so neither side
is planned on empty statistics.

* CSV: the exporter — the ledger document's CSV as the HTTP export streams it (``audit.exports.csv_chunks``
  over ``audit.movements.LedgerQuery.csv_lines``), into a file: BOM, Chinese headers, kinds and reasons in
  Chinese, and the running balance of each item at each depot — against the database dumping the plain
  SELECT of the same lines with the same joins and the same columns but the running balance, stored codes
  instead of words (``LedgerQuery.dump_statement``), with a header, into a file: ``sqlite3 -csv -header`` /
  ``COPY (…) TO STDOUT WITH (FORMAT csv, HEADER)`` through psycopg. Both format the county-local time in
  the database. Turn about, ROUNDS rounds, the order swapped every round; the ratio is the exporter's time
  over the dump's in the same round. Target: within 2×. Afterwards (untimed) the exporter's file is read
  back: every line there, and each item's last running balance at each depot equal to the units its lots
  hold.
* XLSX: the whole export (seal included, as the HTTP export does) in a fresh subprocess, whose resident
  memory is read from /proc/self/status once the app is loaded and after the export (``VmHWM``, the
  kernel's peak mark, reset before the export; checked by sampling ``VmRSS`` every 20 ms). Not
  ``ru_maxrss``: on Linux a child inherits its parent's peak across fork and exec, and the parent has just
  loaded the data. Target: under 200 MB.
"""
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from datetime import date, datetime, timedelta, timezone

import sqlalchemy as sa

from bench import log, machine, markdown_table, median, reset_peak, status_kb, utc_stamp
from bench.ledger import on_both_databases

SCALE = float(os.environ.get("BENCH_SCALE", "1"))
LINES = max(1000, int(1_000_000 * SCALE))
ROUNDS = 5
INSERT_BATCH = 20_000
DEPOTS, ITEMS, LOTS_PER_DEPOT = 30, 12, 12
TZ = "Asia/Shanghai"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# ---------------------------------------------------------------- the data


def _load(url: str, lines: int | None = None) -> None:
    """The county and its ledger (``lines`` lines, LINES by default) into the database at ``url``."""
    from common.db import make_engine
    from common.migrate import upgrade
    from accounts.models import User
    from inventory.models import Depot, Item, Lot, Movement

    upgrade(url)
    engine = make_engine(url)
    rng = random.Random(20260701)
    total = lines or LINES
    t0 = time.perf_counter()
    try:
        with engine.begin() as c:
            c.execute(sa.insert(User.__table__), [
                {"id": i, "username": name, "password_hash": "x", "role": role, "active": True,
                 "display_name": name, "created_at": datetime(2025, 1, 1, tzinfo=timezone.utc)}
                for i, (name, role) in enumerate((("admin", "admin"), ("keeper-a", "keeper"), ("keeper-b", "keeper")),
                                                 start=1)])
            depots = [{"id": 1, "code": "C01", "name": "县级储备库", "tier": "county", "kind": "station", "parent_id": None,
                       "path": "/1/", "key_town": False}]
            for i in range(2, DEPOTS + 1):
                depots.append({"id": i, "code": f"T{i:02d}", "name": f"第{i}镇储备站", "tier": "town",
                               "kind": "station", "parent_id": 1, "path": f"/1/{i}/", "key_town": i % 4 == 0})
            c.execute(sa.insert(Depot.__table__), depots)
            names = ["救灾帐篷", "棉被", "折叠床", "瓶装饮用水", "方便面", "急救包", "编织袋", "救生衣", "排水泵", "发电机",
                     "卫星电话", "强光手电"]
            c.execute(sa.insert(Item.__table__), [
                {"id": i + 1, "code": f"IT-{i + 1:02d}", "name_zh": name, "name_en": f"Item {i + 1}",
                 "category": "living" if i < 6 else "flood", "unit": "件", "weight_kg": 1.0, "volume_m3": 0.01,
                 "priority": 2} for i, name in enumerate(names)])
            lots = []
            for d in range(1, DEPOTS + 1):
                for k in range(LOTS_PER_DEPOT):
                    lot_id = (d - 1) * LOTS_PER_DEPOT + k + 1
                    lots.append({"id": lot_id, "code": f"L{lot_id:05d}", "item_id": k % ITEMS + 1, "depot_id": d,
                                 "quantity": 0, "received_on": date(2025, 7, 1), "expires_on": date(2028, 1, 1),
                                 "storage_mode": "physical", "source": "purchase", "unit_price_cents": 1500,
                                 "created_at": datetime(2025, 7, 1, tzinfo=timezone.utc), "chain_head": "0" * 64})
            c.execute(sa.insert(Lot.__table__), lots)
        balances = {lot["id"]: 0 for lot in lots}
        lot_of = {lot["id"]: lot for lot in lots}
        start = datetime(2025, 7, 1, 0, 0, tzinfo=timezone.utc)
        step = timedelta(seconds=365 * 24 * 3600 / total)
        table = Movement.__table__
        written = 0
        while written < total:
            batch = []
            for i in range(written, min(total, written + INSERT_BATCH)):
                lot_id = rng.randrange(1, len(lots) + 1)
                have = balances[lot_id]
                roll = rng.random()
                reason = note = reference = None
                if have < 20 or roll < 0.35:
                    kind, q = ("receive" if roll < 0.9 else "transfer_in"), rng.randrange(20, 200)
                    reference = f"RK-{i // 50:06d}" if kind == "receive" else None
                elif roll < 0.85:
                    kind, q = "issue", -rng.randrange(1, min(have, 30) + 1)
                    reference = f"FF-{i // 40:06d}"
                    note = "防汛调用" if roll < 0.45 else None
                elif roll < 0.92:
                    kind, q = "transfer_out", -rng.randrange(1, min(have, 20) + 1)
                elif roll < 0.95:
                    kind, q = "count", rng.randrange(-3, 4)
                    q = max(q, -have)
                elif roll < 0.98:
                    kind, q = "write_off", -rng.randrange(1, min(have, 5) + 1)
                    reason = rng.choice(("expired", "damaged", "lost", "approved"))
                    note = "盘点发现破损" if reason == "damaged" else None
                else:
                    kind, q = "return", rng.randrange(1, 10)
                have += q
                balances[lot_id] = have
                lot = lot_of[lot_id]
                batch.append({"kind": kind, "lot_id": lot_id, "depot_id": lot["depot_id"], "item_id": lot["item_id"],
                              "quantity": q, "balance_after": have, "user_id": rng.randrange(1, 4),
                              "created_at": start + step * i, "reason": reason, "note": note,
                              "reference": reference, "idempotency_key": None, "counterpart_id": None,
                              "prev_hash": f"{i:064x}", "hash": f"{i + 1:064x}"})
            with engine.begin() as c:
                c.execute(sa.insert(table), batch)
            written += len(batch)
            if written % 200_000 == 0 or written == total:
                log(f"  {written:,} lines written ({time.perf_counter() - t0:.0f} s)")
        with engine.begin() as c:
            for lot_id, quantity in balances.items():
                c.execute(sa.update(Lot.__table__).where(Lot.__table__.c.id == lot_id).values(quantity=quantity))
        if engine.dialect.name == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.execute(sa.text("ANALYZE"))
    finally:
        engine.dispose()


# ---------------------------------------------------------------- the exports


def _auditor():
    from common.actor import AUDITOR, Actor

    return Actor(user_id=1, username="admin", role=AUDITOR)


def _app(url: str):
    from app import create_app

    return create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "TIMEZONE": TZ})


def export_csv(app, path: str) -> int:
    """The exporter's CSV of the whole ledger into ``path``; returns the bytes written."""
    from flask_babel import force_locale

    from audit import documents, exports, movements, reports

    with app.test_request_context("/"), force_locale("zh_Hans_CN"):
        query = movements.LedgerQuery(app.extensions["engine"], _auditor(), reports.Filters(), TZ)
        doc = documents.ledger(query, {}, {"generated_at": datetime.now(timezone.utc), "seal": None}, None)
        size = 0
        with open(path, "wb") as f:
            for chunk in exports.csv_chunks(doc.tables[0], TZ):
                f.write(chunk)
                size += len(chunk)
    return size


def _dump_sql(app) -> str:
    from audit import movements, reports

    with app.app_context():
        engine = app.extensions["engine"]
        statement = movements.LedgerQuery(engine, _auditor(), reports.Filters(), TZ).dump_statement()
        return str(statement.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True}))


def dump_csv(app, url: str, sql: str, path: str) -> int:
    """The database's own CSV of the same SELECT into ``path``."""
    engine = app.extensions["engine"]
    if url.startswith("sqlite"):
        database = engine.url.database
        with open(path, "wb") as f:
            subprocess.run(["sqlite3", "-csv", "-header", database, sql], stdout=f, check=True)
    else:
        raw = engine.raw_connection()
        try:
            with open(path, "wb") as f, raw.driver_connection.cursor() as cur:
                with cur.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv, HEADER)") as copy:
                    for data in copy:
                        f.write(data)
        finally:
            raw.close()
    return os.path.getsize(path)


class _RssSampler(threading.Thread):
    """Reads VmRSS every 20 ms: a check on VmHWM that needs no kernel support."""

    def __init__(self):
        super().__init__(daemon=True)
        self.peak_kb, self.stop = 0, threading.Event()

    def run(self):
        while not self.stop.wait(0.02):
            self.peak_kb = max(self.peak_kb, status_kb("VmRSS") or 0)


def xlsx_child(url: str, path: str) -> None:
    """Run in a fresh subprocess: the XLSX export of the whole ledger, seal included, as the HTTP export writes
    it; prints a JSON line with the process's resident memory once the app is loaded and its peak during the
    export. ``ru_maxrss`` would not do: on Linux a child inherits its parent's peak across fork and exec, and
    the parent here has just loaded a million lines."""
    import gc

    from flask_babel import force_locale

    from audit import documents, exports, movements, reports
    from inventory.integrity import current_seal

    app = _app(url)
    with app.test_request_context("/"), force_locale("zh_Hans_CN"):  # imports and catalogs loaded untimed
        documents.ledger(movements.LedgerQuery(app.extensions["engine"], _auditor(), reports.Filters(), TZ), {},
                         {"generated_at": datetime.now(timezone.utc), "seal": None}, None)
    gc.collect()
    before = status_kb("VmRSS")
    reset = reset_peak()
    sampler = _RssSampler()
    sampler.start()
    started = time.perf_counter()
    with app.test_request_context("/"), force_locale("zh_Hans_CN"):
        engine = app.extensions["engine"]
        query = movements.LedgerQuery(engine, _auditor(), reports.Filters(), TZ)
        meta = {"generated_at": datetime.now(timezone.utc), "seal": current_seal(engine, _auditor())}
        doc = documents.ledger(query, {}, meta, query.count())
        rows = exports.write_xlsx(doc, path, TZ)
    seconds = time.perf_counter() - started
    hwm = status_kb("VmHWM")
    sampler.stop.set()
    sampler.join()
    peak = max(hwm or 0, sampler.peak_kb)
    print(json.dumps({"rows": rows, "seconds": seconds, "rss_before_kb": before, "peak_kb": peak,
                      "hwm_kb": hwm, "sampled_peak_kb": sampler.peak_kb, "hwm_reset": reset,
                      "bytes": os.path.getsize(path)}))


def _xlsx(url: str, folder: str) -> dict:
    path = os.path.join(folder, "ledger.xlsx")
    out = subprocess.run([sys.executable, "-c", "import sys; from bench.exports import xlsx_child; "
                          "xlsx_child(sys.argv[1], sys.argv[2])", url, path],
                         cwd=ROOT, capture_output=True, text=True, check=True)
    os.unlink(path)
    return json.loads(out.stdout.strip().splitlines()[-1])


def check_export(app, path: str, name: str) -> None:
    """The exporter's CSV read back: every line, and the last running balance of each item at each depot equal
    to what its lots hold (the loader keeps lot quantities in step with the lines)."""
    import csv

    from inventory.models import Depot, Item, Lot

    last, lines = {}, 0
    with open(path, encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f)
        next(reader)
        for row in reader:
            last[(row[2], row[4])] = int(row[11])
            lines += 1
    with app.extensions["engine"].connect() as c:
        held = {(d, i): int(u) for d, i, u in c.execute(
            sa.select(Depot.code, Item.code, sa.func.sum(Lot.quantity)).join(Depot, Depot.id == Lot.depot_id)
            .join(Item, Item.id == Lot.item_id).group_by(Depot.code, Item.code))}
    held = {k: v for k, v in held.items() if k in last or v}
    if lines != LINES or last != held:
        wrong = sorted(k for k in held.keys() | last.keys() if held.get(k) != last.get(k))[:3]
        raise AssertionError(f"{name}: the exporter wrote {lines:,} lines of {LINES:,}; balances differ at {wrong}")
    log(f"{name}: the exporter's CSV read back: {lines:,} lines, {len(last)} closing balances equal to the lots'")


def _measure(name: str, url: str) -> dict:
    log(f"{name}: writing {LINES:,} ledger lines")
    t0 = time.perf_counter()
    _load(url)
    load_seconds = time.perf_counter() - t0
    app = _app(url)
    sql = _dump_sql(app)
    exporter, dump = [], []
    sizes = {}
    with tempfile.TemporaryDirectory(prefix="rdbench-export-") as folder:
        mine, theirs = os.path.join(folder, "exporter.csv"), os.path.join(folder, "dump.csv")
        for r in range(ROUNDS):
            order = [("exporter", lambda: export_csv(app, mine)), ("dump", lambda: dump_csv(app, url, sql, theirs))]
            if r % 2:
                order.reverse()
            for label, run in order:
                started = time.perf_counter()
                sizes[label] = run()
                (exporter if label == "exporter" else dump).append(time.perf_counter() - started)
            log(f"{name} CSV round {r + 1}/{ROUNDS}: exporter {exporter[-1]:.1f} s, dump {dump[-1]:.1f} s")
        check_export(app, mine, name)
        log(f"{name}: XLSX in a subprocess")
        xlsx = _xlsx(url, folder)
    app.extensions["engine"].dispose()
    with sa.create_engine(url).connect() as c:
        version = c.execute(sa.text("select sqlite_version()" if name == "sqlite" else "show server_version")).scalar()
    return {"version": version, "load_seconds": load_seconds, "exporter": exporter, "dump": dump, "sizes": sizes,
            "xlsx": xlsx}


def run() -> str:
    return _section(*on_both_databases(_measure))


def _section(results: dict, problems: dict) -> str:
    m = machine()
    versions = [f"SQLite {results['sqlite']['version']}" if "sqlite" in results else "SQLite not run",
                f"PostgreSQL {results['postgresql']['version']}" if "postgresql" in results
                else f"PostgreSQL NOT REACHABLE ({problems.get('postgresql', 'not run')})"]
    out = ["## Ledger exports", "",
           f"- Date: {utc_stamp()}",
           f"- Machine: {m['platform']}; CPU {m['cpu']}, {m['cores']} cores; Python {m['python']}; "
           + "; ".join(versions),
           f"- N: {LINES:,} ledger lines, {ROUNDS} rounds of CSV each way (turn about, order swapped every round), "
           "one XLSX per database" + (f" (BENCH_SCALE={SCALE:g})" if SCALE != 1 else ""), ""]
    rows, verdicts = [], []
    for name, label in (("sqlite", "SQLite (`sqlite3 -csv`)"), ("postgresql", "PostgreSQL (`COPY … TO STDOUT`)")):
        r = results.get(name)
        if not r:
            continue
        ratios = [a / b for a, b in zip(r["exporter"], r["dump"])]
        rows.append([label, f"{median(r['exporter']):.1f}", f"{median(r['dump']):.1f}",
                     f"{median(ratios):.2f} ({min(ratios):.2f}–{max(ratios):.2f})",
                     f"{LINES / median(r['exporter']):,.0f}", f"{r['sizes']['exporter'] / 1e6:.0f} / "
                     f"{r['sizes']['dump'] / 1e6:.0f}"])
        verdicts.append(f"CSV on {label.split(' ')[0]} {'met' if median(ratios) <= 2 else 'NOT met'} "
                        f"({median(ratios):.2f}×)")
    out.append(markdown_table(["CSV of the whole ledger", "exporter s (median)", "database dump s (median)",
                               "exporter ÷ dump: median (min–max)", "exporter lines/s", "MB (exporter / dump)"],
                              rows))
    out.append("")
    rows = []
    for name, label in (("sqlite", "SQLite"), ("postgresql", "PostgreSQL")):
        r = results.get(name)
        if not r:
            continue
        x = r["xlsx"]
        rows.append([label, f"{x['rows']:,}", f"{x['seconds']:.0f}", f"{x['peak_kb'] / 1024:.0f}",
                     f"{x['rss_before_kb'] / 1024:.0f}", f"{(x['peak_kb'] - x['rss_before_kb']) / 1024:.0f}",
                     f"{x['bytes'] / 1e6:.0f}"])
        verdicts.append(f"XLSX on {label} {'met' if x['peak_kb'] / 1024 < 200 else 'NOT met'} "
                        f"({x['peak_kb'] / 1024:.0f} MB peak, whole process)")
    out.append(markdown_table(["XLSX of the whole ledger", "rows", "seconds", "peak RSS MB during the export",
                               "RSS MB before it (app loaded)", "growth MB", "file MB"], rows))
    reset = all(r["xlsx"].get("hwm_reset") for r in results.values())
    out += ["", "Targets: CSV within 2× of the database's own dump of the same lines; XLSX under 200 MB peak memory. "
            + "; ".join(verdicts) + ".", "",
            "What each side writes. The dump: the plain SELECT of the ledger joined to its lots, depots, items and "
            "users — line, county-local time (formatted by the database), depot code and name, item code, name and "
            "unit, lot, kind code, quantity, lot balance, user, reason code, reference, note — with a header row. "
            "The exporter: the same lines and columns plus the running balance of each item at each depot, kinds "
            "and reasons in Chinese words, the UTF-8 BOM and Chinese headers, quoted as Python's csv module quotes. "
            "It reads one narrow SELECT on the ledger table alone, in line order, straight from the driver's cursor "
            "(server-side on PostgreSQL), 5,000 lines a batch; sums the running balances in Python in that pass "
            "(a window function made PostgreSQL sort the ledger twice: 3.1× in the previous run); reads the text "
            "of each lot, its depot and item, and each user once, not on every line; and writes each line with one "
            "string format. Its file was read back after the rounds: every line there, and each item's last "
            "running balance at each depot equal to what its lots hold.", "",
            "XLSX: XlsxWriter in constant-memory mode (rows go to a temporary file as they are written), fed from "
            "the same stream, into a temporary file, seal included, as the HTTP export does; in a fresh "
            "subprocess. Peak RSS is the whole process's, the Flask app and its imports included: the kernel's "
            "high-water mark " + ("(VmHWM, reset once the app was loaded)" if reset else
                                  "(VmHWM since the process started: the kernel refused a reset)")
            + " checked against VmRSS sampled every 20 ms. The previous run's 356 MB was the benchmark parent's "
            "peak, which ru_maxrss carries into a child across fork and exec. Loading the data (bulk Core "
            "inserts) took " + ", ".join(f"{r['load_seconds']:.0f} s on {n}" for n, r in results.items())
            + " and is not measured."]
    return "\n".join(out) + "\n"
