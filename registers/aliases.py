"""Names a register writes that match no depot or item exactly (救灾帐篷 vs 救灾帐篷（12㎡单帐篷）, 城关镇 vs
城关镇应急物资储备站), matched by an administrator: an existing depot or item (its code), or — for an item —
"create a new item of this name". The choice is a row of ``name_alias`` naming who made it and when (and, as every administrator's change, a row of
``admin_change``: ``alias_chosen``, ``alias_new``, ``alias_forgotten``, the register's name in its detail); every later
dry run and commit reads it (``registers.importing._Catalog``), from the page and from the command alike.
Plain values in, one transaction each; administrators only."""
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, select

from accounts.models import AdminChange, User
from common.actor import ADMIN, Actor
from common.db import UnitOfWork
from common.errors import InvalidInput, NotFound
from inventory.models import Depot, Item
from registers.headers import normalise
from registers.models import ALIAS_KINDS, NameAlias

MAX_NAME = 200


def choose(engine, actor: Actor, kind: str, name: str, target: str | None, now: datetime,
           planned: set[str] = frozenset()) -> None:
    """Remembers that ``name`` (of a ``kind``: depot or item) means the depot or item ``target`` (a code), or, with
    no target, a new item of that name. ``planned`` are codes a dry run would create (a depot the same file adds):
    they may be chosen before they exist. A choice for the same name replaces the one before."""
    actor.require_role(ADMIN)
    if kind not in ALIAS_KINDS:
        raise InvalidInput(f"kind must be one of {', '.join(ALIAS_KINDS)}", field="kind",
                           message_code="alias_kind_unknown", params={"kind": kind})
    name = (name or "").strip()
    key = normalise(name)
    if not key or len(name) > MAX_NAME:
        raise InvalidInput(f"the name is 1 to {MAX_NAME} characters", field="name", message_code="alias_name_bad",
                           params={"max": MAX_NAME})
    target = (target or "").strip() or None
    if target is None and kind == "depot":
        raise InvalidInput("a depot is not created from a name alone: add it to a depots sheet or the depots page",
                           field="target", message_code="alias_depot_create")
    with UnitOfWork(engine) as uow:
        s = uow.session
        if target is not None and target not in planned:
            model = Depot if kind == "depot" else Item
            if s.exec(select(model.id).where(model.code == target)).first() is None:
                raise NotFound(f"no {kind} with code {target}", field="target", message_code="alias_target_unknown",
                               params={"code": target})
        s.execute(sa.delete(NameAlias).where(NameAlias.kind == kind, NameAlias.key == key))
        s.add(NameAlias(kind=kind, name=name, key=key, target=target, chosen_by=actor.user_id, chosen_at=now))
        s.add(AdminChange(at=now, user_id=actor.user_id, subject_kind=kind, subject=(target or name)[:64],
                          action="alias_chosen" if target else "alias_new", detail=name[:500]))
        uow.commit()


def remove(engine, actor: Actor, alias_id: int, now: datetime) -> None:
    """Forgets a choice: the name is unmatched again at the next dry run."""
    actor.require_role(ADMIN)
    with UnitOfWork(engine) as uow:
        alias = uow.session.get(NameAlias, alias_id)
        if alias is None:
            raise NotFound(f"no remembered name {alias_id}", field="alias", message_code="alias_unknown")
        uow.session.add(AdminChange(at=now, user_id=actor.user_id, subject_kind=alias.kind,
                                    subject=(alias.target or alias.name)[:64], action="alias_forgotten",
                                    detail=alias.name[:500]))
        uow.session.delete(alias)
        uow.commit()


def remembered(engine, actor: Actor) -> list[dict]:
    """Every remembered choice, by kind then name: the target's current name, who chose it and when."""
    actor.require_role(ADMIN)
    with Session(engine) as s:
        depots = dict(s.exec(select(Depot.code, Depot.name)).all())
        items = dict(s.exec(select(Item.code, Item.name_zh)).all())
        rows = s.exec(select(NameAlias, User.username).join(User, User.id == NameAlias.chosen_by)
                      .order_by(NameAlias.kind, NameAlias.name)).all()
        return [{"id": a.id, "kind": a.kind, "name": a.name, "target": a.target,
                 "target_name": (depots if a.kind == "depot" else items).get(a.target) if a.target else None,
                 "chosen_by": username, "chosen_at": a.chosen_at} for a, username in rows]
