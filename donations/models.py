"""A donation received (社会捐赠, ``JZ-<year>-<nnnn>``): its donor, and either goods — received as a delivery of kind
``donation`` whose lines are lots (source ``donation``) — or a money pledge, recorded but never stocked."""
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from common.db import UTCDateTime

DONOR_KINDS = ("person", "organisation")  # 个人 / 单位
DONATION_KINDS = ("goods", "money")  # 物资 / 资金（认捐）


class Donation(SQLModel, table=True):
    __tablename__ = "donation"
    __table_args__ = (
        sa.CheckConstraint("donor_kind in ('person','organisation')", name="ck_donation_donor_kind"),
        sa.CheckConstraint("kind in ('goods','money')", name="ck_donation_kind"),
        sa.CheckConstraint("(kind = 'goods') = (delivery_id is not null)", name="ck_donation_goods_delivery"),
        sa.CheckConstraint("(kind = 'money') = (amount_fen is not null) and (amount_fen is null or amount_fen > 0)",
                           name="ck_donation_money_amount"),
        sa.Index("ix_donation_depot_id_id", "depot_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=24, unique=True)  # JZ-2026-0001
    donor_kind: str = Field(max_length=16)
    donor_name: str = Field(max_length=100)
    donor_contact: str | None = Field(default=None, max_length=100)
    kind: str = Field(max_length=8)
    delivery_id: int | None = Field(default=None, foreign_key="delivery.id", unique=True)  # the goods received
    amount_fen: int | None = Field(default=None, sa_type=sa.BigInteger)  # a money pledge, in fen (分)
    purpose: str | None = Field(default=None, max_length=200)
    depot_id: int = Field(foreign_key="depot.id")  # the receiving unit
    received_on: date
    received_by: int = Field(foreign_key="user_account.id")
    received_at: datetime = Field(sa_type=UTCDateTime)
    note: str | None = Field(default=None, max_length=500)
