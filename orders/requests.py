"""Daily transfer requests (日常调拨申请), outside incidents: plain values in, one transaction each.

The rules, in one place:

- A keeper of a town station or village point (or an administrator) asks a depot *above* it — one of its
  ancestors in the depot tree: a village point its town station or the county depot, a town station the county
  depot — for items and quantities, with a reason and the date they are wanted by (today or later).
- A dispatcher or an administrator approves a pending request into a transfer order (``DO-<yyyymmdd>-<id>``, no
  incident, no plan; the request names its order and the order's "approved" event names the request). Each line
  takes lots first-expiry-first-out (``inventory.fefo``) from the source's usable stock less what open orders of
  that source (approved or picking, not yet shipped) already plan to take of them. The approval may grant fewer
  units than asked (``lines``: item → quantity, 0 leaves an item out) and then must say why (``note``). When the
  source has fewer usable units than the approval grants, it is refused (409 ``insufficient_stock``, naming the
  item and what is available) and nothing changes: the dispatcher decides to grant fewer, with a note, or to reject.
- A dispatcher or an administrator rejects a pending request with a reason; the one who made it withdraws it while
  it is pending. Neither makes an order.
- From the order on, picking, shipping and receiving are those of any order (``orders.services``).
- With an idempotency key each action is done once (``inventory.idempotency.once_in``).

Approvals lock the request row and then the source depot's row (FOR UPDATE on PostgreSQL; SQLite holds the write
lock from BEGIN IMMEDIATE): two approvals of one request queue and the second finds it approved (409); two
approvals drawing on one source queue and the second sees the first's order among the open ones.
"""
import json
from collections import defaultdict
from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Session, func, select

from accounts.models import User
from accounts.security import append_event
from common.actor import ADMIN, DISPATCHER, Actor
from common.errors import DomainError, Forbidden, InsufficientStock, InvalidInput, NotFound, Problems
from inventory import fefo
from inventory import services as stock
from inventory.models import Depot, Item, Lot
from orders import rules
from orders.models import REQUEST_STATUSES, TransferLine, TransferOrder, TransferRequest, TransferRequestLine
from orders.services import MAX_ID, _ctx, _event, _in_transaction

PENDING, APPROVED, REJECTED, WITHDRAWN = REQUEST_STATUSES
MAX_LINES = 200
MAX_PAGE = 500


class RequestStateConflict(DomainError):
    """An action the request's status does not allow (approving twice, withdrawing a rejected request…)."""

    code = "transfer_request_state"


def request_code(request_id: int) -> str:
    return f"RQ-{request_id}"


# ---------------------------------------------------------------- rules on plain values


def is_above(source: Depot, depot: Depot) -> bool:
    """True when ``source`` is an ancestor of ``depot`` in the depot tree (paths are "/<id>/<id>/…/")."""
    return source.id != depot.id and depot.path.startswith(source.path)


def take_first_out(lots, committed: dict[str, int], wanted: int, today: date) -> tuple[list[tuple[str, int]], int]:
    """The lots to send ``wanted`` units from, first-expiry-first-out, each less what open orders already plan to
    take of it; returns (pick list [(lot code, units)], units available in all). The pick list covers
    min(wanted, available)."""
    picks, left, available = [], wanted, 0
    for lot in fefo.picking_order(lots, today):
        free = max(0, lot.quantity - committed.get(lot.code, 0))
        available += free
        take = min(free, left)
        if take:
            picks.append((lot.code, take))
            left -= take
    return picks, available


def asked_lines(lines, problems: Problems | None = None) -> list[tuple[str, int]]:
    """[{item, quantity}] as [(item code, quantity)]: at least one, each item once, quantities whole and positive."""
    if not isinstance(lines, list) or not lines:
        raise InvalidInput("name at least one item and its quantity", field="lines",
                           message_code="transfer_request_no_lines")
    if len(lines) > MAX_LINES:
        raise InvalidInput(f"at most {MAX_LINES} items in one request", field="lines")
    seen, asked = set(), []
    collect = problems if problems is not None else Problems()  # every bad line named at once
    for n, row in enumerate(lines):
        item = row.get("item") if isinstance(row, dict) else None
        if not isinstance(item, str) or not item.strip() or len(item) > 32:
            collect.add(InvalidInput("each line names its item", field=f"lines[{n}].item"), line=n + 1, column="item")
            item = None
        else:
            item = item.strip()
            if item in seen:
                collect.add(InvalidInput(f"{item} is named twice", field=f"lines[{n}].item",
                                         message_code="order_item_twice", params={"item": item}),
                            line=n + 1, column="item", value=item)
            seen.add(item)
        value = row.get("quantity") if isinstance(row, dict) else None
        quantity = collect.check(rules.quantity, value, f"lines[{n}].quantity", line=n + 1, column="quantity",
                                 value=value)
        asked.append((item, quantity))
    if problems is None:
        collect.raise_any("lines", "the lines")
    return asked


def granted_lines(lines) -> dict[str, int]:
    """An approval's optional [{item, quantity}]: item → units granted (0 leaves it out)."""
    return rules.item_quantities(lines)


# ---------------------------------------------------------------- use cases


def create(engine, actor: Actor, now: datetime, today: date, *, depot: str, source: str, lines, reason: str,
           wanted_by: date, idempotency_key: str | None = None) -> dict:
    """A pending request of ``depot`` (a town station or village point the actor keeps) to ``source`` above it."""
    problems = Problems()  # the lines' problems and their unknown items, named together
    asked = asked_lines(lines, problems)
    with Session(engine) as s:
        _items(s, [code for code, _ in asked], problems)
    problems.raise_any("lines", "the lines")
    reason = rules.text(reason, "reason", 500, required=True)
    if not isinstance(wanted_by, date) or isinstance(wanted_by, datetime):
        raise InvalidInput("wanted_by must be a date", field="wanted_by")
    if wanted_by < today:
        raise InvalidInput(f"wanted_by {wanted_by.isoformat()} is already past", field="wanted_by",
                           message_code="transfer_request_wanted_past", params={"date": wanted_by.isoformat()})
    params = {"depot": depot, "source": source, "lines": asked, "reason": reason, "wanted_by": wanted_by.isoformat()}

    def body(uow):
        def work():
            s = uow.session
            to = _depot(s, depot, "depot")
            actor.require_stock_change(to.id, to.code)
            frm = _depot(s, source, "source")
            if not is_above(frm, to):
                raise InvalidInput(f"depot {frm.code} is not above {to.code}: a request goes to its town station or "
                                   "the county depot", field="source", message_code="transfer_request_not_above",
                                   params={"source": frm.code, "depot": to.code})
            items = _items(s, [code for code, _ in asked])
            row = TransferRequest(depot_id=to.id, source_depot_id=frm.id, reason=reason, wanted_by=wanted_by,
                                  status=PENDING, requested_by=actor.user_id, requested_at=now)
            s.add(row)
            s.flush()
            s.add_all([TransferRequestLine(request_id=row.id, item_id=items[code].id, quantity=q) for code, q in asked])
            s.flush()
            return {"id": row.id}

        return stock.once_in(uow, _ctx(actor, now, idempotency_key), "transfer_request", params, work)

    return _answer(engine, actor, today, body)


def approve(engine, actor: Actor, now: datetime, today: date, request_id: int, *, lines=None, note: str | None = None,
            idempotency_key: str | None = None) -> dict:
    """Approves a pending request into a transfer order, lots first-expiry-first-out (see the module's rules)."""
    actor.require_role(ADMIN, DISPATCHER)
    request_id = _request_id(request_id)
    granted = granted_lines(lines)
    note = rules.text(note, "note", 500)

    def body(uow):
        def work():
            s = uow.session
            req = _locked_pending(uow, request_id, "approve")
            source = s.exec(uow.lock_for_update(select(Depot).where(Depot.id == req.source_depot_id))).one()
            destination = s.get(Depot, req.depot_id)
            asked = s.exec(select(TransferRequestLine, Item.code).join(Item, Item.id == TransferRequestLine.item_id)
                           .where(TransferRequestLine.request_id == req.id).order_by(Item.code)).all()
            unknown = sorted(set(granted) - {code for _, code in asked})
            if unknown:
                raise InvalidInput(f"request {request_code(req.id)} does not ask for {unknown[0]}", field="lines",
                                   message_code="transfer_request_item_not_asked",
                                   params={"request": request_code(req.id), "item": unknown[0]})
            committed = _committed(s, source.id)
            planned = []
            for line, code in asked:
                want = granted.get(code, line.quantity)
                if want > line.quantity:
                    raise InvalidInput(f"{code}: {want} granted, but only {line.quantity} were asked for",
                                       field="lines", message_code="transfer_request_more_than_asked",
                                       params={"item": code, "quantity": want, "asked": line.quantity})
                lots = s.exec(select(Lot).where(Lot.depot_id == source.id, Lot.item_id == line.item_id)).all()
                picks, available = take_first_out(lots, committed, want, today)
                if available < want:
                    raise InsufficientStock(
                        f"{source.code} has {available} usable units of {code} not yet promised to open orders; "
                        f"{want} were to be sent: grant fewer (with a note) or reject the request", field="lines",
                        message_code="transfer_request_short", available=available,
                        params={"source": source.code, "item": code, "available": available, "quantity": want})
                line.granted = want
                planned.append((line, picks))
            if any(line.granted < line.quantity for line, _ in planned) and note is None:
                raise InvalidInput("say why fewer units than asked are sent", field="note",
                                   message_code="transfer_request_note_required")
            if not any(line.granted for line, _ in planned):
                raise InvalidInput("nothing would be sent: reject the request instead", field="lines",
                                   message_code="transfer_request_nothing_granted")
            order = TransferOrder(
                code=rules.order_code(today.strftime("%Y%m%d"), req.id), source_depot_id=source.id,
                destination_kind=rules.DEPOT, destination_code=destination.code, destination_depot_id=destination.id,
                state=rules.APPROVED, approved_by=actor.user_id, approved_at=now)
            s.add(order)
            s.flush()
            s.add_all([TransferLine(order_id=order.id, item_id=line.item_id, planned=line.granted,
                                    planned_lots=json.dumps([{"lot": lot, "quantity": q} for lot, q in picks]))
                       for line, picks in planned if line.granted])
            s.add(_event(actor, now, order.id, "approved", {"request": request_code(req.id), "note": note,
                                                            "lines": sum(1 for line, _ in planned if line.granted)}))
            req.status, req.order_id, req.decision_note = APPROVED, order.id, note
            req.decided_by, req.decided_at = actor.user_id, now
            s.add_all([req, *(line for line, _ in planned)])
            s.flush()
            append_event(s, engine, "approval", username=actor.username, at=now,
                         message=("transfer_request_approved", {"request": request_code(req.id), "order": order.code}))
            return {"id": req.id, "order": order.code}

        return stock.once_in(uow, _ctx(actor, now, idempotency_key), "transfer_request_approve",
                             {"request": request_id, "lines": sorted(granted.items()), "note": note}, work)

    return _answer(engine, actor, today, body)


def reject(engine, actor: Actor, now: datetime, today: date, request_id: int, *, reason: str,
           idempotency_key: str | None = None) -> dict:
    actor.require_role(ADMIN, DISPATCHER)
    return _close(engine, actor, now, today, request_id, REJECTED, rules.text(reason, "reason", 500, required=True),
                  idempotency_key)


def withdraw(engine, actor: Actor, now: datetime, today: date, request_id: int, *,
             idempotency_key: str | None = None) -> dict:
    return _close(engine, actor, now, today, request_id, WITHDRAWN, None, idempotency_key)


def _close(engine, actor, now, today, request_id, status, reason, idempotency_key) -> dict:
    request_id = _request_id(request_id)

    def body(uow):
        def work():
            req = _locked_pending(uow, request_id, "reject" if status == REJECTED else "withdraw")
            if status == WITHDRAWN and req.requested_by != actor.user_id:
                raise Forbidden(f"only the one who made request {request_code(req.id)} withdraws it",
                                message_code="transfer_request_not_yours", params={"request": request_code(req.id)})
            req.status, req.decision_note, req.decided_by, req.decided_at = status, reason, actor.user_id, now
            uow.session.add(req)
            uow.session.flush()
            return {"id": req.id}

        return stock.once_in(uow, _ctx(actor, now, idempotency_key), f"transfer_request_{status}",
                             {"request": request_id, "reason": reason}, work)

    return _answer(engine, actor, today, body)


# ---------------------------------------------------------------- reading


def list_requests(engine, actor: Actor, today: date, *, status: str | None = None, depot: str | None = None,
                  mine: bool = False, limit: int = 100, offset: int = 0) -> dict:
    """Requests, pending first then newest first; keepers see those of their depots (as requester or source)."""
    if status is not None and status not in REQUEST_STATUSES:
        raise InvalidInput(f"status must be one of {', '.join(REQUEST_STATUSES)}", field="status",
                           message_code="transfer_request_status_unknown", params={"value": str(status)})
    with Session(engine) as s:
        where = []
        if status is not None:
            where.append(TransferRequest.status == status)
        if depot is not None:
            found = _depot(s, depot, "depot")
            actor.require_read_depot(found.id, found.code)
            where.append(sa.or_(TransferRequest.depot_id == found.id, TransferRequest.source_depot_id == found.id))
        if mine:
            where.append(TransferRequest.requested_by == actor.user_id)
        if not actor.reads_everything:
            kept = actor.depot_ids or {-1}
            where.append(sa.or_(TransferRequest.depot_id.in_(kept), TransferRequest.source_depot_id.in_(kept)))
        total = s.exec(select(func.count(TransferRequest.id)).where(*where)).one()
        pending_first = sa.case((TransferRequest.status == PENDING, 0), else_=1)
        rows = s.exec(select(TransferRequest).where(*where).order_by(pending_first, TransferRequest.id.desc())
                      .limit(limit).offset(offset)).all()
        return {"total": total, "requests": [_dict(s, r, today) for r in rows]}


def get(engine, actor: Actor, today: date, request_id: int) -> dict:
    with Session(engine) as s:
        return _dict(s, _readable(s, actor, _request_id(request_id)), today)


# ---------------------------------------------------------------- shared steps


def _answer(engine, actor: Actor, today: date, body) -> dict:
    answer, replayed = _in_transaction(engine, body)
    with Session(engine) as s:
        return {**_dict(s, _readable(s, actor, answer["id"]), today), "replayed": replayed}


def _locked_pending(uow, request_id: int, action: str) -> TransferRequest:
    req = uow.session.exec(uow.lock_for_update(select(TransferRequest).where(TransferRequest.id == request_id))).first()
    if req is None:
        raise NotFound(f"no transfer request {request_id}", field="request", message_code="no_such_transfer_request",
                       params={"request": str(request_id)})
    if req.status != PENDING:
        raise RequestStateConflict(f"request {request_code(req.id)} is {req.status}, no longer pending: it cannot be "
                                   f"{action}d", field="request", message_code="transfer_request_not_pending",
                                   params={"request": request_code(req.id), "status": req.status}, state=req.status)
    return req


def _committed(s, source_id: int) -> dict[str, int]:
    """Units per lot that open orders of the source (approved or picking: not yet shipped) plan to take."""
    committed: dict[str, int] = defaultdict(int)
    rows = s.exec(select(TransferLine.planned_lots).join(TransferOrder, TransferOrder.id == TransferLine.order_id)
                  .where(TransferOrder.source_depot_id == source_id,
                         TransferOrder.state.in_((rules.APPROVED, rules.PICKING)))).all()
    for planned_lots in rows:
        for part in json.loads(planned_lots):
            committed[part["lot"]] += int(part["quantity"])
    return committed


def _depot(s, code, field: str) -> Depot:
    if not isinstance(code, str) or not code or len(code) > 32:
        raise InvalidInput(f"{field} must be a depot code", field=field)
    found = s.exec(select(Depot).where(Depot.code == code)).first()
    if found is None:
        raise NotFound(f"no depot with code {code}", field=field, message_code="no_such_depot", params={"depot": code})
    return found


def _items(s, codes: list[str], problems: Problems | None = None) -> dict[str, Item]:
    """The items of the codes; every unknown one is named (into ``problems`` when given, else raised)."""
    found = {i.code: i for i in s.exec(select(Item).where(Item.code.in_([c for c in codes if c]))).all()}
    collect = problems if problems is not None else Problems()
    for n, code in enumerate(codes):
        if code is not None and code not in found:
            collect.add(NotFound(f"no item with code {code}", field=f"lines[{n}].item", message_code="no_such_item",
                                 params={"item": code}), line=n + 1, column="item", value=code)
    if problems is None:
        collect.raise_any("lines", "the lines")
    return found


def _request_id(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_ID:
        raise NotFound(f"no transfer request {value!r}", field="request", message_code="no_such_transfer_request",
                       params={"request": str(value)})
    return value


def _readable(s, actor: Actor, request_id: int) -> TransferRequest:
    req = s.get(TransferRequest, request_id)
    if req is None:
        raise NotFound(f"no transfer request {request_id}", field="request", message_code="no_such_transfer_request",
                       params={"request": str(request_id)})
    if not actor.reads_everything and not ({req.depot_id, req.source_depot_id} & actor.depot_ids):
        raise Forbidden(f"request {request_code(req.id)} neither comes from nor goes to a depot you keep",
                        message_code="transfer_request_not_kept", params={"request": request_code(req.id)})
    return req


def _dict(s, r: TransferRequest, today: date) -> dict:
    depot, source = s.get(Depot, r.depot_id), s.get(Depot, r.source_depot_id)
    requester = s.get(User, r.requested_by)
    decider = s.get(User, r.decided_by) if r.decided_by else None
    order = s.get(TransferOrder, r.order_id) if r.order_id else None
    committed = _committed(s, source.id) if r.status == PENDING else {}
    lines = []
    for line, item in s.exec(select(TransferRequestLine, Item).join(Item, Item.id == TransferRequestLine.item_id)
                             .where(TransferRequestLine.request_id == r.id).order_by(Item.code)).all():
        available = None
        if r.status == PENDING:
            lots = s.exec(select(Lot).where(Lot.depot_id == source.id, Lot.item_id == item.id)).all()
            available = take_first_out(lots, committed, 0, today)[1]
        lines.append({"item": item.code, "item_name": item.name_zh, "item_name_en": item.name_en, "unit": item.unit,
                      "quantity": line.quantity, "granted": line.granted, "available": available})
    return {"id": r.id, "code": request_code(r.id), "status": r.status, "depot": depot.code, "depot_name": depot.name,
            "source": source.code, "source_name": source.name, "reason": r.reason, "wanted_by": r.wanted_by,
            "requested_by": requester.username if requester else str(r.requested_by), "requested_at": r.requested_at,
            "decided_by": decider.username if decider else None, "decided_at": r.decided_at,
            "decision_note": r.decision_note, "order": order.code if order else None,
            "order_state": order.state if order else None, "lines": lines}
