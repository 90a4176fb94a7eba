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

Built for size (a province: 3 million lots, 1,000 sites): parsing leaves the problem as numpy
columns with an index of what each depot may give (``Problem.columns``); ``_Graph`` lays out all
the items' networks at once as arrays, each item's a slice handed to OR-Tools in one call; and the
FEFO split is array arithmetic over the stream of each source's usable lots, so the only Python
loop over rows is the one writing the plan's transfer dicts. ``bench/allocation.py`` measures it
against a bare ``SimpleMinCostFlow`` over the same graphs.

Also here, for tests and benchmarks: the same model as a GLOP LP, a nearest-first greedy
baseline, the objective of any plan, and a checker of the plan rules.
"""

from __future__ import annotations

import gc
import time
from collections import defaultdict
from contextlib import contextmanager

import numpy as np
from ortools.graph.python import min_cost_flow
from ortools.linear_solver import pywraplp

from dispatch.problem import DENSE_LIMIT, Lot, Problem, ProblemError, _int_columns, fefo_key, parse_problem

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
    shipped, objective = [], 0
    for item, arcs, nodes, route_arcs in graph.networks():
        flow = min_cost_flow.SimpleMinCostFlow()
        flow.add_arcs_with_capacity_and_unit_cost(graph.tails[arcs], graph.heads[arcs], graph.capacities[arcs],
                                                  graph.costs[arcs])
        flow.set_nodes_supplies(graph.numbers[: nodes.stop - nodes.start], graph.supplies[nodes])
        status = flow.solve()
        if status != flow.OPTIMAL:
            raise SolveError(f"min-cost flow for item {item!r} ended with status {status!r}, not OPTIMAL")
        shipped.append(flow.flows(graph.numbers[:route_arcs]))
        objective += flow.optimal_cost()
    units = np.concatenate(shipped) if shipped else np.zeros(0, dtype=np.int64)
    used = np.flatnonzero(units)
    plan = _plan_flows(problem, graph.arc_ask[used], graph.arc_r[used], graph.arc_source[used],
                       graph.arc_minutes[used], units[used], "optimal", objective)
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


def _first_of(sorted_codes: np.ndarray, count: int) -> np.ndarray:
    """For codes sorted ascending: where each code 0..count starts (count + 1 bounds)."""
    return _starts(np.bincount(sorted_codes, minlength=count))


def _starts(counts: np.ndarray) -> np.ndarray:
    """Where each of consecutive blocks of ``counts`` starts, and the total at the end."""
    starts = np.zeros(len(counts) + 1, dtype=np.int64)
    np.cumsum(counts, out=starts[1:])
    return starts


def _ranked(keys: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(keys, return_inverse=True)`` for keys in ``range(size)``, by marking when that is small."""
    if size > DENSE_LIMIT:
        unique, inverse = np.unique(keys, return_inverse=True)
        return unique, inverse.reshape(-1)
    marked = np.zeros(size, dtype=bool)
    marked[keys] = True
    return np.flatnonzero(marked), (np.cumsum(marked) - 1)[keys]


class _Graph:
    """Every item's min-cost-flow network, built at once as numpy columns.

    The network of one item: node 0 is the sink, then the depots that may give it (in id order),
    then the sites asking for it (in id order). Its arcs: the routes from those depots into those
    sites, by site then depot (so route arc n of the item is its n-th ``arc_*``); each depot to
    the sink (what stays home, cost 0); then each site's non-empty shares in order. The arcs of
    all items lie item after item in ``tails``, ``heads``, ``capacities`` and ``costs``, and the
    node supplies likewise in ``supplies``; ``networks()`` gives each item's slices.

    ``arc_*`` describe the route arcs of all items in that order: the demand row they serve
    (``arc_ask``, a position in ``problem.columns``' asks), the routed depot (``arc_r``), the
    source (``arc_source``), the minutes.
    """

    def __init__(self, problem: Problem):
        self.problem = problem
        c = problem.columns
        n_items, n_routed = len(problem.items), len(c.routed)
        steps = problem.fair_share_steps
        # every route into an asking site, by item, then site, then depot; kept when its depot may give
        count = c.route_count[c.ask_site]
        arc_ask = np.repeat(np.arange(len(c.ask_q)), count)
        arc_route = np.arange(len(arc_ask)) + np.repeat(c.route_first[c.ask_site] - (np.cumsum(count) - count), count)
        arc_r, arc_item = c.route_depot[arc_route], c.ask_item[arc_ask]
        arc_source = c.sources(arc_r, arc_item)
        give = c.source_giving[arc_source]
        keep = np.flatnonzero(give > 0)
        self.arc_ask, self.arc_r, self.arc_source = arc_ask[keep], arc_r[keep], arc_source[keep]
        self.arc_minutes, arc_item, arc_give = c.route_minutes[arc_route[keep]], arc_item[keep], give[keep]
        # items with a route arc have a network; their asks are its sites
        route_first = _first_of(arc_item, n_items)
        self.route_arcs = route_arcs = route_first[1:] - route_first[:-1]
        ask_first = _first_of(c.ask_item, n_items)
        sites_of = ask_first[1:] - ask_first[:-1]
        ask_rank = np.arange(len(c.ask_q)) - ask_first[c.ask_item]
        # the giving depots of each item, in id order
        pair, pair_of_arc = _ranked(arc_item * n_routed + self.arc_r, n_items * n_routed)
        pair_item = pair // max(n_routed, 1)
        pair_first = _first_of(pair_item, n_items)
        depots_of = pair_first[1:] - pair_first[:-1]
        pair_rank = np.arange(len(pair)) - pair_first[pair_item]
        pair_give = np.zeros(len(pair), dtype=np.int64)
        pair_give[pair_of_arc] = arc_give
        # shares of the asks of items with a network, by item, then site, then share
        asks = np.flatnonzero(route_arcs[c.ask_item] > 0)
        filled = c.ask_q[asks][:, None] * np.arange(steps + 1, dtype=np.int64) // steps
        sizes = (filled[:, 1:] - filled[:, :-1]).ravel()  # asks x shares
        share = np.flatnonzero(sizes)
        share_row, share_k = np.divmod(share, steps)
        share_ask = asks[share_row]
        share_item = c.ask_item[share_ask]
        share_first = _first_of(share_item, n_items)
        shares_of = share_first[1:] - share_first[:-1]
        # lay the arcs out item after item: routes, depots to the sink, shares
        arc_start = _starts(route_arcs + depots_of + shares_of)
        nodes_of = np.where(route_arcs > 0, 1 + depots_of + sites_of, 0)
        node_start = _starts(nodes_of)
        self.arc_start, self.node_start = arc_start, node_start
        tails, heads, capacities, costs = np.zeros((4, int(arc_start[-1])), dtype=np.int64)
        at = np.arange(len(keep)) + (arc_start[:-1] - route_first[:-1])[arc_item]
        tails[at] = 1 + pair_rank[pair_of_arc]
        heads[at] = (1 + depots_of)[arc_item] + ask_rank[self.arc_ask]
        capacities[at] = np.minimum(arc_give, c.ask_q[self.arc_ask])
        costs[at] = self.arc_minutes
        at = (arc_start[:-1] + route_arcs)[pair_item] + pair_rank
        tails[at] = 1 + pair_rank
        capacities[at] = pair_give
        at = np.arange(len(share_k)) + (arc_start[:-1] + route_arcs + depots_of - share_first[:-1])[share_item]
        tails[at] = (1 + depots_of)[share_item] + ask_rank[share_ask]
        capacities[at] = sizes[share]
        costs[at] = -np.array(_share_values(problem), dtype=np.int64)[share_k]
        self.tails, self.heads, self.capacities, self.costs = tails, heads, capacities, costs
        self.supplies = np.zeros(int(node_start[-1]), dtype=np.int64)
        self.supplies[node_start[pair_item] + 1 + pair_rank] = pair_give
        given = _starts(pair_give)
        self.supplies[node_start[:-1][nodes_of > 0]] = -(given[pair_first[1:]] - given[pair_first[:-1]])[nodes_of > 0]
        self.numbers = np.arange(max(nodes_of.max(initial=0), route_arcs.max(initial=0)))
        self.arc_item, self.arc_give = arc_item, arc_give

    def networks(self):
        """(item id, slice of its arcs, slice of its nodes, its route arcs) for every item that has a network."""
        items, arc_start, node_start = self.problem.items, self.arc_start.tolist(), self.node_start.tolist()
        route_arcs = self.route_arcs.tolist()
        for item in np.flatnonzero(self.route_arcs).tolist():
            yield (items[item], slice(arc_start[item], arc_start[item + 1]),
                   slice(node_start[item], node_start[item + 1]), route_arcs[item])


def _networks(problem: Problem):
    """Per item that is asked for: the depots that can give it, the sites asking, the routes between."""
    graph = _Graph(problem)
    c = problem.columns
    depots, sites = c.depot_ids, problem.sites
    asks: dict[str, dict[str, int]] = defaultdict(dict)
    for (site, item), quantity in problem.demand.items():
        if quantity > 0:
            asks[item][site] = quantity
    bounds = _first_of(graph.arc_item, len(problem.items)).tolist()
    arc_site = c.ask_site[graph.arc_ask].tolist()
    arc_r, arc_minutes, arc_give = graph.arc_r.tolist(), graph.arc_minutes.tolist(), graph.arc_give.tolist()
    for item, asking in sorted(asks.items()):
        code = problem.item_index[item]
        span = range(bounds[code], bounds[code + 1])
        arcs = [(depots[arc_r[n]], sites[arc_site[n]], arc_minutes[n]) for n in span]
        giving = {depots[arc_r[n]]: arc_give[n] for n in span}
        yield item, dict(sorted(giving.items())), asking, arcs


# --- extract ------------------------------------------------------------------------------


@contextmanager
def _no_cyclic_gc():
    """Pause the cyclic garbage collector while writing a plan's rows: they hold no cycles, and a
    collection pass every few hundred new dicts would walk the whole heap (the problem document
    included) for nothing. Reference counting frees everything as usual."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _plan_flows(problem: Problem, ask, r, source, minutes, units, status: str, objective: int) -> dict:
    """The plan document from flows given as arrays: demand row (an ask of ``problem.columns``),
    routed depot, source, route minutes and units of each."""
    c = problem.columns
    with _no_cyclic_gc():
        return _write_plan(c, ask, r, source, minutes, units, status, objective)


def _write_plan(c, ask, r, source, minutes, units, status: str, objective: int) -> dict:
    transfers = _split_into_lots(c, c.ask_site[ask], c.ask_item[ask], r, source, minutes, units)
    left = c.ask_q - np.bincount(ask, weights=units, minlength=len(c.ask_q)).astype(np.int64)
    short = c.ask_listed[left[c.ask_listed] > 0]
    unmet = [{"site": s, "item": i, "quantity": q} for s, i, q in zip(
        c.site_ids[c.ask_site[short]].tolist(), c.item_ids[c.ask_item[short]].tolist(), left[short].tolist())]
    return {"format": PLAN_FORMAT, "status": status, "objective": int(objective), "transfers": transfers,
            "unmet": unmet}


def _split_into_lots(c, site, item, r, source, minutes, units) -> list[dict]:
    """Split each (depot, item)'s outgoing flows into its usable lots, first-expiry-first-out.

    The flows out of one source, sites in id order, take consecutive stretches of the stream of
    its usable lots in FEFO order; a transfer row is the overlap of a flow's stretch with a lot.
    Rows come sorted by depot, site, item, and FEFO within.
    """
    n_sites = len(c.site_ids)
    order = np.argsort(source, kind="stable")  # sources are in (depot, item) order; sites already in order
    site, item, r, source = site[order], item[order], r[order], source[order]
    minutes, units = minutes[order], units[order]
    before = np.cumsum(units) - units  # units of the flows before, from every source
    first = np.ones(len(source), dtype=bool)
    np.not_equal(source[1:], source[:-1], out=first[1:])
    begin = c.source_begin[source] + before - np.maximum.accumulate(np.where(first, before, 0))
    end = begin + units
    first_lot = np.searchsorted(c.ship_cum, begin, side="right") - 1
    count = np.searchsorted(c.ship_cum, end, side="left") - first_lot
    flows = np.argsort((r * n_sites + site) * c.n_items + item, kind="stable")  # the order of the rows
    count = count[flows]
    row = np.repeat(flows, count)
    lot = np.arange(len(row)) + np.repeat(first_lot[flows] - (np.cumsum(count) - count), count)
    taken = np.minimum(end[row], c.ship_cum[lot + 1]) - np.maximum(begin[row], c.ship_cum[lot])
    keep = np.flatnonzero(taken > 0)
    row, lot = row[keep], lot[keep]
    return [
        {"from": d, "to": s, "item": i, "lot": k, "quantity": q, "minutes": m}
        for d, s, i, k, q, m in zip(c.depot_ids[r[row]].tolist(), c.site_ids[site[row]].tolist(),
                                    c.item_ids[item[row]].tolist(), c.ship_ids[lot].tolist(), taken[keep].tolist(),
                                    minutes[row].tolist())
    ]


def _plan(problem: Problem, flows: Flows, status: str, objective: int) -> dict:
    """The plan document from flows given as {(depot, site, item): units}."""
    c = problem.columns
    rows = [(d, s, i, u) for (d, s, i), u in flows.items() if u]
    depots, sites, items = problem.depot_index, problem.site_index, problem.item_index
    ask_of = {(s, i): n for n, (s, i) in enumerate(zip(c.ask_site.tolist(), c.ask_item.tolist()))}
    ask, depot, item, minutes, units = _int_columns(
        [(ask_of[sites[s], items[i]], depots[d], items[i], problem.routes[d, s], u) for d, s, i, u in rows], 5)
    r = np.searchsorted(c.routed, depot)
    return _plan_flows(problem, ask, r, c.sources(r, item), minutes, units, status, objective)


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
