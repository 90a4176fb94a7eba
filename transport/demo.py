"""Vehicles of the demo county (``flask demo``): four own trucks, one of a logistics partner under agreement and
one requisitioned truck, at the county depot and two town stations."""
from datetime import date, datetime

from sqlmodel import select

from inventory.models import Depot
from transport.models import Vehicle

VEHICLES = [  # plate, kind, kg, m³, home depot, extra
    ("鲁H10001", "own", 8000, 32, "C01", {}),
    ("鲁H10002", "own", 5000, 20, "C01", {}),
    ("鲁H10003", "own", 2000, 9, "C01", {"note": "厢式货车"}),
    ("鲁H20001", "own", 3000, 12, "T01", {}),
    ("鲁H6A580", "partner", 10000, 45, "C01", {"partner_name": "县顺达物流有限公司", "contract_number": "YJ-WL-2025-03",
                                             "partner_vehicles": 12, "arrival_minutes": 90}),
    ("鲁H3C721", "requisitioned", 4000, 16, "T02", {"owner": "青山镇建材运输队", "requisitioned_on": date(2026, 7, 14),
                                                   "approved_by": "县应急管理局 张局长", "compensation_fen": 180000,
                                                   "settled_on": date(2026, 8, 2), "settlement_note": "按台班计"}),
]


def load_vehicles_in(uow, now: datetime) -> int:
    """The demo vehicles, in the caller's transaction (a depot the county lacks: that vehicle is left out)."""
    s = uow.session
    depots = dict(s.exec(select(Depot.code, Depot.id)).all())
    n = 0
    for plate, kind, kg, m3, home, extra in VEHICLES:
        if home in depots:
            s.add(Vehicle(plate=plate, kind=kind, capacity_kg=kg, capacity_m3=m3, home_depot_id=depots[home],
                          updated_at=now, **extra))
            n += 1
    s.flush()
    return n
