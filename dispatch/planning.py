"""Planning an incident: build the allocation problem from the database, solve it, store both.

The problem carries only what the response level allows: stock of county depots, town stations and
transfer stations (village points hold their own villages' stock, already taken off the needs),
reserve floors less the share the level may draw, and routes the tier rules and time target permit.
"""
import math
from datetime import datetime, timezone
from operator import attrgetter
from typing import NamedTuple
from zoneinfo import ZoneInfo

import orjson
import sqlalchemy as sa
from sqlmodel import Session, select

from common.actor import ADMIN, AUDITOR, DISPATCHER, Actor
from common.db import UnitOfWork
from common.gc_pause import cycle_collection_paused
from common.errors import DomainError, NotFound
from dispatch import allocator, stock_read, stored_problem
from dispatch.incidents import _incident, needs_and_sites
from dispatch.models import Incident, Plan, ReserveFloor, TravelTime
from dispatch.norms import LevelRule
from dispatch.problem import Problem
from dispatch.report import explain
from dispatch.settings import PlanningSettings, load_levels, load_norms, load_settings
from dispatch.travel import estimate_minutes_to
from inventory.models import Depot, Item

_ITEM_COLUMNS = (Item.id, Item.code, Item.name_zh, Item.unit, Item.priority, Item.weight_kg, Item.volume_m3)
_DEPOT_COLUMNS = (Depot.id, Depot.code, Depot.tier, Depot.kind, Depot.parent_id, Depot.name, Depot.lat, Depot.lon)


class NothingToPlan(DomainError):
    code = "nothing_to_plan"


class BuiltProblem(NamedTuple):
    doc: dict  # the problem document without its stock array (``stored_problem`` writes the lots into it)
    version_id: int | None  # of the norms it follows
    problem: Problem  # what the document states, lots and all
    settings: PlanningSettings  # as read for it


def build_problem(session: Session, incident: Incident, now: datetime, tz: str) -> BuiltProblem:
    """The incident's allocation problem from the database. Depots and items are listed sorted by id, as the
    problem lists them."""
    norms = load_norms(session)
    normed = sorted({n.item for n in norms[1] if n.applies(incident.type, incident.level)})
    stock = stock_read.read_aside(session, normed)  # first: the longest part, done meanwhile by the database
    settings = load_settings(session)
    rule = {r.level: r for r in load_levels(session)}[incident.level]
    local_now = now.astimezone(ZoneInfo(tz))
    normed_items = sorted(session.connection().execute(select(*_ITEM_COLUMNS).where(Item.code.in_(normed))).all(),
                          key=attrgetter("code"))
    version_id, need_lines, sites = needs_and_sites(session, incident, local_now.date(), norms=norms,
                                                    settings=settings, items=normed_items)
    demand = [line for line in need_lines if line["net"] > 0]
    if not need_lines:
        raise NothingToPlan("the norms ask for nothing at these sites for this incident type and level", field="sites",
                            message_code="nothing_to_plan_no_norms")
    item_codes = {line["item"] for line in demand}
    items = [i for i in normed_items if i.code in item_codes]
    item_ids = {i.id: i.code for i in items}
    conn = session.connection()
    depots = sorted(conn.execute(select(*_DEPOT_COLUMNS).where(Depot.tier != "village")).all(), key=attrgetter("code"))
    depot_ids = {d.id for d in depots}
    codes = {d.id: d.code for d in depots}
    parents = {d.parent_id for d in depots if d.parent_id is not None} - depot_ids
    if parents:
        codes.update(conn.execute(select(Depot.id, Depot.code).where(Depot.id.in_(parents))).all())
    site_codes = sorted({line["site"] for line in need_lines})
    people = {line["site"]: line["people"] for line in need_lines}
    floors = _floors(session, depot_ids, item_ids, rule, codes)
    routes = _routes(session, depots, [sites[c] for c in site_codes], rule, settings)
    stock_columns = stock_read.problem_stock(stock.result(), depots, items)
    doc = {
        "format": "allocation-problem/1",
        "now": local_now.isoformat(timespec="seconds"),
        "min_shelf_days": settings.min_shelf_days,
        "fair_share_steps": settings.fair_share_steps,
        "incident": {"id": incident.id, "type": incident.type, "level": incident.level, "norm_version": version_id},
        "depots": [{"id": d.code, "tier": d.tier, "parent": codes.get(d.parent_id), "name": d.name,
                    "lat": d.lat, "lon": d.lon} for d in depots],
        "items": [{"id": i.code, "name": i.name_zh, "unit": i.unit, "priority": i.priority,
                   "weight_kg": i.weight_kg, "volume_m3": i.volume_m3} for i in items],
        "floors": floors,
        "sites": [{"id": c, "name": sites[c].name, "people": people[c], "lat": sites[c].lat, "lon": sites[c].lon}
                  for c in site_codes],
        "demand": [{"site": line["site"], "item": line["item"], "quantity": line["net"]} for line in demand],
        "routes": routes,
    }
    return BuiltProblem(doc, version_id, allocator.parse_problem(doc, stock=stock_columns), settings)


def _floors(session, depot_ids, item_ids, rule: LevelRule, codes) -> list[dict]:
    """What stays in each depot: its floor less the share the level may draw, rounded up."""
    rows = session.connection().execute(select(ReserveFloor.depot_id, ReserveFloor.item_id, ReserveFloor.quantity)
                                        .where(ReserveFloor.item_id.in_(item_ids))
                                        .order_by(ReserveFloor.depot_id, ReserveFloor.item_id)).all()
    kept = [(r, math.ceil(round(r.quantity * (1 - rule.floor_draw), 6))) for r in rows if r.depot_id in depot_ids]
    return [{"depot": codes[r.depot_id], "item": item_ids[r.item_id], "quantity": q} for r, q in kept if q > 0]


def _routes(session, depots, sites, rule: LevelRule, settings: PlanningSettings) -> list[dict]:
    overrides = dict(((depot_id, code), minutes) for depot_id, code, minutes in session.connection().execute(
        select(TravelTime.depot_id, TravelTime.site_code, TravelTime.minutes)
        .where(TravelTime.site_code.in_([site.code for site in sites]))).all())
    estimated = estimate_minutes_to(settings.travel(), [(d.tier, d.lat, d.lon) for d in depots],
                                    [(site.lat, site.lon) for site in sites])
    target = rule.time_target_minutes
    # (id, code, supplies every site) of each depot, read once: a city asks this of thousands of pairs
    sources = [(d.id, d.code, _supplies_every_site(d, rule)) for d in depots]
    routes = []
    for site, row in zip(sites, estimated):
        site_code, town_id = site.code, site.town_id
        for (depot_id, depot_code, everywhere), minutes in zip(sources, row):
            if not (everywhere or depot_id == town_id):
                continue
            minutes = overrides.get((depot_id, site_code), minutes)
            if minutes is None:
                continue  # no coordinates and no imported time: no route can be promised
            if minutes <= target:
                routes.append({"from": depot_code, "to": site_code, "minutes": minutes})
    return routes


def _supplies_every_site(depot, rule: LevelRule) -> bool:
    """Tier rules: the county depot and transfer stations supply every site; a town station supplies other towns'
    sites only where the level allows mutual aid (its own town's always: ``_routes``)."""
    return depot.tier == "county" or depot.kind == "transfer_station" or rule.mutual_aid


def plan_incident(engine, actor: Actor, incident_id: int, now: datetime, tz: str) -> dict:
    actor.require_role(ADMIN, DISPATCHER)
    with cycle_collection_paused(), UnitOfWork(engine) as uow:
        incident = _incident(uow.session, incident_id)
        doc, version_id, problem, settings = build_problem(uow.session, incident, now, tz)
        if not doc["demand"]:
            raise NothingToPlan("the sites' own points already hold everything the norms ask for", field="sites",
                                message_code="nothing_to_plan_covered")
        if not (problem.stock.expires >= problem.usable_from.toordinal()).any():
            raise NothingToPlan("no depot holds usable stock of any needed item: nothing can be sent", field="stock",
                                message_code="nothing_to_plan_no_stock")
        plan = allocator.solve(problem)
        row = Plan(incident_id=incident.id, norm_version_id=version_id, problem=stored_problem.dumps(doc, problem),
                   plan=orjson.dumps(plan).decode(), objective=plan["objective"], created_by=actor.user_id,
                   created_at=now)
        row.id, report = _insert_while(uow, row, lambda: explain(
            doc, plan, settings.vehicle_capacity_kg, settings.vehicle_capacity_m3, problem))
        uow.commit()
        return _answer(row, plan, report)


def _insert_while(uow: UnitOfWork, row: Plan, work):
    """Inserts the plan row and does ``work()``: (the row's id, what ``work`` gave). On PostgreSQL the insert is
    sent in pipeline mode, so the database compresses and logs a city's megabyte of documents while ``work`` runs
    here."""
    values = row.model_dump(exclude={"id"})
    conn = uow.session.connection()
    if conn.dialect.name != "postgresql":
        return conn.execute(sa.insert(Plan).values(**values).returning(Plan.id)).scalar_one(), work()
    values["created_at"] = values["created_at"].astimezone(timezone.utc)  # as UTCDateTime binds it
    insert = sa.insert(Plan).values(**values).returning(Plan.id).compile(dialect=conn.dialect)
    driver = conn.connection.driver_connection
    with driver.pipeline(), driver.cursor() as cursor:
        cursor.execute(str(insert), insert.params)
        done = work()
        (row_id,) = cursor.fetchone()
    return row_id, done


def latest_plan(engine, actor: Actor, incident_id: int) -> dict:
    actor.require_role(ADMIN, DISPATCHER, AUDITOR)
    with Session(engine) as s:
        _incident(s, incident_id)
        row = s.exec(select(Plan).where(Plan.incident_id == incident_id).order_by(Plan.id.desc())).first()
        if row is None:
            raise NotFound(f"incident {incident_id} has no plan yet", field="incident", message_code="plan_none_yet",
                           params={"incident": incident_id})
        doc, problem = stored_problem.parsed(row.problem)
        plan, settings = orjson.loads(row.plan), load_settings(s)
        return _answer(row, plan, explain(doc, plan, settings.vehicle_capacity_kg, settings.vehicle_capacity_m3,
                                          problem))


def planned_problem(engine, actor: Actor, incident_id: int, now: datetime, tz: str) -> dict:
    """The exact document the latest plan was solved from; before any plan, the one it would be."""
    actor.require_role(ADMIN, DISPATCHER, AUDITOR)
    with Session(engine) as s:
        incident = _incident(s, incident_id)
        row = s.exec(select(Plan).where(Plan.incident_id == incident_id).order_by(Plan.id.desc())).first()
        if row is not None:
            return stored_problem.document(row.problem)
        built = build_problem(s, incident, now, tz)
        return stored_problem.with_stock_rows(built.doc, built.problem)


def _answer(row: Plan, plan: dict, report: dict) -> dict:
    return {"id": row.id, "incident": row.incident_id, "norm_version": row.norm_version_id,
            "created_at": row.created_at.isoformat(), "plan": plan, "report": report}
