"""Tables of count sessions: the session (盘点单) and one line per lot it counts.

A line keeps the last count only (a recount replaces it, ``recounts`` says how often it was counted
again) together with the ledger as it stood when the count was recorded: the lot's balance then and the
id of its last ledger line. The adjustment written at close is worked out from those (``counts.rules``).
"""
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from common.db import UTCDateTime, utcnow

SCOPES = ("depot", "category", "shelves")
STATUSES = ("open", "closed", "cancelled")


def _one_of(column: str, values: tuple[str, ...], name: str) -> sa.CheckConstraint:
    quoted = ",".join(f"'{v}'" for v in values)
    return sa.CheckConstraint(f"{column} in ({quoted})", name=name)


class CountSession(SQLModel, table=True):
    __tablename__ = "count_session"
    __table_args__ = (
        _one_of("scope", SCOPES, "ck_count_session_scope"),
        _one_of("status", STATUSES, "ck_count_session_status"),
        sa.CheckConstraint("(scope = 'category') = (category is not null)", name="ck_count_session_category"),
        sa.CheckConstraint("(scope = 'shelves') = (shelves is not null)", name="ck_count_session_shelves"),
        sa.Index("ix_count_session_depot_status", "depot_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    depot_id: int = Field(foreign_key="depot.id")
    scope: str = Field(max_length=16)
    category: str | None = Field(default=None, max_length=32)
    shelves: str | None = Field(default=None, max_length=500)  # shelf codes, comma-separated
    blind: bool = False  # the expected quantities are hidden until every lot is counted or left out
    status: str = Field(default="open", max_length=16)
    note: str | None = Field(default=None, max_length=500)
    started_by: int = Field(foreign_key="user_account.id")
    started_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    keeper_signed_by: int | None = Field(default=None, foreign_key="user_account.id")
    keeper_signed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    supervisor_signed_by: int | None = Field(default=None, foreign_key="user_account.id")
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)  # the supervisor's sign-off
    cancelled_by: int | None = Field(default=None, foreign_key="user_account.id")
    cancelled_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class CountLine(SQLModel, table=True):
    __tablename__ = "count_line"
    __table_args__ = (
        sa.UniqueConstraint("session_id", "lot_id", name="uq_count_line_session_lot"),
        sa.CheckConstraint("counted is null or counted >= 0", name="ck_count_line_counted_not_negative"),
        sa.CheckConstraint("(counted is null) = (balance_at_count is null)", name="ck_count_line_balance_with_count"),
        sa.CheckConstraint("not (left_out and counted is not null)", name="ck_count_line_counted_or_left_out"),
    )

    id: int | None = Field(default=None, primary_key=True)
    session_id: int = Field(foreign_key="count_session.id", index=True)
    lot_id: int = Field(foreign_key="lot.id", index=True)
    book_at_start: int  # the lot's balance when the session started
    counted: int | None = None
    balance_at_count: int | None = None  # the lot's ledger balance when the count was recorded
    last_line_at_count: int | None = Field(default=None, foreign_key="movement.id")  # its last ledger line then
    counted_by: int | None = Field(default=None, foreign_key="user_account.id")
    counted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    recounts: int = 0
    left_out: bool = False
    left_out_reason: str | None = Field(default=None, max_length=200)
    adjustment_line_id: int | None = Field(default=None, foreign_key="movement.id")  # written at close
