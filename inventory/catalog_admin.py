"""Administrators keep the depot tree and the item catalog from pages: add, rename, move (re-parent under the
tier rules) and close depots; add, edit and delete items. Plain values in, one transaction each, domain errors
with message codes (``inventory.vocab``); every change is a row of ``admin_change`` naming who and when.

A closed depot keeps its row, its ledger and its history (``closed_at``); it holds no stock and no open depot
under it, and nothing is added or moved under it. An item is deleted only while nothing refers to it: no lot
ever held it, no norm, floor or order names it.
"""
from dataclasses import asdict
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, func, select

from accounts.models import AdminChange
from common import clock
from common.actor import ADMIN, Actor
from common.db import UnitOfWork
from common.errors import DomainError, InvalidInput, NotFound, TierRuleBroken
from inventory.catalog import DepotFields, ItemFields, _check_item, add_depot, add_item, check_tier_rule
from inventory.models import Depot, Item, Lot
from inventory.queries import item_dict


class DepotHasStock(DomainError):
    code = "depot_has_stock"


class ItemInUse(DomainError):
    code = "item_in_use"


def log_change(s: Session, actor: Actor, kind: str, subject: str, action: str, detail: str | None,
               at: datetime) -> None:
    s.add(AdminChange(at=at, user_id=actor.user_id, subject_kind=kind, subject=subject, action=action,
                      detail=(detail or None) and detail[:500]))


def _depot(uow, code: str, field: str = "depot") -> Depot:
    depot = uow.session.exec(uow.lock_for_update(select(Depot).where(Depot.code == code))).first()
    if depot is None:
        raise NotFound(f"no depot with code {code}", field=field, message_code="depot_code_unknown",
                       params={"code": code})
    return depot


def _open_parent(uow, code: str | None) -> Depot | None:
    if not code:
        return None
    parent = _depot(uow, code, field="parent")
    if parent.closed_at is not None:
        raise InvalidInput(f"depot {code} is closed", field="parent", message_code="parent_closed",
                           params={"code": code})
    return parent


def create_depot(engine, actor: Actor, f: DepotFields, now: datetime | None = None) -> None:
    actor.require_role(ADMIN)
    now = now or clock.now()
    with UnitOfWork(engine) as uow:
        _open_parent(uow, f.parent)
        add_depot(uow, f)
        log_change(uow.session, actor, "depot", f.code, "created",
                   f"{f.name} ({f.tier}{', ' + f.parent if f.parent else ''})", now)
        uow.commit()


def rename_depot(engine, actor: Actor, code: str, name: str, now: datetime | None = None) -> bool:
    actor.require_role(ADMIN)
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise InvalidInput("a depot name is 1 to 100 characters", field="name", message_code="depot_name_length",
                           params={"max": 100})
    now = now or clock.now()
    with UnitOfWork(engine) as uow:
        depot = _depot(uow, code)
        if depot.name == name:
            return False
        log_change(uow.session, actor, "depot", code, "renamed", f"{depot.name} → {name}", now)
        depot.name = name
        uow.session.add(depot)
        uow.commit()
        return True


def move_depot(engine, actor: Actor, code: str, parent_code: str, now: datetime | None = None) -> bool:
    """Puts a depot (and everything under it) under another parent, by the tier rules: a village point under a
    town station, a town station under the county depot. Never under itself or a depot below it."""
    actor.require_role(ADMIN)
    now = now or clock.now()
    parent_code = (parent_code or "").strip()
    with UnitOfWork(engine) as uow:
        s = uow.session
        depot = _depot(uow, code)
        if depot.closed_at is not None:
            raise InvalidInput(f"depot {code} is closed", field="depot", message_code="depot_closed",
                               params={"code": code})
        old_parent = s.get(Depot, depot.parent_id) if depot.parent_id else None
        if parent_code == (old_parent.code if old_parent else ""):
            return False
        parent = _open_parent(uow, parent_code)
        if parent is not None and (parent.id == depot.id or parent.path.startswith(depot.path)):
            raise TierRuleBroken(f"depot {code} cannot sit under itself or a depot below it", field="parent",
                                 message_code="parent_is_below", params={"code": code, "parent": parent_code})
        check_tier_rule(depot.tier, depot.kind, parent)
        old_path, new_path = depot.path, (parent.path if parent else "/") + f"{depot.id}/"
        s.execute(sa.update(Depot).where(Depot.path.startswith(old_path, autoescape=True))
                  .values(path=sa.literal(new_path).op("||")(sa.func.substr(Depot.path, len(old_path) + 1)))
                  .execution_options(synchronize_session=False))
        s.execute(sa.update(Depot).where(Depot.id == depot.id).values(parent_id=parent.id if parent else None)
                  .execution_options(synchronize_session=False))
        log_change(s, actor, "depot", code, "moved",
                   f"{old_parent.code if old_parent else '—'} → {parent.code if parent else '—'}", now)
        uow.commit()
        return True


def close_depot(engine, actor: Actor, code: str, now: datetime | None = None) -> bool:
    """Closes a depot that holds no stock and has no open depot under it. Returns whether it changed."""
    actor.require_role(ADMIN)
    now = now or clock.now()
    with UnitOfWork(engine) as uow:
        s = uow.session
        depot = _depot(uow, code)
        if depot.closed_at is not None:
            return False
        units = s.exec(select(func.coalesce(func.sum(Lot.quantity), 0)).where(Lot.depot_id == depot.id)).one()
        if units:
            raise DepotHasStock(f"depot {code} still holds {units} units: issue or transfer them first",
                                field="depot", message_code="depot_has_stock", params={"code": code, "units": units})
        children = s.exec(select(Depot.code).where(Depot.parent_id == depot.id, Depot.closed_at.is_(None))
                          .order_by(Depot.code)).all()
        if children:
            raise InvalidInput(f"depot {code} has open depots under it: {', '.join(children[:5])}", field="depot",
                               message_code="depot_has_open_children",
                               params={"code": code, "children": ", ".join(children[:5])})
        depot.closed_at = now
        s.add(depot)
        log_change(s, actor, "depot", code, "closed", None, now)
        uow.commit()
        return True


def create_item(engine, actor: Actor, f: ItemFields, now: datetime | None = None) -> None:
    actor.require_role(ADMIN)
    now = now or clock.now()
    with UnitOfWork(engine) as uow:
        add_item(uow, f)
        log_change(uow.session, actor, "item", f.code, "created", f.name_zh, now)
        uow.commit()


def edit_item(engine, actor: Actor, code: str, changes: dict, now: datetime | None = None) -> list[str]:
    """Changes an item's fields but its code; returns the names of the fields that changed."""
    actor.require_role(ADMIN)
    now = now or clock.now()
    with UnitOfWork(engine) as uow:
        item = uow.session.exec(uow.lock_for_update(select(Item).where(Item.code == code))).first()
        if item is None:
            raise NotFound(f"no item with code {code}", field="item", message_code="item_code_unknown",
                           params={"code": code})
        before = item_dict(item)
        merged = ItemFields(**{k: v for k, v in {**before, **changes}.items() if k in ItemFields.__dataclass_fields__})
        _check_item(merged)
        changed = [k for k, v in asdict(merged).items() if k != "code" and before.get(k) != v]
        if not changed:
            return []
        for k in changed:
            setattr(item, k, getattr(merged, k))
        uow.session.add(item)
        log_change(uow.session, actor, "item", code, "edited",
                   "; ".join(f"{k}: {before.get(k)} → {getattr(merged, k)}" for k in changed), now)
        uow.commit()
        return changed


def delete_item(engine, actor: Actor, code: str, now: datetime | None = None) -> None:
    actor.require_role(ADMIN)
    now = now or clock.now()
    with UnitOfWork(engine) as uow:
        s = uow.session
        item = s.exec(uow.lock_for_update(select(Item).where(Item.code == code))).first()
        if item is None:
            raise NotFound(f"no item with code {code}", field="item", message_code="item_code_unknown",
                           params={"code": code})
        lots = s.exec(select(func.count()).select_from(Lot).where(Lot.item_id == item.id)).one()
        if lots:
            raise ItemInUse(f"item {code} is in {lots} lots: it cannot be deleted", field="item",
                            message_code="item_has_lots", params={"code": code, "lots": lots})
        log_change(s, actor, "item", code, "deleted", item.name_zh, now)
        s.delete(item)
        try:
            s.flush()
        except sa.exc.IntegrityError:
            raise ItemInUse(f"item {code} is named by norms, floors or orders: it cannot be deleted", field="item",
                            message_code="item_referenced", params={"code": code}) from None
        uow.commit()


# ---------------------------------------------------------------- reading


def depot_detail(engine, code: str) -> dict:
    with Session(engine) as s:
        depot = s.exec(select(Depot).where(Depot.code == code)).first()
        if depot is None:
            raise NotFound(f"no depot with code {code}", field="depot", message_code="depot_code_unknown",
                           params={"code": code})
        parent = s.get(Depot, depot.parent_id) if depot.parent_id else None
        units = s.exec(select(func.coalesce(func.sum(Lot.quantity), 0)).where(Lot.depot_id == depot.id)).one()
        children = s.exec(select(func.count()).select_from(Depot).where(Depot.parent_id == depot.id,
                                                                          Depot.closed_at.is_(None))).one()
        return {"code": depot.code, "name": depot.name, "tier": depot.tier, "kind": depot.kind,
                "parent": parent.code if parent else None, "parent_name": parent.name if parent else None,
                "closed_at": depot.closed_at, "units": units, "open_children": children}


def item_detail(engine, code: str) -> dict:
    with Session(engine) as s:
        item = s.exec(select(Item).where(Item.code == code)).first()
        if item is None:
            raise NotFound(f"no item with code {code}", field="item", message_code="item_code_unknown",
                           params={"code": code})
        lots = s.exec(select(func.count()).select_from(Lot).where(Lot.item_id == item.id)).one()
        return {**item_dict(item), "lots": lots}
