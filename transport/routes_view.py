"""What the map draws of the stored routes (read only): ``routes_for_map``."""
from sqlmodel import Session, select

from dispatch.models import Shelter
from inventory.models import Depot
from orders.rules import APPROVED, PICKING, RECEIVED
from orders.models import TransferOrder
from transport.models import IncidentVehicle, RouteStop, Vehicle


def routes_for_map(session: Session, incident_ids: list[int] | None = None) -> list[dict]:
    """One entry per vehicle route of the incidents listed (None: of every incident): {"incident", "plate", "state",
    "points": [[lat, lon], …] from the start depot through the stops in order and back, "labels": a label per
    point (depot or site code and name; a stop's label names its truckload), "stops": the truckloads in order
    (order code, or ``<code>/<n>`` for a part of a split order)}. ``state``: ``planned`` (nothing
    shipped), ``locked`` (kept as it is), ``active`` (something on its way), ``done`` (everything received).
    Points without coordinates (a village point with none, nor its town) are left out."""
    query = select(IncidentVehicle, Vehicle).join(Vehicle, Vehicle.id == IncidentVehicle.vehicle_id)
    if incident_ids is not None:
        query = query.where(IncidentVehicle.incident_id.in_(incident_ids))
    called = session.exec(query.order_by(IncidentVehicle.incident_id, Vehicle.plate)).all()
    if not called:
        return []
    depots = {d.id: d for d in session.exec(select(Depot)).all()}
    by_code = {d.code: d for d in depots.values()}
    shelters = {sh.code: sh for sh in session.exec(select(Shelter)).all()}

    def point(code: str) -> tuple[list[float] | None, str]:
        if code in by_code:
            d = by_code[code]
            name = d.name
            while d is not None and None in (d.lat, d.lon):
                d = depots.get(d.parent_id)
            return (None if d is None else [d.lat, d.lon]), f"{code} {name}"
        sh = shelters.get(code)
        return (None, code) if sh is None else ([sh.lat, sh.lon], f"{code} {sh.name}")

    out = []
    for iv, v in called:
        rows = session.exec(select(RouteStop, TransferOrder).join(TransferOrder, TransferOrder.id == RouteStop.order_id)
                            .where(RouteStop.incident_id == iv.incident_id, RouteStop.vehicle_id == v.id)
                            .order_by(RouteStop.position)).all()
        if not rows:
            continue
        home = depots[iv.depot_id].code
        points, labels = [], []
        for code, label in [(home, None), *((r.location, r.stop) for r, _o in rows), (home, None)]:
            p, name = point(code)
            if p is not None:
                points.append(p)
                labels.append(f"{label} → {name}" if label else name)
        states = {o.state for _r, o in rows}
        state = ("done" if states <= {RECEIVED} else "active" if states - {APPROVED, PICKING}
                 else "locked" if iv.locked else "planned")
        out.append({"incident": iv.incident_id, "plate": v.plate, "state": state, "points": points, "labels": labels,
                    "stops": [r.stop for r, _o in rows]})
    return out
