"""What a new password must be (``PasswordRules``: length, character classes, not the username, not one of the
last few, a maximum age), and the history of a user's earlier passwords."""
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from sqlmodel import Session, select
from werkzeug.security import check_password_hash

from accounts.models import PasswordHistory, User
from common.errors import InvalidInput


@dataclass(frozen=True)
class PasswordRules:
    min_length: int = 10
    min_classes: int = 3  # of lower case, upper case, digits, other characters
    history: int = 5  # a new password may not be one of the last this many
    max_age: timedelta | None = timedelta(days=90)  # None: never too old


def password_rules(config) -> PasswordRules:
    days = float(config["PASSWORD_MAX_AGE_DAYS"])
    return PasswordRules(min_length=int(config["PASSWORD_MIN_LENGTH"]), min_classes=int(config["PASSWORD_MIN_CLASSES"]),
                         history=int(config["PASSWORD_HISTORY"]), max_age=timedelta(days=days) if days > 0 else None)


def classes(password: str) -> int:
    """Of four: lower case, capitals, digits, other characters (punctuation, spaces, Chinese characters)."""
    return sum((any(c.islower() for c in password), any(c.isupper() for c in password),
                any(c.isdigit() for c in password),
                any(not (c.islower() or c.isupper() or c.isdigit()) for c in password)))


def check_password(password: str, username: str, rules: PasswordRules) -> None:
    """Length, character classes and not containing the username (the history is ``check_history``)."""
    if len(password) < rules.min_length:
        raise InvalidInput(f"password must be at least {rules.min_length} characters", field="password",
                           message_code="password_too_short", params={"min": rules.min_length})
    if len(password) > 200:
        raise InvalidInput("password must be at most 200 characters", field="password",
                           message_code="password_too_long", params={"max": 200})
    if classes(password) < rules.min_classes:
        raise InvalidInput(f"password must mix at least {rules.min_classes} of: lower case, upper case, digits, "
                           "other characters", field="password", message_code="password_too_simple",
                           params={"n": rules.min_classes})
    if username and username.lower() in password.lower():
        raise InvalidInput("the password cannot contain the username", field="password",
                           message_code="password_is_username")


def check_history(s: Session, user: User, password: str, rules: PasswordRules) -> None:
    """Not the current password nor one of the last ``rules.history`` ones."""
    if rules.history <= 0:
        return
    hashes = [user.password_hash] + list(s.exec(
        select(PasswordHistory.password_hash).where(PasswordHistory.user_id == user.id)
        .order_by(PasswordHistory.changed_at.desc(), PasswordHistory.id.desc()).limit(rules.history - 1)).all())
    if any(check_password_hash(h, password) for h in hashes):
        raise InvalidInput(f"the password was used recently: choose one not among the last {rules.history}",
                           field="password", message_code="password_reused", params={"n": rules.history})


def keep_in_history(s: Session, user: User, now: datetime, keep: int) -> None:
    """The user's current hash into the history (before it is replaced); only the last ``keep`` are kept."""
    s.add(PasswordHistory(user_id=user.id, password_hash=user.password_hash, changed_at=now))
    s.flush()
    old = s.exec(select(PasswordHistory.id).where(PasswordHistory.user_id == user.id)
                 .order_by(PasswordHistory.changed_at.desc(), PasswordHistory.id.desc()).offset(max(keep, 1))).all()
    if old:
        s.exec(sa.delete(PasswordHistory).where(PasswordHistory.id.in_(old)))


def password_expired(user: User, now: datetime, max_age: timedelta | None) -> bool:
    if max_age is None:
        return False
    since = user.password_changed_at or user.created_at
    if since is None:
        return False
    if since.tzinfo is None:
        since = since.replace(tzinfo=timezone.utc)
    return now - since > max_age
