"""The rules of a transfer order (调拨单) in plain Python: its states, the moves between them, and what each
line may pick, ship and receive. No Flask, no database: the services load the rows, ask these functions,
and write what they answer.

Life of an order::

    approved ──pick──▶ picking ──ship──▶ shipped ──receive──▶ partly_received ──receive──▶ received
        │                 │               (in transit)
        └──cancel─────────┴──▶ cancelled      (no cancel once shipped: the units are on the road)

A line's quantities::

    picked  ≤ planned                      (a lot the plan did not name, or more of a planned lot than the
                                            plan gave it, is a substitute and needs a reason)
    shipped = picked                       (the whole pick leaves at once, with the ship)
    received + short + damaged ≤ shipped   (in transit is what is left: shipped − received − short − damaged)

Reconciliation, per item: what left the sources (the ``ship`` ledger lines) = in transit + received +
recorded short or damaged.
"""
import re
from dataclasses import dataclass

from common.errors import DomainError, InvalidInput, Problems

APPROVED, PICKING, SHIPPED, PARTLY_RECEIVED, RECEIVED, CANCELLED = (
    "approved", "picking", "shipped", "partly_received", "received", "cancelled")
STATES = (APPROVED, PICKING, SHIPPED, PARTLY_RECEIVED, RECEIVED, CANCELLED)
OPEN_STATES = (APPROVED, PICKING, SHIPPED, PARTLY_RECEIVED)  # something is still to be done
NOT_SENT = "not_sent"  # a line of a shipped order of which nothing was picked

PICK, UNPICK, SHIP, RECEIVE, CANCEL = "pick", "unpick", "ship", "receive", "cancel"
ALLOWED = {  # action → the states it may start from
    PICK: (APPROVED, PICKING),
    UNPICK: (PICKING,),
    SHIP: (PICKING,),
    RECEIVE: (SHIPPED, PARTLY_RECEIVED),
    CANCEL: (APPROVED, PICKING),
}

_AFTER_SHIP = {PICK: "order_pick_after_ship", UNPICK: "order_unpick_after_ship", CANCEL: "order_cancel_after_ship"}

DEPOT, SHELTER = "depot", "shelter"  # what an order's destination is
DESTINATION_KINDS = (DEPOT, SHELTER)

MAX_QUANTITY = 2**31 - 1
EVENTS = ("approved", "picked", "unpicked", "shipped", "received", "delivered", "cancelled")
CODE = re.compile(r"^DO-[0-9A-Z]+(-[0-9A-Z]+)*$")


class OrderStateConflict(DomainError):
    """An action the order's state does not allow (shipping twice, picking a cancelled order…)."""

    code = "order_state"


class QuantityConflict(DomainError):
    """A quantity the order's line cannot take (more than planned, shipped or still in transit)."""

    code = "order_quantity"


def order_code(prefix: str, n: int) -> str:
    """DO-<incident id>-<n> (or DO-<yyyymmdd>-<n> for a daily request): ASCII, fits a QR label's URL."""
    code = f"DO-{prefix}-{n}"
    if not CODE.match(code):
        raise ValueError(f"not an order code: {code!r}")
    return code


def require_action(action: str, state: str, code: str) -> None:
    """Refuses an action the order's state does not allow, naming the state."""
    if state in ALLOWED[action]:
        return
    if state == CANCELLED:
        raise OrderStateConflict(f"order {code} was cancelled; nothing more can be done with it",
                                 message_code="order_cancelled", params={"order": code}, state=state)
    if action in (PICK, UNPICK, CANCEL) and state in (SHIPPED, PARTLY_RECEIVED, RECEIVED):
        raise OrderStateConflict(f"order {code} has already been shipped", message_code=_AFTER_SHIP[action],
                                 params={"order": code}, state=state)
    if action == SHIP and state == APPROVED:
        raise OrderStateConflict(f"nothing of order {code} has been picked yet: pick its lots before shipping",
                                 message_code="order_nothing_picked", params={"order": code}, state=state)
    if action == SHIP:
        raise OrderStateConflict(f"order {code} has already been shipped", message_code="order_already_shipped",
                                 params={"order": code}, state=state)
    if action == RECEIVE and state == RECEIVED:
        raise OrderStateConflict(f"order {code} has been received in full already", message_code="order_already_received",
                                 params={"order": code}, state=state)
    if action == RECEIVE:
        raise OrderStateConflict(f"order {code} has not been shipped yet", message_code="order_not_shipped",
                                 params={"order": code}, state=state)
    raise OrderStateConflict(f"order {code} is {state}: {action} is not possible", message_code="order_state",
                             params={"order": code, "state": state}, state=state)


@dataclass(frozen=True)
class LineQuantities:
    planned: int
    picked: int = 0
    shipped: int = 0
    received: int = 0
    short: int = 0
    damaged: int = 0

    @property
    def accounted(self) -> int:
        """What arrived or is known not to arrive."""
        return self.received + self.short + self.damaged

    @property
    def in_transit(self) -> int:
        return self.shipped - self.accounted


def line_state(order_state: str, q: LineQuantities) -> str:
    """A line's own state, from its quantities (a cancelled order's lines are cancelled)."""
    if order_state == CANCELLED:
        return CANCELLED
    if q.shipped == 0:
        if order_state in (SHIPPED, PARTLY_RECEIVED, RECEIVED):
            return NOT_SENT  # nothing of it was picked when the order left
        return PICKING if q.picked else APPROVED
    if q.accounted == 0:
        return SHIPPED
    return RECEIVED if q.accounted == q.shipped else PARTLY_RECEIVED


def state_after_receipt(lines: list[LineQuantities]) -> str:
    """An order is received once nothing of it is in transit any more."""
    return RECEIVED if all(q.in_transit == 0 for q in lines) else PARTLY_RECEIVED


def quantity(value, field: str, allow_zero: bool = False) -> int:
    low = 0 if allow_zero else 1
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= MAX_QUANTITY:
        raise InvalidInput(f"{field} must be a whole number from {low} to {MAX_QUANTITY}, got {value!r}", field=field,
                           message_code="order_quantity_out_of_range", params={"field": field, "value": str(value)})
    return value


def item_quantities(lines) -> dict[str, int]:
    """An optional [{item, quantity}] (what a receipt confirms, what an approval grants): item → units, 0 allowed;
    an item named twice, a missing item or a bad quantity is refused naming its line."""
    if lines is None:
        return {}
    if not isinstance(lines, list):
        raise InvalidInput("lines must be a list of {item, quantity}", field="lines")
    quantities = {}
    problems = Problems()  # every bad line named at once
    for n, row in enumerate(lines):
        item = row.get("item") if isinstance(row, dict) else None
        if not isinstance(item, str) or not item:
            problems.add(InvalidInput("each line names its item", field=f"lines[{n}].item"), line=n + 1, column="item")
        elif item in quantities:
            problems.add(InvalidInput(f"{item} is named twice", field=f"lines[{n}].item",
                                      message_code="order_item_twice", params={"item": item}),
                         line=n + 1, column="item", value=item)
        value = row.get("quantity") if isinstance(row, dict) else None
        units = problems.check(quantity, value, f"lines[{n}].quantity", allow_zero=True, line=n + 1,
                               column="quantity", value=value)
        if isinstance(item, str) and item and item not in quantities:
            quantities[item] = units
    problems.raise_any("lines", "the lines")
    return quantities


def text(value, field: str, max_length: int, required: bool = False) -> str | None:
    """Free text a person types (a reason, a name): trimmed, at most ``max_length``, no NUL or lone surrogates."""
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise InvalidInput(f"{field} is required", field=field, message_code="order_text_required",
                               params={"field": field})
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"{field} must be text", field=field, message_code="order_text_invalid",
                           params={"field": field, "max": max_length})
    value = value.strip()
    if len(value) > max_length or "\x00" in value or any(0xD800 <= ord(ch) <= 0xDFFF for ch in value):
        raise InvalidInput(f"{field} must be at most {max_length} characters of text", field=field,
                           message_code="order_text_invalid", params={"field": field, "max": max_length})
    return value


@dataclass(frozen=True)
class PickCheck:
    substitute: bool  # the lot, or this much of it, is not what the plan named


def check_pick(code: str, item: str, q: LineQuantities, lot: str, quantity_: int, planned_lots: dict[str, int],
               picked_from_lot: int, reason: str | None) -> PickCheck:
    """A pick of ``quantity_`` units of ``lot`` for a line: never more than the line's planned quantity in all;
    a lot the plan did not name, or more of a planned lot than the plan gave it, only with a reason."""
    quantity(quantity_, "quantity")
    if q.picked + quantity_ > q.planned:
        raise QuantityConflict(
            f"order {code}: {item} is planned at {q.planned} and {q.picked} are picked already; "
            f"{quantity_} more would be more than planned", field="quantity", message_code="pick_more_than_planned",
            params={"order": code, "item": item, "planned": q.planned, "picked": q.picked, "quantity": quantity_})
    substitute = picked_from_lot + quantity_ > planned_lots.get(lot, 0)
    if substitute and reason is None:
        raise InvalidInput(
            f"lot {lot} is not the lot the plan named for {item} (or not this much of it): "
            "say why it is taken instead", field="reason", message_code="pick_substitute_needs_reason",
            params={"order": code, "item": item, "lot": lot, "planned": ", ".join(sorted(planned_lots)) or "-"})
    return PickCheck(substitute=substitute)


def check_ship(code: str, item: str, picked: int, confirmed: int | None) -> int:
    """What a line ships: everything picked. A quantity confirmed at loading must be the picked one: more was
    never picked, less must be unpicked first (so the lots that stay behind are known)."""
    if confirmed is None:
        return picked
    quantity(confirmed, "quantity", allow_zero=True)
    if confirmed > picked:
        raise QuantityConflict(
            f"order {code}: {confirmed} of {item} cannot be shipped, only {picked} were picked",
            field="quantity", message_code="ship_more_than_picked",
            params={"order": code, "item": item, "picked": picked, "quantity": confirmed})
    if confirmed < picked:
        raise QuantityConflict(
            f"order {code}: {picked} of {item} were picked but {confirmed} are loaded: unpick the lots that stay "
            "behind first", field="quantity", message_code="ship_less_than_picked",
            params={"order": code, "item": item, "picked": picked, "quantity": confirmed})
    return picked


@dataclass(frozen=True)
class Receipt:
    received: int
    short: int
    damaged: int
    short_reason: str | None
    damage_reason: str | None


def check_receipt(code: str, item: str, q: LineQuantities, received, short=0, damaged=0,
                  short_reason=None, damage_reason=None) -> Receipt:
    """What arrived of a line (received), what did not (short) and what arrived unusable (damaged), each with
    its reason; together at least 1 and at most what is still in transit."""
    received = quantity(received, "received", allow_zero=True)
    short = quantity(short, "short", allow_zero=True)
    damaged = quantity(damaged, "damaged", allow_zero=True)
    short_reason = text(short_reason, "short_reason", 200, required=short > 0)
    damage_reason = text(damage_reason, "damage_reason", 200, required=damaged > 0)
    if short == 0 and short_reason is not None:
        raise InvalidInput("a shortage reason without a shortage", field="short_reason",
                           message_code="receipt_reason_without_quantity", params={"field": "short"})
    if damaged == 0 and damage_reason is not None:
        raise InvalidInput("a damage reason without damaged units", field="damage_reason",
                           message_code="receipt_reason_without_quantity", params={"field": "damaged"})
    total = received + short + damaged
    if q.in_transit == 0:
        raise QuantityConflict(f"order {code}: {item} has been received in full already", field="received",
                               message_code="line_already_received", params={"order": code, "item": item})
    if total == 0:
        raise InvalidInput("record at least one unit received, short or damaged", field="received",
                           message_code="receipt_empty", params={"order": code, "item": item})
    if total > q.in_transit:
        raise QuantityConflict(
            f"order {code}: {total} of {item} recorded but only {q.in_transit} are still in transit "
            f"({q.shipped} shipped)", field="received", message_code="receive_more_than_shipped",
            params={"order": code, "item": item, "quantity": total, "in_transit": q.in_transit, "shipped": q.shipped})
    return Receipt(received, short, damaged, short_reason, damage_reason)


def split_receipt(outstanding: list[tuple[str, int]], receipt: Receipt) -> list[tuple[str, int, int, int]]:
    """Spreads a line's receipt over the lots it was shipped from (``outstanding``: (lot, still in transit) in
    first-expiry-first-out order): received units first, then damaged, then short, each lot filled before the
    next. Returns (lot, received, damaged, short) for every lot that gets something."""
    left = {"received": receipt.received, "damaged": receipt.damaged, "short": receipt.short}
    parts = []
    for lot, room in outstanding:
        taken = {}
        for kind in ("received", "damaged", "short"):
            n = min(room, left[kind])
            taken[kind], left[kind], room = n, left[kind] - n, room - n
        if any(taken.values()):
            parts.append((lot, taken["received"], taken["damaged"], taken["short"]))
    if any(left.values()):
        raise ValueError("receipt larger than what is in transit")  # check_receipt refuses this first
    return parts


@dataclass(frozen=True)
class ItemBalance:
    """One item across orders: what left the sources and where it is now."""

    left_sources: int
    in_transit: int
    received: int
    short: int
    damaged: int

    @property
    def holds(self) -> bool:
        return self.left_sources == self.in_transit + self.received + self.short + self.damaged


def reconcile(lines: list[tuple[str, LineQuantities]]) -> dict[str, ItemBalance]:
    """Per item, the sums over order lines (item, quantities): shipped = in transit + received + short + damaged."""
    totals: dict[str, list[int]] = {}
    for item, q in lines:
        t = totals.setdefault(item, [0, 0, 0, 0, 0])
        for i, value in enumerate((q.shipped, q.in_transit, q.received, q.short, q.damaged)):
            t[i] += value
    return {item: ItemBalance(*t) for item, t in sorted(totals.items())}
