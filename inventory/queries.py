"""Read side of the inventory: lists, trees, rollups and stock cards, scoped to who is asking."""
from datetime import date, datetime, timedelta
from types import SimpleNamespace

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from accounts.models import User
from common.actor import Actor
from common.db import one_statement_reads
from common.errors import BadQuery, InvalidInput, NotFound
from inventory import fefo, shelves
from inventory.ledger import KINDS, is_expired
from inventory.models import CATEGORIES, TIERS, Depot, Item, Lot, Movement

NEAR_EXPIRY_DAYS = 90
MAX_PAGE = 1000


def depot_dict(d: Depot) -> dict:
    return {
        "code": d.code, "name": d.name, "tier": d.tier, "kind": d.kind, "parent": None,
        "lat": d.lat, "lon": d.lon, "address": d.address, "keeper_name": d.keeper_name,
        "keeper_phone": d.keeper_phone, "key_town": d.key_town,
    }


def item_dict(i: Item) -> dict:
    return {
        "code": i.code, "name_zh": i.name_zh, "name_en": i.name_en, "category": i.category, "unit": i.unit,
        "weight_kg": i.weight_kg, "volume_m3": i.volume_m3, "shelf_life_days": i.shelf_life_days,
        "rotation_lead_days": i.rotation_lead_days, "priority": i.priority, "kit": i.kit,
        "durable": i.durable,
    }


def expiry_status(expires_on: date | None, today: date, near_days: int = NEAR_EXPIRY_DAYS) -> str:
    if expires_on is None:
        return "durable"
    if is_expired(expires_on, today):
        return "expired"
    return "near_expiry" if expires_on <= today + timedelta(days=near_days) else "ok"


def lot_dict(lot: Lot, item: Item, depot: Depot, today: date) -> dict:
    return {
        "code": lot.code, "item": item.code, "item_name": item.name_zh, "item_name_en": item.name_en,
        "category": item.category, "unit": item.unit, "depot": depot.code, "depot_name": depot.name,
        "quantity": lot.quantity, "received_on": lot.received_on, "expires_on": lot.expires_on,
        "status": expiry_status(lot.expires_on, today), "storage_mode": lot.storage_mode,
        "partner": lot.partner, "source": lot.source,
        "unit_price": None if lot.unit_price_cents is None else lot.unit_price_cents / 100,
        "shelf": lot.shelf,
    }


def movement_dict(m: Movement, lot: Lot, depot: Depot, item: Item, user: User | Actor) -> dict:
    return {
        "id": m.id, "kind": m.kind, "lot": lot.code, "depot": depot.code, "item": item.code,
        "quantity": m.quantity, "balance_after": m.balance_after, "user": user.username,
        "created_at": m.created_at.isoformat(), "reason": m.reason, "note": m.note, "reference": m.reference,
        "idempotency_key": m.idempotency_key, "counterpart_id": m.counterpart_id,
    }


# ---------------------------------------------------------------- depots


def _visible_depots(session: Session, actor: Actor):
    query = select(Depot).order_by(Depot.path)
    if not actor.reads_everything:
        query = query.where(Depot.id.in_(actor.depot_ids or {-1}))
    return session.exec(query).all()


def depot_by_code(session: Session, actor: Actor, code: str, field: str = "depot") -> Depot:
    depot = session.exec(select(Depot).where(Depot.code == code)).first()
    if depot is None:
        raise NotFound(f"no depot with code {code}", field=field)
    actor.require_read_depot(depot.id, depot.code)
    return depot


def get_depot(engine, actor: Actor, code: str) -> dict:
    with Session(engine) as s:
        depot = depot_by_code(s, actor, code)
        parent = s.get(Depot, depot.parent_id) if depot.parent_id else None
        return {**depot_dict(depot), "parent": parent.code if parent else None}


def depot_shelves(engine, actor: Actor, code: str) -> list[str]:
    """The shelves a depot's lots with stock stand on, in code order."""
    with Session(engine) as s:
        return shelves.shelves_in_depot(s, depot_by_code(s, actor, code).id)


def list_depots(engine, actor: Actor, tier: str | None = None) -> list[dict]:
    if tier is not None and tier not in TIERS:
        raise InvalidInput(f"tier must be one of {', '.join(TIERS)}", field="tier")
    with Session(engine) as s:
        depots = _visible_depots(s, actor)
        codes = {d.id: d.code for d in s.exec(select(Depot.id, Depot.code)).all()}
        return [{**depot_dict(d), "parent": codes.get(d.parent_id)} for d in depots if tier in (None, d.tier)]


def depot_tree(engine, actor: Actor, today: date) -> list[dict]:
    """Depots as a tree, each with its own and its subtree's units, lots and expired units."""
    with Session(engine) as s:
        depots = _visible_depots(s, actor)
        own = _units_by_depot(s, today, None if actor.reads_everything else {d.id for d in depots})
        nodes = {d.id: {**depot_dict(d), "own": own.get(d.id, _zero()), "total": _zero(), "children": []}
                 for d in depots}
        roots = []
        for d in depots:  # ordered by path: parents come before children
            node = nodes[d.id]
            for ancestor_id in _path_ids(d.path):
                if ancestor_id in nodes:
                    _add_into(nodes[ancestor_id]["total"], node["own"])
            parent = nodes.get(d.parent_id)
            (parent["children"] if parent else roots).append(node)
            node["parent"] = parent["code"] if parent else None
        return roots


def depot_overview(engine, actor: Actor, today: date, open_code: str | None = None) -> dict:
    """The tree bounded for someone who reads every depot: the roots (the county) and their children (the
    towns), each with its own and its subtree's stock and ``below``, the number of depots under it; the depots
    under one of them only when it is ``open_code`` (a depot further down opens the one above it, ``focus``
    being the depot named). Rollups over every depot, from one grouped query of the lots and one of the depots'
    paths; full rows are read only for what is shown. ``totals``: depots, units, lots, expired units of all."""
    with Session(engine) as s:
        own = _units_by_depot(s, today)
        query = select(Depot.id, Depot.parent_id, Depot.path, Depot.code)
        if not actor.reads_everything:
            query = query.where(Depot.id.in_(actor.depot_ids or {-1}))
        rows = s.exec(query).all()
        ids = {r[0] for r in rows}
        paths = {r[0]: [a for a in _path_ids(r[2]) if a in ids] for r in rows}  # visible ancestors, itself last
        opened = focus = None
        if open_code is not None:
            found = next((r for r in rows if r[3] == open_code), None)
            if found is None:
                raise BadQuery(f"no depot with code {open_code} to open", field="open",
                               message_code="tree_open_unknown", params={"code": open_code})
            chain = paths[found[0]]
            if len(chain) >= 2:  # a root is always open
                opened = chain[1]
            if len(chain) >= 3:  # a depot under a town: marked where it stands
                focus = found[3]
        shown = {i for i in ids if len(paths[i]) <= 2}
        if opened is not None:
            shown |= {i for i in ids if len(paths[i]) == 3 and paths[i][1] == opened}
        total = {i: _zero() for i in shown}
        below = dict.fromkeys(shown, 0)
        totals = {"depots": len(rows), **_zero()}
        for i in ids:
            part = own.get(i)
            for ancestor in paths[i]:
                if ancestor in shown:
                    if part:
                        _add_into(total[ancestor], part)
                    if ancestor != i:
                        below[ancestor] += 1
            if part:
                for key in ("units", "lots", "expired_units"):
                    totals[key] += part[key]
        depots = s.exec(select(Depot).where(Depot.id.in_(shown or {-1}))).all() if shown else []
        nodes = {d.id: {**depot_dict(d), "own": own.get(d.id, _zero()), "total": total[d.id], "below": below[d.id],
                        "children": [], "open": d.id == opened} for d in depots}
        roots = []
        for d in sorted(depots, key=lambda d: d.code):
            chain = paths[d.id]
            parent = nodes.get(chain[-2]) if len(chain) >= 2 else None
            (parent["children"] if parent else roots).append(nodes[d.id])
            nodes[d.id]["parent"] = parent["code"] if parent else None
            nodes[d.id]["depth"] = len(chain) - 1
        return {"roots": roots, "totals": totals, "open": nodes[opened]["code"] if opened else None, "focus": focus}


SEARCH_MAX_TEXT = 40


def search_depots(engine, actor: Actor, today: date, text: str, limit: int = 50, offset: int = 0) -> dict:
    """Depots whose code or name holds ``text`` (any case), in code order, a page of them (``limit`` from
    ``offset``) with the depot above each and its own stock; ``total``: how many match."""
    if not isinstance(text, str) or not text.strip() or len(text) > SEARCH_MAX_TEXT:
        raise InvalidInput(f"the search is 1 to {SEARCH_MAX_TEXT} characters", field="q")
    needle = text.strip().lower()
    parent = aliased(Depot)
    with Session(engine) as s:
        where = [sa.or_(sa.func.lower(Depot.code).contains(needle, autoescape=True),
                        sa.func.lower(Depot.name).contains(needle, autoescape=True))]
        if not actor.reads_everything:
            where.append(Depot.id.in_(actor.depot_ids or {-1}))
        total = s.exec(select(sa.func.count()).select_from(Depot).where(*where)).one()
        rows = s.exec(select(Depot, parent.code, parent.name).join(parent, parent.id == Depot.parent_id, isouter=True)
                      .where(*where).order_by(Depot.code).limit(limit).offset(offset)).all()
        found = {d.id for d, _c, _n in rows}
        own = _units_by_depot(s, today, found) if found else {}
        return {"total": total, "depots": [
            {**depot_dict(d), "parent": code, "parent_name": name, "own": own.get(d.id, _zero())}
            for d, code, name in rows]}


def _zero() -> dict:
    return {"units": 0, "lots": 0, "expired_units": 0}


def _add_into(total: dict, part: dict) -> None:
    for key in total:
        total[key] += part[key]


def _path_ids(path: str) -> list[int]:
    return [int(p) for p in path.strip("/").split("/") if p]


def _units_by_depot(s: Session, today: date, depot_ids=None) -> dict[int, dict]:
    expired = sa.case((Lot.expires_on < today, Lot.quantity), else_=0)
    query = select(Lot.depot_id, sa.func.sum(Lot.quantity), sa.func.count(Lot.id), sa.func.sum(expired)).where(
        Lot.quantity > 0)
    if depot_ids is not None:
        query = query.where(Lot.depot_id.in_(depot_ids))
    rows = s.exec(query.group_by(Lot.depot_id)).all()
    return {d: {"units": int(u), "lots": int(n), "expired_units": int(e or 0)} for d, u, n, e in rows}


def stock_summary(engine, actor: Actor, today: date, depot: str | None = None, by: str = "item") -> dict:
    """Units on hand per item or category in a depot's subtree (a town includes its villages), or
    everywhere the actor may read when no depot is named."""
    if by not in ("item", "category"):
        raise InvalidInput("by must be item or category", field="by")
    with Session(engine) as s:
        query = select(Item, sa.func.sum(Lot.quantity), sa.func.sum(
            sa.case((Lot.expires_on < today, Lot.quantity), else_=0))).join(Lot, Lot.item_id == Item.id)
        scope = None
        if depot is not None:
            scope = depot_by_code(s, actor, depot)
            query = query.join(Depot, Depot.id == Lot.depot_id).where(Depot.path.startswith(scope.path))
        elif not actor.reads_everything:
            query = query.where(Lot.depot_id.in_(actor.depot_ids or {-1}))
        rows = s.exec(query.where(Lot.quantity > 0).group_by(Item.id).order_by(Item.code)).all()
    lines = [{**item_dict(i), "units": int(u), "usable_units": int(u) - int(e or 0)} for i, u, e in rows]
    if by == "category":
        totals: dict[str, dict] = {}
        for line in lines:
            t = totals.setdefault(line["category"], {"category": line["category"], "units": 0, "usable_units": 0,
                                                     "items": 0})
            t["units"] += line["units"]
            t["usable_units"] += line["usable_units"]
            t["items"] += 1
        lines = [totals[c] for c in CATEGORIES if c in totals]
    return {"depot": scope.code if scope else None, "by": by, "lines": lines}


# ---------------------------------------------------------------- items and lots


def list_items(engine, category: str | None = None) -> list[dict]:
    if category is not None and category not in CATEGORIES:
        raise InvalidInput(f"category must be one of {', '.join(CATEGORIES)}", field="category")
    with Session(engine) as s:
        query = select(Item).order_by(Item.code)
        if category:
            query = query.where(Item.category == category)
        return [item_dict(i) for i in s.exec(query).all()]


def get_item(engine, code: str) -> dict:
    with Session(engine) as s:
        item = s.exec(select(Item).where(Item.code == code)).first()
        if item is None:
            raise NotFound(f"no item with code {code}", field="item")
        return item_dict(item)


def list_lots(engine, actor: Actor, today: date, *, depot: str | None = None, subtree: bool = False,
              item: str | None = None, category: str | None = None, expires_within_days: int | None = None,
              expired: bool | None = None, include_empty: bool = False, shelf: str | None = None,
              limit: int = 100, offset: int = 0) -> dict:
    _check_page(limit, offset)
    shelf = None if shelf is None else shelves.check_shelf(shelf)
    if category is not None and category not in CATEGORIES:
        raise InvalidInput(f"category must be one of {', '.join(CATEGORIES)}", field="category")
    if expires_within_days is not None and expires_within_days <= 0:
        raise InvalidInput("expires_within_days must be 1 or more", field="expires_within_days")
    with Session(engine) as s:
        query = select(Lot, Item, Depot).join(Item, Item.id == Lot.item_id).join(Depot, Depot.id == Lot.depot_id)
        if depot is not None:
            scope = depot_by_code(s, actor, depot)
            query = query.where(Depot.path.startswith(scope.path) if subtree else Depot.id == scope.id)
        if not actor.reads_everything:
            query = query.where(Depot.id.in_(actor.depot_ids or {-1}))
        if item is not None:
            query = query.where(Item.code == item)
        if category is not None:
            query = query.where(Item.category == category)
        if expires_within_days is not None:
            query = query.where(Lot.expires_on.is_not(None), Lot.expires_on <= today + timedelta(days=expires_within_days))
        if expired is True:
            query = query.where(Lot.expires_on < today)
        elif expired is False:
            query = query.where(sa.or_(Lot.expires_on.is_(None), Lot.expires_on >= today))
        if not include_empty:
            query = query.where(Lot.quantity > 0)
        if shelf is not None:
            query = query.where(Lot.shelf == shelf)
        total = s.exec(select(sa.func.count()).select_from(query.subquery())).one()
        rows = s.exec(query.order_by(Lot.expires_on.is_(None), Lot.expires_on, Lot.code).limit(limit).offset(offset)).all()
        return {"total": total, "lots": [lot_dict(lot, i, d, today) for lot, i, d in rows]}


def get_lot(engine, actor: Actor, code: str, today: date) -> dict:
    """One lot, with the lot of the same item at the same depot that should leave first (first-expiry-
    first-out, ``inventory.fefo``) and whether taking this one passes over it.

    The scanning page asks this after every scan: one prepared statement reads the lot, its item, its
    depot and the usable lots it competes with, as plain rows (no ORM objects, no statement built per
    request, one round trip)."""
    with one_statement_reads(engine) as conn:
        rows = conn.execute(_LOT_AND_RIVALS, {"code": code, "today": today}).all()
    if not rows:
        raise NotFound(f"no lot with code {code}", field="lot")
    lot = rows[0]
    actor.require_read_depot(lot.depot_id, lot.depot_code)
    rivals = [fefo.Available(r.rival_code, r.rival_quantity, r.rival_expires_on, r.rival_received_on)
              for r in rows if r.rival_code is not None]
    first = fefo.first_out(rivals, today)
    first_shelf = next((r.rival_shelf for r in rows if first is not None and r.rival_code == first.code), None)
    item = SimpleNamespace(code=lot.item_code, name_zh=lot.item_name_zh, name_en=lot.item_name_en,
                           category=lot.item_category, unit=lot.item_unit)
    depot = SimpleNamespace(code=lot.depot_code, name=lot.depot_name)
    return {**lot_dict(lot, item, depot, today),
            "first_out": None if first is None else {**first._asdict(), "shelf": first_shelf},
            "out_of_order": fefo.out_of_order(lot, first)}


_LOTS, _ITEMS, _DEPOTS = Lot.__table__, Item.__table__, Depot.__table__
_RIVALS = _LOTS.alias("rival")
_LOT_AND_RIVALS = (
    sa.select(_LOTS, _ITEMS.c.code.label("item_code"), _ITEMS.c.name_zh.label("item_name_zh"),
              _ITEMS.c.name_en.label("item_name_en"), _ITEMS.c.category.label("item_category"),
              _ITEMS.c.unit.label("item_unit"), _DEPOTS.c.code.label("depot_code"), _DEPOTS.c.name.label("depot_name"),
              _RIVALS.c.code.label("rival_code"), _RIVALS.c.quantity.label("rival_quantity"),
              _RIVALS.c.expires_on.label("rival_expires_on"), _RIVALS.c.received_on.label("rival_received_on"),
              _RIVALS.c.shelf.label("rival_shelf"))
    .select_from(
        _LOTS.join(_ITEMS, _ITEMS.c.id == _LOTS.c.item_id).join(_DEPOTS, _DEPOTS.c.id == _LOTS.c.depot_id)
        .outerjoin(_RIVALS, sa.and_(
            _RIVALS.c.item_id == _LOTS.c.item_id, _RIVALS.c.depot_id == _LOTS.c.depot_id, _RIVALS.c.quantity > 0,
            sa.or_(_RIVALS.c.expires_on.is_(None), _RIVALS.c.expires_on >= sa.bindparam("today", type_=sa.Date)))))
    .where(_LOTS.c.code == sa.bindparam("code"))
)


def first_out_lot(s: Session, item_id: int, depot_id: int, today: date) -> Lot | None:
    """The lot of an item at a depot that should leave first, by the rule of ``inventory.fefo``."""
    candidates = s.exec(select(Lot).where(Lot.item_id == item_id, Lot.depot_id == depot_id, Lot.quantity > 0,
                                          sa.or_(Lot.expires_on.is_(None), Lot.expires_on >= today))).all()
    return fefo.first_out(candidates, today)


def first_out_dict(lot: Lot | None) -> dict | None:
    if lot is None:
        return None
    return {"code": lot.code, "shelf": lot.shelf, "expires_on": lot.expires_on, "received_on": lot.received_on,
            "quantity": lot.quantity}


def _lot_row(s: Session, code: str):
    row = s.exec(select(Lot, Item, Depot).join(Item, Item.id == Lot.item_id).join(Depot, Depot.id == Lot.depot_id)
                 .where(Lot.code == code)).first()
    if row is None:
        raise NotFound(f"no lot with code {code}", field="lot")
    return row


def stock_card(engine, actor: Actor, code: str, today: date) -> dict:
    """库存卡: every ledger line of a lot, oldest first, with the balance after each."""
    with Session(engine) as s:
        lot, item, depot = _lot_row(s, code)
        actor.require_read_depot(depot.id, depot.code)
        rows = s.exec(
            select(Movement, User).join(User, User.id == Movement.user_id)
            .where(Movement.lot_id == lot.id).order_by(Movement.id)
        ).all()
        first = first_out_lot(s, lot.item_id, lot.depot_id, today)
        return {"lot": {**lot_dict(lot, item, depot, today), "first_out": first_out_dict(first),
                        "out_of_order": fefo.out_of_order(lot, first)},
                "entries": [movement_dict(m, lot, depot, item, u) for m, u in rows],
                "shelf_moves": [{**move, "lot": lot.code, "depot": depot.code}
                                for move in shelves.shelf_history(s, lot.id)]}


# ---------------------------------------------------------------- ledger


def list_movements(engine, actor: Actor, *, depot: str | None = None, subtree: bool = False, lot: str | None = None,
                   item: str | None = None, kind: str | None = None, since: datetime | None = None,
                   until: datetime | None = None, user: str | None = None, reference: str | None = None,
                   limit: int = 100, offset: int = 0) -> dict:
    """Ledger lines, newest first."""
    _check_page(limit, offset)
    if kind is not None and kind not in KINDS:
        raise InvalidInput(f"kind must be one of {', '.join(KINDS)}", field="kind")
    if since and until and until < since:
        raise InvalidInput("until is before since", field="until")
    with Session(engine) as s:
        # every condition on the movement's own columns, so the total is counted on the ledger alone (an
        # index range at a depot) rather than over the join the listing needs
        where = []
        if depot is not None:
            scope = depot_by_code(s, actor, depot)
            where.append(Movement.depot_id.in_(select(Depot.id).where(Depot.path.startswith(scope.path)))
                         if subtree else Movement.depot_id == scope.id)
        if not actor.reads_everything:
            where.append(Movement.depot_id.in_(actor.depot_ids or {-1}))
        for column, key, value in ((Lot.code, Movement.lot_id, lot), (Item.code, Movement.item_id, item),
                                   (User.username, Movement.user_id, user)):
            if value is not None:
                where.append(key.in_(select(column.table.c.id).where(column == value)))
        for column, value in ((Movement.kind, kind), (Movement.reference, reference)):
            if value is not None:
                where.append(column == value)
        if since is not None:
            where.append(Movement.created_at >= since)
        if until is not None:
            where.append(Movement.created_at < until)
        total = s.exec(select(sa.func.count()).select_from(Movement).where(*where)).one()
        rows = s.exec(select(Movement, Lot, Depot, Item, User).join(Lot, Lot.id == Movement.lot_id)
                      .join(Depot, Depot.id == Movement.depot_id).join(Item, Item.id == Movement.item_id)
                      .join(User, User.id == Movement.user_id).where(*where)
                      .order_by(Movement.id.desc()).limit(limit).offset(offset)).all()
        return {"total": total, "entries": [movement_dict(*row) for row in rows]}


def _check_page(limit: int, offset: int) -> None:
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit must be between 1 and {MAX_PAGE}", field="limit")
    if offset < 0:
        raise InvalidInput("offset cannot be negative", field="offset")
