"""Stock use cases: each takes plain values, checks who is asking, and is one transaction.

Every change of a lot's quantity goes through ``_write`` here, which applies a rule from
``inventory.ledger`` and writes the ledger line in the same transaction as the new balance.
"""
import hashlib
import json
import random
import secrets
import time
from dataclasses import asdict, dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import select

from common.actor import Actor
from common.db import UnitOfWork
from common.errors import IdempotencyKeyReused, InvalidInput, NotFound, WrongDepot
from inventory import chain, ledger
from inventory.queries import movement_dict
from inventory.models import LOT_SOURCES, STORAGE_MODES, Depot, IdempotencyRecord, Item, Lot, Movement


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


@dataclass(frozen=True)
class Context:
    """What every stock change carries besides its own values."""

    actor: Actor
    now: datetime  # aware; its date in the county's time zone is "today" for expiry
    today: date
    note: str | None = None
    reference: str | None = None
    idempotency_key: str | None = None


# ---------------------------------------------------------------- operations


def receive(engine, ctx: Context, *, quantity: int, lot: str | None = None, new_lot: NewLot | None = None) -> dict:
    if (lot is None) == (new_lot is None):
        raise InvalidInput("give either lot (an existing lot code) or new_lot, not both or neither", field="lot")
    params = {"lot": lot, "new_lot": asdict(new_lot) if new_lot else None, "quantity": quantity}

    return _run(engine, ctx, "receive", params, lambda uow: [receive_in(uow, ctx, quantity, lot, new_lot)])


def receive_in(uow, ctx: Context, quantity: int, lot: str | None = None, new_lot: NewLot | None = None) -> Movement:
    """A receipt inside a caller's transaction (the demo loader and importers batch many)."""
    target = _create_lot(uow, ctx, new_lot) if new_lot else _locked_lot(uow, lot)
    ctx.actor.require_stock_change(target.depot_id, _depot_code(uow, target.depot_id))
    return _write(uow, ctx, target, ledger.receive(_state(target), quantity))


def issue(engine, ctx: Context, *, lot: str, quantity: int) -> dict:
    return _take_from_lot(engine, ctx, "issue", lot, {"quantity": quantity},
                          lambda state: ledger.issue(state, quantity, ctx.today))


def write_off(engine, ctx: Context, *, lot: str, quantity: int, reason: str) -> dict:
    return _take_from_lot(engine, ctx, "write_off", lot, {"quantity": quantity, "reason": reason},
                          lambda state: ledger.write_off(state, quantity, reason))


def count(engine, ctx: Context, *, lot: str, counted: int) -> dict:
    return _take_from_lot(engine, ctx, "count", lot, {"counted": counted},
                          lambda state: ledger.count(state, counted))


def return_stock(engine, ctx: Context, *, lot: str, quantity: int) -> dict:
    return _take_from_lot(engine, ctx, "return", lot, {"quantity": quantity},
                          lambda state: ledger.return_(state, quantity))


def transfer(engine, ctx: Context, *, lot: str, quantity: int, to_depot: str, to_lot: str | None = None) -> dict:
    """Moves units to another depot as a pair of lines that are written together or not at all.
    The units arrive in a lot of the destination that keeps the origin's item, expiry and terms."""
    params = {"lot": lot, "quantity": quantity, "to_depot": to_depot, "to_lot": to_lot}

    def body(uow):
        destination_code = to_lot or f"{lot}-{to_depot}"
        locked = _lock_in_id_order(uow, {lot, destination_code})
        if lot not in locked:
            raise NotFound(f"no lot with code {lot}", field="lot")
        source = locked[lot]
        destination_depot = _depot_by_code(uow, to_depot, field="to_depot")
        ctx.actor.require_stock_change(source.depot_id, _depot_code(uow, source.depot_id))
        ctx.actor.require_stock_change(destination_depot.id, destination_depot.code)
        if destination_depot.id == source.depot_id:
            raise InvalidInput(f"lot {source.code} is already at depot {to_depot}", field="to_depot")
        out = _write(uow, ctx, source, ledger.transfer_out(_state(source), quantity, ctx.today))
        destination = _destination_lot(uow, source, destination_depot, destination_code, locked.get(destination_code))
        incoming = _write(uow, ctx, destination, ledger.transfer_in(_state(destination), quantity), counterpart=out)
        return [out, incoming]

    return _run(engine, ctx, "transfer", params, body)


# ---------------------------------------------------------------- the machinery


def _take_from_lot(engine, ctx: Context, kind: str, lot_code: str, params: dict, rule) -> dict:
    def body(uow):
        lot = _locked_lot(uow, lot_code)
        ctx.actor.require_stock_change(lot.depot_id, _depot_code(uow, lot.depot_id))
        return [_write(uow, ctx, lot, rule(_state(lot)))]

    return _run(engine, ctx, kind, {"lot": lot_code, **params}, body)


RETRYABLE_SQLSTATES = {"40P01", "40001"}  # deadlock detected, serialization failure
ATTEMPTS = 3


def _run(engine, ctx: Context, kind: str, params: dict, body) -> dict:
    """Runs one operation in one transaction; with an idempotency key, a repeat returns the first answer.
    Two transfers in opposite directions can deadlock on PostgreSQL; the loser is rolled back and run again."""
    fingerprint = hashlib.sha256(
        json.dumps({"kind": kind, **params}, sort_keys=True, default=str).encode()
    ).hexdigest()
    key = ctx.idempotency_key
    if key is not None and not (0 < len(key) <= 100):
        raise InvalidInput("Idempotency-Key must be 1 to 100 characters", field="idempotency_key")
    for attempt in range(1, ATTEMPTS + 1):
        try:
            return _run_once(engine, ctx, fingerprint, body)
        except OperationalError as e:
            if getattr(e.orig, "sqlstate", None) not in RETRYABLE_SQLSTATES or attempt == ATTEMPTS:
                raise
        except IntegrityError:
            # Two first transfers to one depot both created its destination lot; the retry finds it.
            if attempt == ATTEMPTS:
                raise
        time.sleep(random.uniform(0.005, 0.05) * attempt)


def _run_once(engine, ctx: Context, fingerprint: str, body) -> dict:
    key = ctx.idempotency_key
    with UnitOfWork(engine) as uow:
        if key is not None:
            replay = _replay(uow, ctx.actor, key, fingerprint)
            if replay is not None:
                return replay
        movements = body(uow)
        uow.session.flush()
        result = {"replayed": False, "entries": [_movement_dict(uow, m, ctx.actor) for m in movements]}
        if key is not None:
            uow.session.add(IdempotencyRecord(user_id=ctx.actor.user_id, key=key, fingerprint=fingerprint,
                                              response=json.dumps(result, ensure_ascii=False)))
        try:
            uow.commit()
            return result
        except IntegrityError:
            if key is None:
                raise
    # Another request with the same key committed first: answer as it did.
    with UnitOfWork(engine) as uow:
        replay = _replay(uow, ctx.actor, key, fingerprint)
        if replay is None:  # pragma: no cover - the integrity error had another cause
            raise RuntimeError(f"could not record the request with Idempotency-Key {key}")
        return replay


def _replay(uow, actor: Actor, key: str, fingerprint: str) -> dict | None:
    record = uow.session.exec(
        select(IdempotencyRecord).where(IdempotencyRecord.user_id == actor.user_id, IdempotencyRecord.key == key)
    ).first()
    if record is None:
        return None
    if record.fingerprint != fingerprint:
        raise IdempotencyKeyReused(
            f"Idempotency-Key {key} was already used for a different request; use a new key for a new action",
            field="idempotency_key",
        )
    return {**json.loads(record.response), "replayed": True}


def _write(uow, ctx: Context, lot: Lot, change: ledger.Change, counterpart: Movement | None = None) -> Movement:
    fields = dict(
        kind=change.kind, lot_id=lot.id, depot_id=lot.depot_id, item_id=lot.item_id,
        quantity=change.quantity, balance_after=change.balance_after, user_id=ctx.actor.user_id,
        created_at=ctx.now, reason=change.reason, note=ctx.note, reference=ctx.reference,
        idempotency_key=ctx.idempotency_key, counterpart_id=counterpart.id if counterpart else None,
    )
    movement = Movement(**fields, prev_hash=lot.chain_head, hash=chain.line_hash(lot.chain_head, fields))
    lot.quantity, lot.chain_head = change.balance_after, movement.hash
    uow.session.add(lot)
    uow.session.add(movement)
    uow.session.flush()
    return movement


def _state(lot: Lot) -> ledger.LotState:
    return ledger.LotState(code=lot.code, quantity=lot.quantity, expires_on=lot.expires_on)


def _locked_lot(uow, code: str, field: str = "lot") -> Lot:
    if not isinstance(code, str) or not code:
        raise InvalidInput("a lot code is required", field=field)
    lot = uow.session.exec(uow.lock_for_update(select(Lot).where(Lot.code == code))).first()
    if lot is None:
        raise NotFound(f"no lot with code {code}", field=field)
    return lot


def _depot_by_code(uow, code: str, field: str = "depot") -> Depot:
    depot = uow.session.exec(select(Depot).where(Depot.code == code)).first()
    if depot is None:
        raise NotFound(f"no depot with code {code}", field=field)
    return depot


def _depot_code(uow, depot_id: int) -> str:
    return uow.session.get(Depot, depot_id).code


def _create_lot(uow, ctx: Context, new: NewLot) -> Lot:
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
    if new.unit_price_cents is not None and new.unit_price_cents < 0:
        raise InvalidInput("unit price cannot be negative", field="new_lot.unit_price")
    code = new.code or _new_lot_code(uow)
    if uow.session.exec(select(Lot.id).where(Lot.code == code)).first() is not None:
        raise InvalidInput(f"lot code {code} is already in use", field="new_lot.code")
    lot = Lot(code=code, item_id=item.id, depot_id=depot.id, quantity=0, received_on=new.received_on,
              expires_on=new.expires_on, storage_mode=new.storage_mode, partner=new.partner, source=new.source,
              unit_price_cents=new.unit_price_cents, created_at=ctx.now)
    uow.session.add(lot)
    uow.session.flush()
    return lot


def _new_lot_code(uow) -> str:
    while True:
        code = "L" + secrets.token_hex(5).upper()
        if uow.session.exec(select(Lot.id).where(Lot.code == code)).first() is None:
            return code


def _lock_in_id_order(uow, codes: set[str]) -> dict[str, Lot]:
    """Locks several lots at once, always in the same order, so two transfers in opposite
    directions queue instead of deadlocking."""
    query = uow.lock_for_update(select(Lot).where(Lot.code.in_(codes)).order_by(Lot.id))
    return {lot.code: lot for lot in uow.session.exec(query).all()}


def _destination_lot(uow, source: Lot, depot: Depot, code: str, existing: Lot | None) -> Lot:
    if existing is not None:
        same_goods = (existing.item_id, existing.expires_on) == (source.item_id, source.expires_on)
        if existing.depot_id != depot.id or not same_goods:
            raise WrongDepot(
                f"lot {code} exists but is not this item and expiry at depot {depot.code}", field="to_lot"
            )
        return existing
    lot = Lot(code=code, item_id=source.item_id, depot_id=depot.id, quantity=0, received_on=source.received_on,
              expires_on=source.expires_on, storage_mode=source.storage_mode, partner=source.partner,
              source="transfer", unit_price_cents=source.unit_price_cents, origin_lot_id=source.id)
    uow.session.add(lot)
    uow.session.flush()
    return lot


def _movement_dict(uow, m: Movement, actor: Actor) -> dict:
    s = uow.session  # the lot and depot are in the session already; the actor made every line
    return movement_dict(m, s.get(Lot, m.lot_id), s.get(Depot, m.depot_id), s.get(Item, m.item_id), actor)
