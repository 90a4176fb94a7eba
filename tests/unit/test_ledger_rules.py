"""The ledger's rules, without a database."""
from datetime import date

import pytest

from common.errors import InsufficientStock, InvalidInput, LotExpired
from inventory import ledger
from inventory.ledger import LotState

TODAY = date(2026, 7, 1)
LOT = LotState(code="L1", quantity=10, expires_on=date(2026, 12, 31))


def test_receive_adds_to_the_balance():
    assert ledger.receive(LOT, 5) == ledger.Change("receive", 5, 15)


def test_issue_takes_from_the_balance():
    assert ledger.issue(LOT, 4, TODAY) == ledger.Change("issue", -4, 6)


def test_issue_may_empty_a_lot_exactly():
    assert ledger.issue(LOT, 10, TODAY).balance_after == 0


def test_issue_never_takes_a_lot_below_zero():
    with pytest.raises(InsufficientStock, match="holds 10, cannot take 11"):
        ledger.issue(LOT, 11, TODAY)


def test_issue_from_an_expired_lot_is_refused():
    expired = LotState("L2", 10, date(2026, 6, 30))
    with pytest.raises(LotExpired, match="only written off"):
        ledger.issue(expired, 1, TODAY)


def test_a_lot_is_usable_on_its_expiry_date():
    last_day = LotState("L3", 10, TODAY)
    assert ledger.issue(last_day, 1, TODAY).balance_after == 9


def test_transfer_out_of_an_expired_lot_is_refused():
    with pytest.raises(LotExpired):
        ledger.transfer_out(LotState("L2", 10, date(2026, 1, 1)), 1, TODAY)


def test_durable_goods_never_expire():
    assert ledger.issue(LotState("L4", 3, None), 3, date(2099, 1, 1)).balance_after == 0


def test_write_off_takes_an_expired_lot_out():
    change = ledger.write_off(LotState("L2", 10, date(2026, 1, 1)), 10, "expired")
    assert change == ledger.Change("write_off", -10, 0, "expired")


def test_write_off_needs_a_known_reason():
    with pytest.raises(InvalidInput, match="reason must be one of") as e:
        ledger.write_off(LOT, 1, "borrowed")
    assert e.value.field == "reason"


def test_write_off_cannot_exceed_the_balance():
    with pytest.raises(InsufficientStock):
        ledger.write_off(LOT, 11, "damaged")


@pytest.mark.parametrize("counted, delta", [(7, -3), (10, 0), (12, 2), (0, -10)])
def test_count_records_the_difference_as_an_adjustment(counted, delta):
    assert ledger.count(LOT, counted) == ledger.Change("count", delta, counted)


def test_count_cannot_be_negative():
    with pytest.raises(InvalidInput) as e:
        ledger.count(LOT, -1)
    assert e.value.field == "counted"


@pytest.mark.parametrize("quantity", [0, -1, 1.5, "3", True, None])
def test_quantities_are_whole_numbers_above_zero(quantity):
    for rule in (lambda: ledger.receive(LOT, quantity), lambda: ledger.issue(LOT, quantity, TODAY),
                 lambda: ledger.return_(LOT, quantity)):
        with pytest.raises(InvalidInput) as e:
            rule()
        assert e.value.field == "quantity"


def test_return_adds_units_back():
    assert ledger.return_(LOT, 2) == ledger.Change("return", 2, 12)
