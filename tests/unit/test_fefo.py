"""First-expiry-first-out and shelf codes, without a database (inventory.fefo, inventory.shelves)."""
from dataclasses import dataclass
from datetime import date, timedelta

import pytest

from common.errors import InvalidInput
from inventory import fefo
from inventory.shelves import check_shelf, optional_shelf

TODAY = date(2026, 7, 1)


@dataclass(frozen=True)
class L:
    code: str
    quantity: int = 10
    expires_on: date | None = None
    received_on: date = date(2026, 1, 1)


def codes(lots):
    return [lot.code for lot in lots]


def test_the_lot_that_expires_soonest_goes_first():
    lots = [L("B", expires_on=date(2027, 3, 1)), L("A", expires_on=date(2026, 9, 1)), L("C", expires_on=date(2028, 1, 1))]
    assert fefo.first_out(lots, TODAY).code == "A"
    assert codes(fefo.picking_order(lots, TODAY)) == ["A", "B", "C"]


def test_an_expired_lot_never_goes_first_but_one_expiring_today_does():
    lots = [L("OLD", expires_on=TODAY - timedelta(days=1)), L("TODAY", expires_on=TODAY),
            L("LATER", expires_on=date(2027, 1, 1))]
    assert fefo.first_out(lots, TODAY).code == "TODAY"
    assert fefo.first_out([L("OLD", expires_on=TODAY - timedelta(days=1))], TODAY) is None


def test_an_empty_lot_never_goes_first():
    lots = [L("EMPTY", quantity=0, expires_on=date(2026, 8, 1)), L("FULL", expires_on=date(2026, 12, 1))]
    assert fefo.first_out(lots, TODAY).code == "FULL"


def test_lots_without_an_expiry_date_go_last():
    lots = [L("DURABLE"), L("DATED", expires_on=date(2030, 1, 1))]
    assert codes(fefo.picking_order(lots, TODAY)) == ["DATED", "DURABLE"]
    assert fefo.first_out([L("DURABLE")], TODAY).code == "DURABLE"


def test_ties_go_to_the_lot_received_first_then_to_the_smaller_code():
    same = date(2027, 1, 1)
    lots = [L("B2", expires_on=same, received_on=date(2026, 5, 1)), L("B1", expires_on=same, received_on=date(2026, 5, 1)),
            L("A9", expires_on=same, received_on=date(2026, 6, 1)), L("Z", received_on=date(2025, 1, 1)),
            L("Y", received_on=date(2025, 1, 1))]
    assert codes(fefo.picking_order(lots, TODAY)) == ["B1", "B2", "A9", "Y", "Z"]


def test_no_usable_lot_means_nothing_goes_first():
    assert fefo.first_out([], TODAY) is None


def test_taking_a_later_expiring_lot_is_out_of_order_but_the_first_or_an_equal_one_is_not():
    first = L("A", expires_on=date(2026, 9, 1))
    assert fefo.out_of_order(L("B", expires_on=date(2027, 1, 1)), first)
    assert fefo.out_of_order(L("D"), first)  # no expiry, while a dated lot waits
    assert not fefo.out_of_order(first, first)
    assert not fefo.out_of_order(L("C", expires_on=date(2026, 9, 1), received_on=date(2026, 6, 1)), first)
    assert not fefo.out_of_order(L("E"), L("F"))  # neither expires
    assert not fefo.out_of_order(L("B", expires_on=date(2027, 1, 1)), None)


@pytest.mark.parametrize("typed, code", [("A-03", "A-03"), ("a-03", "A-03"), (" b2-01-4 ", "B2-01-4"), ("12", "12")])
def test_a_shelf_code_is_letters_and_digits_joined_by_hyphens_and_upper_cased(typed, code):
    assert check_shelf(typed) == code


@pytest.mark.parametrize("typed", ["A--03", "-A", "A-", "A 03", "A/03", "货架1", "A" * 17, "A\x0003", ""])
def test_anything_else_is_not_a_shelf_code_and_the_error_names_the_field(typed):
    with pytest.raises(InvalidInput) as e:
        check_shelf(typed, field="new_lot.shelf")
    assert e.value.field == "new_lot.shelf" and e.value.status == 422


def test_an_empty_optional_shelf_means_no_shelf():
    assert optional_shelf(None) is None and optional_shelf("  ") is None and optional_shelf("c-1") == "C-1"
