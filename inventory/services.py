"""Stock use cases: each takes plain values, checks who is asking, and is one transaction.

Every change of a lot's quantity goes through ``_write`` here, which applies a rule from
``inventory.ledger`` and writes the ledger line in the same transaction as the new balance.

The write path (lock the lot, write the line, remember the answer) runs SQLAlchemy Core statements
on the unit of work's connection rather than going through ORM objects: a stock change is a few known
statements, and the ORM's bookkeeping around them cost more than the statements themselves (see the
ledger section of docs/benchmarks.md). Reads off that path (depots, items) stay ORM. Doing each operation once
per Idempotency-Key, and again after a deadlock, is ``inventory.idempotency``'s.
"""
import hashlib
import secrets
from collections import namedtuple
from dataclasses import asdict, dataclass
from dataclasses import fields as dataclass_fields
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import select

from common.actor import Actor
from common.errors import CountSessionOpen, InvalidInput, NotFound, WrongDepot
from common.limits import MAX_UNIT_PRICE
from inventory import chain, ledger, ledger_keys, shelves
from inventory.codes import check_code
from inventory.idempotency import in_transaction, once_in
from inventory.models import LOT_SOURCES, STORAGE_MODES, Depot, Item, Lot, Movement
from inventory.queries import movement_dict

LOT, DEPOT, ITEM = Lot.__table__, Depot.__table__, Item.__table__
MOVEMENT = Movement.__table__
LOT_CODE_MAX = LOT.c.code.type.length  # 48


@dataclass(frozen=True)
class NewLot:
    """A lot that arrives for the first time with a receipt."""

    item: str  # item code
    depot: str  # depot code
    received_on: date
    expires_on: date | None = None
    code: str | None = None  # generated when not given
    storage_mode: str = "physical"
    partner: str | None = None
    source: str = "purchase"
    unit_price_cents: int | None = None
    shelf: str | None = None  # where it is put in the depot, e.g. A-03 (inventory.shelves)


@dataclass(frozen=True)
class Context:
    """What every stock change carries besides its own values."""

    actor: Actor
    now: datetime  # aware; its date in the county's time zone is "today" for expiry
    today: date
    note: str | None = None
    reference: str | None = None
    idempotency_key: str | None = None


@dataclass
class LockedLot:
    """A lot row as a stock change holds it, locked for the transaction, with the codes of its depot and
    item for the answer. ``_write`` keeps quantity and chain_head current after each line it writes."""

    id: int
    code: str
    depot_id: int
    depot_code: str
    item_id: int
    item_code: str
    quantity: int
    expires_on: date | None
    chain_head: str
    received_on: date
    storage_mode: str
    partner: str | None
    unit_price_cents: int | None


@dataclass(frozen=True)
class Line:
    """A ledger line just written: the values of its row (as ``Movement`` has them) and its id."""

    id: int
    kind: str
    lot_id: int
    depot_id: int
    item_id: int
    quantity: int
    balance_after: int
    user_id: int
    created_at: datetime
    reason: str | None
    note: str | None
    reference: str | None
    idempotency_key: str | None
    counterpart_id: int | None


# ---------------------------------------------------------------- operations


def receive(engine, ctx: Context, *, quantity: int, lot: str | None = None, new_lot: NewLot | None = None) -> dict:
    if (lot is None) == (new_lot is None):
        raise InvalidInput("give either lot (an existing lot code) or new_lot, not both or neither", field="lot")
    params = {"lot": lot, "new_lot": asdict(new_lot) if new_lot else None, "quantity": quantity}

    def body(uow):
        target = _create_lot(uow, ctx, new_lot) if new_lot else _locked_lot(uow, lot)
        return [(_receive_into(uow, ctx, target, quantity), target)]

    return _run(engine, ctx, "receive", params, body)


def receive_in(uow, ctx: Context, quantity: int, lot: str | None = None, new_lot: NewLot | None = None) -> Line:
    """A receipt inside a caller's transaction (the demo loader and importers batch many)."""
    target = _create_lot(uow, ctx, new_lot) if new_lot else _locked_lot(uow, lot)
    return _receive_into(uow, ctx, target, quantity)


BULK_CHUNK = 2000  # rows per multi-row statement (well under SQLite's and PostgreSQL's bound-parameter limits)


def receive_new_lots(uow, ctx: Context, entries: list[tuple[NewLot, int, str | None]]) -> int:
    """Many new lots, each with one receipt, in a caller's transaction: what ``receive_in(new_lot=…)`` writes for
    each — the lot, one hash-chained ``receive`` line (note per entry, reference from ``ctx``), the lot's balance
    and chain head — in a few multi-row statements instead of six statements a lot (the register import's
    opening balances, issue #12). The caller has checked the lots as ``_create_lot`` would: codes given,
    well-formed and free, storage mode and partner, dates, price; a code taken meanwhile fails the transaction on
    the unique index. Answers the number of lines written."""
    if not entries:
        return 0
    c = _connection(uow)
    depots = {code: i for i, code in c.execute(sa.select(DEPOT.c.id, DEPOT.c.code).where(
        DEPOT.c.code.in_({new.depot for new, _, _ in entries})))}
    items = dict(c.execute(sa.select(ITEM.c.code, ITEM.c.id).where(ITEM.c.code.in_({new.item for new, _, _ in entries}))).all())
    for code, depot_id in depots.items():
        ctx.actor.require_stock_change(depot_id, code)
    keyring = ledger_keys.of(uow.engine)
    for start in range(0, len(entries), BULK_CHUNK):
        chunk = entries[start:start + BULK_CHUNK]
        c.execute(sa.insert(LOT), [dict(code=new.code, item_id=items[new.item], depot_id=depots[new.depot],
                                        quantity=0, received_on=new.received_on, expires_on=new.expires_on,
                                        storage_mode=new.storage_mode, partner=new.partner, source=new.source,
                                        unit_price_cents=new.unit_price_cents, shelf=new.shelf,
                                        chain_head=chain.GENESIS, created_at=ctx.now) for new, _, _ in chunk])
        ids = dict(c.execute(sa.select(LOT.c.code, LOT.c.id).where(LOT.c.code.in_([new.code for new, _, _ in chunk]))).all())
        lines, heads = [], []
        for new, quantity, note in chunk:
            change = ledger.receive(ledger.LotState(new.code, 0, new.expires_on), quantity)
            fields = dict(kind=change.kind, lot_id=ids[new.code], depot_id=depots[new.depot], item_id=items[new.item],
                          quantity=change.quantity, balance_after=change.balance_after, user_id=ctx.actor.user_id,
                          created_at=ctx.now, reason=change.reason, note=note, reference=ctx.reference,
                          idempotency_key=None, counterpart_id=None)
            line_hash = chain.line_hash(chain.GENESIS, fields, keyring.current_key)
            lines.append({**fields, "prev_hash": chain.GENESIS, "hash": line_hash, "key_id": keyring.current})
            heads.append({"lot_id": fields["lot_id"], "new_quantity": change.balance_after, "new_head": line_hash})
        c.execute(sa.insert(MOVEMENT), lines)
        c.execute(_SET_LOT, heads)
    return len(entries)


def _receive_into(uow, ctx: Context, target: LockedLot, quantity: int) -> Line:
    ctx.actor.require_stock_change(target.depot_id, target.depot_code)
    return _write(uow, ctx, target, ledger.receive(_state(target), quantity))


def issue(engine, ctx: Context, *, lot: str, quantity: int) -> dict:
    return _take_from_lot(engine, ctx, "issue", lot, {"quantity": quantity},
                          lambda state: ledger.issue(state, quantity, ctx.today))


def count(engine, ctx: Context, *, lot: str, counted: int) -> dict:
    """A direct count (the scanning page's continuous count): the lot's balance becomes what was counted, at
    once. Refused while the lot is in an open count session: that session's close adjusts the lot, and a
    direct count as well would write the same difference twice."""

    def body(uow):
        target = _locked_lot(uow, lot)
        ctx.actor.require_stock_change(target.depot_id, target.depot_code)
        _refuse_while_in_open_count(uow, target)
        return [(_write(uow, ctx, target, ledger.count(_state(target), counted)), target)]

    return _run(engine, ctx, "count", {"lot": lot, "counted": counted}, body)


# The count sessions' tables (the counts package, above this one: inventory never imports it), by name.
_COUNT_SESSION = sa.table("count_session", sa.column("id"), sa.column("status"))
_COUNT_LINE = sa.table("count_line", sa.column("session_id"), sa.column("lot_id"))
_OPEN_COUNT_OF_LOT = (
    sa.select(_COUNT_SESSION.c.id).join(_COUNT_LINE, _COUNT_LINE.c.session_id == _COUNT_SESSION.c.id)
    .where(_COUNT_LINE.c.lot_id == sa.bindparam("lot_id"), _COUNT_SESSION.c.status == "open").limit(1))


def _refuse_while_in_open_count(uow, lot: LockedLot) -> None:
    """The lot is locked, so a session cannot count it meanwhile; one that starts after this check counts
    it afterwards, with this count already in the balance it records."""
    session_id = _connection(uow).execute(_OPEN_COUNT_OF_LOT, {"lot_id": lot.id}).scalar()
    if session_id is not None:
        reference = f"PD-{session_id}"  # counts.rules.reference
        raise CountSessionOpen(
            f"count {reference} is under way at depot {lot.depot_code}: record lot {lot.code} in that count "
            "instead of counting it directly", field="lot", message_code="count_session_open",
            params={"lot": lot.code, "count": reference, "depot": lot.depot_code}, count_id=session_id)


def return_stock(engine, ctx: Context, *, lot: str, quantity: int) -> dict:
    return _take_from_lot(engine, ctx, "return", lot, {"quantity": quantity},
                          lambda state: ledger.return_(state, quantity))


def transfer(engine, ctx: Context, *, lot: str, quantity: int, to_depot: str, to_lot: str | None = None) -> dict:
    """Moves units to another depot as a pair of lines that are written together or not at all.
    The units arrive in a lot of the destination that keeps the origin's item, expiry and terms."""
    params = {"lot": lot, "quantity": quantity, "to_depot": to_depot, "to_lot": to_lot}
    return _run(engine, ctx, "transfer", params, lambda uow: _transfer(uow, ctx, lot, quantity, to_depot, to_lot))


def default_destination_code(lot: str, to_depot: str) -> str:
    """The default code of the lot units arrive in: ``<lot>-<depot>``, so that every transfer of one lot to one
    depot lands in the same lot. When that is longer than a lot code may be (48), the origin's code cut to 35
    characters, '-', and 12 hex digits of a SHA-256 of ``<lot>-<depot>``: still the same for the same pair."""
    code = f"{lot}-{to_depot}"
    if len(code) <= LOT_CODE_MAX:
        return code
    digest = hashlib.sha256(code.encode()).hexdigest()[:12].upper()
    return f"{lot[:LOT_CODE_MAX - 13]}-{digest}"


def _transfer(uow, ctx: Context, lot: str, quantity: int, to_depot: str, to_lot: str | None) -> list:
    if to_lot is not None:
        check_code(to_lot, field="to_lot", max_length=LOT_CODE_MAX)
    destination_code = to_lot or default_destination_code(lot, to_depot)
    locked = _lock_in_id_order(uow, {lot, destination_code})
    if lot not in locked:
        raise NotFound(f"no lot with code {lot}", field="lot", message_code="no_such_lot", params={"lot": lot})
    source = locked[lot]
    destination_depot = _depot_by_code(uow, to_depot, field="to_depot")
    ctx.actor.require_stock_change(source.depot_id, source.depot_code)
    ctx.actor.require_stock_change(destination_depot.id, destination_depot.code)
    if destination_depot.id == source.depot_id:
        raise InvalidInput(f"lot {source.code} is already at depot {to_depot}", field="to_depot",
                           message_code="lot_already_there", params={"lot": source.code, "depot": to_depot})
    out = _write(uow, ctx, source, ledger.transfer_out(_state(source), quantity, ctx.today))
    destination = _destination_lot(uow, ctx, source, destination_depot, destination_code,
                                   locked.get(destination_code))
    incoming = _write(uow, ctx, destination, ledger.transfer_in(_state(destination), quantity),
                      counterpart_id=out.id)
    return [(out, source), (incoming, destination)]


# Inside a caller's transaction: for a use case that changes stock together with its own rows (a rotation
# task marked done with the lines it causes). They return the ledger entries written.


def issue_in(uow, ctx: Context, *, lot: str, quantity: int) -> list[dict]:
    return _entries(_take(uow, ctx, lot, lambda state: ledger.issue(state, quantity, ctx.today)), ctx.actor)


def transfer_in(uow, ctx: Context, *, lot: str, quantity: int, to_depot: str) -> list[dict]:
    return _entries(_transfer(uow, ctx, lot, quantity, to_depot, None), ctx.actor)


def ship_in(uow, ctx: Context, *, lot: str, quantity: int) -> list[dict]:
    """A transfer order's units leave ``lot`` (kind ``ship``): from now on they are in transit on the order
    (``ctx.reference``, its code), not in any depot. The source depot's keeper or an administrator."""
    return _entries(_take(uow, ctx, lot, lambda state: ledger.ship(state, quantity, ctx.today)), ctx.actor)


def deliver_in(uow, ctx: Context, *, from_lot: str, quantity: int, to_depot: str,
               counterpart_id: int | None = None) -> list[dict]:
    """Units of a transfer order shipped from ``from_lot`` arrive at ``to_depot`` (kind ``deliver``), in the
    destination lot ``<from_lot>-<to_depot>`` that keeps the origin's item, expiry and terms (as a transfer's).
    The destination depot's keeper or an administrator; ``counterpart_id``: the ``ship`` line they left with."""
    destination_code = f"{from_lot}-{to_depot}"
    locked = _lock_in_id_order(uow, {from_lot, destination_code})
    if from_lot not in locked:
        raise NotFound(f"no lot with code {from_lot}", field="lot", message_code="no_such_lot", params={"lot": from_lot})
    source = locked[from_lot]
    depot = _depot_by_code(uow, to_depot, field="to_depot")
    ctx.actor.require_stock_change(depot.id, depot.code)
    destination = _destination_lot(uow, ctx, source, depot, destination_code, locked.get(destination_code))
    line = _write(uow, ctx, destination, ledger.deliver(_state(destination), quantity), counterpart_id=counterpart_id)
    return _entries([(line, destination)], ctx.actor)


def return_lot_in(uow, ctx: Context, *, origin_lot: str, to_depot: str) -> dict:
    """The lot returned units of ``origin_lot`` enter at ``to_depot`` (回收): the origin lot itself when it is at
    that depot, else ``<origin_lot>-<to_depot>``, made now (empty) when it does not exist yet, keeping the origin's
    item, expiry and terms as a transfer's lot does. The depot's keeper or an administrator. Answers
    {"id", "code", "created"}."""
    depot = _depot_by_code(uow, to_depot, field="depot")
    ctx.actor.require_stock_change(depot.id, depot.code)
    destination_code = f"{origin_lot}-{to_depot}"
    locked = _lock_in_id_order(uow, {origin_lot, destination_code})
    if origin_lot not in locked:
        raise NotFound(f"no lot with code {origin_lot}", field="lot", message_code="no_such_lot",
                       params={"lot": origin_lot})
    origin = locked[origin_lot]
    if origin.depot_id == depot.id:
        return {"id": origin.id, "code": origin.code, "created": False}
    existing = locked.get(destination_code)
    lot = _destination_lot(uow, ctx, origin, depot, destination_code, existing)
    return {"id": lot.id, "code": lot.code, "created": existing is None}


def return_in(uow, ctx: Context, *, lot: str, quantity: int, counterpart_id: int | None = None) -> list[dict]:
    """Returned units enter a lot (kind ``return``, 回收) inside a caller's transaction; the lot's keeper or an
    administrator. ``counterpart_id``: the line they left a village point's lot with, if they did."""
    target = _locked_lot(uow, lot)
    ctx.actor.require_stock_change(target.depot_id, target.depot_code)
    line = _write(uow, ctx, target, ledger.return_(_state(target), quantity), counterpart_id=counterpart_id)
    return _entries([(line, target)], ctx.actor)


def hand_back_in(uow, ctx: Context, *, lot: str, quantity: int) -> list[dict]:
    """Units that leave a village point's lot as a return to another depot (kind ``transfer_out``), recorded by
    the keeper who receives them there (the caller checks that): they hand over what the lot's ledger holds."""
    target = _locked_lot(uow, lot)
    return _entries([(_write(uow, ctx, target, ledger.hand_back(_state(target), quantity)), target)], ctx.actor)


def write_off_in(uow, ctx: Context, *, lot: str, quantity: int, reason: str) -> list[dict]:
    """The only way units are written off (报损): an approved write-off request (``inventory.writeoffs``)
    calls this in its transaction, with ``ctx.reference`` naming the request. The lot is locked and the
    stock rule checked now, whatever the lot held when the request was made."""
    return _entries(_take(uow, ctx, lot, lambda state: ledger.write_off(state, quantity, reason)), ctx.actor)
def count_since_in(uow, ctx: Context, *, lot: str, counted: int, balance_at_count: int) -> list[dict]:
    """A count recorded when the lot's ledger said ``balance_at_count``, entered now (``ledger.count_since``):
    a count session closing writes one such line per counted lot in its own transaction."""
    return _entries(_take(uow, ctx, lot, lambda state: ledger.count_since(state, counted, balance_at_count)),
                    ctx.actor)


# ---------------------------------------------------------------- one transaction, once


def _take_from_lot(engine, ctx: Context, kind: str, lot_code: str, params: dict, rule) -> dict:
    return _run(engine, ctx, kind, {"lot": lot_code, **params}, lambda uow: _take(uow, ctx, lot_code, rule))


def _take(uow, ctx: Context, lot_code: str, rule) -> list:
    lot = _locked_lot(uow, lot_code)
    ctx.actor.require_stock_change(lot.depot_id, lot.depot_code)
    return [(_write(uow, ctx, lot, rule(_state(lot))), lot)]


def _entries(written: list, actor: Actor) -> list[dict]:
    return [_entry(line, lot, actor) for line, lot in written]


def _run(engine, ctx: Context, kind: str, params: dict, body) -> dict:
    """Runs one operation in one transaction; with an idempotency key, a repeat returns the first answer
    (``once_in``). ``body(uow)`` does the work and returns the (line, lot) pairs it wrote."""

    def once(uow):
        answer, _replayed = once_in(uow, ctx, kind, params,
                                    lambda: {"replayed": False, "entries": _entries(body(uow), ctx.actor)})
        return answer

    return in_transaction(engine, once)


# ---------------------------------------------------------------- writing a line


def _connection(uow) -> sa.Connection:
    """The unit of work's connection, in its transaction (on SQLite begun with BEGIN IMMEDIATE)."""
    return uow.session.connection()


_SET_LOT = (sa.update(LOT).where(LOT.c.id == sa.bindparam("lot_id"))
            .values(quantity=sa.bindparam("new_quantity"), chain_head=sa.bindparam("new_head")))
_ADD_LINE = sa.insert(MOVEMENT).returning(MOVEMENT.c.id)


def _write(uow, ctx: Context, lot: LockedLot, change: ledger.Change, counterpart_id: int | None = None) -> Line:
    """Writes one ledger line and the lot's new balance and chain head, in the caller's transaction.
    The lot must be locked (``_locked_lot``) or created in this transaction. (The demo loader also passes
    ``Lot`` rows it read in its own transaction, on a database nobody else writes to yet.)"""
    fields = dict(
        kind=change.kind, lot_id=lot.id, depot_id=lot.depot_id, item_id=lot.item_id,
        quantity=change.quantity, balance_after=change.balance_after, user_id=ctx.actor.user_id,
        created_at=ctx.now, reason=change.reason, note=ctx.note, reference=ctx.reference,
        idempotency_key=ctx.idempotency_key, counterpart_id=counterpart_id,
    )
    keyring = ledger_keys.of(uow.engine)  # attached at app creation; its current key signs the line
    line_hash = chain.line_hash(lot.chain_head, fields, keyring.current_key)
    c = _connection(uow)
    c.execute(_SET_LOT, {"lot_id": lot.id, "new_quantity": change.balance_after, "new_head": line_hash})
    line_id = c.execute(_ADD_LINE, {**fields, "prev_hash": lot.chain_head, "hash": line_hash,
                                    "key_id": keyring.current}).scalar_one()
    lot.quantity, lot.chain_head = change.balance_after, line_hash
    return Line(id=line_id, **fields)


_Code = namedtuple("_Code", "code")  # what movement_dict reads of a depot and an item


def _entry(line: Line, lot: LockedLot, actor: Actor) -> dict:
    """A line as the answer shows it: the same shape as the ledger listing (the actor wrote every line)."""
    return movement_dict(line, lot, _Code(lot.depot_code), _Code(lot.item_code), actor)


def _state(lot: LockedLot) -> ledger.LotState:
    return ledger.LotState(code=lot.code, quantity=lot.quantity, expires_on=lot.expires_on)


# ---------------------------------------------------------------- lots: locking and creating

_LOT_ROWS = (  # a lot with the codes of its depot and item; FOR UPDATE OF lot: see _lock_in_id_order
    sa.select(LOT.c.id, LOT.c.code, LOT.c.depot_id, DEPOT.c.code.label("depot_code"), LOT.c.item_id,
              ITEM.c.code.label("item_code"), LOT.c.quantity, LOT.c.expires_on, LOT.c.chain_head,
              LOT.c.received_on, LOT.c.storage_mode, LOT.c.partner, LOT.c.unit_price_cents)
    .join(DEPOT, DEPOT.c.id == LOT.c.depot_id).join(ITEM, ITEM.c.id == LOT.c.item_id)
    .with_for_update(of=LOT)
)
_LOCK_ONE = _LOT_ROWS.where(LOT.c.code == sa.bindparam("code"))
_LOCK_SEVERAL = _LOT_ROWS.where(LOT.c.code.in_(sa.bindparam("codes", expanding=True))).order_by(LOT.c.id)


def _locked_lot(uow, code: str, field: str = "lot") -> LockedLot:
    if not isinstance(code, str) or not code:
        raise InvalidInput("a lot code is required", field=field)
    row = _connection(uow).execute(_LOCK_ONE, {"code": code}).first()
    if row is None:
        raise NotFound(f"no lot with code {code}", field=field, message_code="no_such_lot", params={"lot": code})
    return LockedLot(**row._mapping)


def _lock_in_id_order(uow, codes: set[str]) -> dict[str, LockedLot]:
    """Locks several lots at once, always in id order, so two transfers in opposite directions queue
    instead of deadlocking. On PostgreSQL ``FOR UPDATE OF lot`` locks the lot rows only (their depot
    and item rows are just read: locking those would queue every keeper of a depot behind each other);
    SQLite renders no such clause, as every write transaction holds the database's write lock from its
    BEGIN IMMEDIATE."""
    rows = _connection(uow).execute(_LOCK_SEVERAL, {"codes": sorted(codes)})
    return {row.code: LockedLot(**row._mapping) for row in rows}


def _insert_lot(uow, ctx: Context, depot_code: str, item_code: str, **values) -> LockedLot:
    """A new, empty lot; nobody else sees it before this transaction commits."""
    row = dict(values, quantity=0, chain_head=chain.GENESIS, created_at=ctx.now)
    lot_id = _connection(uow).execute(sa.insert(LOT).returning(LOT.c.id), row).scalar_one()
    held = {f.name for f in dataclass_fields(LockedLot)}
    return LockedLot(id=lot_id, depot_code=depot_code, item_code=item_code,
                     **{name: value for name, value in row.items() if name in held})


def _depot_by_code(uow, code: str, field: str = "depot") -> Depot:
    depot = uow.session.exec(select(Depot).where(Depot.code == code)).first()
    if depot is None:
        raise NotFound(f"no depot with code {code}", field=field, message_code="no_such_depot", params={"depot": code})
    return depot


def _create_lot(uow, ctx: Context, new: NewLot) -> LockedLot:
    depot = _depot_by_code(uow, new.depot, field="new_lot.depot")
    item = uow.session.exec(select(Item).where(Item.code == new.item)).first()
    if item is None:
        raise NotFound(f"no item with code {new.item}", field="new_lot.item")
    if new.storage_mode not in STORAGE_MODES:
        raise InvalidInput(f"storage_mode must be one of {', '.join(STORAGE_MODES)}", field="new_lot.storage_mode")
    if new.storage_mode != "physical" and not new.partner:
        raise InvalidInput("agreement and capacity stock must name the partner enterprise holding it",
                           field="new_lot.partner")
    if new.source not in LOT_SOURCES:
        raise InvalidInput(f"source must be one of {', '.join(LOT_SOURCES)}", field="new_lot.source")
    if new.expires_on is not None and new.expires_on < new.received_on:
        raise InvalidInput("expires_on is before received_on", field="new_lot.expires_on")
    if new.unit_price_cents is not None and not 0 <= new.unit_price_cents <= MAX_UNIT_PRICE * 100:
        raise InvalidInput(f"unit price must be 0 to {MAX_UNIT_PRICE:,} yuan", field="new_lot.unit_price")
    if new.code is not None:
        check_code(new.code, field="new_lot.code", max_length=LOT_CODE_MAX)
    shelf = shelves.optional_shelf(new.shelf, field="new_lot.shelf")
    code = new.code or _new_lot_code(uow)
    if uow.session.exec(select(Lot.id).where(Lot.code == code)).first() is not None:
        raise InvalidInput(f"lot code {code} is already in use", field="new_lot.code")
    return _insert_lot(uow, ctx, depot.code, item.code, code=code, item_id=item.id, depot_id=depot.id,
                       received_on=new.received_on, expires_on=new.expires_on, storage_mode=new.storage_mode,
                       partner=new.partner, source=new.source, unit_price_cents=new.unit_price_cents,
                       shelf=shelf)


def _new_lot_code(uow) -> str:
    while True:
        code = "L" + secrets.token_hex(5).upper()
        if uow.session.exec(select(Lot.id).where(Lot.code == code)).first() is None:
            return code


def _destination_lot(uow, ctx: Context, source: LockedLot, depot: Depot, code: str,
                     existing: LockedLot | None) -> LockedLot:
    if existing is not None:
        same_goods = (existing.item_id, existing.expires_on) == (source.item_id, source.expires_on)
        if existing.depot_id != depot.id or not same_goods:
            raise WrongDepot(
                f"lot {code} exists but is not this item and expiry at depot {depot.code}", field="to_lot"
            )
        return existing
    return _insert_lot(uow, ctx, depot.code, source.item_code, code=code, item_id=source.item_id, depot_id=depot.id,
                       received_on=source.received_on, expires_on=source.expires_on,
                       storage_mode=source.storage_mode, partner=source.partner, source="transfer",
                       unit_price_cents=source.unit_price_cents, origin_lot_id=source.id)
