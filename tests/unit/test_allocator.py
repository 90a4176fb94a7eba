"""Allocation policy 1 on small problems solved by hand, and the rules a problem must keep.

Objective (contracts/allocation.md): sum quantity x minutes - sum over filled units of
share k of (S + 1 - k) x W, with S = fair_share_steps and W = 1 + largest route minutes.
"""

import copy

import pytest

from dispatch.allocator import (
    PLAN_FORMAT,
    ProblemError,
    allocate,
    check_plan,
    greedy_nearest_first,
    parse_problem,
    plan_objective,
    share_sizes,
    solve,
    solve_lp_glop,
)

NOW = "2026-07-01T08:00:00+08:00"


def problem_doc(stock, demand, routes, floors=(), steps=10, min_shelf_days=0, now=NOW):
    """A problem document from tuples: stock (depot, item, lot, quantity, expires),
    demand (site, item, quantity), routes (depot, site, minutes), floors (depot, item, quantity)."""
    depots = sorted({s[0] for s in stock} | {r[0] for r in routes} | {f[0] for f in floors})
    items = sorted({s[1] for s in stock} | {d[1] for d in demand})
    sites = sorted({d[0] for d in demand} | {r[1] for r in routes})
    return {
        "format": "allocation-problem/1",
        "now": now,
        "min_shelf_days": min_shelf_days,
        "fair_share_steps": steps,
        "depots": [{"id": d, "tier": "county", "parent": None, "name": d} for d in depots],
        "items": [{"id": i, "name": i, "unit": "顶"} for i in items],
        "stock": [{"depot": d, "item": i, "lot": lot, "quantity": q, "expires": e} for d, i, lot, q, e in stock],
        "floors": [{"depot": d, "item": i, "quantity": q} for d, i, q in floors],
        "sites": [{"id": s, "name": s, "people": 100} for s in sites],
        "demand": [{"site": s, "item": i, "quantity": q} for s, i, q in demand],
        "routes": [{"from": d, "to": s, "minutes": m} for d, s, m in routes],
    }


def delivered(plan, site, item):
    return sum(t["quantity"] for t in plan["transfers"] if t["to"] == site and t["item"] == item)


def lots_shipped(plan):
    return [(t["lot"], t["quantity"]) for t in plan["transfers"]]


def assert_valid_and_optimal(doc, plan):
    problem = parse_problem(doc)
    assert check_plan(problem, plan) == []
    assert plan["objective"] == plan_objective(problem, plan) == solve_lp_glop(problem)


# --- hand-solved cases ----------------------------------------------------------------------


def test_a_shortage_is_shared_by_shares_instead_of_going_to_the_nearest_site():
    doc = problem_doc(
        stock=[("C0", "tent", "L1", 10, None)],
        demand=[("A", "tent", 10), ("B", "tent", 10)],
        routes=[("C0", "A", 10), ("C0", "B", 30)],
        steps=2,
    )
    plan = allocate(doc)
    # S = 2, W = 1 + 30 = 31. Shares of 10 are 5 and 5, worth 2*31 = 62 and 1*31 = 31 a unit.
    # Best: first shares of both sites, 5 to A and 5 to B.
    #   transport 5*10 + 5*30 = 200; credit 10 units * 62 = 620; objective 200 - 620 = -420.
    assert plan["objective"] == -420
    assert delivered(plan, "A", "tent") == 5 and delivered(plan, "B", "tent") == 5
    assert plan["unmet"] == [{"site": "A", "item": "tent", "quantity": 5}, {"site": "B", "item": "tent", "quantity": 5}]
    # Nearest first gives all 10 to A: 10*10 - (5*62 + 5*31) = 100 - 465 = -365, a worse value.
    greedy = greedy_nearest_first(parse_problem(doc))
    assert greedy["objective"] == -365
    assert delivered(greedy, "A", "tent") == 10 and delivered(greedy, "B", "tent") == 0
    assert_valid_and_optimal(doc, plan)


def test_lots_expiring_before_now_plus_min_shelf_days_stay_home():
    doc = problem_doc(
        stock=[
            ("C0", "water", "L1", 100, "2026-07-05"),  # expires before 07-01 + 7 days: unusable
            ("C0", "water", "L2", 3, "2026-07-08"),  # expires exactly on 07-08: usable
            ("C0", "water", "L3", 4, None),  # never expires: usable
        ],
        demand=[("V", "water", 20)],
        routes=[("C0", "V", 10)],
        steps=1,
        min_shelf_days=7,
    )
    plan = allocate(doc)
    # Usable 3 + 4 = 7 units. S = 1, W = 11, one share worth 1*11 a unit.
    #   transport 7*10 = 70; credit 7*11 = 77; objective 70 - 77 = -7.
    assert plan["objective"] == -7
    assert lots_shipped(plan) == [("L2", 3), ("L3", 4)]
    assert plan["unmet"] == [{"site": "V", "item": "water", "quantity": 13}]
    assert_valid_and_optimal(doc, plan)


def test_the_usable_date_is_the_date_of_now_in_its_own_offset():
    # 00:30 on 1 July in Beijing is still 30 June in UTC; a lot expiring 1 July is usable.
    doc = problem_doc(
        stock=[("C0", "quilt", "L1", 5, "2026-07-01")],
        demand=[("V", "quilt", 5)],
        routes=[("C0", "V", 0)],
        steps=1,
        now="2026-07-01T00:30:00+08:00",
    )
    plan = allocate(doc)
    # W = 1 + 0 = 1: transport 0; credit 5 * 1 * 1 = 5; objective -5.
    assert plan["objective"] == -5
    assert plan["unmet"] == []


def test_floors_stay_in_the_depot_and_the_rest_comes_from_farther():
    doc = problem_doc(
        stock=[("T1", "bed", "L1", 12, None), ("C0", "bed", "L2", 5, None), ("T2", "bed", "L3", 3, None)],
        floors=[("T1", "bed", 10), ("T2", "bed", 10)],  # T2 holds less than its floor: gives nothing
        demand=[("V", "bed", 10)],
        routes=[("T1", "V", 5), ("C0", "V", 50), ("T2", "V", 1)],
        steps=1,
    )
    plan = allocate(doc)
    # T1 may give 12 - 10 = 2, T2 max(0, 3 - 10) = 0, C0 5. S = 1, W = 51.
    #   transport 2*5 + 5*50 = 260; credit 7*51 = 357; objective 260 - 357 = -97.
    assert plan["objective"] == -97
    assert sorted((t["from"], t["quantity"]) for t in plan["transfers"]) == [("C0", 5), ("T1", 2)]
    assert plan["unmet"] == [{"site": "V", "item": "bed", "quantity": 3}]
    assert_valid_and_optimal(doc, plan)


def test_lots_leave_first_expiry_first_out_with_ties_broken_by_lot_id():
    doc = problem_doc(
        stock=[
            ("C0", "food", "La", 5, "2026-09-01"),
            ("C0", "food", "Lc", 5, None),
            ("C0", "food", "Ld", 2, "2026-08-01"),
            ("C0", "food", "Lb", 5, "2026-08-01"),
        ],
        demand=[("V", "food", 9)],
        routes=[("C0", "V", 10)],
        steps=1,
    )
    plan = allocate(doc)
    # 9 units: Lb (08-01) 5, Ld (08-01, after Lb by id) 2, La (09-01) 2; Lc (no expiry) stays.
    # S = 1, W = 11: transport 9*10 = 90; credit 9*11 = 99; objective -9.
    assert plan["objective"] == -9
    assert lots_shipped(plan) == [("Lb", 5), ("Ld", 2), ("La", 2)]
    assert_valid_and_optimal(doc, plan)


def test_one_depot_serving_two_sites_empties_its_earliest_lots_first():
    doc = problem_doc(
        stock=[("C0", "tent", "L-late", 10, None), ("C0", "tent", "L-early", 4, "2026-08-01")],
        demand=[("A", "tent", 3), ("B", "tent", 3)],
        routes=[("C0", "A", 5), ("C0", "B", 5)],
        steps=1,
    )
    plan = allocate(doc)
    # 6 units, every share met. W = 6: transport 6*5 = 30; credit 6*1*6 = 36; objective -6.
    assert plan["objective"] == -6
    shipped = {lot: sum(q for name, q in lots_shipped(plan) if name == lot) for lot in ("L-early", "L-late")}
    assert shipped == {"L-early": 4, "L-late": 2}
    assert len(plan["transfers"]) == 3  # one row per (from, to, item, lot)
    assert_valid_and_optimal(doc, plan)


def test_small_demands_hold_units_only_in_their_later_shares():
    assert share_sizes(10, 2) == [5, 5]
    assert share_sizes(3, 10) == [0, 0, 0, 1, 0, 0, 1, 0, 0, 1]
    assert share_sizes(0, 4) == [0, 0, 0, 0]
    assert sum(share_sizes(101, 7)) == 101


def test_an_item_nobody_holds_is_all_unmet_and_scores_zero():
    doc = problem_doc(stock=[], demand=[("V", "boat", 4)], routes=[("C0", "V", 30)])
    plan = allocate(doc)
    assert plan["objective"] == 0
    assert plan["transfers"] == []
    assert plan["unmet"] == [{"site": "V", "item": "boat", "quantity": 4}]


def test_the_plan_document_has_the_contract_shape():
    doc = problem_doc(stock=[("C0", "tent", "L1", 5, None)], demand=[("V", "tent", 3)], routes=[("C0", "V", 95)])
    plan = allocate(doc)
    assert set(plan) == {"format", "status", "objective", "transfers", "unmet", "solve_seconds"}
    assert plan["format"] == PLAN_FORMAT and plan["status"] == "optimal"
    assert isinstance(plan["objective"], int) and isinstance(plan["solve_seconds"], float)
    assert plan["transfers"] == [{"from": "C0", "to": "V", "item": "tent", "lot": "L1", "quantity": 3, "minutes": 95}]
    assert plan["unmet"] == []


def test_solving_the_same_problem_twice_gives_the_same_plan():
    doc = problem_doc(
        stock=[("C0", "tent", f"L{n}", 3, None) for n in range(5)] + [("T1", "tent", "M1", 6, "2026-12-01")],
        demand=[("A", "tent", 7), ("B", "tent", 7), ("C", "tent", 7)],
        routes=[("C0", "A", 20), ("C0", "B", 20), ("C0", "C", 20), ("T1", "A", 20), ("T1", "C", 20)],
        steps=3,
    )
    first, second = allocate(doc), allocate(copy.deepcopy(doc))
    first.pop("solve_seconds"), second.pop("solve_seconds")
    assert first == second


# --- the rules a problem document must keep ----------------------------------------------


def valid_doc():
    return problem_doc(
        min_shelf_days=7,
        stock=[("C0", "tent", "L1", 5, "2026-12-31"), ("T1", "tent", "L1", 2, None)],
        floors=[("T1", "tent", 1)],
        demand=[("V1", "tent", 4)],
        routes=[("C0", "V1", 30), ("T1", "V1", 5)],
    )


def errors_of(doc):
    with pytest.raises(ProblemError) as caught:
        parse_problem(doc)
    return caught.value.errors


def setter(array, index, key, value):
    def change(doc):
        doc[array][index][key] = value

    return change


def without(key):
    def change(doc):
        del doc[key]

    return change


def top(key, value):
    def change(doc):
        doc[key] = value

    return change


def repeat_row(array):
    def change(doc):
        doc[array].append(dict(doc[array][0]))

    return change


BROKEN = {
    "wrong format": (top("format", "allocation-problem/2"), "format", "allocation-problem/1"),
    "no format": (without("format"), "format", "must be"),
    "no now": (without("now"), "now", "required"),
    "now without offset": (top("now", "2026-07-01T08:00:00"), "now", "offset"),
    "now not a date": (top("now", "yesterday"), "now", "ISO 8601"),
    "now a number": (top("now", 1782864000), "now", "ISO 8601"),
    "negative min_shelf_days": (top("min_shelf_days", -1), "min_shelf_days", "non-negative integer"),
    "fractional min_shelf_days": (top("min_shelf_days", 1.5), "min_shelf_days", "non-negative integer"),
    "zero fair_share_steps": (top("fair_share_steps", 0), "fair_share_steps", "between 1 and 100"),
    "too many fair_share_steps": (top("fair_share_steps", 101), "fair_share_steps", "between 1 and 100"),
    "fair_share_steps as text": (top("fair_share_steps", "10"), "fair_share_steps", "integer"),
    "no depots": (without("depots"), "depots", "required"),
    "no items": (without("items"), "items", "required"),
    "no sites": (without("sites"), "sites", "required"),
    "no stock": (without("stock"), "stock", "required"),
    "no demand": (without("demand"), "demand", "required"),
    "no routes": (without("routes"), "routes", "required"),
    "depots not a list": (top("depots", {"C0": {}}), "depots", "must be a list"),
    "a row that is not an object": (top("stock", ["C0,tent,L1,5"]), "stock[0]", "object"),
    "depot without id": (setter("depots", 0, "id", None), "depots[0].id", "string id"),
    "repeated depot id": (repeat_row("depots"), "depots[2].id", "duplicate id 'C0'"),
    "repeated site id": (repeat_row("sites"), "sites[1].id", "duplicate id"),
    "stock in an unknown depot": (setter("stock", 0, "depot", "X9"), "stock[0].depot", "unknown depot 'X9'"),
    "stock of an unknown item": (setter("stock", 0, "item", "yacht"), "stock[0].item", "unknown item 'yacht'"),
    "negative stock": (setter("stock", 0, "quantity", -1), "stock[0].quantity", "non-negative integer"),
    "fractional stock": (setter("stock", 0, "quantity", 2.5), "stock[0].quantity", "non-negative integer"),
    "boolean stock": (setter("stock", 0, "quantity", True), "stock[0].quantity", "non-negative integer"),
    "stock as text": (setter("stock", 0, "quantity", "5"), "stock[0].quantity", "non-negative integer"),
    "impossible expiry": (setter("stock", 0, "expires", "2026-13-01"), "stock[0].expires", "YYYY-MM-DD"),
    "expiry as a number": (setter("stock", 0, "expires", 20261231), "stock[0].expires", "YYYY-MM-DD"),
    "lot without id": (setter("stock", 0, "lot", ""), "stock[0].lot", "string id"),
    "repeated lot in a depot": (repeat_row("stock"), "stock[2].lot", "duplicate lot 'L1' in depot 'C0'"),
    "floor in an unknown depot": (setter("floors", 0, "depot", "X9"), "floors[0].depot", "unknown depot"),
    "negative floor": (setter("floors", 0, "quantity", -3), "floors[0].quantity", "non-negative integer"),
    "repeated floor": (repeat_row("floors"), "floors[1]", "repeats floors"),
    "demand at an unknown site": (setter("demand", 0, "site", "V99"), "demand[0].site", "unknown site 'V99'"),
    "demand for an unknown item": (setter("demand", 0, "item", "yacht"), "demand[0].item", "unknown item"),
    "negative demand": (setter("demand", 0, "quantity", -4), "demand[0].quantity", "non-negative integer"),
    "repeated demand": (repeat_row("demand"), "demand[1]", "repeats demand for (site 'V1', item 'tent')"),
    "route from an unknown depot": (setter("routes", 0, "from", "V1"), "routes[0].from", "unknown depot 'V1'"),
    "route to an unknown site": (setter("routes", 0, "to", "T1"), "routes[0].to", "unknown site 'T1'"),
    "negative minutes": (setter("routes", 0, "minutes", -5), "routes[0].minutes", "non-negative integer"),
    "fractional minutes": (setter("routes", 0, "minutes", 12.5), "routes[0].minutes", "non-negative integer"),
    "repeated route": (repeat_row("routes"), "routes[2]", "repeats routes for (from 'C0', to 'V1')"),
    # bounds the contract leaves open, so that every cost fits the solver's 64-bit integers
    "absurd stock": (setter("stock", 0, "quantity", 10**30), "stock[0].quantity", "at most 1000000000"),
    "absurd minutes": (setter("routes", 0, "minutes", 10**7), "routes[0].minutes", "at most 1000000"),
    "absurd min_shelf_days": (top("min_shelf_days", 10**6), "min_shelf_days", "at most 36500"),
    "now at the end of time": (top("now", "9999-12-31T00:00:00+00:00"), "now", "after the year 9999"),
}


def test_the_valid_document_used_below_parses():
    assert parse_problem(valid_doc()).depots == ("C0", "T1")


@pytest.mark.parametrize("case", BROKEN, ids=list(BROKEN))
def test_a_document_breaking_a_rule_is_refused_naming_the_field(case):
    change, path, fragment = BROKEN[case]
    doc = valid_doc()
    change(doc)
    errors = errors_of(doc)
    assert [e for e in errors if e["path"] == path and fragment in e["message"]], errors


def test_a_missing_expires_key_is_refused_rather_than_read_as_never_expiring():
    doc = valid_doc()
    del doc["stock"][0]["expires"]
    assert [e["path"] for e in errors_of(doc)] == ["stock[0].expires"]


def test_something_other_than_an_object_is_refused_as_a_whole():
    assert errors_of(["format", "allocation-problem/1"]) == [
        {"path": "$", "message": "must be a JSON object (an allocation problem)"}
    ]


def test_every_broken_rule_is_reported_at_once():
    doc = valid_doc()
    doc["now"] = "soon"
    doc["stock"][0]["quantity"] = -1
    doc["demand"][0]["site"] = "nowhere"
    doc["routes"][1]["minutes"] = "five"
    paths = sorted(e["path"] for e in errors_of(doc))
    assert paths == ["demand[0].site", "now", "routes[1].minutes", "stock[0].quantity"]


def test_problem_error_is_a_value_error_whose_text_names_each_path():
    doc = valid_doc()
    doc["stock"][0]["quantity"] = -1
    with pytest.raises(ValueError, match=r"stock\[0\]\.quantity: must be a non-negative integer"):
        allocate(doc)


def test_unknown_keys_are_ignored_and_optional_settings_have_defaults():
    doc = valid_doc()
    doc["comment"] = "drill"
    doc["stock"][0]["shelf"] = "A-3"
    for key in ("floors", "min_shelf_days", "fair_share_steps"):
        del doc[key]
    problem = parse_problem(doc)
    assert (problem.min_shelf_days, problem.fair_share_steps, problem.floors) == (0, 10, {})


def test_the_same_lot_code_may_appear_in_two_depots():
    problem = parse_problem(valid_doc())  # L1 is in both C0 and T1
    assert [(lot.depot, lot.lot) for lot in problem.lots] == [("C0", "L1"), ("T1", "L1")]


# --- the plan checker used by the property tests catches each broken rule -----------------


def checked_doc():
    return problem_doc(
        stock=[
            ("C0", "tent", "early", 2, "2026-08-01"),
            ("C0", "tent", "late", 5, None),
            ("C0", "tent", "old", 9, "2026-06-01"),  # expired
            ("T1", "tent", "M1", 4, None),
        ],
        floors=[("T1", "tent", 3)],
        demand=[("A", "tent", 3), ("B", "tent", 20)],
        routes=[("C0", "A", 10), ("T1", "A", 5)],
    )


def row(frm, to, lot, quantity, minutes):
    return {"from": frm, "to": to, "item": "tent", "lot": lot, "quantity": quantity, "minutes": minutes}


def corrupted(change):
    problem = parse_problem(checked_doc())
    plan = solve(problem)
    change(plan)
    return check_plan(problem, plan)


def with_transfers(*rows):
    """Replace the transfers, keeping unmet and objective consistent with them."""

    def change(plan):
        problem = parse_problem(checked_doc())
        plan["transfers"] = list(rows)
        plan["unmet"] = [
            {"site": site, "item": item, "quantity": quantity - delivered(plan, site, item)}
            for (site, item), quantity in problem.demand.items()
            if quantity > delivered(plan, site, item)
        ]
        plan["objective"] = plan_objective(problem, plan)

    return change


BAD_PLANS = {
    "more than usable minus floor": (with_transfers(row("T1", "A", "M1", 2, 5)), "more than usable - floor = 1"),
    "an expired lot": (with_transfers(row("C0", "A", "old", 1, 10)), "expires 2026-06-01"),
    "a later lot before an earlier one": (with_transfers(row("C0", "A", "late", 1, 10)), "not emptied"),
    "more than a lot holds": (
        with_transfers(row("C0", "A", "early", 2, 10), row("C0", "A", "early", 1, 10)),
        "ships 3 of 2",
    ),
    "two rows for one lot": (
        with_transfers(row("C0", "A", "early", 1, 10), row("C0", "A", "early", 1, 10)),
        "second row",
    ),
    "more than the site asked": (
        with_transfers(row("C0", "A", "early", 2, 10), row("C0", "A", "late", 2, 10)),
        "delivers 4, demand 3",
    ),
    "a move with no route": (with_transfers(row("C0", "B", "early", 1, 10)), "no route from C0 to B"),
    "wrong minutes": (with_transfers(row("C0", "A", "early", 1, 7)), "the route takes 10"),
    "a lot the depot does not have": (with_transfers(row("T1", "A", "early", 1, 5)), "has no lot early"),
    "wrong unmet": (lambda plan: plan["unmet"].pop(), "unmet lists"),
    "wrong objective": (lambda plan: plan.update(objective=plan["objective"] + 1), "objective"),
    "wrong format": (lambda plan: plan.update(format="plan"), "format"),
}


def test_the_optimal_plan_of_the_checker_example_is_clean():
    problem = parse_problem(checked_doc())
    plan = solve(problem)
    # T1 gives 4 - 3 = 1, C0 gives early 2 + late 5 = 7; A asks 3 and B has no route. S = 10, W = 11.
    # A's shares of 3 are shares 4, 7 and 10, worth (11-4)*11 + (11-7)*11 + (11-10)*11 = 77 + 44 + 11 = 132.
    # Best: T1 5 min for 1 unit and C0 10 min for 2: transport 5 + 20 = 25; objective 25 - 132 = -107.
    assert plan["objective"] == -107
    assert check_plan(problem, plan) == []


@pytest.mark.parametrize("case", BAD_PLANS, ids=list(BAD_PLANS))
def test_the_plan_checker_reports_a_broken_rule(case):
    change, fragment = BAD_PLANS[case]
    found = corrupted(change)
    assert any(fragment in message for message in found), found
