"""Tables of the audit side: rotation tasks (轮换任务)."""
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from common.db import UTCDateTime, utcnow

ROTATION_ACTIONS = ("move", "drill", "donate", "return_to_supplier")
TASK_STATUSES = ("proposed", "accepted", "done")
OPEN_STATUSES = ("proposed", "accepted")


def _one_of(column: str, values: tuple[str, ...], name: str) -> sa.CheckConstraint:
    quoted = ",".join(f"'{v}'" for v in values)
    return sa.CheckConstraint(f"{column} in ({quoted})", name=name)


class RotationTask(SQLModel, table=True):
    """A lot to take out of the reserve before it spoils, and how. The ledger lines a done task causes
    carry ``reference = "ROT-<id>"``."""

    __tablename__ = "rotation_task"
    __table_args__ = (
        _one_of("action", ROTATION_ACTIONS, "ck_rotation_task_action"),
        _one_of("status", TASK_STATUSES, "ck_rotation_task_status"),
        sa.CheckConstraint("quantity > 0", name="ck_rotation_task_quantity_positive"),
    )

    id: int | None = Field(default=None, primary_key=True)
    lot_id: int = Field(foreign_key="lot.id", index=True)
    action: str = Field(max_length=24)
    to_depot_id: int | None = Field(default=None, foreign_key="depot.id")  # for "move"
    quantity: int  # units the task takes out of the lot
    status: str = Field(default="proposed", max_length=16, index=True)
    note: str | None = Field(default=None, max_length=500)
    proposed_by: int = Field(foreign_key="user_account.id")
    proposed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    accepted_by: int | None = Field(default=None, foreign_key="user_account.id")
    accepted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    done_by: int | None = Field(default=None, foreign_key="user_account.id")
    done_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    done_quantity: int | None = None

    @property
    def reference(self) -> str:
        return reference_of(self.id)


def reference_of(task_id: int) -> str:
    return f"ROT-{task_id}"


EXPORT_STATUSES = ("queued", "running", "done", "failed")
EXPORT_STAGES = ("rows", "layout", "pages")  # PDF: rows laid out into pages, then the pages written


class ExportJob(SQLModel, table=True):
    """A report export run outside the request that asked for it (``audit.jobs``). The state is here, so any
    worker of the server answers its progress; ``host``, ``pid`` and ``heartbeat_at`` tell whether the process
    running it is still alive. The file is kept under the instance folder until ``expires_at``."""

    __tablename__ = "export_job"
    __table_args__ = (
        _one_of("status", EXPORT_STATUSES, "ck_export_job_status"),
        _one_of("format", ("csv", "xlsx", "pdf"), "ck_export_job_format"),
        sa.CheckConstraint("done >= 0", name="ck_export_job_done"),
    )

    id: int | None = Field(default=None, primary_key=True)
    token: str = Field(max_length=32, unique=True)  # in the URLs: not guessable
    user_id: int = Field(foreign_key="user_account.id", index=True)
    report: str = Field(max_length=24)
    query: str = Field(default="", max_length=2000)  # the report's filters as a query string
    format: str = Field(max_length=8)
    encoding: str | None = Field(default=None, max_length=8)  # CSV: utf-8 or gbk
    locale: str = Field(default="zh_Hans_CN", max_length=16)
    status: str = Field(default="queued", max_length=16, index=True)
    stage: str = Field(default="rows", max_length=16)
    done: int = 0
    total: int | None = None
    file_path: str | None = Field(default=None, max_length=500)
    file_name: str | None = Field(default=None, max_length=200)
    size: int | None = None
    error: str | None = Field(default=None, max_length=1000)
    host: str | None = Field(default=None, max_length=255)
    pid: int | None = None
    heartbeat_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
