"""The lots a plan may send, read from the database as columns while planning works out the rest.

At city scale (16,000 lots of the needed items) this read is the longest part of building a problem, so it runs
on a connection of its own in a thread (``read_aside``) while the planning thread reads needs, floors and routes:
the database does the work on another core. On PostgreSQL every statement of the planning (READ COMMITTED)
transaction reads its own snapshot already, so a second connection sees no less consistent a state; on SQLite it
reads beside the planning transaction (WAL), without its write lock.

The lots come in no order: the problem sorts them (depot, item, first expiry first out, lot code).
"""
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from itertools import compress

import numpy as np
from sqlmodel import Session, select

from common.db import WRITES
from dispatch.problem import NO_EXPIRY
from inventory.models import Depot, Item, Lot

SUPPLYING_MODES = ("physical", "agreement")  # production capacity is not stock that can be loaded today
_READER = ThreadPoolExecutor(max_workers=4, thread_name_prefix="plan-stock")


@dataclass(frozen=True)
class StockRead:
    """Lots as columns: code, database ids of depot and item, quantity, expiry day number (``date.toordinal``;
    ``NO_EXPIRY`` for none)."""

    codes: list[str]
    depot_id: np.ndarray
    item_id: np.ndarray
    quantity: np.ndarray
    expires: np.ndarray


def read_aside(session: Session, item_codes: list[str]) -> Future:
    """The lots, of the items named, that the depots above village points hold and may send (a future
    ``StockRead``)."""
    reader = session.get_bind().execution_options(**{WRITES: False})

    def read() -> StockRead:
        with reader.connect() as conn:
            if conn.dialect.name == "postgresql":
                return _packed(conn, item_codes) or _rows(conn, item_codes)
            return _rows(conn, item_codes)

    return _READER.submit(read)


# One row: the codes joined by a unit separator, the numbers as 4-byte big-endian integers end to end. As rows,
# a city's lots cost the reading thread 20 ms of Python (rows, dates), which it took from the planning thread; as
# arrays, 2 ms, and the database 4 ms more to build them; packed, 1 ms. The aggregates of one query see the rows
# in the same order. The items' ids as an array (an init plan) let each depot's index scan look up just those.
_SEPARATOR = "\x1f"
_PACKED = """
SELECT count(*), string_agg(l.code, E'\\x1f'), string_agg(int4send(l.depot_id), ''),
       string_agg(int4send(l.item_id), ''), string_agg(int4send(l.quantity), ''),
       string_agg(int4send(COALESCE(l.expires_on - DATE '0001-01-01' + 1, %(no_expiry)s)), '')
FROM lot l JOIN depot d ON d.id = l.depot_id
WHERE d.tier <> 'village' AND l.item_id = ANY(ARRAY(SELECT id FROM item WHERE code = ANY(%(items)s)))
  AND l.quantity > 0 AND l.storage_mode = ANY(%(modes)s)
"""


def _packed(conn, item_codes: list[str]) -> StockRead | None:
    """None when a lot code holds the separator (codes are free text in older databases): read as rows then."""
    with conn.connection.driver_connection.cursor(binary=True) as cursor:
        cursor.execute(_PACKED, {"no_expiry": NO_EXPIRY, "items": item_codes, "modes": list(SUPPLYING_MODES)})
        count, codes, *numbers = cursor.fetchone()
    if not count:
        return _columns([])
    codes = codes.split(_SEPARATOR)
    if len(codes) != count:
        return None
    return StockRead(codes, *(np.frombuffer(column, dtype=">i4").astype(np.int64) for column in numbers))


def _rows(conn, item_codes: list[str]) -> StockRead:
    query = (select(Lot.code, Lot.depot_id, Lot.item_id, Lot.quantity, Lot.expires_on)
             .join(Depot, Depot.id == Lot.depot_id).join(Item, Item.id == Lot.item_id)
             .where(Depot.tier != "village", Item.code.in_(item_codes), Lot.quantity > 0,
                    Lot.storage_mode.in_(SUPPLYING_MODES)))
    return _columns(conn.execute(query).all())


def _columns(rows) -> StockRead:
    codes, depot_id, item_id, quantity, expires = (list(column) for column in zip(*rows)) if rows else ([],) * 5
    day = [NO_EXPIRY if e is None else e.toordinal() for e in expires]
    return StockRead(codes, np.array(depot_id, dtype=np.int64), np.array(item_id, dtype=np.int64),
                     np.array(quantity, dtype=np.int64), np.array(day, dtype=np.int64))


def problem_stock(read: StockRead, depots: list, items: list) -> tuple:
    """The lots as a problem's stock columns (see ``parse_problem``): positions in ``depots`` and ``items`` (rows
    with an ``id``), keeping only the lots of those items at those depots (not at one opened since they were
    read)."""
    depot = _lookup(_positions([d.id for d in depots]), read.depot_id)
    item = _lookup(_positions([i.id for i in items]), read.item_id)
    keep = (item >= 0) & (depot >= 0)
    codes = read.codes if keep.all() else list(compress(read.codes, keep.tolist()))
    return depot[keep], item[keep], codes, read.quantity[keep], read.expires[keep]


def _positions(ids: list[int]) -> np.ndarray:
    """Indexed by database id: the id's position in ``ids`` (-1: not among them)."""
    positions = np.full(max(ids, default=-1) + 1, -1, dtype=np.int32)
    positions[ids] = np.arange(len(ids), dtype=np.int32)
    return positions


def _lookup(positions: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """``positions[ids]``, -1 for ids past its end."""
    if not len(positions):
        return np.full(len(ids), -1, dtype=np.int32)
    inside = ids < len(positions)
    return np.where(inside, positions[np.where(inside, ids, 0)], -1)
