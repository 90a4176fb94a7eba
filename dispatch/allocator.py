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
    graph = _Graph(problem)
    chosen, units, objective = [], [], 0
    for network in graph.networks():
        arcs, shipped, cost = _solve_network(network)
        chosen.append(arcs)
        units.append(shipped)
        objective += cost
    plan = _plan_arrays(problem, graph, np.concatenate(chosen or [np.zeros(0, np.int64)]),
                        np.concatenate(units or [np.zeros(0, np.int64)]), "optimal", objective)
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


class _Graph:
    """Every item's network at once, as numpy columns of codes (positions in the problem's sorted ids).

    ``ask_*``: the demand rows with a positive quantity, in (site, item) order. ``arc_*``: every
    route into an asking site from a depot that may give the item, ordered by item, then site,
    then depot; ``arc_ask`` is the demand row an arc serves, ``arc_give`` what its depot may give.
    """

    def __init__(self, problem: Problem):
        self.problem = problem
        sites, items, depots = problem.site_index, problem.item_index, problem.depot_index
        asks = [(sites[s], items[i], q) for (s, i), q in problem.demand.items() if q > 0]
        self.ask_site, self.ask_item, self.ask_q = (np.array(c, dtype=np.int64).reshape(-1) for c in zip(*asks or [((), (), ())]))
        # routes grouped by site, depots in order within a site
        r_depot, r_site, r_minutes = (np.array(c, dtype=np.int64).reshape(-1) for c in zip(
            *[(depots[d], sites[s], m) for (d, s), m in problem.routes.items()] or [((), (), ())]))
        by_site = np.argsort(r_site, kind="stable")
        r_depot, r_site, r_minutes = r_depot[by_site], r_site[by_site], r_minutes[by_site]
        first = np.searchsorted(r_site, np.arange(len(problem.sites) + 1))
        count = (first[1:] - first[:-1])[self.ask_site]
        arc_ask = np.repeat(np.arange(len(self.ask_q)), count)
        arc_route = np.arange(len(arc_ask)) - np.repeat(np.cumsum(count) - count, count) + first[self.ask_site[arc_ask]]
        arc_depot, arc_item = r_depot[arc_route], self.ask_item[arc_ask]
        give = self._giving(arc_depot, arc_item)
        keep = np.flatnonzero(give > 0)
        keep = keep[np.argsort(arc_item[keep], kind="stable")]  # by item; site then depot within
        self.arc_ask, self.arc_depot, self.arc_item = arc_ask[keep], arc_depot[keep], arc_item[keep]
        self.arc_site, self.arc_minutes, self.arc_give = r_site[arc_route[keep]], r_minutes[arc_route[keep]], give[keep]

    def _giving(self, depot: np.ndarray, item: np.ndarray) -> np.ndarray:
        """Usable units minus the floor, never below zero, of each (depot code, item code)."""
        problem = self.problem
        give = problem.stock.usable_units(depot, item)
        if problem.floors and len(depot):
            depots, items = problem.depot_index, problem.item_index
            n_items = max(len(problem.items), 1)
            keys = np.array([depots[d] * n_items + items[i] for d, i in problem.floors], dtype=np.int64)
            kept = np.array(list(problem.floors.values()), dtype=np.int64)
            order = np.argsort(keys)
            keys, kept = keys[order], kept[order]
            key = depot * n_items + item
            at = np.minimum(np.searchsorted(keys, key), len(keys) - 1)
            give = give - np.where(keys[at] == key, kept[at], 0)
        return np.maximum(give, 0)

    def networks(self):
        """Per item that is asked for and can be given: the arrays of one min-cost-flow network.

        Node 0 is the sink, then the depots that give (in id order), then the asking sites (in id
        order). Arcs: the routes (so arc n is route arc n), each giving depot to the sink, then
        every site's non-empty shares in order.
        """
        problem = self.problem
        steps = problem.fair_share_steps
        values = np.array(_share_values(problem), dtype=np.int64)
        k = np.arange(steps + 1, dtype=np.int64)
        bounds = np.searchsorted(self.arc_item, np.arange(len(problem.items) + 1))
        for item in np.unique(self.ask_item).tolist():
            a, b = int(bounds[item]), int(bounds[item + 1])
            if a == b:
                continue
            asks = np.flatnonzero(self.ask_item == item)
            depots, depot_node = np.unique(self.arc_depot[a:b], return_inverse=True)
            n_depots = len(depots)
            site_node = 1 + n_depots + np.searchsorted(asks, self.arc_ask[a:b])
            give = np.zeros(n_depots, dtype=np.int64)
            give[depot_node] = self.arc_give[a:b]
            q = self.ask_q[asks]
            sizes = np.diff(q[:, None] * k[None, :] // steps, axis=1)  # asks x steps
            share_site, share_k = np.nonzero(sizes)
            tails = np.concatenate([1 + depot_node, 1 + np.arange(n_depots), 1 + n_depots + share_site])
            heads = np.concatenate([site_node, np.zeros(n_depots, np.int64), np.zeros(len(share_site), np.int64)])
            capacities = np.concatenate([np.minimum(self.arc_give[a:b], self.ask_q[self.arc_ask[a:b]]), give,
                                         sizes[share_site, share_k]])
            costs = np.concatenate([self.arc_minutes[a:b], np.zeros(n_depots, np.int64), -values[share_k]])
            supplies = np.concatenate([[-give.sum()], give, np.zeros(len(asks), np.int64)])
            yield problem.items[item], np.arange(a, b), tails, heads, capacities, costs, supplies


def _solve_network(network) -> tuple[np.ndarray, np.ndarray, int]:
    """Solve one item's network: the route arcs that carry flow, their flows, and the optimal cost."""
    item, arcs, tails, heads, capacities, costs, supplies = network
    flow = min_cost_flow.SimpleMinCostFlow()
    flow.add_arcs_with_capacity_and_unit_cost(tails, heads, capacities, costs)
    flow.set_nodes_supplies(np.arange(len(supplies)), supplies)
    status = flow.solve()
    if status != flow.OPTIMAL:
        raise SolveError(f"min-cost flow for item {item!r} ended with status {status!r}, not OPTIMAL")
    shipped = flow.flows(np.arange(len(arcs)))
    used = np.flatnonzero(shipped)
    return arcs[used], shipped[used].astype(np.int64), flow.optimal_cost()


def _networks(problem: Problem):
    """Per item that is asked for: the depots that can give it, the sites asking, the routes between."""
    graph = _Graph(problem)
    depots, sites = problem.depots, problem.sites
    asks: dict[str, dict[str, int]] = defaultdict(dict)
    for (site, item), quantity in problem.demand.items():
        if quantity > 0:
            asks[item][site] = quantity
    bounds = np.searchsorted(graph.arc_item, np.arange(len(problem.items) + 1))
    for item, asking in sorted(asks.items()):
        code = problem.item_index[item]
        span = range(int(bounds[code]), int(bounds[code + 1]))
        arcs = [(depots[graph.arc_depot[n]], sites[graph.arc_site[n]], int(graph.arc_minutes[n])) for n in span]
        giving = {depots[graph.arc_depot[n]]: int(graph.arc_give[n]) for n in span}
        yield item, dict(sorted(giving.items())), asking, arcs


# --- extract ------------------------------------------------------------------------------


def _plan_arrays(problem: Problem, graph: _Graph, arcs: np.ndarray, units: np.ndarray, status: str,
                 objective: int) -> dict:
    """The plan document from the flow on graph arcs ``arcs`` (``units`` each)."""
    return _plan_flows(problem, graph.arc_depot[arcs], graph.arc_site[arcs], graph.arc_item[arcs],
                       graph.arc_minutes[arcs], units, graph, graph.arc_ask[arcs], status, objective)


def _plan_flows(problem: Problem, depot, site, item, minutes, units, graph: _Graph, ask, status: str,
                objective: int) -> dict:
    transfers = _split_into_lots(problem, depot, site, item, minutes, units)
    delivered = np.zeros(len(graph.ask_q), dtype=np.int64)
    np.add.at(delivered, ask, units)
    left = graph.ask_q - delivered
    short = np.flatnonzero(left > 0).tolist()
    sites, items = problem.sites, problem.items
    unmet = [{"site": sites[s], "item": items[i], "quantity": q} for s, i, q in zip(
        graph.ask_site[short].tolist(), graph.ask_item[short].tolist(), left[short].tolist())]
    return {"format": PLAN_FORMAT, "status": status, "objective": int(objective), "transfers": transfers,
            "unmet": unmet}


def _split_into_lots(problem: Problem, depot, site, item, minutes, units) -> list[dict]:
    """Split each (depot, item)'s outgoing flows into its usable lots, first-expiry-first-out.

    The flows of one (depot, item), sites in id order, take consecutive stretches of the stream
    of its usable lots in FEFO order; a transfer row is the overlap of a flow's stretch with a lot.
    Rows come sorted by depot, site, item, and FEFO within.
    """
    table = problem.stock
    order = np.lexsort((site, item, depot))
    depot, site, item, minutes, units = depot[order], site[order], item[order], minutes[order], units[order]
    group = table.groups(depot, item)
    source_first = np.r_[True, (depot[1:] != depot[:-1]) | (item[1:] != item[:-1])] if len(depot) else depot
    before = np.cumsum(units) - units  # units of earlier flows, all sources
    source_before = np.maximum.accumulate(np.where(source_first, before, 0)) if len(depot) else before
    begin = table.cum[table.group_usable[group]] + before - source_before
    end = begin + units
    first_lot = np.searchsorted(table.cum, begin, side="right") - 1
    last_lot = np.searchsorted(table.cum, end, side="left") - 1
    count = last_lot - first_lot + 1
    row = np.repeat(np.arange(len(units)), count)
    lot = first_lot[row] + np.arange(len(row)) - np.repeat(np.cumsum(count) - count, count)
    taken = np.minimum(end[row], table.cum[lot + 1]) - np.maximum(begin[row], table.cum[lot])
    keep = np.flatnonzero(taken > 0)
    row, lot, taken = row[keep], lot[keep], taken[keep]
    by_site = np.lexsort((item[row], site[row], depot[row]))  # stable: FEFO within a flow
    row, lot, taken = row[by_site], lot[by_site], taken[by_site]
    depots, sites, items, ids = problem.depots, problem.sites, problem.items, table.lot
    return [
        {"from": depots[d], "to": sites[s], "item": items[i], "lot": ids[k], "quantity": q, "minutes": m}
        for d, s, i, k, q, m in zip(depot[row].tolist(), site[row].tolist(), item[row].tolist(), lot.tolist(),
                                    taken.tolist(), minutes[row].tolist())
    ]


def _plan(problem: Problem, flows: Flows, status: str, objective: int) -> dict:
    """The plan document from flows given as {(depot, site, item): units}."""
    graph = _Graph(problem)
    rows = [(d, s, i, u) for (d, s, i), u in flows.items() if u]
    depots, sites, items = problem.depot_index, problem.site_index, problem.item_index
    depot = np.array([depots[d] for d, _, _, _ in rows], dtype=np.int64)
    site = np.array([sites[s] for _, s, _, _ in rows], dtype=np.int64)
    item = np.array([items[i] for _, _, i, _ in rows], dtype=np.int64)
    minutes = np.array([problem.routes[d, s] for d, s, _, _ in rows], dtype=np.int64)
    units = np.array([u for _, _, _, u in rows], dtype=np.int64)
    ask_of = {(s, i): n for n, (s, i) in enumerate(zip(graph.ask_site.tolist(), graph.ask_item.tolist()))}
    ask = np.array([ask_of[s, i] for s, i in zip(site.tolist(), item.tolist())], dtype=np.int64)
    return _plan_flows(problem, depot, site, item, minutes, units, graph, ask, status, objective)


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


class _Available(dict):
    """(depot, item) -> units it may still give, looked up on first use."""

    def __init__(self, problem: Problem):
        super().__init__()
        self.problem = problem

    def __missing__(self, key: tuple[str, str]) -> int:
        units = self[key] = self.problem.available(*key)
        return units


def greedy_nearest_first(problem: Problem) -> dict:
    """Baseline: each site, in site order, takes from its nearest depots until its demand is met."""
    left = _Available(problem)
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
