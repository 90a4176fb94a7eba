"""Adjusting a stored plan: the dispatcher's changes checked by the allocator's rules (``dispatch.adjust``)
and kept as a new plan row beside the one adjusted, in one transaction.

The new row carries the same problem document (the adjusted plan is judged against what the
allocator was asked), the adjusted plan (allocation-plan/1, status "adjusted"), its objective, the
plan it was adjusted from, the reason and the adjustments as sent; who and when are its
``created_by`` and ``created_at``. It becomes the incident's latest plan, the one the page shows
and an approval takes. Comparisons are made against the plan adjusted from and against the
optimum: the allocator's plan at the root of the chain of adjustments.
"""
import json
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session

from accounts.models import User
from common.actor import ADMIN, AUDITOR, DISPATCHER, Actor
from common.db import UnitOfWork
from common.errors import DomainError, InvalidInput, NotFound
from dispatch import adjust, stored_problem
from dispatch.incidents import _incident
from dispatch.models import Plan
from dispatch.problem import Problem
from dispatch.report import explain
from dispatch.settings import load_settings

MAX_REASON = 500
# Orders made from a plan (orders.models.TransferOrder), read by name: dispatch does not import orders.
TRANSFER_ORDER = sa.table("transfer_order", sa.column("plan_id", sa.Integer), sa.column("state", sa.String))


class PlanApproved(DomainError):
    code = "plan_approved"


def adjust_plan(engine, actor: Actor, incident_id: int, plan_id: int, adjustments: list, reason: str,
                now: datetime) -> dict:
    """A new plan row from ``plan_id`` after the adjustments; its answer carries the comparison."""
    actor.require_role(ADMIN, DISPATCHER)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("say why the plan is adjusted", field="reason", message_code="adjust_reason_needed")
    if len(reason) > MAX_REASON:
        raise InvalidInput(f"the reason is at most {MAX_REASON} characters", field="reason",
                           message_code="adjust_reason_too_long", params={"max": MAX_REASON})
    with UnitOfWork(engine) as uow:
        base = _plan_row(uow.session, incident_id, plan_id)
        _refuse_if_approved(uow.session, base)
        doc, problem = stored_problem.parsed(base.problem)
        plan = adjust.adjust_plan(problem, json.loads(base.plan), adjustments)
        row = Plan(incident_id=base.incident_id, norm_version_id=base.norm_version_id, problem=base.problem,
                   plan=json.dumps(plan, ensure_ascii=False), objective=plan["objective"], created_by=actor.user_id,
                   created_at=now, adjusted_from_id=base.id, adjustment_reason=reason,
                   adjustments=json.dumps(adjustments, ensure_ascii=False))
        uow.session.add(row)
        uow.session.flush()
        answer = _answer(uow.session, row, doc, problem, plan, with_report=True)
        uow.commit()
        return answer


def plan_comparison(engine, actor: Actor, incident_id: int, plan_id: int) -> dict:
    """A plan beside the plan it was adjusted from and beside the optimum (both empty for the optimum itself)."""
    actor.require_role(ADMIN, DISPATCHER, AUDITOR)
    with Session(engine) as s:
        row = _plan_row(s, incident_id, plan_id)
        return _answer(s, row, *stored_problem.parsed(row.problem), json.loads(row.plan), with_report=False)


def _plan_row(session: Session, incident_id: int, plan_id: int) -> Plan:
    _incident(session, incident_id)
    row = session.get(Plan, plan_id)
    if row is None or row.incident_id != incident_id:
        raise NotFound(f"incident {incident_id} has no plan {plan_id}", field="plan", message_code="plan_unknown",
                       params={"incident": incident_id, "plan": plan_id})
    return row


def _refuse_if_approved(session: Session, row: Plan) -> None:
    """A plan approved into transfer orders is being carried out: it is no longer adjusted (cancel its orders
    first; a plan whose orders are all cancelled may be adjusted and approved again)."""
    live = session.connection().execute(
        sa.select(sa.func.count()).select_from(TRANSFER_ORDER)
        .where(TRANSFER_ORDER.c.plan_id == row.id, TRANSFER_ORDER.c.state != "cancelled")).scalar_one()
    if live:
        raise PlanApproved(f"plan {row.id} was approved into {live} transfer orders; cancel them before adjusting it",
                           field="plan", message_code="plan_approved", params={"plan": row.id, "orders": live})


def _chain(session: Session, row: Plan) -> list[Plan]:
    """The plan, the one it was adjusted from, and so on to the allocator's plan."""
    chain = [row]
    while chain[-1].adjusted_from_id is not None:
        chain.append(session.get(Plan, chain[-1].adjusted_from_id))
    return chain


def _answer(session: Session, row: Plan, doc: dict, problem: Problem, plan: dict, *, with_report: bool) -> dict:
    chain = _chain(session, row)
    previous, optimum = (chain[1], chain[-1]) if len(chain) > 1 else (None, None)
    user = session.get(User, row.created_by)
    answer = {
        "id": row.id, "incident": row.incident_id, "norm_version": row.norm_version_id,
        "created_at": row.created_at.isoformat(), "created_by": user.username if user else None,
        "status": plan.get("status"), "objective": plan["objective"],
        "adjusted_from": row.adjusted_from_id, "optimum_plan": optimum.id if optimum else row.id,
        "reason": row.adjustment_reason, "adjustments": json.loads(row.adjustments) if row.adjustments else [],
        "fill": adjust.fill_rates(problem, plan),
        "against_previous": _against(problem, previous, plan),
        "against_optimum": _against(problem, optimum, plan),
    }
    if with_report:
        settings = load_settings(session)
        answer["plan"] = plan
        answer["report"] = explain(doc, plan, settings.vehicle_capacity_kg, settings.vehicle_capacity_m3, problem)
    return answer


def _against(problem, base: Plan | None, plan: dict) -> dict | None:
    if base is None:
        return None
    return {"plan": base.id, **adjust.compare(problem, json.loads(base.plan), plan)}
