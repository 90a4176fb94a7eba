"""Shelf locations (货架): where a lot stands in its depot, e.g. ``A-03``.

A shelf is not a record of its own: it is a short ASCII code on the lot, the same code the shelf labels
carry (``/d/<depot>?shelf=A-03``, labels.payloads). It is given when a new lot is received and changed
later by a keeper of the lot's depot or an administrator ("move to shelf"). A move does not change stock,
so it is not a ledger line; each one adds a row to ``shelf_move`` (who, when, from, to) in the same
transaction as the lot's new shelf.
"""
import re
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, select

from accounts.models import User
from common.actor import Actor
from common.db import UnitOfWork
from common.errors import InvalidInput, NotFound
from inventory.models import Depot, Lot, ShelfMove

# A shelf code: letters, digits and single hyphens between them, e.g. A-03, B2-01-4, 12.
SHELF_PATTERN = re.compile(r"[A-Z0-9]+(?:-[A-Z0-9]+)*")
MAX_SHELF_LENGTH = 16


def check_shelf(value, field: str = "shelf") -> str:
    """A shelf code, upper-cased (``a-03`` → ``A-03``); raises InvalidInput naming ``field`` otherwise."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput("the shelf code is empty", field=field, message_code="shelf_empty")
    code = value.strip().upper()
    if len(code) > MAX_SHELF_LENGTH or not SHELF_PATTERN.fullmatch(code):
        raise InvalidInput(
            f"{value!r} is not a shelf code: use letters A–Z and digits, parts joined by single hyphens "
            f"(for example A-03), at most {MAX_SHELF_LENGTH} characters", field=field,
            message_code="shelf_malformed", params={"value": value, "max": MAX_SHELF_LENGTH})
    return code


def optional_shelf(value, field: str = "shelf") -> str | None:
    """None or an empty text means "no shelf"."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    return check_shelf(value, field)


def move_to_shelf(engine, actor: Actor, now: datetime, *, lot: str, shelf: str | None,
                  note: str | None = None) -> dict:
    """Puts a lot on a shelf of its depot (``None`` takes it off any shelf). Keepers of the lot's depot and
    administrators only. Moving a lot to the shelf it is on already is refused (nothing would change)."""
    shelf = optional_shelf(shelf)
    if note is not None and len(note) > 500:
        raise InvalidInput("note has at most 500 characters", field="note")
    with UnitOfWork(engine) as uow:
        row = uow.session.exec(uow.lock_for_update(select(Lot).where(Lot.code == lot))).first()
        if row is None:
            raise NotFound(f"no lot with code {lot}", field="lot", message_code="no_such_lot", params={"lot": lot})
        depot = uow.session.get(Depot, row.depot_id)
        actor.require_stock_change(row.depot_id, depot.code)
        if row.shelf == shelf and shelf is None:
            raise InvalidInput(f"lot {lot} is on no shelf already", field="shelf",
                               message_code="shelf_unchanged_none", params={"lot": lot})
        if row.shelf == shelf:
            raise InvalidInput(f"lot {lot} is already on shelf {shelf}", field="shelf",
                               message_code="shelf_unchanged", params={"lot": lot, "shelf": shelf})
        move = ShelfMove(lot_id=row.id, depot_id=row.depot_id, from_shelf=row.shelf, to_shelf=shelf,
                         user_id=actor.user_id, moved_at=now, note=note or None)
        row.shelf = shelf
        uow.session.add_all([row, move])
        uow.commit()
        return {"lot": lot, "depot": depot.code, "from_shelf": move.from_shelf, "to_shelf": shelf,
                "user": actor.username, "moved_at": now.isoformat(), "note": move.note}


def shelf_history(session: Session, lot_id: int) -> list[dict]:
    """Every shelf move of a lot, oldest first."""
    rows = session.exec(select(ShelfMove, User).join(User, User.id == ShelfMove.user_id)
                        .where(ShelfMove.lot_id == lot_id).order_by(ShelfMove.id)).all()
    return [{"from_shelf": m.from_shelf, "to_shelf": m.to_shelf, "user": u.username,
             "moved_at": m.moved_at.isoformat(), "note": m.note} for m, u in rows]


def shelves_in_depot(session: Session, depot_id: int) -> list[str]:
    """The shelves lots with stock stand on in a depot, in code order (for the depot page's filter)."""
    return list(session.exec(select(Lot.shelf).where(Lot.depot_id == depot_id, Lot.shelf.is_not(None),
                                                     Lot.quantity > 0).distinct().order_by(Lot.shelf)).all())
