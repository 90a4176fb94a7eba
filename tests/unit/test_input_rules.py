"""Bounds and code rules without a database: a lot's balance stays within its column, codes stay
URL-safe (the shipped catalog and demo codes included), and the transfer lot code scheme."""
import csv
from pathlib import Path

import pytest

from common.errors import BadQuery, InvalidInput, TooMuchStock
from common.inputs import page_number
from common.limits import MAX_QUANTITY
from inventory import ledger
from inventory.codes import check_code
from inventory.ledger import LotState
from inventory.services import default_destination_code

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("rule", [ledger.receive, ledger.transfer_in, ledger.return_])
def test_units_into_a_lot_never_take_its_balance_past_the_most_a_lot_may_hold(rule):
    full = LotState(code="L1", quantity=MAX_QUANTITY - 3, expires_on=None)
    assert rule(full, 3).balance_after == MAX_QUANTITY
    with pytest.raises(TooMuchStock) as e:
        rule(full, 4)
    assert e.value.field == "quantity" and e.value.status == 409


def test_a_quantity_or_count_beyond_the_column_is_invalid_before_any_balance_is_looked_at():
    empty = LotState(code="L1", quantity=0, expires_on=None)
    with pytest.raises(InvalidInput) as e:
        ledger.receive(empty, MAX_QUANTITY + 1)
    assert e.value.field == "quantity"
    with pytest.raises(InvalidInput) as e:
        ledger.count(empty, 10**12)
    assert e.value.field == "counted"


def test_every_code_of_the_shipped_catalog_and_demo_is_url_safe():
    with open(ROOT / "data" / "catalog.csv", encoding="utf-8") as f:
        codes = [row["code"] for row in csv.DictReader(f)]
    codes += ["C01", "T01", "T01-V01", "L000001", "LAB12CD34EF", "S-T01-2"]
    assert all(check_code(code, max_length=48) == code for code in codes)


@pytest.mark.parametrize("code", ["A/B", "", "-A", ".", "A B", "批次", "A%2F", "A\x00", "x" * 33])
def test_a_code_outside_the_safe_characters_is_invalid_naming_the_field(code):
    with pytest.raises(InvalidInput) as e:
        check_code(code, field="new_lot.code")
    assert e.value.field == "new_lot.code" and "'-', '_' and '.'" in e.value.message


def test_the_default_transfer_lot_code_is_lot_dash_depot_when_it_fits():
    assert default_destination_code("L000001", "T01-V02") == "L000001-T01-V02"
    assert len(default_destination_code("A" * 41, "T01-V02")) == 48


def test_a_default_transfer_lot_code_too_long_is_shortened_the_same_way_every_time():
    long_lot, depot = "WATER-2026-07-DONATION-RED-CROSS-BATCH-0001", "T01-V02"
    code = default_destination_code(long_lot, depot)
    assert code == default_destination_code(long_lot, depot) and len(code) == 48
    assert code.startswith(long_lot[:35] + "-") and check_code(code, max_length=48)
    assert default_destination_code(long_lot, "T01-V03") != code
    assert len(default_destination_code("x" * 48, "y" * 32)) == 48


def test_a_page_number_is_a_whole_number_from_one_to_its_bound_and_anything_else_names_the_page():
    assert page_number("") == 1 and page_number("3") == 3 and page_number("999999999") == 999_999_999
    assert page_number("7", error=InvalidInput, most=10) == 7
    for raw in ("0", "-1", "x", "1.5", " 2", "²", "١", "1000000000", "12", "0000000001"):
        with pytest.raises(InvalidInput) as caught:
            page_number(raw, most=10 if raw == "12" else 999_999_999, message_code="tree_bad_page")
        assert caught.value.field == "page" and type(caught.value) is BadQuery, raw
    with pytest.raises(InvalidInput) as caught:
        page_number("0", error=InvalidInput)
    assert type(caught.value) is InvalidInput
