"""The map's data, scoped to who asks: gathers plain values through the read services of the packages below
(inventory's depots, audit's reserve sufficiency, dispatch's incidents, needs and latest plan, orders' list)
and hands them to ``figures.build``.

Who sees what: administrators, dispatchers and auditors read every depot, shelter, incident and order in
transit; a keeper the depots they keep, the shelters in their towns' areas and the orders in transit leaving
from or going to their depots — no incidents (the incident pages are not theirs either)."""
from datetime import date

import sqlalchemy as sa
from sqlmodel import Session, select

from audit import reports
from common.actor import ADMIN, AUDITOR, DISPATCHER, Actor
from common.errors import BadQuery, NotFound
from dispatch import incident_view, incidents, planning
from dispatch.models import Incident, Shelter
from inventory import queries
from inventory.models import TIERS, Depot, Item, Lot
from maps import figures
from orders import services as orders
from orders.models import TransferLine, TransferOrder
from orders.rules import PARTLY_RECEIVED, SHIPPED
from transport.routes_view import routes_for_map

INCIDENT_READERS = (ADMIN, DISPATCHER, AUDITOR)
NEWEST_INCIDENTS = 10  # incidents drawn when none is chosen: the newest ones
IN_TRANSIT = (SHIPPED, PARTLY_RECEIVED)


def read_filters(args) -> dict:
    """tier, item and incident from a query string; one that cannot be read is a 400 naming it."""
    tier = (args.get("tier") or "").strip() or None
    if tier is not None and tier not in TIERS:
        raise BadQuery(f"tier must be one of {', '.join(TIERS)}", field="tier", message_code="map_bad_tier",
                       params={"value": tier[:40]})
    item = (args.get("item") or "").strip() or None
    if item is not None and len(item) > 40:
        raise BadQuery("item is an item code", field="item", message_code="map_bad_item", params={"value": item[:40]})
    incident = (args.get("incident") or "").strip() or None
    if incident is not None:
        if not incident.isdigit() or len(incident) > 12:
            raise BadQuery("incident is an incident's number", field="incident", message_code="map_bad_incident",
                           params={"value": incident[:40]})
        incident = int(incident)
    return {"tier": tier, "item": item, "incident": incident}


def map_data(engine, actor: Actor, today: date, *, tier: str | None = None, item: str | None = None,
             incident: int | None = None) -> dict:
    """The map's layers (``figures.build``) for ``actor``: an unknown item is a 400, an unknown incident a 404,
    an incident asked by a keeper a 403."""
    sees_incidents = actor.role in INCIDENT_READERS
    if incident is not None:
        actor.require_role(*INCIDENT_READERS)
    with Session(engine) as s:
        if item is not None and s.exec(select(Item.id).where(Item.code == item)).first() is None:
            raise BadQuery(f"no item with code {item}", field="item", message_code="map_bad_item",
                           params={"value": item})
        if incident is not None and s.get(Incident, incident) is None:
            raise NotFound(f"no incident {incident}", field="incident", message_code="incident_unknown",
                           params={"incident": incident})
        newest = [incident] if incident is not None else list(s.exec(
            select(Incident.id).order_by(Incident.id.desc()).limit(NEWEST_INCIDENTS + 1)).all()) if sees_incidents else []
        units = _units(s, actor, item)
        shelters = _shelters(s, actor)
    more = len(newest) > NEWEST_INCIDENTS
    depots = queries.list_depots(engine, actor)
    sufficiency = reports.sufficiency(engine, actor, today, reports.Filters(item=item))
    coverage = {r["depot"]: r["coverage"] for r in sufficiency["counties"] + sufficiency["towns"]}
    drawn = [_incident(engine, actor, today, i, item) for i in newest[:NEWEST_INCIDENTS]]
    in_transit = _in_transit(engine, actor, incident, item)
    codes = {d["code"] for d in depots} | {x["code"] for x in shelters} | \
        {c for o in in_transit for c in (o["source"], o["destination"])} | \
        {c for i in drawn for ln in i["lines"] for c in (ln["from"], ln["to"])}
    with Session(engine) as s:
        places = _places(s, codes)
        # vehicle routes of the incidents drawn (keepers see the orders coming to them, not the fleet's routes)
        routes = routes_for_map(s, newest[:NEWEST_INCIDENTS]) if sees_incidents else []
    data = figures.build(depots=depots, units=units, coverage=coverage, shelters=shelters, incidents=drawn,
                         orders=in_transit, routes=routes, places=places, tier=tier, item=item, incident=incident)
    data["incidents_more"] = more
    return data


def _units(s: Session, actor: Actor, item: str | None) -> dict[str, int]:
    """Units on hand per depot code (of one item when named), of the depots the actor reads."""
    query = select(Depot.code, sa.func.sum(Lot.quantity)).join(Depot, Depot.id == Lot.depot_id).where(Lot.quantity > 0)
    if item is not None:
        query = query.join(Item, Item.id == Lot.item_id).where(Item.code == item)
    if not actor.reads_everything:
        query = query.where(Lot.depot_id.in_(actor.depot_ids or {-1}))
    return {code: int(units) for code, units in s.exec(query.group_by(Depot.code)).all()}


def _shelters(s: Session, actor: Actor) -> list[dict]:
    query = select(Shelter).order_by(Shelter.code)
    if not actor.reads_everything:
        query = query.where(Shelter.town_id.in_(actor.depot_ids or {-1}))
    return [{"code": x.code, "name": x.name, "lat": x.lat, "lon": x.lon, "capacity": x.capacity}
            for x in s.exec(query).all()]


def _places(s: Session, codes: set[str]) -> dict[str, list[float] | None]:
    places: dict[str, list[float] | None] = dict.fromkeys(codes)
    wanted = sorted(codes)
    for start in range(0, len(wanted), 5000):
        chunk = wanted[start:start + 5000]
        for code, lat, lon in s.exec(select(Depot.code, Depot.lat, Depot.lon).where(Depot.code.in_(chunk))).all():
            places[code] = [lat, lon] if lat is not None and lon is not None else None
        for code, lat, lon in s.exec(select(Shelter.code, Shelter.lat, Shelter.lon).where(Shelter.code.in_(chunk))).all():
            places[code] = [lat, lon]
    return places


def _incident(engine, actor: Actor, today: date, incident_id: int, item: str | None) -> dict:
    """An incident's sites with the fill rate of its latest plan (the lowest of one item at the site, or the
    named item's) and that plan's lines, as the incident page reads them (``dispatch.incident_view``)."""
    details = incidents.get(engine, actor, incident_id)
    needs = incidents.needs_for(engine, actor, incident_id, today)
    try:
        answer = planning.latest_plan(engine, actor, incident_id)
    except NotFound:
        answer = None
    fill = answer["report"]["fill"] if answer else None
    rows = {r["site"]: r for r in incident_view.site_rows(details["sites"], needs["lines"], fill,
                                                         incident_view.Filters())}
    needed = {line["item"] for line in needs["lines"]}
    of_item = {r["site"]: r for r in incident_view.site_rows(details["sites"], needs["lines"], fill,
                                                            incident_view.Filters(item=item))} \
        if item is not None and item in needed else {}
    with Session(engine) as s:
        where = incidents.resolve_sites(s, [x["site"] for x in details["sites"]])
    sites = []
    for x in details["sites"]:
        row, at = rows.get(x["site"]), where.get(x["site"])
        if item is not None:
            line = of_item.get(x["site"], {}).get("line")
            rate = line["fill_rate"] if line else None
        else:
            rate = row["lowest"]["rate"] if row and row["lowest"] else (1.0 if fill is not None and row and
                                                                        not row["to_send"] else None)
        sites.append({"site": x["site"], "name": x["name"], "people": x["people"], "fill_rate": rate,
                      "lat": at.lat if at else None, "lon": at.lon if at else None})
    lines = incident_view.plan_lines(answer["plan"]["transfers"]) if answer else []
    return {"id": details["id"], "title": details["title"], "level": details["level"], "sites": sites,
            "lines": lines}


def _in_transit(engine, actor: Actor, incident: int | None, item: str | None) -> list[dict]:
    """Orders shipped and not yet received in full, the actor's (a keeper: leaving from or going to a depot they
    keep), with the units still on the road (of one item when named; orders without it left out)."""
    found = [o for state in IN_TRANSIT for o in orders.list_orders(engine, actor, incident=incident, state=state)]
    if item is None:
        return [{**o, "in_transit": o["totals"]["in_transit"]} for o in found]
    if not found:
        return []
    left = TransferLine.shipped - TransferLine.received - TransferLine.short - TransferLine.damaged
    with Session(engine) as s:
        carried = dict(s.exec(select(TransferOrder.code, sa.func.sum(left))
                              .join(TransferOrder, TransferOrder.id == TransferLine.order_id)
                              .join(Item, Item.id == TransferLine.item_id)
                              .where(Item.code == item, TransferOrder.code.in_([o["code"] for o in found]))
                              .group_by(TransferOrder.code)).all())
    return [{**o, "in_transit": int(carried[o["code"]])} for o in found if carried.get(o["code"])]
