"""Properties of allocation policy 1 on random small problems (hypothesis)."""

import random
from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from dispatch.allocator import (
    allocate,
    check_plan,
    greedy_nearest_first,
    parse_problem,
    plan_objective,
    share_sizes,
    solve,
    solve_lp_glop,
)

TODAY = date(2026, 7, 1)
QUICK = settings(max_examples=60, deadline=None)


@st.composite
def problems(draw, every_route=False):
    depots = [f"D{n}" for n in range(draw(st.integers(1, 4)))]
    items = [f"I{n}" for n in range(draw(st.integers(1, 3)))]
    sites = [f"S{n}" for n in range(draw(st.integers(1, 4)))]
    stock = []
    for depot in depots:
        for item in items:
            for n in range(draw(st.integers(0, 3))):
                expires = draw(st.one_of(st.none(), st.integers(-3, 12).map(lambda d: TODAY + timedelta(days=d))))
                stock.append(
                    {
                        "depot": depot,
                        "item": item,
                        "lot": f"L{n}-{item}",
                        "quantity": draw(st.integers(0, 15)),
                        "expires": expires and expires.isoformat(),
                    }
                )
    floors = [
        {"depot": d, "item": i, "quantity": draw(st.integers(0, 10))}
        for d in depots
        for i in items
        if draw(st.booleans())
    ]
    demand = [
        {"site": s, "item": i, "quantity": draw(st.integers(0, 25))}
        for s in sites
        for i in items
        if draw(st.booleans())
    ]
    routes = [
        {"from": d, "to": s, "minutes": draw(st.integers(0, 60))}
        for d in depots
        for s in sites
        if every_route or draw(st.integers(0, 3))
    ]
    return {
        "format": "allocation-problem/1",
        "now": "2026-07-01T08:00:00+08:00",
        "min_shelf_days": draw(st.integers(0, 5)),
        "fair_share_steps": draw(st.sampled_from([1, 2, 3, 4, 5, 10])),
        "depots": [{"id": d} for d in depots],
        "items": [{"id": i} for i in items],
        "sites": [{"id": s} for s in sites],
        "stock": stock,
        "floors": floors,
        "demand": demand,
        "routes": routes,
    }


def without_time(plan):
    return {key: value for key, value in plan.items() if key != "solve_seconds"}


@QUICK
@given(problems())
def test_every_plan_keeps_the_rules_of_the_contract(doc):
    problem = parse_problem(doc)
    assert check_plan(problem, solve(problem)) == []


@QUICK
@given(problems())
def test_the_objective_equals_the_linear_programme_optimum_and_the_plan_value(doc):
    problem = parse_problem(doc)
    plan = solve(problem)
    assert plan["objective"] == plan_objective(problem, plan) == solve_lp_glop(problem)


@QUICK
@given(problems())
def test_the_plan_is_never_worse_than_nearest_depot_first(doc):
    problem = parse_problem(doc)
    greedy = greedy_nearest_first(problem)
    assert check_plan(problem, greedy) == []
    assert solve(problem)["objective"] <= greedy["objective"]


@QUICK
@given(problems(), st.randoms(use_true_random=False))
def test_the_order_of_rows_does_not_change_the_plan(doc, rng: random.Random):
    shuffled = {key: rng.sample(value, len(value)) if isinstance(value, list) else value for key, value in doc.items()}
    assert without_time(allocate(shuffled)) == without_time(allocate(doc))


@QUICK
@given(problems(every_route=True))
def test_when_every_depot_reaches_every_site_no_site_gets_a_later_share_before_an_earlier_one(doc):
    problem = parse_problem(doc)
    plan = solve(problem)
    steps = problem.fair_share_steps
    for item in problem.items:
        sites = {s: q for (s, i), q in problem.demand.items() if i == item}
        got = {s: sum(t["quantity"] for t in plan["transfers"] if t["to"] == s and t["item"] == item) for s in sites}
        for site, quantity in sites.items():
            # the highest share of `site` holding a delivered unit
            top = max((k for k in range(1, steps + 1) if got[site] > quantity * (k - 1) // steps), default=0)
            for other, other_quantity in sites.items():
                # every share of `other` below `top` is full
                below = sum(share_sizes(other_quantity, steps)[: max(top - 1, 0)])
                assert got[other] >= below, (item, site, top, other, got)
