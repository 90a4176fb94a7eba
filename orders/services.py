"""Transfer orders as use cases: each takes plain values, checks who is asking, and is one transaction.

Who: dispatchers and administrators approve plans into orders and cancel them (until shipped); the source
depot's keepers (or an administrator) pick and ship; the destination depot's keepers (or an administrator)
receive; at a shelter the dispatcher or a keeper of the source depot (or an administrator) confirms the
delivery with the receiver's name. Keepers read the orders of their depots, as source or destination;
administrators, dispatchers and auditors read every one.

Every action locks the order's row first (FOR UPDATE on PostgreSQL; on SQLite every unit of work holds the
write lock from BEGIN IMMEDIATE), so two keepers acting on one order queue, and the second sees what the
first did. With an ``idempotency_key`` an action is done once (``inventory.idempotency.once_in``): a repeat
answers with the order as it stands and ``replayed`` true, or with the first refusal.

Stock: shipping writes one ``ship`` line per (line, lot) at the source lots; receiving writes ``deliver``
lines into the destination lots ``<lot>-<depot>``; a shelter's delivery writes nothing (the units left the
books when they were shipped). Every ledger line carries ``reference = <order code>``.
"""
import json
from collections import defaultdict
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Session, func, select

from accounts.models import User
from common.actor import ADMIN, AUDITOR, DISPATCHER, KEEPER, Actor
from accounts.security import append_event
from common.db import UnitOfWork
from common.errors import (DomainError, Forbidden, InsufficientStock, InvalidInput, LotExpired, NotFound, Problems,
                           WrongDepot)
from dispatch.models import Incident, Plan, Shelter
from inventory import fefo
from inventory import services as stock
from inventory.ledger import is_expired
from inventory.models import Depot, Item, Lot
from orders import rules
from orders.models import TransferEvent, TransferLine, TransferOrder, TransferPick, TransferReceipt

MAX_ID = 2**31 - 1


# ---------------------------------------------------------------- approving a plan


def approve_plan(engine, actor: Actor, now: datetime, *, incident_id: int, plan_id: int,
                 idempotency_key: str | None = None) -> dict:
    """Creates at once one order per (source depot, destination site) of the plan's lot-level transfers, each
    line with its pick list (the plan's lots, first-expiry-first-out). A plan is approved once; while an
    incident has orders that are not cancelled, another of its plans cannot be approved as well."""
    actor.require_role(ADMIN, DISPATCHER)
    incident_id, plan_id = _id(incident_id, "incident"), _id(plan_id, "plan")

    def body(uow):
        def work():
            return _approve(uow, actor, now, incident_id, plan_id)

        return stock.once_in(uow, _ctx(actor, now, idempotency_key), "order_approve",
                             {"incident": incident_id, "plan": plan_id}, work)

    answer, replayed = _in_transaction(engine, body)
    with Session(engine) as s:
        orders = s.exec(select(TransferOrder).where(TransferOrder.plan_id == plan_id)
                        .order_by(TransferOrder.id)).all()
        return {**answer, "orders": _summaries(s, orders), "replayed": replayed}


def _approve(uow, actor: Actor, now: datetime, incident_id: int, plan_id: int) -> dict:
    s = uow.session
    incident = s.exec(uow.lock_for_update(select(Incident).where(Incident.id == incident_id))).first()
    if incident is None:
        raise NotFound(f"no incident {incident_id}", field="incident", message_code="order_incident_unknown",
                       params={"incident": incident_id})
    plan = s.get(Plan, plan_id)
    if plan is None or plan.incident_id != incident_id:
        raise NotFound(f"incident {incident_id} has no plan {plan_id}", field="plan", message_code="order_plan_unknown",
                       params={"incident": incident_id, "plan": plan_id})
    existing = s.exec(select(TransferOrder.plan_id, TransferOrder.state)
                      .where(TransferOrder.incident_id == incident_id)).all()
    if any(p == plan_id for p, _ in existing):
        raise rules.OrderStateConflict(f"plan {plan_id} has been approved already", field="plan",
                                       message_code="plan_already_approved", params={"plan": plan_id})
    active = sorted({p for p, state in existing if state != rules.CANCELLED})
    if active:
        raise rules.OrderStateConflict(
            f"incident {incident_id} already has orders of plan {active[0]} under way: cancel them before approving "
            "another plan", field="plan", message_code="incident_has_orders",
            params={"incident": incident_id, "plan": active[0]})
    transfers = json.loads(plan.plan).get("transfers") or []
    if not transfers:
        raise InvalidInput(f"plan {plan_id} sends nothing: there is nothing to approve", field="plan",
                           message_code="plan_sends_nothing", params={"plan": plan_id})
    groups: dict[tuple[str, str], dict[str, list]] = defaultdict(lambda: defaultdict(list))
    for row in transfers:
        groups[row["from"], row["to"]][row["item"]].append((row["lot"], int(row["quantity"])))
    depot_codes = {code for pair in groups for code in pair}
    depots = {d.code: d for chunk in _chunks(sorted(depot_codes))
              for d in s.exec(select(Depot).where(Depot.code.in_(chunk))).all()}
    shelters = {x.code: x for chunk in _chunks(sorted(depot_codes))
                for x in s.exec(select(Shelter).where(Shelter.code.in_(chunk))).all()}
    items = {i.code: i for i in s.exec(select(Item).where(Item.code.in_({r["item"] for r in transfers}))).all()}
    lots = {x.code: x for chunk in _chunks(sorted({r["lot"] for r in transfers}))
            for x in s.exec(select(Lot.code, Lot.item_id, Lot.expires_on, Lot.received_on)
                            .where(Lot.code.in_(chunk))).all()}
    for source, site in groups:
        if source not in depots:
            raise NotFound(f"the plan sends from depot {source}, which does not exist", field="plan",
                           message_code="plan_names_unknown", params={"plan": plan_id, "code": source})
        if site not in depots and site not in shelters:
            raise NotFound(f"the plan sends to {site}, which is neither a depot nor a shelter", field="plan",
                           message_code="plan_names_unknown", params={"plan": plan_id, "code": site})
    # every row built and checked first, then written with one multi-row insert per table (SQLAlchemy Core): a
    # province's plan makes tens of thousands of rows, which ORM objects would build many times slower
    number = len(existing)
    order_rows, line_rows = [], {}
    for (source, site), by_item in sorted(groups.items()):
        number += 1
        to_depot = depots.get(site)
        code = rules.order_code(str(incident_id), number)
        order_rows.append(dict(
            code=code, incident_id=incident_id, plan_id=plan_id, norm_version_id=plan.norm_version_id,
            source_depot_id=depots[source].id, destination_kind=rules.DEPOT if to_depot else rules.SHELTER,
            destination_code=site, destination_depot_id=to_depot.id if to_depot else None,
            destination_shelter_id=None if to_depot else shelters[site].id, state=rules.APPROVED,
            approved_by=actor.user_id, approved_at=now))
        line_rows[code] = []
        for item_code, parts in sorted(by_item.items()):
            item = items.get(item_code)
            if item is None or any(lot not in lots or lots[lot].item_id != item.id for lot, _ in parts):
                raise NotFound(f"the plan names an item or lot that does not exist ({item_code})", field="plan",
                               message_code="plan_names_unknown", params={"plan": plan_id, "code": item_code})
            parts = sorted(parts, key=lambda part: fefo.sort_key(lots[part[0]]))
            line_rows[code].append(dict(item_id=item.id, planned=sum(q for _, q in parts), picked=0, shipped=0,
                                        received=0, short=0, damaged=0,
                                        planned_lots=json.dumps([{"lot": lot, "quantity": q} for lot, q in parts])))
    c = s.connection()
    c.execute(sa.insert(TransferOrder.__table__), order_rows)
    ids = dict(c.execute(sa.select(TransferOrder.code, TransferOrder.id).where(TransferOrder.plan_id == plan_id)).all())
    c.execute(sa.insert(TransferLine.__table__), [{**row, "order_id": ids[code]}
                                                 for code, rows in line_rows.items() for row in rows])
    c.execute(sa.insert(TransferEvent.__table__), [
        _event_row(actor, now, ids[code], "approved", {"plan": plan_id, "norm_version": plan.norm_version_id,
                                                        "lines": len(rows)}) for code, rows in line_rows.items()])
    append_event(uow.session, uow.engine, "approval", username=actor.username, at=now,
                 message=("plan_approved", {"plan": plan_id, "incident": incident_id,
                                           "orders": ", ".join(line_rows)[:900]}))
    return {"incident": incident_id, "plan": plan_id, "norm_version": plan.norm_version_id,
            "approved_by": actor.username, "approved_at": now.isoformat(), "codes": list(line_rows)}


# ---------------------------------------------------------------- cancelling


def cancel(engine, actor: Actor, now: datetime, code: str, *, reason: str, idempotency_key: str | None = None) -> dict:
    """Cancels an order not yet shipped, with the reason; its picks are let go (they moved no stock)."""
    actor.require_role(ADMIN, DISPATCHER)
    reason = rules.text(reason, "reason", 500, required=True)

    def work(uow, order):
        rules.require_action(rules.CANCEL, order.state, order.code)
        order.state, order.cancel_reason = rules.CANCELLED, reason
        order.cancelled_by, order.cancelled_at = actor.user_id, now
        uow.session.add_all([order, _event(actor, now, order.id, "cancelled", {"reason": reason})])
        return {}

    return _act(engine, actor, now, code, "order_cancel", {"reason": reason}, idempotency_key, work)


# ---------------------------------------------------------------- picking and shipping at the source


def pick(engine, actor: Actor, now: datetime, today: date, code: str, *, lot: str, quantity: int,
         reason: str | None = None, idempotency_key: str | None = None) -> dict:
    """A lot scanned at the source depot for the order's line of its item: the planned lot, or a substitute with a
    reason. Nothing leaves the lot before shipping. A lot that passes over one expiring sooner is taken with a
    warning (``warnings``: pick_not_fefo), as the scanning page warns."""
    rules.quantity(quantity, "quantity")
    reason = rules.text(reason, "reason", 200)

    def work(uow, order):
        rules.require_action(rules.PICK, order.state, order.code)
        source = uow.session.get(Depot, order.source_depot_id)
        actor.require_stock_change(source.id, source.code)
        taken = _lot_by_code(uow.session, lot)
        if taken.depot_id != source.id:
            at = uow.session.get(Depot, taken.depot_id)
            raise WrongDepot(f"lot {lot} is at depot {at.code}, but order {order.code} leaves from {source.code}",
                             field="lot", message_code="pick_wrong_depot",
                             params={"lot": lot, "depot": at.code, "order": order.code, "source": source.code})
        line = uow.session.exec(select(TransferLine).where(TransferLine.order_id == order.id,
                                                           TransferLine.item_id == taken.item_id)).first()
        item = uow.session.get(Item, taken.item_id)
        if line is None:
            raise InvalidInput(f"order {order.code} carries no {item.code}; lot {lot} is not for it", field="lot",
                               message_code="pick_item_not_on_order",
                               params={"order": order.code, "item": item.code, "lot": lot})
        if is_expired(taken.expires_on, today):
            raise LotExpired(f"lot {lot} expired on {taken.expires_on.isoformat()}", field="lot",
                             message_code="lot_expired", params={"lot": lot, "expired": taken.expires_on.isoformat()})
        picked_from_lot = _picked(uow.session, order.id, line.id, taken.id)
        held_for_order = _picked(uow.session, order.id, None, taken.id)
        if held_for_order + quantity > taken.quantity:
            raise InsufficientStock(
                f"lot {lot} holds {taken.quantity}, {held_for_order} of them picked for this order already",
                field="quantity", message_code="pick_lot_holds_less",
                params={"lot": lot, "available": taken.quantity - held_for_order, "quantity": quantity},
                available=taken.quantity - held_for_order)
        planned_lots = {x["lot"]: x["quantity"] for x in json.loads(line.planned_lots)}
        check = rules.check_pick(order.code, item.code, _quantities(line), lot, quantity, planned_lots,
                                 picked_from_lot, reason)
        first = fefo.first_out(_not_yet_picked(uow.session, uow.session.exec(
            select(Lot).where(Lot.depot_id == source.id, Lot.item_id == item.id)).all()), today)
        not_fefo = fefo.out_of_order(taken, first)
        row = TransferPick(order_id=order.id, line_id=line.id, lot_id=taken.id, quantity=quantity,
                           substitute_reason=reason if check.substitute else None, not_fefo=not_fefo,
                           picked_by=actor.user_id, picked_at=now)
        line.picked += quantity
        order.state = rules.PICKING
        uow.session.add_all([row, line, order])
        uow.session.flush()
        uow.session.add(_event(actor, now, order.id, "picked", {
            "pick": row.id, "item": item.code, "lot": lot, "quantity": quantity, "substitute": check.substitute,
            "reason": row.substitute_reason, "not_fefo": not_fefo}))
        warnings = []
        if not_fefo:
            warnings.append({"code": "pick_not_fefo", "params": {"lot": lot, "first": first.code,
                                                                 "expires": first.expires_on.isoformat()},
                             "message": f"lot {first.code} expires sooner ({first.expires_on.isoformat()}) "
                                        f"and should leave first"})
        return {"pick": row.id, "substitute": check.substitute, "warnings": warnings}

    return _act(engine, actor, now, code, "order_pick", {"lot": lot, "quantity": quantity, "reason": reason},
                idempotency_key, work)


def unpick(engine, actor: Actor, now: datetime, code: str, *, pick_id: int, idempotency_key: str | None = None) -> dict:
    """Puts a picked lot back (a wrong scan, or units that stay behind) before the order is shipped."""
    pick_id = _id(pick_id, "pick")

    def work(uow, order):
        rules.require_action(rules.UNPICK, order.state, order.code)
        source = uow.session.get(Depot, order.source_depot_id)
        actor.require_stock_change(source.id, source.code)
        row = uow.session.get(TransferPick, pick_id)
        if row is None or row.order_id != order.id:
            raise NotFound(f"order {order.code} has no pick {pick_id}", field="pick", message_code="no_such_pick",
                           params={"order": order.code, "pick": pick_id})
        line = uow.session.get(TransferLine, row.line_id)
        line.picked -= row.quantity
        lot_code = uow.session.get(Lot, row.lot_id).code
        uow.session.delete(row)
        uow.session.flush()
        left = uow.session.exec(select(func.count()).select_from(TransferPick)
                                .where(TransferPick.order_id == order.id)).one()
        order.state = rules.PICKING if left else rules.APPROVED
        uow.session.add_all([line, order, _event(actor, now, order.id, "unpicked", {
            "pick": pick_id, "lot": lot_code, "quantity": row.quantity})])
        return {}

    return _act(engine, actor, now, code, "order_unpick", {"pick": pick_id}, idempotency_key, work)


def ship(engine, actor: Actor, now: datetime, today: date, code: str, *, lines: list[dict] | None = None,
         idempotency_key: str | None = None) -> dict:
    """Ships everything picked: one ``ship`` ledger line per (line, lot), the units in transit from now on.
    ``lines`` ([{item, quantity}], optional) confirms what was loaded: it must be what was picked."""
    confirmed = rules.item_quantities(lines)

    def work(uow, order):
        rules.require_action(rules.SHIP, order.state, order.code)
        source = uow.session.get(Depot, order.source_depot_id)
        actor.require_stock_change(source.id, source.code)
        order_lines = _lines_of(uow.session, order.id)
        codes = {line.id: item for line, item in order_lines}
        unknown = set(confirmed) - set(codes.values())
        if unknown:
            raise InvalidInput(f"order {order.code} carries no {sorted(unknown)[0]}", field="lines",
                               message_code="order_has_no_item", params={"order": order.code, "item": sorted(unknown)[0]})
        for line, item in order_lines:
            rules.check_ship(order.code, item, line.picked, confirmed.get(item))
        picks = uow.session.exec(select(TransferPick).where(TransferPick.order_id == order.id)).all()
        groups: dict[tuple[int, int], list[TransferPick]] = defaultdict(list)
        for p in picks:
            groups[p.lot_id, p.line_id].append(p)
        ctx = _ctx(actor, now, idempotency_key, today=today, reference=order.code)
        lot_codes = dict(uow.session.exec(select(Lot.id, Lot.code).where(Lot.id.in_({p.lot_id for p in picks}))).all())
        shipped = []
        for (lot_id, line_id), group in sorted(groups.items()):  # lots in id order, as transfers lock them
            units = sum(p.quantity for p in group)
            entry = stock.ship_in(uow, ctx, lot=lot_codes[lot_id], quantity=units)[0]
            for p in group:
                p.ship_movement_id = entry["id"]
            uow.session.add_all(group)
            shipped.append({"item": codes[line_id], "lot": lot_codes[lot_id], "quantity": units, "line": entry["id"]})
        for line, _item in order_lines:
            line.shipped = line.picked
            uow.session.add(line)
        order.state, order.shipped_by, order.shipped_at = rules.SHIPPED, actor.user_id, now
        uow.session.add_all([order, _event(actor, now, order.id, "shipped", {"lots": shipped})])
        return {"entries": shipped}

    return _act(engine, actor, now, code, "order_ship", {"lines": sorted(confirmed.items())}, idempotency_key, work)


# ---------------------------------------------------------------- receiving at the destination


def receive(engine, actor: Actor, now: datetime, today: date, code: str, *, lines: list[dict],
            idempotency_key: str | None = None) -> dict:
    """The destination depot's keeper (or an administrator) confirms per line what arrived (``received``, into the
    lots ``<lot>-<depot>``), what did not (``short``) and what arrived unusable (``damaged``), with reasons.
    What is not recorded stays in transit until a later receipt."""
    wanted = _receipt_lines(lines)

    def work(uow, order):
        rules.require_action(rules.RECEIVE, order.state, order.code)
        if order.destination_kind != rules.DEPOT:
            raise rules.OrderStateConflict(
                f"order {order.code} goes to shelter {order.destination_code}, not a depot: confirm its delivery "
                "with the receiver's name instead", message_code="order_to_shelter",
                params={"order": order.code, "site": order.destination_code})
        depot = uow.session.get(Depot, order.destination_depot_id)
        actor.require_stock_change(depot.id, depot.code)
        ctx = _ctx(actor, now, idempotency_key, today=today, reference=order.code)
        return _record_receipts(uow, actor, now, order, wanted, ctx=ctx, depot=depot, receiver=None)

    return _act(engine, actor, now, code, "order_receive", {"lines": wanted}, idempotency_key, work)


def deliver(engine, actor: Actor, now: datetime, code: str, *, lines: list[dict], receiver_name: str,
            idempotency_key: str | None = None) -> dict:
    """At a shelter (no depot, no stock book): whoever hands the units over — the dispatcher or a keeper of the
    source depot, or an administrator — confirms per line what the receiver took, with the receiver's name.
    No ledger line: the units left the books when they were shipped and are now delivered to the site."""
    receiver = rules.text(receiver_name, "receiver_name", 50, required=True)
    wanted = _receipt_lines(lines)

    def work(uow, order):
        rules.require_action(rules.RECEIVE, order.state, order.code)
        if order.destination_kind != rules.SHELTER:
            raise rules.OrderStateConflict(
                f"order {order.code} goes to depot {order.destination_code}: its keeper receives it by scan",
                message_code="order_to_depot", params={"order": order.code, "depot": order.destination_code})
        if actor.role == AUDITOR:
            actor.require_role(ADMIN, DISPATCHER)
        if actor.role == KEEPER and order.source_depot_id not in actor.depot_ids:
            source = uow.session.get(Depot, order.source_depot_id)
            raise Forbidden(f"a delivery to a shelter is confirmed by the dispatcher or a keeper of {source.code}",
                            message_code="deliver_not_yours", params={"order": order.code, "depot": source.code})
        return _record_receipts(uow, actor, now, order, wanted, ctx=None, depot=None, receiver=receiver)

    return _act(engine, actor, now, code, "order_deliver", {"lines": wanted, "receiver": receiver},
                idempotency_key, work)


def _record_receipts(uow, actor, now, order, wanted: list[dict], *, ctx, depot, receiver) -> dict:
    s = uow.session
    by_item = {item: line for line, item in _lines_of(s, order.id)}
    recorded, checked = [], []
    problems = Problems()  # every line checked before any is recorded; all bad ones named at once
    for n, want in enumerate(wanted):
        line = by_item.get(want["item"])
        if line is None:
            problems.add(InvalidInput(f"order {order.code} carries no {want['item']}", field=f"lines[{n}].item",
                                      message_code="order_has_no_item",
                                      params={"order": order.code, "item": want["item"]}),
                         line=n + 1, column="item", value=want["item"])
            continue
        try:
            receipt = rules.check_receipt(order.code, want["item"], _quantities(line), want["received"],
                                          want["short"], want["damaged"], want["short_reason"], want["damage_reason"])
        except DomainError as e:
            if e.status == 403:
                raise
            column = e.field
            e.field = f"lines[{n}].{e.field}" if e.field else f"lines[{n}]"
            problems.add(e, line=n + 1, column=column)
            continue
        checked.append((want, line, receipt))
    problems.raise_any("lines", "the lines")
    for want, line, receipt in checked:
        for part in rules.split_receipt(_outstanding(s, line), receipt):
            lot_code, received, damaged, short = part
            lot_id = s.exec(select(Lot.id).where(Lot.code == lot_code)).one()
            movement_id = None
            if received and depot is not None:
                ship_line = s.exec(select(TransferPick.ship_movement_id).where(
                    TransferPick.line_id == line.id, TransferPick.lot_id == lot_id)).first()
                entry = stock.deliver_in(uow, ctx, from_lot=lot_code, quantity=received, to_depot=depot.code,
                                         counterpart_id=ship_line)[0]
                movement_id = entry["id"]
            s.add(TransferReceipt(
                order_id=order.id, line_id=line.id, lot_id=lot_id, received=received, short=short, damaged=damaged,
                short_reason=receipt.short_reason if short else None,
                damage_reason=receipt.damage_reason if damaged else None, receiver_name=receiver,
                movement_id=movement_id, received_by=actor.user_id, received_at=now))
        line.received += receipt.received
        line.short += receipt.short
        line.damaged += receipt.damaged
        s.add(line)
        recorded.append({"item": want["item"], "received": receipt.received, "short": receipt.short,
                         "damaged": receipt.damaged, "short_reason": receipt.short_reason,
                         "damage_reason": receipt.damage_reason})
    s.flush()
    order.state = rules.state_after_receipt([_quantities(line) for line in by_item.values()])
    details = {"lines": recorded, **({"receiver": receiver} if receiver else {})}
    s.add_all([order, _event(actor, now, order.id, "delivered" if receiver else "received", details)])
    return {"recorded": recorded}


def _outstanding(s, line: TransferLine) -> list[tuple[str, int]]:
    """(lot, still in transit) of each lot the line was shipped from, first-expiry-first-out."""
    shipped = dict(s.exec(select(TransferPick.lot_id, func.sum(TransferPick.quantity))
                          .where(TransferPick.line_id == line.id).group_by(TransferPick.lot_id)).all())
    done = dict(s.exec(select(TransferReceipt.lot_id, func.sum(TransferReceipt.received + TransferReceipt.short
                                                               + TransferReceipt.damaged))
                       .where(TransferReceipt.line_id == line.id).group_by(TransferReceipt.lot_id)).all())
    lots = s.exec(select(Lot).where(Lot.id.in_(shipped))).all()
    return [(lot.code, int(shipped[lot.id]) - int(done.get(lot.id) or 0)) for lot in sorted(lots, key=fefo.sort_key)]


# ---------------------------------------------------------------- reading


def list_orders(engine, actor: Actor, *, incident: int | None = None, state: str | None = None,
                depot: str | None = None, limit: int = 200) -> list[dict]:
    """Orders newest first; keepers see those of their depots (as source or destination)."""
    if state is not None and state not in rules.STATES:
        raise InvalidInput(f"state must be one of {', '.join(rules.STATES)}", field="state",
                           message_code="order_state_unknown", params={"value": str(state)})
    with Session(engine) as s:
        query = select(TransferOrder).order_by(TransferOrder.id.desc()).limit(limit)
        if incident is not None:
            query = query.where(TransferOrder.incident_id == _id(incident, "incident"))
        if state is not None:
            query = query.where(TransferOrder.state == state)
        if depot is not None:
            found = s.exec(select(Depot).where(Depot.code == depot)).first()
            if found is None:
                raise NotFound(f"no depot with code {depot}", field="depot", message_code="no_such_depot",
                               params={"depot": depot})
            actor.require_read_depot(found.id, found.code)
            query = query.where(sa.or_(TransferOrder.source_depot_id == found.id,
                                       TransferOrder.destination_depot_id == found.id))
        if not actor.reads_everything:
            kept = actor.depot_ids or {-1}
            query = query.where(sa.or_(TransferOrder.source_depot_id.in_(kept),
                                       TransferOrder.destination_depot_id.in_(kept)))
        return _summaries(s, s.exec(query).all())


def get(engine, actor: Actor, code: str) -> dict:
    with Session(engine) as s:
        return _full(s, _readable(s, actor, code))


def reconciliation(engine, actor: Actor, incident_id: int) -> dict:
    """Per item over an incident's orders: what left the sources (the ledger's ship lines with the orders' codes)
    against in transit + received + short + damaged on the order lines."""
    actor.require_role(ADMIN, DISPATCHER, AUDITOR)
    with Session(engine) as s:
        rows = s.exec(select(Item.code, TransferLine).join(TransferOrder, TransferOrder.id == TransferLine.order_id)
                      .join(Item, Item.id == TransferLine.item_id)
                      .where(TransferOrder.incident_id == _id(incident_id, "incident"))).all()
        balances = rules.reconcile([(item, _quantities(line)) for item, line in rows])
        codes = s.exec(select(TransferOrder.code).where(TransferOrder.incident_id == incident_id)).all()
        ledger = _ledger_left(s, codes)
    return {"incident": incident_id, "items": [
        {"item": item, "left_sources": b.left_sources, "ledger_shipped": ledger.get(item, 0), "in_transit": b.in_transit,
         "received": b.received, "short": b.short, "damaged": b.damaged,
         "holds": b.holds and ledger.get(item, 0) == b.left_sources} for item, b in balances.items()]}


def _ledger_left(s, codes) -> dict[str, int]:
    from inventory.models import Movement

    if not codes:
        return {}
    rows = s.exec(select(Item.code, func.sum(Movement.quantity)).join(Item, Item.id == Movement.item_id)
                  .where(Movement.kind == "ship", Movement.reference.in_(codes)).group_by(Item.code)).all()
    return {item: -int(total) for item, total in rows}


def _readable(s, actor: Actor, code: str) -> TransferOrder:
    order = _order_by_code(s, code)
    if not actor.reads_everything and not ({order.source_depot_id, order.destination_depot_id} & actor.depot_ids):
        raise Forbidden(f"order {order.code} neither leaves from nor goes to a depot you keep",
                        message_code="order_not_yours", params={"order": order.code})
    return order


def _order_by_code(s, code, lock_with=None) -> TransferOrder:
    if not isinstance(code, str) or not rules.CODE.match(code):
        raise NotFound(f"no transfer order {code}", field="order", message_code="no_such_order",
                       params={"order": str(code)[:40]})
    query = select(TransferOrder).where(TransferOrder.code == code)
    order = s.exec(lock_with(query) if lock_with else query).first()
    if order is None:
        raise NotFound(f"no transfer order {code}", field="order", message_code="no_such_order", params={"order": code})
    return order


def _summary(s, o: TransferOrder) -> dict:
    return _summaries(s, [o])[0]


def _summaries(s, orders: list[TransferOrder]) -> list[dict]:
    """The orders' summaries with a few queries in all (depots, shelters, users, line totals), not a few per order:
    an approval answers with every order it made, and a keeper's list with up to 200."""
    if not orders:
        return []
    depot_ids = {o.source_depot_id for o in orders} | {o.destination_depot_id for o in orders} - {None}
    depots = {d.id: d for chunk in _chunks(sorted(depot_ids)) for d in s.exec(select(Depot).where(Depot.id.in_(chunk)))}
    shelter_ids = sorted({o.destination_shelter_id for o in orders} - {None})
    shelters = {x.id: x.name for chunk in _chunks(shelter_ids)
                for x in s.exec(select(Shelter).where(Shelter.id.in_(chunk)))}
    user_ids = sorted({u for o in orders for u in (o.approved_by, o.shipped_by, o.cancelled_by)} - {None})
    users = dict(row for chunk in _chunks(user_ids) for row in s.exec(select(User.id, User.username)
                                                                       .where(User.id.in_(chunk))))
    totals = {}
    for chunk in _chunks(sorted(o.id for o in orders)):
        for row in s.exec(select(TransferLine.order_id, func.count(), func.coalesce(func.sum(TransferLine.planned), 0),
                                 func.coalesce(func.sum(TransferLine.picked), 0),
                                 func.coalesce(func.sum(TransferLine.shipped), 0),
                                 func.coalesce(func.sum(TransferLine.received), 0),
                                 func.coalesce(func.sum(TransferLine.short + TransferLine.damaged), 0))
                          .where(TransferLine.order_id.in_(chunk)).group_by(TransferLine.order_id)):
            totals[row[0]] = tuple(int(v) for v in row[1:])

    def name(user_id):
        return None if user_id is None else users.get(user_id, str(user_id))

    answers = []
    for o in orders:
        source = depots[o.source_depot_id]
        lines, planned, picked, shipped, received, lost = totals.get(o.id, (0, 0, 0, 0, 0, 0))
        site = depots[o.destination_depot_id].name if o.destination_depot_id is not None \
            else shelters[o.destination_shelter_id]
        answers.append({
            "code": o.code, "incident": o.incident_id, "plan": o.plan_id, "norm_version": o.norm_version_id,
            "state": o.state, "source": source.code, "source_name": source.name,
            "destination_kind": o.destination_kind, "destination": o.destination_code, "destination_name": site,
            "approved_by": name(o.approved_by), "approved_at": o.approved_at, "shipped_by": name(o.shipped_by),
            "shipped_at": o.shipped_at, "cancelled_by": name(o.cancelled_by), "cancelled_at": o.cancelled_at,
            "cancel_reason": o.cancel_reason,
            "totals": {"lines": lines, "planned": planned, "picked": picked, "shipped": shipped, "received": received,
                       "short_or_damaged": lost, "in_transit": shipped - received - lost},
        })
    return answers


def _chunks(values: list, size: int = 5000):
    """Values in slices small enough for one IN (...) list on either database."""
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _full(s, o: TransferOrder) -> dict:
    lots = {}

    def lot(lot_id):
        if lot_id not in lots:
            lots[lot_id] = s.get(Lot, lot_id)
        return lots[lot_id]

    lines = []
    item_codes = {}
    for line, item in s.exec(select(TransferLine, Item).join(Item, Item.id == TransferLine.item_id)
                             .where(TransferLine.order_id == o.id).order_by(Item.code)).all():
        item_codes[line.id] = item.code
        q = _quantities(line)
        planned_lots = json.loads(line.planned_lots)
        known = {code: (expires_on, shelf) for code, expires_on, shelf in s.exec(
            select(Lot.code, Lot.expires_on, Lot.shelf).where(Lot.code.in_([x["lot"] for x in planned_lots]))).all()}
        lines.append({"item": item.code, "item_name": item.name_zh, "item_name_en": item.name_en, "unit": item.unit,
                      "state": rules.line_state(o.state, q), "planned": line.planned,
                      "planned_lots": [{**x, "expires_on": known.get(x["lot"], (None, None))[0],
                                        "shelf": known.get(x["lot"], (None, None))[1]} for x in planned_lots],
                      "picked": line.picked, "shipped": line.shipped, "received": line.received, "short": line.short,
                      "damaged": line.damaged, "in_transit": q.in_transit})
    picks = [{"id": p.id, "item": item_codes[p.line_id], "lot": lot(p.lot_id).code,
              "expires_on": lot(p.lot_id).expires_on, "quantity": p.quantity,
              "substitute_reason": p.substitute_reason, "not_fefo": p.not_fefo,
              "picked_by": _username(s, p.picked_by), "picked_at": p.picked_at,
              "shipped": p.ship_movement_id is not None, "ship_line": p.ship_movement_id}
             for p in s.exec(select(TransferPick).where(TransferPick.order_id == o.id).order_by(TransferPick.id)).all()]
    receipts = [{"id": r.id, "item": item_codes[r.line_id], "lot": lot(r.lot_id).code, "received": r.received,
                 "short": r.short, "damaged": r.damaged, "short_reason": r.short_reason,
                 "damage_reason": r.damage_reason, "receiver_name": r.receiver_name, "deliver_line": r.movement_id,
                 "received_by": _username(s, r.received_by), "received_at": r.received_at}
                for r in s.exec(select(TransferReceipt).where(TransferReceipt.order_id == o.id)
                                .order_by(TransferReceipt.id)).all()]
    history = [{"action": e.action, "user": e.username, "at": e.at, "details": json.loads(e.details)}
               for e in s.exec(select(TransferEvent).where(TransferEvent.order_id == o.id)
                               .order_by(TransferEvent.id)).all()]
    return {**_summary(s, o), "lines": lines, "picks": picks, "receipts": receipts, "history": history}


def _site_name(s, o: TransferOrder) -> str:
    if o.destination_depot_id is not None:
        return s.get(Depot, o.destination_depot_id).name
    return s.get(Shelter, o.destination_shelter_id).name


def _username(s, user_id: int | None) -> str | None:
    if user_id is None:
        return None
    user = s.get(User, user_id)
    return user.username if user else str(user_id)


# ---------------------------------------------------------------- shared steps


def _act(engine, actor: Actor, now: datetime, code: str, kind: str, params: dict, idempotency_key, work) -> dict:
    """Locks the order, runs ``work(uow, order)`` once per idempotency key, commits, and answers with the order as
    it stands now plus what ``work`` answered (and ``replayed``)."""
    def body(uow):
        order = _order_by_code(uow.session, code, uow.lock_for_update)

        def keyed():
            answer = work(uow, order)
            uow.session.flush()
            return answer

        return stock.once_in(uow, _ctx(actor, now, idempotency_key), kind, {"order": code, **params}, keyed)

    answer, replayed = _in_transaction(engine, body)
    with Session(engine) as s:
        return {**_full(s, _readable(s, actor, code)), **answer, "replayed": replayed}


def _in_transaction(engine, body):
    """One unit of work around ``body(uow)``, committed, run again on a deadlock or a destination lot two
    receipts created at once (``inventory.services.in_transaction``)."""
    return stock.in_transaction(engine, body)


def _ctx(actor: Actor, now: datetime, key: str | None, today: date | None = None, reference: str | None = None):
    return stock.Context(actor=actor, now=now, today=today or now.date(), reference=reference, idempotency_key=key)


def _event(actor: Actor, now: datetime, order_id: int, action: str, details: dict) -> TransferEvent:
    return TransferEvent(**_event_row(actor, now, order_id, action, details))


def _event_row(actor: Actor, now: datetime, order_id: int, action: str, details: dict) -> dict:
    return dict(order_id=order_id, action=action, user_id=actor.user_id, username=actor.username, at=now,
                details=json.dumps(details, ensure_ascii=False, default=str))


def _lines_of(s, order_id: int) -> list[tuple[TransferLine, str]]:
    return s.exec(select(TransferLine, Item.code).join(Item, Item.id == TransferLine.item_id)
                  .where(TransferLine.order_id == order_id).order_by(TransferLine.id)).all()


def _quantities(line: TransferLine) -> rules.LineQuantities:
    return rules.LineQuantities(planned=line.planned, picked=line.picked, shipped=line.shipped,
                                received=line.received, short=line.short, damaged=line.damaged)


def _not_yet_picked(s, lots: list[Lot]) -> list[fefo.LotLike]:
    """The lots as first-expiry-first-out sees them while picking: less the units picked for orders not yet shipped
    (nor cancelled). Picking moves no stock, yet a lot whose units are all picked has none left to take first."""
    held = dict(s.exec(
        select(TransferPick.lot_id, func.sum(TransferPick.quantity))
        .join(TransferOrder, TransferOrder.id == TransferPick.order_id)
        .where(TransferPick.lot_id.in_([lot.id for lot in lots]), TransferPick.ship_movement_id.is_(None),
               TransferOrder.state.in_((rules.APPROVED, rules.PICKING)))
        .group_by(TransferPick.lot_id)).all()) if lots else {}
    return [fefo.Available(lot.code, lot.quantity - int(held.get(lot.id) or 0), lot.expires_on, lot.received_on)
            for lot in lots]


def _picked(s, order_id: int, line_id: int | None, lot_id: int) -> int:
    query = select(func.coalesce(func.sum(TransferPick.quantity), 0)).where(TransferPick.order_id == order_id,
                                                                           TransferPick.lot_id == lot_id)
    if line_id is not None:
        query = query.where(TransferPick.line_id == line_id)
    return int(s.exec(query).one())


def _lot_by_code(s, code) -> Lot:
    if not isinstance(code, str) or not code or len(code) > 48:
        raise InvalidInput("scan or type a lot code", field="lot", message_code="order_lot_required")
    lot = s.exec(select(Lot).where(Lot.code == code)).first()
    if lot is None:
        raise NotFound(f"no lot with code {code}", field="lot", message_code="no_such_lot", params={"lot": code})
    return lot


def _id(value, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ID:
        raise NotFound(f"no {field} {value!r}", field=field, message_code="order_id_unknown",
                       params={"field": field, "value": str(value)})
    return value


def _receipt_lines(lines) -> list[dict]:
    if not isinstance(lines, list) or not lines:
        raise InvalidInput("name at least one line with what arrived", field="lines", message_code="receipt_no_lines")
    seen, wanted = set(), []
    problems = Problems()  # every bad line named at once
    for n, row in enumerate(lines):
        item = row.get("item") if isinstance(row, dict) else None
        if not isinstance(item, str) or not item:
            problems.add(InvalidInput("each line names its item", field=f"lines[{n}].item"), line=n + 1, column="item")
            continue
        if item in seen:
            problems.add(InvalidInput(f"{item} is named twice", field=f"lines[{n}].item",
                                      message_code="order_item_twice", params={"item": item}),
                         line=n + 1, column="item", value=item)
            continue
        seen.add(item)
        wanted.append({"item": item, "received": row.get("received", 0), "short": row.get("short", 0),
                       "damaged": row.get("damaged", 0), "short_reason": row.get("short_reason"),
                       "damage_reason": row.get("damage_reason")})
    problems.raise_any("lines", "the lines")
    return wanted
