"""Count sessions (盘点单) as services, on SQLite and PostgreSQL: nothing reaches the ledger before the close,
the close writes every adjustment at once (or nothing), and a movement during the count is neither lost
nor counted twice (recorded deltas)."""
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from common.errors import (Forbidden, InsufficientStock, InvalidInput, NotFound, NotYourDepot, ReadOnlyRole)
from counts import services as counts
from counts.models import CountLine, CountSession
from inventory import services
from tests.integration.helpers import NOW, TODAY, ctx, ledger_lines, lot_quantity, new_lot, snapshot

LATER = NOW + timedelta(hours=1)


@pytest.fixture
def lots(engine, county):
    """At T1: 20 cases of water (A), 10 more (B), 4 tents (C); at T2: 7 cases of water."""
    return {"A": new_lot(engine, county.admin, "T1", "WATER", 20, code="W-A"),
            "B": new_lot(engine, county.admin, "T1", "WATER", 10, code="W-B"),
            "C": new_lot(engine, county.admin, "T1", "TENT", 4, code="T-C", expires_on=None),
            "T2": new_lot(engine, county.admin, "T2", "WATER", 7, code="W-T2")}


def start(engine, actor, **kw):
    return counts.start(engine, actor, NOW, **{"depot": "T1", **kw})


def count_lines(engine):
    return [m for m in ledger_lines(engine) if m.kind == "count"]


def test_a_keeper_starts_a_count_of_their_depot_listing_every_lot_with_stock(engine, county, lots):
    session = start(engine, county.keeper)
    assert session["reference"] == f"PD-{session['id']}" and session["status"] == "open"
    assert [line["lot"] for line in session["lines"]] == ["T-C", "W-A", "W-B"]
    assert session["totals"] == {"lots": 3, "counted": 0, "left_out": 0, "missing": 3}
    assert [line["expected"] for line in session["lines"]] == [4, 20, 10]


def test_a_count_of_a_category_lists_only_its_lots(engine, county, lots):
    new_lot(engine, county.admin, "T1", "PUMP", 2, code="P-1", expires_on=None)
    session = start(engine, county.admin, scope="category", category="flood")
    assert [line["lot"] for line in session["lines"]] == ["P-1"]
    with pytest.raises(InvalidInput) as e:
        start(engine, county.admin, depot="T2", scope="category", category="snow")
    assert e.value.field == "category"


def test_a_count_of_shelves_lists_only_the_lots_on_them(engine, county, lots):
    new_lot(engine, county.admin, "T1", "PUMP", 2, code="P-A1", expires_on=None, shelf="A-01")
    new_lot(engine, county.admin, "T1", "TENT", 3, code="T-B2", expires_on=None, shelf="B-02")
    new_lot(engine, county.admin, "T1", "TENT", 5, code="T-C9", expires_on=None, shelf="C-09")
    session = start(engine, county.keeper, scope="shelves", shelves="a-01, B-02")
    assert [line["lot"] for line in session["lines"]] == ["P-A1", "T-B2"]
    assert session["shelves"] == ["A-01", "B-02"]
    with pytest.raises(InvalidInput) as e:
        start(engine, county.admin, depot="T2", scope="shelves", shelves="A/01")
    assert e.value.field == "shelves"


def test_only_one_count_is_open_at_a_depot_at_a_time(engine, county, lots):
    first = start(engine, county.keeper)
    with pytest.raises(counts.CountStateConflict) as e:
        start(engine, county.admin)
    assert first["reference"] in e.value.message
    counts.cancel(engine, county.keeper, LATER, first["id"])
    assert start(engine, county.admin)["status"] == "open"


def test_counting_writes_nothing_to_the_ledger_before_the_close(engine, county, lots):
    session = start(engine, county.keeper)
    before = ledger_lines(engine)
    line = counts.record_count(engine, county.keeper, LATER, session["id"], lot="W-A", counted=18)
    assert line["counted"] == 18 and line["balance_at_count"] == 20 and line["state"] == "counted"
    assert line["last_line_at_count"] == ledger_lines(engine, "W-A")[-1].id
    assert ledger_lines(engine) == before and lot_quantity(engine, "W-A") == 20


def test_a_recount_replaces_the_count_and_says_how_often_it_was_counted_again(engine, county, lots):
    session = start(engine, county.keeper)
    counts.record_count(engine, county.keeper, LATER, session["id"], lot="W-A", counted=18)
    line = counts.record_count(engine, county.keeper, LATER, session["id"], lot="W-A", counted=19)
    assert (line["counted"], line["recounts"]) == (19, 1)


def test_the_close_writes_every_adjustment_at_once_referring_to_the_session(engine, county, lots):
    session = start(engine, county.keeper)
    sid = session["id"]
    counts.record_count(engine, county.keeper, LATER, sid, lot="W-A", counted=18)
    counts.record_count(engine, county.keeper, LATER, sid, lot="W-B", counted=10)
    counts.leave_out(engine, county.keeper, LATER, sid, lot="T-C", reason="在外借用，下次盘点")
    counts.sign_as_keeper(engine, county.keeper, LATER, sid)
    closed = counts.close(engine, county.admin, LATER, TODAY, sid)
    assert closed["status"] == "closed" and closed["supervisor_signed_by"] == "admin"
    lines = count_lines(engine)
    assert [(m.quantity, m.balance_after, m.reference) for m in lines] == [(-2, 18, f"PD-{sid}"), (0, 10, f"PD-{sid}")]
    assert len({m.created_at for m in lines}) == 1
    assert lot_quantity(engine, "W-A") == 18 and lot_quantity(engine, "T-C") == 4
    sheet = counts.variance(engine, county.auditor, sid)
    by_lot = {row["lot"]: row for row in sheet["lines"]}
    assert by_lot["W-A"]["adjustment_line_id"] == lines[0].id and by_lot["W-A"]["difference"] == -2
    assert by_lot["T-C"]["state"] == "left_out" and by_lot["T-C"]["left_out_reason"] == "在外借用，下次盘点"
    assert sheet["items"][0] == {"item": "WATER", "item_name": "瓶装饮用水", "item_name_en": "Bottled water",
                                 "unit": "箱", "lots": 2, "expected": 30, "counted": 28, "difference": -2}


def test_a_movement_after_the_count_is_neither_lost_nor_counted_twice(engine, county, lots):
    sid = start(engine, county.keeper)["id"]
    counts.record_count(engine, county.keeper, LATER, sid, lot="W-A", counted=18)  # 2 missing on the shelf
    services.issue(engine, ctx(county.keeper), lot="W-A", quantity=5)  # issued after the count: 15 on the books
    services.receive(engine, ctx(county.keeper), lot="W-A", quantity=3)  # 18 on the books
    for lot in ("W-B", "T-C"):
        counts.record_count(engine, county.keeper, LATER, sid, lot=lot, counted={"W-B": 10, "T-C": 4}[lot])
    sheet = counts.variance(engine, county.keeper, sid)
    row = next(r for r in sheet["lines"] if r["lot"] == "W-A")
    assert (row["expected"], row["counted"], row["difference"], row["moved_since"], row["after_close"]) == (
        20, 18, -2, -2, 16)
    counts.sign_as_keeper(engine, county.keeper, LATER, sid)
    counts.close(engine, county.admin, LATER, TODAY, sid)
    assert lot_quantity(engine, "W-A") == 16  # 18 counted − 5 issued + 3 received
    assert [(m.quantity, m.balance_after) for m in count_lines(engine) if m.lot_id == ledger_lines(engine, "W-A")[0].lot_id] == [(-2, 16)]


def test_a_movement_before_the_count_is_part_of_what_the_count_is_compared_with(engine, county, lots):
    sid = start(engine, county.keeper)["id"]
    services.issue(engine, ctx(county.keeper), lot="W-A", quantity=5)  # 15 on the books before the count
    counts.record_count(engine, county.keeper, LATER, sid, lot="W-A", counted=15)
    assert next(r for r in counts.variance(engine, county.keeper, sid)["lines"] if r["lot"] == "W-A")["difference"] == 0


def test_a_failed_close_writes_nothing_and_leaves_the_session_open(engine, county, lots):
    sid = start(engine, county.keeper)["id"]
    counts.record_count(engine, county.keeper, LATER, sid, lot="W-B", counted=9)
    counts.record_count(engine, county.keeper, LATER, sid, lot="T-C", counted=4)
    counts.record_count(engine, county.keeper, LATER, sid, lot="W-A", counted=2)  # counted 2 of 20 on the books
    services.issue(engine, ctx(county.keeper), lot="W-A", quantity=19)  # then 19 issued: 1 on the books
    counts.sign_as_keeper(engine, county.keeper, LATER, sid)
    before = snapshot(engine)
    with pytest.raises(InsufficientStock) as e:
        counts.close(engine, county.admin, LATER, TODAY, sid)
    assert e.value.message_code == "count_below_zero" and e.value.params["lot"] == "W-A"
    assert snapshot(engine) == before and count_lines(engine) == []
    assert counts.get(engine, county.admin, sid)["status"] == "open"


def test_the_close_needs_every_lot_counted_or_left_out_and_the_keepers_signature(engine, county, lots):
    sid = start(engine, county.keeper)["id"]
    counts.record_count(engine, county.keeper, LATER, sid, lot="W-A", counted=20)
    with pytest.raises(counts.CountStateConflict) as e:
        counts.sign_as_keeper(engine, county.keeper, LATER, sid)
    assert e.value.details["missing"] == 2
    counts.record_count(engine, county.keeper, LATER, sid, lot="W-B", counted=10)
    counts.leave_out(engine, county.keeper, LATER, sid, lot="T-C", reason="借出")
    with pytest.raises(counts.CountStateConflict) as e:
        counts.close(engine, county.admin, LATER, TODAY, sid)
    assert e.value.message_code == "count_not_signed"
    counts.sign_as_keeper(engine, county.keeper, LATER, sid)
    counts.record_count(engine, county.keeper, LATER, sid, lot="W-B", counted=11)  # a recount undoes the signature
    assert counts.get(engine, county.admin, sid)["keeper_signed_by"] is None
    assert count_lines(engine) == []


def test_the_supervisor_is_an_administrator_other_than_the_keeper_who_signed(engine, county, lots):
    sid = start(engine, county.admin)["id"]
    for lot, n in (("W-A", 20), ("W-B", 10), ("T-C", 4)):
        counts.record_count(engine, county.admin, LATER, sid, lot=lot, counted=n)
    counts.sign_as_keeper(engine, county.admin, LATER, sid)
    with pytest.raises(counts.CountStateConflict) as e:
        counts.close(engine, county.admin, LATER, TODAY, sid)
    assert e.value.message_code == "count_same_signer"
    with pytest.raises(Forbidden):
        counts.close(engine, county.keeper, LATER, TODAY, sid)
    assert count_lines(engine) == []


def test_a_keeper_of_another_depot_is_refused_and_changes_nothing(engine, county, lots):
    sid = start(engine, county.keeper)["id"]
    before = snapshot(engine)
    with pytest.raises(NotYourDepot):
        start(engine, county.keeper2)
    with pytest.raises(NotYourDepot):
        counts.record_count(engine, county.keeper2, LATER, sid, lot="W-A", counted=1)
    with pytest.raises(NotYourDepot):
        counts.get(engine, county.keeper2, sid)
    assert counts.list_sessions(engine, county.keeper2) == []
    assert snapshot(engine) == before


def test_an_auditor_reads_but_cannot_start_or_count(engine, county, lots):
    sid = start(engine, county.keeper)["id"]
    with pytest.raises(ReadOnlyRole):
        start(engine, county.auditor, depot="T2")
    with pytest.raises(ReadOnlyRole):
        counts.record_count(engine, county.auditor, LATER, sid, lot="W-A", counted=1)
    assert counts.get(engine, county.auditor, sid)["id"] == sid
    assert [s["id"] for s in counts.list_sessions(engine, county.dispatcher)] == [sid]


def test_a_blind_count_hides_the_expected_quantities_until_nothing_is_missing(engine, county, lots):
    counts.set_blind_counts(engine, county.admin, True)
    sid = start(engine, county.keeper)["id"]
    session = counts.get(engine, county.keeper, sid)
    assert session["blind"] and [line["expected"] for line in session["lines"]] == [None, None, None]
    line = counts.record_count(engine, county.keeper, LATER, sid, lot="W-A", counted=18)
    assert line["balance_at_count"] is None and counts.variance(engine, county.admin, sid)["lines"] == []
    counts.record_count(engine, county.keeper, LATER, sid, lot="W-B", counted=10)
    counts.leave_out(engine, county.keeper, LATER, sid, lot="T-C", reason="借出")
    assert [r["difference"] for r in counts.variance(engine, county.keeper, sid)["lines"] if r["counted"]] == [-2, 0]
    with pytest.raises(ReadOnlyRole):
        counts.set_blind_counts(engine, county.auditor, False)


def test_bad_values_name_their_field_and_change_nothing(engine, county, lots):
    sid = start(engine, county.keeper)["id"]
    before = snapshot(engine)
    for counted in (-1, 2**31, 1.5, "3", True):
        with pytest.raises(InvalidInput) as e:
            counts.record_count(engine, county.keeper, LATER, sid, lot="W-A", counted=counted)
        assert e.value.field == "counted"
    with pytest.raises(NotFound) as e:
        counts.record_count(engine, county.keeper, LATER, sid, lot="W-T2", counted=1)
    assert e.value.field == "lot"
    with pytest.raises(InvalidInput) as e:
        counts.record_count(engine, county.keeper, LATER, sid, lot="W-\x00A", counted=1)
    assert e.value.field == "lot"
    with pytest.raises(NotFound) as e:
        start(engine, county.admin, depot="T\x001")
    assert e.value.field == "depot"
    with pytest.raises(InvalidInput) as e:
        counts.leave_out(engine, county.keeper, LATER, sid, lot="W-A", reason="  ")
    assert e.value.field == "reason"
    for bad in (0, 2**31, 10**20):
        with pytest.raises(NotFound):
            counts.get(engine, county.keeper, bad)
    assert snapshot(engine) == before


def test_a_cancelled_count_writes_nothing_and_cannot_change(engine, county, lots):
    sid = start(engine, county.keeper)["id"]
    counts.record_count(engine, county.keeper, LATER, sid, lot="W-A", counted=3)
    counts.cancel(engine, county.keeper, LATER, sid)
    with pytest.raises(counts.CountStateConflict):
        counts.record_count(engine, county.keeper, LATER, sid, lot="W-A", counted=4)
    assert count_lines(engine) == [] and lot_quantity(engine, "W-A") == 20
    with Session(engine) as s:
        assert s.exec(select(CountSession.status)).one() == "cancelled"
        assert len(s.exec(select(CountLine)).all()) == 3
