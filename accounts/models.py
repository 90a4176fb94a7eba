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
    # Set by an administrator's password reset: every page sends the user to change it first (accounts.views).
    must_change_password: bool = Field(default=False, sa_column_kwargs={"server_default": sa.false()})


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


ADMIN_CHANGE_KINDS = ("user", "depot", "item")


class AdminChange(SQLModel, table=True):
    """One change an administrator made to people (and, later, depots and items): who, when, what."""

    __tablename__ = "admin_change"
    __table_args__ = (
        sa.CheckConstraint("subject_kind in ('user','depot','item')", name="ck_admin_change_kind"),
        sa.Index("ix_admin_change_subject", "subject_kind", "subject"),
    )

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    user_id: int = Field(foreign_key="user_account.id")  # the administrator
    subject_kind: str = Field(max_length=8)
    subject: str = Field(max_length=64)  # username, depot code or item code
    action: str = Field(max_length=24)
    detail: str | None = Field(default=None, max_length=500)


class UserTotp(SQLModel, table=True):
    """A user's second factor (TOTP, RFC 6238): the shared secret (base32) an authenticator app holds. Until
    ``confirmed_at`` the enrolment is only begun and the login does not ask for a code."""

    __tablename__ = "user_totp"

    user_id: int = Field(foreign_key="user_account.id", primary_key=True)
    secret: str = Field(max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    confirmed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The 30-second step of the last code accepted: a code is good once (no replay within its window).
    last_step: int | None = Field(default=None, sa_type=sa.BigInteger)


class TotpRecoveryCode(SQLModel, table=True):
    """One of a user's one-time recovery codes (a lost phone): only a SHA-256 of it is stored."""

    __tablename__ = "totp_recovery_code"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    code_hash: str = Field(max_length=64)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
