"""Login protection, password rules and the security audit trail (安全审计).

* Logins (pages and ``POST /api/v1/tokens``) go through ``login``: an account and a source address are locked
  for ``lock`` after ``max_failures`` failures within ``window`` (``LoginRules``, from the app's settings). The
  answer never tells an unknown user from a wrong password or a lock (``LoginRefused``, one message). Failures
  are rows of ``login_failure``; a successful login and an administrator's ``unlock`` stop them counting.
* What a new password must be: ``PasswordRules`` (length, character classes, not the username, not one of the
  last few, a maximum age).
* ``record_security_event`` appends to ``security_event``: one chain over every row, each row's hash covering
  its content and the hash before it (an HMAC with the ledger's current key when there is one, like the
  ledger's lines). Writers are serialised (a PostgreSQL advisory lock; SQLite's write lock), so the chain has
  no forks. ``verify`` checks it; ``prune`` removes rows older than the kept days and leaves an anchor row (kind
  ``pruned``) naming the hash the first kept row continues from.
"""
import hashlib
import hmac
import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from sqlmodel import Session, select
from werkzeug.security import check_password_hash

from accounts import security_details
from accounts.models import LoginFailure, LoginSession, PasswordHistory, SecurityEvent, User
from common import clock
from common.actor import Actor
from common.db import UnitOfWork
from common.errors import DomainError, InvalidInput

log = logging.getLogger(__name__)

GENESIS = "0" * 64
CHAIN_LOCK = 7_215_000_015  # the PostgreSQL advisory lock that serialises the security log's writers

# kinds of security events (the page's filter; accounts.vocab names them)
KINDS = ("login", "logout", "timeout", "lock", "unlock", "password_change", "password_reset", "role_change",
         "depot_binding", "account", "token_create", "token_revoke", "rule_change", "approval", "export",
         "pruned", "second_factor")
OUTCOMES = ("success", "failure", "refused", "locked")


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


@dataclass(frozen=True)
class PasswordRules:
    min_length: int = 10
    min_classes: int = 3  # of lower case, upper case, digits, other characters
    history: int = 5  # a new password may not be one of the last this many
    max_age: timedelta | None = timedelta(days=90)  # None: never too old


def login_rules(config) -> LoginRules:
    return LoginRules(max_failures=int(config["LOGIN_MAX_FAILURES"]),
                      window=timedelta(minutes=float(config["LOGIN_WINDOW_MINUTES"])),
                      lock=timedelta(minutes=float(config["LOGIN_LOCK_MINUTES"])),
                      address_max_failures=int(config["LOGIN_ADDRESS_MAX_FAILURES"]))


def password_rules(config) -> PasswordRules:
    days = float(config["PASSWORD_MAX_AGE_DAYS"])
    return PasswordRules(min_length=int(config["PASSWORD_MIN_LENGTH"]), min_classes=int(config["PASSWORD_MIN_CLASSES"]),
                         history=int(config["PASSWORD_HISTORY"]), max_age=timedelta(days=days) if days > 0 else None)


# ---------------------------------------------------------------- the security log


def _canonical(at: datetime) -> str:
    if at.tzinfo is None:
        at = at.replace(tzinfo=timezone.utc)
    return at.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_hash(prev_hash: str, row: dict, key: bytes | None) -> str:
    content = [prev_hash, _canonical(row["at"]), row["kind"], row["outcome"], row["username"], row["address"],
               row["detail"]]
    if row.get("detail_code"):  # events recorded with a message (all since migration 0028) hash it too
        content += [row["detail_code"], row.get("detail_params")]
    payload = json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode()
    if key is None:
        return hashlib.sha256(payload).hexdigest()
    return hmac.digest(key, payload, "sha256").hex()


def _keyring(engine):
    from inventory import ledger_keys  # the ledger's keys, kept apart from the database

    return ledger_keys.of(engine)


def _lock_chain(s: Session) -> None:
    if s.get_bind().dialect.name == "postgresql":
        s.exec(sa.text("SELECT pg_advisory_xact_lock(:k)").bindparams(k=CHAIN_LOCK))


def _request_address() -> str | None:
    try:
        from flask import has_request_context, request
    except ImportError:  # pragma: no cover
        return None
    return (request.remote_addr or None) if has_request_context() else None


def append_event(s: Session, engine, kind: str, outcome: str = "success", *, username: str | None = None,
                 address: str | None = None, detail: str | None = None, at: datetime | None = None,
                 message: tuple[str, dict] | None = None) -> None:
    """Appends one event inside the caller's transaction (``s`` of a UnitOfWork on ``engine``). ``message``:
    (code, values) of ``accounts.security_details.MESSAGES``; its English words become ``detail``."""
    _lock_chain(s)
    code = params = None
    if message is not None:
        code, values = message
        detail, params = security_details.english(code, values), security_details.stored_params(values)
    last = s.exec(select(SecurityEvent.hash).order_by(SecurityEvent.id.desc()).limit(1)).first()
    ring = _keyring(engine)
    row = {"at": at or clock.now(), "kind": kind[:32], "outcome": outcome[:16],
           "username": (username or None) and username[:64],
           "address": ((address if address is not None else _request_address()) or None),
           "detail": (detail or None) and detail[:1000], "detail_code": code, "detail_params": params}
    if row["address"]:
        row["address"] = row["address"][:64]
    prev = last or GENESIS
    s.add(SecurityEvent(**row, prev_hash=prev, hash=event_hash(prev, row, ring.current_key), key_id=ring.current))
    s.flush()


def record_security_event(engine, kind: str, outcome: str = "success", *, username: str | None = None,
                          address: str | None = None, detail: str | None = None, at: datetime | None = None,
                          message: tuple[str, dict] | None = None) -> None:
    """Records one security event in a transaction of its own: ``kind`` (``KINDS``; others are kept as given),
    ``outcome`` (success / failure / refused / locked), who (the username acting, or typed at a login), the
    source address (the current request's when not given), what (``detail``: plain words and values, e.g. the
    report and its filters) and when (now when not given)."""
    with UnitOfWork(engine) as uow:
        append_event(uow.session, engine, kind, outcome, username=username, address=address, detail=detail, at=at,
                     message=message)
        uow.commit()


def verify(engine) -> dict:
    """Checks the whole chain: every row's hash, and each row continuing the one before (the first kept row the
    anchor left by the latest prune). Returns {"ok", "checked", "problems": [{"id", "problem"}]}."""
    ring = _keyring(engine)
    problems, checked = [], 0
    with Session(engine) as s:
        anchor = GENESIS
        first_id = s.exec(select(sa.func.min(SecurityEvent.id))).first()
        prunes = s.exec(select(SecurityEvent.detail).where(SecurityEvent.kind == "pruned")
                        .order_by(SecurityEvent.id.desc()).limit(1)).first()
        if prunes:
            try:
                anchor = json.loads(prunes)["continues_from"]
            except (ValueError, KeyError, TypeError):
                problems.append({"id": None, "problem": "the latest prune row does not name the hash it continues from"})
        expected = anchor
        after = 0
        while True:
            rows = s.exec(select(SecurityEvent).where(SecurityEvent.id > after).order_by(SecurityEvent.id)
                          .limit(5000)).all()
            if not rows:
                break
            for r in rows:
                checked += 1
                if r.prev_hash != expected:
                    problems.append({"id": r.id, "problem": "the row before it is missing or was changed"
                                     if r.id != first_id else "the first row does not continue from the anchor: "
                                     "rows were removed outside a prune"})
                elif r.key_id is not None and r.key_id not in ring.keys:
                    problems.append({"id": r.id, "problem": f"it names ledger key {r.key_id}, not in the key file"})
                elif event_hash(r.prev_hash, r.model_dump(), ring.keys.get(r.key_id) if r.key_id else None) != r.hash:
                    problems.append({"id": r.id, "problem": "its content does not match its hash (edited)"})
                expected = r.hash
                after = r.id
    return {"ok": not problems, "checked": checked, "problems": problems}


def prune(engine, keep_days: int, now: datetime, who: str = "prune") -> int:
    """Removes the events older than ``keep_days`` (never fewer than 180 days are kept) and appends an anchor
    row naming the hash the first kept row continues from. Returns the rows removed."""
    keep_days = max(int(keep_days), 180)
    cutoff = now - timedelta(days=keep_days)
    with UnitOfWork(engine) as uow:
        s = uow.session
        _lock_chain(s)
        # the chain runs by id: only the leading rows all older than the cutoff go (a newer row keeps those after it)
        first_new = s.exec(select(sa.func.min(SecurityEvent.id)).where(SecurityEvent.at >= cutoff)).first()
        query = select(SecurityEvent).where(SecurityEvent.id < first_new) if first_new else select(SecurityEvent)
        last_old = s.exec(query.order_by(SecurityEvent.id.desc()).limit(1)).first()
        if last_old is None:
            return 0
        removed = s.exec(select(sa.func.count()).select_from(SecurityEvent)
                         .where(SecurityEvent.id <= last_old.id)).one()
        s.exec(sa.delete(SecurityEvent).where(SecurityEvent.id <= last_old.id))
        append_event(s, engine, "pruned", "success", username=who, address="", at=now,
                     detail=json.dumps({"removed_upto": last_old.id, "continues_from": last_old.hash,
                                        "before": _canonical(cutoff)}))
        uow.commit()
        return removed


def events(engine, *, since: datetime | None = None, until: datetime | None = None, username: str | None = None,
           kind: str | None = None, outcome: str | None = None, offset: int = 0, limit: int | None = 50) -> tuple[list, int]:
    """The events matching the filters, newest first, and how many match in all."""
    where = []
    if since:
        where.append(SecurityEvent.at >= since)
    if until:
        where.append(SecurityEvent.at < until)
    if username:
        where.append(SecurityEvent.username == username)
    if kind:
        where.append(SecurityEvent.kind == kind)
    if outcome:
        where.append(SecurityEvent.outcome == outcome)
    with Session(engine) as s:
        total = s.exec(select(sa.func.count()).select_from(SecurityEvent).where(*where)).one()
        query = select(SecurityEvent).where(*where).order_by(SecurityEvent.id.desc()).offset(offset)
        if limit is not None:
            query = query.limit(limit)
        return [r.model_dump() for r in s.exec(query).all()], total


# ---------------------------------------------------------------- login protection


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


# ---------------------------------------------------------------- passwords


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
