"""Administrators keep the people: create users, set their role and the depots a keeper keeps, deactivate and
reactivate, reset a password. Plain values in, one transaction each, domain errors with message codes
(``accounts.vocab``); every change is a row of ``admin_change`` naming who made it and when.

A new or reset password is a temporary one made here, returned once for the administrator to pass on, and
the user must change it at their next login (``must_change_password``; ``change_own_password``). What a
password must be is ``check_new_password`` (the rules of ``accounts.passwords.PasswordRules``). Role, depot,
account and password changes are also written to the security log (``accounts.security``).
"""
import secrets
from datetime import datetime

from sqlmodel import Session, select
from werkzeug.security import check_password_hash, generate_password_hash

from accounts import services
from accounts.passwords import PasswordRules, check_history, check_password, keep_in_history
from accounts.security import append_event
from accounts.models import AdminChange, ApiToken, KeeperDepot, User
from common import clock
from common.actor import ADMIN, KEEPER, ROLES, Actor
from common.db import UnitOfWork
from common.errors import InvalidInput, NotFound
from inventory.models import Depot

def temporary_password() -> str:
    """Twelve characters an administrator can read out on the phone (no 0/O, 1/l/I)."""
    alphabet = "abcdefghjkmnpqrstuvwxyz23456789"
    return "".join(secrets.choice(alphabet) for _ in range(12))


def check_new_password(password: str, username: str, rules: PasswordRules | None = None) -> None:
    """What a password a user chooses must be (``rules``: the app's settings; the defaults when not given):
    length, character classes, not containing the username. Every place a user sets a password calls this."""
    check_password(password, username, rules or PasswordRules())


def _log(s: Session, actor: Actor, kind: str, subject: str, action: str, detail: str | None, at: datetime) -> None:
    s.add(AdminChange(at=at, user_id=actor.user_id, subject_kind=kind, subject=subject, action=action,
                      detail=(detail or None) and detail[:500]))


def _user(s: Session, username: str, lock: bool = False, uow=None) -> User:
    query = select(User).where(User.username == username)
    user = s.exec(uow.lock_for_update(query) if lock and uow else query).first()
    if user is None:
        raise NotFound(f"no user {username}", field="username", message_code="user_unknown",
                       params={"username": username})
    return user


def _depots(s: Session, codes: list[str]) -> list[Depot]:
    codes = sorted(set(c.strip() for c in codes if c and c.strip()))
    found = {d.code: d for d in s.exec(select(Depot).where(Depot.code.in_(codes))).all()} if codes else {}
    missing = [c for c in codes if c not in found]
    if missing:
        raise NotFound(f"no depot with code {', '.join(missing)}", field="depots", message_code="depot_unknown_code",
                       params={"codes": ", ".join(missing)})
    return [found[c] for c in codes]


def _check_role_and_depots(role: str, depots: list[Depot]) -> None:
    if role not in ROLES:
        raise InvalidInput(f"role must be one of {', '.join(ROLES)}", field="role", message_code="role_unknown",
                           params={"role": role})
    if role == KEEPER and not depots:
        raise InvalidInput("a depot keeper keeps at least one depot", field="depots",
                           message_code="keeper_needs_depot")
    if role != KEEPER and depots:
        raise InvalidInput("only depot keepers are bound to depots", field="depots",
                           message_code="depots_only_for_keepers")


def _bound(s: Session, user_id: int) -> dict[str, int]:
    rows = s.exec(select(Depot.code, Depot.id).join(KeeperDepot, KeeperDepot.depot_id == Depot.id)
                  .where(KeeperDepot.user_id == user_id)).all()
    return {code: depot_id for code, depot_id in rows}


def create_user(engine, actor: Actor, *, username: str, display_name: str, role: str, depots: list[str],
                now: datetime | None = None) -> str:
    """A new account with a temporary password (returned, to be shown once) that must be changed at the first
    login."""
    actor.require_role(ADMIN)
    username, display_name = (username or "").strip(), (display_name or "").strip()
    if not username or len(username) > 64 or any(ch.isspace() for ch in username):
        raise InvalidInput("username must be 1–64 characters without spaces", field="username",
                           message_code="username_bad", params={"max": 64})
    if len(display_name) > 100:
        raise InvalidInput("the display name is at most 100 characters", field="display_name",
                           message_code="display_name_too_long", params={"max": 100})
    now = now or clock.now()
    password = temporary_password()
    with UnitOfWork(engine) as uow:
        s = uow.session
        if s.exec(select(User.id).where(User.username == username)).first() is not None:
            raise InvalidInput(f"username {username} is taken", field="username", message_code="username_taken",
                               params={"username": username})
        bound = _depots(s, depots)
        _check_role_and_depots(role, bound)
        user = User(username=username, display_name=display_name or username, role=role, must_change_password=True,
                    password_hash=generate_password_hash(password, method=services.PASSWORD_METHOD), created_at=now)
        s.add(user)
        s.flush()
        for depot in bound:
            s.add(KeeperDepot(user_id=user.id, depot_id=depot.id))
        _log(s, actor, "user", username, "created", f"{role}" + (f": {', '.join(d.code for d in bound)}" if bound else ""),
             now)
        append_event(s, engine, "account", username=actor.username, at=now,
                     message=("account_created_depots", {"user": username, "role": role,
                                                     "depots": ", ".join(d.code for d in bound)}) if bound
                     else ("account_created", {"user": username, "role": role}))
        uow.commit()
    return password


def update_user(engine, actor: Actor, username: str, *, display_name: str, role: str, depots: list[str],
                now: datetime | None = None) -> list[str]:
    """Sets a user's display name, role and the depots they keep (a keeper at least one, the others none).
    Returns the actions recorded (empty when nothing changed)."""
    actor.require_role(ADMIN)
    display_name = (display_name or "").strip()
    if len(display_name) > 100:
        raise InvalidInput("the display name is at most 100 characters", field="display_name",
                           message_code="display_name_too_long", params={"max": 100})
    now = now or clock.now()
    with UnitOfWork(engine) as uow:
        s = uow.session
        user = _user(s, username, lock=True, uow=uow)
        wanted = _depots(s, depots)
        _check_role_and_depots(role, wanted)
        if user.id == actor.user_id and role != ADMIN:
            raise InvalidInput("you cannot take the administrator role from yourself", field="role",
                            message_code="cannot_demote_self")
        actions = []
        if display_name and display_name != user.display_name:
            _log(s, actor, "user", username, "renamed", f"{user.display_name} → {display_name}", now)
            user.display_name = display_name
            actions.append("renamed")
        if role != user.role:
            _log(s, actor, "user", username, "role_changed", f"{user.role} → {role}", now)
            append_event(s, engine, "role_change", username=actor.username, at=now,
                         message=("role_changed", {"user": username, "old": user.role, "new": role}))
            user.role = role
            actions.append("role_changed")
        have = _bound(s, user.id)
        wanted_codes = {d.code: d.id for d in wanted}
        added, removed = sorted(set(wanted_codes) - set(have)), sorted(set(have) - set(wanted_codes))
        for code in removed:
            s.delete(s.get(KeeperDepot, (user.id, have[code])))
        for code in added:
            s.add(KeeperDepot(user_id=user.id, depot_id=wanted_codes[code]))
        if added or removed:
            append_event(s, engine, "depot_binding", username=actor.username, at=now,
                         message=("depots_changed", {"user": username, "added": ", ".join(added) or "-",
                                                     "removed": ", ".join(removed) or "-"}))
        if added:
            _log(s, actor, "user", username, "depots_bound", ", ".join(added), now)
            actions.append("depots_bound")
        if removed:
            _log(s, actor, "user", username, "depots_unbound", ", ".join(removed), now)
            actions.append("depots_unbound")
        if actions:
            s.add(user)
        uow.commit()
        return actions


def set_active(engine, actor: Actor, username: str, active: bool, now: datetime | None = None) -> bool:
    """Deactivates (every login ends, every token is revoked: reactivating does not bring them back) or
    reactivates an account. Returns whether anything changed."""
    actor.require_role(ADMIN)
    now = now or clock.now()
    with UnitOfWork(engine) as uow:
        s = uow.session
        user = _user(s, username, lock=True, uow=uow)
        if user.id == actor.user_id and not active:
            raise InvalidInput("you cannot deactivate your own account", field="username",
                            message_code="cannot_deactivate_self")
        if user.active == active:
            return False
        user.active = active
        if not active:
            user.session_epoch += 1
            for token in s.exec(select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))):
                token.revoked_at = now
                s.add(token)
        s.add(user)
        _log(s, actor, "user", username, "reactivated" if active else "deactivated", None, now)
        append_event(s, engine, "account", username=actor.username, at=now,
                     message=("account_reactivated" if active else "account_deactivated", {"user": username}))
        uow.commit()
        return True


def reset_password(engine, actor: Actor, username: str, now: datetime | None = None) -> str:
    """A new temporary password (returned, to be shown once); the user's logins end and they must change it
    at the next login."""
    actor.require_role(ADMIN)
    now = now or clock.now()
    password = temporary_password()
    with UnitOfWork(engine) as uow:
        s = uow.session
        user = _user(s, username, lock=True, uow=uow)
        keep_in_history(s, user, now, HISTORY_KEPT)
        user.password_hash = generate_password_hash(password, method=services.PASSWORD_METHOD)
        user.password_changed_at = now
        user.must_change_password = True
        user.session_epoch += 1
        s.add(user)
        _log(s, actor, "user", username, "password_reset", None, now)
        append_event(s, engine, "password_reset", username=actor.username, at=now, message=("password_reset", {"user": username}))
        uow.commit()
    return password


HISTORY_KEPT = 24  # earlier hashes kept per user (PASSWORD_HISTORY may ask for at most this many)


def change_own_password(engine, actor: Actor, current: str, new: str, rules: PasswordRules | None = None,
                        now: datetime | None = None) -> None:
    """The signed-in user's own password: the current one, then a new one that passes ``check_new_password``
    and is not the current one nor one of the last ``rules.history``. Clears the must-change flag and starts
    the password's age. The login session's id stays valid."""
    rules = rules or PasswordRules()
    now = now or clock.now()
    with UnitOfWork(engine) as uow:
        s = uow.session
        user = s.get(User, actor.user_id)
        if user is None or not check_password_hash(user.password_hash, current or ""):
            append_event(s, engine, "password_change", "failure", username=actor.username, at=now,
                         message=("password_wrong", {}))
            uow.commit()
            raise InvalidInput("the current password is wrong", field="current", message_code="password_wrong")
        if new == current:
            raise InvalidInput("the new password must differ from the current one", field="password",
                               message_code="password_unchanged")
        check_new_password(new or "", user.username, rules)
        check_history(s, user, new, rules)
        keep_in_history(s, user, now, HISTORY_KEPT)
        user.password_hash = generate_password_hash(new, method=services.PASSWORD_METHOD)
        user.must_change_password = False
        user.password_changed_at = now
        s.add(user)
        append_event(s, engine, "password_change", username=actor.username, at=now)
        uow.commit()


# ---------------------------------------------------------------- reading


def list_users(engine, actor: Actor) -> list[dict]:
    actor.require_role(ADMIN)
    with Session(engine) as s:
        users = s.exec(select(User).order_by(User.username)).all()
        bound: dict[int, list[str]] = {}
        for user_id, code in s.exec(select(KeeperDepot.user_id, Depot.code)
                                    .join(Depot, Depot.id == KeeperDepot.depot_id).order_by(Depot.code)).all():
            bound.setdefault(user_id, []).append(code)
    return [{"username": u.username, "display_name": u.display_name, "role": u.role, "active": u.active,
             "must_change_password": u.must_change_password, "created_at": u.created_at,
             "depots": bound.get(u.id, [])} for u in users]


def get_user(engine, actor: Actor, username: str) -> dict:
    actor.require_role(ADMIN)
    with Session(engine) as s:
        user = _user(s, username)
        return {"username": user.username, "display_name": user.display_name, "role": user.role,
                "active": user.active, "must_change_password": user.must_change_password,
                "created_at": user.created_at, "depots": sorted(_bound(s, user.id)), "is_self": user.id == actor.user_id,
                "id": user.id}


def recent_changes(engine, actor: Actor, kind: str | None = None, subject: str | None = None,
                   limit: int = 20) -> list[dict]:
    """The latest changes administrators made, newest first: all, one kind's, or one subject's."""
    actor.require_role(ADMIN)
    query = (select(AdminChange, User.username).join(User, User.id == AdminChange.user_id)
             .order_by(AdminChange.at.desc(), AdminChange.id.desc()).limit(limit))
    if kind:
        query = query.where(AdminChange.subject_kind == kind)
    if subject:
        query = query.where(AdminChange.subject == subject)
    with Session(engine) as s:
        return [{"at": c.at, "by": by, "kind": c.subject_kind, "subject": c.subject, "action": c.action,
                 "detail": c.detail} for c, by in s.exec(query).all()]
