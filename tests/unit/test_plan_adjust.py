"""A dispatcher's adjustments to a plan: every rule of the allocation contract checked again, lots
re-picked first-expiry-first-out, the objective by the contract's formula, and the comparison with
the optimum. Problems small enough to follow by hand (contracts/allocation.md)."""
import pytest

from common.errors import DomainError, InvalidInput
from dispatch.adjust import AdjustmentRejected, BadAdjustment, adjust_plan, compare
from dispatch.allocator import allocate, check_plan, parse_problem, plan_objective
from tests.unit.test_allocator import problem_doc

# C0 holds tents in three lots (one expired), T1 holds 12 with a floor of 10, T2 holds only expired tents.
# Sites A and B each need 10; A is reached by C0 and T1, B by C0 only; T2 reaches A. Water: C0 to B.
DOC = problem_doc(
    stock=[("C0", "tent", "OLD", 50, "2026-07-03"), ("C0", "tent", "L2", 6, "2026-09-01"),
           ("C0", "tent", "L1", 4, "2026-08-01"), ("C0", "tent", "L3", 30, None),
           ("T1", "tent", "T1-L", 12, None), ("T2", "tent", "T2-OLD", 8, "2026-07-02"),
           ("C0", "water", "W1", 5, None)],
    floors=[("T1", "tent", 10)],
    demand=[("A", "tent", 10), ("B", "tent", 10), ("B", "water", 5)],
    routes=[("C0", "A", 30), ("C0", "B", 40), ("T1", "A", 5), ("T2", "A", 2)],
    min_shelf_days=7,
)


@pytest.fixture
def optimum():
    return allocate(DOC)


def sent(plan, depot, site, item="tent"):
    return sum(t["quantity"] for t in plan["transfers"] if (t["from"], t["to"], t["item"]) == (depot, site, item))


def refused(plan, adjustments, error=AdjustmentRejected):
    with pytest.raises(error) as caught:
        adjust_plan(DOC, plan, adjustments)
    return caught.value


def test_the_optimum_fills_both_sites_so_the_tests_below_start_from_a_full_plan(optimum):
    assert optimum["unmet"] == []
    assert sent(optimum, "T1", "A") == 2 and sent(optimum, "C0", "A") == 8 and sent(optimum, "C0", "B") == 10


def test_an_unchanged_plan_keeps_the_allocators_objective_and_lots(optimum):
    same = adjust_plan(DOC, optimum, [{"action": "set", "from": "C0", "to": "B", "item": "tent", "quantity": 10}])
    assert same["objective"] == optimum["objective"] == plan_objective(parse_problem(DOC), same)
    assert same["transfers"] == optimum["transfers"] and same["unmet"] == optimum["unmet"]
    assert (same["format"], same["status"]) == ("allocation-plan/1", "adjusted")
    assert check_plan(parse_problem(DOC), same) == []


def test_lowering_a_line_re_picks_lots_first_expiry_first_out_across_the_depots_transfers(optimum):
    plan = adjust_plan(DOC, optimum, [{"action": "set", "from": "C0", "to": "A", "item": "tent", "quantity": 3}])
    # C0 now sends 3 to A and 10 to B: 13 units from L1 (4, Aug), L2 (6, Sep), L3 (no expiry); A comes first.
    tents = [(t["to"], t["lot"], t["quantity"]) for t in plan["transfers"] if t["from"] == "C0" and t["item"] == "tent"]
    assert tents == [("A", "L1", 3), ("B", "L1", 1), ("B", "L2", 6), ("B", "L3", 3)]
    assert plan["unmet"] == [{"site": "A", "item": "tent", "quantity": 5}]
    assert plan["objective"] == plan_objective(parse_problem(DOC), plan) > optimum["objective"]
    assert check_plan(parse_problem(DOC), plan) == []


def test_setting_a_line_to_zero_drops_it_and_adding_a_line_ships_along_an_allowed_route(optimum):
    plan = adjust_plan(DOC, optimum, [{"action": "set", "from": "T1", "to": "A", "item": "tent", "quantity": 0}])
    assert sent(plan, "T1", "A") == 0 and all(t["from"] != "T1" for t in plan["transfers"])
    back = adjust_plan(DOC, plan, [{"action": "add", "from": "T1", "to": "A", "item": "tent", "quantity": 2}])
    assert back["objective"] == optimum["objective"] and check_plan(parse_problem(DOC), back) == []


def test_leaving_out_a_depot_grows_the_unmet_and_names_the_sites_that_lose_coverage(optimum):
    plan = adjust_plan(DOC, optimum, [{"action": "leave_out", "depot": "C0"}])
    assert {t["from"] for t in plan["transfers"]} == {"T1"}
    assert plan["unmet"] == [{"site": "A", "item": "tent", "quantity": 8},
                             {"site": "B", "item": "tent", "quantity": 10},
                             {"site": "B", "item": "water", "quantity": 5}]
    diff = compare(DOC, optimum, plan)
    assert diff["losing_sites"] == ["A", "B"]
    assert [(s["site"], s["base_fill_rate"], s["fill_rate"], s["lost_items"]) for s in diff["sites"]] == [
        ("A", 1.0, 0.2, ["tent"]), ("B", 1.0, 0.0, ["tent", "water"])]
    assert diff["objective"]["delta"] == plan["objective"] - optimum["objective"] > 0
    assert diff["total"]["plan"] == {"demand": 25, "delivered": 2, "unmet": 23, "fill_rate": 0.08}
    assert diff["total"]["delta"]["delivered"] == -23


def test_a_plan_compared_with_itself_loses_nothing(optimum):
    diff = compare(DOC, optimum, optimum)
    assert diff["losing_sites"] == [] and diff["objective"]["delta"] == 0 and diff["transport"]["delta"] == 0
    assert not any(line["loses"] or line["gains"] for line in diff["lines"])


def test_more_than_the_usable_stock_is_refused_naming_the_line():
    doc_big = dict(DOC, demand=[{"site": "A", "item": "tent", "quantity": 100},
                                {"site": "B", "item": "tent", "quantity": 100}])
    big = allocate(doc_big)
    with pytest.raises(AdjustmentRejected) as caught:
        adjust_plan(doc_big, big, [{"action": "set", "from": "C0", "to": "B", "item": "tent", "quantity": 25}])
    e = caught.value
    assert e.message_code == "adjust_over_stock" and e.field == "adjustments[0].quantity"
    assert sent(big, "C0", "A") + sent(big, "C0", "B") == 40  # all C0's usable tents go out in the optimum
    assert e.params == {"line": 1, "depot": "C0", "site": "B", "item": "tent", "quantity": 25,
                        "total": 40 - sent(big, "C0", "B") + 25,
                        "usable": 40, "floor": 0, "available": 40, "unusable": 50, "usable_from": "2026-07-08"}


def test_the_floor_is_kept_and_named(optimum):
    e = refused(optimum, [{"action": "set", "from": "T1", "to": "A", "item": "tent", "quantity": 3},
                          {"action": "set", "from": "C0", "to": "A", "item": "tent", "quantity": 7}])
    assert (e.message_code, e.field, e.params["floor"], e.params["available"], e.params["usable"]) == (
        "adjust_floor", "adjustments[0].quantity", 10, 2, 12)


def test_expired_stock_is_never_sent(optimum):
    e = refused(optimum, [{"action": "set", "from": "C0", "to": "A", "item": "tent", "quantity": 7},
                          {"action": "add", "from": "T2", "to": "A", "item": "tent", "quantity": 1}])
    assert (e.message_code, e.field) == ("adjust_expired", "adjustments[1].quantity")
    assert (e.params["unusable"], e.params["usable_from"]) == (8, "2026-07-08")


def test_a_route_the_level_does_not_allow_is_refused(optimum):
    e = refused(optimum, [{"action": "add", "from": "T1", "to": "B", "item": "tent", "quantity": 1}])
    assert (e.message_code, e.field, e.params["line"]) == ("adjust_no_route", "adjustments[0].to", 1)


def test_more_than_the_site_needs_is_refused_and_an_item_it_does_not_need(optimum):
    e = refused(optimum, [{"action": "set", "from": "C0", "to": "A", "item": "tent", "quantity": 2},
                          {"action": "set", "from": "C0", "to": "B", "item": "tent", "quantity": 11}])
    assert (e.message_code, e.field, e.params["demand"], e.params["total"]) == (
        "adjust_over_demand", "adjustments[1].quantity", 10, 11)
    e = refused(optimum, [{"action": "add", "from": "C0", "to": "A", "item": "water", "quantity": 1}])
    assert (e.message_code, e.field) == ("adjust_not_needed", "adjustments[0].item")


def test_moving_units_between_lines_is_judged_on_the_totals_whatever_the_order(optimum):
    moves = [{"action": "set", "from": "C0", "to": "A", "item": "tent", "quantity": 10},
             {"action": "set", "from": "T1", "to": "A", "item": "tent", "quantity": 0}]
    first, second = adjust_plan(DOC, optimum, moves), adjust_plan(DOC, optimum, moves[::-1])
    assert first["transfers"] == second["transfers"] and sent(first, "C0", "A") == 10


def line(action, site="A", item="tent", quantity=1, depot="C0"):
    return {"action": action, "from": depot, "to": site, "item": item, "quantity": quantity}


@pytest.mark.parametrize("adjustment, code, field", [
    ({"action": "move"}, "adjust_bad_action", "adjustments[0].action"),
    ({"action": "leave_out", "depot": "XX"}, "adjust_unknown_depot", "adjustments[0].depot"),
    (line("add", site="Z"), "adjust_unknown_site", "adjustments[0].to"),
    (line("add", item="rope"), "adjust_unknown_item", "adjustments[0].item"),
    (line("set", quantity=-1), "adjust_bad_quantity", "adjustments[0].quantity"),
    (line("add", quantity=0), "adjust_bad_quantity", "adjustments[0].quantity"),
    (line("set", quantity=2.5), "adjust_bad_quantity", "adjustments[0].quantity"),
    (line("set", depot="T2"), "adjust_no_line", "adjustments[0].from"),
    (line("add"), "adjust_line_exists", "adjustments[0].from"),
])
def test_an_adjustment_that_cannot_be_read_is_a_422_naming_its_field(optimum, adjustment, code, field):
    e = refused(optimum, [adjustment], BadAdjustment)
    assert (e.status, e.message_code, e.field) == (422, code, field)


def test_no_adjustments_a_line_changed_twice_and_a_left_out_depot_used_again_are_refused(optimum):
    assert refused(optimum, [], BadAdjustment).field == "adjustments"
    line = {"action": "set", "from": "C0", "to": "A", "item": "tent", "quantity": 1}
    e = refused(optimum, [line, line], BadAdjustment)
    assert (e.message_code, e.field, e.params["first"]) == ("adjust_line_twice", "adjustments[1].from", 1)
    e = refused(optimum, [line, {"action": "leave_out", "depot": "C0"}])
    assert (e.message_code, e.field, e.params["left_out"]) == ("adjust_depot_left_out", "adjustments[0].from", 2)


def test_every_refusal_carries_the_parameters_its_message_names(optimum):
    import re

    from dispatch.adjust_vocab import ADJUST_MESSAGES

    cases = [[line("set", quantity=-1)], [line("add", site="Z")], [line("set", depot="T2")], [line("add")],
             [line("add", depot="T1", site="B")], [line("set", site="B", quantity=11)],
             [line("add", item="water")], [line("set", depot="T1", quantity=3), line("set", quantity=7)],
             [line("set", quantity=7), line("add", depot="T2")], [line("set"), line("set")],
             [{"action": "leave_out", "depot": "C0"}, {"action": "leave_out", "depot": "C0"}],
             [line("set"), {"action": "leave_out", "depot": "C0"}], [{"action": "jump"}], []]
    seen = set()
    for adjustments in cases:
        with pytest.raises(DomainError) as caught:
            adjust_plan(DOC, optimum, adjustments)
        e = caught.value
        names = set(re.findall(r"%\((\w+)\)s", str(ADJUST_MESSAGES[e.message_code])))
        assert names <= set(e.params), (e.message_code, names - set(e.params))
        seen.add(e.message_code)
    assert len(seen) == len(cases)  # each case a different rule


def test_several_bad_adjustments_are_named_together_each_with_its_line(optimum):
    e = refused(optimum, [
        {"action": "set", "from": "C0", "to": "B", "item": "tent", "quantity": 9},  # fine
        {"action": "set", "from": "NOPE", "to": "A", "item": "tent", "quantity": 1},  # unknown depot
        {"action": "add", "from": "C0", "to": "A", "item": "tent", "quantity": -1},  # a bad quantity
        {"action": "set", "from": "C0", "to": "B", "item": "tent", "quantity": 8},  # changed twice
    ], error=InvalidInput)
    assert (e.status, e.message_code, e.params) == (422, "lines_invalid", {"count": 3})
    assert [(p["line"], p["field"], p["message_code"]) for p in e.details["problems"]] == [
        (2, "adjustments[1].from", "adjust_unknown_depot"), (3, "adjustments[2].quantity", "adjust_bad_quantity"),
        (4, "adjustments[3].from", "adjust_line_twice")]
    rules = refused(optimum, [
        {"action": "add", "from": "T2", "to": "B", "item": "tent", "quantity": 1},  # no route at this level
        {"action": "set", "from": "C0", "to": "A", "item": "water", "quantity": 1},  # no such line
        {"action": "add", "from": "C0", "to": "A", "item": "tent", "quantity": 1},  # the line exists
    ], error=DomainError)
    assert [p["message_code"] for p in rules.details["problems"]] == ["adjust_no_route", "adjust_no_line",
                                                                      "adjust_line_exists"]
    assert rules.status == 422  # some lines cannot be read as asked: not only a conflict with the state
    needs = refused(optimum, [{"action": "set", "from": "T1", "to": "A", "item": "tent", "quantity": 9},
                              {"action": "set", "from": "C0", "to": "B", "item": "tent", "quantity": 30}], DomainError)
    assert needs.status == 409 and needs.message_code == "lines_invalid"  # each breaks a rule of the plan: 409
    assert [(p["line"], p["code"]) for p in needs.details["problems"]] == [
        (1, "plan_adjustment_rejected"), (2, "plan_adjustment_rejected")]
