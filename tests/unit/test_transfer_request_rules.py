"""The plain rules of daily transfer requests (orders.requests): which depots are above, and how an approval takes
lots first-expiry-first-out less what open orders already plan to take."""
from dataclasses import dataclass
from datetime import date

import pytest

from common.errors import InvalidInput
from orders.requests import asked_lines, granted_lines, is_above, take_first_out

TODAY = date(2026, 7, 1)


@dataclass
class D:
    id: int
    path: str


@dataclass
class L:
    code: str
    quantity: int
    expires_on: date | None
    received_on: date = date(2026, 1, 1)


def test_a_depot_is_above_its_descendants_only():
    county, town, village, other_town = D(1, "/1/"), D(2, "/1/2/"), D(5, "/1/2/5/"), D(3, "/1/3/")
    assert is_above(county, village) and is_above(town, village) and is_above(county, town)
    assert not is_above(other_town, village) and not is_above(village, town) and not is_above(town, town)
    assert not is_above(D(1, "/1/"), D(12, "/12/"))  # a path prefix by whole ids, not by digits


def test_lots_are_taken_earliest_expiry_first_skipping_expired_and_promised_units():
    lots = [L("NEW", 60, date(2027, 6, 30)), L("OLD", 40, date(2026, 9, 1)), L("GONE", 50, date(2026, 6, 30)),
            L("MID", 30, date(2027, 1, 31)), L("DURABLE", 10, None)]
    picks, available = take_first_out(lots, {"OLD": 15}, 70, TODAY)
    assert picks == [("OLD", 25), ("MID", 30), ("NEW", 15)] and available == 25 + 30 + 60 + 10


def test_when_the_source_holds_less_the_pick_list_covers_what_there_is():
    picks, available = take_first_out([L("A", 5, None)], {}, 8, TODAY)
    assert picks == [("A", 5)] and available == 5


@pytest.mark.parametrize("lines, field", [
    ([], "lines"), ("WATER", "lines"), ([{"item": "", "quantity": 1}], "lines[0].item"),
    ([{"item": "WATER", "quantity": 0}], "lines[0].quantity"), ([{"item": "WATER", "quantity": True}], "lines[0].quantity"),
    ([{"item": "WATER", "quantity": 1}, {"item": "WATER", "quantity": 1}], "lines[1].item"),
])
def test_asked_lines_name_the_bad_field(lines, field):
    with pytest.raises(InvalidInput) as refused:
        asked_lines(lines)
    assert refused.value.field == field


def test_granted_lines_allow_zero_but_not_negative():
    assert granted_lines([{"item": "WATER", "quantity": 0}]) == {"WATER": 0}
    with pytest.raises(InvalidInput):
        granted_lines([{"item": "WATER", "quantity": -1}])
