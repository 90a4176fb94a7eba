"""The returns page of an incident (/incidents/<id>/returns): what is still out per site and item, the returns
with their inspection, and the forms a keeper (receive, inspect) and a dispatcher (declare not coming back) use
from a phone. Thin: every rule is in ``orders.returns.service``; a refusal becomes an error page in
``common.http``."""
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from accounts.auth import login_required_page, require_actor
from common.actor import ADMIN, DISPATCHER, KEEPER
from common.errors import InvalidInput
from common.web import engine, request_now, request_today
from orders.returns import service
from orders.returns.vocab import ERROR_MESSAGES, STATUSES

bp = Blueprint("returns", __name__)


@bp.route("/incidents/<int:incident_id>/returns")
@login_required_page
def index(incident_id: int):
    actor = require_actor()
    out = service.still_out(engine(), actor, incident_id)
    listed = service.list_returns(engine(), actor, incident_id)
    return render_template("returns.html", out=out, returns=listed["returns"], releases=listed["releases"],
                           receives=actor.role in (ADMIN, KEEPER), declares=actor.role in (ADMIN, DISPATCHER))


@bp.post("/incidents/<int:incident_id>/returns")
@login_required_page
def receive(incident_id: int):
    form = request.form
    done = service.receive(engine(), require_actor(), request_now(), request_today(), incident_id,
                           site=form.get("site", ""), lot=form.get("lot", ""), quantity=_number(form, "quantity"),
                           depot=form.get("depot", ""), note=form.get("note") or None,
                           idempotency_key=form.get("idempotency_key") or None)
    flash(_("%(ref)s: %(quantity)s of %(item)s received at %(depot)s, awaiting inspection.", ref=done["reference"],
            quantity=done["quantity"], item=done["item_name"], depot=done["depot_name"]), "success")
    return redirect(url_for("returns.index", incident_id=incident_id))


@bp.post("/returns/<int:return_id>/inspect")
@login_required_page
def inspect(return_id: int):
    form = request.form
    done = service.inspect(engine(), require_actor(), request_now(), request_today(), return_id,
                           restocked=_number(form, "restocked"), damaged=_number(form, "damaged", 0),
                           damage_reason=form.get("damage_reason") or None,
                           idempotency_key=form.get("idempotency_key") or None)
    flash(_("%(ref)s inspected: %(restocked)s restocked, %(damaged)s damaged.", ref=done["reference"],
            restocked=done["restocked"], damaged=done["damaged"]), "success")
    return redirect(url_for("returns.index", incident_id=done["incident"]))


@bp.post("/incidents/<int:incident_id>/releases")
@login_required_page
def release(incident_id: int):
    form = request.form
    done = service.release(engine(), require_actor(), request_now(), incident_id, site=form.get("site", ""),
                           item=form.get("item", ""), quantity=_number(form, "quantity"),
                           reason=form.get("reason", ""), idempotency_key=form.get("idempotency_key") or None)
    flash(_("%(quantity)s of %(item)s at %(site)s declared as not coming back.", quantity=done["quantity"],
            item=done["item_name"], site=done["site_name"]), "success")
    return redirect(url_for("returns.index", incident_id=incident_id))


def _number(form, field: str, default: int | None = None) -> int:
    raw = (form.get(field) or "").strip()
    if not raw and default is not None:
        return default
    if not raw.isdigit() or len(raw) > 10:
        raise InvalidInput(f"{field} must be a whole number, got {raw!r}", field=field,
                           message_code="order_quantity_out_of_range", params={"field": field, "value": raw})
    return int(raw)


@bp.record_once
def _register(state) -> None:
    state.app.extensions.setdefault("error_messages", {}).update(ERROR_MESSAGES)
    state.app.jinja_env.globals.update(return_status=lambda s: STATUSES.get(s, s))
