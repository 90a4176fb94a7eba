"""An imported register file (``register_import``): one row per file committed, keyed by its SHA-256, naming who
imported it, when, the file name, the reference its ledger receipts carry (``IMP-<first 10 hex of the hash>``)
and what it created. A file whose hash is here is not imported again (``registers.importing``). The names an
administrator matched by hand (``name_alias``) and the imports started from the page (``import_job``)."""
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from common.db import UTCDateTime


class RegisterImport(SQLModel, table=True):
    __tablename__ = "register_import"

    id: int | None = Field(default=None, primary_key=True)
    sha256: str = Field(max_length=64, index=True)  # the same file may be committed again (rows it lacked before)
    reference: str = Field(max_length=24)  # IMP-1a2b3c4d5e: the ledger receipts' reference
    filename: str = Field(max_length=200)
    imported_by: int = Field(foreign_key="user_account.id")
    imported_at: datetime = Field(sa_type=UTCDateTime)
    depots: int = 0  # depots created
    items: int = 0  # items created
    lots: int = 0  # lots created
    units: int = 0  # units of stock received
    rejected: int = 0  # rows left out


ALIAS_KINDS = ("depot", "item")
IMPORT_JOB_STATUSES = ("queued", "running", "checked", "committing", "committed", "failed")


class NameAlias(SQLModel, table=True):
    """A name a register writes that matches no depot or item exactly, and what an administrator chose for it
    (``registers.aliases``): the code of an existing depot or item, or ``target`` empty — create a new item of that
    name. Read by every dry run and commit (the page and the command)."""

    __tablename__ = "name_alias"
    __table_args__ = (
        sa.CheckConstraint("kind in ('depot','item')", name="ck_name_alias_kind"),
        sa.UniqueConstraint("kind", "key", name="uq_name_alias_kind_key"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=8)
    name: str = Field(max_length=200)  # as the register writes it
    key: str = Field(max_length=200)  # the name normalised (registers.headers.normalise): what is looked up
    target: str | None = Field(default=None, max_length=32)  # a depot or item code; None = create a new item
    chosen_by: int = Field(foreign_key="user_account.id")
    chosen_at: datetime = Field(sa_type=UTCDateTime)


class ImportJob(SQLModel, table=True):
    """An import started from the administrators' page (``registers.jobs``): the files kept under the instance
    folder between the dry run and the commit (their SHA-256 here, checked again before the commit), the state
    and progress of the background run (any worker answers a poll), and the report it made."""

    __tablename__ = "import_job"
    __table_args__ = (
        sa.CheckConstraint("status in ('queued','running','checked','committing','committed','failed')",
                           name="ck_import_job_status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    token: str = Field(max_length=32, unique=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    files: str = Field(sa_type=sa.Text)  # JSON: [{"name", "sha256", "size", "path"}]
    depot: str | None = Field(default=None, max_length=100)
    status: str = Field(default="queued", max_length=16)
    stage: str = Field(default="dry_run", max_length=16)  # dry_run or commit
    done: int = 0
    total: int | None = None
    report: str | None = Field(default=None, sa_type=sa.Text)  # JSON: the last report (registers.importing)
    error: str | None = Field(default=None, max_length=1000)
    host: str | None = Field(default=None, max_length=255)
    pid: int | None = None
    heartbeat_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
