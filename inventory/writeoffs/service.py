"""Write-off requests (报损申请) and their approval (核销): plain values in, one transaction each.

The rules, in one place:

- A keeper of the lot's depot (or an administrator) requests: lot, quantity, reason (expired, damaged,
  lost), a note and optionally a photo. The quantity must not exceed what the lot holds at that moment,
  but a pending request **holds no units**: the lot can still be issued, moved or counted meanwhile, and
  its page shows the units pending write-off beside what it holds.
- Only an administrator who did not make the request approves it (four eyes: an administrator's own
  request waits for another administrator), giving the approving document number (审批文号). The
  approval writes one ``write_off`` ledger line with ``reference = "BS-<id>"`` through
  ``inventory.services.write_off_in``, checking the stock rule at that moment: a lot that holds less by
  then is a 409 and nothing is written.
- An administrator other than the requester rejects with a reason; the requester withdraws while it is
  pending. Neither writes a ledger line.
- A request sent with an idempotency key is made once per (user, key): a retry gets the same request
  back (``replayed``); the key with another lot, quantity, reason or note is refused.
"""
from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from accounts.models import User
from common.actor import ADMIN, Actor
from accounts.security import append_event
from common.db import UnitOfWork
from common.errors import DomainError, Forbidden, IdempotencyKeyReused, InvalidInput, NotFound
from inventory import ledger, services
from inventory.models import (
    WRITE_OFF_REQUEST_REASONS, WRITE_OFF_STATUSES, Depot, Item, Lot, WriteOffPhoto, WriteOffRequest,
)

PHOTO_MAX_BYTES = 4 * 1024 * 1024
PHOTO_TYPES = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG\r\n\x1a\n": "image/png"}
MAX_PAGE = 500
MAX_ID = 2 ** 31 - 1


class RequestStateConflict(DomainError):
    code = "write_off_state"


def reference_of(request_id: int) -> str:
    return f"BS-{request_id}"


@dataclass(frozen=True)
class NewRequest:
    lot: str
    quantity: int
    reason: str
    note: str | None = None
    photo: bytes | None = None
    idempotency_key: str | None = None


# ---------------------------------------------------------------- rules on plain values


def photo_type(data: bytes) -> str:
    """The photo's content type, decided by its first bytes (not by the name or the header sent)."""
    if len(data) == 0:
        raise InvalidInput("the photo is empty", field="photo", message_code="photo_empty")
    if len(data) > PHOTO_MAX_BYTES:
        raise InvalidInput(f"the photo is {len(data)} bytes; at most {PHOTO_MAX_BYTES} are accepted", field="photo",
                           message_code="photo_too_large", params={"limit_mb": PHOTO_MAX_BYTES // (1024 * 1024)})
    for magic, content_type in PHOTO_TYPES.items():
        if data.startswith(magic):
            return content_type
    raise InvalidInput("the photo must be a JPEG or PNG image", field="photo", message_code="photo_not_image")


def _storable(value: str | None, field: str) -> str | None:
    """Text a database can keep: no NUL character (PostgreSQL refuses it) and no lone surrogate."""
    if value is None:
        return None
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInput(f"{field} is not valid text", field=field)
    if "\x00" in value:
        raise InvalidInput(f"{field} contains a NUL character", field=field)
    return value


def _check_request(new: NewRequest) -> None:
    for field in ("lot", "note", "idempotency_key"):
        _storable(getattr(new, field), field)
    if new.reason not in WRITE_OFF_REQUEST_REASONS:
        raise InvalidInput(f"reason must be one of {', '.join(WRITE_OFF_REQUEST_REASONS)}, got {new.reason!r}",
                           field="reason", message_code="write_off_reason_unknown", params={"value": str(new.reason)})
    if new.note is not None and len(new.note) > 500:
        raise InvalidInput("note must be at most 500 characters", field="note")
    key = new.idempotency_key
    if key is not None and not (0 < len(key) <= 100):
        raise InvalidInput("Idempotency-Key must be 1 to 100 characters", field="idempotency_key")


def _same_request(row: WriteOffRequest, lot_id: int | None, new: NewRequest) -> bool:
    return (row.lot_id, row.quantity, row.reason, row.note) == (lot_id, new.quantity, new.reason, new.note)


# ---------------------------------------------------------------- use cases


def request(engine, actor: Actor, now: datetime, new: NewRequest) -> dict:
    """Makes a pending request (or, for a repeated idempotency key, answers with the one already made)."""
    _check_request(new)
    photo = None if new.photo is None else (photo_type(new.photo), new.photo)
    try:
        with UnitOfWork(engine) as uow:
            s = uow.session
            row = s.exec(select(Lot, Depot).join(Depot, Depot.id == Lot.depot_id).where(Lot.code == new.lot)).first()
            if new.idempotency_key is not None:
                replay = _replay(s, actor, new, row[0].id if row else None)
                if replay is not None:
                    return replay
            if row is None:
                raise NotFound(f"no lot with code {new.lot}", field="lot", message_code="no_such_lot",
                               params={"lot": new.lot})
            lot, depot = row
            actor.require_stock_change(depot.id, depot.code)
            # the rule an approval will apply, checked now too: a whole positive number the lot holds
            ledger.write_off(ledger.LotState(lot.code, lot.quantity, lot.expires_on), new.quantity, new.reason)
            req = WriteOffRequest(lot_id=lot.id, depot_id=depot.id, quantity=new.quantity, reason=new.reason,
                                  note=new.note, status="pending", requested_by=actor.user_id, requested_at=now,
                                  idempotency_key=new.idempotency_key)
            s.add(req)
            s.flush()  # a concurrent request with the same key that committed first: IntegrityError here
            if photo is not None:
                s.add(WriteOffPhoto(request_id=req.id, content_type=photo[0], data=photo[1]))
                s.flush()
            answer = {**_request_dict(s, req), "replayed": False}
            uow.commit()
            return answer
    except IntegrityError:
        if new.idempotency_key is None:
            raise
    with Session(engine) as s:  # the first one with this key: answer as it was made
        lot_id = s.exec(select(Lot.id).where(Lot.code == new.lot)).first()
        replay = _replay(s, actor, new, lot_id)
        if replay is None:  # pragma: no cover - the integrity error had another cause
            raise RuntimeError(f"could not record the write-off request with Idempotency-Key {new.idempotency_key}")
        return replay


def request_in(uow, actor: Actor, now: datetime, *, lot: str, quantity: int, reason: str, note: str | None) -> dict:
    """A pending request made inside a caller's transaction (a return's inspection finds damaged units), by the
    same rules as ``request``: a keeper of the lot's depot or an administrator, no more than the lot holds."""
    _check_request(NewRequest(lot=lot, quantity=quantity, reason=reason, note=note))
    s = uow.session
    row = s.exec(select(Lot, Depot).join(Depot, Depot.id == Lot.depot_id).where(Lot.code == lot)).first()
    if row is None:
        raise NotFound(f"no lot with code {lot}", field="lot", message_code="no_such_lot", params={"lot": lot})
    found, depot = row
    s.refresh(found)  # the caller may have changed its quantity in this transaction
    actor.require_stock_change(depot.id, depot.code)
    ledger.write_off(ledger.LotState(found.code, found.quantity, found.expires_on), quantity, reason)
    req = WriteOffRequest(lot_id=found.id, depot_id=depot.id, quantity=quantity, reason=reason, note=note,
                          status="pending", requested_by=actor.user_id, requested_at=now)
    s.add(req)
    s.flush()
    return _request_dict(s, req)


def _replay(s, actor: Actor, new: NewRequest, lot_id: int | None) -> dict | None:
    row = s.exec(select(WriteOffRequest).where(WriteOffRequest.requested_by == actor.user_id,
                                               WriteOffRequest.idempotency_key == new.idempotency_key)).first()
    if row is None:
        return None
    if not _same_request(row, lot_id, new):
        raise IdempotencyKeyReused(
            f"Idempotency-Key {new.idempotency_key} was already used for a different request; use a new key for "
            "a new action", field="idempotency_key")
    return {**_request_dict(s, row), "replayed": True}


def approve(engine, actor: Actor, now: datetime, today: date, request_id: int, document_no: str) -> dict:
    """Approves a pending request and writes its ledger line, in one transaction: the request row is
    locked first, so two administrators approving at once cannot both write it off."""
    document_no = (_storable(document_no, "document_no") or "").strip()
    with UnitOfWork(engine) as uow:
        req = _decidable(uow, actor, request_id, "approve")
        if not document_no:
            raise InvalidInput("the approving document number (审批文号) is required to approve a write-off",
                               field="document_no", message_code="document_no_required")
        if len(document_no) > 64:
            raise InvalidInput("the approving document number is at most 64 characters", field="document_no")
        lot_code = uow.session.exec(select(Lot.code).where(Lot.id == req.lot_id)).one()
        ctx = services.Context(actor=actor, now=now, today=today, note=req.note, reference=reference_of(req.id))
        entries = services.write_off_in(uow, ctx, lot=lot_code, quantity=req.quantity, reason=req.reason)
        req.status, req.decided_by, req.decided_at = "approved", actor.user_id, now
        req.document_no, req.movement_id = document_no, entries[0]["id"]
        answer = _save(uow, req)
        append_event(uow.session, engine, "approval", username=actor.username, at=now,
                     message=("write_off_approved", {"request": reference_of(req.id), "lot": lot_code,
                                                "quantity": req.quantity, "document": document_no}))
        uow.commit()
        return {**answer, "entries": entries}


def reject(engine, actor: Actor, now: datetime, request_id: int, reason: str) -> dict:
    reason = (_storable(reason, "reason") or "").strip()
    with UnitOfWork(engine) as uow:
        req = _decidable(uow, actor, request_id, "reject")
        if not reason:
            raise InvalidInput("say why the write-off is rejected", field="reason",
                               message_code="rejection_reason_required")
        if len(reason) > 500:
            raise InvalidInput("the reason is at most 500 characters", field="reason")
        req.status, req.decided_by, req.decided_at, req.decision_note = "rejected", actor.user_id, now, reason
        answer = _save(uow, req)
        append_event(uow.session, engine, "approval", "refused", username=actor.username, at=now,
                     message=("write_off_rejected", {"request": reference_of(req.id)}))
        uow.commit()
        return answer


def withdraw(engine, actor: Actor, now: datetime, request_id: int) -> dict:
    with UnitOfWork(engine) as uow:
        req = _locked(uow, actor, request_id)
        if req.requested_by != actor.user_id:
            raise Forbidden(f"only the keeper who made {reference_of(req.id)} may withdraw it",
                            message_code="write_off_not_yours", params={"reference": reference_of(req.id)})
        _require_pending(req)
        req.status, req.decided_by, req.decided_at = "withdrawn", actor.user_id, now
        answer = _save(uow, req)
        uow.commit()
        return answer


def _in_range(request_id: int) -> int:
    if not 0 < request_id <= MAX_ID:  # a larger number is no request (and beyond the column on PostgreSQL)
        raise NotFound(f"no write-off request {request_id}", field="request")
    return request_id


def _locked(uow, actor: Actor, request_id: int) -> WriteOffRequest:
    _in_range(request_id)
    req = uow.session.exec(uow.lock_for_update(select(WriteOffRequest).where(WriteOffRequest.id == request_id))).first()
    if req is None or not actor.can_read_depot(req.depot_id):
        raise NotFound(f"no write-off request {request_id}", field="request")
    return req


def _decidable(uow, actor: Actor, request_id: int, verb: str) -> WriteOffRequest:
    actor.require_role(ADMIN)
    req = _locked(uow, actor, request_id)
    if req.requested_by == actor.user_id:
        raise Forbidden(f"you made {reference_of(req.id)}; another administrator must {verb} it",
                        message_code="write_off_own_request", params={"reference": reference_of(req.id)})
    _require_pending(req)
    return req


def _require_pending(req: WriteOffRequest) -> None:
    if req.status != "pending":
        raise RequestStateConflict(f"{reference_of(req.id)} is already {req.status}", field="request",
                                   message_code="write_off_decided",
                                   params={"reference": reference_of(req.id), "status": req.status})


def _save(uow, req: WriteOffRequest) -> dict:
    uow.session.add(req)
    uow.session.flush()
    return _request_dict(uow.session, req)


# ---------------------------------------------------------------- reading


def list_requests(engine, actor: Actor, *, status: str | None = None, lot: str | None = None,
                  depot: str | None = None, mine: bool = False, limit: int = 100, offset: int = 0) -> dict:
    """Requests the actor may read (keepers: those at the depots they keep), pending first, newest first."""
    if status is not None and status not in WRITE_OFF_STATUSES:
        raise InvalidInput(f"status must be one of {', '.join(WRITE_OFF_STATUSES)}, got {status!r}", field="status")
    if not (1 <= limit <= MAX_PAGE):
        raise InvalidInput(f"limit must be from 1 to {MAX_PAGE}", field="limit")
    if offset < 0:
        raise InvalidInput("offset must be 0 or more", field="offset")
    _storable(lot, "lot"), _storable(depot, "depot")
    where = []
    if status:
        where.append(WriteOffRequest.status == status)
    if not actor.reads_everything:
        where.append(WriteOffRequest.depot_id.in_(actor.depot_ids or {-1}))
    if mine:
        where.append(WriteOffRequest.requested_by == actor.user_id)
    with Session(engine) as s:
        if lot is not None:
            where.append(WriteOffRequest.lot_id == s.exec(select(Lot.id).where(Lot.code == lot)).first())
        if depot is not None:
            where.append(WriteOffRequest.depot_id == s.exec(select(Depot.id).where(Depot.code == depot)).first())
        total = s.exec(select(sa.func.count(WriteOffRequest.id)).where(*where)).one()
        pending_first = sa.case((WriteOffRequest.status == "pending", 0), else_=1)
        rows = s.exec(_rows().where(*where).order_by(pending_first, WriteOffRequest.id.desc())
                      .limit(limit).offset(offset)).all()
        return {"total": total, "requests": [_row_dict(*r) for r in rows]}


def get_request(engine, actor: Actor, request_id: int) -> dict:
    with Session(engine) as s:
        row = s.exec(_rows().where(WriteOffRequest.id == _in_range(request_id))).first()
        if row is None or not actor.can_read_depot(row[0].depot_id):
            raise NotFound(f"no write-off request {request_id}", field="request")
        return _row_dict(*row)


def get_photo(engine, actor: Actor, request_id: int) -> tuple[str, bytes]:
    get_request(engine, actor, request_id)  # who may read it
    with Session(engine) as s:
        photo = s.get(WriteOffPhoto, request_id)
        if photo is None:
            raise NotFound(f"write-off request {request_id} has no photo", field="photo")
        return photo.content_type, photo.data


def pending_units(engine, lot: str) -> dict:
    """Units of the lot in pending requests (they are not held: see the module's docstring)."""
    with Session(engine) as s:
        row = s.exec(select(sa.func.coalesce(sa.func.sum(WriteOffRequest.quantity), 0),
                            sa.func.count(WriteOffRequest.id))
                     .join(Lot, Lot.id == WriteOffRequest.lot_id)
                     .where(Lot.code == lot, WriteOffRequest.status == "pending")).one()
    return {"units": int(row[0]), "requests": int(row[1])}


_REQUESTER, _DECIDER = aliased(User), aliased(User)


def _rows():
    return (select(WriteOffRequest, Lot, Item, Depot, _REQUESTER.username, _DECIDER.username,
                   sa.exists().where(WriteOffPhoto.request_id == WriteOffRequest.id))
            .join(Lot, Lot.id == WriteOffRequest.lot_id).join(Item, Item.id == Lot.item_id)
            .join(Depot, Depot.id == WriteOffRequest.depot_id)
            .join(_REQUESTER, _REQUESTER.id == WriteOffRequest.requested_by)
            .outerjoin(_DECIDER, _DECIDER.id == WriteOffRequest.decided_by))


def _request_dict(s, req: WriteOffRequest) -> dict:
    return _row_dict(*s.exec(_rows().where(WriteOffRequest.id == req.id)).one())


def _row_dict(r: WriteOffRequest, lot: Lot, item: Item, depot: Depot, requester: str, decider: str | None,
              has_photo: bool) -> dict:
    return {"id": r.id, "reference": reference_of(r.id), "status": r.status, "lot": lot.code, "item": item.code,
            "item_name": item.name_zh, "item_name_en": item.name_en, "unit": item.unit, "depot": depot.code,
            "depot_name": depot.name, "lot_quantity": lot.quantity, "expires_on": lot.expires_on,
            "quantity": r.quantity, "reason": r.reason, "note": r.note, "has_photo": bool(has_photo),
            "requested_by": requester, "requested_at": r.requested_at, "decided_by": decider,
            "decided_at": r.decided_at, "document_no": r.document_no, "decision_note": r.decision_note,
            "movement_id": r.movement_id}
