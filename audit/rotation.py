"""Rotation tasks (轮换任务): proposed from the rotation report, accepted, and done.

Who: administrators, or a keeper of the lot's depot (``Actor.require_stock_change``); auditors and
dispatchers change nothing. Marking a task done takes the units out through the inventory services —
never by writing stock here — with ``reference = "ROT-<id>"`` on every ledger line it causes:
a move is a transfer, a drill, a donation and a return to the supplier are issues.
"""
from datetime import date, datetime, timedelta

from sqlmodel import Session, select

from accounts.models import User
from audit import settings as audit_settings
from audit.models import OPEN_STATUSES, ROTATION_ACTIONS, TASK_STATUSES, RotationTask, reference_of
from audit.reports import _issued_units, suggest
from common.actor import Actor
from common.db import UnitOfWork
from common.errors import DomainError, InvalidInput, NotFound
from inventory import services
from inventory.ledger import is_expired
from inventory.models import Depot, Item, Lot

NOTES = {"move": "rotation: moved to a depot that issues it more", "drill": "rotation: used in a drill",
         "donate": "rotation: donated", "return_to_supplier": "rotation: returned under the supplier agreement"}


class TaskStateConflict(DomainError):
    code = "task_state"


def _task(uow, task_id: int, lock: bool = False) -> RotationTask:
    query = select(RotationTask).where(RotationTask.id == task_id)
    task = uow.session.exec(uow.lock_for_update(query) if lock else query).first()
    if task is None:
        raise NotFound(f"no rotation task {task_id}", field="task")
    return task


def _depot_code(s, depot_id: int | None) -> str | None:
    return s.get(Depot, depot_id).code if depot_id else None


def propose(engine, actor: Actor, now: datetime, today: date, *, lot: str, action: str | None = None,
            to_depot: str | None = None, quantity: int | None = None, note: str | None = None) -> dict:
    """A proposed task for a lot; without an action, the report's suggestion (and its destination)."""
    with UnitOfWork(engine) as uow:
        s = uow.session
        row = s.exec(select(Lot, Item, Depot).join(Item, Item.id == Lot.item_id).join(Depot, Depot.id == Lot.depot_id)
                     .where(Lot.code == lot)).first()
        if row is None:
            raise NotFound(f"no lot with code {lot}", field="lot")
        lot_row, item, depot = row
        actor.require_stock_change(depot.id, depot.code)
        if s.exec(select(RotationTask.id).where(RotationTask.lot_id == lot_row.id,
                                                RotationTask.status.in_(OPEN_STATUSES))).first() is not None:
            raise TaskStateConflict(f"lot {lot} already has an open rotation task", field="lot")
        if lot_row.quantity <= 0:
            raise TaskStateConflict(f"lot {lot} is empty; there is nothing to rotate", field="lot")
        if is_expired(lot_row.expires_on, today):
            raise TaskStateConflict(f"lot {lot} has expired; it can only be written off", field="lot")
        to_depot_id = None
        if action is None:
            cfg = audit_settings.load(s)
            issued = _issued_units(s, {item.id}, now - timedelta(days=cfg.rotation_issue_lookback_days))
            days_left = (lot_row.expires_on - today).days if lot_row.expires_on else 10 ** 6
            action, to_depot_id = suggest(lot_row.storage_mode, item.category, depot.id, days_left,
                                          issued.get(item.id, {}), cfg.rotation_move_min_days)
        elif action not in ROTATION_ACTIONS:
            raise InvalidInput(f"action must be one of {', '.join(ROTATION_ACTIONS)}, got {action!r}", field="action")
        elif action == "move":
            if not to_depot:
                raise InvalidInput("a move needs the depot to move to", field="to_depot")
            target = s.exec(select(Depot).where(Depot.code == to_depot)).first()
            if target is None:
                raise InvalidInput(f"no depot with code {to_depot}", field="to_depot")
            if target.id == depot.id:
                raise InvalidInput(f"lot {lot} is already at depot {to_depot}", field="to_depot")
            to_depot_id = target.id
        elif to_depot:
            raise InvalidInput("only a move names a depot to move to", field="to_depot")
        if quantity is None:
            quantity = lot_row.quantity
        if isinstance(quantity, bool) or not isinstance(quantity, int) or not 1 <= quantity <= lot_row.quantity:
            raise InvalidInput(f"quantity must be a whole number from 1 to {lot_row.quantity}", field="quantity")
        task = RotationTask(lot_id=lot_row.id, action=action, to_depot_id=to_depot_id, quantity=quantity,
                            status="proposed", note=note, proposed_by=actor.user_id, proposed_at=now)
        s.add(task)
        s.flush()
        result = _task_dict(s, task)
        uow.commit()
        return result


def accept(engine, actor: Actor, now: datetime, task_id: int) -> dict:
    with UnitOfWork(engine) as uow:
        task = _task(uow, task_id, lock=True)
        lot = uow.session.get(Lot, task.lot_id)
        actor.require_stock_change(lot.depot_id, _depot_code(uow.session, lot.depot_id))
        if task.status != "proposed":
            raise TaskStateConflict(f"task {reference_of(task.id)} is {task.status}; only a proposed task is accepted",
                                    field="task")
        task.status, task.accepted_by, task.accepted_at = "accepted", actor.user_id, now
        uow.session.add(task)
        uow.session.flush()
        result = _task_dict(uow.session, task)
        uow.commit()
        return result


def complete(engine, actor: Actor, now: datetime, today: date, task_id: int) -> dict:
    """Marks an accepted task done and takes its units out through the inventory services, in one
    transaction: the task row is locked first, so two people marking it at once cannot both take the
    units, and a refused stock change (the lot ran short or expired, a keeper who does not keep the
    destination) leaves the task as it was."""
    with UnitOfWork(engine) as uow:
        task = _task(uow, task_id, lock=True)
        lot = uow.session.get(Lot, task.lot_id)
        actor.require_stock_change(lot.depot_id, _depot_code(uow.session, lot.depot_id))
        if task.status != "accepted":
            what = "accept it first" if task.status == "proposed" else "it is already done"
            raise TaskStateConflict(f"task {reference_of(task.id)} is {task.status}: {what}", field="task")
        quantity = min(task.quantity, lot.quantity)
        if quantity <= 0:
            raise TaskStateConflict(f"lot {lot.code} is empty; nothing is left to rotate", field="task")
        ctx = services.Context(actor=actor, now=now, today=today, note=NOTES[task.action],
                               reference=reference_of(task_id))
        if task.action == "move":
            entries = services.transfer_in(uow, ctx, lot=lot.code, quantity=quantity,
                                           to_depot=_depot_code(uow.session, task.to_depot_id))
        else:
            entries = services.issue_in(uow, ctx, lot=lot.code, quantity=quantity)
        task.status, task.done_by, task.done_at, task.done_quantity = "done", actor.user_id, now, quantity
        uow.session.add(task)
        uow.session.flush()
        answer = {**_task_dict(uow.session, task), "entries": entries}
        uow.commit()
    return answer


def list_tasks(engine, actor: Actor, status: str | None = None, limit: int = 200) -> list[dict]:
    if status is not None and status not in TASK_STATUSES:
        raise InvalidInput(f"status must be one of {', '.join(TASK_STATUSES)}", field="status")
    with Session(engine) as s:
        query = select(RotationTask).join(Lot, Lot.id == RotationTask.lot_id).order_by(RotationTask.id.desc())
        if status:
            query = query.where(RotationTask.status == status)
        if not actor.reads_everything:
            query = query.where(Lot.depot_id.in_(actor.depot_ids or {-1}))
        return [_task_dict(s, t) for t in s.exec(query.limit(limit)).all()]


def get_task(engine, actor: Actor, task_id: int) -> dict:
    with Session(engine) as s:
        task = s.get(RotationTask, task_id)
        if task is None:
            raise NotFound(f"no rotation task {task_id}", field="task")
        lot = s.get(Lot, task.lot_id)
        actor.require_read_depot(lot.depot_id, _depot_code(s, lot.depot_id))
        return _task_dict(s, task)


def _task_dict(s, t: RotationTask) -> dict:
    lot = s.get(Lot, t.lot_id)
    item = s.get(Item, lot.item_id)
    depot = s.get(Depot, lot.depot_id)
    names = {}
    for uid in {t.proposed_by, t.accepted_by, t.done_by} - {None}:
        names[uid] = s.get(User, uid).username
    return {"id": t.id, "reference": reference_of(t.id), "lot": lot.code, "item": item.code, "item_name": item.name_zh,
            "item_name_en": item.name_en, "unit": item.unit, "depot": depot.code, "depot_name": depot.name,
            "expires_on": lot.expires_on, "action": t.action, "to_depot": _depot_code(s, t.to_depot_id),
            "quantity": t.quantity, "status": t.status, "note": t.note,
            "proposed_by": names.get(t.proposed_by), "proposed_at": t.proposed_at,
            "accepted_by": names.get(t.accepted_by), "accepted_at": t.accepted_at,
            "done_by": names.get(t.done_by), "done_at": t.done_at, "done_quantity": t.done_quantity}
