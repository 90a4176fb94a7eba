"""Pages of transfer orders: the list (/orders: a keeper's depots' orders, everyone else's all of them, with
filters), one order read-only (/orders/<code>), where an order's label (/o/<code>) leads from a phone's camera,
and the order's label as a PDF (/orders/<code>/label.pdf). Keepers pick, ship and receive on the scanning page
(static/js/scan-orders.js), over the same JSON API."""
import io

from flask import Blueprint, current_app, render_template, request, send_file

from accounts.auth import login_required_page, require_actor
from common.actor import KEEPER
from common.errors import InvalidInput
from common.web import engine
from inventory import queries
from labels import payloads
from orders import rules, services
from orders.label import order_label_pdf
from orders.vocab import ACTIONS, DESTINATION_KINDS, ERROR_MESSAGES, STATES, WARNINGS

bp = Blueprint("orders", __name__, url_prefix="/orders")

OPEN = "open"  # the list's filter for every state with something still to do


@bp.route("")
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


@bp.route("/<code>")
@login_required_page
def order(code: str):
    return render_template("order.html", order=services.get(engine(), require_actor(), code))


@bp.route("/<code>/label.pdf")
@login_required_page
def label(code: str):
    pdf = order_label_pdf(engine(), require_actor(), code, base=payloads.normalise_base(current_app.config["BASE_URL"]),
                          layout=request.args.get("layout", "single-60x40"))
    response = send_file(io.BytesIO(pdf), mimetype="application/pdf", download_name=f"order-{code}.pdf", max_age=0)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.record_once
def _register(state) -> None:
    state.app.extensions.setdefault("error_messages", {}).update({**ERROR_MESSAGES, **WARNINGS})
    state.app.jinja_env.globals.update(order_state=lambda s: STATES.get(s, s),
                                       order_action=lambda s: ACTIONS.get(s, s),
                                       order_destination_kind=lambda s: DESTINATION_KINDS.get(s, s))
