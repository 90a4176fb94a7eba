"""A county for the map's tests (integration and browser): the small county with coordinates on two village
points, a shelter, stock, norms, a planned incident with its orders approved, and the first order from C1
shipped (in transit). T2-V1 keeps no coordinates: it is counted, not drawn.

    C1 (29.15, 105.38)  T1 (29.2, 105.4)  T2 (29.0, 105.3)  T1-V1 (29.25, 105.45)  T1-V2 (29.22, 105.5)
    shelter S-1 (29.3, 105.35) in T1's area
    incident: T1-V1 300 people, S-1 100 people (flood)
"""
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa


@dataclass
class MapCounty:
    incident: int
    plan: int
    orders: list[dict]  # every order approved, as the service answers
    shipped: str  # the first order from C1, in transit
    keepers: str  # the order from T1 (the keeper's town) to T1-V1, in transit


def build_map_county(engine, county, now: datetime, today: date) -> MapCounty:
    from common.db import UnitOfWork
    from dispatch import importers, incidents, planning, settings
    from dispatch.norms import NormRule
    from inventory import services
    from orders import services as orders

    with engine.begin() as c:
        for code, lat, lon in (("T1-V1", 29.25, 105.45), ("T1-V2", 29.22, 105.5)):
            c.execute(sa.text("update depot set lat = :lat, lon = :lon where code = :code"),
                      {"lat": lat, "lon": lon, "code": code})
    with UnitOfWork(engine) as uow:
        settings.add_shelter(uow, "S-1", "玉龙镇小学避难场所", "T1", 29.3, 105.35, 600)
        uow.commit()
    settings.replace_norms(engine, county.admin, [NormRule("TENT", "household", 1),
                                                  NormRule("WATER", "person", 0.1, per_day=True)], "map norms")
    importers.import_travel_times(engine, county.admin, b"depot,site,minutes\nC1,T1-V1,60\nT1,T1-V1,20\n")

    def receive(depot, item, quantity, code, expires_on=None):
        services.receive(engine, services.Context(actor=county.admin, now=now, today=today), quantity=quantity,
                         new_lot=services.NewLot(item=item, depot=depot, received_on=date(2026, 6, 1),
                                                 expires_on=expires_on, code=code))

    receive("C1", "TENT", 60, "MAP-TENT-C1")
    receive("C1", "WATER", 200, "MAP-WATER-C1", expires_on=date(2027, 6, 30))
    receive("T1", "TENT", 10, "MAP-TENT-T1")
    receive("T2", "PUMP", 2, "MAP-PUMP-T2")
    incident = incidents.declare(engine, county.dispatcher, type="flood", title="7·15 洪涝灾害", declared_at=now,
                                 sites=[{"site": "T1-V1", "people": 300}, {"site": "S-1", "people": 100}])
    plan = planning.plan_incident(engine, county.dispatcher, incident, now, "Asia/Shanghai")["id"]
    approved = orders.approve_plan(engine, county.dispatcher, now, incident_id=incident, plan_id=plan)["orders"]
    first = next(o["code"] for o in approved if o["source"] == "C1")
    town = next(o["code"] for o in approved if o["source"] == "T1")
    for code, actor in ((first, county.admin), (town, county.keeper)):
        for line in orders.get(engine, actor, code)["lines"]:
            for lot in line["planned_lots"]:
                orders.pick(engine, actor, now, today, code, lot=lot["lot"], quantity=lot["quantity"])
        orders.ship(engine, actor, now, today, code)
    return MapCounty(incident=incident, plan=plan, orders=approved, shipped=first, keepers=town)
