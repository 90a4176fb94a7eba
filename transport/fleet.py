"""The fleet register (车辆登记) and calling vehicles in for an incident.

Administrators keep the register: own vehicles, vehicles of logistics partners under agreement (协议运力: the
partner, the contract, how many trucks it can send and how many minutes they take to arrive) and requisitioned
vehicles (征用: the owner, when, who approved, and the compensation settled afterwards). Dispatchers read it and
call vehicles in for an incident (``call_in``); a vehicle taken out of service mid-incident gives its unstarted
stops back to planning (``transport.incident_routes.release_vehicle``). Every check runs before anything is
written; one answer names every bad field.
"""
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from sqlmodel import Session, select

from common.actor import ADMIN, DISPATCHER, Actor
from common.db import UnitOfWork
from common.errors import DomainError, InvalidInput, NotFound, Problems
from dispatch.incidents import _incident  # the incident or NotFound (incident_unknown)
from inventory.models import Depot
from transport.models import VEHICLE_KINDS, VEHICLE_STATES, IncidentVehicle, Vehicle

READERS = (ADMIN, DISPATCHER, "auditor")
CALLERS = (ADMIN, DISPATCHER)
MAX_CAPACITY_KG = 100_000.0  # a 100 t truck is already more than roads allow
MAX_CAPACITY_M3 = 500.0
MAX_PARTNER_VEHICLES = 10_000
MAX_ARRIVAL_MINUTES = 7 * 24 * 60
MAX_COMPENSATION_YUAN = Decimal("100000000")
_PLATE_SEPARATORS = re.compile(r"[\s\-·•.．\u3000_]+")
_PLATE = re.compile(r"^[\u4e00-\u9fffA-Z0-9]{5,10}$")


class DuplicatePlate(DomainError):
    code = "duplicate_plate"


def normalise_plate(text: str) -> str:
    """The plate as stored and compared: upper case, without spaces, dashes or dots (鲁a·1234 5 → 鲁A12345)."""
    return _PLATE_SEPARATORS.sub("", (text or "").strip()).upper()


@dataclass
class VehicleFields:
    plate: str
    kind: str
    capacity_kg: float
    capacity_m3: float
    home_depot: str
    note: str | None = None
    partner_name: str | None = None
    contract_number: str | None = None
    partner_vehicles: int | None = None
    arrival_minutes: int | None = None
    owner: str | None = None
    requisitioned_on: date | None = None
    approved_by: str | None = None
    compensation_yuan: Decimal | str | float | None = None
    settled_on: date | None = None
    settlement_note: str | None = None


def _text(value, limit: int) -> str | None:
    value = (value or "").strip() if isinstance(value, str) or value is None else str(value)
    return value[:limit] if value else None


def _bad(problems: Problems, where: str, message: str, code: str, **params) -> None:
    problems.add(InvalidInput(message, field=where, message_code=code, params=params))


def _positive(problems: Problems, name: str, value, maximum: float) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != value:
        _bad(problems, name, f"{name} must be a number", "vehicle_not_a_number", name=name)
        return None
    if value <= 0:
        _bad(problems, name, f"{name} must be greater than 0", "vehicle_capacity_not_positive", name=name)
        return None
    if value > maximum:
        _bad(problems, name, f"{name} is at most {maximum:g}", "vehicle_capacity_too_large", name=name,
             max=f"{maximum:g}")
        return None
    return float(value)


def _whole(problems: Problems, name: str, value, low: int, high: int) -> int | None:
    if value is None:
        _bad(problems, name, f"{name} is required for this kind of vehicle", "vehicle_field_required", name=name)
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        _bad(problems, name, f"{name} is a whole number from {low} to {high}", "vehicle_whole_number_range",
             name=name, low=low, high=high)
        return None
    return value


def _fen(problems: Problems, value) -> int | None:
    if value is None or value == "":
        return None
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite() or amount < 0 or amount > MAX_COMPENSATION_YUAN or \
            amount != amount.quantize(Decimal("0.01")):
        _bad(problems, "compensation_yuan", f"the compensation is an amount of yuan from 0 to "
             f"{MAX_COMPENSATION_YUAN:,} with at most two decimals", "vehicle_compensation_invalid",
             max=f"{MAX_COMPENSATION_YUAN:,}")
        return None
    return int(amount * 100)


def check_fields(s: Session, f: VehicleFields, *, plate_of: int | None = None) -> dict:
    """The columns of a vehicle from ``f``, or one error naming every bad field (nothing is written).
    ``plate_of``: the id of the vehicle being edited (its own plate is not a duplicate)."""
    problems = Problems()
    plate = normalise_plate(f.plate)
    if not _PLATE.match(plate):
        _bad(problems, "plate", "the plate is 5 to 10 letters, digits and Chinese characters, e.g. 鲁A12345",
             "vehicle_plate_invalid")
    else:
        other = s.exec(select(Vehicle.id).where(Vehicle.plate == plate)).first()
        if other is not None and other != plate_of:
            problems.add(DuplicatePlate(f"plate {plate} is already registered", field="plate",
                                        message_code="vehicle_plate_taken", params={"plate": plate}))
    if f.kind not in VEHICLE_KINDS:
        _bad(problems, "kind", f"kind is one of {', '.join(VEHICLE_KINDS)}", "vehicle_kind_unknown")
    row = {"plate": plate, "kind": f.kind,
           "capacity_kg": _positive(problems, "capacity_kg", f.capacity_kg, MAX_CAPACITY_KG),
           "capacity_m3": _positive(problems, "capacity_m3", f.capacity_m3, MAX_CAPACITY_M3),
           "note": _text(f.note, 200)}
    depot = s.exec(select(Depot).where(Depot.code == (f.home_depot or "").strip())).first()
    if depot is None or depot.closed_at is not None:
        _bad(problems, "home_depot", f"no open depot has the code {f.home_depot}", "vehicle_depot_unknown",
             depot=str(f.home_depot or ""))
    else:
        row["home_depot_id"] = depot.id
    empty = dict.fromkeys(("partner_name", "contract_number", "partner_vehicles", "arrival_minutes", "owner",
                           "requisitioned_on", "approved_by", "compensation_fen", "settled_on", "settlement_note"))
    row.update(empty)
    if f.kind == "partner":
        for name, limit in (("partner_name", 100), ("contract_number", 50)):
            row[name] = _text(getattr(f, name), limit)
            if row[name] is None:
                _bad(problems, name, f"{name} is required for a partner's vehicle", "vehicle_field_required",
                     name=name)
        row["partner_vehicles"] = _whole(problems, "partner_vehicles", f.partner_vehicles, 1, MAX_PARTNER_VEHICLES)
        row["arrival_minutes"] = _whole(problems, "arrival_minutes", f.arrival_minutes, 0, MAX_ARRIVAL_MINUTES)
    elif f.kind == "requisitioned":
        for name, limit in (("owner", 100), ("approved_by", 100)):
            row[name] = _text(getattr(f, name), limit)
            if row[name] is None:
                _bad(problems, name, f"{name} is required for a requisitioned vehicle", "vehicle_field_required",
                     name=name)
        row["requisitioned_on"] = f.requisitioned_on
        if f.requisitioned_on is None:
            _bad(problems, "requisitioned_on", "requisitioned_on is required for a requisitioned vehicle",
                 "vehicle_field_required", name="requisitioned_on")
        row["compensation_fen"] = _fen(problems, f.compensation_yuan)
        row["settled_on"] = f.settled_on
        row["settlement_note"] = _text(f.settlement_note, 200)
        if f.settled_on is not None and row["compensation_fen"] is None and not problems:
            _bad(problems, "compensation_yuan", "a settled compensation names its amount",
                 "vehicle_settled_without_amount")
        if f.settled_on and f.requisitioned_on and f.settled_on < f.requisitioned_on:
            _bad(problems, "settled_on", "the compensation cannot be settled before the vehicle was requisitioned",
                 "vehicle_settled_before_requisition")
    problems.raise_any("vehicle", "the vehicle's fields")
    return row


def create_vehicle(engine, actor: Actor, f: VehicleFields, now: datetime) -> dict:
    actor.require_role(ADMIN)
    with UnitOfWork(engine) as uow:
        row = check_fields(uow.session, f)
        vehicle = Vehicle(**row, status="available", updated_at=now)
        answer = _save(uow.session, vehicle)
        uow.commit()
    return answer


def update_vehicle(engine, actor: Actor, plate: str, f: VehicleFields, now: datetime) -> dict:
    actor.require_role(ADMIN)
    with UnitOfWork(engine) as uow:
        vehicle = _vehicle(uow.session, plate)
        row = check_fields(uow.session, f, plate_of=vehicle.id)
        for key, value in row.items():
            setattr(vehicle, key, value)
        vehicle.updated_at = now
        answer = _save(uow.session, vehicle)
        uow.commit()
    return answer


def _save(s: Session, vehicle: Vehicle) -> dict:
    s.add(vehicle)
    try:
        s.flush()
    except sa.exc.IntegrityError:  # the same plate sent twice at once: the unique constraint decides
        raise DuplicatePlate(f"plate {vehicle.plate} is already registered", field="plate",
                             message_code="vehicle_plate_taken", params={"plate": vehicle.plate}) from None
    return vehicle_dict(s, vehicle)


def set_status(engine, actor: Actor, plate: str, status: str, now: datetime) -> dict:
    """Changes a vehicle's availability (administrators, dispatchers). Taken out of service, the vehicle leaves
    the routes of every incident it was called in for: its stops not yet shipped go back to planning."""
    actor.require_role(*CALLERS)
    if status not in VEHICLE_STATES:
        raise InvalidInput(f"status is one of {', '.join(VEHICLE_STATES)}", field="status",
                           message_code="vehicle_status_unknown")
    from transport import incident_routes

    with UnitOfWork(engine) as uow:
        vehicle = _vehicle(uow.session, plate)
        released = []
        if status == "out_of_service" and vehicle.status != "out_of_service":
            released = incident_routes.release_vehicle(uow.session, vehicle.id)
        vehicle.status, vehicle.updated_at = status, now
        uow.session.add(vehicle)
        answer = {**vehicle_dict(uow.session, vehicle), "released_stops": released}
        uow.commit()
    return answer


def list_vehicles(engine, actor: Actor, *, status: str | None = None) -> list[dict]:
    actor.require_role(*READERS)
    with Session(engine) as s:
        query = select(Vehicle).order_by(Vehicle.plate)
        if status:
            query = query.where(Vehicle.status == status)
        vehicles = s.exec(query).all()
        depots = {d.id: d for d in s.exec(select(Depot)).all()}
        return [vehicle_dict(s, v, depots) for v in vehicles]


def get_vehicle(engine, actor: Actor, plate: str) -> dict:
    actor.require_role(*READERS)
    with Session(engine) as s:
        return vehicle_dict(s, _vehicle(s, plate))


def vehicle_dict(s: Session, v: Vehicle, depots: dict | None = None) -> dict:
    depot = (depots or {}).get(v.home_depot_id) or s.get(Depot, v.home_depot_id)
    return {"plate": v.plate, "kind": v.kind, "capacity_kg": v.capacity_kg, "capacity_m3": v.capacity_m3,
            "home_depot": depot.code, "home_depot_name": depot.name, "status": v.status, "note": v.note,
            "partner_name": v.partner_name, "contract_number": v.contract_number,
            "partner_vehicles": v.partner_vehicles, "arrival_minutes": v.arrival_minutes, "owner": v.owner,
            "requisitioned_on": v.requisitioned_on, "approved_by": v.approved_by,
            "compensation_fen": v.compensation_fen, "settled_on": v.settled_on, "settlement_note": v.settlement_note,
            "updated_at": v.updated_at}


def _vehicle(s: Session, plate: str) -> Vehicle:
    vehicle = s.exec(select(Vehicle).where(Vehicle.plate == normalise_plate(plate))).first()
    if vehicle is None:
        raise NotFound(f"no vehicle has the plate {plate}", field="plate", message_code="vehicle_unknown",
                       params={"plate": plate})
    return vehicle


# ---------------------------------------------------------------- calling vehicles in for an incident


def call_in(engine, actor: Actor, incident_id: int, plates: list[str], now: datetime,
            depot: str | None = None) -> list[dict]:
    """Calls vehicles in for an incident (dispatchers, administrators): each starts and ends its routes at its
    home depot, or at ``depot`` where given. A vehicle out of service, or already called in, is refused; one
    answer names every refused plate and nothing is recorded."""
    actor.require_role(*CALLERS)
    if not plates:
        raise InvalidInput("choose at least one vehicle", field="plates", message_code="call_in_none")
    with UnitOfWork(engine) as uow:
        s = uow.session
        _incident(s, incident_id)
        start = None
        if depot:
            start = s.exec(select(Depot).where(Depot.code == depot)).first()
            if start is None or start.closed_at is not None:
                raise InvalidInput(f"no open depot has the code {depot}", field="depot",
                                   message_code="vehicle_depot_unknown", params={"depot": depot})
        problems = Problems()
        called = set(s.exec(select(IncidentVehicle.vehicle_id).where(IncidentVehicle.incident_id == incident_id)))
        rows = []
        for n, plate in enumerate(dict.fromkeys(normalise_plate(p) for p in plates)):
            vehicle = problems.check(_vehicle, s, plate, line=n + 1)
            if vehicle is None:
                continue
            if vehicle.status == "out_of_service":
                problems.add(DomainError(f"vehicle {plate} is out of service", field="plates",
                                         message_code="vehicle_out_of_service", params={"plate": plate}), line=n + 1)
            elif vehicle.id in called:
                problems.add(DomainError(f"vehicle {plate} is already called in for this incident", field="plates",
                                         message_code="vehicle_already_called", params={"plate": plate}),
                             line=n + 1)
            else:
                rows.append(vehicle)
        problems.raise_any("plates", "the vehicles chosen")
        for vehicle in rows:
            s.add(IncidentVehicle(incident_id=incident_id, vehicle_id=vehicle.id,
                                  depot_id=start.id if start else vehicle.home_depot_id, called_by=actor.user_id,
                                  called_at=now))
            vehicle.status, vehicle.updated_at = "on_duty", now
            s.add(vehicle)
        s.flush()
        answer = called_vehicles(s, incident_id)
        uow.commit()
    return answer


def called_vehicles(s: Session, incident_id: int) -> list[dict]:
    rows = s.exec(select(IncidentVehicle, Vehicle, Depot).join(Vehicle, Vehicle.id == IncidentVehicle.vehicle_id)
                  .join(Depot, Depot.id == IncidentVehicle.depot_id)
                  .where(IncidentVehicle.incident_id == incident_id).order_by(Vehicle.plate)).all()
    return [{"plate": v.plate, "kind": v.kind, "capacity_kg": v.capacity_kg, "capacity_m3": v.capacity_m3,
             "depot": d.code, "depot_name": d.name, "status": v.status, "locked": iv.locked,
             "arrival_minutes": v.arrival_minutes, "called_at": iv.called_at} for iv, v, d in rows]


def list_called(engine, actor: Actor, incident_id: int) -> list[dict]:
    actor.require_role(*READERS)
    with Session(engine) as s:
        _incident(s, incident_id)
        return called_vehicles(s, incident_id)

