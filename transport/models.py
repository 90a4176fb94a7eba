"""Tables of transport: the fleet register, the vehicles called in for an incident, and the incident's routes
(the routing problem and plan stored together, and one row per stop: the route a truckload is on, in order)."""
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from common.db import UTCDateTime

VEHICLE_KINDS = ("own", "partner", "requisitioned")  # 自有 / 协议运力 / 征用
VEHICLE_STATES = ("available", "on_duty", "out_of_service")


def _one_of(column: str, values: tuple[str, ...], name: str) -> sa.CheckConstraint:
    quoted = ",".join(f"'{v}'" for v in values)
    return sa.CheckConstraint(f"{column} in ({quoted})", name=name)


class Vehicle(SQLModel, table=True):
    """A truck of the register. ``plate`` is kept normalised (upper case, no spaces or dashes inside the
    number: 鲁A12345), so the same plate typed twice with other spacing is refused by the unique constraint."""

    __tablename__ = "vehicle"
    __table_args__ = (
        _one_of("kind", VEHICLE_KINDS, "ck_vehicle_kind"),
        _one_of("status", VEHICLE_STATES, "ck_vehicle_status"),
        sa.CheckConstraint("capacity_kg > 0 and capacity_m3 > 0", name="ck_vehicle_capacity_positive"),
    )

    id: int | None = Field(default=None, primary_key=True)
    plate: str = Field(max_length=16, unique=True)
    kind: str = Field(max_length=16)
    capacity_kg: float
    capacity_m3: float
    home_depot_id: int = Field(foreign_key="depot.id", index=True)
    status: str = Field(default="available", max_length=16)
    note: str | None = Field(default=None, max_length=200)
    # 协议运力: the logistics partner, its contract, how many trucks it can send and how soon they arrive
    partner_name: str | None = Field(default=None, max_length=100)
    contract_number: str | None = Field(default=None, max_length=50)
    partner_vehicles: int | None = None
    arrival_minutes: int | None = None
    # 征用: whose it is, when it was requisitioned, who approved, and the compensation settled afterwards
    owner: str | None = Field(default=None, max_length=100)
    requisitioned_on: date | None = None
    approved_by: str | None = Field(default=None, max_length=100)
    compensation_fen: int | None = Field(default=None, sa_type=sa.BigInteger)
    settled_on: date | None = None
    settlement_note: str | None = Field(default=None, max_length=200)
    updated_at: datetime = Field(sa_type=UTCDateTime)


class IncidentVehicle(SQLModel, table=True):
    """A vehicle called in for an incident, starting and ending at ``depot_id`` (its home depot unless the
    dispatcher chose another). ``locked``: its route is kept as it is when the rest is planned again."""

    __tablename__ = "incident_vehicle"
    __table_args__ = (sa.UniqueConstraint("incident_id", "vehicle_id", name="uq_incident_vehicle"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    vehicle_id: int = Field(foreign_key="vehicle.id", index=True)
    depot_id: int = Field(foreign_key="depot.id")
    locked: bool = False
    called_by: int = Field(foreign_key="user_account.id")
    called_at: datetime = Field(sa_type=UTCDateTime)


class RoutePlan(SQLModel, table=True):
    """One planning of an incident's routes: the routing-problem/1 document it was planned from and the
    routing-plan/1 answer, as they were; minutes in both count from ``zero_at``."""

    __tablename__ = "route_plan"

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    zero_at: datetime = Field(sa_type=UTCDateTime)
    problem: str = Field(sa_type=sa.Text)
    plan: str = Field(sa_type=sa.Text)
    created_by: int = Field(foreign_key="user_account.id")
    created_at: datetime = Field(sa_type=UTCDateTime)


class RouteStop(SQLModel, table=True):
    """A truckload of an order (``stop`` = the order's code, or ``<code>/<n>`` for the n-th load of a split order)
    and where it stands: on a vehicle's route at ``position`` (``trip`` counts reloads) arriving ``arrive`` minutes
    after the route plan's ``zero_at``, or unserved (``vehicle_id`` null) with ``reason``."""

    __tablename__ = "route_stop"
    __table_args__ = (
        sa.UniqueConstraint("incident_id", "stop", name="uq_route_stop_incident_stop"),
        sa.CheckConstraint("(vehicle_id is null) = (reason is not null)", name="ck_route_stop_served_or_reason"),
        sa.CheckConstraint("load_kg >= 0 and load_m3x100 >= 0", name="ck_route_stop_load"),
    )

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    route_plan_id: int = Field(foreign_key="route_plan.id", index=True)
    stop: str = Field(max_length=40)
    order_id: int = Field(foreign_key="transfer_order.id", index=True)
    source: str = Field(max_length=32)  # depot code
    location: str = Field(max_length=32)  # destination site code
    load_kg: int
    load_m3x100: int
    vehicle_id: int | None = Field(default=None, foreign_key="vehicle.id", index=True)
    position: int | None = None
    trip: int | None = None
    arrive: int | None = None
    leave: int | None = None
    reason: str | None = Field(default=None, max_length=16)  # no_vehicle, too_late, no_capacity, vehicle_out…
