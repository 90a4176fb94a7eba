"""The second factor of a login: TOTP (RFC 6238, 6 digits every 30 seconds, any authenticator app) with ten
one-time recovery codes. Plain values in, one transaction each; ``now`` is passed in (``common.clock``).

- A user enrols: ``begin`` makes a secret (shown as a QR code and as text), ``confirm`` takes a code from the
  app, turns the second factor on and returns ten recovery codes, shown once and stored hashed.
- A login then asks for a code after the password (``after_password`` says "code"); ``check`` accepts a code
  of the current step or one step either side (a phone's clock a little off), each step once (``last_step``),
  or an unused recovery code (used up by it).
- Administrators choose roles that must have it (``required_roles``, the settings table): a user of such a
  role without it is sent to enrol after the password (``after_password`` says "enrol"), and the API gives
  them no token until they have.
- Administrators reset a user's second factor (a lost phone): ``reset``, logged in ``admin_change``; the
  user's logins end, and they enrol again (at once, if their role requires it).
"""
import hashlib
import hmac
import io
import base64
import json
import secrets
from datetime import datetime, timedelta

import pyotp
import sqlalchemy as sa
from sqlmodel import Session, select

from accounts import admin
from accounts.models import TotpRecoveryCode, UserTotp
from common.actor import ADMIN, ROLES, Actor
from common.db import UnitOfWork
from common.errors import DomainError, InvalidInput

ISSUER = "ReliefDepot"
RECOVERY_CODES = 10
STEP = 30  # seconds (RFC 6238's default, what every authenticator app uses)
SETTING = sa.table("setting", sa.column("key", sa.String), sa.column("value", sa.String))
ROLES_KEY = "accounts.totp_roles"
RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: read off paper


class TotpState(DomainError):
    code = "totp_state"


# ---------------------------------------------------------------- which roles must have it


def required_roles(engine) -> set[str]:
    with engine.connect() as c:
        value = c.execute(sa.select(SETTING.c.value).where(SETTING.c.key == ROLES_KEY)).scalar()
    return set(json.loads(value)) & set(ROLES) if value else set()


def set_required_roles(engine, actor: Actor, roles: list[str]) -> set[str]:
    actor.require_role(ADMIN)
    unknown = [r for r in roles if r not in ROLES]
    if unknown:
        raise InvalidInput(f"no role {unknown[0]}", field="roles", message_code="role_unknown",
                           params={"role": unknown[0]})
    chosen = sorted(set(roles))
    with UnitOfWork(engine) as uow:
        c = uow.session.connection()
        c.execute(sa.delete(SETTING).where(SETTING.c.key == ROLES_KEY))
        c.execute(sa.insert(SETTING).values(key=ROLES_KEY, value=json.dumps(chosen)))
        uow.commit()
    return set(chosen)


# ---------------------------------------------------------------- state


def status(engine, user_id: int) -> dict:
    with Session(engine) as s:
        row = s.get(UserTotp, user_id)
        left = s.exec(select(sa.func.count(TotpRecoveryCode.id)).where(
            TotpRecoveryCode.user_id == user_id, TotpRecoveryCode.used_at.is_(None))).one()
    return {"enrolled": bool(row and row.confirmed_at), "pending": bool(row and not row.confirmed_at),
            "confirmed_at": row.confirmed_at if row else None, "recovery_codes_left": left}


def after_password(engine, actor: Actor) -> str | None:
    """What a login needs once the password was right: "code" (the user has a second factor), "enrol" (their
    role requires one and they have none yet) or None."""
    if status(engine, actor.user_id)["enrolled"]:
        return "code"
    return "enrol" if actor.role in required_roles(engine) else None


# ---------------------------------------------------------------- enrolment


def begin(engine, actor: Actor, now: datetime) -> str:
    """A new secret for the signed-in user (replacing an enrolment begun and not confirmed); returns it."""
    secret = pyotp.random_base32()
    with UnitOfWork(engine) as uow:
        s = uow.session
        row = s.exec(uow.lock_for_update(select(UserTotp).where(UserTotp.user_id == actor.user_id))).first()
        if row is not None and row.confirmed_at is not None:
            raise TotpState("the second factor is already on; an administrator resets it (a lost phone)",
                            message_code="totp_already_on")
        row = row or UserTotp(user_id=actor.user_id, secret=secret)
        row.secret, row.created_at, row.last_step = secret, now, None
        s.add(row)
        uow.commit()
    return secret


def pending_secret(engine, actor: Actor) -> str | None:
    with Session(engine) as s:
        row = s.get(UserTotp, actor.user_id)
    return row.secret if row is not None and row.confirmed_at is None else None


def provisioning_uri(secret: str, username: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)


def qr_data_uri(text: str) -> str:
    """The QR code of ``text`` as a PNG data: URI (the page's CSP allows data: images)."""
    import qrcode

    image = qrcode.make(text, box_size=6, border=2)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


def confirm(engine, actor: Actor, code: str, now: datetime) -> list[str]:
    """Turns the second factor on with a code from the app; returns the ten recovery codes (shown once)."""
    with UnitOfWork(engine) as uow:
        s = uow.session
        row = s.exec(uow.lock_for_update(select(UserTotp).where(UserTotp.user_id == actor.user_id))).first()
        if row is None or row.confirmed_at is not None:
            raise TotpState("there is no enrolment to confirm: begin one first", message_code="totp_not_begun")
        step = _matching_step(row.secret, code, now)
        if step is None:
            raise InvalidInput("the code does not match: check the phone's clock and type the code shown now",
                               field="code", message_code="totp_wrong")
        row.confirmed_at, row.last_step = now, step
        s.add(row)
        codes = _new_recovery_codes(s, actor.user_id)
        _record(uow, engine, ("second_factor_enrolled", {}), actor.username, now)
        uow.commit()
    return codes


def _record(uow, engine, what: tuple[str, dict], username: str, now: datetime) -> None:
    """The security log's row of an enrolment or a reset, in the same transaction as the change."""
    from accounts.security import append_event

    append_event(uow.session, engine, "second_factor", "success", username=username, message=what, at=now)


def _new_recovery_codes(s: Session, user_id: int) -> list[str]:
    s.execute(sa.delete(TotpRecoveryCode).where(TotpRecoveryCode.user_id == user_id))
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(RECOVERY_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
        s.add(TotpRecoveryCode(user_id=user_id, code_hash=_hash(raw)))
    return codes


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _normal(code: str) -> str:
    return "".join(ch for ch in (code or "").lower() if ch.isalnum())


def _matching_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step whose code ``code`` is: this step's or one either side; None if none."""
    code = _normal(code)
    if len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    for offset in (0, -1, 1):
        at = now + timedelta(seconds=offset * STEP)
        if hmac.compare_digest(totp.at(at), code):
            return totp.timecode(at)
    return None


# ---------------------------------------------------------------- a login


def check(engine, user_id: int, code: str, now: datetime) -> str | None:
    """Whether ``code`` is the user's second factor now: "totp" (a code from the app, not used before),
    "recovery" (an unused recovery code, now used up), or None."""
    with UnitOfWork(engine) as uow:
        s = uow.session
        row = s.exec(uow.lock_for_update(select(UserTotp).where(UserTotp.user_id == user_id))).first()
        if row is None or row.confirmed_at is None:
            return None
        step = _matching_step(row.secret, code, now)
        if step is not None:
            if row.last_step is not None and step <= row.last_step:
                return None  # this code (or an older one) was used already
            row.last_step = step
            s.add(row)
            uow.commit()
            return "totp"
        normal = _normal(code)
        if len(normal) != 10:
            return None
        found = s.exec(uow.lock_for_update(select(TotpRecoveryCode).where(
            TotpRecoveryCode.user_id == user_id, TotpRecoveryCode.code_hash == _hash(normal),
            TotpRecoveryCode.used_at.is_(None)))).first()
        if found is None:
            return None
        found.used_at = now
        s.add(found)
        uow.commit()
        return "recovery"


def check_and_record(engine, actor: Actor, code: str, now: datetime, via: str) -> str | None:
    """``check``, recorded in the security log (``second_factor``, success or failure, the page or the token
    endpoint, a code or a recovery code)."""
    from accounts.security import record_security_event

    used = check(engine, actor.user_id, code, now)
    record_security_event(engine, "second_factor", "success" if used else "failure", username=actor.username,
                          message=("second_factor_used", {"via": via, "what": "recovery code" if used == "recovery" else "code"}),
                          at=now)
    return used


# ---------------------------------------------------------------- administrators


def reset(engine, actor: Actor, username: str, now: datetime) -> bool:
    """Turns a user's second factor off (a lost phone): their secret and recovery codes are deleted and their
    logins end. Logged in admin_change. False if they had none."""
    actor.require_role(ADMIN)
    with UnitOfWork(engine) as uow:
        s = uow.session
        user = admin._user(s, username, lock=True, uow=uow)
        row = s.get(UserTotp, user.id)
        if row is None:
            return False
        s.execute(sa.delete(TotpRecoveryCode).where(TotpRecoveryCode.user_id == user.id))
        s.delete(row)
        user.session_epoch += 1
        s.add(user)
        admin._log(s, actor, "user", username, "totp_reset", None, now)
        _record(uow, engine, ("second_factor_reset", {"user": username}), actor.username, now)
        uow.commit()
    return True
