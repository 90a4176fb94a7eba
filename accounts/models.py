from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from common.db import UTCDateTime, utcnow


class User(SQLModel, table=True):
    __tablename__ = "user_account"
    __table_args__ = (sa.CheckConstraint("role in ('admin','dispatcher','keeper','auditor')", name="ck_user_role"),)

    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(max_length=64, unique=True, index=True)
    display_name: str = Field(max_length=100)
    password_hash: str = Field(max_length=255)
    role: str = Field(max_length=16)
    active: bool = True
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # Part of every login session's id: raising it ends every login of the user in every browser.
    session_epoch: int = Field(default=0, sa_column_kwargs={"server_default": "0"})


class KeeperDepot(SQLModel, table=True):
    """A keeper keeps these depots, and only these."""

    __tablename__ = "keeper_depot"

    user_id: int = Field(foreign_key="user_account.id", primary_key=True)
    depot_id: int = Field(foreign_key="depot.id", primary_key=True)


class ApiToken(SQLModel, table=True):
    """Bearer tokens for phones and scripts. Only a hash is stored; the token is shown once."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    name: str = Field(max_length=100)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # When the token was last sent, to the hour: written at most once an hour (services.actor_for_token).
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
