"""The security audit trail (安全审计): ``record_security_event`` appends to ``security_event``.

One chain over every row, each row's hash covering its content and the hash before it (an HMAC with the ledger's
current key when there is one, like the ledger's lines). Writers are serialised (a PostgreSQL advisory lock;
SQLite's write lock), so the chain has no forks. ``verify`` checks it; ``prune`` removes rows older than the kept
days and leaves an anchor row (kind ``pruned``) naming the hash the first kept row continues from. Logins and
passwords, which write much of it, are ``accounts.login_protection`` and ``accounts.passwords``.
"""
import hashlib
import hmac
import json
import logging
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
from sqlmodel import Session, select

from accounts import security_details
from accounts.models import SecurityEvent
from common import clock
from common.db import UnitOfWork

log = logging.getLogger(__name__)

GENESIS = "0" * 64
CHAIN_LOCK = 7_215_000_015  # the PostgreSQL advisory lock that serialises the security log's writers

# kinds of security events (the page's filter; accounts.vocab names them)
KINDS = ("login", "logout", "timeout", "lock", "unlock", "password_change", "password_reset", "role_change",
         "depot_binding", "account", "token_create", "token_revoke", "rule_change", "approval", "export",
         "pruned", "second_factor")
OUTCOMES = ("success", "failure", "refused", "locked")


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

