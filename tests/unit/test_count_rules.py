"""The rules of count sessions without a database: the line a closing count writes (recorded deltas) and
what a person types."""
import pytest

from common.errors import InsufficientStock, InvalidInput
from counts import rules
from inventory.ledger import COUNT, LotState, count_since


def lot(quantity):
    return LotState(code="W-A", quantity=quantity, expires_on=None)


def test_a_count_entered_later_applies_its_difference_to_what_the_lot_holds_now():
    change = count_since(lot(15), counted=18, balance_at_count=20)  # 2 short then, 5 issued since
    assert (change.kind, change.quantity, change.balance_after) == (COUNT, -2, 13)


def test_a_count_that_matched_is_still_written_as_a_line_of_zero():
    assert count_since(lot(7), counted=7, balance_at_count=7).quantity == 0


def test_a_count_entered_later_never_takes_a_lot_below_zero():
    with pytest.raises(InsufficientStock) as e:
        count_since(lot(1), counted=2, balance_at_count=20)
    assert e.value.message_code == "count_below_zero" and e.value.params["now"] == 1


@pytest.mark.parametrize("counted", [-1, 2.5, "3", True, None, 2**31])
def test_a_counted_quantity_is_a_whole_number_in_the_columns_range(counted):
    with pytest.raises(InvalidInput) as e:
        rules.check_counted(counted)
    assert e.value.field == "counted"


def test_the_variance_says_what_the_close_writes_and_what_moved_since():
    v = rules.variance(counted=18, balance_at_count=20, balance_now=15)
    assert (v.expected, v.difference, v.moved_since, v.after_close) == (20, -2, -5, 13)


def test_shelves_are_read_from_text_or_a_list_and_checked():
    assert rules.parse_shelves("A-02, A-01，A-02") == ["A-01", "A-02"]
    for bad in ("", [], ["A 1"], ["x" * 17]):
        with pytest.raises(InvalidInput):
            rules.parse_shelves(bad)


def test_text_with_a_nul_character_is_refused():
    with pytest.raises(InvalidInput) as e:
        rules.check_text("a\x00b", "reason", 200)
    assert e.value.field == "reason"


def test_a_list_of_shelves_with_several_bad_codes_names_every_one():
    with pytest.raises(InvalidInput) as e:
        rules.parse_shelves("A-01, 货架1, A--2, A-03, !")
    assert [p["value"] for p in e.value.details["problems"]] == ["货架1", "A--2", "!"]
    assert e.value.message_code == "lines_invalid" and e.value.params == {"count": 3}
