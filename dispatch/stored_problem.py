"""A plan's problem document as the database keeps it (``plan.problem``).

The contract's document (allocation-problem/1) with its stock array kept as columns: ``stock_columns`` holds
``depot`` and ``item`` (positions in the document's ``depots`` and ``items`` arrays, which planning lists sorted
by id), ``lot``, ``quantity`` and ``expires_day`` (days since 1970-01-01, null for no expiry), one entry per lot,
in the problem's order (depot, item, first expiry first out, lot id). A city's 16,000 lots as objects cost
planning more to build, write and store than solving the plan did; as columns they are written in a millisecond,
and a plan's page reads them back into a ``Problem`` without an object per lot. ``document`` gives the contract's
document, the stock array made again row by row in that order and with the same values: the exact document the
plan was solved from. Rows stored before carry the stock array itself, and are read as they are.
"""
from datetime import date

import numpy as np
import orjson

from dispatch.problem import NO_EXPIRY, Problem, parse_problem

STOCK_COLUMNS = "stock_columns"
EPOCH = date(1970, 1, 1).toordinal()


def dumps(doc: dict, problem: Problem) -> str:
    """``doc`` without its stock array, and the problem's lots as columns in its place."""
    depot, item, lots, quantity, expires = lot_columns(problem)
    for name in ("depots", "items"):  # positions in them are positions among the sorted ids
        ids = [row["id"] for row in doc[name]]
        if ids != sorted(ids):
            raise ValueError(f"the document's {name} are not sorted by id")
    columns = {"depot": depot, "item": item, "lot": lots, "quantity": quantity, "expires_day": _epoch_days(expires)}
    kept = {key: value for key, value in doc.items() if key != "stock"}
    return orjson.dumps({**kept, STOCK_COLUMNS: columns}, option=orjson.OPT_SERIALIZE_NUMPY).decode()


def loads(text: str) -> tuple[dict, tuple | None]:
    """The stored document (without a stock array when its lots are kept as columns) and its stock as
    ``parse_problem`` takes it (None for a row stored with the stock array)."""
    doc = orjson.loads(text)
    columns = doc.pop(STOCK_COLUMNS, None)
    if columns is None:
        return doc, None
    expires = np.array([NO_EXPIRY - EPOCH if day is None else day for day in columns["expires_day"]],
                       dtype=np.int64) + EPOCH
    return doc, (np.array(columns["depot"], dtype=np.int32), np.array(columns["item"], dtype=np.int32),
                 columns["lot"], np.array(columns["quantity"], dtype=np.int64), expires)


def parsed(text: str) -> tuple[dict, Problem]:
    """The stored document (as ``loads``) and the problem it states."""
    doc, stock = loads(text)
    return doc, parse_problem(doc, stock=stock)


def document(text: str) -> dict:
    """The contract's document, stock array and all."""
    doc, stock = loads(text)
    return doc if stock is None else with_stock_rows(doc, stock)


def with_stock_rows(doc: dict, stock: tuple | Problem) -> dict:
    """``doc`` with the stock array made from ``stock`` (columns as ``parse_problem`` takes them, or a problem's
    lots), where the contract's documents have it: after items."""
    depot, item, lots, quantity, expires = lot_columns(stock) if isinstance(stock, Problem) else stock
    depots, items = [d["id"] for d in doc["depots"]], [i["id"] for i in doc["items"]]
    iso = _iso_days(expires)
    rows = [{"depot": depots[d], "item": items[i], "lot": lot, "quantity": q, "expires": iso[e]}
            for d, i, lot, q, e in zip(depot.tolist(), item.tolist(), lots, quantity.tolist(), expires.tolist())]
    result = {}
    for key, value in doc.items():
        result[key] = value
        if key == "items":
            result["stock"] = rows
    return result


def lot_columns(problem: Problem) -> tuple:
    """The problem's lots as stock columns (as ``parse_problem`` takes them), in its order: by depot, item, then
    first expiry first out and lot id."""
    table = problem.stock
    return table.depot, table.item, table.lot_ids(np.arange(len(table))), table.quantity, table.expires


def _epoch_days(expires: np.ndarray):
    days = expires - EPOCH
    never = np.flatnonzero(expires == NO_EXPIRY)
    if not len(never):
        return days
    days = days.tolist()
    for k in never.tolist():
        days[k] = None
    return days


def _iso_days(expires: np.ndarray) -> dict:
    return {day: None if day == NO_EXPIRY else date.fromordinal(day).isoformat() for day in np.unique(expires).tolist()}
