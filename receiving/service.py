"""Receiving a delivery (入库验收): plain values in, one transaction for the whole delivery.

- A keeper receives into a depot they keep; an administrator into any. Dispatchers and auditors read only.
- ``kind``: ``purchase`` (采购入库, lots held in the depot), ``agreement`` (协议代储: stock a partner enterprise
  holds for the reserve) or ``capacity`` (产能调用: production capacity called in). The lots take the matching
  storage mode; for agreement and capacity stock the supplier is the lot's partner.
- Each line names an item and a quantity, and its expiry either as a date, or as a production date and a shelf life
  in months (the expiry is the production date that many months later; the 31st becomes the month's last day), or
  as a production date alone for an item whose catalog entry has a shelf life in days. A line with no date has no
  expiry (tents, pumps). Expiry given together with production date and months must agree.
- Every line is checked before anything is written and every bad line is named at once (``common.errors.Problems``);
  then the delivery gets its number ``RK-<year>-<nnnn>`` and each line becomes one lot ``<number>-<nn>`` with one
  ``receive`` ledger line whose reference is the number, all in one transaction.
- With an idempotency key (the API's header, the form's once-per-form token) a repeat receives nothing again and
  answers the first delivery (``inventory.idempotency.once_in``).
"""
import calendar
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

import sqlalchemy as sa
from sqlmodel import Session, func, select

from accounts.models import User
from common.actor import Actor
from common.errors import InvalidInput, NotFound, Problems
from common.limits import EARLIEST_DATE, LATEST_DATE, MAX_INT, MAX_QUANTITY, MAX_UNIT_PRICE
from inventory import services as stock
from inventory import shelves
from inventory.models import Depot, Item, Lot
from receiving.models import DELIVERY_KINDS, STORAGE_MODE_OF, Delivery, DeliveryLine

MAX_LINES = 200
MAX_PAGE = 500
MAX_MONTHS = 1200  # a hundred years


def months_later(start: date, months: int) -> date:
    """``start`` plus ``months`` calendar months; a day the month lacks becomes its last (1 Jan 31 + 1 → Feb 28/29)."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def delivery_number(year: int, sequence: int) -> str:
    return f"RK-{year}-{sequence:04d}"


# ---------------------------------------------------------------- checking plain values


def _text(value, field: str, limit: int, *, required: bool = False) -> str | None:
    text = value.strip() if isinstance(value, str) else None
    if not text:
        if required:
            # only the supplier is required
            raise InvalidInput("name the supplier or partner enterprise", field=field,
                               message_code="delivery_supplier_required")
        return None
    if len(text) > limit:
        raise InvalidInput(f"{field} has at most {limit} characters", field=field,
                           message_code="delivery_text_too_long", params={"field": field, "max": limit})
    return text


def _date(value, field: str, code: str, line: int | None = None) -> date | None:
    """A date as the date input gives it (YYYY-MM-DD), or a date; empty is None."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, date) and not isinstance(value, datetime):
        parsed = value
    else:
        try:
            parsed = date.fromisoformat(value.strip()) if isinstance(value, str) else None
        except ValueError:
            parsed = None
    if parsed is None or not EARLIEST_DATE <= parsed <= LATEST_DATE:
        raise InvalidInput(f"{field} must be a date between 1900-01-01 and 9000-12-31 (YYYY-MM-DD), got {value!r}",
                           field=field, message_code=code, params={"line": line, "value": str(value)})
    return parsed


def _whole(value, field: str, low: int, high: int, code: str, line: int, required: bool = False) -> int | None:
    if value is None or isinstance(value, str) and not value.strip():
        if not required:
            return None
        value = ""
    if isinstance(value, str):
        value = value.strip()
        value = int(value) if value.isdigit() and len(value) <= 12 else value
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidInput(f"line {line}: {field} must be a whole number from {low} to {high:,}, got {value!r}",
                           field=field, message_code=code, params={"line": line, "value": str(value)})
    return value


def _price_cents(value, field: str, line: int) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        amount = Decimal(value.strip() if isinstance(value, str) else str(value))
        ok = amount.is_finite() and 0 <= amount <= MAX_UNIT_PRICE and amount == amount.quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        ok = False
    if not ok:
        raise InvalidInput(f"line {line}: the unit price must be 0 to {MAX_UNIT_PRICE:,} yuan with at most two "
                           f"decimals, got {value!r}", field=field, message_code="delivery_line_price",
                           params={"line": line, "value": str(value)})
    return int(amount * 100)


def check_line(n: int, row, received_on: date | None, problems: Problems) -> dict:
    """One line's values, checked; every refusal goes into ``problems`` (line ``n + 1``) and leaves None."""
    line, at = n + 1, f"lines[{n}]"
    row = row if isinstance(row, dict) else {}
    item = row.get("item")
    item = item.strip() if isinstance(item, str) else None
    if not item or len(item) > 32:
        problems.add(InvalidInput(f"line {line}: choose an item", field=f"{at}.item",
                                  message_code="delivery_line_item_required", params={"line": line}),
                     line=line, column="item")
        item = None
    quantity = problems.check(_whole, row.get("quantity"), f"{at}.quantity", 1, MAX_QUANTITY,
                              "delivery_line_quantity", line, True, line=line, column="quantity",
                              value=row.get("quantity"))
    expires = problems.check(_date, row.get("expires_on"), f"{at}.expires_on", "delivery_line_expiry_bad", line,
                             line=line, column="expires_on", value=row.get("expires_on"))
    produced = problems.check(_date, row.get("production_date"), f"{at}.production_date",
                              "delivery_line_production_bad", line, line=line, column="production_date",
                              value=row.get("production_date"))
    months = problems.check(_whole, row.get("shelf_life_months"), f"{at}.shelf_life_months", 1, MAX_MONTHS,
                            "delivery_line_months", line, line=line, column="shelf_life_months",
                            value=row.get("shelf_life_months"))
    price = problems.check(_price_cents, row.get("unit_price"), f"{at}.unit_price", line, line=line,
                           column="unit_price", value=row.get("unit_price"))
    shelf = problems.check(shelves.optional_shelf, row.get("shelf"), f"{at}.shelf", line=line, column="shelf",
                           value=row.get("shelf"))
    if months is not None and produced is None and not row.get("production_date"):
        problems.add(InvalidInput(f"line {line}: a shelf life needs the production date it counts from",
                                  field=f"{at}.production_date", message_code="delivery_line_months_alone",
                                  params={"line": line}), line=line, column="production_date")
    if produced is not None and received_on is not None and produced > received_on:
        problems.add(InvalidInput(f"line {line}: produced on {produced.isoformat()}, after it was received",
                                  field=f"{at}.production_date", message_code="delivery_line_production_future",
                                  params={"line": line, "date": produced.isoformat()}),
                     line=line, column="production_date", value=produced.isoformat())
    computed = None
    if produced is not None and months is not None:
        computed = months_later(produced, months)
        if computed > LATEST_DATE:
            computed = None
        if expires is not None and computed is not None and expires != computed:
            problems.add(InvalidInput(
                f"line {line}: expiry {expires.isoformat()} disagrees with production date and shelf life "
                f"({computed.isoformat()}); give one or make them agree", field=f"{at}.expires_on",
                message_code="delivery_line_expiry_disagrees",
                params={"line": line, "given": expires.isoformat(), "computed": computed.isoformat()}),
                line=line, column="expires_on", value=expires.isoformat())
    return {"line": line, "item": item, "quantity": quantity, "expires_on": expires or computed,
            "production_date": produced, "shelf_life_months": months, "unit_price_cents": price, "shelf": shelf}


def _with_item_expiry(checked: dict, item: Item, received_on: date, problems: Problems) -> None:
    """A production date alone takes the item's catalog shelf life; an expiry before receipt is refused."""
    line = checked["line"]
    if checked["expires_on"] is None and checked["production_date"] is not None and item.shelf_life_days:
        checked["expires_on"] = checked["production_date"] + timedelta(days=item.shelf_life_days)
    expires = checked["expires_on"]
    if expires is not None and expires < received_on:
        problems.add(InvalidInput(f"line {line}: {item.code} expired on {expires.isoformat()}, before it was "
                                  "received; expired goods are not received", field=f"lines[{line - 1}].expires_on",
                                  message_code="delivery_line_expired",
                                  params={"line": line, "date": expires.isoformat()}),
                     line=line, column="expires_on", value=expires.isoformat())


# ---------------------------------------------------------------- receiving


def receive(engine, actor: Actor, now: datetime, today: date, *, depot: str, kind: str, supplier: str, lines,
            document_no: str | None = None, received_on=None, note: str | None = None,
            idempotency_key: str | None = None) -> dict:
    """Receives a delivery into ``depot``; answers the delivery as ``get`` does, with ``replayed``."""
    with Session(engine) as s:
        target = _depot(s, depot)
        actor.require_stock_change(target.id, target.code)  # 403 before any other answer
    problems = Problems()
    if kind not in DELIVERY_KINDS:  # a donation's delivery is made by donations.service only
        problems.add(InvalidInput(f"kind must be one of {', '.join(DELIVERY_KINDS)}", field="kind",
                                  message_code="delivery_kind_unknown", params={"value": str(kind)}))
    supplier = problems.check(_text, supplier, "supplier", 100, required=True)
    document_no = problems.check(_text, document_no, "document_no", 64)
    note = problems.check(_text, note, "note", 500)
    received = problems.check(_date, received_on, "received_on", "delivery_received_on_bad") or today
    if received > today:
        problems.add(InvalidInput(f"received_on {received.isoformat()} is after today", field="received_on",
                                  message_code="delivery_received_in_future", params={"date": received.isoformat()}))
    checked, items = check_lines(engine, lines, received, problems)
    problems.raise_any("lines", "the delivery")

    params = {"depot": target.code, "kind": kind, "supplier": supplier, "document_no": document_no, "note": note,
              "received_on": received.isoformat(),
              "lines": [{k: (v.isoformat() if isinstance(v, date) else v) for k, v in c.items()} for c in checked]}

    def body(uow):
        def work():
            s = uow.session
            depot_row = _depot(s, target.code)
            actor.require_stock_change(depot_row.id, depot_row.code)
            number = next_number(s, today.year)
            row = Delivery(number=number, kind=kind, supplier=supplier, document_no=document_no, depot_id=depot_row.id,
                           received_on=received, received_by=actor.user_id, received_at=now, note=note)
            s.add(row)
            s.flush()
            write_lines(uow, actor, now, today, row, checked, items, source="purchase", partner=supplier)
            s.flush()
            return {"id": row.id}

        ctx = stock.Context(actor=actor, now=now, today=today, idempotency_key=idempotency_key)
        return stock.once_in(uow, ctx, "delivery", params, work)

    answer, replayed = stock.in_transaction(engine, body)
    return {**get(engine, actor, answer["id"]), "replayed": replayed}


def check_lines(engine, lines, received: date, problems: Problems) -> tuple[list[dict], dict]:
    """The lines checked (``check_line``) and their items by code; every refusal goes into ``problems``."""
    if not isinstance(lines, list) or not lines:
        problems.add(InvalidInput("a delivery has at least one line", field="lines", message_code="delivery_no_lines"))
        lines = []
    elif len(lines) > MAX_LINES:
        problems.add(InvalidInput(f"at most {MAX_LINES} lines in one delivery", field="lines",
                                  message_code="delivery_too_many_lines", params={"max": MAX_LINES}))
        lines = []
    checked = [check_line(n, row, received, problems) for n, row in enumerate(lines)]
    with Session(engine) as s:
        codes = {c["item"] for c in checked if c["item"]}
        items = {i.code: i for i in s.exec(select(Item).where(Item.code.in_(codes or {""}))).all()}
    for c in checked:
        if c["item"] and c["item"] not in items:
            problems.add(NotFound(f"line {c['line']}: no item with code {c['item']}", field=f"lines[{c['line'] - 1}].item",
                                  message_code="delivery_line_no_such_item", params={"line": c["line"], "item": c["item"]}),
                         line=c["line"], column="item", value=c["item"])
        elif c["item"]:
            _with_item_expiry(c, items[c["item"]], received, problems)
    return checked, items


def write_lines(uow, actor: Actor, now: datetime, today: date, row: Delivery, checked: list[dict], items: dict, *,
                source: str, partner: str | None) -> None:
    """Each checked line one lot ``<number>-<nn>`` with one ``receive`` ledger line whose reference is the delivery's
    number and whose note is its supplier (or donor), inside the caller's transaction."""
    s = uow.session
    depot_code = s.get(Depot, row.depot_id).code
    ctx = stock.Context(actor=actor, now=now, today=today, reference=row.number, note=row.supplier)
    mode = STORAGE_MODE_OF[row.kind]
    for c in checked:
        new_lot = stock.NewLot(item=c["item"], depot=depot_code, received_on=row.received_on,
                               expires_on=c["expires_on"], code=f"{row.number}-{c['line']:02d}",
                               storage_mode=mode, partner=None if mode == "physical" else partner,
                               source=source, unit_price_cents=c["unit_price_cents"], shelf=c["shelf"])
        written = stock.receive_in(uow, ctx, c["quantity"], new_lot=new_lot)
        s.add(DeliveryLine(delivery_id=row.id, line_no=c["line"], item_id=items[c["item"]].id,
                           quantity=c["quantity"], production_date=c["production_date"],
                           shelf_life_months=c["shelf_life_months"], expires_on=c["expires_on"],
                           unit_price_cents=c["unit_price_cents"], lot_id=written.lot_id, movement_id=written.id))


def next_number(s, year: int) -> str:
    """The year's next number; two deliveries numbered at once collide on the unique number and the second is
    run again (``in_transaction``) and takes the next."""
    prefix = f"RK-{year}-"
    last = s.exec(select(func.max(Delivery.number)).where(Delivery.number.startswith(prefix))).one()
    return delivery_number(year, int(last[len(prefix):]) + 1 if last else 1)


def _depot(s, code) -> Depot:
    if not isinstance(code, str) or not code.strip() or len(code) > 32:
        raise InvalidInput("depot must be a depot code", field="depot", message_code="delivery_depot_required")
    found = s.exec(select(Depot).where(Depot.code == code.strip())).first()
    if found is None:
        raise NotFound(f"no depot with code {code}", field="depot", message_code="no_such_depot", params={"depot": code})
    return found


# ---------------------------------------------------------------- reading


def list_deliveries(engine, actor: Actor, *, depot: str | None = None, limit: int = 100, offset: int = 0) -> dict:
    """Deliveries, newest first; keepers see those of the depots they keep."""
    with Session(engine) as s:
        where = []
        if depot is not None:
            found = _depot(s, depot)
            actor.require_read_depot(found.id, found.code)
            where.append(Delivery.depot_id == found.id)
        if not actor.reads_everything:
            where.append(Delivery.depot_id.in_(actor.depot_ids or {-1}))
        total = s.exec(select(func.count(Delivery.id)).where(*where)).one()
        rows = s.exec(select(Delivery).where(*where).order_by(Delivery.id.desc()).limit(limit).offset(offset)).all()
        counts = dict(s.exec(select(DeliveryLine.delivery_id, func.count(DeliveryLine.id))
                             .where(DeliveryLine.delivery_id.in_([r.id for r in rows] or [-1]))
                             .group_by(DeliveryLine.delivery_id)).all())
        units = dict(s.exec(select(DeliveryLine.delivery_id, func.sum(DeliveryLine.quantity))
                            .where(DeliveryLine.delivery_id.in_([r.id for r in rows] or [-1]))
                            .group_by(DeliveryLine.delivery_id)).all())
        return {"total": total, "deliveries": [{**_header(s, r), "lines": counts.get(r.id, 0),
                                                "units": int(units.get(r.id) or 0)} for r in rows]}


def get(engine, actor: Actor, delivery_id: int) -> dict:
    with Session(engine) as s:
        row = s.get(Delivery, delivery_id) if isinstance(delivery_id, int) and 0 < delivery_id <= MAX_INT else None
        if row is None:
            raise NotFound(f"no delivery {delivery_id}", field="delivery", message_code="no_such_delivery",
                           params={"delivery": str(delivery_id)})
        depot = s.get(Depot, row.depot_id)
        actor.require_read_depot(depot.id, depot.code)
        lines = s.exec(select(DeliveryLine, Item, Lot).join(Item, Item.id == DeliveryLine.item_id)
                       .join(Lot, Lot.id == DeliveryLine.lot_id).where(DeliveryLine.delivery_id == row.id)
                       .order_by(DeliveryLine.line_no)).all()
        return {**_header(s, row), "lines": [
            {"line": line.line_no, "item": item.code, "item_name": item.name_zh, "item_name_en": item.name_en,
             "unit": item.unit, "quantity": line.quantity, "production_date": line.production_date,
             "shelf_life_months": line.shelf_life_months, "expires_on": line.expires_on,
             "unit_price_cents": line.unit_price_cents, "lot": lot.code, "lot_quantity": lot.quantity,
             "shelf": lot.shelf, "storage_mode": lot.storage_mode, "movement": line.movement_id}
            for line, item, lot in lines]}


def _header(s, row: Delivery) -> dict:
    depot = s.get(Depot, row.depot_id)
    who = s.get(User, row.received_by)
    return {"id": row.id, "number": row.number, "kind": row.kind, "supplier": row.supplier,
            "document_no": row.document_no, "depot": depot.code, "depot_name": depot.name,
            "received_on": row.received_on, "received_by": who.username if who else str(row.received_by),
            "received_at": row.received_at, "note": row.note}
