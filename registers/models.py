"""An imported register file (``register_import``): one row per file committed, keyed by its SHA-256, naming who
imported it, when, the file name, the reference its ledger receipts carry (``IMP-<first 10 hex of the hash>``)
and what it created. A file whose hash is here is not imported again (``registers.importing``)."""
from datetime import datetime

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
