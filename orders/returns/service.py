"""Returns (回收) as use cases: plain values in, one transaction each, done once per idempotency key.

Who: a keeper of the receiving depot (or an administrator) receives a return and inspects it; a dispatcher (or
an administrator) declares units that will not come back; everyone reads, keepers included (they need to know
what is still out to take it back); auditors only read.

Stock: a received return writes no ledger line at its depot: the units are back (no longer out) but not usable
until inspected. The inspection writes one ``return`` line of all of them into the return's lot (reference
``HS-<id>``): the restocked units are usable stock from then on, and the damaged ones wait in the lot for an
administrator to approve the write-off request made for them (``inventory.writeoffs``), as any damaged unit
found on a shelf does. From a village point (a depot site) the units leave its lot at the receipt, with a
``transfer_out`` line of the same reference, so they are never in two depots' books at once.

Each action locks the incident's row first, so two returns of the same units queue and the second sees the
first (the still-out check); an inspection locks its return.
"""
from collections import defaultdict
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Session, func, select

from common.actor import ADMIN, AUDITOR, DISPATCHER, KEEPER, Actor
from common.errors import Forbidden, InvalidInput, NotFound
from dispatch.models import Incident, Shelter
from inventory import services as stock
from inventory.models import Depot, Item, Lot, WriteOffRequest
from inventory.writeoffs import service as writeoffs
from orders import rules as order_rules
from orders.models import EquipmentRelease, EquipmentReturn, TransferLine, TransferOrder, TransferReceipt
from orders.returns import rules
from orders.services import _ctx, _id, _in_transaction, _username

DAMAGE_NOTE = "回收检验损坏 {ref}：{reason}"


# ---------------------------------------------------------------- reading


def still_out(engine, actor: Actor, incident_id: int) -> dict:
    """Per site and durable item of the incident: sent, returned, released and still out, with the lots sent (the
    labels a keeper scans when the units come back)."""
    incident_id = _id(incident_id, "incident")
    with Session(engine) as s:
        return _still_out(s, _incident(s, incident_id))


def worklist(engine, actor: Actor) -> dict:
    """What the scanning page keeps on the phone to receive returns by scan: the incidents with durable equipment
    still out (newest first, each as ``still_out`` answers), and the returns awaiting inspection at the depots the
    actor keeps (at every depot for those who read everything), oldest first."""
    with Session(engine) as s:
        ids = s.exec(select(TransferOrder.incident_id).where(TransferOrder.incident_id.is_not(None),
                                                       TransferOrder.state != order_rules.CANCELLED).distinct()).all()
        incidents = [found for found in (_still_out(s, s.get(Incident, i)) for i in sorted(ids, reverse=True))
                     if found["still_out"] > 0]
        query = (select(EquipmentReturn).where(EquipmentReturn.status == "awaiting_inspection")
                 .order_by(EquipmentReturn.id))
        if not actor.reads_everything:
            query = query.where(EquipmentReturn.depot_id.in_(actor.depot_ids or {-1}))
        return {"incidents": incidents, "awaiting": [_return_dict(s, r) for r in s.exec(query).all()]}


def _still_out(s, incident: Incident) -> dict:
    """One incident's still-out answer (see ``still_out``)."""
    incident_id = incident.id
    table = _outstanding(s, incident_id)
    lots = _lots_sent(s, incident_id)
    items = {i.id: i for i in s.exec(select(Item).where(Item.id.in_({k[2] for k in table} or {-1}))).all()}
    rows = []
    for (kind, site, item_id), out in table.items():
        item = items[item_id]
        rows.append({"site_kind": kind, "site": site, "site_name": _site_name(s, kind, site), "item": item.code,
                     "item_name": item.name_zh, "item_name_en": item.name_en, "unit": item.unit,
                     "sent": out.sent, "returned": out.returned, "released": out.released,
                     "still_out": out.still_out, "lots": sorted(lots.get((site, item_id), ()))})
    awaiting = s.exec(select(func.count()).select_from(EquipmentReturn).where(
        EquipmentReturn.incident_id == incident_id, EquipmentReturn.status == "awaiting_inspection")).one()
    return {"incident": incident_id, "title": incident.title, "rows": rows,
            "still_out": sum(r["still_out"] for r in rows), "awaiting_inspection": int(awaiting)}


def list_returns(engine, actor: Actor, incident_id: int) -> dict:
    """The incident's returns (newest first) and releases."""
    incident_id = _id(incident_id, "incident")
    with Session(engine) as s:
        _incident(s, incident_id)
        returns = s.exec(select(EquipmentReturn).where(EquipmentReturn.incident_id == incident_id)
                         .order_by(EquipmentReturn.id.desc())).all()
        releases = s.exec(select(EquipmentRelease).where(EquipmentRelease.incident_id == incident_id)
                          .order_by(EquipmentRelease.id.desc())).all()
        return {"incident": incident_id, "returns": [_return_dict(s, r) for r in returns],
                "releases": [_release_dict(s, r) for r in releases]}


def get_return(engine, actor: Actor, return_id: int) -> dict:
    with Session(engine) as s:
        return _return_dict(s, _return_row(s, return_id))


# ---------------------------------------------------------------- receiving a return


def receive(engine, actor: Actor, now: datetime, today: date, incident_id: int, *, site: str, lot: str, quantity: int,
            depot: str, note: str | None = None, idempotency_key: str | None = None) -> dict:
    """Durable units of ``lot`` (the label scanned: the lot they were shipped from, or a village point's lot they
    were received into) come back from ``site`` into ``depot``: at most what is still out there."""
    _require_keeper(actor)
    incident_id = _id(incident_id, "incident")
    site, lot, depot = (_code(v, f) for v, f in ((site, "site"), (lot, "lot"), (depot, "depot")))
    order_rules.quantity(quantity, "quantity")
    note = order_rules.text(note, "note", 200)

    def body(uow):
        def work():
            return {"id": _receive(uow, actor, now, today, incident_id, site, lot, quantity, depot, note)}

        return stock.once_in(uow, _ctx(actor, now, idempotency_key, today=today), "equipment_return",
                             {"incident": incident_id, "site": site, "lot": lot, "quantity": quantity,
                              "depot": depot, "note": note}, work)

    return _answer(engine, body)


def _receive(uow, actor, now, today, incident_id, site, lot_code, quantity, depot_code, note) -> int:
    s = uow.session
    _incident(s, incident_id, uow.lock_for_update)
    kind, site_depot = _site(s, incident_id, site)
    scanned = s.exec(select(Lot).where(Lot.code == lot_code)).first()
    if scanned is None:
        raise NotFound(f"no lot with code {lot_code}", field="lot", message_code="no_such_lot", params={"lot": lot_code})
    site_lot = None
    origin = scanned
    if site_depot is not None and scanned.depot_id == site_depot.id and scanned.origin_lot_id is not None:
        origin, site_lot = s.get(Lot, scanned.origin_lot_id), scanned
    item = s.get(Item, origin.item_id)
    if not item.durable:
        raise InvalidInput(f"{item.code} ({item.name_zh}) is not durable equipment: it is not taken back",
                           field="lot", message_code="return_item_not_durable",
                           params={"item": item.code, "name": item.name_zh})
    if origin.id not in _lots_sent_ids(s, incident_id, site):
        raise InvalidInput(f"lot {lot_code} was not sent to {site} by this incident's orders", field="lot",
                           message_code="return_lot_not_sent", params={"lot": lot_code, "site": site})
    out = _outstanding(s, incident_id).get((kind, site, item.id))
    rules.check_taken_back("returned", site, item.code, quantity, out)
    to = s.exec(select(Depot).where(Depot.code == depot_code)).first()
    if to is None:
        raise NotFound(f"no depot with code {depot_code}", field="depot", message_code="no_such_depot",
                       params={"depot": depot_code})
    if site_depot is not None and to.id == site_depot.id:
        raise InvalidInput(f"the units are at {site} already: receive them at the depot they go back to",
                           field="depot", message_code="return_to_its_site", params={"site": site})
    ctx = _ctx(actor, now, None, today=today)
    into = stock.return_lot_in(uow, ctx, origin_lot=origin.code, to_depot=to.code)
    row = EquipmentReturn(incident_id=incident_id, site_kind=kind, site_code=site, item_id=item.id,
                          origin_lot_id=origin.id, quantity=quantity, depot_id=to.id, lot_id=into["id"],
                          status="awaiting_inspection", note=note, received_by=actor.user_id, received_at=now)
    s.add(row)
    s.flush()
    if site_depot is not None:
        code = site_lot.code if site_lot else stock.default_destination_code(origin.code, site_depot.code)
        ctx = _ctx(actor, now, None, today=today, reference=rules.reference(row.id))
        row.out_movement_id = stock.hand_back_in(uow, ctx, lot=code, quantity=quantity)[0]["id"]
        s.add(row)
        s.flush()
    return row.id


# ---------------------------------------------------------------- inspecting it


def inspect(engine, actor: Actor, now: datetime, today: date, return_id: int, *, restocked: int, damaged: int = 0,
            damage_reason: str | None = None, idempotency_key: str | None = None) -> dict:
    """All of a return, inspected at its depot: ``restocked`` units become usable stock, ``damaged`` ones enter the
    lot with a pending write-off request for them (reason damaged), in one transaction."""
    _require_keeper(actor)
    return_id = _id(return_id, "return")

    def body(uow):
        def work():
            return {"id": _inspect(uow, actor, now, today, return_id, restocked, damaged, damage_reason)}

        return stock.once_in(uow, _ctx(actor, now, idempotency_key, today=today), "equipment_return_inspect",
                             {"return": return_id, "restocked": restocked, "damaged": damaged,
                              "damage_reason": damage_reason}, work)

    return _answer(engine, body)


def _inspect(uow, actor, now, today, return_id, restocked, damaged, damage_reason) -> int:
    s = uow.session
    row = s.exec(uow.lock_for_update(select(EquipmentReturn).where(EquipmentReturn.id == return_id))).first()
    if row is None:
        raise NotFound(f"no return {rules.reference(return_id)}", field="return", message_code="no_such_return",
                       params={"reference": rules.reference(return_id)})
    ref = rules.reference(row.id)
    depot = s.get(Depot, row.depot_id)
    actor.require_stock_change(depot.id, depot.code)
    if row.status != "awaiting_inspection":
        raise rules.ReturnConflict(f"{ref} has been inspected already", field="return",
                                   message_code="return_already_inspected", params={"reference": ref})
    found = rules.check_inspection(ref, row.quantity, restocked, damaged, damage_reason)
    lot = s.get(Lot, row.lot_id)
    ctx = _ctx(actor, now, None, today=today, reference=ref)
    entry = stock.return_in(uow, ctx, lot=lot.code, quantity=row.quantity, counterpart_id=row.out_movement_id)[0]
    row.return_movement_id = entry["id"]
    if found.damaged:
        request = writeoffs.request_in(uow, actor, now, lot=lot.code, quantity=found.damaged, reason="damaged",
                                       note=DAMAGE_NOTE.format(ref=ref, reason=found.damage_reason))
        row.write_off_request_id = request["id"]
    row.status, row.restocked, row.damaged, row.damage_reason = ("inspected", found.restocked, found.damaged,
                                                                 found.damage_reason)
    row.inspected_by, row.inspected_at = actor.user_id, now
    s.add(row)
    s.flush()
    return row.id


# ---------------------------------------------------------------- declaring units that will not come back


def release(engine, actor: Actor, now: datetime, incident_id: int, *, site: str, item: str, quantity: int,
            reason: str, idempotency_key: str | None = None) -> dict:
    """A dispatcher (or an administrator) declares units of a durable item at a site as not coming back (given to
    a family, lost, used up), with the reason: they leave the list of what is still out."""
    actor.require_role(ADMIN, DISPATCHER)
    incident_id = _id(incident_id, "incident")
    site, item = _code(site, "site"), _code(item, "item")
    order_rules.quantity(quantity, "quantity")
    reason = order_rules.text(reason, "reason", 500, required=True)

    def body(uow):
        def work():
            s = uow.session
            _incident(s, incident_id, uow.lock_for_update)
            kind, _site_depot = _site(s, incident_id, site)
            found = s.exec(select(Item).where(Item.code == item)).first()
            if found is None:
                raise NotFound(f"no item with code {item}", field="item", message_code="no_such_item",
                               params={"item": item})
            if not found.durable:
                raise InvalidInput(f"{found.code} ({found.name_zh}) is not durable equipment: it is not tracked",
                                   field="item", message_code="return_item_not_durable",
                                   params={"item": found.code, "name": found.name_zh})
            rules.check_taken_back("released", site, found.code, quantity,
                                   _outstanding(s, incident_id).get((kind, site, found.id)))
            row = EquipmentRelease(incident_id=incident_id, site_kind=kind, site_code=site, item_id=found.id,
                                   quantity=quantity, reason=reason, declared_by=actor.user_id, declared_at=now)
            s.add(row)
            s.flush()
            return {"id": row.id}

        return stock.once_in(uow, _ctx(actor, now, idempotency_key), "equipment_release",
                             {"incident": incident_id, "site": site, "item": item, "quantity": quantity,
                              "reason": reason}, work)

    answer, replayed = _in_transaction(engine, body)
    with Session(engine) as s:
        return {**_release_dict(s, s.get(EquipmentRelease, answer["id"])), "replayed": replayed}


# ---------------------------------------------------------------- shared steps


def _answer(engine, body) -> dict:
    answer, replayed = _in_transaction(engine, body)
    with Session(engine) as s:
        return {**_return_dict(s, s.get(EquipmentReturn, answer["id"])), "replayed": replayed}


def _require_keeper(actor: Actor) -> None:
    if actor.role == AUDITOR:
        actor.require_role(ADMIN, KEEPER)  # read only
    if actor.role not in (ADMIN, KEEPER):
        raise Forbidden("returns are received and inspected by the keepers of the depot they come back to",
                        message_code="return_needs_keeper")


def _code(value, field: str) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > 48:
        raise InvalidInput(f"{field} must be a code", field=field, message_code="return_code_required",
                           params={"field": field})
    return value.strip()


def _incident(s, incident_id: int, lock_with=None) -> Incident:
    query = select(Incident).where(Incident.id == incident_id)
    incident = s.exec(lock_with(query) if lock_with else query).first()
    if incident is None:
        raise NotFound(f"no incident {incident_id}", field="incident", message_code="order_incident_unknown",
                       params={"incident": incident_id})
    return incident


def _orders_of(incident_id: int):
    return sa.and_(TransferOrder.incident_id == incident_id, TransferOrder.state != order_rules.CANCELLED)


def _site(s, incident_id: int, site: str) -> tuple[str, Depot | None]:
    """(kind, depot or None) of a site the incident's orders went to."""
    kind = s.exec(select(TransferOrder.destination_kind).where(_orders_of(incident_id),
                                                               TransferOrder.destination_code == site)).first()
    if kind is None:
        raise NotFound(f"incident {incident_id} sent nothing to {site}", field="site",
                       message_code="return_site_unknown", params={"incident": incident_id, "site": site})
    depot = s.exec(select(Depot).where(Depot.code == site)).first() if kind == order_rules.DEPOT else None
    return kind, depot


def _outstanding(s, incident_id: int) -> dict:
    """{(site kind, site code, item id): Outstanding} over the incident's durable items."""
    sent = s.exec(select(TransferOrder.destination_kind, TransferOrder.destination_code, TransferLine.item_id,
                         func.sum(TransferLine.received))
                  .join(TransferLine, TransferLine.order_id == TransferOrder.id)
                  .join(Item, Item.id == TransferLine.item_id)
                  .where(_orders_of(incident_id), Item.durable.is_(True))
                  .group_by(TransferOrder.destination_kind, TransferOrder.destination_code, TransferLine.item_id)).all()
    returned = s.exec(select(EquipmentReturn.site_kind, EquipmentReturn.site_code, EquipmentReturn.item_id,
                             func.sum(EquipmentReturn.quantity)).where(EquipmentReturn.incident_id == incident_id)
                      .group_by(EquipmentReturn.site_kind, EquipmentReturn.site_code, EquipmentReturn.item_id)).all()
    released = s.exec(select(EquipmentRelease.site_kind, EquipmentRelease.site_code, EquipmentRelease.item_id,
                             func.sum(EquipmentRelease.quantity)).where(EquipmentRelease.incident_id == incident_id)
                      .group_by(EquipmentRelease.site_kind, EquipmentRelease.site_code,
                                EquipmentRelease.item_id)).all()

    def keyed(rows):
        return {(k, site, item): int(n or 0) for k, site, item, n in rows}

    return rules.outstanding(keyed(sent), keyed(returned), keyed(released))


def _received_lots(incident_id: int):
    return (select(TransferOrder.destination_code, TransferLine.item_id, TransferReceipt.lot_id)
            .join(TransferReceipt, TransferReceipt.order_id == TransferOrder.id)
            .join(TransferLine, TransferLine.id == TransferReceipt.line_id)
            .where(_orders_of(incident_id), TransferReceipt.received > 0).distinct())


def _lots_sent(s, incident_id: int) -> dict:
    """{(site, item id): {lot codes}} of the lots the incident's orders delivered."""
    rows = s.exec(_received_lots(incident_id)).all()
    codes = dict(s.exec(select(Lot.id, Lot.code).where(Lot.id.in_({r[2] for r in rows} or {-1}))).all())
    found = defaultdict(set)
    for site, item_id, lot_id in rows:
        found[site, item_id].add(codes[lot_id])
    return found


def _lots_sent_ids(s, incident_id: int, site: str) -> set[int]:
    return {lot_id for code, _item, lot_id in s.exec(_received_lots(incident_id)).all() if code == site}


def _site_name(s, kind: str, code: str) -> str:
    model = Depot if kind == order_rules.DEPOT else Shelter
    return s.exec(select(model.name).where(model.code == code)).first() or code


def _return_row(s, return_id) -> EquipmentReturn:
    return_id = _id(return_id, "return")
    row = s.get(EquipmentReturn, return_id)
    if row is None:
        raise NotFound(f"no return {rules.reference(return_id)}", field="return", message_code="no_such_return",
                       params={"reference": rules.reference(return_id)})
    return row


def _return_dict(s, r: EquipmentReturn) -> dict:
    item, depot = s.get(Item, r.item_id), s.get(Depot, r.depot_id)
    write_off = None
    if r.write_off_request_id is not None:
        req = s.get(WriteOffRequest, r.write_off_request_id)
        write_off = {"id": req.id, "reference": writeoffs.reference_of(req.id), "status": req.status,
                     "quantity": req.quantity}
    return {"id": r.id, "reference": rules.reference(r.id), "incident": r.incident_id, "site_kind": r.site_kind,
            "site": r.site_code, "site_name": _site_name(s, r.site_kind, r.site_code), "item": item.code,
            "item_name": item.name_zh, "item_name_en": item.name_en, "unit": item.unit,
            "origin_lot": s.get(Lot, r.origin_lot_id).code, "lot": s.get(Lot, r.lot_id).code, "depot": depot.code,
            "depot_name": depot.name, "quantity": r.quantity, "status": r.status, "note": r.note,
            "received_by": _username(s, r.received_by), "received_at": r.received_at, "restocked": r.restocked,
            "damaged": r.damaged, "damage_reason": r.damage_reason, "inspected_by": _username(s, r.inspected_by),
            "inspected_at": r.inspected_at, "out_line": r.out_movement_id, "return_line": r.return_movement_id,
            "write_off": write_off}


def _release_dict(s, r: EquipmentRelease) -> dict:
    item = s.get(Item, r.item_id)
    return {"id": r.id, "incident": r.incident_id, "site_kind": r.site_kind, "site": r.site_code,
            "site_name": _site_name(s, r.site_kind, r.site_code), "item": item.code, "item_name": item.name_zh,
            "item_name_en": item.name_en, "unit": item.unit, "quantity": r.quantity, "reason": r.reason,
            "declared_by": _username(s, r.declared_by), "declared_at": r.declared_at}

