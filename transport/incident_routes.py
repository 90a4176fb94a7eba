"""An incident's routes: the routing problem built from the database, planned with
``transport.planner.plan_routes`` and stored (``RoutePlan`` + one ``RouteStop`` per truckload), then changed by
the dispatcher: a stop moved to another vehicle, a route locked, the rest planned again.

What is planned: the truckloads (``transport.loads``) of the incident's orders not yet shipped (approved or
picking), carried by the vehicles called in for it that are not out of service. Kept as they are when planning
again: the routes of locked vehicles, and every stop whose order has been shipped (started) with the vehicle that
carries it; those vehicles are kept out of the new problem. A vehicle taken out of service gives its unstarted
stops back (unserved, ``vehicle_out``, until the next planning); its started ones stay with it.
"""
import json
import math
from datetime import datetime

from sqlmodel import Session, delete, select

from common.actor import ADMIN, AUDITOR, DISPATCHER, Actor
from common.db import UnitOfWork
from common.errors import DomainError, InvalidInput, NotFound
from dispatch.models import Incident, Shelter, TravelTime
from dispatch.settings import load_levels, load_settings
from inventory.models import Depot, Item
from orders.models import TransferLine, TransferOrder
from orders.rules import APPROVED, PICKING
from transport import loads as loads_
from transport import routing
from transport.fleet import _incident, called_vehicles
from transport.models import IncidentVehicle, RoutePlan, RouteStop, Vehicle

PLANNERS = (ADMIN, DISPATCHER)
READERS = (ADMIN, DISPATCHER, AUDITOR)
UNPLANNED = (APPROVED, PICKING)  # orders whose loads have not left: they may be (re)planned
MAX_TRIPS = 3
REASONS = ("no_vehicle", "too_late", "no_capacity", "vehicle_out", "no_route", "not_planned")


# ---------------------------------------------------------------- what the planner is asked


class _Context:
    """What a planning of one incident reads from the database, gathered once."""

    def __init__(self, s: Session, incident: Incident, now: datetime, time_limit_seconds: int = 5):
        self.s, self.incident, self.now = s, incident, now
        settings = load_settings(s)
        self.travel = settings.travel()
        handling = int(settings.handling_minutes)
        self.timing = routing.Timing(service_minutes=handling, reload_minutes=handling, max_trips=MAX_TRIPS,
                                     time_limit_seconds=time_limit_seconds)
        rule = next((r for r in load_levels(s) if r.level == incident.level), None)
        self.target = rule.time_target_minutes if rule else 24 * 60
        elapsed = max(0, math.floor((now - incident.declared_at).total_seconds() / 60))
        self.latest = max(0, self.target - elapsed)
        self.depots = {d.id: d for d in s.exec(select(Depot)).all()}
        self.depot_by_code = {d.code: d for d in self.depots.values()}
        self.overrides = {(self.depots[t.depot_id].code, t.site_code): t.minutes
                          for t in s.exec(select(TravelTime)).all() if t.depot_id in self.depots}
        self._shelters: dict[str, Shelter] = {}

    def place(self, code: str) -> routing.Place | None:
        depot = self.depot_by_code.get(code)
        if depot is not None:
            d = depot
            while d is not None and None in (d.lat, d.lon):  # a point without coordinates: its town's
                d = self.depots.get(d.parent_id)
            return None if d is None else routing.Place(code, d.lat, d.lon, depot.tier)
        shelter = self._shelters.get(code) or self.s.exec(select(Shelter).where(Shelter.code == code)).first()
        if shelter is None:
            return None
        self._shelters[code] = shelter
        return routing.Place(code, shelter.lat, shelter.lon, "village")

    def minutes(self, a: str, b: str) -> int:
        pa, pb = self.place(a), self.place(b)
        if pa is None or pb is None:
            return 0
        return routing.travel_minutes(self.travel, pa, pb, self.overrides)


def _order_loads(s: Session, order_ids: list[int]) -> dict[int, tuple[int, int]]:
    lines: dict[int, list] = {}
    if order_ids:
        for line, item in s.exec(select(TransferLine, Item).join(Item, Item.id == TransferLine.item_id)
                                 .where(TransferLine.order_id.in_(order_ids))):
            lines.setdefault(line.order_id, []).append((line.planned, item.weight_kg, item.volume_m3))
    return {oid: loads_.order_load(lines.get(oid, [])) for oid in order_ids}


def _gather(ctx: _Context) -> dict:
    """Trucks to plan with, loads to plan, stops kept as they are, and loads left out of the problem."""
    s, incident_id = ctx.s, ctx.incident.id
    called = s.exec(select(IncidentVehicle, Vehicle).join(Vehicle, Vehicle.id == IncidentVehicle.vehicle_id)
                    .where(IncidentVehicle.incident_id == incident_id)).all()
    orders = {o.id: o for o in s.exec(select(TransferOrder).where(TransferOrder.incident_id == incident_id)).all()}
    stops = s.exec(select(RouteStop).where(RouteStop.incident_id == incident_id)).all()
    locked = {v.id for iv, v in called if iv.locked}
    kept = [r for r in stops if r.vehicle_id is not None and
            (r.vehicle_id in locked or orders[r.order_id].state not in UNPLANNED)]
    busy = {r.vehicle_id for r in kept} | locked
    trucks = []
    for iv, v in called:
        if v.id in busy or v.status == "out_of_service":
            continue
        depot = ctx.depots[iv.depot_id]
        if ctx.place(depot.code) is None:
            continue
        kg, m3 = loads_.capacity_units(v.capacity_kg, v.capacity_m3)
        trucks.append(routing.Truck(v.plate, depot.code, kg, m3,
                                    v.arrival_minutes or 0 if v.kind == "partner" else 0))
    kept_ids = {r.id for r in kept}
    kept_orders = {r.order_id for r in kept}
    planned: list[loads_.Load] = []
    # an order with a kept stop: its other truckloads are planned again as they were split
    for r in stops:
        if r.id not in kept_ids and r.order_id in kept_orders and orders[r.order_id].state in UNPLANNED:
            planned.append(loads_.Load(r.stop, orders[r.order_id].code, r.source, r.location, r.load_kg, r.load_m3x100))
    fresh = [o for o in orders.values() if o.state in UNPLANNED and o.id not in kept_orders]
    amounts = _order_loads(s, [o.id for o in fresh])
    for o in sorted(fresh, key=lambda o: o.code):
        source = ctx.depots[o.source_depot_id].code
        capacities = [(t.kg, t.m3x100) for t in trucks if t.start == source]
        kg, m3 = amounts[o.id]
        planned.extend(loads_.truckloads(o.code, source, o.destination_code, kg, m3, capacities))
    order_ids = {o.code: o.id for o in orders.values()}
    left_out, to_plan = [], []
    for load in planned:
        if ctx.place(load.location) is None or ctx.place(load.source) is None:
            left_out.append((load, "no_route"))
        elif not routing.carriable(load, trucks):
            left_out.append((load, "no_vehicle"))
        else:
            to_plan.append(load)
    return {"trucks": trucks, "loads": to_plan, "left_out": left_out, "kept": kept, "order_ids": order_ids}


def _problem(ctx: _Context, gathered: dict) -> dict:
    codes = {t.start for t in gathered["trucks"]} | {x.source for x in gathered["loads"]} | \
        {x.location for x in gathered["loads"]}
    places = {c: ctx.place(c) for c in codes}
    return routing.build_problem(places, ctx.overrides, ctx.travel, gathered["trucks"], gathered["loads"],
                                 ctx.latest, ctx.timing)


def problem(engine, actor: Actor, incident_id: int, now: datetime, time_limit_seconds: int = 5) -> dict:
    """The routing-problem/1 document: the one the incident's latest routes were planned from, else the one a
    planning now would solve."""
    actor.require_role(*READERS)
    with Session(engine) as s:
        incident = _incident(s, incident_id)
        latest = _latest_plan(s, incident_id)
        if latest is not None:
            return json.loads(latest.problem)
        ctx = _Context(s, incident, now, time_limit_seconds)
        return _problem(ctx, _gather(ctx))


# ---------------------------------------------------------------- planning and storing


def _empty_plan() -> dict:
    return {"format": "routing-plan/1", "status": "optimal", "routes": [], "unserved": [], "total_minutes": 0,
            "vehicles_used": 0, "solve_seconds": 0.0}


def default_planner():
    from transport.planner import plan_routes

    return plan_routes


def plan(engine, actor: Actor, incident_id: int, now: datetime, planner=None, time_limit_seconds: int = 5) -> dict:
    """Plans (again) the incident's routes and stores them; returns the routes as ``routes`` reads them.
    ``planner``: a function from routing-problem/1 to routing-plan/1 (default ``transport.planner.plan_routes``),
    given ``time_limit_seconds``."""
    actor.require_role(*PLANNERS)
    planner = planner or default_planner()
    with UnitOfWork(engine) as uow:
        s = uow.session
        incident = _incident(s, incident_id)
        ctx = _Context(s, incident, now, time_limit_seconds)
        gathered = _gather(ctx)
        doc = _problem(ctx, gathered)
        answer = planner(doc) if doc["stops"] else _empty_plan()
        row = RoutePlan(incident_id=incident_id, zero_at=now, problem=json.dumps(doc, ensure_ascii=False),
                        plan=json.dumps(answer, ensure_ascii=False), created_by=actor.user_id, created_at=now)
        s.add(row)
        s.flush()
        kept_ids = [r.id for r in gathered["kept"]]
        s.exec(delete(RouteStop).where(RouteStop.incident_id == incident_id, RouteStop.id.not_in(kept_ids or [0])))
        plates = {v.plate: v.id for v in s.exec(select(Vehicle)).all()}
        by_stop = {x.stop: x for x in gathered["loads"]}
        ids = gathered["order_ids"]

        def add(load: loads_.Load, **where):
            s.add(RouteStop(incident_id=incident_id, route_plan_id=row.id, stop=load.stop, order_id=ids[load.order],
                            source=load.source, location=load.location, load_kg=load.kg, load_m3x100=load.m3x100,
                            **where))

        for route in answer.get("routes", []):
            vehicle_id, position, trip = plates[route["vehicle"]], 0, 1
            for visit in route.get("stops", []):
                if visit.get("reload"):
                    trip += 1
                    continue
                position += 1
                add(by_stop.pop(visit["stop"]), vehicle_id=vehicle_id, position=position, trip=trip,
                    arrive=visit.get("arrive"), leave=visit.get("leave"))
        for miss in answer.get("unserved", []):
            add(by_stop.pop(miss["stop"]), reason=miss.get("reason") or "no_vehicle")
        for load in by_stop.values():  # a plan that forgot a stop: never dropped silently
            add(load, reason="not_planned")
        for load, reason in gathered["left_out"]:
            add(load, reason=reason)
        s.flush()
        result = _routes(s, incident, now)
        uow.commit()
    return result


def _latest_plan(s: Session, incident_id: int) -> RoutePlan | None:
    return s.exec(select(RoutePlan).where(RoutePlan.incident_id == incident_id)
                  .order_by(RoutePlan.id.desc()).limit(1)).first()


# ---------------------------------------------------------------- reading


def routes(engine, actor: Actor, incident_id: int, now: datetime) -> dict:
    actor.require_role(*READERS)
    with Session(engine) as s:
        return _routes(s, _incident(s, incident_id), now)


def _routes(s: Session, incident: Incident, now: datetime) -> dict:
    from datetime import timedelta

    ctx = _Context(s, incident, now)
    latest = _latest_plan(s, incident.id)
    zeros = {p.id: p.zero_at for p in s.exec(select(RoutePlan).where(RoutePlan.incident_id == incident.id))}
    deadline = incident.declared_at + timedelta(minutes=ctx.target)
    orders = {o.id: o for o in s.exec(select(TransferOrder).where(TransferOrder.incident_id == incident.id))}
    rows = s.exec(select(RouteStop).where(RouteStop.incident_id == incident.id)
                  .order_by(RouteStop.vehicle_id, RouteStop.position, RouteStop.stop)).all()
    names = {d.code: d.name for d in ctx.depots.values()}
    shelters = {sh.code: sh.name for sh in s.exec(select(Shelter).where(
        Shelter.code.in_([r.location for r in rows] or [""])))}
    names.update(shelters)

    def at(r: RouteStop, minutes):
        return None if minutes is None else zeros[r.route_plan_id] + timedelta(minutes=minutes)

    def stop_dict(r: RouteStop) -> dict:
        order = orders[r.order_id]
        arrive = at(r, r.arrive)
        return {"stop": r.stop, "order": order.code, "order_state": order.state, "source": r.source,
                "source_name": names.get(r.source, r.source), "location": r.location,
                "location_name": names.get(r.location, r.location), "load_kg": r.load_kg,
                "load_m3": r.load_m3x100 / 100, "position": r.position, "trip": r.trip, "arrive_at": arrive,
                "leave_at": at(r, r.leave), "late": arrive is not None and arrive > deadline,
                "started": order.state not in UNPLANNED, "reason": r.reason}

    vehicles = []
    for v in called_vehicles(s, incident.id):
        vid = s.exec(select(Vehicle.id).where(Vehicle.plate == v["plate"])).one()
        mine = [stop_dict(r) for r in rows if r.vehicle_id == vid]
        vehicles.append({**v, "stops": mine, "load_kg": sum(x["load_kg"] for x in mine),
                         "load_m3": round(sum(x["load_m3"] for x in mine), 2),
                         "started": any(x["started"] for x in mine)})
    return {"incident": incident.id, "deadline": deadline, "planned_at": latest.created_at if latest else None,
            "route_plan": latest.id if latest else None, "vehicles": vehicles,
            "unserved": [stop_dict(r) for r in rows if r.vehicle_id is None]}


# ---------------------------------------------------------------- the dispatcher's changes


def _called(s: Session, incident_id: int, plate: str) -> tuple[IncidentVehicle, Vehicle]:
    from transport.fleet import normalise_plate

    found = s.exec(select(IncidentVehicle, Vehicle).join(Vehicle, Vehicle.id == IncidentVehicle.vehicle_id)
                   .where(IncidentVehicle.incident_id == incident_id,
                          Vehicle.plate == normalise_plate(plate))).first()
    if found is None:
        raise NotFound(f"vehicle {plate} is not called in for incident {incident_id}", field="vehicle",
                       message_code="route_vehicle_not_called", params={"plate": plate})
    return found


def _retime(ctx: _Context, iv: IncidentVehicle, v: Vehicle, plan_id: int) -> None:
    """Numbers the vehicle's stops again in their order and times them from the time zero of route plan
    ``plan_id`` (a route changed by hand), reloading where the next load would not fit."""
    s = ctx.s
    rows = s.exec(select(RouteStop).where(RouteStop.incident_id == iv.incident_id, RouteStop.vehicle_id == v.id)
                  .order_by(RouteStop.position, RouteStop.id)).all()
    start = ctx.depots[iv.depot_id].code
    timed = routing.time_route(ctx.minutes, start, loads_.capacity_units(v.capacity_kg, v.capacity_m3),
                               [(r.location, (r.load_kg, r.load_m3x100)) for r in rows], ctx.timing,
                               (v.arrival_minutes or 0) if v.kind == "partner" else 0)
    for n, (r, t) in enumerate(zip(rows, timed), start=1):
        r.position, r.trip, r.route_plan_id = n, t["trip"], plan_id
        r.arrive, r.leave = t["arrive"], t["leave"]
        s.add(r)


def move_stop(engine, actor: Actor, incident_id: int, stop: str, plate: str, now: datetime) -> dict:
    """Moves a stop (an unserved one too) to the end of another vehicle's route; both routes are timed again.
    Refused: a stop already on its way (order shipped), a locked route (either), a vehicle out of service, a
    vehicle that does not start at the stop's source depot, a load bigger than the vehicle."""
    actor.require_role(*PLANNERS)
    with UnitOfWork(engine) as uow:
        s = uow.session
        incident = _incident(s, incident_id)
        row = s.exec(select(RouteStop).where(RouteStop.incident_id == incident_id, RouteStop.stop == stop)).first()
        if row is None:
            raise NotFound(f"no stop {stop} in the routes of incident {incident_id}", field="stop",
                           message_code="route_stop_unknown", params={"stop": stop})
        iv, v = _called(s, incident_id, plate)
        order = s.get(TransferOrder, row.order_id)
        params = {"stop": stop, "plate": v.plate}
        if order.state not in UNPLANNED:
            raise DomainError(f"stop {stop} is on its way: it stays with its vehicle", field="stop",
                              message_code="route_stop_started", params=params)
        if iv.locked:
            raise DomainError(f"the route of {v.plate} is locked: unlock it first", field="vehicle",
                              message_code="route_locked", params=params)
        if v.status == "out_of_service":
            raise DomainError(f"vehicle {v.plate} is out of service", field="vehicle",
                              message_code="vehicle_out_of_service", params=params)
        ctx = _Context(s, incident, now)
        if ctx.depots[iv.depot_id].code != row.source:
            raise InvalidInput(f"{v.plate} starts at {ctx.depots[iv.depot_id].code}, stop {stop} loads at "
                               f"{row.source}", field="vehicle", message_code="route_wrong_depot",
                               params={**params, "depot": ctx.depots[iv.depot_id].code, "source": row.source})
        kg, m3 = loads_.capacity_units(v.capacity_kg, v.capacity_m3)
        if row.load_kg > kg or row.load_m3x100 > m3:
            raise InvalidInput(f"stop {stop} does not fit in {v.plate}", field="vehicle",
                               message_code="route_too_big", params=params)
        old = row.vehicle_id
        if old is not None:
            old_iv = s.exec(select(IncidentVehicle).where(IncidentVehicle.incident_id == incident_id,
                                                          IncidentVehicle.vehicle_id == old)).first()
            if old_iv is not None and old_iv.locked:
                raise DomainError(f"stop {stop} is on a locked route: unlock it first", field="stop",
                                  message_code="route_stop_locked", params=params)
        latest = _latest_plan(s, incident_id)
        last = s.exec(select(RouteStop.position).where(RouteStop.incident_id == incident_id,
                                                       RouteStop.vehicle_id == v.id)
                      .order_by(RouteStop.position.desc())).first()
        row.vehicle_id, row.reason, row.position = v.id, None, (last or 0) + 1
        s.add(row)
        s.flush()
        _retime(ctx, iv, v, latest.id)
        if old is not None and old != v.id:
            old_v = s.get(Vehicle, old)
            old_iv = s.exec(select(IncidentVehicle).where(IncidentVehicle.incident_id == incident_id,
                                                          IncidentVehicle.vehicle_id == old)).first()
            _retime(ctx, old_iv, old_v, latest.id)
        s.flush()
        result = _routes(s, incident, now)
        uow.commit()
    return result


def set_locked(engine, actor: Actor, incident_id: int, plate: str, locked: bool, now: datetime) -> dict:
    actor.require_role(*PLANNERS)
    with UnitOfWork(engine) as uow:
        s = uow.session
        incident = _incident(s, incident_id)
        iv, _v = _called(s, incident_id, plate)
        iv.locked = bool(locked)
        s.add(iv)
        s.flush()
        result = _routes(s, incident, now)
        uow.commit()
    return result


def release_vehicle(s: Session, vehicle_id: int) -> list[str]:
    """Inside the caller's transaction: the vehicle's stops whose orders have not been shipped go back to
    planning (unserved, ``vehicle_out``); shipped ones stay with it. Returns the stops released."""
    rows = s.exec(select(RouteStop, TransferOrder).join(TransferOrder, TransferOrder.id == RouteStop.order_id)
                  .where(RouteStop.vehicle_id == vehicle_id)).all()
    released = []
    for r, order in rows:
        if order.state in UNPLANNED:
            r.vehicle_id, r.position, r.trip, r.arrive, r.leave, r.reason = None, None, None, None, None, "vehicle_out"
            s.add(r)
            released.append(r.stop)
    s.flush()
    return sorted(released)


def plates_of_order(s: Session, code: str) -> list[str]:
    """The plates of the vehicles carrying an order's truckloads (the waybill's 车辆)."""
    return list(s.exec(select(Vehicle.plate).join(RouteStop, RouteStop.vehicle_id == Vehicle.id)
                       .join(TransferOrder, TransferOrder.id == RouteStop.order_id)
                       .where(TransferOrder.code == code).distinct().order_by(Vehicle.plate)).all())
