"""Routing problem documents (format ``routing-problem/1``): read and check into plain dataclasses.

Every broken rule of the contract is collected with its field path (``stops[3].load``,
``minutes[2][5]``) and raised at once as one ``BadRoutingProblem``. Unknown keys are ignored; every
number must be a whole number (a JSON ``true`` or ``2.5`` is refused).
"""
from __future__ import annotations

from dataclasses import dataclass

from common.errors import InvalidInput

PROBLEM_FORMAT = "routing-problem/1"
DEFAULT_TIME_LIMIT = 5
MAX_TIME_LIMIT = 600  # seconds one solve may be given
MAX_NUMBER = 1_000_000_000  # minutes, load units and costs: beyond this a document is a mistake
MAX_LOCATIONS = 2_000
MAX_STOPS = 2_000
MAX_VEHICLES = 1_000
MAX_DIMENSIONS = 8
MAX_TRIPS = 100
MAX_ERRORS = 100  # errors listed in one answer; the count says how many there were


class BadRoutingProblem(InvalidInput):
    """The document breaks the routing contract: a 422 whose ``fields`` maps each path to why."""

    code = "bad_routing_problem"

    def __init__(self, errors: list[dict[str, str]]):
        self.errors = list(errors)
        shown = self.errors[:MAX_ERRORS]
        summary = "; ".join(f"{e['path']}: {e['message']}" for e in shown[:5]) + ("; …" if len(shown) > 5 else "")
        super().__init__(f"not a valid routing problem ({len(self.errors)} error(s)): {summary}",
                         fields={e["path"]: e["message"] for e in shown},
                         problems_more=(len(self.errors) - len(shown)) or None)


@dataclass(frozen=True)
class Vehicle:
    id: str
    start: int  # location index
    end: int
    capacity: tuple[int, ...]
    available_from: int = 0
    available_until: int | None = None
    fixed_cost: int = 0
    max_trips: int = 1
    reload_minutes: int = 0


@dataclass(frozen=True)
class Stop:
    id: str
    location: int
    source: int | None  # the contract's ``from``: the only start a carrying vehicle may have
    load: tuple[int, ...]
    service_minutes: int = 0
    earliest: int = 0  # window[0]
    latest: int | None = None  # window[1]: latest start of service

    def may_ride(self, vehicle: Vehicle) -> bool:
        return self.source is None or self.source == vehicle.start

    def fits(self, vehicle: Vehicle) -> bool:
        return all(load <= cap for load, cap in zip(self.load, vehicle.capacity))


@dataclass(frozen=True)
class Problem:
    dimensions: tuple[str, ...]
    locations: tuple[str, ...]
    minutes: tuple[tuple[int, ...], ...]
    vehicles: tuple[Vehicle, ...]
    stops: tuple[Stop, ...]
    time_limit_seconds: int = DEFAULT_TIME_LIMIT

    def eligible(self, stop: Stop) -> list[Vehicle]:
        """The vehicles that may carry the stop and can hold its load."""
        return [v for v in self.vehicles if stop.may_ride(v) and stop.fits(v)]


class _Errors:
    def __init__(self):
        self.items: list[dict[str, str]] = []

    def add(self, path: str, message: str) -> None:
        self.items.append({"path": path, "message": message})

    def __bool__(self):
        return bool(self.items)


_MISSING = object()


def _whole(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _number(errors: _Errors, path: str, value, *, default=_MISSING, low: int = 0, high: int = MAX_NUMBER):
    """A whole number from ``low`` to ``high``; the default when the key is absent; None when refused."""
    if value is _MISSING:
        if default is _MISSING:
            errors.add(path, "is required")
        return None if default is _MISSING else default
    if not _whole(value):
        errors.add(path, f"must be a whole number, got {value!r}")
        return None
    if not low <= value <= high:
        errors.add(path, f"must be from {low:,} to {high:,}, got {value:,}")
        return None
    return value


def _id(errors: _Errors, path: str, value, seen: set) -> str | None:
    if not isinstance(value, str) or not value.strip():
        errors.add(path, "must be a non-empty string")
        return None
    if value in seen:
        errors.add(path, f"duplicate id {value!r}")
        return None
    seen.add(value)
    return value


def _location(errors: _Errors, path: str, value, index: dict[str, int] | None):
    if value is _MISSING:
        errors.add(path, "is required")
        return None
    if not isinstance(value, str):
        errors.add(path, f"must be a location id (a string), got {value!r}")
        return None
    if index is None:  # the locations list itself is broken: already said
        return None
    if value not in index:
        errors.add(path, f"unknown location {value!r}")
        return None
    return index[value]


def _amounts(errors: _Errors, path: str, value, width: int | None, what: str):
    if value is _MISSING:
        errors.add(path, "is required")
        return None
    if not isinstance(value, list):
        errors.add(path, f"must be a list of whole numbers, one per dimension, got {value!r}")
        return None
    if width is not None and len(value) != width:
        errors.add(path, f"must have {width} whole number(s), one per dimension, got {len(value)}")
        return None
    amounts = []
    for i, amount in enumerate(value):
        if not _whole(amount):
            errors.add(f"{path}[{i}]", f"{what} must be a whole number, got {amount!r}")
        elif amount < 0:
            errors.add(f"{path}[{i}]", f"{what} must not be negative, got {amount}")
        elif amount > MAX_NUMBER:
            errors.add(f"{path}[{i}]", f"{what} must be at most {MAX_NUMBER:,}, got {amount:,}")
        else:
            amounts.append(amount)
    return tuple(amounts) if len(amounts) == len(value) and width is not None else None


def _list(errors: _Errors, path: str, value, most: int, *, required: bool = True):
    if value is _MISSING and not required:
        return []
    if not isinstance(value, list):
        errors.add(path, "is required" if value is _MISSING else f"must be a list, got {type(value).__name__}")
        return None
    if len(value) > most:
        errors.add(path, f"must have at most {most:,} entries, got {len(value):,}")
        return None
    return value


def _dimensions(errors: _Errors, doc: dict):
    value = _list(errors, "dimensions", doc.get("dimensions", _MISSING), MAX_DIMENSIONS)
    if value is None:
        return None
    if not value:
        errors.add("dimensions", "must name at least one capacity dimension")
        return None
    seen: set = set()
    names = [_id(errors, f"dimensions[{i}]", name, seen) for i, name in enumerate(value)]
    return tuple(names) if None not in names else None


def _locations(errors: _Errors, doc: dict):
    value = _list(errors, "locations", doc.get("locations", _MISSING), MAX_LOCATIONS)
    if value is None:
        return None
    if not value:
        errors.add("locations", "must list at least one location")
        return None
    seen: set = set()
    names = [_id(errors, f"locations[{i}]", name, seen) for i, name in enumerate(value)]
    return tuple(names) if None not in names else None


def _matrix(errors: _Errors, doc: dict, size: int | None):
    value = doc.get("minutes", _MISSING)
    if not isinstance(value, list):
        errors.add("minutes", "is required" if value is _MISSING else "must be a list of rows (a square matrix)")
        return None
    ok = size is not None
    if size is not None and len(value) != size:
        errors.add("minutes", f"must be square: {size} rows of {size}, one per location, got {len(value)} rows")
        ok = False
    rows = []
    for i, row in enumerate(value[:MAX_LOCATIONS]):
        if not isinstance(row, list) or (size is not None and len(row) != size):
            got = f"{len(row)} entries" if isinstance(row, list) else repr(row)
            errors.add(f"minutes[{i}]", f"must be square: each row has {size} entries, got {got}"
                       if size is not None else f"must be a list of minutes, got {got}")
            ok = False
            continue
        if all(_whole(m) and 0 <= m <= MAX_NUMBER for m in row) and (i >= len(row) or row[i] == 0):
            rows.append(tuple(row))
            continue
        ok = False
        for j, m in enumerate(row):
            if not _whole(m):
                errors.add(f"minutes[{i}][{j}]", f"must be a whole number of minutes, got {m!r}")
            elif m < 0:
                errors.add(f"minutes[{i}][{j}]", f"must not be negative, got {m}")
            elif m > MAX_NUMBER:
                errors.add(f"minutes[{i}][{j}]", f"must be at most {MAX_NUMBER:,}, got {m:,}")
            elif i == j and m != 0:
                errors.add(f"minutes[{i}][{j}]", f"the diagonal must be 0 (a location to itself), got {m}")
    return tuple(rows) if ok else None


def _vehicles(errors: _Errors, doc: dict, index, width):
    value = _list(errors, "vehicles", doc.get("vehicles", _MISSING), MAX_VEHICLES)
    if value is None:
        return None
    seen: set = set()
    vehicles = []
    for i, raw in enumerate(value):
        path = f"vehicles[{i}]"
        if not isinstance(raw, dict):
            errors.add(path, "must be an object")
            vehicles.append(None)
            continue
        get = raw.get
        vid = _id(errors, f"{path}.id", get("id", _MISSING), seen)
        start = _location(errors, f"{path}.start", get("start", _MISSING), index)
        end = _location(errors, f"{path}.end", get("end", _MISSING), index) if "end" in raw else start
        capacity = _amounts(errors, f"{path}.capacity", get("capacity", _MISSING), width, "a capacity")
        available_from = _number(errors, f"{path}.available_from", get("available_from", _MISSING), default=0)
        until = get("available_until", _MISSING)
        available_until = None if until is None else _number(errors, f"{path}.available_until", until, default=None)
        if available_until is not None and available_from is not None and available_until < available_from:
            errors.add(f"{path}.available_until",
                       f"must not be before available_from ({available_from}), got {available_until}")
            available_until = None
        fixed_cost = _number(errors, f"{path}.fixed_cost", get("fixed_cost", _MISSING), default=0)
        max_trips = _number(errors, f"{path}.max_trips", get("max_trips", _MISSING), default=1, low=1, high=MAX_TRIPS)
        reload = _number(errors, f"{path}.reload_minutes", get("reload_minutes", _MISSING), default=0)
        fields = (vid, start, end, capacity, available_from, fixed_cost, max_trips, reload)
        if "end" in raw and end is None:
            fields = None
        vehicles.append(None if fields is None or None in fields else Vehicle(
            vid, start, end, capacity, available_from, available_until, fixed_cost, max_trips, reload))
    return vehicles


def _stops(errors: _Errors, doc: dict, index, width, vehicles):
    value = _list(errors, "stops", doc.get("stops", _MISSING), MAX_STOPS)
    if value is None:
        return None
    seen: set = set()
    stops = []
    for i, raw in enumerate(value):
        path = f"stops[{i}]"
        if not isinstance(raw, dict):
            errors.add(path, "must be an object")
            stops.append(None)
            continue
        get = raw.get
        sid = _id(errors, f"{path}.id", get("id", _MISSING), seen)
        location = _location(errors, f"{path}.location", get("location", _MISSING), index)
        source = get("from")
        source_ok = True
        if source is not None:
            source = _location(errors, f"{path}.from", source, index)
            source_ok = source is not None
        load = _amounts(errors, f"{path}.load", get("load", _MISSING), width, "a load")
        service = _number(errors, f"{path}.service_minutes", get("service_minutes", _MISSING), default=0)
        earliest, latest, window_ok = 0, None, True
        window = get("window")
        if window is not None:
            if not isinstance(window, list) or len(window) != 2:
                errors.add(f"{path}.window", f"must be [earliest, latest] in minutes, got {window!r}")
                window_ok = False
            else:
                earliest = _number(errors, f"{path}.window[0]", window[0])
                latest = _number(errors, f"{path}.window[1]", window[1])
                window_ok = earliest is not None and latest is not None
                if window_ok and latest < earliest:
                    errors.add(f"{path}.window", f"ends before it starts: [{earliest}, {latest}]")
                    window_ok = False
        if None in (sid, location, load, service) or not source_ok or not window_ok:
            stops.append(None)
            continue
        stop = Stop(sid, location, source, load, service, earliest, latest)
        if vehicles is not None and None not in vehicles:
            may = [v for v in vehicles if stop.may_ride(v)]
            if not may and source is None:
                errors.add(f"{path}.load", "no vehicle that may carry it can hold it: there are no vehicles")
            elif not may:  # said of both: the load no vehicle may carry, because of where it is from
                where = doc["locations"][source]
                errors.add(f"{path}.from", f"no vehicle starts at {where!r} to carry it (from must be a vehicle's start)")
                errors.add(f"{path}.load", f"no vehicle that may carry it can hold it: none starts at {where!r}")
            elif not any(stop.fits(v) for v in may):
                errors.add(f"{path}.load", f"no vehicle that may carry it can hold {list(load)} "
                                           "(split the order into truckloads first)")
        stops.append(stop)
    return stops


def parse_problem(doc: object) -> Problem:
    """Check a routing-problem/1 document and return it as a ``Problem``; raise ``BadRoutingProblem``."""
    if not isinstance(doc, dict):
        raise BadRoutingProblem([{"path": "$", "message": "must be a JSON object (a routing problem)"}])
    errors = _Errors()
    if doc.get("format") != PROBLEM_FORMAT:
        errors.add("format", f"must be {PROBLEM_FORMAT!r}, got {doc.get('format')!r}")
    dimensions = _dimensions(errors, doc)
    locations = _locations(errors, doc)
    index = {name: i for i, name in enumerate(locations)} if locations is not None else None
    minutes = _matrix(errors, doc, len(locations) if locations is not None else None)
    width = len(dimensions) if dimensions is not None else None
    vehicles = _vehicles(errors, doc, index, width)
    stops = _stops(errors, doc, index, width, vehicles)
    time_limit = _number(errors, "time_limit_seconds", doc.get("time_limit_seconds", _MISSING),
                         default=DEFAULT_TIME_LIMIT, low=1, high=MAX_TIME_LIMIT)
    if errors:
        raise BadRoutingProblem(errors.items)
    return Problem(dimensions, locations, minutes, tuple(vehicles), tuple(stops), time_limit)
