"""The rules of a count session in plain Python: checking what a person types, a line's state, and the
variance of a counted lot (``inventory.ledger.count_since`` is the rule of the ledger line written at close).

Movements during an open count are handled by *recorded deltas*: a count is stored with the lot's ledger
balance at that moment, and at close the difference (counted − balance then) is applied to the balance
then current. Nothing is frozen: an emergency depot must keep issuing while it is being counted.
"""
import re
from dataclasses import dataclass

from common.errors import InvalidInput, Problems
from inventory.shelves import check_shelf

MAX_QUANTITY = 2**31 - 1  # the integer columns' range
MAX_SHELVES = 50

MISSING, COUNTED, LEFT_OUT = "missing", "counted", "left_out"
DIFFERENCE = "difference"
# What a list of a session's lines may show: every line, those not counted yet, those done (counted or left
# out), those counted at a quantity other than the ledger's.
SHOWS = ("all", MISSING, COUNTED, DIFFERENCE)


def reference(session_id: int) -> str:
    """What every ledger line of a closed session carries (盘点单 PD-12)."""
    return f"PD-{session_id}"


def check_counted(counted) -> int:
    if isinstance(counted, bool) or not isinstance(counted, int) or not 0 <= counted <= MAX_QUANTITY:
        raise InvalidInput(f"counted must be a whole number from 0 to {MAX_QUANTITY}, got {counted!r}",
                           field="counted", message_code="counted_out_of_range", params={"value": str(counted)})
    return counted


def check_text(value, field: str, max_length: int, required: bool = False) -> str | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise InvalidInput(f"{field} is required", field=field, message_code="count_text_required")
        return None
    if not isinstance(value, str):
        raise InvalidInput(f"{field} must be text", field=field)
    value = value.strip()
    if len(value) > max_length or "\x00" in value or any(0xD800 <= ord(ch) <= 0xDFFF for ch in value):
        raise InvalidInput(f"{field} must be at most {max_length} characters of text", field=field)
    return value


def parse_shelves(shelves) -> list[str]:
    """Shelf codes from a list or from text separated by commas or spaces (A-01, A-02)."""
    if isinstance(shelves, str):
        shelves = [s for s in re.split(r"[,，\s]+", shelves) if s]
    if not isinstance(shelves, (list, tuple)) or not shelves:
        raise InvalidInput("name the shelves to count, e.g. A-01, A-02", field="shelves")
    if len(shelves) > MAX_SHELVES:
        raise InvalidInput(f"a count names at most {MAX_SHELVES} shelves", field="shelves")
    problems = Problems()  # every bad shelf code named at once
    checked = {problems.check(check_shelf, code, field="shelves", value=code if isinstance(code, str) else None)
               for code in shelves}
    problems.raise_any("shelves", "the shelves")
    return sorted(checked)


def line_state(counted: int | None, left_out: bool) -> str:
    if left_out:
        return LEFT_OUT
    return MISSING if counted is None else COUNTED


@dataclass(frozen=True)
class Variance:
    expected: int  # the ledger's balance when counted (the book quantity the count is compared with)
    counted: int
    difference: int  # counted − expected: the adjustment the close writes
    moved_since: int  # what the ledger recorded for the lot after the count
    after_close: int  # the balance the lot has once the adjustment is written


def variance(counted: int, balance_at_count: int, balance_now: int) -> Variance:
    difference = counted - balance_at_count
    return Variance(expected=balance_at_count, counted=counted, difference=difference,
                    moved_since=balance_now - balance_at_count, after_close=balance_now + difference)
