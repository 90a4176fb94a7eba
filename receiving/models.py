"""A delivery received (入库单, ``RK-<year>-<nnnn>``) and its lines; each line made one lot with one ``receive``
ledger line whose ``reference`` is the delivery's number, so the stock card says where the units came from."""
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from common.db import UTCDateTime

DELIVERY_KINDS = ("purchase", "agreement", "capacity")  # 采购入库 / 协议代储 / 产能调用: the receiving form's kinds
ALL_KINDS = (*DELIVERY_KINDS, "donation")  # 社会捐赠: the goods of a donation (donations.service)
# the lots' storage mode for each kind of delivery
STORAGE_MODE_OF = {"purchase": "physical", "agreement": "agreement", "capacity": "capacity", "donation": "physical"}


class Delivery(SQLModel, table=True):
    __tablename__ = "delivery"
    __table_args__ = (
        sa.CheckConstraint("kind in ('purchase','agreement','capacity','donation')", name="ck_delivery_kind"),
        sa.Index("ix_delivery_depot_id_id", "depot_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=24, unique=True)  # RK-2026-0001
    kind: str = Field(max_length=16)
    supplier: str = Field(max_length=100)  # the supplier, or the partner enterprise holding the stock
    document_no: str | None = Field(default=None, max_length=64)  # the supplier's delivery note or contract
    depot_id: int = Field(foreign_key="depot.id")
    received_on: date
    received_by: int = Field(foreign_key="user_account.id")
    received_at: datetime = Field(sa_type=UTCDateTime)
    note: str | None = Field(default=None, max_length=500)


class DeliveryLine(SQLModel, table=True):
    __tablename__ = "delivery_line"
    __table_args__ = (
        sa.CheckConstraint("quantity > 0", name="ck_delivery_line_quantity_positive"),
        sa.UniqueConstraint("delivery_id", "line_no", name="uq_delivery_line_no"),
    )

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: int = Field(foreign_key="delivery.id", index=True)
    line_no: int
    item_id: int = Field(foreign_key="item.id")
    quantity: int
    production_date: date | None = None
    shelf_life_months: int | None = None
    expires_on: date | None = None
    unit_price_cents: int | None = None
    lot_id: int = Field(foreign_key="lot.id", index=True)
    movement_id: int = Field(foreign_key="movement.id")
