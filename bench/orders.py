"""Transfer orders: generating them from a province-scale plan, and the time from approval to the keepers' phones.

(a) Order generation. The province of ``bench/instances.py`` (seed as bench/allocation.py) is solved by
``dispatch.allocator``; its plan (about 87,000 lot-level transfers) is stored with what it names (the source
depots, the destination village points and shelters, the lots, the 45 items) in SQLite and PostgreSQL. Each round
approves the plan of a fresh incident through ``orders.services.approve_plan`` — read the plan, check every depot,
site, item and lot it names, one order per (source, site) with its lines' pick lists first-expiry-first-out and an
"approved" event each, and the answer with every order's summary — and, turn about, writes the same rows (orders,
lines with their pick lists, events) for another incident with plain multi-row inserts (SQLAlchemy Core, one
executemany per table, the order ids read back by code). The ratio is service ÷ plain inserts.

(b) Approval to the keepers' phones at county scale. The demo county (``inventory.demo``, ``dispatch.demo``), a
level I flood at 62 sites planned by ``dispatch.planning``; each round, a fresh incident's plan is approved through
``POST /api/v1/incidents/<id>/plans/<plan>/approve`` (the dispatcher's token), then the demo keeper (of T01 and two
village points) asks ``GET /api/v1/orders`` as the scanning page does, and the new orders are in the answer. Beside
them, in the same run and the same in-process app, ``GET /bench/bare`` (a small JSON, no token, no database: the
floor every request stands on, as in bench/scan.py). Reported: each step's median and its ratio to the bare request.
"""
import gc
import os
import json
import statistics
import time
from collections import defaultdict
from datetime import date, datetime, timezone

import sqlalchemy as sa

from bench import log, markdown_table, paired_ratios
from bench.ledger import _postgres_database, _sqlite_database

SEED = 20260701  # bench/allocation.py's
SCALE = os.environ.get("BENCH_ORDERS_SCALE", "province")  # "county" for a quick look
ROUNDS = 3
COUNTY_ROUNDS = 7
TZ = "Asia/Shanghai"


# ---------------------------------------------------------------- (a) province: service against plain inserts


def province_plan() -> dict:
    """The province plan's transfers and just the rows they name (depots, sites, lots, items)."""
    from bench.instances import generate
    from dispatch.allocator import parse_problem, solve

    log(f"orders: generating and solving the {SCALE} (seed {SEED})")
    doc = generate(SCALE, SEED)
    plan = solve(parse_problem(doc))
    transfers = plan["transfers"]
    del plan
    lots = {t["lot"] for t in transfers}
    depots_named = {t["from"] for t in transfers} | {t["to"] for t in transfers}
    depots = [d for d in doc["depots"] if d["id"] in depots_named]
    depot_ids = {d["id"] for d in depots}
    shelters = sorted({t["to"] for t in transfers} - depot_ids)
    stock = [row for row in doc["stock"] if row["lot"] in lots]
    items = doc["items"]
    del doc
    gc.collect()
    log(f"orders: {len(transfers):,} transfers, {len(depots):,} depots, {len(shelters):,} shelters, "
        f"{len(stock):,} lots")
    return {"transfers": transfers, "depots": depots, "shelters": shelters, "stock": stock, "items": items}


def _load_province(engine, data: dict):
    """The named rows with Core inserts, and a dispatcher; returns the dispatcher's Actor."""
    from accounts.services import add_user
    from common.actor import DISPATCHER, Actor
    from common.db import UnitOfWork
    from dispatch.models import Shelter
    from inventory.models import Depot, Item, Lot

    with UnitOfWork(engine) as uow:
        user = add_user(uow, "dispatcher", "bench-pass-2026", DISPATCHER)
        uow.commit()
        actor = Actor(user_id=user.id, username="dispatcher", role=DISPATCHER)
    now, today = datetime.now(timezone.utc), date(2026, 7, 1)
    with engine.begin() as c:
        c.execute(sa.insert(Item.__table__), [
            {"code": i["id"], "name_zh": i["name"], "name_en": i["id"], "category": "living", "unit": i["unit"],
             "weight_kg": i["weight_kg"], "volume_m3": i["volume_m3"], "priority": i["priority"]}
            for i in data["items"]])
        c.execute(sa.insert(Depot.__table__), [
            {"code": d["id"], "name": d["name"], "tier": d["tier"], "kind": "station", "path": "/", "lat": d["lat"],
             "lon": d["lon"], "key_town": False} for d in data["depots"]])
        depot = {code: i for i, code in c.execute(sa.select(Depot.id, Depot.code)).all()}
        item = {code: i for i, code in c.execute(sa.select(Item.id, Item.code)).all()}
        any_depot = next(iter(depot.values()))
        if data["shelters"]:
            c.execute(sa.insert(Shelter.__table__), [
                {"code": code, "name": code, "town_id": any_depot, "lat": 29.0, "lon": 105.0} for code in data["shelters"]])
        c.execute(sa.insert(Lot.__table__), [
            {"code": row["lot"], "item_id": item[row["item"]], "depot_id": depot[row["depot"]],
             "quantity": row["quantity"], "received_on": today,
             "expires_on": date.fromisoformat(row["expires"]) if row["expires"] else None, "storage_mode": "physical",
             "source": "purchase", "created_at": now, "chain_head": "0" * 64} for row in data["stock"]])
    return actor


def _new_plan(engine, actor, transfers_json: str) -> tuple[int, int]:
    from dispatch.models import Incident, Plan

    now = datetime.now(timezone.utc)
    with engine.begin() as c:
        incident = c.execute(sa.insert(Incident.__table__).values(
            type="flood", title="bench", level="I", declared_at=now, created_by=actor.user_id, created_at=now)
            .returning(Incident.__table__.c.id)).scalar_one()
        plan = c.execute(sa.insert(Plan.__table__).values(
            incident_id=incident, norm_version_id=None, problem="{}", objective=0, plan=transfers_json,
            created_by=actor.user_id, created_at=now).returning(Plan.__table__.c.id)).scalar_one()
    return incident, plan


def plain_rows(data: dict) -> tuple[list[dict], list[tuple[int, dict]], list[int]]:
    """The rows an approval writes, built once outside the timing: orders (without incident and plan), lines (the
    order's index, the row without order_id) and the lines per order (for the events)."""
    groups: dict[tuple[str, str], dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for t in data["transfers"]:
        groups[t["from"], t["to"]][t["item"]].append((t["lot"], int(t["quantity"])))
    expiry = {row["lot"]: (row["expires"] is None, row["expires"] or "9999", row["lot"]) for row in data["stock"]}
    orders, lines, counts = [], [], []
    for n, ((source, site), by_item) in enumerate(sorted(groups.items())):
        orders.append({"source": source, "site": site})
        counts.append(len(by_item))
        for item, parts in sorted(by_item.items()):
            parts.sort(key=lambda part: expiry[part[0]])
            lines.append((n, {"item": item, "planned": sum(q for _, q in parts),
                              "planned_lots": json.dumps([{"lot": lot, "quantity": q} for lot, q in parts])}))
    return orders, lines, counts


def write_plain(engine, actor, incident: int, plan: int, prepared) -> int:
    """The same rows with plain Core multi-row inserts (one executemany per table); returns the rows written."""
    from orders.models import TransferEvent, TransferLine, TransferOrder

    orders, lines, counts = prepared
    now = datetime.now(timezone.utc)
    with engine.begin() as c:
        depot = {code: i for i, code in c.execute(sa.select(sa.text("id"), sa.text("code")).select_from(
            sa.table("depot"))).all()}
        shelter = {code: i for i, code in c.execute(sa.select(sa.text("id"), sa.text("code")).select_from(
            sa.table("shelter"))).all()}
        item = {code: i for i, code in c.execute(sa.select(sa.text("id"), sa.text("code")).select_from(
            sa.table("item"))).all()}
        c.execute(sa.insert(TransferOrder.__table__), [
            {"code": f"DO-{incident}-{n + 1}", "incident_id": incident, "plan_id": plan, "norm_version_id": None,
             "source_depot_id": depot[o["source"]], "destination_kind": "depot" if o["site"] in depot else "shelter",
             "destination_code": o["site"], "destination_depot_id": depot.get(o["site"]),
             "destination_shelter_id": None if o["site"] in depot else shelter[o["site"]], "state": "approved",
             "approved_by": actor.user_id, "approved_at": now} for n, o in enumerate(orders)])
        ids = dict(c.execute(sa.select(TransferOrder.code, TransferOrder.id)
                             .where(TransferOrder.incident_id == incident)).all())
        order_id = [ids[f"DO-{incident}-{n + 1}"] for n in range(len(orders))]
        c.execute(sa.insert(TransferLine.__table__), [
            {"order_id": order_id[n], "item_id": item[row["item"]], "planned": row["planned"],
             "planned_lots": row["planned_lots"], "picked": 0, "shipped": 0, "received": 0, "short": 0, "damaged": 0}
            for n, row in lines])
        c.execute(sa.insert(TransferEvent.__table__), [
            {"order_id": order_id[n], "action": "approved", "user_id": actor.user_id, "username": actor.username,
             "at": now, "details": json.dumps({"plan": plan, "norm_version": None, "lines": counts[n]})}
            for n in range(len(orders))])
    return len(orders) * 2 + len(lines)


def _measure_province(name: str, url: str, data: dict) -> dict:
    from common.db import make_engine
    from common.migrate import upgrade
    from orders import services

    upgrade(url)
    engine = make_engine(url)
    try:
        actor = _load_province(engine, data)
        transfers_json = json.dumps({"format": "allocation-plan/1", "status": "optimal", "objective": 0,
                                     "transfers": data["transfers"]})
        prepared = plain_rows(data)
        times = {"service": [], "plain": []}
        made = None

        def service():
            nonlocal made
            incident, plan = _new_plan(engine, actor, transfers_json)
            start = time.perf_counter()
            made = services.approve_plan(engine, actor, datetime.now(timezone.utc), incident_id=incident,
                                         plan_id=plan)
            return time.perf_counter() - start

        def plain():
            incident, plan = _new_plan(engine, actor, transfers_json)
            start = time.perf_counter()
            write_plain(engine, actor, incident, plan, prepared)
            return time.perf_counter() - start

        service(), plain()  # warm up
        for r in range(ROUNDS):
            for turn in (("service", service), ("plain", plain))[::1 if r % 2 == 0 else -1]:
                times[turn[0]].append(turn[1]())
            log(f"orders province {name} round {r + 1}/{ROUNDS}: service {times['service'][-1]:.2f} s, "
                f"plain {times['plain'][-1]:.2f} s")
        orders, lines, _ = prepared
        assert len(made["orders"]) == len(orders), "the service made another number of orders than the plain rows"
        return {"name": name, "orders": len(orders), "lines": len(lines), "times": times,
                "ratios": paired_ratios(times["service"], times["plain"])}
    finally:
        engine.dispose()


# ---------------------------------------------------------------- (b) county: approval to the keeper's phone


def _measure_county(name: str, url: str) -> dict:  # noqa: C901 (one story, read top to bottom)
    from flask import jsonify
    from sqlmodel import Session, select

    from accounts.models import User
    from accounts.services import actor_for, issue_token
    from app import create_app
    from common.migrate import upgrade
    from dispatch import incidents, planning
    from dispatch.demo import load_dispatch_demo
    from inventory.demo import load_demo

    upgrade(url)
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "bench", "BASE_URL": "http://bench"})

    @app.get("/bench/bare")
    def bench_bare():
        return jsonify(ok=True)

    engine = app.extensions["engine"]
    try:
        now = datetime.now(timezone.utc)
        load_demo(engine, now.date())
        load_dispatch_demo(engine)
        with Session(engine) as s:
            dispatcher = actor_for(s, s.exec(select(User).where(User.username == "dispatcher")).one())
            keeper = actor_for(s, s.exec(select(User).where(User.username == "keeper")).one())
        headers = {"dispatcher": {"Authorization": f"Bearer {issue_token(engine, dispatcher.user_id, 'bench')}"},
                   "keeper": {"Authorization": f"Bearer {issue_token(engine, keeper.user_id, 'bench')}"}}
        sites = [{"site": f"T{t:02d}-V{v:02d}", "people": 150 + 10 * v} for t in range(1, 13) for v in range(1, 6)]
        sites += [{"site": "S-T01-1", "people": 1200}, {"site": "S-T02-1", "people": 700}]
        client = app.test_client()
        times = {"approve": [], "list": [], "bare": []}
        counts = {}

        def fresh_plan() -> tuple[int, int]:
            at = datetime.now(timezone.utc)
            incident = incidents.declare(engine, dispatcher, type="flood", title="bench", declared_at=at, sites=sites,
                                         level="I", level_reason="bench")
            plan = planning.plan_incident(engine, dispatcher, incident, at, TZ)
            return incident, plan["id"]

        def timed(method, path, who=None):
            start = time.perf_counter()
            r = method(path, headers=headers.get(who, {}))
            seconds = time.perf_counter() - start
            assert r.status_code in (200, 201), (path, r.status_code, r.get_data(as_text=True)[:300])
            return seconds, r.get_json()

        for r in range(COUNTY_ROUNDS + 1):  # the first round warms up
            incident, plan = fresh_plan()
            approve, answer = timed(client.post, f"/api/v1/incidents/{incident}/plans/{plan}/approve", "dispatcher")
            listed, phone = timed(client.get, "/api/v1/orders", "keeper")
            new = [o for o in phone if o["incident"] == incident]
            assert new, "the keeper's list shows none of the new orders"
            bare = statistics.median(timed(client.get, "/bench/bare")[0] for _ in range(20))
            counts = {"orders": len(answer["orders"]), "keeper_orders": len(new), "keeper_listed": len(phone)}
            if r:
                times["approve"].append(approve)
                times["list"].append(listed)
                times["bare"].append(bare)
                log(f"orders county {name} round {r}/{COUNTY_ROUNDS}: approve {approve * 1000:.0f} ms, "
                    f"keeper's list {listed * 1000:.0f} ms, bare {bare * 1000:.2f} ms")
        return {"name": name, "times": times, **counts}
    finally:
        engine.dispose()


# ---------------------------------------------------------------- report


def _on_both(measure, *args) -> tuple[list[dict], list[str]]:
    results, notes = [], []
    url, cleanup = _sqlite_database()
    try:
        results.append(measure("SQLite", url, *args))
    finally:
        cleanup()
    pg, problem = _postgres_database()
    if pg is None:
        notes.append(f"PostgreSQL not reachable ({problem}): only SQLite measured.")
    else:
        url, drop = pg
        try:
            results.append(measure("PostgreSQL", url, *args))
        finally:
            drop()
    return results, notes


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:,.0f}"


def run() -> str:
    data = province_plan()
    province, notes_a = _on_both(_measure_province, data)
    transfers = len(data["transfers"])
    del data
    gc.collect()
    county, notes_b = _on_both(_measure_county)
    med = statistics.median
    table_a = markdown_table(
        ["database", "orders / lines", "approval service (ms)", "plain multi-row inserts (ms)",
         "service ÷ plain: median (min–max)"],
        [[r["name"], f"{r['orders']:,} / {r['lines']:,}", _ms(med(r["times"]["service"])),
          _ms(med(r["times"]["plain"])),
          f"{med(r['ratios']):.2f}× ({min(r['ratios']):.2f}–{max(r['ratios']):.2f})"] for r in province])
    table_b = markdown_table(
        ["database", "orders made / the keeper's", "approve (ms)", "keeper's `GET /api/v1/orders` (ms)",
         "bare request (ms)", "approve ÷ bare", "list ÷ bare", "approval to phone (ms)"],
        [[r["name"], f"{r['orders']} / {r['keeper_orders']}", _ms(med(r["times"]["approve"])),
          _ms(med(r["times"]["list"])), f"{med(r['times']['bare']) * 1000:.2f}",
          f"{med(paired_ratios(r['times']['approve'], r['times']['bare'])):,.0f}×",
          f"{med(paired_ratios(r['times']['list'], r['times']['bare'])):,.0f}×",
          _ms(med([a + b for a, b in zip(r["times"]["approve"], r["times"]["list"])]))] for r in county])
    return "\n".join([
        "## Transfer orders: generation and approval to the phones",
        "",
        f"**Order generation from a province-scale plan** ({transfers:,} lot transfers, `bench/instances.py` "
        f"province solved by the allocator): {ROUNDS} rounds, each approving a fresh incident's plan through "
        "`orders.services.approve_plan` (checks, orders, lines with their first-expiry-first-out pick lists, "
        "events, and the answer's order summaries) and, turn about, writing the same rows with plain SQLAlchemy "
        "Core multi-row inserts; medians, and the per-round ratio.",
        "",
        table_a,
        "",
        f"**Approval to the keepers' phones at county scale** (the demo county, a level I flood at 62 sites): "
        f"{COUNTY_ROUNDS} rounds, each approving a fresh incident's plan through the API as the dispatcher, then "
        "the demo keeper's `GET /api/v1/orders` (what the scanning page asks) with the new orders in it; beside "
        "them a bare `GET /bench/bare` on the same in-process app (median of 20 per round). The ratios are per "
        "round; \"approval to phone\" is approve + list.",
        "",
        table_b,
        *(["", *notes_a, *notes_b] if notes_a or notes_b else []),
    ]) + "\n"


if __name__ == "__main__":
    print(run())
