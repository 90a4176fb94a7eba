"""Transfer orders through the services, on SQLite and PostgreSQL: approving a plan, picking, shipping,
receiving and delivering, with the ledger and the orders' lines agreeing at every step."""
from datetime import timedelta

import pytest

from common.errors import DomainError
from inventory import integrity
from orders import services
from tests.integration.helpers import NOW, TODAY, ledger_lines, snapshot
from tests.integration.orders_helpers import add_plan, lot_balance, make_stocked


@pytest.fixture
def stocked(engine, county):
    return make_stocked(engine, county)


def approve(engine, st, actor=None, key=None):
    return services.approve_plan(engine, actor or st.county.dispatcher, NOW, incident_id=st.incident, plan_id=st.plan,
                                 idempotency_key=key)


def line(order, item):
    return next(x for x in order["lines"] if x["item"] == item)


def refused(call, code: str, message_code: str | None = None) -> DomainError:
    with pytest.raises(DomainError) as e:
        call()
    assert e.value.code == code, (e.value.code, e.value.message)
    if message_code:
        assert e.value.message_code == message_code, (e.value.message_code, e.value.message)
    return e.value


def test_approving_a_plan_makes_one_order_per_source_and_site_with_a_fefo_pick_list(engine, stocked):
    answer = approve(engine, stocked)
    assert answer["codes"] == [stocked.code(n) for n in (1, 2, 3, 4)]
    assert [(o["source"], o["destination"], o["destination_kind"], o["state"]) for o in answer["orders"]] == [
        ("C1", "S-1", "shelter", "approved"), ("C1", "T1-V1", "depot", "approved"),
        ("C1", "T2-V1", "depot", "approved"), ("T1", "T1-V1", "depot", "approved")]
    assert answer["approved_by"] == "dispatcher" and answer["plan"] == stocked.plan
    order = services.get(engine, stocked.county.auditor, stocked.code(2))
    assert [(x["item"], x["planned"]) for x in order["lines"]] == [("TENT", 30), ("WATER", 50)]
    assert [(x["lot"], x["quantity"]) for x in line(order, "WATER")["planned_lots"]] == [("W-OLD", 40), ("W-NEW", 10)]
    assert [(e["action"], e["user"], e["details"]["plan"]) for e in order["history"]] == [
        ("approved", "dispatcher", stocked.plan)]
    assert len(ledger_lines(engine)) == 5  # approving moves no stock


@pytest.mark.parametrize("who", ["keeper", "auditor"])
def test_keepers_and_auditors_cannot_approve_and_nothing_is_made(engine, stocked, who):
    before = snapshot(engine)
    refused(lambda: approve(engine, stocked, getattr(stocked.county, who)), "read_only" if who == "auditor" else "forbidden")
    assert snapshot(engine) == before


def test_a_plan_is_approved_once_and_another_plan_waits_until_the_first_orders_are_cancelled(engine, stocked):
    approve(engine, stocked)
    before = snapshot(engine)
    refused(lambda: approve(engine, stocked), "order_state", "plan_already_approved")
    _, second = add_plan(engine, stocked.county, incident=stocked.incident)
    again = lambda: services.approve_plan(engine, stocked.county.dispatcher, NOW, incident_id=stocked.incident,  # noqa: E731
                                          plan_id=second)
    assert refused(again, "order_state", "incident_has_orders").params["plan"] == stocked.plan
    assert snapshot(engine)[0]["transfer_order"] == before[0]["transfer_order"]
    for n in (1, 2, 3, 4):
        services.cancel(engine, stocked.county.dispatcher, NOW, stocked.code(n), reason="改派方案")
    assert again()["codes"] == [stocked.code(n) for n in (5, 6, 7, 8)]  # codes are never reused


def test_a_plan_of_another_incident_or_none_at_all_is_not_found(engine, stocked):
    other, _ = add_plan(engine, stocked.county)
    for incident, plan in ((other, stocked.plan), (stocked.incident, 9999), (9999, stocked.plan)):
        refused(lambda: services.approve_plan(engine, stocked.county.dispatcher, NOW, incident_id=incident,
                                              plan_id=plan), "not_found")


def test_the_whole_life_of_an_order_to_a_depot_keeps_the_ledger_and_the_lines_in_step(engine, stocked):
    approve(engine, stocked)
    code, c1, keeper = stocked.code(2), stocked.keeper_c1, stocked.county.keeper
    picked = services.pick(engine, c1, NOW, TODAY, code, lot="W-OLD", quantity=40)
    assert (picked["state"], picked["substitute"], picked["warnings"]) == ("picking", False, [])
    services.pick(engine, c1, NOW, TODAY, code, lot="W-NEW", quantity=10)
    services.pick(engine, c1, NOW, TODAY, code, lot="TENT-C1", quantity=30)
    assert lot_balance(engine, "W-OLD") == 40  # picking moves nothing yet
    shipped = services.ship(engine, c1, NOW, TODAY, code)
    assert shipped["state"] == "shipped" and shipped["totals"]["in_transit"] == 80
    assert sorted((e["lot"], e["quantity"]) for e in shipped["entries"]) == [("TENT-C1", 30), ("W-NEW", 10), ("W-OLD", 40)]
    assert (lot_balance(engine, "W-OLD"), lot_balance(engine, "W-NEW"), lot_balance(engine, "TENT-C1")) == (0, 50, 70)
    ships = [m for m in ledger_lines(engine) if m.kind == "ship"]
    assert {m.reference for m in ships} == {code} and sum(m.quantity for m in ships) == -80

    later = NOW + timedelta(hours=3)
    part = services.receive(engine, keeper, later, TODAY, code, lines=[
        {"item": "WATER", "received": 30, "short": 2, "short_reason": "途中丢失", "damaged": 3,
         "damage_reason": "包装破损"}])
    assert part["state"] == "partly_received"
    water = line(part, "WATER")
    assert (water["received"], water["short"], water["damaged"], water["in_transit"], water["state"]) == (
        30, 2, 3, 15, "partly_received")
    # the received units went into W-OLD-T1-V1 first (it expires first), the rest stays in transit
    assert lot_balance(engine, "W-OLD-T1-V1") == 30 and lot_balance(engine, "W-NEW-T1-V1") is None
    done = services.receive(engine, keeper, later, TODAY, code, lines=[
        {"item": "WATER", "received": 15}, {"item": "TENT", "received": 30}])
    assert done["state"] == "received" and done["totals"]["in_transit"] == 0
    assert (lot_balance(engine, "W-OLD-T1-V1"), lot_balance(engine, "W-NEW-T1-V1"),
            lot_balance(engine, "TENT-C1-T1-V1")) == (35, 10, 30)
    delivers = [m for m in ledger_lines(engine) if m.kind == "deliver"]
    assert {m.reference for m in delivers} == {code} and sum(m.quantity for m in delivers) == 75
    assert all(m.counterpart_id in {s.id for s in ships} for m in delivers)
    assert [e["action"] for e in done["history"]] == ["approved", "picked", "picked", "picked", "shipped", "received",
                                                      "received"]
    assert integrity.verify(engine, stocked.county.auditor)["ok"]


def test_a_substitute_lot_needs_a_reason_and_a_lot_passing_over_an_earlier_expiry_warns(engine, stocked):
    approve(engine, stocked)
    code, c1 = stocked.code(3), stocked.keeper_c1  # the plan names W-NEW; W-OLD and W-MID expire sooner
    planned = services.pick(engine, c1, NOW, TODAY, code, lot="W-NEW", quantity=5)
    assert planned["substitute"] is False
    assert [(w["code"], w["params"]["first"]) for w in planned["warnings"]] == [("pick_not_fefo", "W-OLD")]
    before = snapshot(engine)
    e = refused(lambda: services.pick(engine, c1, NOW, TODAY, code, lot="W-MID", quantity=5), "invalid",
                "pick_substitute_needs_reason")
    assert e.field == "reason" and snapshot(engine) == before
    sub = services.pick(engine, c1, NOW, TODAY, code, lot="W-MID", quantity=5, reason="W-NEW 在高层货架，叉车故障")
    assert sub["substitute"] is True
    assert [(p["lot"], p["substitute_reason"], p["not_fefo"]) for p in sub["picks"]] == [
        ("W-NEW", None, True), ("W-MID", "W-NEW 在高层货架，叉车故障", True)]
    refused(lambda: services.pick(engine, c1, NOW, TODAY, code, lot="W-NEW", quantity=11), "order_quantity",
            "pick_more_than_planned")


def test_following_a_pick_list_of_two_lots_is_first_expiry_first_out_once_the_first_lot_is_all_picked(engine, county):
    from tests.integration.orders_helpers import add_keeper, stock_county

    stock_county(engine, county)
    keeper_c1 = add_keeper(engine, county, "keeper_c1", ["C1"])
    incident, plan = add_plan(engine, county, transfers=[  # all of W-OLD, then W-MID: the FEFO order
        {"from": "C1", "to": "T1-V1", "item": "WATER", "lot": "W-OLD", "quantity": 40, "minutes": 40},
        {"from": "C1", "to": "T1-V1", "item": "WATER", "lot": "W-MID", "quantity": 5, "minutes": 40}])
    code = services.approve_plan(engine, county.dispatcher, NOW, incident_id=incident, plan_id=plan)["codes"][0]
    early = services.pick(engine, keeper_c1, NOW, TODAY, code, lot="W-MID", quantity=2)  # before W-OLD: warned
    assert [(w["code"], w["params"]["first"]) for w in early["warnings"]] == [("pick_not_fefo", "W-OLD")]
    services.pick(engine, keeper_c1, NOW, TODAY, code, lot="W-OLD", quantity=40)
    # W-OLD's 40 units are still in the lot until shipping, but all of them are spoken for by this order
    after = services.pick(engine, keeper_c1, NOW, TODAY, code, lot="W-MID", quantity=3)
    assert after["warnings"] == []
    assert [(p["lot"], p["quantity"], p["not_fefo"]) for p in after["picks"]] == [
        ("W-MID", 2, True), ("W-OLD", 40, False), ("W-MID", 3, False)]


@pytest.mark.parametrize("lot, code, message_code", [
    ("TENT-T1", "wrong_depot", "pick_wrong_depot"),  # a lot of another depot
    ("NO-SUCH-LOT", "not_found", "no_such_lot"),
])
def test_a_lot_that_is_not_at_the_source_or_does_not_exist_is_refused(engine, stocked, lot, code, message_code):
    approve(engine, stocked)
    before = snapshot(engine)
    refused(lambda: services.pick(engine, stocked.county.admin, NOW, TODAY, stocked.code(3), lot=lot, quantity=1),
            code, message_code)
    assert snapshot(engine) == before


def test_a_keeper_of_another_depot_cannot_pick_ship_or_receive(engine, stocked):
    approve(engine, stocked)
    code, keeper2 = stocked.code(2), stocked.county.keeper2
    refused(lambda: services.pick(engine, keeper2, NOW, TODAY, code, lot="TENT-C1", quantity=1), "not_your_depot")
    services.pick(engine, stocked.keeper_c1, NOW, TODAY, code, lot="TENT-C1", quantity=1)
    refused(lambda: services.ship(engine, stocked.county.keeper, NOW, TODAY, code), "not_your_depot")
    services.ship(engine, stocked.keeper_c1, NOW, TODAY, code)
    refused(lambda: services.receive(engine, stocked.keeper_c1, NOW, TODAY, code,
                                     lines=[{"item": "TENT", "received": 1}]), "not_your_depot")
    refused(lambda: services.get(engine, keeper2, code), "forbidden", "order_not_yours")


def test_shipping_needs_picks_ships_only_what_was_picked_and_only_once(engine, stocked):
    approve(engine, stocked)
    code, c1 = stocked.code(2), stocked.keeper_c1
    refused(lambda: services.ship(engine, c1, NOW, TODAY, code), "order_state", "order_nothing_picked")
    services.pick(engine, c1, NOW, TODAY, code, lot="TENT-C1", quantity=20)
    before = snapshot(engine)
    refused(lambda: services.ship(engine, c1, NOW, TODAY, code, lines=[{"item": "TENT", "quantity": 21}]),
            "order_quantity", "ship_more_than_picked")
    refused(lambda: services.ship(engine, c1, NOW, TODAY, code, lines=[{"item": "TENT", "quantity": 19}]),
            "order_quantity", "ship_less_than_picked")
    assert snapshot(engine) == before
    shipped = services.ship(engine, c1, NOW, TODAY, code, lines=[{"item": "TENT", "quantity": 20}])
    assert [(x["item"], x["shipped"], x["state"]) for x in shipped["lines"]] == [
        ("TENT", 20, "shipped"), ("WATER", 0, "not_sent")]
    after = snapshot(engine)
    refused(lambda: services.ship(engine, c1, NOW, TODAY, code), "order_state", "order_already_shipped")
    refused(lambda: services.pick(engine, c1, NOW, TODAY, code, lot="W-OLD", quantity=1), "order_state",
            "order_pick_after_ship")
    refused(lambda: services.cancel(engine, stocked.county.dispatcher, NOW, code, reason="x"), "order_state",
            "order_cancel_after_ship")
    assert snapshot(engine) == after


def test_a_lot_emptied_between_pick_and_ship_refuses_the_whole_ship(engine, stocked):
    from inventory import services as stock
    from tests.integration.helpers import ctx

    approve(engine, stocked)
    code, c1 = stocked.code(2), stocked.keeper_c1
    services.pick(engine, c1, NOW, TODAY, code, lot="TENT-C1", quantity=30)
    services.pick(engine, c1, NOW, TODAY, code, lot="W-OLD", quantity=40)
    stock.issue(engine, ctx(c1), lot="W-OLD", quantity=35)  # someone issued from it meanwhile
    before = snapshot(engine)
    refused(lambda: services.ship(engine, c1, NOW, TODAY, code), "insufficient_stock", "lot_holds_less")
    assert snapshot(engine) == before and lot_balance(engine, "TENT-C1") == 100


def test_receiving_more_than_in_transit_twice_or_without_reasons_is_refused(engine, stocked):
    approve(engine, stocked)
    code, c1, keeper = stocked.code(4), stocked.county.keeper, stocked.county.keeper  # T1 → T1-V1, both kept
    refused(lambda: services.receive(engine, keeper, NOW, TODAY, code, lines=[{"item": "TENT", "received": 1}]),
            "order_state", "order_not_shipped")
    services.pick(engine, c1, NOW, TODAY, code, lot="TENT-T1", quantity=5)
    services.ship(engine, c1, NOW, TODAY, code)
    before = snapshot(engine)
    for lines, code_, message_code, field in [
        ([{"item": "TENT", "received": 6}], "order_quantity", "receive_more_than_shipped", "lines[0].received"),
        ([{"item": "TENT", "received": 4, "short": 2, "short_reason": "少"}], "order_quantity",
         "receive_more_than_shipped", "lines[0].received"),
        ([{"item": "TENT", "received": 4, "short": 1}], "invalid", "order_text_required", "lines[0].short_reason"),
        ([{"item": "TENT", "received": 4, "damaged": 1}], "invalid", "order_text_required", "lines[0].damage_reason"),
        ([{"item": "TENT", "received": 0}], "invalid", "receipt_empty", "lines[0].received"),
        ([{"item": "WATER", "received": 1}], "invalid", "order_has_no_item", "lines[0].item"),
        ([{"item": "TENT", "received": -1}], "invalid", "order_quantity_out_of_range", "lines[0].received"),
    ]:
        e = refused(lambda: services.receive(engine, keeper, NOW, TODAY, code, lines=lines), code_, message_code)
        assert e.field == field
    assert snapshot(engine) == before
    services.receive(engine, keeper, NOW, TODAY, code, lines=[{"item": "TENT", "received": 5}])
    refused(lambda: services.receive(engine, keeper, NOW, TODAY, code, lines=[{"item": "TENT", "received": 1}]),
            "order_state", "order_already_received")


def test_a_shelter_delivery_is_confirmed_with_the_receivers_name_and_writes_no_destination_lot(engine, stocked):
    approve(engine, stocked)
    code, c1 = stocked.code(1), stocked.keeper_c1
    services.pick(engine, c1, NOW, TODAY, code, lot="TENT-C1", quantity=10)
    services.ship(engine, c1, NOW, TODAY, code)
    lines_before = len(ledger_lines(engine))
    refused(lambda: services.receive(engine, stocked.county.admin, NOW, TODAY, code,
                                     lines=[{"item": "TENT", "received": 10}]), "order_state", "order_to_shelter")
    refused(lambda: services.deliver(engine, stocked.county.keeper, NOW, code, lines=[{"item": "TENT", "received": 10}],
                                     receiver_name="王校长"), "forbidden", "deliver_not_yours")
    refused(lambda: services.deliver(engine, c1, NOW, code, lines=[{"item": "TENT", "received": 10}],
                                     receiver_name="  "), "invalid", "order_text_required")
    done = services.deliver(engine, stocked.county.dispatcher, NOW, code, receiver_name="王校长",
                            lines=[{"item": "TENT", "received": 9, "damaged": 1, "damage_reason": "撕裂"}])
    assert done["state"] == "received"
    assert [(r["received"], r["damaged"], r["receiver_name"], r["deliver_line"]) for r in done["receipts"]] == [
        (9, 1, "王校长", None)]
    assert len(ledger_lines(engine)) == lines_before  # the units left the books when shipped
    assert done["history"][-1]["action"] == "delivered" and done["history"][-1]["details"]["receiver"] == "王校长"
    refused(lambda: services.deliver(engine, stocked.county.dispatcher, NOW, stocked.code(2), receiver_name="x",
                                     lines=[{"item": "TENT", "received": 1}]), "order_state")


def test_a_cancelled_order_refuses_every_action_and_its_picks_hold_nothing(engine, stocked):
    approve(engine, stocked)
    code, c1 = stocked.code(2), stocked.keeper_c1
    services.pick(engine, c1, NOW, TODAY, code, lot="TENT-C1", quantity=30)
    refused(lambda: services.cancel(engine, stocked.county.dispatcher, NOW, code, reason=" "), "invalid",
            "order_text_required")
    refused(lambda: services.cancel(engine, c1, NOW, code, reason="x"), "forbidden")
    cancelled = services.cancel(engine, stocked.county.dispatcher, NOW, code, reason="道路中断，改由县库直送")
    assert (cancelled["state"], cancelled["cancel_reason"], cancelled["cancelled_by"]) == (
        "cancelled", "道路中断，改由县库直送", "dispatcher")
    assert {x["state"] for x in cancelled["lines"]} == {"cancelled"}
    before = snapshot(engine)
    for call in (lambda: services.pick(engine, c1, NOW, TODAY, code, lot="TENT-C1", quantity=1),
                 lambda: services.ship(engine, c1, NOW, TODAY, code),
                 lambda: services.receive(engine, stocked.county.keeper, NOW, TODAY, code,
                                          lines=[{"item": "TENT", "received": 1}]),
                 lambda: services.cancel(engine, stocked.county.dispatcher, NOW, code, reason="again")):
        refused(call, "order_state", "order_cancelled")
    assert snapshot(engine) == before and lot_balance(engine, "TENT-C1") == 100


def test_a_pick_can_be_undone_before_shipping(engine, stocked):
    approve(engine, stocked)
    code, c1 = stocked.code(2), stocked.keeper_c1
    first = services.pick(engine, c1, NOW, TODAY, code, lot="TENT-C1", quantity=30)
    undone = services.unpick(engine, c1, NOW, code, pick_id=first["pick"])
    assert (undone["state"], line(undone, "TENT")["picked"], undone["picks"]) == ("approved", 0, [])
    assert undone["history"][-1]["action"] == "unpicked"
    refused(lambda: services.unpick(engine, c1, NOW, code, pick_id=first["pick"]), "order_state")


def test_every_action_with_an_idempotency_key_is_done_once(engine, stocked):
    first = approve(engine, stocked, key="approve-1")
    assert approve(engine, stocked, key="approve-1")["replayed"] is True
    code, c1 = stocked.code(2), stocked.keeper_c1
    a = services.pick(engine, c1, NOW, TODAY, code, lot="TENT-C1", quantity=30, idempotency_key="pick-1")
    b = services.pick(engine, c1, NOW, TODAY, code, lot="TENT-C1", quantity=30, idempotency_key="pick-1")
    assert (a["replayed"], b["replayed"], b["pick"], line(b, "TENT")["picked"]) == (False, True, a["pick"], 30)
    services.ship(engine, c1, NOW, TODAY, code, idempotency_key="ship-1")
    again = services.ship(engine, c1, NOW, TODAY, code, idempotency_key="ship-1")
    assert again["replayed"] is True and lot_balance(engine, "TENT-C1") == 70
    keeper = stocked.county.keeper
    services.receive(engine, keeper, NOW, TODAY, code, lines=[{"item": "TENT", "received": 10}], idempotency_key="r-1")
    repeat = services.receive(engine, keeper, NOW, TODAY, code, lines=[{"item": "TENT", "received": 10}],
                              idempotency_key="r-1")
    assert repeat["replayed"] is True and line(repeat, "TENT")["received"] == 10
    assert lot_balance(engine, "TENT-C1-T1-V1") == 10
    assert len(first["orders"]) == 4


def test_keepers_list_the_orders_of_their_depots_as_source_or_destination(engine, stocked):
    approve(engine, stocked)
    assert [o["code"] for o in services.list_orders(engine, stocked.county.keeper)] == [
        stocked.code(4), stocked.code(2)]  # T1 → T1-V1 and C1 → T1-V1 (T1 and T1-V1 are kept)
    assert [o["code"] for o in services.list_orders(engine, stocked.county.keeper2)] == []
    assert len(services.list_orders(engine, stocked.county.auditor, incident=stocked.incident)) == 4
    services.cancel(engine, stocked.county.dispatcher, NOW, stocked.code(3), reason="取消")
    assert [o["code"] for o in services.list_orders(engine, stocked.county.admin, state="cancelled")] == [stocked.code(3)]
    assert [o["code"] for o in services.list_orders(engine, stocked.county.admin, depot="T2-V1")] == [stocked.code(3)]


def test_a_receipt_with_several_bad_lines_names_every_one_and_records_none(engine, stocked):
    approve(engine, stocked)
    code, keeper = stocked.code(4), stocked.county.keeper  # T1 → T1-V1: tents only
    services.pick(engine, keeper, NOW, TODAY, code, lot="TENT-T1", quantity=5)
    services.ship(engine, keeper, NOW, TODAY, code)
    before = snapshot(engine)
    e = refused(lambda: services.receive(engine, keeper, NOW, TODAY, code, lines=[
        {"item": "WATER", "received": 1}, {"item": "TENT", "received": 6}, {"item": "PUMP", "received": 1}]),
        "invalid", "lines_invalid")
    assert [(p["line"], p["field"], p["message_code"]) for p in e.details["problems"]] == [
        (1, "lines[0].item", "order_has_no_item"), (2, "lines[1].received", "receive_more_than_shipped"),
        (3, "lines[2].item", "order_has_no_item")]
    e = refused(lambda: services.receive(engine, keeper, NOW, TODAY, code, lines=[
        {"item": "TENT", "received": 1}, {"received": 1}, {"item": "TENT", "received": 2}]), "invalid", "lines_invalid")
    assert [p["field"] for p in e.details["problems"]] == ["lines[1].item", "lines[2].item"]
    assert snapshot(engine) == before
