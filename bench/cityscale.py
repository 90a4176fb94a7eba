"""A county, a city or a province of ReliefDepot in PostgreSQL, loaded set-based (COPY), for benchmarks.

``build(url, "city")`` fills a migrated, empty database with:

* depots: ``counties`` county depots (C01, C02, …), each with ``towns`` town stations and ``villages``
  village points spread over its towns (a proper tree: ``parent_id`` and ``path`` "/1/4/37/" as
  ``inventory.catalog.add_depot`` makes them; codes T01, T01-V001 with one county, C02-T01-V001 with more);
  the first six towns of a county are key towns; coordinates around the demo county's centre;
* the demo catalog (``data/catalog.csv``) and the demo accounts (``inventory.demo.DEMO_USERS``: the keeper
  keeps T01 and its first two villages, keeper2 keeps T02), through the services;
* ``lots`` lots spread over the depots (county ~8 %, towns ~30 %, villages the rest; a village holds only
  the living items a village point holds), received over the last three years, with expiries from the
  item's shelf life (so some are expired, some near expiry, many years ahead);
* ``lines`` ledger lines: each lot opens with a receipt and then has issues, returns, further receipts,
  counts and a few damage write-offs, in time order (line ids follow time across the whole ledger), each
  before the lot's expiry, balances never below zero. Every lot's quantity is its last balance, and its
  ``chain_head`` the hash of its last line;
* the dispatch defaults (levels, norms), reserve floors at the town stations, a shelter at each of the
  first ten towns, the demo keeper's two pending write-off requests;
* a level I incident ("city flood") of ``incident_people`` people over ``incident_sites`` sites (village
  points of the first towns, and the shelters), with a plan stored by ``dispatch.planning.plan_incident`` and
  approved (``orders.services.approve_plan``: one transfer order per source depot and site); a stock count
  under way at the (first) county depot.

The hash chain: lines are chained per lot with ``inventory.chain.line_hash`` as the services chain them,
as plain SHA-256 lines (``key_id`` NULL) — the lines a database has from before ledger keys came in. No
ledger key is recorded, so the first app started on the database records its key with ``lines_before`` =
the last generated line (``inventory.integrity.record_key``), and ``ledger verify`` passes: every line
checks against its lot's chain and balance, every lot against its last line.

Everything else is written with plain multi-row inserts or ``COPY`` through psycopg, not ORM objects:
the city (2,000 depots, 120,000 lots, 2,000,000 lines) loads in a few minutes, most of it hashing and
PostgreSQL maintaining the movement table's indexes. PostgreSQL only (COPY).

``template(size)`` keeps a generated database ``bench_<size>`` on the server between runs (its comment
names ``VERSION`` and the size; a database whose comment differs is built again), and ``fresh_copy(size)``
hands out a throwaway copy of it (``CREATE DATABASE … TEMPLATE``), so a benchmark may write to its copy.
Sizes: ``SIZES`` (tiny for tests, county, city, province); ``python -m bench.cityscale city`` builds one.
"""
from __future__ import annotations

import json
import os
import time
from dataclasses import dataclass, asdict
from datetime import date, datetime, timedelta, timezone

import numpy as np
import sqlalchemy as sa

from bench import log

VERSION = "cityscale-3"
SEED = 20261205
TZ8 = timezone(timedelta(hours=8))
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=TZ8)  # "now" of the generated history; lines end before it
PG_URL = os.environ.get("BENCH_POSTGRES_URL") or os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")


@dataclass(frozen=True)
class Size:
    name: str
    counties: int
    towns: int  # per county
    villages: int  # per county
    lots: int
    lines: int
    incident_people: int
    incident_sites: int

    @property
    def depots(self) -> int:
        return self.counties * (1 + self.towns + self.villages)


SIZES = {
    "tiny": Size("tiny", 1, 3, 16, 200, 2_000, 3_000, 5),
    "city": Size("city", 1, 36, 1_963, 120_000, 2_000_000, 200_000, 45),
    "province": Size("province", 48, 30, 970, 3_000_000, 30_000_000, 200_000, 45),
    # the province's depots and lots with only their opening receipts: what planning reads, without the
    # 30 million history lines (whose generation needs more memory than a shared machine should give)
    "province_stock": Size("province_stock", 48, 30, 970, 3_000_000, 3_000_000, 200_000, 45),
}

VILLAGE_ITEMS = ["LV-0201", "LV-0202", "LV-1001", "LV-1101", "LV-1301", "FL-0301", "PP-0101", "PP-0201", "PP-0301"]
TOWN_NAME_FIRST = "城龙玉青白石河新太永金清双高柳长观黄三东西南北中大小红平安"
TOWN_NAME_SECOND = "关泉山沙桥口场平安溪坪滩音岳坝湾"
VILLAGE_FIRST = "桃李杏梨枣柏松竹梅兰荷菊枫槐柳桂"
VILLAGE_SECOND = "园湾坪沟坝岭村桥塘溪"
CENTRE = (29.15, 105.38)
KINDS = ("receive", "issue", "return", "count", "write_off")
NOTES = {"receive": "入库 receipt", "issue": "发放 issue", "return": "归还 return", "count": "盘点 count",
         "write_off": "损坏报损 damaged"}


# ---------------------------------------------------------------- the server's databases


def server_url(database: str, base: str = PG_URL) -> str:
    return sa.engine.make_url(base).set(database=database).render_as_string(hide_password=False)


def _admin():
    return sa.create_engine(server_url("postgres"), isolation_level="AUTOCOMMIT")


def _comment(size: Size) -> str:
    return f"{VERSION} {json.dumps(asdict(size), sort_keys=True)} seed {SEED}"


def template(size: str | Size) -> str:
    """The name of a database holding ``size``, built now unless one built by this generator version exists."""
    size = SIZES[size] if isinstance(size, str) else size
    name = f"bench_{size.name}"
    admin = _admin()
    try:
        with admin.connect() as c:
            found = c.execute(sa.text("SELECT shobj_description(oid, 'pg_database') FROM pg_database "
                                      "WHERE datname = :n"), {"n": name}).first()
            if found is not None and found[0] == _comment(size):
                log(f"{name}: cached ({VERSION}), not generated again")
                return name
            if found is not None:
                log(f"{name}: made by another generator version or size; generating it again")
                c.execute(sa.text(f'DROP DATABASE "{name}" WITH (FORCE)'))
            c.execute(sa.text(f'CREATE DATABASE "{name}"'))
        build(server_url(name), size)
        with admin.connect() as c:  # last: a half-built database is never taken for a finished one
            c.execute(sa.text(f"COMMENT ON DATABASE \"{name}\" IS '{_comment(size)}'"))
    finally:
        admin.dispose()
    return name


def fresh_copy(size: str | Size):
    """(url, drop) of a new database copied from the template of ``size``."""
    source = template(size)
    name = f"{source}_run_{os.getpid()}"
    admin = _admin()
    started = time.perf_counter()
    with admin.connect() as c:
        c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        c.execute(sa.text(f'CREATE DATABASE "{name}" TEMPLATE "{source}"'))
    log(f"{name}: copied from {source} in {time.perf_counter() - started:.1f} s")
    from common.migrate import upgrade

    upgrade(server_url(name))  # a template built before a later migration gets its new tables, as an installation would

    def drop():
        with admin.connect() as c:
            c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return server_url(name), drop


# ---------------------------------------------------------------- building


def build(url: str, size: str | Size, progress=log) -> dict:
    """Fills the migrated-or-empty database at ``url`` with ``size``; returns row counts and timings."""
    from common.db import make_engine
    from common.migrate import upgrade

    size = SIZES[size] if isinstance(size, str) else size
    started = time.perf_counter()
    progress(f"{size.name}: migrating")
    upgrade(url)
    engine = make_engine(url)
    rng = np.random.default_rng(SEED)
    try:
        depots = _depots(engine, size, rng)
        progress(f"{size.name}: {len(depots['code']):,} depots")
        items, admin_id = _catalog_and_people(engine, "" if size.counties == 1 else "C01-")
        lots = _lots(engine, size, depots, items, rng)
        progress(f"{size.name}: {len(lots['code']):,} lots")
        _ledger(engine, size, lots, admin_id, rng, progress)
        _dispatch(engine, size, depots)
        progress(f"{size.name}: shelters, floors and write-off requests")
        with engine.begin() as c:
            c.exec_driver_sql("ANALYZE")
        incident_id = _incident(engine, size, depots, progress)
        progress(f"{size.name}: VACUUM ANALYZE (as autovacuum would have by now)")
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.exec_driver_sql("VACUUM ANALYZE")
    finally:
        engine.dispose()
    took = time.perf_counter() - started
    progress(f"{size.name}: built in {took:.0f} s")
    return {"depots": len(depots["code"]), "lots": len(lots["code"]), "lines": size.lines,
            "incident": incident_id, "seconds": took}


def _copy(engine, table: str, columns: list[str], rows) -> None:
    """COPY rows (tuples in ``columns`` order) into ``table`` through psycopg, in the caller's order."""
    raw = engine.raw_connection()
    try:
        cursor = raw.driver_connection.cursor()
        with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        raw.driver_connection.commit()
    finally:
        raw.close()


def _set_sequence(engine, table: str) -> None:
    with engine.begin() as c:
        c.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                          f"(SELECT COALESCE(MAX(id), 1) FROM {table}))")


def _depots(engine, size: Size, rng) -> dict:
    """The tree, ids handed out here in tree order (a county, its towns, then their villages)."""
    names = [a + b for a in TOWN_NAME_FIRST for b in TOWN_NAME_SECOND]
    village_names = [a + b for a in VILLAGE_FIRST for b in VILLAGE_SECOND]
    rows, cols = [], {"id": [], "code": [], "tier": [], "town": [], "county": [], "lat": [], "lon": []}
    next_id = 1

    def add(code, name, tier, parent_id, path_parent, lat, lon, key_town, town, county, address, keeper):
        nonlocal next_id
        depot_id = next_id
        next_id += 1
        path = f"{path_parent}{depot_id}/"
        rows.append({"id": depot_id, "code": code, "name": name, "tier": tier, "kind": "station",
                     "parent_id": parent_id, "path": path, "lat": round(lat, 5), "lon": round(lon, 5),
                     "address": address, "keeper_name": keeper, "keeper_phone": f"138{depot_id:08d}",
                     "key_town": key_town})
        for key, value in (("id", depot_id), ("code", code), ("tier", tier), ("town", town), ("county", county),
                           ("lat", lat), ("lon", lon)):
            cols[key].append(value)
        return depot_id, path

    for k in range(size.counties):
        prefix = "" if size.counties == 1 else f"C{k + 1:02d}-"
        lat0 = CENTRE[0] + (k // 8) * 0.8
        lon0 = CENTRE[1] + (k % 8) * 0.9
        county_id, county_path = add(f"C{k + 1:02d}", "县级应急物资储备库" if size.counties == 1
                                     else f"第{k + 1}县级应急物资储备库", "county", None, "/", lat0, lon0, False,
                                     -1, k, "县城工业园区储备路1号", "王建国")
        town_ids = []
        for t in range(size.towns):
            name = names[(t * 7) % len(names)] + ("镇" if t < len(names) else f"{t}镇")
            lat, lon = lat0 + rng.uniform(-0.35, 0.35), lon0 + rng.uniform(-0.4, 0.4)
            town_ids.append(add(f"{prefix}T{t + 1:02d}", f"{name}应急物资储备站", "town", county_id, county_path,
                                lat, lon, t < 6, len(town_ids), k, f"{name}人民政府院内", f"{name[0]}站长")
                            + (lat, lon, name))
        # every town gets villages; the first ones a few more
        per_town = np.full(size.towns, size.villages // size.towns)
        per_town[: size.villages % size.towns] += 1
        for t, (town_id, town_path, tlat, tlon, tname) in enumerate(town_ids):
            for v in range(int(per_town[t])):
                vname = village_names[(t * 13 + v) % len(village_names)] + ("村" if v < len(village_names) else f"{v}村")
                add(f"{prefix}T{t + 1:02d}-V{v + 1:03d}", f"{tname}{vname}储备点", "village", town_id, town_path,
                    tlat + rng.uniform(-0.06, 0.06), tlon + rng.uniform(-0.06, 0.06), False, t, k,
                    f"{tname}{vname}村委会", None)
    from inventory.models import Depot

    with engine.begin() as c:
        for start in range(0, len(rows), 5000):
            c.execute(sa.insert(Depot.__table__), rows[start:start + 5000])
    _set_sequence(engine, "depot")
    return {key: np.array(value) for key, value in cols.items()}


def _catalog_and_people(engine, prefix: str):
    from sqlmodel import select

    from accounts.models import User
    from accounts.services import add_user
    from common.db import UnitOfWork
    from dispatch.settings import load_defaults
    from inventory.catalog import add_item
    from inventory.demo import DEMO_USERS, read_catalog

    with UnitOfWork(engine) as uow:
        items = [add_item(uow, f) for f in read_catalog()]
        for username, password, role, kept in DEMO_USERS:
            kept = [prefix + code.replace("-V0", "-V00") for code in kept]  # T01-V01 → T01-V001
            add_user(uow, username, password, role, display_name=username, depots=kept)
        uow.session.flush()
        admin = uow.session.exec(select(User).where(User.username == "admin")).one()
        load_defaults(uow, admin.id)
        catalog = [{"id": i.id, "code": i.code, "shelf_life_days": i.shelf_life_days, "weight_kg": i.weight_kg}
                   for i in items]
        admin_id = admin.id
        uow.commit()
    return catalog, admin_id


def _lots(engine, size: Size, depots: dict, items: list[dict], rng) -> dict:
    n = size.lots
    tier = depots["tier"]
    weight = np.where(tier == "county", 0.08 / max(1, (tier == "county").sum()),
                      np.where(tier == "town", 0.30 / max(1, (tier == "town").sum()),
                               0.62 / max(1, (tier == "village").sum())))
    weight /= weight.sum()
    depot_ix = np.sort(rng.choice(len(tier), size=n, p=weight))
    village_items = np.array([i for i, it in enumerate(items) if it["code"] in VILLAGE_ITEMS])
    item_ix = np.where(tier[depot_ix] == "village", village_items[rng.integers(0, len(village_items), n)],
                       rng.integers(0, len(items), n))
    life = np.array([it["shelf_life_days"] or 0 for it in items])[item_ix]
    received = rng.integers(0, 3 * 365, n)  # days before NOW
    received_on = np.array([(NOW.date() - timedelta(days=int(d))) for d in received])
    expires = np.where(life > 0, -received + life, 0)  # days after NOW (negative: expired)
    heavy = np.array([it["weight_kg"] for it in items])[item_ix] >= 40
    scale = np.select([tier[depot_ix] == "county", tier[depot_ix] == "town"], [800, 200], 40)
    opening = np.maximum(1, (rng.gamma(2.0, size=n) * scale / np.where(heavy, 20, 1)).astype(np.int64))
    mode = rng.random(n)
    storage = np.where(mode < 0.03, "agreement", np.where(mode < 0.04, "capacity", "physical"))
    today = NOW.date()
    lots = {
        "id": np.arange(1, n + 1),
        "code": np.array([f"L{k:07d}" for k in range(1, n + 1)]),
        "depot_id": depots["id"][depot_ix],
        "item_id": np.array([it["id"] for it in items])[item_ix],
        "received": received,
        "expires": np.where(life > 0, expires, 10**6),
        "opening": opening,
    }
    created = datetime.combine(today, datetime.min.time(), tzinfo=timezone.utc)
    rows = ((int(lots["id"][k]), lots["code"][k], int(lots["item_id"][k]), int(lots["depot_id"][k]), 0,
             received_on[k], (today + timedelta(days=int(expires[k]))) if life[k] > 0 else None, storage[k],
             "县城百货超市（协议储备）" if storage[k] != "physical" else None, "purchase",
             None if k % 3 else int(rng.integers(500, 50000)), created - timedelta(days=int(received[k])), "0" * 64)
            for k in range(n))
    _copy(engine, "lot", ["id", "code", "item_id", "depot_id", "quantity", "received_on", "expires_on",
                          "storage_mode", "partner", "source", "unit_price_cents", "created_at", "chain_head"], rows)
    _set_sequence(engine, "lot")
    return lots


def _ledger(engine, size: Size, lots: dict, user_id: int, rng, progress) -> None:
    """``size.lines`` lines over the lots, in time order, chained per lot; then every lot's quantity and head."""
    from inventory.chain import GENESIS, line_hash

    n = len(lots["code"])
    extra = rng.multinomial(size.lines - n, np.full(n, 1 / n)) if size.lines > n else np.zeros(n, dtype=np.int64)
    per_lot = 1 + extra
    lot_of_line = np.repeat(np.arange(n), per_lot)
    # times: the opening receipt at the lot's receipt day 10:00; the rest spread between then and the lot's
    # expiry (or now), seconds apart and increasing within a lot
    now_s = int(NOW.timestamp())
    start = now_s - lots["received"] * 86400 + 3600
    end = np.minimum(now_s - 3600, now_s + lots["expires"] * 86400 - 3600)
    end = np.maximum(end, start + 60)
    first = np.r_[0, np.cumsum(per_lot)[:-1]]
    u = rng.random(len(lot_of_line))
    u[first] = 0.0
    when = start[lot_of_line] + (u * (end - start)[lot_of_line]).astype(np.int64)
    # sort within each lot, then make them strictly increasing (a second apart at least)
    order = np.lexsort((when, lot_of_line))
    when = when[order]
    rank = np.arange(len(when)) - first[lot_of_line]
    when = when + rank  # ties within a lot broken: a second apart at least
    global_order = np.argsort(when, kind="stable")
    draws = rng.random(len(when)).tolist()
    sizes_ = rng.random(len(when)).tolist()
    lot_list = lot_of_line[global_order].tolist()
    when_list = when[global_order].tolist()
    opening = lots["opening"].tolist()
    lot_ids = lots["id"].tolist()
    depot_ids = lots["depot_id"].tolist()
    item_ids = lots["item_id"].tolist()
    balance = [0] * n
    head = [GENESIS] * n
    epoch = datetime(1970, 1, 1, tzinfo=timezone.utc)
    total = len(lot_list)
    step = max(1, total // 10)
    started = time.perf_counter()

    def rows():
        for k in range(total):
            lot = lot_list[k]
            b = balance[lot]
            d, s = draws[k], sizes_[k]
            reason = None
            if head[lot] == GENESIS:
                kind, q = "receive", opening[lot]
            elif b == 0 or d < 0.15:
                kind, q = "receive", max(1, int(opening[lot] * (0.1 + 0.4 * s)))
            elif d < 0.60:
                kind, q = "issue", -max(1, int(b * 0.2 * s))
            elif d < 0.80:
                kind, q = "return", max(1, int(opening[lot] * 0.05 * s))
            elif d < 0.96:
                kind, q = "count", (1 if s < 0.3 else -1) * max(1, int(s * 3))
                if b + q < 0:
                    q = 1
            else:
                kind, q, reason = "write_off", -max(1, int(b * 0.05 * s)), "damaged"
            b += q
            created = epoch + timedelta(seconds=when_list[k])
            fields = {"lot_id": lot_ids[lot], "depot_id": depot_ids[lot], "item_id": item_ids[lot], "kind": kind,
                      "quantity": q, "balance_after": b, "user_id": user_id, "created_at": created,
                      "reason": reason, "note": NOTES[kind] if s < 0.25 else None, "reference": None,
                      "idempotency_key": None, "counterpart_id": None}
            digest = line_hash(head[lot], fields)
            yield (k + 1, kind, fields["lot_id"], fields["depot_id"], fields["item_id"], q, b, user_id, created,
                   reason, fields["note"], head[lot], digest)
            balance[lot] = b
            head[lot] = digest
            if (k + 1) % step == 0:
                rate = (k + 1) / (time.perf_counter() - started)
                progress(f"{size.name}: ledger {k + 1:,}/{total:,} lines ({rate:,.0f}/s)")

    _copy(engine, "movement", ["id", "kind", "lot_id", "depot_id", "item_id", "quantity", "balance_after",
                               "user_id", "created_at", "reason", "note", "prev_hash", "hash"], rows())
    _set_sequence(engine, "movement")
    with engine.begin() as c:
        c.exec_driver_sql("CREATE TEMPORARY TABLE lot_end (id integer PRIMARY KEY, quantity integer, "
                          "chain_head varchar(64))")
        cursor = c.connection.driver_connection.cursor()
        with cursor.copy("COPY lot_end (id, quantity, chain_head) FROM STDIN") as copy:
            for lot in range(n):
                copy.write_row((lot_ids[lot], balance[lot], head[lot]))
        c.exec_driver_sql("UPDATE lot SET quantity = lot_end.quantity, chain_head = lot_end.chain_head "
                          "FROM lot_end WHERE lot.id = lot_end.id")
    progress(f"{size.name}: ledger written, lots set to their last balance")


def _dispatch(engine, size: Size, depots: dict) -> None:
    from sqlmodel import select

    from common.db import UnitOfWork
    from dispatch.models import ReserveFloor
    from dispatch.settings import add_shelter
    from inventory.demo import _write_off_requests
    from inventory.models import Depot, Item

    with UnitOfWork(engine) as uow:
        s = uow.session
        items = dict(s.exec(select(Item.code, Item.id)).all())
        towns = s.exec(select(Depot).where(Depot.tier == "town").order_by(Depot.id)).all()
        for town in towns:
            for code, quantity in (("LV-0101", 10), ("LV-0201", 30), ("LV-1001", 20)):
                s.add(ReserveFloor(depot_id=town.id, item_id=items[code], quantity=quantity))
        for t in towns[:10]:
            add_shelter(uow, f"S-{t.code}-1", t.name.removesuffix("应急物资储备站") + "中学避难场所", t.code,
                        round(t.lat + 0.01, 5), round(t.lon + 0.01, 5), 3000,
                        t.name.removesuffix("应急物资储备站"))
        s.flush()
        _write_off_requests(uow, NOW - timedelta(hours=1))
        uow.commit()


def _incident(engine, size: Size, depots: dict, progress) -> int:
    from sqlmodel import Session, select

    from accounts.models import User
    from accounts.services import actor_for
    from dispatch import incidents, planning
    from dispatch.models import Shelter
    from counts import services as counts
    from orders.services import approve_plan

    with Session(engine) as s:
        dispatcher = actor_for(s, s.exec(select(User).where(User.username == "dispatcher")).one())
        shelters = [code for code in s.exec(select(Shelter.code).order_by(Shelter.id)).all()][:5]
    villages = [str(c) for c, t in zip(depots["code"], depots["tier"]) if t == "village"]
    wanted = size.incident_sites - len(shelters)
    stride = max(1, len(villages) // max(1, wanted * 4))  # the villages of the first towns, a few apart
    sites = villages[::stride][:wanted] + shelters
    people = [size.incident_people // len(sites)] * len(sites)
    people[0] += size.incident_people - sum(people)
    started = time.perf_counter()
    incident_id = incidents.declare(
        engine, dispatcher, type="flood", title=f"{size.name} flood", declared_at=NOW - timedelta(hours=6),
        sites=[{"site": code, "people": p} for code, p in zip(sites, people)], level="I",
        level_reason="bench: a city-wide flood")
    plan = planning.plan_incident(engine, dispatcher, incident_id, NOW, "Asia/Shanghai")
    orders = approve_plan(engine, dispatcher, NOW, incident_id=incident_id, plan_id=plan["id"])["orders"]
    progress(f"{size.name}: its plan approved: {len(orders):,} transfer orders")
    with Session(engine) as s:
        admin = actor_for(s, s.exec(select(User).where(User.username == "admin")).one())
    counts.start(engine, admin, NOW, depot=str(depots["code"][0]), note="bench: a count under way")
    progress(f"{size.name}: incident {incident_id} of {size.incident_people:,} people at {len(sites)} sites "
             f"planned in {time.perf_counter() - started:.1f} s")
    return incident_id


if __name__ == "__main__":
    import sys

    for name in sys.argv[1:] or ["city"]:
        print(template(name))
