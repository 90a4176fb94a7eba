"""The solve: a ``Problem`` → routes and unserved stops, with PyVRP (hybrid search, iterated local search).

How the contract maps onto PyVRP 0.14:

- one PyVRP location per depot and per stop (several stops may share a place), travel minutes as both
  distance (the cost, one per minute) and duration; ``fixed_cost`` as the vehicle type's fixed cost;
- identical vehicles are one vehicle type with ``num_available``; ``available_from``/``available_until``
  its shift, ``max_trips`` − 1 reloads at its start depot;
- reload minutes: PyVRP loads at the start depot of *every* trip, the first one included (the depot's
  ``service_duration``), so each start depot is keyed by (place, reload minutes) and the vehicle's shift
  opens ``reload_minutes`` early — the first loading then ends exactly at ``available_from``; all
  times are shifted by the largest reload so that none is negative;
- ``from``: one routing profile per start place, where a stop whose ``from`` is another place costs more
  to reach and to leave than any prize (its travel minutes stay as they are: a huge duration would
  overflow PyVRP's time-warp penalty), so no vehicle of that profile takes it;
- serving load first: every stop is first required; when no plan serving them all is found in part of
  the time (or the load clearly exceeds the fleet), the stops become optional with a prize of
  ``load × W`` (first dimension), W above any plan's minutes plus fixed costs, so that serving one
  more unit of load beats any saving in minutes.

Stops no eligible vehicle can serve even alone never reach PyVRP: ``no_vehicle`` when no eligible
vehicle can serve it within its own availability ignoring the stop's window, else ``too_late``. Stops
PyVRP leaves out are ``no_capacity``. Every route coming back is checked again (``plan.schedule``); a
stop breaking a rule there would be taken off (none has been seen) and listed as ``no_capacity``.
"""
from __future__ import annotations

import time
import warnings
from dataclasses import dataclass

import numpy as np
from pyvrp import Client, Depot, Location, ProblemData, SolveParams, VehicleType, solve
from pyvrp.exceptions import PenaltyBoundWarning
from pyvrp.PenaltyManager import PenaltyParams

from transport.plan import RELOAD, schedule
from transport.problem import Problem, Stop, Vehicle

SEED = 20261205
EXPLORE_SHARE = 0.3  # of the time limit: with no plan serving every stop by then, stops become optional
MAX_PRIZE = 10 ** 12  # a stop's prize at most; a forbidden edge costs more (and costs stay far from 2**63)
SMALL, SETTLED = 12, 20_000
MAX_PENALTY = 10 ** 8  # per unit of excess load or time warp, for the optional stage


@dataclass
class Solution:
    routes: list[tuple[int, list[int | None]]]  # vehicle index, visits (stop index or RELOAD)
    unserved: list[tuple[int, str]]  # stop index, reason
    optimal: bool


def alone_reason(problem: Problem, stop: Stop) -> str | None:
    """Why no eligible vehicle can serve the stop even with nothing else to do, or None if one can."""
    m = problem.minutes
    in_time = False
    for v in problem.eligible(stop):
        arrive = v.available_from + m[v.start][stop.location]
        start = max(arrive, stop.earliest)
        back = start + stop.service_minutes + m[stop.location][v.end]
        if v.available_until is not None and back - max(0, start - arrive) > v.available_until:
            continue  # even without waiting for the window it is not back in time
        in_time = True
        if (stop.latest is None or start <= stop.latest) and (v.available_until is None or back <= v.available_until):
            return None
    return "too_late" if in_time else "no_vehicle"


def _vehicle_key(v: Vehicle) -> tuple:
    return (v.start, v.end, v.capacity, v.available_from, v.available_until, v.fixed_cost, v.max_trips,
            v.reload_minutes)


def solve_problem(problem: Problem, time_limit: float | None = None) -> Solution:
    with warnings.catch_warnings():  # PyVRP says when its penalties reach their bound: part of the search
        warnings.simplefilter("ignore", PenaltyBoundWarning)
        return _solve(problem, time_limit)


def _solve(problem: Problem, time_limit: float | None) -> Solution:
    limit = float(time_limit if time_limit is not None else problem.time_limit_seconds)
    started = time.perf_counter()
    unserved: list[tuple[int, str]] = []
    todo: list[int] = []
    for i, stop in enumerate(problem.stops):
        reason = alone_reason(problem, stop)
        if reason is None:
            todo.append(i)
        else:
            unserved.append((i, reason))
    if not todo:
        return Solution([], unserved, optimal=True)

    model = _Model(problem, todo)
    overloaded = any(
        sum(problem.stops[i].load[d] for i in todo) > sum(v.capacity[d] * v.max_trips for v in problem.vehicles)
        for d in range(len(problem.dimensions)))
    routes = None
    small = len(todo) <= SMALL
    if not overloaded:
        result = solve(model.data(required=True), _Stop(started, limit, give_up=EXPLORE_SHARE * limit, small=small),
                       seed=SEED, collect_stats=False, display=False)
        if result.best.is_feasible():
            routes = model.routes(result.best)
    if routes is None:
        params = SolveParams(penalty=PenaltyParams(max_penalty=float(min(model.prize_unit * 10, MAX_PENALTY))))
        result = solve(model.data(required=False), _Stop(started, limit, small=small), seed=SEED, collect_stats=False,
                       display=False, params=params)
        routes = model.routes(result.best)
    routes, dropped = _repair(problem, routes)
    served = {i for _, visits in routes for i in visits if i is not RELOAD}
    unserved += [(i, "no_capacity") for i in todo if i not in served]
    unserved.sort()
    return Solution(routes, unserved, optimal=False)


class _Stop:
    """Stops at the time limit; with ``give_up``, also once that many seconds passed with no feasible plan;
    on a small problem (``SMALL`` stops or fewer) also after ``SETTLED`` iterations without a better plan
    (such a search has long converged; the answer then no longer depends on the machine's speed)."""

    def __init__(self, started: float, limit: float, give_up: float | None = None, small: bool = False):
        self.started, self.limit, self.give_up, self.small = started, limit, give_up, small
        self.best, self.quiet = None, 0

    def __call__(self, best_cost: float) -> bool:
        elapsed = time.perf_counter() - self.started
        if elapsed >= self.limit:
            return True
        if self.small:
            self.quiet = 0 if self.best is None or best_cost < self.best else self.quiet + 1
            self.best = best_cost if self.best is None else min(self.best, best_cost)
            if self.quiet >= SETTLED and best_cost < 2 ** 62:
                return True
        return self.give_up is not None and elapsed >= self.give_up and best_cost >= 2 ** 62


class _Model:
    """The PyVRP data of a problem's stops ``todo``, and the way back from PyVRP's routes."""

    def __init__(self, problem: Problem, todo: list[int]):
        self.problem = problem
        self.todo = todo
        vehicles = problem.vehicles
        self.offset = max(v.reload_minutes for v in vehicles)
        depots: dict[tuple[int, int], int] = {}

        def depot(place: int, reload: int) -> int:
            return depots.setdefault((place, reload), len(depots))

        types: dict[tuple, list[int]] = {}
        for k, v in enumerate(vehicles):
            types.setdefault(_vehicle_key(v), []).append(k)
            depot(v.start, v.reload_minutes)
            depot(v.end, 0)
        self.types = list(types.values())
        self.depots = depots
        places = [place for place, _ in depots] + [problem.stops[i].location for i in todo]
        matrix = np.asarray(problem.minutes, dtype=np.int64)
        base = matrix[np.ix_(places, places)]
        # from-restrictions: one profile per start place when some stop is kept from some vehicle
        starts = sorted({v.start for v in vehicles})
        restricted = any(problem.stops[i].source is not None and len(starts) > 1 for i in todo)
        self.profile_of = {s: (starts.index(s) if restricted else 0) for s in starts}
        n = len(todo)
        biggest = int(base.max()) if base.size else 0
        bound = sum(v.fixed_cost for v in vehicles) + 2 * n * biggest + 1
        top = max([problem.stops[i].load[0] for i in todo] + [1])
        self.prize_unit = max(1, min(bound, MAX_PRIZE // top))
        forbidden = 2 * (top * self.prize_unit + bound)
        self.durations = [base]
        self.distances = []
        for s in (starts if restricted else [None]):
            mat = base.copy()
            if s is not None:
                for c, i in enumerate(todo):
                    source = problem.stops[i].source
                    if source is not None and source != s:
                        at = len(depots) + c
                        mat[at, :] = forbidden
                        mat[:, at] = forbidden
                        mat[at, at] = 0
            self.distances.append(mat)
        self.durations = [base] * len(self.distances)

    def data(self, *, required: bool) -> ProblemData:
        problem, off = self.problem, self.offset
        locations = [Location(0, 0) for _ in range(len(self.depots) + len(self.todo))]
        depots = [Depot(location=k, service_duration=reload) for k, (_, reload) in enumerate(self.depots)]
        clients = []
        for c, i in enumerate(self.todo):
            s = problem.stops[i]
            clients.append(Client(
                location=len(self.depots) + c, delivery=list(s.load), service_duration=s.service_minutes,
                tw_early=s.earliest + off, tw_late=(s.latest + off) if s.latest is not None else np.iinfo(np.int64).max,
                prize=0 if required else s.load[0] * self.prize_unit, required=required))
        types = []
        for members in self.types:
            v = problem.vehicles[members[0]]
            start = self.depots[(v.start, v.reload_minutes)]
            extra = {}
            if v.max_trips > 1:
                extra = {"reload_depots": [start], "max_reloads": v.max_trips - 1}
            types.append(VehicleType(
                num_available=len(members), capacity=list(v.capacity), start_depot=start,
                end_depot=self.depots[(v.end, 0)], fixed_cost=v.fixed_cost,
                tw_early=v.available_from + off - v.reload_minutes,
                tw_late=(v.available_until + off) if v.available_until is not None else np.iinfo(np.int64).max,
                profile=self.profile_of[v.start], **extra))
        return ProblemData(locations, clients, depots, types, self.distances, self.durations)

    def routes(self, solution) -> list[tuple[int, list[int | None]]]:
        free = [list(members) for members in self.types]
        routes = []
        for route in solution.routes():
            acts = list(route)
            visits: list[int | None] = []
            for act in acts[1:-1]:
                visits.append(self.todo[act.idx] if act.is_client() else RELOAD)
            routes.append((free[route.vehicle_type()].pop(0), visits))
        routes.sort()
        return routes


def _repair(problem: Problem, routes):
    """Takes off any stop that makes its route break a rule (a safety net: PyVRP's feasible routes pass)."""
    kept, dropped = [], []
    for v, visits in routes:
        visits = list(visits)
        while visits and schedule(problem, problem.vehicles[v], visits).broken:
            carried = [k for k, x in enumerate(visits) if x is not RELOAD]
            if not carried:
                visits = []
                break
            dropped.append(visits.pop(carried[-1]))
        kept.append((v, visits))
    return kept, dropped
