"""Tables of the inventory. Stock changes only through ``inventory.ledger`` via the services."""
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from common.db import UTCDateTime, utcnow
from inventory.ledger import KINDS, WRITE_OFF_REASONS

TIERS = ("county", "town", "village")
DEPOT_KINDS = ("station", "transfer_station")
CATEGORIES = (
    "living",
    "flood",
    "forest_fire",
    "fire_rescue",
    "earthquake_rescue",
    "geological_hazard",
    "work_safety_rescue",
    "communications",
)
STORAGE_MODES = ("physical", "agreement", "capacity")
LOT_SOURCES = ("purchase", "donation", "transfer")
KITS = ("big3", "small4")


def _one_of(column: str, values: tuple[str, ...], name: str) -> sa.CheckConstraint:
    quoted = ",".join(f"'{v}'" for v in values)
    return sa.CheckConstraint(f"{column} in ({quoted})", name=name)


class Depot(SQLModel, table=True):
    __table_args__ = (
        _one_of("tier", TIERS, "ck_depot_tier"),
        _one_of("kind", DEPOT_KINDS, "ck_depot_kind"),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True, index=True)
    name: str = Field(max_length=100)
    tier: str = Field(max_length=16)
    kind: str = Field(default="station", max_length=24)
    parent_id: int | None = Field(default=None, foreign_key="depot.id", index=True)
    # "/1/4/37/": ids from the root down, so a subtree is one indexed prefix match.
    path: str = Field(default="", max_length=255, index=True)
    lat: float | None = None
    lon: float | None = None
    address: str | None = Field(default=None, max_length=200)
    keeper_name: str | None = Field(default=None, max_length=50)
    keeper_phone: str | None = Field(default=None, max_length=30)
    key_town: bool = False
    # Closed by an administrator (inventory.catalog_admin.close_depot): no stock, kept for its history.
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class Item(SQLModel, table=True):
    __table_args__ = (_one_of("category", CATEGORIES, "ck_item_category"),)

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True, index=True)
    name_zh: str = Field(max_length=100)
    name_en: str = Field(max_length=100)
    category: str = Field(max_length=32)
    unit: str = Field(max_length=16)
    weight_kg: float = 0.0
    volume_m3: float = 0.0
    shelf_life_days: int | None = None
    rotation_lead_days: int | None = None
    priority: int = 2
    kit: str | None = Field(default=None, max_length=16)
    # durable equipment (pumps, generators, tents, satellite phones…): tracked while out and returned (回收)
    durable: bool = False


class Lot(SQLModel, table=True):
    __table_args__ = (
        sa.CheckConstraint("quantity >= 0", name="ck_lot_quantity_not_negative"),
        _one_of("storage_mode", STORAGE_MODES, "ck_lot_storage_mode"),
        _one_of("source", LOT_SOURCES, "ck_lot_source"),
        sa.Index("ix_lot_depot_item", "depot_id", "item_id"),
        sa.Index("ix_lot_depot_shelf", "depot_id", "shelf"),
    )

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=48, unique=True, index=True)
    item_id: int = Field(foreign_key="item.id", index=True)
    depot_id: int = Field(foreign_key="depot.id")
    quantity: int = 0
    received_on: date
    expires_on: date | None = Field(default=None, index=True)
    storage_mode: str = Field(default="physical", max_length=16)
    partner: str | None = Field(default=None, max_length=100)
    source: str = Field(default="purchase", max_length=16)
    unit_price_cents: int | None = None
    origin_lot_id: int | None = Field(default=None, foreign_key="lot.id")
    shelf: str | None = Field(default=None, max_length=16)  # where it stands in its depot; inventory.shelves
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    chain_head: str = Field(default="0" * 64, max_length=64)  # hash of the lot's latest ledger line


class Movement(SQLModel, table=True):
    """One line of the append-only stock ledger (台账)."""

    __tablename__ = "movement"
    __table_args__ = (
        sa.CheckConstraint("balance_after >= 0", name="ck_movement_balance_not_negative"),
        _one_of("kind", KINDS, "ck_movement_kind"),
        sa.Index("ix_movement_lot_id_id", "lot_id", "id"),
        sa.Index("ix_movement_depot_created", "depot_id", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16, index=True)
    lot_id: int = Field(foreign_key="lot.id")
    depot_id: int = Field(foreign_key="depot.id")
    item_id: int = Field(foreign_key="item.id", index=True)
    quantity: int  # signed: + into the lot, − out of it
    balance_after: int
    user_id: int = Field(foreign_key="user_account.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    reason: str | None = Field(default=None, max_length=16)
    note: str | None = Field(default=None, max_length=500)
    reference: str | None = Field(default=None, max_length=64, index=True)
    idempotency_key: str | None = Field(default=None, max_length=100, index=True)
    counterpart_id: int | None = Field(default=None, foreign_key="movement.id")
    prev_hash: str = Field(max_length=64)  # hash of the lot's line before this one (inventory.chain)
    hash: str = Field(max_length=64)
    key_id: str | None = Field(default=None, max_length=16)  # the ledger key of its HMAC; None: plain SHA-256


class LedgerKey(SQLModel, table=True):
    """A ledger key coming into use in this database (the first one, then each rotation): who, when, its
    fingerprint (never the key), and the last line before it. The row carries an HMAC made with the key
    itself, so nobody without the key can add, move or alter one; the first key's ``lines_before`` is the
    last line that may be a plain SHA-256."""

    __tablename__ = "ledger_key"

    id: int | None = Field(default=None, primary_key=True)
    key_id: str = Field(max_length=16, unique=True)
    fingerprint: str = Field(max_length=64)
    lines_before: int  # the highest ledger line id when the key came into use
    why: str = Field(max_length=16)  # first / rotation
    who: str = Field(max_length=100)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    mac: str = Field(max_length=64)


SEAL_REASONS = ("daily", "export", "manual")


class LedgerSeal(SQLModel, table=True):
    """An archived seal: the digest over every line up to ``upto``, signed with the ledger key then current;
    every verify checks that the ledger still gives it."""

    __tablename__ = "ledger_seal"
    __table_args__ = (_one_of("why", SEAL_REASONS, "ck_ledger_seal_why"),)

    id: int | None = Field(default=None, primary_key=True)
    upto: int = Field(index=True)
    count: int
    digest: str = Field(max_length=64)
    key_id: str = Field(max_length=16)
    mac: str = Field(max_length=64)
    why: str = Field(max_length=16)
    who: str = Field(max_length=100)
    note: str | None = Field(default=None, max_length=100)  # e.g. which export
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)


class ShelfMove(SQLModel, table=True):
    """A lot put on another shelf (or taken off one) in its depot: who, when, from where to where.

    Not a ledger line: the quantity does not change, so the stock ledger and its hash chain stay about
    stock. Rows are only ever added; the first move's ``from_shelf`` is where the lot was received."""

    __tablename__ = "shelf_move"
    __table_args__ = (sa.Index("ix_shelf_move_lot_id_id", "lot_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    lot_id: int = Field(foreign_key="lot.id")
    depot_id: int = Field(foreign_key="depot.id")
    from_shelf: str | None = Field(default=None, max_length=16)
    to_shelf: str | None = Field(default=None, max_length=16)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    moved_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    note: str | None = Field(default=None, max_length=500)


class IdempotencyRecord(SQLModel, table=True):
    """The first answer to a request sent with an idempotency key, replayed for every retry."""

    __tablename__ = "idempotency_record"
    __table_args__ = (sa.UniqueConstraint("user_id", "key", name="uq_idempotency_user_key"),)

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id")
    key: str = Field(max_length=100)
    fingerprint: str = Field(max_length=64)
    response: str  # JSON
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


# ---------------------------------------------------------------- write-off requests (报损核销)

WRITE_OFF_REQUEST_REASONS = ("expired", "damaged", "lost")
WRITE_OFF_STATUSES = ("pending", "approved", "rejected", "withdrawn")


class WriteOffRequest(SQLModel, table=True):
    """A keeper's request to write units off a lot (报损申请). Nothing leaves the lot until an administrator
    other than the requester approves it with the approving document number (审批文号); the approval
    writes one ``write_off`` ledger line with ``reference = "BS-<id>"`` (``movement_id``). A pending
    request holds no units. See ``inventory.writeoffs``."""

    __tablename__ = "write_off_request"
    __table_args__ = (
        _one_of("reason", WRITE_OFF_REQUEST_REASONS, "ck_write_off_request_reason"),
        _one_of("status", WRITE_OFF_STATUSES, "ck_write_off_request_status"),
        sa.CheckConstraint("quantity > 0", name="ck_write_off_request_quantity_positive"),
        # the idempotency key of the phone that sent it: a retry finds the request it already made
        sa.UniqueConstraint("requested_by", "idempotency_key", name="uq_write_off_request_user_key"),
        sa.Index("ix_write_off_request_status_id", "status", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    lot_id: int = Field(foreign_key="lot.id", index=True)
    depot_id: int = Field(foreign_key="depot.id", index=True)
    quantity: int
    reason: str = Field(max_length=16)
    note: str | None = Field(default=None, max_length=500)
    status: str = Field(default="pending", max_length=16)
    requested_by: int = Field(foreign_key="user_account.id")
    requested_at: datetime = Field(sa_type=UTCDateTime)
    idempotency_key: str | None = Field(default=None, max_length=100)
    decided_by: int | None = Field(default=None, foreign_key="user_account.id")  # approver, rejecter or withdrawer
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    document_no: str | None = Field(default=None, max_length=64)  # 审批文号, required to approve
    decision_note: str | None = Field(default=None, max_length=500)  # why it was rejected
    movement_id: int | None = Field(default=None, foreign_key="movement.id")  # the line an approval wrote


class WriteOffPhoto(SQLModel, table=True):
    """The photo sent with a write-off request (JPEG or PNG, checked by content), kept apart so that
    listing requests never reads images."""

    __tablename__ = "write_off_photo"

    request_id: int = Field(foreign_key="write_off_request.id", primary_key=True)
    content_type: str = Field(max_length=16)
    data: bytes = Field(sa_column=sa.Column(sa.LargeBinary, nullable=False))
