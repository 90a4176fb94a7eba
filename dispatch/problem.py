"""Allocation problem documents (format ``allocation-problem/1``): parse and validate.

See ``contracts/allocation.md``. Parsing collects every broken rule as
``{"path": "stock[3].quantity", "message": "..."}`` and raises one ``ProblemError``;
a document that parses becomes a ``Problem`` whose rows are sorted canonically, so
the allocator sees the same problem whatever order the rows came in.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cached_property

PROBLEM_FORMAT = "allocation-problem/1"
DEFAULT_FAIR_SHARE_STEPS = 10
MAX_FAIR_SHARE_STEPS = 100
# Bounds the contract leaves open, chosen so that every cost fits the solver's 64-bit integers.
MAX_QUANTITY = 1_000_000_000
MAX_MINUTES = 1_000_000
MAX_SHELF_DAYS = 36_500


class ProblemError(ValueError):
    """The problem document breaks the contract; ``errors`` lists every broken rule."""

    def __init__(self, errors: list[dict[str, str]]):
        self.errors = list(errors)
        details = "; ".join(f"{e['path']}: {e['message']}" for e in self.errors)
        super().__init__(f"invalid allocation problem ({len(self.errors)} error(s)): {details}")


@dataclass(frozen=True)
class Lot:
    depot: str
    item: str
    lot: str
    quantity: int
    expires: date | None


def fefo_key(lot: Lot) -> tuple:
    """First-expiry-first-out order: earlier expiry first, no expiry last, then lot id."""
    return (lot.expires is None, lot.expires or date.min, lot.lot)


@dataclass(frozen=True, eq=False)
class Problem:
    now: datetime
    min_shelf_days: int
    fair_share_steps: int
    depots: tuple[str, ...]  # sorted ids
    items: tuple[str, ...]
    sites: tuple[str, ...]
    lots: tuple[Lot, ...]  # sorted by depot, item, then FEFO
    floors: dict[tuple[str, str], int]  # (depot, item) -> units kept back
    demand: dict[tuple[str, str], int]  # (site, item) -> units asked
    routes: dict[tuple[str, str], int]  # (depot, site) -> minutes

    @property
    def usable_from(self) -> date:
        """A lot is usable when it has no expiry or expires on or after this date."""
        return self.now.date() + timedelta(days=self.min_shelf_days)

    @property
    def share_weight(self) -> int:
        """W = 1 + the largest route minutes in the problem."""
        return 1 + max(self.routes.values(), default=0)

    def is_usable(self, lot: Lot) -> bool:
        return lot.expires is None or lot.expires >= self.usable_from

    @cached_property
    def _usable_by_source(self) -> dict[tuple[str, str], list[Lot]]:
        index = defaultdict(list)
        for lot in self.lots:
            if self.is_usable(lot):
                index[lot.depot, lot.item].append(lot)
        return dict(index)

    def usable_lots(self, depot: str, item: str) -> list[Lot]:
        """Usable lots of one (depot, item) in FEFO order."""
        return list(self._usable_by_source.get((depot, item), ()))

    def available(self, depot: str, item: str) -> int:
        """Units that may leave a depot: usable units minus the floor, never below zero."""
        usable = sum(x.quantity for x in self.usable_lots(depot, item))
        return max(0, usable - self.floors.get((depot, item), 0))


class _Errors(list):
    def add(self, path: str, message: str) -> None:
        self.append({"path": path, "message": message})


_MISSING = object()


def parse_problem(doc: object) -> Problem:
    """Validate a problem document and return it as a ``Problem``; raise ``ProblemError``."""
    if not isinstance(doc, dict):
        raise ProblemError([{"path": "$", "message": "must be a JSON object (an allocation problem)"}])
    errors = _Errors()
    if doc.get("format") != PROBLEM_FORMAT:
        errors.add("format", f"must be {PROBLEM_FORMAT!r}, got {doc.get('format')!r}")
    now = _parse_now(doc.get("now", _MISSING), errors)
    min_shelf_days = _count(doc, "min_shelf_days", "min_shelf_days", errors, default=0, maximum=MAX_SHELF_DAYS)
    if now is not None and min_shelf_days is not None and now.date() > date.max - timedelta(days=min_shelf_days):
        errors.add("now", "plus min_shelf_days falls after the year 9999")
    steps = _count(doc, "fair_share_steps", "fair_share_steps", errors, default=DEFAULT_FAIR_SHARE_STEPS, maximum=None)
    if steps is not None and not 1 <= steps <= MAX_FAIR_SHARE_STEPS:
        errors.add("fair_share_steps", f"must be between 1 and {MAX_FAIR_SHARE_STEPS}, got {steps}")
    depots = _ids(doc, "depots", errors)
    items = _ids(doc, "items", errors)
    sites = _ids(doc, "sites", errors)
    known = {"depot": depots, "item": items, "site": sites}
    lots = _stock(doc, known, errors)
    floors = _keyed_counts(doc, "floors", ("depot", "item"), "quantity", known, errors, required=False)
    demand = _keyed_counts(doc, "demand", ("site", "item"), "quantity", known, errors)
    routes = _keyed_counts(doc, "routes", ("from", "to"), "minutes", known, errors)
    if errors:
        raise ProblemError(errors)
    return Problem(
        now=now,
        min_shelf_days=min_shelf_days,
        fair_share_steps=steps,
        depots=tuple(sorted(depots)),
        items=tuple(sorted(items)),
        sites=tuple(sorted(sites)),
        lots=tuple(sorted(lots, key=lambda x: (x.depot, x.item, fefo_key(x)))),
        floors=dict(sorted(floors.items())),
        demand=dict(sorted(demand.items())),
        routes=dict(sorted(routes.items())),
    )


def _parse_now(value: object, errors: _Errors) -> datetime | None:
    example = "an ISO 8601 date-time with UTC offset, e.g. 2026-07-01T08:00:00+08:00"
    if value is _MISSING:
        errors.add("now", f"is required: {example}")
        return None
    try:
        now = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        now = None
    if now is None or now.tzinfo is None:
        errors.add("now", f"must be {example}, got {value!r}")
        return None
    return now


def _count(
    row: dict, key: str, path: str, errors: _Errors, default: object = _MISSING, maximum: int | None = MAX_QUANTITY
) -> int | None:
    """A non-negative whole number up to ``maximum`` (a JSON integer; booleans and 5.0 are refused)."""
    value = row.get(key, default)
    if value is _MISSING:
        errors.add(path, "is required (a non-negative integer)")
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        errors.add(path, f"must be a non-negative integer, got {value!r}")
        return None
    if maximum is not None and value > maximum:
        errors.add(path, f"must be at most {maximum}, got {value}")
        return None
    return value


def _string(row: dict, key: str, path: str, errors: _Errors) -> str | None:
    value = row.get(key, _MISSING)
    if not isinstance(value, str) or not value:
        got = "nothing" if value is _MISSING else repr(value)
        errors.add(path, f"must be a non-empty string id, got {got}")
        return None
    return value


def _ref(row: dict, key: str, kind: str, path: str, known: dict, errors: _Errors) -> str | None:
    """An id naming a row of ``depots``, ``items`` or ``sites``."""
    value = _string(row, key, path, errors)
    if value is not None and known[kind] is not None and value not in known[kind]:
        errors.add(path, f"unknown {kind} {value!r} (not listed in {kind}s)")
        return None
    return value


def _rows(doc: dict, name: str, errors: _Errors, required: bool = True) -> list[tuple[str, dict]] | None:
    """The rows of one array as (path, row) pairs; None when the array itself is broken."""
    value = doc.get(name, _MISSING)
    if value is _MISSING and not required:
        return []
    if not isinstance(value, list):
        errors.add(name, "is required (a list)" if value is _MISSING else "must be a list")
        return None
    rows = []
    for index, row in enumerate(value):
        if isinstance(row, dict):
            rows.append((f"{name}[{index}]", row))
        else:
            errors.add(f"{name}[{index}]", "must be an object")
    return rows


def _ids(doc: dict, name: str, errors: _Errors) -> set[str] | None:
    """Ids of depots, items or sites; None (skip reference checks) when the array is broken."""
    rows = _rows(doc, name, errors)
    if rows is None:
        return None
    first: dict[str, str] = {}
    for path, row in rows:
        value = _string(row, "id", f"{path}.id", errors)
        if value in first:
            errors.add(f"{path}.id", f"duplicate id {value!r} (first at {first[value]})")
        elif value is not None:
            first[value] = path
    return set(first)


def _expiry(row: dict, path: str, errors: _Errors) -> tuple[bool, date | None]:
    if "expires" not in row:
        errors.add(path, "is required: a date YYYY-MM-DD, or null for no expiry")
        return False, None
    value = row["expires"]
    if value is None:
        return True, None
    try:
        return True, date.fromisoformat(value)
    except (TypeError, ValueError):
        errors.add(path, f"must be a date YYYY-MM-DD or null, got {value!r}")
        return False, None


def _stock(doc: dict, known: dict, errors: _Errors) -> list[Lot]:
    lots: list[Lot] = []
    first: dict[tuple[str, str], str] = {}
    for path, row in _rows(doc, "stock", errors) or []:
        depot = _ref(row, "depot", "depot", f"{path}.depot", known, errors)
        item = _ref(row, "item", "item", f"{path}.item", known, errors)
        lot = _string(row, "lot", f"{path}.lot", errors)
        quantity = _count(row, "quantity", f"{path}.quantity", errors)
        ok, expires = _expiry(row, f"{path}.expires", errors)
        if depot is not None and lot is not None:
            if (depot, lot) in first:
                errors.add(f"{path}.lot", f"duplicate lot {lot!r} in depot {depot!r} (first at {first[depot, lot]})")
                continue
            first[depot, lot] = path
        if None not in (depot, item, lot, quantity) and ok:
            lots.append(Lot(depot, item, lot, quantity, expires))
    return lots


_KINDS = {"depot": "depot", "item": "item", "site": "site", "from": "depot", "to": "site"}


def _keyed_counts(
    doc: dict, name: str, keys: tuple[str, str], field: str, known: dict, errors: _Errors, required: bool = True
) -> dict[tuple[str, str], int]:
    """Rows of two references and one count (floors, demand, routes); a repeated pair is an error."""
    result: dict[tuple[str, str], int] = {}
    first: dict[tuple[str, str], str] = {}
    for path, row in _rows(doc, name, errors, required) or []:
        pair = tuple(_ref(row, key, _KINDS[key], f"{path}.{key}", known, errors) for key in keys)
        maximum = MAX_MINUTES if field == "minutes" else MAX_QUANTITY
        count = _count(row, field, f"{path}.{field}", errors, maximum=maximum)
        if None in pair:
            continue
        if pair in first:
            a, b = keys
            errors.add(path, f"repeats {name} for ({a} {pair[0]!r}, {b} {pair[1]!r}) first given at {first[pair]}")
            continue
        first[pair] = path
        if count is not None:
            result[pair] = count
    return result
