"""Stock operations through the services, on SQLite and PostgreSQL."""
from datetime import date

import pytest

from common.errors import (
    DomainError, IdempotencyKeyReused, InsufficientStock, InvalidInput, LotExpired, NotFound, NotYourDepot, ReadOnlyRole,
    WrongDepot,
)
from inventory import services
from tests.integration.helpers import ctx, ledger_lines, lot_quantity, new_lot, snapshot, written_off


def test_receiving_a_new_lot_writes_one_ledger_line_by_its_keeper(engine, county):
    code = new_lot(engine, county.keeper, quantity=20)
    lines = ledger_lines(engine, code)
    assert [(m.kind, m.quantity, m.balance_after, m.user_id) for m in lines] == [
        ("receive", 20, 20, county.keeper.user_id)]
    assert lot_quantity(engine, code) == 20


def test_receiving_into_an_existing_lot_adds_to_it(engine, county):
    code = new_lot(engine, county.keeper, quantity=20)
    services.receive(engine, ctx(county.keeper), lot=code, quantity=5)
    assert lot_quantity(engine, code) == 25


def test_issue_lowers_the_lot_and_records_the_balance(engine, county):
    code = new_lot(engine, county.keeper, quantity=20)
    result = services.issue(engine, ctx(county.keeper, note="发放 to shelter", reference="ORD-1"), lot=code, quantity=7)
    entry = result["entries"][0]
    assert (entry["kind"], entry["quantity"], entry["balance_after"]) == ("issue", -7, 13)
    assert (entry["note"], entry["reference"], entry["user"]) == ("发放 to shelter", "ORD-1", "keeper")
    assert lot_quantity(engine, code) == 13


def test_overdraw_is_refused_and_changes_nothing(engine, county):
    code = new_lot(engine, county.keeper, quantity=5)
    before = snapshot(engine)
    with pytest.raises(InsufficientStock):
        services.issue(engine, ctx(county.keeper), lot=code, quantity=6)
    assert snapshot(engine) == before


def test_issue_from_an_expired_lot_is_refused_but_it_can_be_written_off(engine, county):
    code = new_lot(engine, county.keeper, quantity=5, expires_on=date(2026, 6, 30))
    with pytest.raises(LotExpired):
        services.issue(engine, ctx(county.keeper), lot=code, quantity=1)
    result = written_off(engine, county.keeper, county.admin, code, 5, reason="expired")
    assert result["entries"][0]["reason"] == "expired"
    assert lot_quantity(engine, code) == 0


def test_count_records_the_difference(engine, county):
    code = new_lot(engine, county.keeper, quantity=20)
    services.count(engine, ctx(county.keeper), lot=code, counted=17)
    services.count(engine, ctx(county.keeper), lot=code, counted=17)
    assert [(m.kind, m.quantity, m.balance_after) for m in ledger_lines(engine, code)][1:] == [
        ("count", -3, 17), ("count", 0, 17)]


def test_return_adds_units_back(engine, county):
    code = new_lot(engine, county.keeper, quantity=20)
    services.issue(engine, ctx(county.keeper), lot=code, quantity=10)
    services.return_stock(engine, ctx(county.keeper), lot=code, quantity=4)
    assert lot_quantity(engine, code) == 14


def test_transfer_writes_a_pair_of_lines_and_moves_the_units(engine, county):
    code = new_lot(engine, county.admin, depot="C1", quantity=30)
    result = services.transfer(engine, ctx(county.admin), lot=code, quantity=12, to_depot="T1")
    out, incoming = result["entries"]
    assert (out["kind"], out["quantity"], out["depot"], out["balance_after"]) == ("transfer_out", -12, "C1", 18)
    assert (incoming["kind"], incoming["quantity"], incoming["depot"]) == ("transfer_in", 12, "T1")
    assert incoming["counterpart_id"] == out["id"]
    assert lot_quantity(engine, code) == 18 and lot_quantity(engine, incoming["lot"]) == 12
    # a second transfer to the same depot lands in the same destination lot
    services.transfer(engine, ctx(county.admin), lot=code, quantity=3, to_depot="T1")
    assert lot_quantity(engine, incoming["lot"]) == 15


def test_a_failed_transfer_leaves_neither_line(engine, county):
    code = new_lot(engine, county.admin, depot="C1", quantity=3)
    before = snapshot(engine)
    with pytest.raises(InsufficientStock):
        services.transfer(engine, ctx(county.admin), lot=code, quantity=4, to_depot="T1")
    with pytest.raises(NotFound):
        services.transfer(engine, ctx(county.admin), lot=code, quantity=1, to_depot="NOWHERE")
    assert snapshot(engine) == before


def test_transfer_into_a_lot_of_another_item_is_refused(engine, county):
    code = new_lot(engine, county.admin, depot="C1", quantity=3)
    tents = new_lot(engine, county.admin, depot="T1", item="TENT", quantity=3, expires_on=None)
    before = snapshot(engine)
    with pytest.raises(WrongDepot):
        services.transfer(engine, ctx(county.admin), lot=code, quantity=1, to_depot="T1", to_lot=tents)
    assert snapshot(engine) == before


def test_a_keeper_records_only_at_the_depots_they_keep(engine, county):
    at_t2 = new_lot(engine, county.keeper2, depot="T2", quantity=10)
    before = snapshot(engine)
    with pytest.raises(NotYourDepot):
        services.issue(engine, ctx(county.keeper), lot=at_t2, quantity=1)
    with pytest.raises(NotYourDepot):
        new_lot(engine, county.keeper, depot="T2")
    mine = new_lot(engine, county.keeper, depot="T1", quantity=10)
    with pytest.raises(NotYourDepot):  # moving to a depot the keeper does not keep
        services.transfer(engine, ctx(county.keeper), lot=mine, quantity=1, to_depot="T2")
    services.transfer(engine, ctx(county.keeper), lot=mine, quantity=1, to_depot="T1-V1")
    assert lot_quantity(engine, mine) == 9
    assert snapshot(engine)[0]["movement"] == before[0]["movement"] + 3


@pytest.mark.parametrize("who", ["auditor", "dispatcher"])
def test_auditors_and_dispatchers_cannot_record_stock(engine, county, who):
    code = new_lot(engine, county.keeper, quantity=10)
    before = snapshot(engine)
    with pytest.raises(ReadOnlyRole if who == "auditor" else Exception) as e:
        services.issue(engine, ctx(getattr(county, who)), lot=code, quantity=1)
    assert e.value.status == 403
    assert snapshot(engine) == before


def test_the_same_idempotency_key_twice_records_once_and_returns_the_first_answer(engine, county):
    code = new_lot(engine, county.keeper, quantity=10)
    first = services.issue(engine, ctx(county.keeper, key="scan-1"), lot=code, quantity=3)
    again = services.issue(engine, ctx(county.keeper, key="scan-1"), lot=code, quantity=3)
    assert again == {**first, "replayed": True}
    assert lot_quantity(engine, code) == 7
    assert len(ledger_lines(engine, code)) == 2


def test_an_idempotency_key_reused_for_another_request_is_refused(engine, county):
    code = new_lot(engine, county.keeper, quantity=10)
    services.issue(engine, ctx(county.keeper, key="scan-2"), lot=code, quantity=3)
    with pytest.raises(IdempotencyKeyReused):
        services.issue(engine, ctx(county.keeper, key="scan-2"), lot=code, quantity=4)
    assert lot_quantity(engine, code) == 7


def test_idempotency_keys_belong_to_their_user(engine, county):
    code = new_lot(engine, county.admin, depot="T1", quantity=10)
    services.issue(engine, ctx(county.keeper, key="same"), lot=code, quantity=1)
    services.issue(engine, ctx(county.admin, key="same"), lot=code, quantity=1)
    assert lot_quantity(engine, code) == 8


def test_a_refusal_is_the_answer_to_its_idempotency_key_and_a_new_key_sends_the_action_again(engine, county):
    """Once refused, the key keeps its refusal (a late attempt of it must not go through after the phone was
    told 'refused'); the keeper who sends the action again sends it as a new one, with a new key."""
    code = new_lot(engine, county.keeper, quantity=2)
    with pytest.raises(InsufficientStock):
        services.issue(engine, ctx(county.keeper, key="k"), lot=code, quantity=3)
    services.receive(engine, ctx(county.keeper), lot=code, quantity=5)
    with pytest.raises(DomainError) as replayed:
        services.issue(engine, ctx(county.keeper, key="k"), lot=code, quantity=3)
    assert (replayed.value.status, replayed.value.code, replayed.value.details["replayed"]) == (
        409, "insufficient_stock", True)
    assert lot_quantity(engine, code) == 7
    services.issue(engine, ctx(county.keeper, key="k2"), lot=code, quantity=3)
    assert lot_quantity(engine, code) == 4


@pytest.mark.parametrize("changes, field", [
    ({"storage_mode": "agreement"}, "new_lot.partner"),
    ({"storage_mode": "shelf"}, "new_lot.storage_mode"),
    ({"source": "stolen"}, "new_lot.source"),
    ({"item": "NOPE"}, "new_lot.item"),
    ({"depot": "NOPE"}, "new_lot.depot"),
    ({"expires_on": date(2026, 1, 1)}, "new_lot.expires_on"),
    ({"unit_price_cents": -1}, "new_lot.unit_price"),
])
def test_a_bad_new_lot_names_its_field_and_writes_nothing(engine, county, changes, field):
    fields = {"item": "WATER", "depot": "T1", "received_on": date(2026, 6, 1), **changes}
    before = snapshot(engine)
    with pytest.raises((InvalidInput, NotFound)) as e:
        services.receive(engine, ctx(county.admin), quantity=1, new_lot=services.NewLot(**fields))
    assert e.value.field == field
    assert snapshot(engine) == before


def test_a_lot_code_is_unique(engine, county):
    new_lot(engine, county.admin, code="LOT-A")
    with pytest.raises(InvalidInput, match="already in use"):
        new_lot(engine, county.admin, code="LOT-A")
