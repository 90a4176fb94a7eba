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
    # When the password was last set (null: before this was recorded, counted from created_at); too old a
    # password must be changed at the next page (PASSWORD_MAX_AGE_DAYS, accounts.security).
    password_changed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


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


class PasswordHistory(SQLModel, table=True):
    """A user's earlier password hashes: a new password may not be one of the last few (accounts.security)."""

    __tablename__ = "password_history"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    password_hash: str = Field(max_length=255)
    changed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class LoginFailure(SQLModel, table=True):
    """One failed login (a page or the token endpoint): the username typed and the source address. Enough of
    them within the window lock the account and the address (accounts.security). A successful login and an
    administrator's unlock stop the rows counting for the account (``for_account``), an unlock of the address
    for the address (``for_address``); rows older than any lock are deleted (the security log keeps the record)."""

    __tablename__ = "login_failure"
    __table_args__ = (sa.Index("ix_login_failure_username_at", "username", "at"),
                      sa.Index("ix_login_failure_address_at", "address", "at"))

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    username: str = Field(max_length=64)
    address: str = Field(max_length=64)
    for_account: bool = Field(default=True, sa_column_kwargs={"server_default": sa.true()})
    for_address: bool = Field(default=True, sa_column_kwargs={"server_default": sa.true()})


class SecurityEvent(SQLModel, table=True):
    """The security audit trail (安全审计): append-only, every row bound to the one before by a hash (HMAC with the
    ledger's current key when there is one), checked by ``flask security-log verify`` (accounts.security)."""

    __tablename__ = "security_event"
    __table_args__ = (sa.Index("ix_security_event_at", "at"), sa.Index("ix_security_event_kind", "kind"),
                      sa.Index("ix_security_event_username", "username"))

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_type=UTCDateTime)
    kind: str = Field(max_length=32)
    outcome: str = Field(max_length=16)  # success / failure / refused / locked / info
    username: str | None = Field(default=None, max_length=64)  # who acted (or the name typed at a login)
    address: str | None = Field(default=None, max_length=64)
    detail: str | None = Field(default=None, max_length=1000)
    # the detail as a message with values (accounts.security_details), shown in the reader's language; in the hash
    detail_code: str | None = Field(default=None, max_length=48)
    detail_params: str | None = Field(default=None, sa_type=sa.Text)
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)
    key_id: str | None = Field(default=None, max_length=16)


class LoginSession(SQLModel, table=True):
    """A browser login, kept only while SESSION_MAX_PER_ACCOUNT limits the logins of an account at once: a new
    login beyond the limit ends the oldest (``ended_at``), which its browser finds at its next request."""

    __tablename__ = "login_session"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    sid: str = Field(max_length=64, unique=True)
    login_at: datetime = Field(sa_type=UTCDateTime)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
