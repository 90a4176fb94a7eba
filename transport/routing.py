"""The routing-problem/1 document of an incident's truckloads (plain Python, no database; see
../shared/contracts/routing.md), and the timing of a route the dispatcher changed by hand.

Locations are the source depots, the vehicles' depots and the destinations; minutes between them are the imported
road-network times where there are (either direction), else the estimate from coordinates of ``dispatch.travel``
without its handling minutes (loading and unloading are the stops' ``service_minutes`` and the reloads'
``reload_minutes`` here). A stop's window closes at the response level's time target, counted from the
declaration: ``latest`` minutes after the plan's time zero. Once the target has passed (``latest`` 0 or None) the
stops have no window: late supplies are still delivered, as soon as they can be, and the routes page marks them
late. A stop no called-in vehicle can carry from its source
is left out of the document and reported unserved (``no_vehicle``) by the caller, as the contract refuses it.
"""
import math
from dataclasses import dataclass

from dispatch.travel import TravelSettings, great_circle_km
from transport.loads import Load

FORMAT = "routing-problem/1"
DIMENSIONS = ["kg", "m3x100"]


@dataclass(frozen=True)
class Place:
    code: str
    lat: float
    lon: float
    tier: str  # county / town / village of a depot; "village" for a shelter (the roads of the last mile)


@dataclass(frozen=True)
class Truck:
    plate: str
    start: str  # depot code
    kg: int
    m3x100: int
    available_from: int = 0


@dataclass(frozen=True)
class Timing:
    service_minutes: int = 30
    reload_minutes: int = 30
    max_trips: int = 3
    time_limit_seconds: int = 5


def travel_minutes(travel: TravelSettings, a: Place, b: Place, overrides: dict[tuple[str, str], int]) -> int:
    if a.code == b.code:
        return 0
    known = overrides.get((a.code, b.code), overrides.get((b.code, a.code)))
    if known is not None:
        return int(known)
    km = great_circle_km(a.lat, a.lon, b.lat, b.lon) * travel.detour_factor
    slower = min(travel.speed(a.tier), travel.speed(b.tier))
    return math.ceil(km / slower * 60)


def carriable(load: Load, trucks: list[Truck]) -> bool:
    return any(t.start == load.source and load.kg <= t.kg and load.m3x100 <= t.m3x100 for t in trucks)


def build_problem(places: dict[str, Place], overrides: dict[tuple[str, str], int], travel: TravelSettings,
                  trucks: list[Truck], loads: list[Load], latest: int | None, timing: Timing) -> dict:
    """The document for ``loads`` carried by ``trucks``; ``loads`` that no truck can carry are the caller's to
    leave out (``carriable``). Every code named must be in ``places``."""
    codes = list(dict.fromkeys([*(t.start for t in trucks), *(x.source for x in loads), *(x.location for x in loads)]))
    matrix = [[travel_minutes(travel, places[a], places[b], overrides) for b in codes] for a in codes]
    return {
        "format": FORMAT,
        "dimensions": list(DIMENSIONS),
        "locations": codes,
        "minutes": matrix,
        "vehicles": [{"id": t.plate, "start": t.start, "end": t.start, "capacity": [t.kg, t.m3x100],
                      "available_from": t.available_from, "fixed_cost": 0, "max_trips": timing.max_trips,
                      "reload_minutes": timing.reload_minutes} for t in trucks],
        "stops": [{"id": x.stop, "location": x.location, "from": x.source, "load": [x.kg, x.m3x100],
                   "service_minutes": timing.service_minutes, **({"window": [0, latest]} if latest else {})}
                  for x in loads],
        "time_limit_seconds": timing.time_limit_seconds,
    }


def time_route(minutes, start: str, truck_capacity: tuple[int, int], stops: list[tuple[str, tuple[int, int]]],
               timing: Timing, available_from: int = 0) -> list[dict]:
    """Arrival times of stops ((location, load)) visited in this order from ``start``, going back to reload when
    the next load would not fit the truck: [{"arrive", "leave", "trip"}] one per stop. ``minutes(a, b)``."""
    t, here, trip, carried = available_from, start, 1, (0, 0)
    timed = []
    for location, load in stops:
        if carried != (0, 0) and (carried[0] + load[0] > truck_capacity[0] or carried[1] + load[1] > truck_capacity[1]):
            t += minutes(here, start) + timing.reload_minutes
            here, trip, carried = start, trip + 1, (0, 0)
        t += minutes(here, location)
        timed.append({"arrive": t, "leave": t + timing.service_minutes, "trip": trip})
        t += timing.service_minutes
        here, carried = location, (carried[0] + load[0], carried[1] + load[1])
    return timed
