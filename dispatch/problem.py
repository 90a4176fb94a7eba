"""Allocation problem documents (format ``allocation-problem/1``): parse and validate.

See ``contracts/allocation.md``. Parsing collects every broken rule as
``{"path": "stock[3].quantity", "message": "..."}`` and raises one ``ProblemError``;
a document that parses becomes a ``Problem`` whose rows are sorted canonically, so
the allocator sees the same problem whatever order the rows came in.

Stock can run to millions of lots (a province), so a ``Problem`` keeps its lots as columns
(``LotTable``: numpy arrays of depot and item codes, quantities and expiry day numbers, sorted
by depot, item, then first-expiry-first-out) with an index of each (depot, item)'s usable lots;
``Lot`` objects are made only when asked for. A well-formed stock array is checked column by
column at C speed; any row that might break a rule sends the whole array through the row-by-row
checks, which name every broken rule.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cached_property
from itertools import islice
from operator import itemgetter

import numpy as np

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


NO_EXPIRY = date.max.toordinal() + 1  # day number standing for "never expires": after every date


class LotTable:
    """Every lot of a problem as columns, sorted by depot, item, then FEFO (see ``fefo_key``).

    ``depot`` and ``item`` are codes: positions in the problem's sorted ``depots`` and ``items``.
    ``expires`` holds day numbers (``date.toordinal``), ``NO_EXPIRY`` for none. Lot ids stay in the
    document's order (``ids``, shared with the document), row ``k`` being ``ids[order[k]]``: gathering
    millions of strings into a new order costs more than all the rest. Each (depot, item)
    present is a group of consecutive rows; its unusable lots (expiring before the usable date)
    come first in FEFO order, so its usable lots are the rows ``group_usable .. group_end``.
    ``cum[k]`` is the sum of the quantities of rows before ``k``.
    """

    def __init__(self, depots: tuple[str, ...], items: tuple[str, ...], depot: np.ndarray, item: np.ndarray,
                 ids: list[str], order: np.ndarray, quantity: np.ndarray, expires: np.ndarray, usable_from: date):
        self.depots, self.items = depots, items
        self.depot, self.item, self.quantity, self.expires = depot, item, quantity, expires
        self.ids, self.order = ids, order
        n = len(ids)
        key = depot.astype(np.int64) * max(len(items), 1) + item
        starts = np.flatnonzero(np.r_[True, key[1:] != key[:-1]]) if n else np.zeros(0, dtype=np.int64)
        self.group_key = key[starts]
        self.group_start = starts
        self.group_end = np.r_[starts[1:], n].astype(np.int64)
        unusable = (expires < usable_from.toordinal()).astype(np.int64)
        self.group_usable = starts + (np.add.reduceat(unusable, starts) if n else 0)
        self.cum = np.r_[0, np.cumsum(quantity, dtype=np.int64)]

    def __len__(self) -> int:
        return len(self.ids)

    def lot_ids(self, rows: np.ndarray) -> list[str]:
        """The lot ids of rows ``rows``."""
        ids = self.ids
        return [ids[k] for k in self.order[rows].tolist()]

    def lot_at(self, k: int) -> Lot:
        ordinal = int(self.expires[k])
        return Lot(self.depots[self.depot[k]], self.items[self.item[k]], self.ids[self.order[k]],
                   int(self.quantity[k]), None if ordinal == NO_EXPIRY else date.fromordinal(ordinal))

    def groups(self, depot: np.ndarray, item: np.ndarray) -> np.ndarray:
        """The group of each (depot code, item code) pair, -1 where the depot holds no lot of the item."""
        key = np.asarray(depot, dtype=np.int64) * max(len(self.items), 1) + np.asarray(item, dtype=np.int64)
        at = np.minimum(np.searchsorted(self.group_key, key), max(len(self.group_key) - 1, 0))
        found = (self.group_key[at] == key) if len(self.group_key) else np.zeros(len(key), dtype=bool)
        return np.where(found, at, -1)

    def usable_units(self, depot: np.ndarray, item: np.ndarray) -> np.ndarray:
        """Units in usable lots for each (depot code, item code) pair."""
        group = self.groups(depot, item)
        if not len(self.group_key):
            return np.zeros(len(group), dtype=np.int64)
        safe = np.maximum(group, 0)
        units = self.cum[self.group_end[safe]] - self.cum[self.group_usable[safe]]
        return np.where(group >= 0, units, 0)


DENSE_LIMIT = 4_000_000  # (depot, item) tables up to this many cells are dense arrays, else sorted keys


class ProblemColumns:
    """What the allocator works from, as numpy arrays of codes (positions in sorted ids).

    * asks: the demand rows with a positive quantity, by item then site (``ask_item``, ``ask_site``,
      ``ask_q``); ``ask_listed`` lists them in the document's (site, item) order.
    * routed depots: the depots with a route (``routed``: their codes, in id order). A route's depot
      is given as ``r``, its position in ``routed``.
    * routes, by site then depot: ``route_depot`` (r), ``route_minutes``; the ``route_count[s]``
      routes into site code ``s`` start at ``route_first[s]``.
    * sources: the (routed depot, item) pairs holding lots, in (depot, item) order;
      ``sources(r, item)`` finds them (-1: none). ``source_giving``: usable units less the floor,
      never below zero (with a 0 at the end, so that index -1 reads 0). ``source_begin``: where
      the source's usable lots start in ``ship_cum``.
    * shippable lots: the usable lots of every source, in source then FEFO order; ``ship_cum[k]``
      is the quantity of those before lot ``k``, ``ship_ids`` their ids.
    * ``depot_ids`` (of routed depots), ``site_ids``, ``item_ids``: object arrays, for writing plans.
    """

    def __init__(self, problem: Problem):
        sites, items, depots = problem.site_index, problem.item_index, problem.depot_index
        n_items = max(len(problem.items), 1)
        self.n_items = n_items
        ask_site, ask_item, ask_q = _int_columns(
            [(sites[s], items[i], q) for (s, i), q in problem.demand.items() if q > 0], 3)
        by_item = np.argsort(ask_item, kind="stable")
        self.ask_site, self.ask_item, self.ask_q = ask_site[by_item], ask_item[by_item], ask_q[by_item]
        self.ask_listed = np.argsort(by_item)
        route_depot, route_site, route_minutes = _int_columns(
            [(depots[d], sites[s], m) for (d, s), m in problem.routes.items()], 3)
        by_site = np.argsort(route_site, kind="stable")  # routes come sorted by depot: kept within a site
        self.routed, route_r = np.unique(route_depot, return_inverse=True)
        self.route_depot, self.route_minutes = route_r.reshape(-1)[by_site], route_minutes[by_site]
        self.route_first = np.searchsorted(route_site[by_site], np.arange(len(problem.sites) + 1))
        self.route_count = self.route_first[1:] - self.route_first[:-1]
        # sources: the lot table's groups of routed depots
        table = problem.stock
        group_depot, group_item = table.group_key // n_items, table.group_key % n_items
        group_r = np.searchsorted(self.routed, group_depot)
        routed = group_r < len(self.routed)
        routed[routed] = self.routed[group_r[routed]] == group_depot[routed]
        source_group = np.flatnonzero(routed)
        self.source_r, self.source_item = group_r[source_group], group_item[source_group]
        self._source_keys = self.source_r * n_items + self.source_item
        if len(self.routed) * n_items <= DENSE_LIMIT:
            self._dense = np.full(len(self.routed) * n_items, -1, dtype=np.int64)
            self._dense[self._source_keys] = np.arange(len(source_group))
        else:
            self._dense = None
        first, end = table.group_usable[source_group], table.group_end[source_group]
        giving = table.cum[end] - table.cum[first]
        floor_depot, floor_item, floor_units = _int_columns(
            [(depots[d], items[i], q) for (d, i), q in problem.floors.items() if q > 0], 3)
        floor_r = np.minimum(np.searchsorted(self.routed, floor_depot), max(len(self.routed) - 1, 0))
        floored = (self.routed[floor_r] == floor_depot) if len(self.routed) else np.zeros(len(floor_depot), bool)
        source = self.sources(floor_r[floored], floor_item[floored])
        giving[source[source >= 0]] -= floor_units[floored][source >= 0]
        self.source_giving = np.r_[np.maximum(giving, 0), 0]
        lots = end - first
        rows = np.repeat(first - (np.cumsum(lots) - lots), lots) + np.arange(int(lots.sum()))
        self.ship_cum = np.r_[0, np.cumsum(table.quantity[rows], dtype=np.int64)]
        self.source_begin = self.ship_cum[np.cumsum(lots) - lots]
        # copies of the ids, side by side in memory in the order plans read them (the document's
        # strings lie scattered among millions of others: reading them costs a cache miss each)
        self.ship_ids = _objects([x.encode("utf-8", "surrogatepass").decode("utf-8", "surrogatepass")
                                  for x in table.lot_ids(rows)])
        self.depot_ids = _objects([problem.depots[d] for d in self.routed.tolist()])
        self.site_ids, self.item_ids = _objects(problem.sites), _objects(problem.items)

    def sources(self, r: np.ndarray, item: np.ndarray) -> np.ndarray:
        """The source of each (routed depot r, item code), -1 where the depot holds no lot of it."""
        key = r * self.n_items + item
        if self._dense is not None:
            return self._dense[key]
        keys = self._source_keys
        if not len(keys):
            return np.full(len(key), -1, dtype=np.int64)
        at = np.minimum(np.searchsorted(keys, key), len(keys) - 1)
        return np.where(keys[at] == key, at, -1)


def _objects(values) -> np.ndarray:
    array = np.empty(len(values), dtype=object)
    array[:] = values
    return array


def _int_columns(rows: list[tuple], width: int) -> list[np.ndarray]:
    if not rows:
        return [np.zeros(0, dtype=np.int64) for _ in range(width)]
    return [np.array(column, dtype=np.int64) for column in zip(*rows)]


@dataclass(frozen=True, eq=False)
class Problem:
    now: datetime
    min_shelf_days: int
    fair_share_steps: int
    depots: tuple[str, ...]  # sorted ids
    items: tuple[str, ...]
    sites: tuple[str, ...]
    stock: LotTable  # every lot, sorted by depot, item, then FEFO
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

    @cached_property
    def lots(self) -> tuple[Lot, ...]:
        """Every lot, sorted by depot, item, then FEFO (made on first use: there may be millions)."""
        return tuple(self.stock.lot_at(k) for k in range(len(self.stock)))

    @cached_property
    def depot_index(self) -> dict[str, int]:
        return {d: n for n, d in enumerate(self.depots)}

    @cached_property
    def item_index(self) -> dict[str, int]:
        return {i: n for n, i in enumerate(self.items)}

    @cached_property
    def site_index(self) -> dict[str, int]:
        return {s: n for n, s in enumerate(self.sites)}

    @cached_property
    def columns(self) -> ProblemColumns:
        """Demand, routes and the stock that may leave, as arrays (built by ``parse_problem``)."""
        return ProblemColumns(self)

    def is_usable(self, lot: Lot) -> bool:
        return lot.expires is None or lot.expires >= self.usable_from

    def _group(self, depot: str, item: str) -> int:
        d, i = self.depot_index.get(depot), self.item_index.get(item)
        return -1 if d is None or i is None else int(self.stock.groups(np.array([d]), np.array([i]))[0])

    def usable_lots(self, depot: str, item: str) -> list[Lot]:
        """Usable lots of one (depot, item) in FEFO order."""
        group = self._group(depot, item)
        if group < 0:
            return []
        table = self.stock
        return [table.lot_at(k) for k in range(int(table.group_usable[group]), int(table.group_end[group]))]

    def held(self, depot: str, item: str) -> int:
        """Units in every lot of one (depot, item), usable or not."""
        group = self._group(depot, item)
        table = self.stock
        return 0 if group < 0 else int(table.cum[table.group_end[group]] - table.cum[table.group_start[group]])

    def available(self, depot: str, item: str) -> int:
        """Units that may leave a depot: usable units minus the floor, never below zero."""
        group = self._group(depot, item)
        if group < 0:
            usable = 0
        else:
            table = self.stock
            usable = int(table.cum[table.group_end[group]] - table.cum[table.group_usable[group]])
        return max(0, usable - self.floors.get((depot, item), 0))


class _Errors(list):
    def add(self, path: str, message: str) -> None:
        self.append({"path": path, "message": message})


_MISSING = object()


def parse_problem(doc: object, stock: tuple | None = None) -> Problem:
    """Validate a problem document and return it as a ``Problem``; raise ``ProblemError``.

    ``stock``: the document's stock array already as columns, for a caller that wrote that array itself from
    them (planning, from the database): (depot and item positions in the sorted ids, lot ids, quantities, expiry
    day numbers), as ``stock_columns`` checks them. The array is then not read again: at city scale reading
    16,000 lots back was half the time of solving."""
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
    depot_ids, item_ids = tuple(sorted(depots or ())), tuple(sorted(items or ()))
    if stock is not None:
        columns = stock_columns(*stock, n_depots=len(depot_ids), n_items=len(item_ids))
    else:
        columns = _stock_columns(doc, depot_ids, item_ids) if depots is not None and items is not None else None
    if columns is None:
        lots = _stock(doc, known, errors)
    floors = _keyed_counts(doc, "floors", ("depot", "item"), "quantity", known, errors, required=False)
    demand = _keyed_counts(doc, "demand", ("site", "item"), "quantity", known, errors)
    routes = _keyed_counts(doc, "routes", ("from", "to"), "minutes", known, errors)
    if errors:
        raise ProblemError(errors)
    if columns is None:
        columns = _lot_columns(lots, depot_ids, item_ids)
    usable_from = now.date() + timedelta(days=min_shelf_days)
    problem = Problem(
        now=now,
        min_shelf_days=min_shelf_days,
        fair_share_steps=steps,
        depots=depot_ids,
        items=item_ids,
        sites=tuple(sorted(sites)),
        stock=_sorted_table(columns, depot_ids, item_ids, usable_from),
        floors=dict(sorted(floors.items())),
        demand=dict(sorted(demand.items())),
        routes=dict(sorted(routes.items())),
    )
    problem.columns  # noqa: B018 (index the problem now: solving starts from these arrays)
    return problem


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


def _stock_columns(doc: dict, depot_ids: tuple[str, ...], item_ids: tuple[str, ...]) -> tuple | None:
    """The stock array as columns (depot codes, item codes, lot ids, quantities, expiry day numbers),
    checked column by column; None when any row might break a rule (then ``_stock`` names it)."""
    rows = doc.get("stock")
    if type(rows) is not list:
        return None
    if not rows:
        return _empty_columns()
    try:
        if set(map(type, rows)) != {dict}:
            return None
        depot_col = list(map(itemgetter("depot"), rows))
        lot_col = list(map(itemgetter("lot"), rows))
        quantity_col = list(map(itemgetter("quantity"), rows))
        expires_col = list(map(itemgetter("expires"), rows))
        depot_code = {d: n for n, d in enumerate(depot_ids)}
        item_code = {i: n for n, i in enumerate(item_ids)}
        n = len(rows)
        depot = np.fromiter(map(depot_code.__getitem__, depot_col), dtype=np.int32, count=n)
        item = np.fromiter(map(item_code.__getitem__, map(itemgetter("item"), rows)), dtype=np.int32, count=n)
        if set(map(type, lot_col)) != {str} or "" in lot_col or set(map(type, quantity_col)) != {int}:
            return None
        quantity = np.array(quantity_col, dtype=np.int64)
        if quantity.min() < 0 or quantity.max() > MAX_QUANTITY:
            return None
        day = {}
        for value in set(expires_col):
            if value is None:
                day[value] = NO_EXPIRY
            elif type(value) is str:
                day[value] = date.fromisoformat(value).toordinal()
            else:
                return None
        expires = np.fromiter(map(day.__getitem__, expires_col), dtype=np.int64, count=n)
        if len(set(lot_col)) != n and len(set(zip(depot_col, lot_col))) != n:
            return None  # a (depot, lot) repeats
    except (KeyError, TypeError, ValueError, OverflowError):
        return None
    return depot, item, lot_col, quantity, expires


def stock_columns(depot, item, ids: list[str], quantity, expires, n_depots: int, n_items: int) -> tuple:
    """Stock given as columns, checked as ``_stock_columns`` checks a document's (a caller's mistake, not a
    user's: it raises ``ValueError``)."""
    depot, item = np.asarray(depot, dtype=np.int32), np.asarray(item, dtype=np.int32)
    quantity, expires = np.asarray(quantity, dtype=np.int64), np.asarray(expires, dtype=np.int64)
    n = len(ids)
    if not len(depot) == len(item) == len(quantity) == len(expires) == n:
        raise ValueError("stock columns of different lengths")
    if n and (depot.min() < 0 or depot.max() >= n_depots or item.min() < 0 or item.max() >= n_items
              or quantity.min() < 0 or quantity.max() > MAX_QUANTITY or "" in ids):
        raise ValueError("stock columns out of range")
    return depot, item, ids, quantity, expires


def _empty_columns() -> tuple:
    return (np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int32), [], np.zeros(0, dtype=np.int64),
            np.zeros(0, dtype=np.int64))


def _lot_columns(lots: list[Lot], depot_ids: tuple[str, ...], item_ids: tuple[str, ...]) -> tuple:
    """Columns of lots that passed the row-by-row checks."""
    if not lots:
        return _empty_columns()
    depot_code = {d: n for n, d in enumerate(depot_ids)}
    item_code = {i: n for n, i in enumerate(item_ids)}
    return (
        np.array([depot_code[x.depot] for x in lots], dtype=np.int32),
        np.array([item_code[x.item] for x in lots], dtype=np.int32),
        [x.lot for x in lots],
        np.array([x.quantity for x in lots], dtype=np.int64),
        np.array([NO_EXPIRY if x.expires is None else x.expires.toordinal() for x in lots], dtype=np.int64),
    )


def _sorted_table(columns: tuple, depot_ids: tuple, item_ids: tuple, usable_from: date) -> LotTable:
    """Sort the lot columns by depot, item, expiry (none last), then lot id: the order of ``fefo_key``."""
    depot, item, ids, quantity, expires = columns
    order = np.lexsort((expires, item, depot))  # stable: ties keep the document's order...
    d, i, e = depot[order], item[order], expires[order]
    if not all(map(str.__le__, ids, islice(ids, 1, None))):  # ...which is right when it lists lots by id
        tie = (d[1:] == d[:-1]) & (i[1:] == i[:-1]) & (e[1:] == e[:-1])
        at = np.flatnonzero(tie)
        bad = [k for k, a, b in zip(at.tolist(), order[at].tolist(), order[at + 1].tolist()) if ids[a] > ids[b]]
        if bad:  # sort by lot id the runs of equal (depot, item, expiry) that are out of order
            starts = np.flatnonzero(np.r_[True, ~tie])
            ends = np.r_[starts[1:], len(ids)]
            for r in np.unique(np.searchsorted(starts, bad, side="right") - 1).tolist():
                a, b = int(starts[r]), int(ends[r])
                order[a:b] = sorted(order[a:b].tolist(), key=ids.__getitem__)
    return LotTable(depot_ids, item_ids, d, i, ids, order, quantity[order], e, usable_from)


def _keyed_counts_fast(doc: dict, name: str, keys: tuple[str, str], field: str, known: dict,
                       required: bool) -> dict[tuple[str, str], int] | None:
    """``_keyed_counts`` for a well-formed array, checked column by column; None when a row might break
    a rule (then ``_keyed_counts`` names it)."""
    rows = doc.get(name, _MISSING)
    if rows is _MISSING and not required:
        return {}
    first, second = (known[_KINDS[key]] for key in keys)
    if type(rows) is not list or first is None or second is None:
        return None
    if not rows:
        return {}
    maximum = MAX_MINUTES if field == "minutes" else MAX_QUANTITY
    try:
        if set(map(type, rows)) != {dict}:
            return None
        a = list(map(itemgetter(keys[0]), rows))
        b = list(map(itemgetter(keys[1]), rows))
        counts = list(map(itemgetter(field), rows))
        if not set(a) <= first or not set(b) <= second or set(map(type, counts)) != {int}:
            return None
        if min(counts) < 0 or max(counts) > maximum:
            return None
        result = dict(zip(zip(a, b), counts))
    except (KeyError, TypeError):
        return None
    return result if len(result) == len(rows) else None


_KINDS = {"depot": "depot", "item": "item", "site": "site", "from": "depot", "to": "site"}


def _keyed_counts(
    doc: dict, name: str, keys: tuple[str, str], field: str, known: dict, errors: _Errors, required: bool = True
) -> dict[tuple[str, str], int]:
    """Rows of two references and one count (floors, demand, routes); a repeated pair is an error."""
    fast = _keyed_counts_fast(doc, name, keys, field, known, required)
    if fast is not None:
        return fast
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
