"""Donations (社会捐赠): plain values in, one transaction for the whole donation.

- A keeper records a donation at a depot they keep; an administrator at any. Dispatchers and auditors read only;
  keepers read the donations of their depots.
- ``kind`` ``goods``: the lines are checked exactly as a delivery's (``receiving.service.check_lines``) and received
  as a delivery of kind ``donation`` (``RK-…``) whose supplier is the donor; each line becomes one lot with
  source ``donation`` and one ``receive`` ledger line naming the delivery. ``kind`` ``money``: a pledge, an amount
  in yuan (stored in fen) and its purpose, recorded and never stocked.
- Every problem, with the header and every line, is named at once (``common.errors.Problems``); nothing is written
  while any is left. A once-per-form token (idempotency key) records a double submit once.
- ``register``: where each donated unit went, following the ledger of the donated lots and the lots transferred
  out of them (``Lot.origin_lot_id``): issued, shipped or delivered — with the transfer order and its incident and
  destination when the ledger line's reference is an order — written off, and what is still in stock.
"""
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from sqlmodel import Session, func, select

from accounts.models import User
from common.actor import Actor
from common.errors import InvalidInput, NotFound, Problems
from common.limits import MAX_INT
from dispatch.models import Incident
from inventory import services as stock
from inventory.models import Depot, Item, Lot, Movement
from orders.models import TransferOrder
from receiving import service as receiving
from receiving.models import Delivery, DeliveryLine
from donations.models import DONATION_KINDS, DONOR_KINDS, Donation

MAX_AMOUNT_YUAN = Decimal("10000000000")  # ten thousand million yuan
MAX_PAGE = 500


def donation_number(year: int, sequence: int) -> str:
    return f"JZ-{year}-{sequence:04d}"


def _amount_fen(value) -> int:
    try:
        amount = Decimal(value.strip() if isinstance(value, str) else str(value))
        ok = amount.is_finite() and 0 < amount <= MAX_AMOUNT_YUAN and amount == amount.quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        ok = False
    if value is None or isinstance(value, bool) or not ok:
        raise InvalidInput(f"the amount must be more than 0 and at most {MAX_AMOUNT_YUAN:,} yuan with at most two "
                           f"decimals, got {value!r}", field="amount", message_code="donation_amount_bad",
                           params={"value": str(value)})
    return int(amount * 100)


def _text(value, field: str, limit: int, *, required_code: str | None = None) -> str | None:
    text = value.strip() if isinstance(value, str) else None
    if not text:
        if required_code:
            raise InvalidInput(f"{field} is required", field=field, message_code=required_code)
        return None
    if len(text) > limit:
        raise InvalidInput(f"{field} has at most {limit} characters", field=field,
                           message_code="delivery_text_too_long", params={"field": field, "max": limit})
    return text


def record(engine, actor: Actor, now: datetime, today: date, *, depot: str, donor_kind: str, donor_name: str,
           kind: str, lines=None, amount=None, purpose: str | None = None, donor_contact: str | None = None,
           received_on=None, note: str | None = None, idempotency_key: str | None = None) -> dict:
    """Records a donation at ``depot``; answers it as ``get`` does, with ``replayed``."""
    with Session(engine) as s:
        target = receiving._depot(s, depot)
        actor.require_stock_change(target.id, target.code)  # 403 before any other answer
    problems = Problems()
    if donor_kind not in DONOR_KINDS:
        problems.add(InvalidInput(f"donor_kind must be one of {', '.join(DONOR_KINDS)}", field="donor_kind",
                                  message_code="donation_donor_kind_unknown", params={"value": str(donor_kind)}))
    donor_name = problems.check(_text, donor_name, "donor_name", 100, required_code="donation_donor_required")
    donor_contact = problems.check(_text, donor_contact, "donor_contact", 100)
    purpose = problems.check(_text, purpose, "purpose", 200)
    note = problems.check(_text, note, "note", 500)
    received = problems.check(receiving._date, received_on, "received_on", "delivery_received_on_bad") or today
    if received > today:
        problems.add(InvalidInput(f"received_on {received.isoformat()} is after today", field="received_on",
                                  message_code="delivery_received_in_future", params={"date": received.isoformat()}))
    checked, items, fen = [], {}, None
    if kind == "goods":
        checked, items = receiving.check_lines(engine, lines, received, problems)
    elif kind == "money":
        fen = problems.check(_amount_fen, amount)
        if lines:
            problems.add(InvalidInput("a money pledge has no goods lines", field="lines",
                                      message_code="donation_money_with_lines"))
    else:
        problems.add(InvalidInput(f"kind must be one of {', '.join(DONATION_KINDS)}", field="kind",
                                  message_code="donation_kind_unknown", params={"value": str(kind)}))
    problems.raise_any("lines", "the donation")

    params = {"depot": target.code, "donor_kind": donor_kind, "donor_name": donor_name, "donor_contact": donor_contact,
              "kind": kind, "amount_fen": fen, "purpose": purpose, "note": note, "received_on": received.isoformat(),
              "lines": [{k: (v.isoformat() if isinstance(v, date) else v) for k, v in c.items()} for c in checked]}

    def body(uow):
        def work():
            s = uow.session
            depot_row = receiving._depot(s, target.code)
            actor.require_stock_change(depot_row.id, depot_row.code)
            number = _next_number(s, today.year)
            delivery_id = None
            if kind == "goods":
                delivery = Delivery(number=receiving.next_number(s, today.year), kind="donation", supplier=donor_name,
                                    document_no=number, depot_id=depot_row.id, received_on=received,
                                    received_by=actor.user_id, received_at=now, note=note)
                s.add(delivery)
                s.flush()
                receiving.write_lines(uow, actor, now, today, delivery, checked, items, source="donation",
                                      partner=None)
                delivery_id = delivery.id
            row = Donation(number=number, donor_kind=donor_kind, donor_name=donor_name, donor_contact=donor_contact,
                           kind=kind, delivery_id=delivery_id, amount_fen=fen, purpose=purpose, depot_id=depot_row.id,
                           received_on=received, received_by=actor.user_id, received_at=now, note=note)
            s.add(row)
            s.flush()
            return {"id": row.id}

        ctx = stock.Context(actor=actor, now=now, today=today, idempotency_key=idempotency_key)
        return stock.once_in(uow, ctx, "donation", params, work)

    answer, replayed = stock.in_transaction(engine, body)
    return {**get(engine, actor, answer["id"]), "replayed": replayed}


def _next_number(s, year: int) -> str:
    prefix = f"JZ-{year}-"
    last = s.exec(select(func.max(Donation.number)).where(Donation.number.startswith(prefix))).one()
    return donation_number(year, int(last[len(prefix):]) + 1 if last else 1)


# ---------------------------------------------------------------- reading


def list_donations(engine, actor: Actor, *, limit: int = 100, offset: int = 0) -> dict:
    """Donations, newest first; keepers see those of the depots they keep."""
    with Session(engine) as s:
        where = [] if actor.reads_everything else [Donation.depot_id.in_(actor.depot_ids or {-1})]
        total = s.exec(select(func.count(Donation.id)).where(*where)).one()
        rows = s.exec(select(Donation).where(*where).order_by(Donation.id.desc()).limit(limit).offset(offset)).all()
        return {"total": total, "donations": [_with_lines(s, r) for r in rows]}


def get(engine, actor: Actor, donation_id: int) -> dict:
    with Session(engine) as s:
        row = s.get(Donation, donation_id) if isinstance(donation_id, int) and 0 < donation_id <= MAX_INT else None
        if row is None:
            raise NotFound(f"no donation {donation_id}", field="donation", message_code="no_such_donation",
                           params={"donation": str(donation_id)})
        depot = s.get(Depot, row.depot_id)
        actor.require_read_depot(depot.id, depot.code)
        return _with_lines(s, row)


def _with_lines(s, row: Donation) -> dict:
    depot = s.get(Depot, row.depot_id)
    who = s.get(User, row.received_by)
    delivery = s.get(Delivery, row.delivery_id) if row.delivery_id else None
    lines = [] if delivery is None else s.exec(
        select(DeliveryLine, Item, Lot).join(Item, Item.id == DeliveryLine.item_id)
        .join(Lot, Lot.id == DeliveryLine.lot_id).where(DeliveryLine.delivery_id == delivery.id)
        .order_by(DeliveryLine.line_no)).all()
    return {"id": row.id, "number": row.number, "donor_kind": row.donor_kind, "donor_name": row.donor_name,
            "donor_contact": row.donor_contact, "kind": row.kind, "amount_fen": row.amount_fen, "purpose": row.purpose,
            "depot": depot.code, "depot_name": depot.name, "received_on": row.received_on,
            "received_by": who.username if who else str(row.received_by), "received_at": row.received_at,
            "note": row.note, "delivery_id": row.delivery_id, "delivery": delivery.number if delivery else None,
            "lines": [{"line": line.line_no, "item": item.code, "item_name": item.name_zh, "item_name_en": item.name_en,
                       "unit": item.unit, "quantity": line.quantity, "expires_on": line.expires_on, "lot": lot.code,
                       "lot_quantity": lot.quantity} for line, item, lot in lines]}


# ---------------------------------------------------------------- the register: where each donated unit went

OUT_KINDS = ("issue", "ship", "deliver", "transfer_out", "write_off", "count", "return")


def register(engine, actor: Actor, donation_id: int | None = None) -> list[dict]:
    """One entry per donated lot (of the donations the actor may read, or of one donation): the donation, the lot,
    the units donated, every movement out of it or of the lots transferred from it, and the units still in stock."""
    donations = [get(engine, actor, donation_id)] if donation_id is not None else \
        list_donations(engine, actor, limit=MAX_PAGE)["donations"]
    out = []
    with Session(engine) as s:
        for d in donations:
            for line in d["lines"]:
                lot = s.exec(select(Lot).where(Lot.code == line["lot"])).one()
                family, frontier = [lot], [lot.id]
                while frontier:  # the lots transferred out of it, and out of those
                    children = s.exec(select(Lot).where(Lot.origin_lot_id.in_(frontier))).all()
                    family += children
                    frontier = [c.id for c in children]
                ids = {x.id: x for x in family}
                moves = s.exec(select(Movement).where(Movement.lot_id.in_(ids), Movement.kind.in_(OUT_KINDS),
                                                      Movement.quantity < 0).order_by(Movement.id)).all()
                orders = {o.code: o for o in s.exec(select(TransferOrder).where(
                    TransferOrder.code.in_({m.reference for m in moves if m.reference} or {""}))).all()}
                incidents = {i.id: i for i in s.exec(select(Incident).where(
                    Incident.id.in_({o.incident_id for o in orders.values() if o.incident_id} or {-1}))).all()}
                depots = {x.id: x for x in s.exec(select(Depot).where(
                    Depot.id.in_({x.depot_id for x in family} | {m.depot_id for m in moves}))).all()}
                went = []
                for m in moves:
                    order = orders.get(m.reference)
                    incident = incidents.get(order.incident_id) if order and order.incident_id else None
                    destination = None
                    if m.kind == "transfer_out":  # its transfer_in names it, or it names the transfer_in
                        into = s.get(Movement, m.counterpart_id) if m.counterpart_id else s.exec(
                            select(Movement).where(Movement.counterpart_id == m.id)).first()
                        destination = s.get(Depot, into.depot_id).code if into else None
                    went.append({"kind": m.kind, "quantity": -m.quantity, "at": m.created_at,
                                 "lot": ids[m.lot_id].code, "depot": depots[m.depot_id].code,
                                 "reason": m.reason, "reference": m.reference,
                                 "order": order.code if order else None,
                                 "destination": order.destination_code if order else destination,
                                 "incident": incident.id if incident else None,
                                 "incident_title": incident.title if incident else None})
                in_stock = [{"lot": x.code, "depot": depots[x.depot_id].code, "quantity": x.quantity}
                            for x in family if x.quantity > 0]
                out.append({"donation": d["number"], "donation_id": d["id"], "donor_name": d["donor_name"],
                            "received_on": d["received_on"], **{k: line[k] for k in ("lot", "item", "item_name",
                                                                                     "item_name_en", "unit")},
                            "donated": line["quantity"], "went": went, "in_stock": in_stock,
                            "in_stock_total": sum(x["quantity"] for x in in_stock)})
    return out
