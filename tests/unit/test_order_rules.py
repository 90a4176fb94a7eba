"""The rules of a transfer order in plain Python: states and their moves, what a line may pick, ship and
receive, how a receipt spreads over lots, and reconciliation; and every message code the orders package
raises has a message with the parameters the error carries."""
import re
from pathlib import Path

import pytest

from common.errors import InvalidInput
from orders import rules
from orders.rules import LineQuantities as Q
from orders.rules import OrderStateConflict, QuantityConflict
from dispatch.vocab import ERROR_MESSAGES as DISPATCH_MESSAGES
from orders.vocab import ERROR_MESSAGES, WARNINGS
from tests.unit.test_error_codes import raised_codes

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("action, state, allowed", [
    (rules.PICK, "approved", True), (rules.PICK, "picking", True), (rules.PICK, "shipped", False),
    (rules.SHIP, "picking", True), (rules.SHIP, "approved", False), (rules.SHIP, "shipped", False),
    (rules.RECEIVE, "shipped", True), (rules.RECEIVE, "partly_received", True), (rules.RECEIVE, "received", False),
    (rules.RECEIVE, "picking", False), (rules.CANCEL, "approved", True), (rules.CANCEL, "picking", True),
    (rules.CANCEL, "shipped", False), (rules.CANCEL, "partly_received", False), (rules.UNPICK, "picking", True),
])
def test_each_action_is_allowed_only_from_its_states(action, state, allowed):
    if allowed:
        rules.require_action(action, state, "DO-1-1")
    else:
        with pytest.raises(OrderStateConflict):
            rules.require_action(action, state, "DO-1-1")


@pytest.mark.parametrize("action", [rules.PICK, rules.UNPICK, rules.SHIP, rules.RECEIVE, rules.CANCEL])
def test_a_cancelled_order_refuses_every_action_with_one_message(action):
    with pytest.raises(OrderStateConflict) as e:
        rules.require_action(action, "cancelled", "DO-1-1")
    assert (e.value.message_code, e.value.params) == ("order_cancelled", {"order": "DO-1-1"})


@pytest.mark.parametrize("state, message_code", [
    ("shipped", "order_already_shipped"), ("received", "order_already_shipped"), ("approved", "order_nothing_picked")])
def test_shipping_twice_or_before_picking_says_which(state, message_code):
    with pytest.raises(OrderStateConflict) as e:
        rules.require_action(rules.SHIP, state, "DO-1-1")
    assert e.value.message_code == message_code


def test_a_pick_never_passes_the_planned_quantity_and_a_substitute_needs_a_reason():
    line = Q(planned=10, picked=6)
    assert rules.check_pick("DO-1-1", "TENT", line, "A", 4, {"A": 10}, 6, None).substitute is False
    with pytest.raises(QuantityConflict) as e:
        rules.check_pick("DO-1-1", "TENT", line, "A", 5, {"A": 10}, 6, "reason given")
    assert e.value.message_code == "pick_more_than_planned"
    with pytest.raises(InvalidInput) as e:
        rules.check_pick("DO-1-1", "TENT", line, "B", 1, {"A": 10}, 0, None)
    assert (e.value.field, e.value.message_code) == ("reason", "pick_substitute_needs_reason")
    # more of a planned lot than the plan gave it is a substitute too
    assert rules.check_pick("DO-1-1", "TENT", Q(planned=10), "A", 6, {"A": 5, "B": 5}, 0, "B is blocked").substitute


@pytest.mark.parametrize("confirmed, message_code", [(8, "ship_more_than_picked"), (6, "ship_less_than_picked")])
def test_a_line_ships_exactly_what_was_picked(confirmed, message_code):
    assert rules.check_ship("DO-1-1", "TENT", 7, None) == 7 == rules.check_ship("DO-1-1", "TENT", 7, 7)
    with pytest.raises(QuantityConflict) as e:
        rules.check_ship("DO-1-1", "TENT", 7, confirmed)
    assert e.value.message_code == message_code


def test_a_receipt_is_at_most_what_is_in_transit_and_names_its_reasons():
    line = Q(planned=10, picked=10, shipped=10, received=4)
    ok = rules.check_receipt("DO-1-1", "TENT", line, 3, short=2, damaged=1, short_reason="丢失", damage_reason="破损")
    assert (ok.received, ok.short, ok.damaged) == (3, 2, 1)
    with pytest.raises(QuantityConflict) as e:
        rules.check_receipt("DO-1-1", "TENT", line, 7)
    assert (e.value.message_code, e.value.params["in_transit"]) == ("receive_more_than_shipped", 6)
    with pytest.raises(InvalidInput) as e:
        rules.check_receipt("DO-1-1", "TENT", line, 1, short=1)
    assert e.value.field == "short_reason"
    with pytest.raises(InvalidInput) as e:
        rules.check_receipt("DO-1-1", "TENT", line, 1, damage_reason="破损")
    assert e.value.message_code == "receipt_reason_without_quantity"
    with pytest.raises(QuantityConflict) as e:
        rules.check_receipt("DO-1-1", "TENT", Q(planned=5, picked=5, shipped=5, received=5), 1)
    assert e.value.message_code == "line_already_received"


@pytest.mark.parametrize("value", [-1, 1.5, "2", True, None, 2**31])
def test_quantities_are_whole_numbers_in_range(value):
    with pytest.raises(InvalidInput):
        rules.check_receipt("DO-1-1", "TENT", Q(planned=5, picked=5, shipped=5), value)


def test_a_receipt_fills_the_lots_that_expire_first_received_units_first():
    receipt = rules.Receipt(received=5, short=2, damaged=1, short_reason="x", damage_reason="y")
    assert rules.split_receipt([("OLD", 4), ("NEW", 6)], receipt) == [("OLD", 4, 0, 0), ("NEW", 1, 1, 2)]
    assert rules.split_receipt([("OLD", 0), ("NEW", 8)], receipt) == [("NEW", 5, 1, 2)]


def test_line_states_follow_the_quantities():
    assert rules.line_state("approved", Q(planned=5)) == "approved"
    assert rules.line_state("picking", Q(planned=5, picked=2)) == "picking"
    assert rules.line_state("shipped", Q(planned=5, picked=2, shipped=2)) == "shipped"
    assert rules.line_state("shipped", Q(planned=5)) == "not_sent"
    assert rules.line_state("partly_received", Q(planned=5, picked=5, shipped=5, received=1)) == "partly_received"
    assert rules.line_state("received", Q(planned=5, picked=5, shipped=5, received=3, short=2)) == "received"
    assert rules.line_state("cancelled", Q(planned=5, picked=5)) == "cancelled"
    assert rules.state_after_receipt([Q(5, 5, 5, 5), Q(3, 0, 0)]) == "received"
    assert rules.state_after_receipt([Q(5, 5, 5, 4), Q(3, 3, 3, 3)]) == "partly_received"


def test_reconciliation_sums_per_item_and_holds_by_construction():
    balances = rules.reconcile([("TENT", Q(10, 10, 10, 4, 1, 1)), ("TENT", Q(5, 5, 5)), ("WATER", Q(3, 3, 3, 3))])
    assert balances["TENT"] == rules.ItemBalance(left_sources=15, in_transit=9, received=4, short=1, damaged=1)
    assert all(b.holds for b in balances.values())


def test_order_codes_are_ascii_and_fit_a_label():
    assert rules.order_code("12", 3) == "DO-12-3" and rules.order_code("20260715", 1) == "DO-20260715-1"
    with pytest.raises(ValueError):
        rules.order_code("十二", 1)


@pytest.mark.parametrize("where, code, names", raised_codes(ROOT / "orders"))
def test_every_code_the_orders_package_raises_has_a_message_with_its_parameters(where, code, names):
    messages = {**DISPATCH_MESSAGES, **ERROR_MESSAGES, "lot_expired": "%(lot)s %(expired)s", "no_such_lot": "%(lot)s",
                "no_such_depot": "%(depot)s"}  # the stock rules' own, in inventory.vocab; dispatch's (plan_none_yet)
    assert code in messages, f"{where}: {code} has no message in orders.vocab.ERROR_MESSAGES"
    placeholders = set(re.findall(r"%\((\w+)\)s", str(messages[code])))
    if names is not None:
        assert placeholders <= names, f"{where}: {code} names {placeholders - names} that the error does not carry"


def test_every_order_message_is_raised_somewhere():
    raised = {code for _, code, _ in raised_codes(ROOT / "orders")}
    raised |= set(rules._AFTER_SHIP.values())  # looked up by action
    assert set(ERROR_MESSAGES) - raised == set()
    assert set(WARNINGS) == {"pick_not_fefo"}
