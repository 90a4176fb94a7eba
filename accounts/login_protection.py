"""Login protection: the one way in with a password, account and address locks, and logins at once.

Logins (pages and ``POST /api/v1/tokens``) go through ``login``: an account and a source address are locked for
``lock`` after ``max_failures`` failures within ``window`` (``LoginRules``, from the app's settings). The answer
never tells an unknown user from a wrong password or a lock (``LoginRefused``, one message). Failures are rows of
``login_failure``; a successful login and an administrator's ``unlock`` stop them counting. Every attempt is in the
security log (``accounts.security``). ``open_session`` keeps the browser logins of an account within
``SESSION_MAX_PER_ACCOUNT``.
"""
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select
from werkzeug.security import check_password_hash

from accounts.models import LoginFailure, LoginSession, User
from accounts.security import _canonical, _lock_chain, append_event, record_security_event
from common import clock
from common.actor import Actor
from common.db import UnitOfWork
from common.errors import DomainError

log = logging.getLogger(__name__)


class LoginRefused(DomainError):
    """Unknown user, wrong password, locked account or address, deactivated account, demo password outside the
    demo: one message and one status for all of them."""

    status = 401
    code = "not_authenticated"

    def __init__(self):
        super().__init__("wrong username or password, or too many attempts: try again later", field="password",
                         message_code="login_refused")


@dataclass(frozen=True)
class LoginRules:
    max_failures: int = 5
    window: timedelta = timedelta(minutes=15)
    lock: timedelta = timedelta(minutes=15)
    address_max_failures: int = 5


def login_rules(config) -> LoginRules:
    return LoginRules(max_failures=int(config["LOGIN_MAX_FAILURES"]),
                      window=timedelta(minutes=float(config["LOGIN_WINDOW_MINUTES"])),
                      lock=timedelta(minutes=float(config["LOGIN_LOCK_MINUTES"])),
                      address_max_failures=int(config["LOGIN_ADDRESS_MAX_FAILURES"]))


def _locked_until(times: list[datetime], n: int, rules: LoginRules) -> datetime | None:
    """The end of the latest lock made by ``n`` failures within the window (``times`` sorted), or None."""
    if n <= 0:
        return None
    until = None
    for i in range(n - 1, len(times)):
        if times[i] - times[i - n + 1] <= rules.window:
            until = times[i] + rules.lock
    return until


def _failures(s: Session, column, value: str, since: datetime) -> list[datetime]:
    counts = LoginFailure.for_account if column is LoginFailure.username else LoginFailure.for_address
    return list(s.exec(select(LoginFailure.at).where(column == value, LoginFailure.at >= since, counts.is_(True))
                       .order_by(LoginFailure.at, LoginFailure.id)).all())


def lock_state(s: Session, username: str, address: str, rules: LoginRules, now: datetime) -> dict:
    """When the account's and the address's locks end (None: not locked)."""
    since = now - rules.window - rules.lock
    account = _locked_until(_failures(s, LoginFailure.username, username, since), rules.max_failures, rules)
    place = _locked_until(_failures(s, LoginFailure.address, address, since), rules.address_max_failures, rules)
    return {"account": account if account and account > now else None,
            "address": place if place and place > now else None}


_DUMMY: dict[str, str] = {}


def _dummy_hash() -> str:
    from werkzeug.security import generate_password_hash

    from accounts import services

    method = services.PASSWORD_METHOD
    if method not in _DUMMY:
        _DUMMY[method] = generate_password_hash("no such user", method=method)
    return _DUMMY[method]


def _demo_password(username: str, password: str) -> bool:
    from inventory.demo import DEMO_USERS

    return any(username == u and password == p for u, p, _, _ in DEMO_USERS)


def login(engine, username: str, password: str, address: str, rules: LoginRules, now: datetime, *,
          demo: bool = False, via: str = "page", password_max_age: timedelta | None = None) -> Actor:
    """The one way in with a password (the login page and the token endpoint): the actor, or ``LoginRefused``.
    Records the attempt in the security log; failures count towards the account's and the address's locks."""
    from accounts import services

    username = (username or "").strip()[:64]
    address = (address or "?")[:64]
    # The lock state is read first without the password (a locked account's password is never tried)...
    with Session(engine) as s:
        locks = lock_state(s, username, address, rules, now)
    if locks["account"] or locks["address"]:
        _refused(engine, username, address, now, via, "locked", locks)
        raise LoginRefused()
    if not demo and _demo_password(username, password or ""):
        log.warning("refused a login of %s with its demo password: this is not the demo (set DEMO=1 for the demo)",
                    username)
        record_security_event(engine, "login", "refused", username=username, address=address, at=now,
                              message=("login_demo_password", {"via": via}))
        raise LoginRefused()
    with Session(engine) as s:
        user = s.exec(select(User).where(User.username == username)).first()
        # an unknown user costs the same hash as a known one: the time taken does not tell them apart
        ok = check_password_hash(user.password_hash if user is not None else _dummy_hash(), password or "")
        ok = ok and user is not None and user.active
    # ... then, in one serialised transaction, checked again (failures committed meanwhile count) and recorded.
    with UnitOfWork(engine) as uow:
        s = uow.session
        _lock_chain(s)
        locks = lock_state(s, username, address, rules, now)
        if locks["account"] or locks["address"]:
            ok = False
        if ok:
            s.exec(sa.update(LoginFailure).where(LoginFailure.username == username).values(for_account=False))
            append_event(s, engine, "login", "success", username=username, address=address, at=now,
                         message=("login", {"via": via}))
            user = s.get(User, user.id)
            actor = services.actor_for(s, user, now=now, max_age=password_max_age)
            uow.commit()
            return actor
        if not (locks["account"] or locks["address"]):
            s.exec(sa.delete(LoginFailure).where(LoginFailure.at < now - 2 * (rules.window + rules.lock)))
            s.add(LoginFailure(at=now, username=username, address=address))
            s.flush()
            why = "unknown user" if user is None else ("deactivated" if not user.active else "wrong password")
            append_event(s, engine, "login", "failure", username=username, address=address, at=now,
                         message=("login_failed", {"via": via, "why": why}))
            after = lock_state(s, username, address, rules, now)
            for scope in ("account", "address"):
                if after[scope]:
                    append_event(s, engine, "lock", "locked", username=username, address=address, at=now,
                                 message=("locked_until", {"scope": scope, "until": _canonical(after[scope])}))
            uow.commit()
            raise LoginRefused()
    # locked by failures committed while the password was checked: nothing written above (rolled back)
    _refused(engine, username, address, now, via, "locked", locks)
    raise LoginRefused()


def _refused(engine, username, address, now, via, outcome, locks) -> None:
    which = " and ".join(k for k in ("account", "address") if locks.get(k))
    record_security_event(engine, "login", outcome, username=username, address=address, at=now,
                          message=("login_while_locked", {"via": via, "which": which}))


def locked(engine, rules: LoginRules, now: datetime) -> dict:
    """The accounts and the addresses locked now: {"accounts": [{"username", "until"}], "addresses": [...]}"""
    since = now - rules.window - rules.lock
    with Session(engine) as s:
        rows = s.exec(select(LoginFailure.username, LoginFailure.address, LoginFailure.at, LoginFailure.for_account,
                             LoginFailure.for_address)
                      .where(LoginFailure.at >= since).order_by(LoginFailure.at, LoginFailure.id)).all()
        known = set(s.exec(select(User.username)).all())
    by_user, by_address = {}, {}
    for username, address, at, for_account, for_address in rows:
        if for_account:
            by_user.setdefault(username, []).append(at)
        if for_address:
            by_address.setdefault(address, []).append(at)
    accounts = [{"username": u, "until": t} for u, times in sorted(by_user.items())
                if u in known and (t := _locked_until(times, rules.max_failures, rules)) and t > now]
    addresses = [{"address": a, "until": t} for a, times in sorted(by_address.items())
                 if (t := _locked_until(times, rules.address_max_failures, rules)) and t > now]
    return {"accounts": accounts, "addresses": addresses}


def unlock(engine, actor: Actor, *, username: str | None = None, address: str | None = None,
           now: datetime | None = None) -> int:
    """An administrator ends a lock: the account's failures (or the address's) are forgotten. Recorded in the
    security log (and, for an account, in the people change log). Returns the failures forgotten."""
    from accounts.models import AdminChange
    from common.actor import ADMIN

    actor.require_role(ADMIN)
    now = now or clock.now()
    with UnitOfWork(engine) as uow:
        s = uow.session
        _lock_chain(s)
        if username:
            where, values = (LoginFailure.username == username, LoginFailure.for_account.is_(True)), {"for_account": False}
        else:
            where, values = (LoginFailure.address == (address or ""), LoginFailure.for_address.is_(True)), {"for_address": False}
        n = s.exec(select(sa.func.count()).select_from(LoginFailure).where(*where)).one()
        s.exec(sa.update(LoginFailure).where(*where).values(**values))
        append_event(s, engine, "unlock", "success", username=actor.username, at=now,
                     message=("unlock_account", {"user": username}) if username
                     else ("unlock_address", {"address": address}))
        if username:
            s.add(AdminChange(at=now, user_id=actor.user_id, subject_kind="user", subject=username[:64],
                              action="unlocked"))
        uow.commit()
        return n


# ---------------------------------------------------------------- logins at once (SESSION_MAX_PER_ACCOUNT)


def open_session(engine, user_id: int, username: str, limit: int, lifetime: timedelta, now: datetime) -> str:
    """Records a new browser login and ends the oldest of the account's logins beyond ``limit`` (their browsers
    find out at their next request: ``session_ended``). Returns the login's id, kept in its session cookie."""
    import secrets

    sid = secrets.token_urlsafe(24)
    with UnitOfWork(engine) as uow:
        s = uow.session
        _lock_chain(s)  # serialises the logins of everyone: two at once cannot both keep the last place
        live = s.exec(select(LoginSession).where(LoginSession.user_id == user_id, LoginSession.ended_at.is_(None),
                                                 LoginSession.login_at > now - lifetime)
                      .order_by(LoginSession.login_at.desc(), LoginSession.id.desc())).all()
        for old in live[max(limit - 1, 0):]:
            old.ended_at = now
            s.add(old)
            append_event(s, engine, "timeout", username=username, at=now,
                         message=("session_limit", {"limit": limit}))
        s.add(LoginSession(user_id=user_id, sid=sid, login_at=now))
        uow.commit()
    return sid


def session_ended(engine, sid: str) -> bool:
    """Whether this login was ended by a newer one beyond the limit (an unknown id: not ended)."""
    with Session(engine) as s:
        ended_at = s.exec(select(LoginSession.ended_at).where(LoginSession.sid == sid)).first()
    return ended_at is not None


def close_session(engine, sid: str, now: datetime) -> None:
    with UnitOfWork(engine) as uow:
        uow.session.exec(sa.update(LoginSession).where(LoginSession.sid == sid, LoginSession.ended_at.is_(None))
                         .values(ended_at=now))
        uow.session.exec(sa.delete(LoginSession).where(LoginSession.ended_at < now - timedelta(days=1)))
        uow.commit()


def demo_passwords_in_use(engine) -> list[str]:
    """The demo accounts whose password is still the demo one (a real installation must not have any)."""
    from inventory.demo import DEMO_USERS

    found = []
    with Session(engine) as s:
        for username, password, _, _ in DEMO_USERS:
            user = s.exec(select(User).where(User.username == username, User.active.is_(True))).first()
            if user is not None and check_password_hash(user.password_hash, password):
                found.append(username)
    return found
