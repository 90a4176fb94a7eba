"""Accounts, depot bindings and API tokens."""
import hashlib
import logging
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select
from werkzeug.security import check_password_hash, generate_password_hash

from accounts.models import ApiToken, KeeperDepot, User
from accounts.passwords import password_expired
from accounts.security import append_event
from common import clock
from common.actor import ADMIN, KEEPER, ROLES, Actor
from common.db import WRITES, UnitOfWork, UTCDateTime, one_statement_reads, utcnow
from common.errors import Forbidden, InvalidInput, NotFound
from inventory.models import Depot

log = logging.getLogger(__name__)

MIN_PASSWORD = 8
PASSWORD_METHOD = "scrypt"  # werkzeug's default; the test suite swaps in a cheap one for speed


def actor_for(session: Session, user: User, now: datetime | None = None,
              max_age: timedelta | None = None) -> Actor:
    """The user as an actor; ``must_change_password`` also when the password is older than ``max_age``."""
    depot_ids = frozenset(session.exec(select(KeeperDepot.depot_id).where(KeeperDepot.user_id == user.id)).all())
    must_change = user.must_change_password or (now is not None and password_expired(user, now, max_age))
    return Actor(user_id=user.id, username=user.username, role=user.role, depot_ids=depot_ids,
                 must_change_password=must_change)


def add_user(uow, username: str, password: str, role: str, display_name: str | None = None,
             depots: list[str] = ()) -> User:
    if role not in ROLES:
        raise InvalidInput(f"role must be one of {', '.join(ROLES)}", field="role")
    if not username or len(username) > 64:
        raise InvalidInput("username must be 1–64 characters", field="username")
    if len(password) < MIN_PASSWORD:
        raise InvalidInput(f"password must be at least {MIN_PASSWORD} characters", field="password")
    s = uow.session
    if s.exec(select(User.id).where(User.username == username)).first() is not None:
        raise InvalidInput(f"username {username} is taken", field="username")
    if depots and role != KEEPER:
        raise InvalidInput("only depot keepers are bound to depots", field="depots")
    user = User(username=username, display_name=display_name or username,
                password_hash=generate_password_hash(password, method=PASSWORD_METHOD), role=role,
                password_changed_at=clock.now())
    s.add(user)
    s.flush()
    for code in depots:
        depot = s.exec(select(Depot).where(Depot.code == code)).first()
        if depot is None:
            raise NotFound(f"no depot with code {code}", field="depots")
        s.add(KeeperDepot(user_id=user.id, depot_id=depot.id))
    return user


def create_user(engine, actor: Actor, **kwargs) -> int:
    actor.require_role(ADMIN)
    with UnitOfWork(engine) as uow:
        user = add_user(uow, **kwargs)
        uow.commit()
        return user.id


def session_id(engine, actor: Actor) -> str:
    """The id a login session keeps: the user and their session epoch (``sign_out_everywhere``)."""
    with Session(engine) as s:
        return f"{actor.user_id}.{s.get(User, actor.user_id).session_epoch}"


def actor_for_session(engine, session_id: str, now: datetime | None = None,
                      max_age: timedelta | None = None) -> Actor | None:
    """The actor of a login session, or None once the user is inactive or signed out everywhere."""
    user_id, _, epoch = session_id.partition(".")
    if not user_id.isdigit() or not (epoch or "0").isdigit():
        return None
    with Session(engine) as s:
        user = s.get(User, int(user_id))
        if user is None or not user.active or user.session_epoch != int(epoch or 0):
            return None
        return actor_for(s, user, now, max_age)


def sign_out_everywhere(engine, actor: Actor, username: str, now) -> int:
    """Ends every login of ``username`` in every browser and revokes all their live tokens (a lost
    phone still logged in). One's own, or anyone's for an administrator. Returns the tokens revoked."""
    with UnitOfWork(engine) as uow:
        user = uow.session.exec(select(User).where(User.username == username)).first()
        if user is None:
            raise NotFound(f"no user {username}", field="username")
        if user.id != actor.user_id and actor.role != ADMIN:
            raise Forbidden("you can sign out only yourself")
        user.session_epoch += 1
        uow.session.add(user)
        live = uow.session.exec(select(ApiToken).where(ApiToken.user_id == user.id,
                                                        ApiToken.revoked_at.is_(None))).all()
        for token in live:
            token.revoked_at = now
            uow.session.add(token)
        append_event(uow.session, engine, "token_revoke", username=actor.username, at=now,
                     message=("signed_out_everywhere", {"user": username, "tokens": len(live)}))
        uow.commit()
        return len(live)


def authenticate(engine, username: str, password: str) -> Actor | None:
    with Session(engine) as s:
        user = s.exec(select(User).where(User.username == username)).first()
        if user is None or not user.active or not check_password_hash(user.password_hash, password):
            return None
        return actor_for(s, user)


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(engine, user_id: int, name: str) -> str:
    """A new bearer token; only its hash is kept, so this is the one time it is seen."""
    token = "rd_" + secrets.token_urlsafe(32)
    with UnitOfWork(engine) as uow:
        user = uow.session.get(User, user_id)
        if user is None:
            raise NotFound("no such user", field="user")
        uow.session.add(ApiToken(user_id=user_id, name=name[:100] or "token", token_hash=_hash_token(token)))
        append_event(uow.session, engine, "token_create", username=user.username, message=("token", {"name": name[:100]}))
        uow.commit()
    return token


DEVICE_TOKEN_PREFIX = "device: "


def issue_device_token(engine, actor: Actor, device: str) -> tuple[str, str]:
    """A token for one phone's scanning page, so actions queued offline still authenticate hours later
    when the login session and its CSRF token have expired. Named after the device; a device asking
    again (its stored token lost) gets a new token and its earlier ones stop working. Returns the token
    (seen only this once) and its name."""
    name = (DEVICE_TOKEN_PREFIX + device)[:100]
    token = "rd_" + secrets.token_urlsafe(32)
    with UnitOfWork(engine) as uow:
        earlier = uow.session.exec(select(ApiToken).where(
            ApiToken.user_id == actor.user_id, ApiToken.name == name, ApiToken.revoked_at.is_(None))).all()
        for old in earlier:
            old.revoked_at = utcnow()
            uow.session.add(old)
        uow.session.add(ApiToken(user_id=actor.user_id, name=name, token_hash=_hash_token(token)))
        append_event(uow.session, engine, "token_create", username=actor.username,
                     message=("token_replacing", {"name": name, "earlier": len(earlier)}) if earlier
                     else ("token", {"name": name}))
        uow.commit()
    return token, name


# Every API request with a bearer token runs this: one Core statement (the user and the depots they keep,
# a row per depot) rather than ORM queries, which cost more than the lookup itself. It also reads the
# token's id and last_used_at, so that marking the token used costs nothing on most requests.
_TOKENS = ApiToken.__table__
_USERS = User.__table__
_TOKEN_ACTOR = (
    sa.select(_USERS.c.id, _USERS.c.username, _USERS.c.role, KeeperDepot.__table__.c.depot_id,
              _TOKENS.c.id.label("token_id"), _TOKENS.c.last_used_at)
    .select_from(_TOKENS.join(_USERS, _USERS.c.id == _TOKENS.c.user_id)
                 .outerjoin(KeeperDepot.__table__, KeeperDepot.__table__.c.user_id == _USERS.c.id))
    .where(_TOKENS.c.token_hash == sa.bindparam("token_hash"),
           _TOKENS.c.revoked_at.is_(None), _USERS.c.active.is_(True))
)

LAST_USED_EVERY = timedelta(hours=1)
"""last_used_at is written at most this often per token: a write an hour, not one a request."""

# Conditional, so that of several requests finding the mark stale at once only one writes it.
_MARK_USED = (
    _TOKENS.update()
    .where(_TOKENS.c.id == sa.bindparam("token_id"),
           sa.or_(_TOKENS.c.last_used_at.is_(None),
                  _TOKENS.c.last_used_at < sa.bindparam("stale_before", type_=UTCDateTime)))
    .values(last_used_at=sa.bindparam("now", type_=UTCDateTime))
)


def actor_for_token(engine, token: str, now: datetime | None = None) -> Actor | None:
    """The actor a live token of an active user stands for; None for any other token.

    Marks the token used (``last_used_at``) when its mark is more than an hour old: one SELECT on most
    requests, a short UPDATE of its own at most once an hour per token."""
    with one_statement_reads(engine) as conn:
        rows = conn.execute(_TOKEN_ACTOR, {"token_hash": _hash_token(token)}).all()
    if not rows:
        return None
    user_id, username, role, _, token_id, last_used_at = rows[0]
    now = now or clock.now()
    if last_used_at is None or last_used_at < now - LAST_USED_EVERY:
        _mark_used(engine, token_id, now)
    depot_ids = frozenset(row.depot_id for row in rows if row.depot_id is not None)
    return Actor(user_id=user_id, username=username, role=role, depot_ids=depot_ids)


def _mark_used(engine, token_id: int, now: datetime) -> None:
    """Best effort: a request is not refused because its token's usage mark could not be written
    (SQLite busy beyond its timeout, say); the next request tries again."""
    try:
        with engine.execution_options(**{WRITES: True}).begin() as conn:
            conn.execute(_MARK_USED, {"token_id": token_id, "stale_before": now - LAST_USED_EVERY, "now": now})
    except sa.exc.OperationalError:
        log.warning("could not mark API token %s used", token_id, exc_info=True)


def revoke_token(engine, actor: Actor, token: str) -> None:
    with UnitOfWork(engine) as uow:
        api_token = uow.session.exec(select(ApiToken).where(ApiToken.token_hash == _hash_token(token))).first()
        if api_token is None:
            raise NotFound("no such token", field="token")
        if api_token.user_id != actor.user_id and actor.role != ADMIN:
            raise Forbidden("you can revoke only your own tokens")
        api_token.revoked_at = utcnow()
        uow.session.add(api_token)
        append_event(uow.session, engine, "token_revoke", username=actor.username, message=("token", {"name": api_token.name}))
        uow.commit()


def token_kind(name: str) -> str:
    """"device" for the scanning page's tokens (named ``device: <id>``), "api" for the others."""
    return "device" if name.startswith(DEVICE_TOKEN_PREFIX) else "api"


def list_tokens(engine, actor: Actor, username: str | None = None) -> list[dict]:
    """The live (not revoked) tokens the actor may see: their own; administrators everyone's, or one
    user's with ``username``. Never the token nor its hash. Newest first."""
    if actor.role != ADMIN:
        if username not in (None, "", actor.username):
            raise Forbidden("only administrators see other users' tokens", field="username")
        username = actor.username
    query = (select(ApiToken.id, ApiToken.name, ApiToken.created_at, ApiToken.last_used_at, User.username,
                    User.display_name)
             .join(User, User.id == ApiToken.user_id)
             .where(ApiToken.revoked_at.is_(None))
             .order_by(User.username, ApiToken.created_at.desc(), ApiToken.id.desc()))
    if username:
        query = query.where(User.username == username)
    with Session(engine) as s:
        rows = s.exec(query).all()
    return [{"id": row.id, "name": row.name, "kind": token_kind(row.name),
             "device": row.name[len(DEVICE_TOKEN_PREFIX):] if token_kind(row.name) == "device" else None,
             "username": row.username, "display_name": row.display_name, "created_at": row.created_at,
             "last_used_at": row.last_used_at} for row in rows]


def revoke_token_id(engine, actor: Actor, token_id: int, now: datetime | None = None) -> dict:
    """Revoke one token by its id (what /account/tokens and DELETE /api/v1/tokens/<id> show): one's own,
    or anyone's for administrators. Revoking a token already revoked changes nothing (a retried DELETE
    is answered the same). Returns the token as list_tokens shows it, with ``revoked_now``."""
    with UnitOfWork(engine) as uow:
        s = uow.session
        row = s.exec(uow.lock_for_update(select(ApiToken).where(ApiToken.id == token_id))).first()
        if row is None:
            raise NotFound(f"no token with id {token_id}", field="id")
        if row.user_id != actor.user_id and actor.role != ADMIN:
            raise Forbidden("you can revoke only your own tokens")
        owner = s.get(User, row.user_id)
        revoked_now = row.revoked_at is None
        if revoked_now:
            row.revoked_at = now or clock.now()
            s.add(row)
            append_event(s, engine, "token_revoke", username=actor.username, at=now,
                         message=("token_of", {"name": row.name, "owner": owner.username}))
        uow.commit()
        if revoked_now and row.user_id != actor.user_id:
            log.info("%s revoked token %s (%s) of %s", actor.username, row.id, row.name, owner.username)
        return {"id": row.id, "name": row.name, "kind": token_kind(row.name), "username": owner.username,
                "revoked_now": revoked_now}


def depot_codes(engine, actor: Actor) -> list[str]:
    if not actor.depot_ids:
        return []
    with Session(engine) as s:
        return sorted(s.exec(select(Depot.code).where(Depot.id.in_(actor.depot_ids))).all())
