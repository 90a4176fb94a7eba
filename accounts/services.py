"""Accounts, depot bindings and API tokens."""
import hashlib
import secrets

import sqlalchemy as sa
from sqlmodel import Session, select
from werkzeug.security import check_password_hash, generate_password_hash

from accounts.models import ApiToken, KeeperDepot, User
from common.actor import ADMIN, KEEPER, ROLES, Actor
from common.db import UnitOfWork, utcnow
from common.errors import Forbidden, InvalidInput, NotFound
from inventory.models import Depot

MIN_PASSWORD = 8
PASSWORD_METHOD = "scrypt"  # werkzeug's default; the test suite swaps in a cheap one for speed


def actor_for(session: Session, user: User) -> Actor:
    depot_ids = frozenset(session.exec(select(KeeperDepot.depot_id).where(KeeperDepot.user_id == user.id)).all())
    return Actor(user_id=user.id, username=user.username, role=user.role, depot_ids=depot_ids)


def load_actor(engine, user_id: int) -> Actor | None:
    with Session(engine) as s:
        user = s.get(User, user_id)
        if user is None or not user.active:
            return None
        return actor_for(s, user)


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
                password_hash=generate_password_hash(password, method=PASSWORD_METHOD), role=role)
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
        if uow.session.get(User, user_id) is None:
            raise NotFound("no such user", field="user")
        uow.session.add(ApiToken(user_id=user_id, name=name[:100] or "token", token_hash=_hash_token(token)))
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
        uow.commit()
    return token, name


# Every API request with a bearer token runs this: one Core statement (the user and the depots they keep,
# a row per depot) rather than ORM queries, which cost more than the lookup itself.
_TOKEN_ACTOR = (
    sa.select(User.__table__.c.id, User.__table__.c.username, User.__table__.c.role,
              KeeperDepot.__table__.c.depot_id)
    .select_from(ApiToken.__table__.join(User.__table__, User.__table__.c.id == ApiToken.__table__.c.user_id)
                 .outerjoin(KeeperDepot.__table__, KeeperDepot.__table__.c.user_id == User.__table__.c.id))
    .where(ApiToken.__table__.c.token_hash == sa.bindparam("token_hash"),
           ApiToken.__table__.c.revoked_at.is_(None), User.__table__.c.active.is_(True))
)


def actor_for_token(engine, token: str) -> Actor | None:
    """The actor a live token of an active user stands for; None for any other token."""
    with engine.connect() as conn:
        rows = conn.execute(_TOKEN_ACTOR, {"token_hash": _hash_token(token)}).all()
    if not rows:
        return None
    user_id, username, role, _ = rows[0]
    depot_ids = frozenset(row.depot_id for row in rows if row.depot_id is not None)
    return Actor(user_id=user_id, username=username, role=role, depot_ids=depot_ids)


def revoke_token(engine, actor: Actor, token: str) -> None:
    with UnitOfWork(engine) as uow:
        api_token = uow.session.exec(select(ApiToken).where(ApiToken.token_hash == _hash_token(token))).first()
        if api_token is None:
            raise NotFound("no such token", field="token")
        if api_token.user_id != actor.user_id and actor.role != ADMIN:
            raise Forbidden("you can revoke only your own tokens")
        api_token.revoked_at = utcnow()
        uow.session.add(api_token)
        uow.commit()


def depot_codes(engine, actor: Actor) -> list[str]:
    if not actor.depot_ids:
        return []
    with Session(engine) as s:
        return sorted(s.exec(select(Depot.code).where(Depot.id.in_(actor.depot_ids))).all())
