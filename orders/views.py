"""HTML pages of transfer orders, a thin edge over ``orders.services`` and ``orders.board``:

    /orders                                the list: a keeper's depots' orders (open ones first), everyone else's all
    /orders/<code>                         the order, read-only (its label /o/<code> and the scanning page lead here)
    /orders/<code>/label.pdf               the order's label (QR of /o/<code>)
    /orders/<code>/waybill.pdf             the printable waybill (调拨单/运单), A4, Chinese
    /orders/<code>/cancel            POST  cancel with a reason, until shipped (dispatchers, administrators)
    /incidents/<id>/dispatch     GET/POST  一键派发: who sends what to whom in the latest plan, and approving it
    /incidents/<id>/board                  the dispatcher's board: orders, lines, delivered against needs, late
                                           lines, history, reconciliation

The incident page (dispatch, which never imports orders) shows what orders exist and links here through the
template global ``incident_orders`` registered below. Dispatchers and administrators approve and cancel; auditors
read the board (no forms; a POST is a 403); keepers read the orders of their depots. Every form carries the CSRF
token; a refused form comes back with status 422 and the message beside its field, nothing stored.
"""
import io

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import force_locale, format_datetime, get_locale
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, TextAreaField

from accounts.auth import login_required_page, require_actor
from accounts.security import record_security_event
from common.actor import ADMIN, AUDITOR, DISPATCHER, KEEPER, Actor
from common.errors import DomainError, InvalidInput
from common.http import translated_message
from common.web import engine, request_now, request_today
from dispatch import incidents
from inventory import queries
from labels import payloads
from labels.views import BaseUrlUnusable
from orders import board as boards
from orders import rules, services, waybill
from orders.label import order_label_pdf
from orders.vocab import ACTIONS, DESTINATION_KINDS, ERROR_MESSAGES, STATES, WARNINGS

bp = Blueprint("orders", __name__)

PLANNERS = (ADMIN, DISPATCHER)
READERS = (ADMIN, DISPATCHER, AUDITOR)


class ApproveForm(FlaskForm):
    plan = IntegerField("plan")
    confirm = BooleanField("confirm")


class CancelForm(FlaskForm):
    reason = TextAreaField("reason")


def _actor(*roles) -> Actor:
    actor = require_actor()
    actor.require_role(*roles)
    return actor


def label_base() -> str:
    try:
        return payloads.normalise_base(current_app.config["BASE_URL"])
    except ValueError as e:
        raise BaseUrlUnusable(f"the waybill cannot be printed: {e}") from e


def _message(e: DomainError) -> str:
    return translated_message(e.message_code, e.params, e.message)


# ---------------------------------------------------------------- one order


OPEN = "open"  # the list's filter for every state with something still to do


@bp.route("/orders")
@login_required_page
def index():
    actor, eng = require_actor(), engine()
    args = request.args
    state = args.get("state", OPEN if actor.role == KEEPER else "") or None
    if state not in (None, OPEN, *rules.STATES):
        raise InvalidInput(f"state must be open or one of {', '.join(rules.STATES)}", field="state",
                           message_code="order_state_unknown", params={"value": str(state)[:40]})
    incident = args.get("incident", "").strip() or None
    if incident is not None and not incident.isdigit():
        raise InvalidInput(f"incident must be a number, got {incident[:40]!r}", field="incident")
    depot = args.get("depot", "").strip() or None
    rows = services.list_orders(eng, actor, incident=int(incident) if incident else None,
                                state=None if state in (None, OPEN) else state, depot=depot)
    if state == OPEN:
        rows = [o for o in rows if o["state"] in rules.OPEN_STATES]
    depots = queries.list_depots(eng, actor)
    kept = {d["code"] for d in depots} if actor.role == KEEPER else set()
    return render_template("orders.html", orders=rows, state=state, incident=incident, depot=depot,
                           states=rules.STATES, depots=depots, kept=kept, is_keeper=actor.role == KEEPER)


@bp.route("/orders/<code>")
@login_required_page
def order(code: str):
    actor = require_actor()
    return render_template("order.html", order=services.get(engine(), actor, code),
                           board_link=actor.role in READERS)


@bp.route("/orders/<code>/label.pdf")
@login_required_page
def label(code: str):
    pdf = order_label_pdf(engine(), require_actor(), code, base=label_base(),
                          layout=request.args.get("layout", "single-60x40"))
    response = send_file(io.BytesIO(pdf), mimetype="application/pdf", download_name=f"order-{code}.pdf", max_age=0)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/orders/<code>/waybill.pdf")
@login_required_page
def waybill_pdf(code: str):
    actor = require_actor()
    doc = waybill.document(engine(), actor, code, label_base())
    record_security_event(engine(), "export", username=actor.username, at=request_now(),
                          message=("waybill_pdf", {"order": doc["code"]}))
    with force_locale("zh_Hans_CN"):  # a waybill is Chinese whatever the page's language
        html = render_template("waybill_pdf.html", order=doc, font=waybill.font(), qr=waybill.qr_image(doc["qr_url"]),
                               printed_at=request_now())
    body = waybill.pdf(html)
    return Response(body, mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="waybill-{doc["code"]}.pdf"', "Content-Length": str(len(body)),
        "Cache-Control": "no-store"})


@bp.route("/orders/<code>/cancel", methods=["POST"])
@login_required_page
def cancel(code: str):
    actor = _actor(*PLANNERS)
    eng = engine()
    order = services.get(eng, actor, code)  # an unknown order is a 404, not a form error
    form = CancelForm()
    reason = (form.reason.data or "").strip()
    errors = []
    if form.validate():
        if not reason or len(reason) > 500:
            errors.append(_("Say why the order is cancelled (at most 500 characters)."))
        else:
            try:
                services.cancel(eng, actor, request_now(), code, reason=reason)
            except DomainError as e:
                if e.status == 403:
                    raise
                errors.append(_message(e))
            else:
                flash(_("Order %(code)s cancelled.", code=code), "success")
                return redirect(url_for(".board", incident_id=order["incident"]) + f"#order-{code}")
    return _board_page(actor, order["incident"], cancel_errors={code: errors or [_("The form expired: send it again.")]},
                       cancel_reasons={code: form.reason.data or ""}, status=422)


# ---------------------------------------------------------------- 一键派发: approving the latest plan


@bp.route("/incidents/<int:incident_id>/dispatch", methods=["GET", "POST"])
@login_required_page
def dispatch(incident_id: int):
    actor = _actor(*READERS) if request.method == "GET" else _actor(*PLANNERS)
    eng = engine()
    flows = boards.plan_flows(eng, actor, incident_id)
    form = ApproveForm()
    status = 200
    if request.method == "GET":
        form.plan.data = flows["plan"]
    elif form.validate():
        if form.plan.data != flows["plan"]:
            form.plan.errors = [_("A newer plan (%(plan)s) was made since this page was shown: check it and approve "
                                  "again.", plan=flows["plan"])]
        elif not form.confirm.data:
            form.confirm.errors = [_("Tick the box to confirm that these orders go out.")]
        else:
            try:
                done = services.approve_plan(eng, actor, request_now(), incident_id=incident_id, plan_id=flows["plan"])
            except DomainError as e:
                if e.status == 403:
                    raise
                form.plan.errors = [_message(e)]
            else:
                flash(_("Plan %(plan)s approved: %(num)s transfer orders made.", plan=flows["plan"],
                        num=len(done["codes"])), "success")
                return redirect(url_for(".board", incident_id=incident_id))
        status = 422
    else:
        form.plan.errors = [_("The form expired: send it again.")]
        status = 422
    return render_template("order_dispatch.html", incident=_incident(actor, incident_id), flows=flows, form=form,
                           can_approve=actor.role in PLANNERS), status


def _incident(actor: Actor, incident_id: int) -> dict:
    return incidents.get(engine(), actor, incident_id)


# ---------------------------------------------------------------- the dispatcher's board


@bp.route("/incidents/<int:incident_id>/board")
@login_required_page
def board(incident_id: int):
    return _board_page(_actor(*READERS), incident_id)


def _board_page(actor: Actor, incident_id: int, *, cancel_errors=None, cancel_reasons=None, status: int = 200):
    data = boards.board(engine(), actor, incident_id, request_now(), request_today())
    return render_template("order_board.html", board=data, incident=data["incident"],
                           can_cancel=actor.role in PLANNERS, cancel_errors=cancel_errors or {},
                           cancel_reasons=cancel_reasons or {}), status


# ---------------------------------------------------------------- what the templates may use


def fmt_minute(t) -> str:
    """A time to the minute as an office writes it: 2026年7月13日 14:05 (English: 13 Jul 2026, 14:05)."""
    if not t:
        return ""
    pattern = "d MMM y, HH:mm" if str(get_locale()).startswith("en") else "y年M月d日 HH:mm"
    return format_datetime(t, pattern)


def incident_orders(incident_id: int) -> dict | None:
    """For the incident page: the orders of the incident in a few numbers (None for a keeper)."""
    actor = require_actor()
    if actor.role not in READERS:
        return None
    return {**boards.incident_orders(engine(), actor, incident_id), "can_approve": actor.role in PLANNERS}


@bp.record_once
def _register(state) -> None:
    state.app.extensions.setdefault("error_messages", {}).update({**ERROR_MESSAGES, **WARNINGS})
    state.app.jinja_env.globals.update(order_state=lambda s: STATES.get(s, s),
                                       order_action=lambda s: ACTIONS.get(s, s),
                                       order_destination_kind=lambda s: DESTINATION_KINDS.get(s, s),
                                       fmt_minute=fmt_minute, incident_orders=incident_orders,
                                       order_open_states=rules.OPEN_STATES)
