"""Tables of transfer orders (调拨单): the order, its lines (one per item), the picks (lots actually taken),
the receipts (what arrived of which lot) and an append-only history of everything done to it.

Stock moves only through the ledger (``inventory.services.ship_in`` / ``deliver_in``, reference = the order's
code); these rows say what was planned, picked, shipped and received, and what is still in transit.
"""
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from common.db import UTCDateTime
from orders.rules import DESTINATION_KINDS, EVENTS, STATES


def _one_of(column: str, values: tuple[str, ...], name: str) -> sa.CheckConstraint:
    quoted = ",".join(f"'{v}'" for v in values)
    return sa.CheckConstraint(f"{column} in ({quoted})", name=name)


class TransferOrder(SQLModel, table=True):
    __tablename__ = "transfer_order"
    __table_args__ = (
        _one_of("state", STATES, "ck_transfer_order_state"),
        _one_of("destination_kind", DESTINATION_KINDS, "ck_transfer_order_destination_kind"),
        sa.CheckConstraint("(destination_kind = 'depot') = (destination_depot_id is not null) and "
                           "(destination_kind = 'shelter') = (destination_shelter_id is not null)",
                           name="ck_transfer_order_one_destination"),
        sa.CheckConstraint("(state = 'cancelled') = (cancel_reason is not null)", name="ck_transfer_order_cancel_reason"),
        sa.Index("ix_transfer_order_source_state", "source_depot_id", "state"),
        sa.Index("ix_transfer_order_destination_state", "destination_depot_id", "state"),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)  # DO-<incident>-<n>: on the /o/<code> label
    incident_id: int | None = Field(default=None, foreign_key="incident.id", index=True)  # none: a daily request
    plan_id: int | None = Field(default=None, foreign_key="plan.id", index=True)
    norm_version_id: int | None = Field(default=None, foreign_key="norm_version.id")
    source_depot_id: int = Field(foreign_key="depot.id")
    destination_kind: str = Field(max_length=8)
    destination_code: str = Field(max_length=32)  # the depot's or the shelter's code, as the plan names it
    destination_depot_id: int | None = Field(default=None, foreign_key="depot.id")
    destination_shelter_id: int | None = Field(default=None, foreign_key="shelter.id")
    state: str = Field(default="approved", max_length=16)
    approved_by: int = Field(foreign_key="user_account.id")
    approved_at: datetime = Field(sa_type=UTCDateTime)
    shipped_by: int | None = Field(default=None, foreign_key="user_account.id")
    shipped_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    cancelled_by: int | None = Field(default=None, foreign_key="user_account.id")
    cancelled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    cancel_reason: str | None = Field(default=None, max_length=500)


class TransferLine(SQLModel, table=True):
    """One item of an order. ``planned_lots``: the plan's lots, first-expiry-first-out, as JSON
    [{"lot": code, "quantity": n}] — the pick list. In transit: shipped − received − short − damaged."""

    __tablename__ = "transfer_line"
    __table_args__ = (
        sa.UniqueConstraint("order_id", "item_id", name="uq_transfer_line_order_item"),
        sa.CheckConstraint("planned >= 0 and picked >= 0 and shipped >= 0 and received >= 0 and short >= 0 "
                           "and damaged >= 0", name="ck_transfer_line_not_negative"),
        sa.CheckConstraint("picked <= planned", name="ck_transfer_line_picked_within_planned"),
        sa.CheckConstraint("shipped <= picked", name="ck_transfer_line_shipped_within_picked"),
        sa.CheckConstraint("received + short + damaged <= shipped", name="ck_transfer_line_accounted_within_shipped"),
    )

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="transfer_order.id", index=True)
    item_id: int = Field(foreign_key="item.id", index=True)
    planned: int
    planned_lots: str = Field(sa_type=sa.Text)
    picked: int = 0
    shipped: int = 0
    received: int = 0
    short: int = 0
    damaged: int = 0


class TransferPick(SQLModel, table=True):
    """A lot taken for a line at the source depot (scanned), and at shipping the ledger line that moved it."""

    __tablename__ = "transfer_pick"
    __table_args__ = (sa.CheckConstraint("quantity > 0", name="ck_transfer_pick_quantity_positive"),)

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="transfer_order.id", index=True)
    line_id: int = Field(foreign_key="transfer_line.id", index=True)
    lot_id: int = Field(foreign_key="lot.id", index=True)
    quantity: int
    substitute_reason: str | None = Field(default=None, max_length=200)  # a lot (or amount) the plan did not name
    not_fefo: bool = False  # a lot expiring sooner was there to take (a warning, not a refusal)
    picked_by: int = Field(foreign_key="user_account.id")
    picked_at: datetime = Field(sa_type=UTCDateTime)
    ship_movement_id: int | None = Field(default=None, foreign_key="movement.id")


class TransferReceipt(SQLModel, table=True):
    """What arrived of one shipped lot of a line, once: received, short and damaged with their reasons, the
    destination's ledger line (a depot) or the receiver's name (a shelter)."""

    __tablename__ = "transfer_receipt"
    __table_args__ = (
        sa.CheckConstraint("received >= 0 and short >= 0 and damaged >= 0 and received + short + damaged > 0",
                           name="ck_transfer_receipt_quantities"),
    )

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="transfer_order.id", index=True)
    line_id: int = Field(foreign_key="transfer_line.id", index=True)
    lot_id: int = Field(foreign_key="lot.id")  # the source lot the units were shipped from
    received: int
    short: int = 0
    damaged: int = 0
    short_reason: str | None = Field(default=None, max_length=200)
    damage_reason: str | None = Field(default=None, max_length=200)
    receiver_name: str | None = Field(default=None, max_length=50)  # at a shelter: who took the units
    movement_id: int | None = Field(default=None, foreign_key="movement.id")  # the deliver line at a depot
    received_by: int = Field(foreign_key="user_account.id")
    received_at: datetime = Field(sa_type=UTCDateTime)


class TransferEvent(SQLModel, table=True):
    """The order's history (who did what, when, with what): rows are only ever added."""

    __tablename__ = "transfer_event"
    __table_args__ = (
        _one_of("action", EVENTS, "ck_transfer_event_action"),
        sa.Index("ix_transfer_event_order_id_id", "order_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="transfer_order.id")
    action: str = Field(max_length=16)
    user_id: int = Field(foreign_key="user_account.id")
    username: str = Field(max_length=64)  # as the account was named then: the history reads alone
    at: datetime = Field(sa_type=UTCDateTime)
    details: str = Field(sa_type=sa.Text)  # JSON


# ---------------------------------------------------------------- returns (回收) after an incident

RETURN_STATUSES = ("awaiting_inspection", "inspected")


class EquipmentReturn(SQLModel, table=True):
    """Durable equipment that came back from a site of an incident into a depot, scanned by its keeper (``HS-<id>``).

    Received, it is no longer out, but it is not stock yet (``awaiting_inspection``: no ledger line). Inspected,
    all of it enters ``lot_id`` with one ``return`` ledger line (``return_movement_id``, reference ``HS-<id>``):
    ``restocked`` units as usable stock, ``damaged`` units with a pending write-off request
    (``write_off_request_id``) that an administrator approves through the write-off flow. From a depot site (a
    village point) the units first leave that depot's lot with a ``transfer_out`` line (``out_movement_id``)."""

    __tablename__ = "equipment_return"
    __table_args__ = (
        _one_of("status", RETURN_STATUSES, "ck_equipment_return_status"),
        _one_of("site_kind", DESTINATION_KINDS, "ck_equipment_return_site_kind"),
        sa.CheckConstraint("quantity > 0 and restocked >= 0 and damaged >= 0", name="ck_equipment_return_quantities"),
        sa.CheckConstraint("(status = 'inspected' and restocked + damaged = quantity) or "
                           "(status = 'awaiting_inspection' and restocked = 0 and damaged = 0)",
                           name="ck_equipment_return_inspection"),
        sa.Index("ix_equipment_return_incident_site_item", "incident_id", "site_code", "item_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id")
    site_kind: str = Field(max_length=8)  # depot or shelter, as the orders' destinations
    site_code: str = Field(max_length=32)
    item_id: int = Field(foreign_key="item.id")
    origin_lot_id: int = Field(foreign_key="lot.id")  # the lot the orders shipped the units from
    quantity: int
    depot_id: int = Field(foreign_key="depot.id", index=True)  # the receiving depot
    lot_id: int = Field(foreign_key="lot.id")  # the lot they enter: the origin lot at its depot, else <lot>-<depot>
    status: str = Field(default="awaiting_inspection", max_length=24)
    note: str | None = Field(default=None, max_length=200)
    out_movement_id: int | None = Field(default=None, foreign_key="movement.id")  # from a depot site
    received_by: int = Field(foreign_key="user_account.id")
    received_at: datetime = Field(sa_type=UTCDateTime)
    restocked: int = 0
    damaged: int = 0
    damage_reason: str | None = Field(default=None, max_length=200)
    return_movement_id: int | None = Field(default=None, foreign_key="movement.id")
    write_off_request_id: int | None = Field(default=None, foreign_key="write_off_request.id")
    inspected_by: int | None = Field(default=None, foreign_key="user_account.id")
    inspected_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class EquipmentRelease(SQLModel, table=True):
    """Durable units a dispatcher declares will not come back (a tent left with a family, a pump lost in the
    flood), with the reason: they leave the list of what is still out. No ledger line: units at a shelter left
    the books when shipped; units at a village point stay in its stock until its keeper records them."""

    __tablename__ = "equipment_release"
    __table_args__ = (
        _one_of("site_kind", DESTINATION_KINDS, "ck_equipment_release_site_kind"),
        sa.CheckConstraint("quantity > 0", name="ck_equipment_release_quantity"),
        sa.Index("ix_equipment_release_incident_site_item", "incident_id", "site_code", "item_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id")
    site_kind: str = Field(max_length=8)
    site_code: str = Field(max_length=32)
    item_id: int = Field(foreign_key="item.id")
    quantity: int
    reason: str = Field(max_length=500)
    declared_by: int = Field(foreign_key="user_account.id")
    declared_at: datetime = Field(sa_type=UTCDateTime)


REQUEST_STATUSES = ("pending", "approved", "rejected", "withdrawn")


class TransferRequest(SQLModel, table=True):
    """A daily transfer request (日常调拨申请), outside incidents: a town station or village point asks a depot above
    it for items. An approval turns it into a transfer order (``order_id``) like any other."""

    __tablename__ = "transfer_request"
    __table_args__ = (
        _one_of("status", REQUEST_STATUSES, "ck_transfer_request_status"),
        sa.CheckConstraint("(status = 'approved') = (order_id is not null)", name="ck_transfer_request_order"),
        sa.Index("ix_transfer_request_status_id", "status", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    depot_id: int = Field(foreign_key="depot.id", index=True)  # the requesting depot: the order's destination
    source_depot_id: int = Field(foreign_key="depot.id", index=True)  # a depot above it
    reason: str = Field(max_length=500)
    wanted_by: date
    status: str = Field(default="pending", max_length=16)
    requested_by: int = Field(foreign_key="user_account.id")
    requested_at: datetime = Field(sa_type=UTCDateTime)
    decided_by: int | None = Field(default=None, foreign_key="user_account.id")  # approved, rejected or withdrew
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    decision_note: str | None = Field(default=None, max_length=500)  # why rejected, or why fewer units
    order_id: int | None = Field(default=None, foreign_key="transfer_order.id", unique=True)


class TransferRequestLine(SQLModel, table=True):
    """One item asked for; ``granted`` is what the approval put on the order (possibly fewer, possibly 0)."""

    __tablename__ = "transfer_request_line"
    __table_args__ = (
        sa.UniqueConstraint("request_id", "item_id", name="uq_transfer_request_line_item"),
        sa.CheckConstraint("quantity > 0", name="ck_transfer_request_line_quantity"),
        sa.CheckConstraint("granted is null or (granted >= 0 and granted <= quantity)",
                           name="ck_transfer_request_line_granted"),
    )

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="transfer_request.id", index=True)
    item_id: int = Field(foreign_key="item.id")
    quantity: int
    granted: int | None = None
