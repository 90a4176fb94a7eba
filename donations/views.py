"""Pages of donations under /donations: the list, the recording form (a keeper's depots, an administrator's any),
a donation's page, its acknowledgement (捐赠回执, an A4 PDF in Chinese) and the donation register (where each
donated unit went).

Thin: every rule is in ``donations.service``; a refusal of the form comes back on the form with every problem named.
The form carries a once-per-form token, sent as the idempotency key."""
import math
import secrets

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _

from accounts.auth import login_required_page, require_actor
from accounts.security import record_security_event
from common.actor import ADMIN, KEEPER
from common.errors import DomainError, InvalidInput
from common.inputs import page_number
from common.web import engine, request_now, request_today
from donations import service
from donations.vocab import DONATION_KINDS, DONOR_KINDS, ERROR_MESSAGES, WENT
from orders import waybill
from receiving.views import form_choices, form_lines, form_problems

bp = Blueprint("donations", __name__, url_prefix="/donations")

PAGE_SIZE = 50
FORM_LINES = 6


@bp.route("")
@login_required_page
def index():
    actor = require_actor()
    page = page_number(request.args.get("page", ""), error=InvalidInput)
    found = service.list_donations(engine(), actor, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    return render_template("donations.html", donations=found["donations"], total=found["total"], page=page,
                           pages=max(1, math.ceil(found["total"] / PAGE_SIZE)), may_record=_may_record(actor))


@bp.route("/new", methods=["GET", "POST"])
@login_required_page
def new():
    actor = require_actor()
    if request.method == "GET":
        actor.require_role(ADMIN, KEEPER)
        return _form(actor)
    form = request.form
    lines, rows = form_lines(form)
    try:
        done = service.record(engine(), actor, request_now(), request_today(), depot=form.get("depot", ""),
                              donor_kind=form.get("donor_kind", ""), donor_name=form.get("donor_name", ""),
                              donor_contact=form.get("donor_contact") or None, kind=form.get("kind", ""),
                              lines=lines, amount=form.get("amount") or None, purpose=form.get("purpose") or None,
                              received_on=form.get("received_on") or None, note=form.get("note") or None,
                              idempotency_key=form.get("form_token") or None)
    except DomainError as e:
        if e.status == 403:
            raise
        return _form(actor, form, e, rows), e.status
    if done["replayed"]:
        flash(_("This form was already sent: donation %(number)s was recorded once.", number=done["number"]), "info")
    else:
        flash(_("Donation %(number)s recorded. Print the acknowledgement for the donor below.",
                number=done["number"]), "success")
    return redirect(url_for("donations.donation", donation_id=done["id"]))


@bp.route("/<int:donation_id>")
@login_required_page
def donation(donation_id: int):
    actor = require_actor()
    found = service.get(engine(), actor, donation_id)
    return render_template("donation.html", d=found, register=service.register(engine(), actor, donation_id))


@bp.route("/<int:donation_id>/acknowledgement.pdf")
@login_required_page
def acknowledgement(donation_id: int):
    actor = require_actor()
    found = service.get(engine(), actor, donation_id)
    record_security_event(engine(), "export", username=actor.username, at=request_now(),
                          message=("donation_acknowledgement_pdf", {"number": found["number"]}))
    with force_locale("zh_Hans_CN"):  # the acknowledgement is Chinese whatever the page's language
        html = render_template("donation_pdf.html", d=found, font=waybill.font(), printed_on=request_today())
    body = waybill.pdf(html)
    return Response(body, mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="acknowledgement-{found["number"]}.pdf"',
        "Content-Length": str(len(body))})


@bp.route("/register")
@login_required_page
def register():
    return render_template("donation_register.html", entries=service.register(engine(), require_actor()))


def _may_record(actor) -> bool:
    return actor.role == ADMIN or (actor.role == KEEPER and bool(actor.depot_ids))


def _form(actor, form=None, error: DomainError | None = None, rows: list[int] | None = None):
    depots, items = form_choices(actor)
    messages, bad = form_problems(error, rows)
    values = form or {"kind": "goods", "donor_kind": "organisation"}
    shown = max([FORM_LINES, *(n + 1 for n in (rows or []))])
    return render_template("donation_new.html", depots=depots, items=items, rows=range(shown), values=values,
                           messages=messages, bad=bad, today=request_today().isoformat(),
                           token=secrets.token_urlsafe(16), max_lines=200)


@bp.record_once
def _register(state) -> None:
    state.app.extensions.setdefault("error_messages", {}).update(ERROR_MESSAGES)
    state.app.jinja_env.globals.update(donor_kind=lambda k: DONOR_KINDS.get(k, k),
                                       donation_kind=lambda k: DONATION_KINDS.get(k, k),
                                       went_kind=lambda k: WENT.get(k, k))
