"""Returns (回收) of durable equipment through the services, on SQLite and PostgreSQL: what the incident's orders
left at its sites is still out until it comes back into a depot (inspected: restocked or written off) or a
dispatcher declares it will not; the ledger holds every step."""
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from common.db import UnitOfWork
from common.errors import DomainError
from inventory import integrity
from inventory.models import Item, Movement, WriteOffRequest
from inventory.writeoffs import service as writeoffs
from orders import services as orders
from orders.returns import service
from tests.integration.helpers import NOW, TODAY, ledger_lines, snapshot
from tests.integration.orders_helpers import lot_balance, make_stocked

LATER = NOW + timedelta(days=3)


def mark_durable(engine, code: str) -> None:
    with UnitOfWork(engine) as uow:
        item = uow.session.exec(select(Item).where(Item.code == code)).one()
        item.durable = True
        uow.session.add(item)
        uow.commit()


def deliver_orders(engine, st) -> None:
    """TENT is durable. S-1 (a shelter) gets 10 tents of TENT-C1; the village point T1-V1 gets 30 of TENT-C1 and
    5 of TENT-T1 (and 50 water, not durable); DO-3 (water to T2-V1) is left approved."""
    mark_durable(engine, "TENT")
    c = st.county
    orders.approve_plan(engine, c.dispatcher, NOW, incident_id=st.incident, plan_id=st.plan)
    c1 = st.keeper_c1
    orders.pick(engine, c1, NOW, TODAY, st.code(1), lot="TENT-C1", quantity=10)
    orders.ship(engine, c1, NOW, TODAY, st.code(1))
    orders.deliver(engine, c.dispatcher, NOW, st.code(1), lines=[{"item": "TENT", "received": 10}],
                   receiver_name="王村长")
    for lot, n in (("TENT-C1", 30), ("W-OLD", 40), ("W-NEW", 10)):
        orders.pick(engine, c1, NOW, TODAY, st.code(2), lot=lot, quantity=n)
    orders.ship(engine, c1, NOW, TODAY, st.code(2))
    orders.receive(engine, c.keeper, NOW, TODAY, st.code(2), lines=[{"item": "TENT", "received": 30},
                                                                  {"item": "WATER", "received": 50}])
    orders.pick(engine, c.keeper, NOW, TODAY, st.code(4), lot="TENT-T1", quantity=5)
    orders.ship(engine, c.keeper, NOW, TODAY, st.code(4))
    orders.receive(engine, c.keeper, NOW, TODAY, st.code(4), lines=[{"item": "TENT", "received": 5}])


@pytest.fixture
def st(engine, county):
    stocked = make_stocked(engine, county)
    deliver_orders(engine, stocked)
    return stocked


def out_of(engine, st, actor=None) -> dict:
    answer = service.still_out(engine, actor or st.county.auditor, st.incident)
    return {(r["site"], r["item"]): (r["sent"], r["returned"], r["released"], r["still_out"]) for r in answer["rows"]}


def refused(call, code: str, message_code: str | None = None) -> DomainError:
    with pytest.raises(DomainError) as e:
        call()
    assert e.value.code == code, (e.value.code, e.value.message)
    if message_code:
        assert e.value.message_code == message_code, (e.value.message_code, e.value.message)
    return e.value


def back(engine, st, actor=None, *, site="S-1", lot="TENT-C1", quantity=4, depot="C1", key=None):
    return service.receive(engine, actor or st.keeper_c1, LATER, TODAY, st.incident, site=site, lot=lot,
                           quantity=quantity, depot=depot, idempotency_key=key)


def test_durable_units_delivered_by_the_orders_are_still_out_per_site_and_item(engine, st):
    assert out_of(engine, st) == {("S-1", "TENT"): (10, 0, 0, 10), ("T1-V1", "TENT"): (35, 0, 0, 35)}
    answer = service.still_out(engine, st.county.keeper2, st.incident)  # keepers read it too
    assert answer["still_out"] == 45 and answer["awaiting_inspection"] == 0
    assert {r["site"]: r["lots"] for r in answer["rows"]} == {"S-1": ["TENT-C1"], "T1-V1": ["TENT-C1", "TENT-T1"]}


def test_a_return_from_a_shelter_waits_for_inspection_off_the_books_then_is_restocked_into_its_lot(engine, st):
    before = lot_balance(engine, "TENT-C1")
    got = back(engine, st)
    assert (got["reference"], got["status"], got["lot"], got["origin_lot"]) == (
        f"HS-{got['id']}", "awaiting_inspection", "TENT-C1", "TENT-C1")
    assert out_of(engine, st)[("S-1", "TENT")] == (10, 4, 0, 6)
    assert lot_balance(engine, "TENT-C1") == before  # not usable before inspection
    done = service.inspect(engine, st.keeper_c1, LATER, TODAY, got["id"], restocked=4)
    assert (done["status"], done["restocked"], done["damaged"], done["write_off"]) == ("inspected", 4, 0, None)
    assert lot_balance(engine, "TENT-C1") == before + 4
    line = ledger_lines(engine, "TENT-C1")[-1]
    assert (line.kind, line.quantity, line.reference, line.id) == ("return", 4, got["reference"], done["return_line"])
    assert integrity.verify(engine, st.county.auditor)["ok"]


def test_a_return_from_a_village_point_leaves_its_lot_and_damaged_units_are_written_off_with_approval(engine, st):
    village_lot = "TENT-C1-T1-V1"
    assert lot_balance(engine, village_lot) == 30
    before = lot_balance(engine, "TENT-C1")
    got = back(engine, st, site="T1-V1", lot=village_lot, quantity=3)  # the village lot's label, scanned
    assert (got["origin_lot"], got["lot"]) == ("TENT-C1", "TENT-C1")
    assert lot_balance(engine, village_lot) == 27
    out_line = ledger_lines(engine, village_lot)[-1]
    assert (out_line.kind, out_line.quantity, out_line.reference) == ("transfer_out", -3, got["reference"])
    refused(lambda: service.inspect(engine, st.keeper_c1, LATER, TODAY, got["id"], restocked=1, damaged=2),
            "invalid", "order_text_required")
    refused(lambda: service.inspect(engine, st.keeper_c1, LATER, TODAY, got["id"], restocked=1, damaged=1,
                                    damage_reason="泵体破裂"), "invalid", "inspection_must_cover_return")
    done = service.inspect(engine, st.keeper_c1, LATER, TODAY, got["id"], restocked=1, damaged=2,
                           damage_reason="帐篷杆折断")
    assert done["write_off"]["status"] == "pending" and done["write_off"]["quantity"] == 2
    back_line = ledger_lines(engine, "TENT-C1")[-1]
    assert (back_line.kind, back_line.quantity, back_line.counterpart_id) == ("return", 3, out_line.id)
    approved = writeoffs.approve(engine, st.county.admin, LATER, TODAY, done["write_off"]["id"], "应急〔2026〕12号")
    assert approved["reason"] == "damaged" and "HS-" in approved["note"]
    assert lot_balance(engine, "TENT-C1") == before + 1
    assert service.get_return(engine, st.county.auditor, got["id"])["write_off"]["status"] == "approved"
    assert out_of(engine, st)[("T1-V1", "TENT")] == (35, 3, 0, 32)
    assert integrity.verify(engine, st.county.auditor)["ok"]


def test_a_return_into_another_depot_than_its_lots_goes_into_a_lot_keeping_its_terms(engine, st):
    got = back(engine, st, st.county.keeper, site="T1-V1", lot="TENT-C1", quantity=2, depot="T1")
    assert got["lot"] == "TENT-C1-T1" and lot_balance(engine, "TENT-C1-T1") == 0
    service.inspect(engine, st.county.keeper, LATER, TODAY, got["id"], restocked=2)
    assert lot_balance(engine, "TENT-C1-T1") == 2 and lot_balance(engine, "TENT-C1-T1-V1") == 28


def test_still_out_reaches_zero_with_returns_and_units_declared_as_not_coming_back(engine, st):
    back(engine, st, quantity=7)
    released = service.release(engine, st.county.dispatcher, LATER, st.incident, site="S-1", item="TENT", quantity=3,
                               reason="留给受灾户周某一家过渡安置")
    assert released["declared_by"] == "dispatcher" and released["reason"].startswith("留给")
    back(engine, st, site="T1-V1", lot="TENT-C1", quantity=30)
    back(engine, st, st.county.keeper, site="T1-V1", lot="TENT-T1", quantity=5, depot="T1")
    answer = service.still_out(engine, st.county.auditor, st.incident)
    assert answer["still_out"] == 0 and answer["awaiting_inspection"] == 3
    assert out_of(engine, st) == {("S-1", "TENT"): (10, 7, 3, 0), ("T1-V1", "TENT"): (35, 35, 0, 0)}
    before = snapshot(engine)
    refused(lambda: back(engine, st, quantity=1), "return_conflict", "return_more_than_out")
    refused(lambda: service.release(engine, st.county.dispatcher, LATER, st.incident, site="T1-V1", item="TENT",
                                    quantity=1, reason="丢失"), "return_conflict", "return_more_than_out")
    assert snapshot(engine) == before


@pytest.mark.parametrize("who, code, message_code", [
    ("dispatcher", "forbidden", "return_needs_keeper"),
    ("auditor", "read_only", "auditor_reads_only"),
    ("keeper2", "not_your_depot", "depot_not_kept_for_stock"),
])
def test_only_a_keeper_of_the_receiving_depot_or_an_administrator_receives_a_return(engine, st, who, code,
                                                                                    message_code):
    before = snapshot(engine)
    refused(lambda: back(engine, st, getattr(st.county, who)), code, message_code)
    assert snapshot(engine) == before
    assert back(engine, st, st.county.admin)["received_by"] == "admin"


def test_only_the_receiving_depots_keeper_inspects_and_only_dispatchers_declare(engine, st):
    got = back(engine, st)
    before = snapshot(engine)
    refused(lambda: service.inspect(engine, st.county.keeper, LATER, TODAY, got["id"], restocked=4), "not_your_depot")
    refused(lambda: service.inspect(engine, st.county.auditor, LATER, TODAY, got["id"], restocked=4), "read_only")
    refused(lambda: service.release(engine, st.keeper_c1, LATER, st.incident, site="S-1", item="TENT", quantity=1,
                                    reason="x"), "forbidden")
    assert snapshot(engine) == before
    service.inspect(engine, st.keeper_c1, LATER, TODAY, got["id"], restocked=4)
    refused(lambda: service.inspect(engine, st.keeper_c1, LATER, TODAY, got["id"], restocked=4), "return_conflict",
            "return_already_inspected")


@pytest.mark.parametrize("kw, code, message_code", [
    ({"quantity": 11}, "return_conflict", "return_more_than_out"),
    ({"quantity": 0}, "invalid", "order_quantity_out_of_range"),
    ({"lot": "W-OLD", "site": "T1-V1"}, "invalid", "return_item_not_durable"),
    ({"lot": "TENT-T1"}, "invalid", "return_lot_not_sent"),
    ({"lot": "NOPE"}, "not_found", "no_such_lot"),
    ({"site": "T1-V2"}, "not_found", "return_site_unknown"),
    ({"depot": "C9"}, "not_found", "no_such_depot"),
    ({"depot": "T1-V1", "site": "T1-V1"}, "invalid", "return_to_its_site"),
])
def test_a_bad_return_is_refused_naming_what_is_wrong_and_changes_nothing(engine, st, kw, code, message_code):
    before = snapshot(engine)
    actor = st.county.admin
    refused(lambda: back(engine, st, actor, **kw), code, message_code)
    assert snapshot(engine) == before


def test_a_non_durable_item_is_not_declared_and_not_listed(engine, st):
    refused(lambda: service.release(engine, st.county.dispatcher, LATER, st.incident, site="T1-V1", item="WATER",
                                    quantity=1, reason="喝掉了"), "invalid", "return_item_not_durable")
    assert all(item == "TENT" for _site, item in out_of(engine, st))


def test_a_retried_return_inspection_or_declaration_is_done_once(engine, st):
    first = back(engine, st, key="hs-1")
    again = back(engine, st, key="hs-1")
    assert again["replayed"] and again["id"] == first["id"]
    assert out_of(engine, st)[("S-1", "TENT")][3] == 6
    refused(lambda: back(engine, st, quantity=5, key="hs-1"), "idempotency_key_reused")
    before = lot_balance(engine, "TENT-C1")
    for _ in range(2):
        done = service.inspect(engine, st.keeper_c1, LATER, TODAY, first["id"], restocked=4, idempotency_key="in-1")
    assert done["replayed"] and lot_balance(engine, "TENT-C1") == before + 4
    for _ in range(2):
        service.release(engine, st.county.dispatcher, LATER, st.incident, site="S-1", item="TENT", quantity=2,
                        reason="损毁", idempotency_key="rel-1")
    assert out_of(engine, st)[("S-1", "TENT")] == (10, 4, 2, 4)
    with pytest.raises(DomainError) as e:  # a refused attempt is refused again, nothing done
        back(engine, st, quantity=99, key="hs-2")
    with pytest.raises(DomainError) as again_refused:
        back(engine, st, quantity=99, key="hs-2")
    assert again_refused.value.message_code == e.value.message_code == "return_more_than_out"
    with Session(engine) as s:
        assert len(s.exec(select(Movement).where(Movement.kind == "return")).all()) == 1
