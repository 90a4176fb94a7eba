"""The rules of every stock change, in plain Python.

Given what a lot holds now, each function either returns the ledger line to write (kind, signed
quantity, balance after) or raises a domain error saying why the change is not allowed. The services
load and lock the lot, call one of these, and write the line in the same transaction.
"""
from dataclasses import dataclass
from datetime import date

from common.errors import InsufficientStock, InvalidInput, LotExpired, TooMuchStock
from common.limits import MAX_QUANTITY

RECEIVE = "receive"
ISSUE = "issue"
TRANSFER_OUT = "transfer_out"
TRANSFER_IN = "transfer_in"
COUNT = "count"
WRITE_OFF = "write_off"
RETURN = "return"
SHIP = "ship"  # a transfer order leaves its source lot: the units are in transit (调出在途), on the order's lines
DELIVER = "deliver"  # a transfer order's units arrive in a lot of the destination depot (调入签收)
KINDS = (RECEIVE, ISSUE, TRANSFER_OUT, TRANSFER_IN, COUNT, WRITE_OFF, RETURN, SHIP, DELIVER)

WRITE_OFF_REASONS = ("expired", "damaged", "lost", "approved")


@dataclass(frozen=True)
class LotState:
    code: str
    quantity: int
    expires_on: date | None


@dataclass(frozen=True)
class Change:
    kind: str
    quantity: int  # signed
    balance_after: int
    reason: str | None = None


def is_expired(expires_on: date | None, today: date) -> bool:
    """A lot is usable through its expiry date and expired from the day after."""
    return expires_on is not None and expires_on < today


def _positive(quantity, field: str = "quantity") -> int:
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
        raise InvalidInput(f"{field} must be a whole number greater than 0, got {quantity!r}", field=field,
                           message_code="quantity_not_positive", params={"value": str(quantity)})
    if quantity > MAX_QUANTITY:
        raise InvalidInput(f"{field} must be at most {MAX_QUANTITY}, got {quantity}", field=field,
                           message_code="quantity_too_large", params={"value": str(quantity), "max": MAX_QUANTITY})
    return quantity


def _take(lot: LotState, quantity: int, kind: str, today: date | None, reason: str | None = None) -> Change:
    quantity = _positive(quantity)
    if today is not None and is_expired(lot.expires_on, today):
        raise LotExpired(
            f"lot {lot.code} expired on {lot.expires_on.isoformat()}; it cannot be issued or moved, "
            "only written off",
            field="lot", message_code="lot_expired", params={"lot": lot.code, "expired": lot.expires_on.isoformat()},
        )
    if quantity > lot.quantity:
        raise InsufficientStock(
            f"lot {lot.code} holds {lot.quantity}, cannot take {quantity}",
            field="quantity", message_code="lot_holds_less",
            params={"lot": lot.code, "available": lot.quantity, "quantity": quantity},
            available=lot.quantity,
        )
    return Change(kind, -quantity, lot.quantity - quantity, reason)


def _add(lot: LotState, quantity: int, kind: str) -> Change:
    """Units into a lot; its balance stays within what a lot may hold (``MAX_QUANTITY``)."""
    quantity = _positive(quantity)
    if lot.quantity + quantity > MAX_QUANTITY:
        raise TooMuchStock(
            f"lot {lot.code} holds {lot.quantity}; {quantity} more would pass the most a lot may hold ({MAX_QUANTITY})",
            field="quantity", message_code="lot_would_hold_too_much",
            params={"lot": lot.code, "quantity": quantity, "held": lot.quantity, "max": MAX_QUANTITY},
        )
    return Change(kind, quantity, lot.quantity + quantity)


def receive(lot: LotState, quantity: int) -> Change:
    return _add(lot, quantity, RECEIVE)


def issue(lot: LotState, quantity: int, today: date) -> Change:
    return _take(lot, quantity, ISSUE, today)


def transfer_out(lot: LotState, quantity: int, today: date) -> Change:
    return _take(lot, quantity, TRANSFER_OUT, today)


def transfer_in(lot: LotState, quantity: int) -> Change:
    return _add(lot, quantity, TRANSFER_IN)


def ship(lot: LotState, quantity: int, today: date) -> Change:
    """Units of a transfer order leave the source lot; until received they are in transit on the order."""
    return _take(lot, quantity, SHIP, today)


def deliver(lot: LotState, quantity: int) -> Change:
    """Units of a transfer order received into a lot of the destination depot."""
    return _add(lot, quantity, DELIVER)


def return_(lot: LotState, quantity: int) -> Change:
    """Units that come back unused (回收), for example after a response stands down."""
    return _add(lot, quantity, RETURN)


def hand_back(lot: LotState, quantity: int) -> Change:
    """Units of a village point's lot that go back to a depot as a return (回收) after an incident: they leave
    the lot whatever its expiry (equipment comes back to be inspected, not to be used on the way)."""
    return _take(lot, quantity, TRANSFER_OUT, today=None)


def count(lot: LotState, counted: int) -> Change:
    """A stock-take (盘点): the difference between counted and recorded becomes the adjustment.
    A count that matches is still recorded (quantity 0) as proof the shelf was counted."""
    if isinstance(counted, bool) or not isinstance(counted, int) or counted < 0:
        raise InvalidInput(f"counted must be a whole number of 0 or more, got {counted!r}", field="counted",
                           message_code="counted_negative", params={"value": str(counted)})
    if counted > MAX_QUANTITY:
        raise InvalidInput(f"counted must be at most {MAX_QUANTITY}, got {counted}", field="counted",
                           message_code="quantity_too_large", params={"value": str(counted), "max": MAX_QUANTITY})
    return Change(COUNT, counted - lot.quantity, counted)


def count_since(lot: LotState, counted: int, balance_at_count: int) -> Change:
    """A count recorded earlier, when the lot's ledger said ``balance_at_count``, entered now (a count
    session closing): the difference found then is applied to what the lot holds now, so the movements
    recorded since the count are neither lost nor counted twice. Refused when that would leave the lot
    below zero (more went out since the count than the count found): the lot must be counted again."""
    count(lot, counted)  # the same check of the counted quantity
    difference = counted - balance_at_count
    if lot.quantity + difference < 0:
        raise InsufficientStock(
            f"lot {lot.code} was counted at {counted} when its ledger said {balance_at_count}, and holds "
            f"{lot.quantity} now: the difference of {difference} would take it below zero; count it again",
            field="counted", message_code="count_below_zero",
            params={"lot": lot.code, "counted": counted, "balance": balance_at_count, "now": lot.quantity},
            available=lot.quantity,
        )
    return Change(COUNT, difference, lot.quantity + difference)


def write_off(lot: LotState, quantity: int, reason: str) -> Change:
    """Expired, damaged or lost units leave the books (报损/报废); expired lots may only leave this way."""
    if reason not in WRITE_OFF_REASONS:
        raise InvalidInput(
            f"reason must be one of {', '.join(WRITE_OFF_REASONS)}, got {reason!r}", field="reason",
            message_code="reason_unknown", params={"value": str(reason)},
        )
    return _take(lot, quantity, WRITE_OFF, today=None, reason=reason)
