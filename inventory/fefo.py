"""First-expiry-first-out (先到期先出), in plain Python: which lot of an item at a depot should leave first.

The same rule runs on the phone (static/js/scan-fefo.js) over the lots it keeps for scanning offline;
the two must agree (tests/unit/test_fefo.py and the browser test check each side).

    usable      quantity > 0 and not expired (a lot is usable through its expiry date)
    order       earliest expiry first; lots without an expiry date last;
                ties by received date (older first), then by lot code

A keeper may still take another lot (the scanning page warns, it does not refuse): the rule names the
lot that should go first, and ``out_of_order`` says whether taking a given lot breaks it — only when
that lot expires later than the first one (a lot with the same expiry date is just as good to take).
"""
from datetime import date
from typing import Iterable, NamedTuple, Protocol, TypeVar

from inventory.ledger import is_expired


class LotLike(Protocol):
    code: str
    quantity: int
    expires_on: date | None
    received_on: date


class Available(NamedTuple):
    """A lot as the rule sees it when some of its units are spoken for (picked for an order, not yet shipped):
    ``quantity`` is what is left to take."""

    code: str
    quantity: int
    expires_on: date | None
    received_on: date


L = TypeVar("L", bound=LotLike)


def usable(lot: LotLike, today: date) -> bool:
    return lot.quantity > 0 and not is_expired(lot.expires_on, today)


def sort_key(lot: LotLike) -> tuple:
    return (lot.expires_on is None, lot.expires_on or date.max, lot.received_on, lot.code)


def picking_order(lots: Iterable[L], today: date) -> list[L]:
    """The usable lots in the order they should leave."""
    return sorted((lot for lot in lots if usable(lot, today)), key=sort_key)


def first_out(lots: Iterable[L], today: date) -> L | None:
    """The lot that should leave first, or None when no lot is usable."""
    return min((lot for lot in lots if usable(lot, today)), key=sort_key, default=None)


def out_of_order(taken: LotLike, first: LotLike | None) -> bool:
    """True when taking ``taken`` passes over ``first``, a lot that expires sooner."""
    if first is None or taken.code == first.code:
        return False
    if first.expires_on is None:
        return False  # the first lot has no expiry, so neither has any other usable lot
    return taken.expires_on is None or taken.expires_on > first.expires_on
