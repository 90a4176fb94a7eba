"""Who printed which label, when, on which layout: the label print history (标签打印记录).

One row per label printed (with how many identical copies): a lot label (``lot_id`` set), a depot label or a shelf label (``shelf`` set).
Labels printed in one request share a ``job``. Rows are only ever added.
"""
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from common.db import UTCDateTime, utcnow

LABEL_KINDS = ("lot", "depot", "shelf")
LAYOUTS = ("a4-3x8", "single-60x40")


def _one_of(column: str, values: tuple[str, ...], name: str) -> sa.CheckConstraint:
    quoted = ",".join(f"'{v}'" for v in values)
    return sa.CheckConstraint(f"{column} in ({quoted})", name=name)


class LabelPrint(SQLModel, table=True):
    __tablename__ = "label_print"
    __table_args__ = (
        _one_of("kind", LABEL_KINDS, "ck_label_print_kind"),
        _one_of("layout", LAYOUTS, "ck_label_print_layout"),
        sa.CheckConstraint("(kind = 'lot') = (lot_id is not null)", name="ck_label_print_lot_label_has_lot"),
        sa.CheckConstraint("(kind = 'shelf') = (shelf is not null)", name="ck_label_print_shelf_label_has_shelf"),
        sa.CheckConstraint("copies >= 1", name="ck_label_print_copies_positive"),
        sa.Index("ix_label_print_lot_id_id", "lot_id", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=8)
    lot_id: int | None = Field(default=None, foreign_key="lot.id")
    depot_id: int = Field(foreign_key="depot.id", index=True)  # the lot's depot when printed, or the labelled depot
    shelf: str | None = Field(default=None, max_length=16)
    layout: str = Field(max_length=16)
    copies: int = 1  # identical labels printed of it in this job
    job: str = Field(max_length=32, index=True)  # labels printed by one request share it
    user_id: int = Field(foreign_key="user_account.id", index=True)
    printed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
