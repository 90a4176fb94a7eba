"""The movement ledger (台账) for auditors, streamed: every line in the filters' scope, oldest first, with the
running balance of its item at its depot (all the item's lots there together), brought forward from before
the first date. Read side only, no Flask.

Built to export a million lines at about the speed of the database's own dump (``bench/exports.py``):

* one narrow SELECT on the ledger table alone, in line order (the primary key: no sort), joined to depots
  and items only when a filter needs them, read as plain tuples straight from the driver's cursor —
  server-side on PostgreSQL — a batch at a time, so memory holds one batch, never the ledger;
* the running balances summed in Python in that same pass. A window function (``SUM … OVER (PARTITION BY
  depot, item ORDER BY id)``) makes PostgreSQL sort the ledger twice and SQLite is slower still with it;
* a lot's depot and item never change, so the text of the lot, its depot and its item is read once per lot
  (for the lots of each batch not seen yet) and a user's name once per user, not on every line;
* county-local times formatted by the database; for CSV the free text (reference, note) quoted by the
  database and everything else quoted once per lot, user and word, so a line is one string format.
"""
import itertools
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Iterator
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session

from accounts.models import User
from audit.reports import DEFAULT_TZ, Filters, _params, _scope, _time_window, local_midnight_utc
from common.actor import Actor
from inventory.models import Depot, Item, Lot, Movement

BATCH = 5000
LOOKUP_CHUNK = 500  # lot ids per lookup query (well under SQLite's limit of bound values)
KEYS = ("id", "time", "depot", "depot_name", "item", "item_name", "unit", "lot", "kind", "quantity",
        "lot_balance", "balance", "user", "reason", "reference", "note")
_SPECIAL = ('"', ",", "\n", "\r")


def csv_field(text: str) -> str:
    """One CSV field as Python's csv module writes it (minimal quoting, quotes doubled)."""
    if any(ch in text for ch in _SPECIAL):
        return '"' + text.replace('"', '""') + '"'
    return text


def _csv_sql(column):
    """SQL giving a nullable text column as one CSV field: '' for NULL, quoted where it must be."""
    special = sa.or_(*(column.contains(ch) for ch in _SPECIAL))
    quoted = sa.literal('"') + sa.func.replace(column, '"', '""') + sa.literal('"')
    return sa.case((special, quoted), else_=sa.func.coalesce(column, ""))


@lru_cache(maxsize=16)
def fixed_offset_minutes(tz: str) -> int | None:
    """The zone's UTC offset in minutes when it has not changed since 1992 nor will through 2049
    (Asia/Shanghai: 480; China dropped daylight saving after 1991), else None; a fixed offset lets SQLite
    shift ledger times itself."""
    zone = ZoneInfo(tz)
    offsets = {zone.utcoffset(datetime(y, m, 15)) for y in range(1992, 2050) for m in (1, 4, 7, 10)}
    if len(offsets) != 1:
        return None
    return int(offsets.pop().total_seconds() // 60)


def local_time_sql(dialect: str, tz: str):
    """SQL that gives a ledger line's county-local time as 'YYYY-MM-DD HH:MM:SS' text, or None when only
    Python can (SQLite with a zone that has daylight saving)."""
    if dialect == "postgresql":
        return sa.func.to_char(sa.func.timezone(tz, Movement.created_at), "YYYY-MM-DD HH24:MI:SS")
    minutes = fixed_offset_minutes(tz)
    if minutes is None:
        return None
    return sa.func.strftime("%Y-%m-%d %H:%M:%S", sa.type_coerce(Movement.created_at, sa.String),
                            f"{minutes:+d} minutes")


class _Words(dict):
    """Stored codes → words (kinds, reasons); a code without a word stays as it is, None is empty."""

    def __init__(self, words: dict | None, render=lambda text: text):
        super().__init__()
        self.words, self.render = words or {}, render

    def __missing__(self, code):
        value = "" if code is None else self.render(str(self.words.get(code, code)))
        self[code] = value
        return value


@dataclass
class _Names:
    """The text of each lot (its depot and item) and each user, read once per export as lines need them.
    A lot maps to (its text, the running-balance cell it shares with the other lots of its item at its
    depot); ``render`` turns the lot's six texts into what a line needs (a tuple, or one CSV fragment)."""

    connection: sa.Connection
    render: object
    render_user: object
    opening: dict

    def __post_init__(self):
        self.lots: dict[int, tuple] = {}
        self.users: dict[int, object] = {}
        self.cells: dict[tuple[int, int], list[int]] = {}

    def fill(self, batch) -> None:
        need = sorted({row[0] for row in batch}.difference(self.lots))
        for chunk in (need[k:k + LOOKUP_CHUNK] for k in range(0, len(need), LOOKUP_CHUNK)):
            query = (sa.select(Lot.id, Lot.depot_id, Lot.item_id, Depot.code, Depot.name, Item.code, Item.name_zh,
                               Item.unit, Lot.code).join(Depot, Depot.id == Lot.depot_id)
                     .join(Item, Item.id == Lot.item_id).where(Lot.id.in_(chunk)))
            for lot_id, depot_id, item_id, *texts in self.connection.execute(query):
                key = (depot_id, item_id)
                cell = self.cells.get(key)
                if cell is None:
                    cell = self.cells[key] = [self.opening.get(key, 0)]
                self.lots[lot_id] = (self.render(tuple(texts)), cell)
        need = {row[6] for row in batch}.difference(self.users)
        if need:
            for user_id, username in self.connection.execute(sa.select(User.id, User.username)
                                                             .where(User.id.in_(sorted(need)))):
                self.users[user_id] = self.render_user(username)


def _csv_fragment(texts: tuple) -> str:
    return ",".join(csv_field(t or "") for t in texts)


class LedgerQuery:
    """The movement ledger for the filters: ``count()``; ``rows()`` — tuples in ``KEYS`` order for pages,
    JSON and XLSX —; ``csv_lines()`` — the same lines as CSV text, a batch at a time. Raises on bad filters
    when made."""

    def __init__(self, engine, actor: Actor, filters: Filters = Filters(), tz: str = DEFAULT_TZ):
        self.engine, self.actor, self.filters, self.tz = engine, actor, filters, tz
        with Session(engine) as s:
            self.scope = _scope(s, actor, filters)
        self.where = self.scope + _time_window(filters, tz)

    def _joined(self, query):
        if self.scope:  # the filters name depots or items: only then join them
            query = query.join(Depot, Depot.id == Movement.depot_id).join(Item, Item.id == Movement.item_id)
        return query.where(*self.where)

    def count(self) -> int:
        with self.engine.connect() as c:
            return int(c.execute(self._joined(sa.select(sa.func.count()).select_from(Movement))).scalar_one())

    def dump_statement(self):
        """The plain SELECT of the same lines with the same columns, joined, stored codes, no running balance:
        what the database's own dump exports in the benchmark."""
        local = local_time_sql(self.engine.dialect.name, self.tz)
        return (sa.select(Movement.id, local if local is not None else Movement.created_at, Depot.code, Depot.name,
                          Item.code, Item.name_zh, Item.unit, Lot.code, Movement.kind, Movement.quantity,
                          Movement.balance_after, User.username, Movement.reason, Movement.reference, Movement.note)
                .select_from(Movement).join(Lot, Lot.id == Movement.lot_id)
                .join(Depot, Depot.id == Movement.depot_id).join(Item, Item.id == Movement.item_id)
                .join(User, User.id == Movement.user_id).where(*self.where).order_by(Movement.id))

    def _lines(self, as_csv: bool, limit: int | None):
        local = local_time_sql(self.engine.dialect.name, self.tz)
        text = _csv_sql if as_csv else (lambda column: column)
        query = self._joined(sa.select(Movement.lot_id, Movement.id, local if local is not None else Movement.created_at,
                                       Movement.kind, Movement.quantity, Movement.balance_after, Movement.user_id,
                                       Movement.reason, text(Movement.reference), text(Movement.note))
                             .select_from(Movement)).order_by(Movement.id)
        return (query.limit(limit) if limit is not None else query), local is not None

    def _batches(self, as_csv: bool, render, render_user, limit: int | None = None):
        """(names, batch) pairs: each batch a list of (lot id, line id, local time text, kind, quantity,
        lot balance, user id, reason, reference, note), the names filled for it."""
        query, timed_by_sql = self._lines(as_csv, limit)
        zone = ZoneInfo(self.tz)
        with self.engine.connect() as c:
            names = _Names(c, render, render_user, self._opening(c))
            result = c.execution_options(stream_results=True, yield_per=BATCH).execute(query)
            try:
                for batch in (driver_batches(result)[0] if timed_by_sql else result.partitions()):
                    if not timed_by_sql:
                        batch = [(r[0], r[1], r[2].astimezone(zone).strftime("%Y-%m-%d %H:%M:%S"), *r[3:])
                                 for r in batch]
                    names.fill(batch)
                    yield names, batch
            finally:
                result.close()

    def rows(self, limit: int | None = None, kind_words: dict | None = None,
             reason_words: dict | None = None) -> Iterator[tuple]:
        """``kind_words`` / ``reason_words``: the words to put for the stored codes (exports), else the codes."""
        kinds, reasons = kind_words or {}, reason_words or {}
        for names, batch in self._batches(False, tuple, str, limit):
            lots, users = names.lots, names.users
            for lot, i, at, kind, q, lot_balance, user, reason, reference, note in batch:
                texts, cell = lots[lot]
                balance = cell[0] = cell[0] + q
                yield (i, at, *texts, kinds.get(kind, kind), q, lot_balance, balance, users[user],
                       reasons.get(reason, reason), reference, note)

    def csv_lines(self, kind_words: dict | None = None, reason_words: dict | None = None) -> Iterator[str]:
        """The lines as CSV text (no header), ``\\r\\n`` after each, one string per batch; the fields exactly as
        ``csv.writer`` writes the tuples of ``rows()``."""
        kinds, reasons = _Words(kind_words, csv_field), _Words(reason_words, csv_field)
        for names, batch in self._batches(True, _csv_fragment, csv_field):
            lots, users = names.lots, names.users
            out = []
            add = out.append
            for lot, i, at, kind, q, lot_balance, user, reason, reference, note in batch:
                text, cell = lots[lot]
                balance = cell[0] = cell[0] + q
                add(f"{i},{at},{text},{kinds[kind]},{q},{lot_balance},{balance},{users[user]},{reasons[reason]},"
                    f"{reference},{note}\r\n")
            yield "".join(out)

    def _opening(self, c) -> dict[tuple[int, int], int]:
        """Units of each item at each depot in scope before the range starts (nothing without a start)."""
        if self.filters.start is None:
            return {}
        start = local_midnight_utc(self.filters.start, self.tz)
        query = (sa.select(Movement.depot_id, Movement.item_id, sa.func.sum(Movement.quantity)).select_from(Movement)
                 .join(Depot, Depot.id == Movement.depot_id).join(Item, Item.id == Movement.item_id)
                 .where(*self.scope, Movement.created_at < start).group_by(Movement.depot_id, Movement.item_id))
        return {(d, i): int(u) for d, i, u in c.execute(query)}


def driver_batches(result) -> tuple[Iterator[list], bool]:
    """Batches of rows read from the DB-API cursor itself, skipping SQLAlchemy's row objects (about a second
    a million lines), and whether they are; right when every column is text or a whole number as the driver
    gives it. With ``stream_results`` SQLAlchemy reads one row ahead (documented for its buffered strategy):
    that row comes first. Should its buffer hold more than that (another SQLAlchemy version), the rows are
    read the usual way — slower, still right (a test checks which way is taken on both databases)."""
    first = result.fetchmany(1)
    if len(getattr(result.cursor_strategy, "_rowbuffer", ())) or result.cursor is None:
        return itertools.chain([first], result.partitions()), False
    cursor = result.cursor

    def batches():
        yield [tuple(r) for r in first]
        while batch := cursor.fetchmany(BATCH):
            yield batch

    return batches(), True


def ledger(engine, actor: Actor, today: date, filters: Filters = Filters(), tz: str = DEFAULT_TZ,
           limit: int | None = None) -> dict:
    """The movement ledger as a plain result (the first ``limit`` lines; exports stream ``LedgerQuery``)."""
    q = LedgerQuery(engine, actor, filters, tz)
    rows = [dict(zip(KEYS, r)) for r in q.rows(limit)]
    return {"params": _params(filters, today), "total": q.count(), "rows": rows,
            "totals": {"lines": len(rows), "in": sum(r["quantity"] for r in rows if r["quantity"] > 0),
                       "out": -sum(r["quantity"] for r in rows if r["quantity"] < 0)}}
