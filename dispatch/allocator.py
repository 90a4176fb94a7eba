"""Allocation policy 1: problem document -> plan document (contracts/allocation.md).

Pure: no Flask, no database, no I/O. Phases: parse the document (``dispatch.problem``),
build one min-cost-flow network per item, solve it with OR-Tools, then split each
depot -> site flow into lots first-expiry-first-out and write the plan.

The network of one item::

    depot --(usable - floor, cost 0)--------------------------------> sink   (stays home)
    depot --(route, cost = minutes per unit)--> site --(share k)----> sink

Each site's demand q is cut into S shares; share k carries
floor(q*k/S) - floor(q*(k-1)/S) units at cost -(S+1-k)*W per unit, W = 1 + largest route
minutes. Every depot supplies what it may give and the sink takes all of it, so the flow is
balanced and nothing is forced to ship. The optimal cost is the contract's objective.

Also here, for tests and benchmarks: the same model as a GLOP LP, a nearest-first greedy
baseline, the objective of any plan, and a checker of the plan rules.
"""

from __future__ import annotations

import time
from collections import defaultdict

import numpy as np
from ortools.graph.python import min_cost_flow
from ortools.linear_solver import pywraplp

from dispatch.problem import Lot, Problem, ProblemError, fefo_key, parse_problem

__all__ = [
    "PLAN_FORMAT",
    "Problem",
    "ProblemError",
    "SolveError",
    "allocate",
    "check_plan",
    "greedy_nearest_first",
    "parse_problem",
    "plan_objective",
    "share_sizes",
    "solve",
    "solve_lp_glop",
]

PLAN_FORMAT = "allocation-plan/1"

Flows = dict[tuple[str, str, str], int]  # (depot, site, item) -> units


class SolveError(RuntimeError):
    """The solver did not prove an optimum (it should not happen for a valid problem)."""


def allocate(doc: dict) -> dict:
    """Problem document in, plan document out; raises ``ProblemError`` for a bad document."""
    return solve(parse_problem(doc))


def solve(problem: Problem) -> dict:
    """The optimal plan under allocation policy 1."""
    started = time.perf_counter()
    flows: Flows = {}
    objective = 0
    for item, depots, sites, arcs in _networks(problem):
        item_flows, cost = _solve_item(problem, item, depots, sites, arcs)
        flows.update(item_flows)
        objective += cost
    plan = _plan(problem, flows, "optimal", objective)
    plan["solve_seconds"] = round(time.perf_counter() - started, 6)
    return plan


# --- model --------------------------------------------------------------------------------


def share_sizes(quantity: int, steps: int) -> list[int]:
    """Units of shares 1..S of a demand: floor(q*k/S) - floor(q*(k-1)/S)."""
    return [quantity * k // steps - quantity * (k - 1) // steps for k in range(1, steps + 1)]


def _share_values(problem: Problem) -> list[int]:
    """Value of one unit of shares 1..S: (S+1-k) * W."""
    steps, weight = problem.fair_share_steps, problem.share_weight
    return [(steps + 1 - k) * weight for k in range(1, steps + 1)]


def _networks(problem: Problem):
    """Per item that is asked for: the depots that can give it, the sites asking, the routes between."""
    asks: dict[str, dict[str, int]] = defaultdict(dict)
    for (site, item), quantity in problem.demand.items():
        if quantity > 0:
            asks[item][site] = quantity
    routes_to: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for (depot, site), minutes in problem.routes.items():
        routes_to[site].append((depot, minutes))
    for item, sites in sorted(asks.items()):
        arcs = [(d, s, m) for s in sites for d, m in routes_to[s]]
        giving = {d: problem.available(d, item) for d in sorted({d for d, _, _ in arcs})}
        depots = {d: units for d, units in giving.items() if units > 0}
        yield item, depots, sites, [(d, s, m) for d, s, m in arcs if d in depots]


def _solve_item(problem: Problem, item: str, depots: dict, sites: dict, arcs: list) -> tuple[Flows, int]:
    if not arcs:
        return {}, 0
    node = {("depot", d): n for n, d in enumerate(depots, start=1)}  # node 0 is the sink
    node.update({("site", s): n for n, s in enumerate(sites, start=len(depots) + 1)})
    # (tail, head, capacity, unit cost); the route arcs come first so arc n is arcs[n]
    rows = [(node["depot", d], node["site", s], min(depots[d], sites[s]), m) for d, s, m in arcs]
    rows += [(node["depot", d], 0, units, 0) for d, units in depots.items()]
    values = _share_values(problem)
    for site, quantity in sites.items():
        shares = zip(share_sizes(quantity, problem.fair_share_steps), values)
        rows += [(node["site", site], 0, units, -value) for units, value in shares if units]
    network = min_cost_flow.SimpleMinCostFlow()
    tails, heads, capacities, costs = (np.array(column, dtype=np.int64) for column in zip(*rows))
    network.add_arcs_with_capacity_and_unit_cost(tails, heads, capacities, costs)
    supplies = [0] * (len(node) + 1)
    supplies[0] = -sum(depots.values())
    for depot, units in depots.items():
        supplies[node["depot", depot]] = units
    network.set_nodes_supplies(np.arange(len(supplies)), np.array(supplies, dtype=np.int64))
    status = network.solve()
    if status != network.OPTIMAL:
        raise SolveError(f"min-cost flow for item {item!r} ended with status {status!r}, not OPTIMAL")
    shipped = network.flows(np.arange(len(arcs))).tolist()
    flows = {(d, s, item): units for (d, s, _), units in zip(arcs, shipped) if units}
    return flows, network.optimal_cost()


# --- extract ------------------------------------------------------------------------------


def _lot_transfers(problem: Problem, flows: Flows) -> list[dict]:
    """Split each (depot, item)'s outgoing flows into its usable lots, first-expiry-first-out."""
    by_source: dict[tuple[str, str], list[tuple[str, int]]] = defaultdict(list)
    for (depot, site, item), units in sorted(flows.items()):
        by_source[depot, item].append((site, units))
    rows = []
    for (depot, item), takes in sorted(by_source.items()):
        lots = [[lot, lot.quantity] for lot in problem.usable_lots(depot, item)]
        position = 0
        for site, units in takes:  # sites in id order take lots in FEFO order
            while units:
                lot, left = lots[position]
                taken = min(units, left)
                if taken:
                    rows.append(_transfer(problem, lot, site, taken))
                lots[position][1] -= taken
                units -= taken
                if lots[position][1] == 0:
                    position += 1
    return sorted(rows, key=lambda r: (r["from"], r["to"], r["item"]))  # stable: FEFO within


def _transfer(problem: Problem, lot: Lot, site: str, quantity: int) -> dict:
    minutes = problem.routes[lot.depot, site]
    return {"from": lot.depot, "to": site, "item": lot.item, "lot": lot.lot, "quantity": quantity, "minutes": minutes}


def _delivered(transfers: list[dict]) -> dict[tuple[str, str], int]:
    delivered: dict[tuple[str, str], int] = defaultdict(int)
    for row in transfers:
        delivered[row["to"], row["item"]] += row["quantity"]
    return delivered


def _unmet(problem: Problem, transfers: list[dict]) -> list[dict]:
    delivered = _delivered(transfers)
    return [
        {"site": site, "item": item, "quantity": quantity - delivered[site, item]}
        for (site, item), quantity in problem.demand.items()
        if quantity > delivered[site, item]
    ]


def _plan(problem: Problem, flows: Flows, status: str, objective: int) -> dict:
    transfers = _lot_transfers(problem, flows)
    return {
        "format": PLAN_FORMAT,
        "status": status,
        "objective": int(objective),
        "transfers": transfers,
        "unmet": _unmet(problem, transfers),
    }


# --- references for tests and benchmarks --------------------------------------------------


def plan_objective(problem: Problem, plan: dict) -> int:
    """The contract objective of any plan: sum quantity x minutes - sum filled share units x value."""
    transport = sum(
        row["quantity"] * problem.routes.get((row["from"], row["to"]), row["minutes"]) for row in plan["transfers"]
    )
    values = _share_values(problem)
    credit = 0
    for (site, item), units in _delivered(plan["transfers"]).items():
        for size, value in zip(share_sizes(problem.demand.get((site, item), 0), problem.fair_share_steps), values):
            filled = min(size, units)
            credit += filled * value
            units -= filled
    return transport - credit


def solve_lp_glop(problem: Problem) -> int:
    """The objective of the same model solved as one linear programme with GLOP."""
    solver = pywraplp.Solver.CreateSolver("GLOP")
    objective = solver.Objective()
    values = _share_values(problem)
    for item, depots, sites, arcs in _networks(problem):
        out_of, into = defaultdict(list), defaultdict(list)
        for depot, site, minutes in arcs:
            ship = solver.NumVar(0, solver.infinity(), f"ship_{depot}_{site}_{item}")
            objective.SetCoefficient(ship, minutes)
            out_of[depot].append(ship)
            into[site].append(ship)
        for depot, units in depots.items():
            solver.Add(solver.Sum(out_of[depot]) <= units)
        for site, quantity in sites.items():
            shares = []
            for size, value in zip(share_sizes(quantity, problem.fair_share_steps), values):
                share = solver.NumVar(0, size, "")
                objective.SetCoefficient(share, -value)
                shares.append(share)
            solver.Add(solver.Sum(into[site]) == solver.Sum(shares))
    objective.SetMinimization()
    status = solver.Solve()
    if status != pywraplp.Solver.OPTIMAL:
        raise SolveError(f"GLOP ended with status {status}, not OPTIMAL")
    return round(objective.Value())


def greedy_nearest_first(problem: Problem) -> dict:
    """Baseline: each site, in site order, takes from its nearest depots until its demand is met."""
    left = {(d, i): problem.available(d, i) for d in problem.depots for i in problem.items}
    nearest: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for (depot, site), minutes in problem.routes.items():
        nearest[site].append((minutes, depot))
    flows: Flows = {}
    for (site, item), quantity in problem.demand.items():
        for _, depot in sorted(nearest[site]):
            taken = min(quantity, left[depot, item])
            if taken:
                flows[depot, site, item] = taken
                left[depot, item] -= taken
                quantity -= taken
    plan = _plan(problem, flows, "heuristic", 0)
    plan["objective"] = plan_objective(problem, plan)
    return plan


def check_plan(problem: Problem, plan: dict) -> list[str]:
    """Every way a plan (rows with the contract's keys) breaks the rules of contracts/allocation.md.

    Empty when it keeps them all. Checks the rules, not optimality: compare objectives for that.
    """
    problems = [] if plan.get("format") == PLAN_FORMAT else [f"format is {plan.get('format')!r}"]
    lots = {(x.depot, x.lot): x for x in problem.lots}
    shipped_lot: dict[tuple[str, str], int] = defaultdict(int)
    seen = set()
    for n, row in enumerate(plan["transfers"]):
        key = (row["from"], row["to"], row["item"], row["lot"])
        lot = lots.get((row["from"], row["lot"]))
        route = problem.routes.get((row["from"], row["to"]))
        if key in seen:
            problems.append(f"transfers[{n}]: second row for lot {key}")
        seen.add(key)
        if not isinstance(row["quantity"], int) or row["quantity"] <= 0:
            problems.append(f"transfers[{n}]: quantity {row['quantity']!r} is not a positive integer")
        if route is None:
            problems.append(f"transfers[{n}]: no route from {row['from']} to {row['to']}")
        elif route != row["minutes"]:
            problems.append(f"transfers[{n}]: minutes {row['minutes']} but the route takes {route}")
        if lot is None or lot.item != row["item"]:
            problems.append(f"transfers[{n}]: depot {row['from']} has no lot {row['lot']} of {row['item']}")
        elif not problem.is_usable(lot):
            problems.append(f"transfers[{n}]: lot {row['lot']} expires {lot.expires}, before {problem.usable_from}")
        shipped_lot[row["from"], row["lot"]] += row["quantity"]
    problems += _check_lots(problem, lots, shipped_lot)
    problems += _check_sites(problem, plan)
    if plan.get("objective") != plan_objective(problem, plan):
        problems.append(f"objective {plan.get('objective')} but the plan's value is {plan_objective(problem, plan)}")
    return problems


def _check_lots(problem: Problem, lots: dict, shipped: dict) -> list[str]:
    problems = []
    by_source: dict[tuple[str, str], list[Lot]] = defaultdict(list)
    for (depot, code), units in shipped.items():
        lot = lots.get((depot, code))
        if lot is not None and units > lot.quantity:
            problems.append(f"lot {code} at {depot}: ships {units} of {lot.quantity}")
        if lot is not None:
            by_source[depot, lot.item].append(lot)
    for (depot, item), used in sorted(by_source.items()):
        total = sum(shipped[depot, x.lot] for x in used)
        allowed = problem.available(depot, item)
        if total > allowed:
            problems.append(f"{depot}/{item}: ships {total}, more than usable - floor = {allowed}")
        latest = max(fefo_key(x)[:2] for x in used)
        for lot in problem.usable_lots(depot, item):
            if fefo_key(lot)[:2] < latest and shipped.get((depot, lot.lot), 0) < lot.quantity:
                problems.append(f"{depot}/{item}: lot {lot.lot} (expires {lot.expires}) not emptied before later lots")
    return problems


def _check_sites(problem: Problem, plan: dict) -> list[str]:
    problems = []
    delivered = _delivered(plan["transfers"])
    for (site, item), units in sorted(delivered.items()):
        if units > problem.demand.get((site, item), 0):
            problems.append(f"{site}/{item}: delivers {units}, demand {problem.demand.get((site, item), 0)}")
    expected = sorted((r["site"], r["item"], r["quantity"]) for r in _unmet(problem, plan["transfers"]))
    listed = sorted((r["site"], r["item"], r["quantity"]) for r in plan["unmet"])
    if listed != expected:
        problems.append(f"unmet lists {listed}, expected (site, item, quantity) {expected}")
    return problems
