"""Routing plan documents (format ``routing-plan/1``): write one from routes, and check one against
its problem (``check_plan``, every rule of "What a plan must satisfy" in the contract).

A route is the vehicle and its visits in order: a stop's index, or ``RELOAD`` for a return to the
vehicle's start to load the next trip. Times are the earliest schedule: the vehicle leaves its start at
``available_from``, waits where it arrives before a window opens, and loads ``reload_minutes`` at each
reload. When any schedule keeps every window and ``available_until``, this one does.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from transport.problem import Problem, Vehicle, parse_problem

PLAN_FORMAT = "routing-plan/1"
RELOAD = None
REASONS = ("no_vehicle", "too_late", "no_capacity")


@dataclass
class Schedule:
    entries: list[dict]  # the plan's "stops" of the route
    back: int
    minutes: int  # travel only
    load: list[int]
    broken: list[str] = field(default_factory=list)  # rules the route breaks (empty: feasible)


def schedule(problem: Problem, vehicle: Vehicle, visits: list[int | None]) -> Schedule:
    """The earliest schedule of ``vehicle`` driving ``visits`` and the rules it breaks, if any."""
    m = problem.minutes
    width = len(problem.dimensions)
    here, clock, travel = vehicle.start, vehicle.available_from, 0
    total = [0] * width
    trip = [0] * width
    trips = 1
    entries: list[dict] = []
    broken: list[str] = []
    for visit in visits:
        if visit is RELOAD:
            trips += 1
            travel += m[here][vehicle.start]
            arrive = clock + m[here][vehicle.start]
            clock = arrive + vehicle.reload_minutes
            here = vehicle.start
            entries.append({"reload": True, "arrive": arrive, "leave": clock})
            trip = [0] * width
            continue
        stop = problem.stops[visit]
        if not stop.may_ride(vehicle):
            broken.append(f"{stop.id} may not ride on {vehicle.id} (from another start)")
        travel += m[here][stop.location]
        arrive = clock + m[here][stop.location]
        start = max(arrive, stop.earliest)
        if stop.latest is not None and start > stop.latest:
            broken.append(f"{stop.id} starts at {start}, after its window closes at {stop.latest}")
        clock = start + stop.service_minutes
        here = stop.location
        entries.append({"stop": stop.id, "arrive": arrive, "start": start, "leave": clock})
        for d in range(width):
            trip[d] += stop.load[d]
            total[d] += stop.load[d]
            if trip[d] > vehicle.capacity[d]:
                broken.append(f"trip {trips} of {vehicle.id} carries {trip[d]} {problem.dimensions[d]}, "
                              f"over its capacity {vehicle.capacity[d]}")
    travel += m[here][vehicle.end]
    back = clock + m[here][vehicle.end]
    if trips > vehicle.max_trips:
        broken.append(f"{vehicle.id} makes {trips} trips, more than its max_trips {vehicle.max_trips}")
    if vehicle.available_until is not None and back > vehicle.available_until:
        broken.append(f"{vehicle.id} is back at {back}, after available_until {vehicle.available_until}")
    return Schedule(entries, back, travel, total, broken)


def build_plan(problem: Problem, routes: list[tuple[int, list[int | None]]], unserved: list[tuple[int, str]],
               solve_seconds: float, optimal: bool) -> dict:
    """The routing-plan/1 document of ``routes`` (vehicle index, visits); routes with no stop are left out."""
    out = []
    for v, visits in routes:
        while visits and visits[-1] is RELOAD:  # a reload with nothing after it carries nothing
            visits = visits[:-1]
        while visits and visits[0] is RELOAD:
            visits = visits[1:]
        visits = [x for i, x in enumerate(visits) if not (x is RELOAD and visits[i - 1] is RELOAD)]
        if not visits:
            continue
        vehicle = problem.vehicles[v]
        s = schedule(problem, vehicle, visits)
        out.append({"vehicle": vehicle.id, "minutes": s.minutes, "load": s.load, "stops": s.entries,
                    "back": s.back})
    return {
        "format": PLAN_FORMAT,
        "status": "optimal" if optimal else "feasible",
        "routes": out,
        "unserved": [{"stop": problem.stops[i].id, "reason": reason} for i, reason in unserved],
        "total_minutes": sum(r["minutes"] for r in out),
        "vehicles_used": len(out),
        "solve_seconds": round(solve_seconds, 2),
    }


def check_plan(problem: Problem | dict, plan: dict) -> list[str]:
    """Every way ``plan`` breaks the contract for ``problem`` (a document or a parsed one); [] if none."""
    if isinstance(problem, dict):
        problem = parse_problem(problem)
    broken: list[str] = []
    if plan.get("format") != PLAN_FORMAT:
        broken.append(f"format is {plan.get('format')!r}, not {PLAN_FORMAT!r}")
    if plan.get("status") not in ("optimal", "feasible"):
        broken.append(f"status {plan.get('status')!r} is neither optimal nor feasible")
    vehicles = {v.id: v for v in problem.vehicles}
    stops = {s.id: i for i, s in enumerate(problem.stops)}
    seen: dict[str, str] = {}
    used: set[str] = set()
    total = 0
    for r, route in enumerate(plan.get("routes", [])):
        vehicle = vehicles.get(route.get("vehicle"))
        if vehicle is None:
            broken.append(f"routes[{r}]: unknown vehicle {route.get('vehicle')!r}")
            continue
        if vehicle.id in used:
            broken.append(f"routes[{r}]: vehicle {vehicle.id} has more than one route")
        used.add(vehicle.id)
        visits: list[int | None] = []
        for entry in route.get("stops", []):
            if entry.get("reload") is True:
                visits.append(RELOAD)
            elif entry.get("stop") in stops:
                visits.append(stops[entry["stop"]])
                if entry["stop"] in seen:
                    broken.append(f"stop {entry['stop']} is on more than one route or twice")
                seen[entry["stop"]] = "route"
            else:
                broken.append(f"routes[{r}]: unknown stop {entry.get('stop')!r}")
        if not any(v is not RELOAD for v in visits):
            broken.append(f"routes[{r}]: a route with no stop")
        s = schedule(problem, vehicle, visits)
        broken += [f"routes[{r}]: {why}" for why in s.broken]
        broken += _times(r, vehicle, problem, visits, route, s)
        if route.get("minutes") != s.minutes:
            broken.append(f"routes[{r}]: minutes {route.get('minutes')} but its travel is {s.minutes}")
        if route.get("load") != s.load:
            broken.append(f"routes[{r}]: load {route.get('load')} but its stops carry {s.load}")
        total += route.get("minutes") or 0
    for u in plan.get("unserved", []):
        if u.get("stop") not in stops:
            broken.append(f"unserved: unknown stop {u.get('stop')!r}")
            continue
        if u["stop"] in seen:
            broken.append(f"stop {u['stop']} is both served and unserved, or unserved twice")
        seen[u["stop"]] = "unserved"
        if u.get("reason") not in REASONS:
            broken.append(f"unserved stop {u['stop']}: reason {u.get('reason')!r} is not one of {REASONS}")
    for sid in stops:
        if sid not in seen:
            broken.append(f"stop {sid} is neither on a route nor unserved")
    if plan.get("total_minutes") != total:
        broken.append(f"total_minutes {plan.get('total_minutes')} is not the routes' sum {total}")
    if plan.get("vehicles_used") != len(used):
        broken.append(f"vehicles_used {plan.get('vehicles_used')} but {len(used)} vehicles have routes")
    if not isinstance(plan.get("solve_seconds"), (int, float)) or plan["solve_seconds"] < 0:
        broken.append("solve_seconds is not a non-negative number")
    return broken


def _times(r: int, vehicle: Vehicle, problem: Problem, visits, route: dict, s: Schedule) -> list[str]:
    """The reported times against the travel, windows, service and loading minutes (waiting allowed only
    before leaving the start and before a window opens)."""
    broken = []
    m = problem.minutes
    here, leave = vehicle.start, None
    for k, (visit, entry) in enumerate(zip(visits, route.get("stops", []))):
        at = vehicle.start if visit is RELOAD else problem.stops[visit].location
        arrive, left = entry.get("arrive"), entry.get("leave")
        if not all(isinstance(x, int) for x in (arrive, left)):
            broken.append(f"routes[{r}].stops[{k}]: arrive and leave must be whole minutes")
            return broken
        if leave is None:
            if arrive < vehicle.available_from + m[here][at]:
                broken.append(f"routes[{r}].stops[{k}]: arrives at {arrive}, before the vehicle can get there")
        elif arrive != leave + m[here][at]:
            broken.append(f"routes[{r}].stops[{k}]: arrives at {arrive}, not {leave} + {m[here][at]} minutes")
        if visit is RELOAD:
            if left != arrive + vehicle.reload_minutes:
                broken.append(f"routes[{r}].stops[{k}]: a reload takes {vehicle.reload_minutes} minutes")
        else:
            stop = problem.stops[visit]
            start = entry.get("start")
            if not isinstance(start, int) or start < arrive or start < stop.earliest:
                broken.append(f"routes[{r}].stops[{k}]: start {start} before arrival or before the window opens")
            elif stop.latest is not None and start > stop.latest:
                broken.append(f"routes[{r}].stops[{k}]: start {start} after the window closes at {stop.latest}")
            elif left != start + stop.service_minutes:
                broken.append(f"routes[{r}].stops[{k}]: leave {left} is not start + {stop.service_minutes}")
        here, leave = at, left
    if leave is not None:
        back = route.get("back")
        if back != leave + m[here][vehicle.end]:
            broken.append(f"routes[{r}]: back {back}, not {leave} + {m[here][vehicle.end]} minutes")
        elif vehicle.available_until is not None and back > vehicle.available_until:
            broken.append(f"routes[{r}]: back at {back}, after available_until {vehicle.available_until}")
    return broken
