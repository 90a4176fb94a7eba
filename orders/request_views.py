"""Pages of daily transfer requests under /transfer-requests: the list (pending first, with the approve and reject
forms for dispatchers and administrators and withdrawal for the requester) and a keeper's request form.

Thin: every rule is in ``orders.requests``; a refusal becomes an error page in ``common.http``."""
import math
import re
from datetime import date, timedelta

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlmodel import Session, select

from accounts.auth import login_required_page, require_actor
from common.actor import ADMIN, DISPATCHER, KEEPER
from common.errors import DomainError, InvalidInput
from common.http import translated_message
from common.web import engine, request_now, request_today
from inventory.models import Depot, Item
from orders import requests as service
from orders.models import REQUEST_STATUSES
from orders.vocab import REQUEST_ERROR_MESSAGES, REQUEST_STATUSES as STATUS_WORDS

bp = Blueprint("transfer_requests", __name__, url_prefix="/transfer-requests")

PAGE_SIZE = 50
FORM_LINES = 6


@bp.route("")
@login_required_page
def index():
    actor = require_actor()
    status = request.args.get("status") or None
    if status is not None and status not in REQUEST_STATUSES:
        raise InvalidInput(f"status must be one of {', '.join(REQUEST_STATUSES)}", field="status")
    mine = request.args.get("mine") == "1"
    page = _whole(request.args.get("page", "") or "1", "page", 1)
    found = service.list_requests(engine(), actor, request_today(), status=status, mine=mine, limit=PAGE_SIZE,
                                  offset=(page - 1) * PAGE_SIZE)
    return render_template("transfer_requests.html", requests=found["requests"], total=found["total"], status=status,
                           mine=mine, page=page, pages=max(1, math.ceil(found["total"] / PAGE_SIZE)),
                           statuses=REQUEST_STATUSES, may_request=actor.role in (ADMIN, KEEPER),
                           decides=actor.role in (ADMIN, DISPATCHER))


@bp.route("/new", methods=["GET", "POST"])
@login_required_page
def new():
    actor = require_actor()
    if request.method == "GET":
        return _new_page(actor)
    form = request.form
    lines, rows = [], []  # rows: the form's row of each line (empty rows are skipped)
    for n in range(FORM_LINES):
        item, quantity = form.get(f"item_{n}", "").strip(), form.get(f"quantity_{n}", "").strip()
        if item or quantity:
            # a quantity that is not a number goes to the service as typed: it names every bad line at once
            lines.append({"item": item, "quantity": int(quantity) if quantity.isdigit() and len(quantity) <= 10
                          else quantity})
            rows.append(n)
    try:
        created = service.create(engine(), actor, request_now(), request_today(), depot=form.get("depot", ""),
                                 source=form.get("source", ""), lines=lines, reason=form.get("reason", ""),
                                 wanted_by=_date(form.get("wanted_by", ""), "wanted_by"))
    except DomainError as e:
        if e.status == 403:
            raise
        return _new_page(actor, form, e, rows), e.status
    flash(_("Request %(code)s sent to %(source)s; it waits for the dispatcher's approval.", code=created["code"],
            source=created["source_name"]), "success")
    return redirect(url_for("transfer_requests.index", mine=1))


def _new_page(actor, form=None, error: DomainError | None = None, rows: list[int] | None = None):
    """The request form; sent back with what was typed and every bad line named next to its row."""
    depots, sources, items = _choices(actor)
    messages, bad_rows = [], set()
    if error is not None:
        problems = error.details.get("problems") or [{"field": error.field, "message": error.message,
                                                      "message_code": error.message_code, "params": error.params}]
        for problem in problems:
            match = re.fullmatch(r"lines\[(\d+)\]\.(item|quantity)", problem.get("field") or "")
            if not match or int(match.group(1)) >= len(rows or []):
                messages.append(translated_message(problem.get("message_code"), problem.get("params"),
                                                   problem["message"]))
                continue
            row = rows[int(match.group(1))]
            bad_rows.add(row)
            messages.append(_line_message(row + 1, match.group(2), problem, form))
        if error.details.get("problems_more"):
            messages.append(_("… and %(num)s more problems, not shown: correct these and send again to see them.",
                              num=f"{error.details['problems_more']:,}"))
    return render_template("transfer_request_new.html", depots=depots, sources=sources, items=items,
                           rows=range(FORM_LINES), earliest=request_today().isoformat(),
                           wanted=(form or {}).get("wanted_by") or (request_today() + timedelta(days=3)).isoformat(),
                           values=form or {}, messages=messages, bad_rows=bad_rows)


def _line_message(number: int, column: str, problem: dict, form) -> str:
    code, params = problem.get("message_code"), problem.get("params") or {}
    if column == "quantity":
        return _("Line %(num)s: the quantity must be a whole number of 1 or more (got “%(value)s”).", num=number,
                 value=form.get(f"quantity_{number - 1}", ""))
    if code == "order_item_twice":
        return _("Line %(num)s: %(item)s is named twice.", num=number, item=params.get("item", ""))
    if code == "no_such_item":
        return _("Line %(num)s: no item has the code %(item)s.", num=number, item=params.get("item", ""))
    return _("Line %(num)s: choose an item.", num=number)


@bp.post("/<int:request_id>/approve")
@login_required_page
def approve(request_id: int):
    form = request.form
    # a quantity that is not a number goes to the service as typed: it names every bad line at once
    lines = [{"item": key[len("granted_"):], "quantity": int(value.strip()) if value.strip().isdigit()
              and len(value.strip()) <= 10 else value.strip()} for key, value in form.items()
             if key.startswith("granted_")]
    done = service.approve(engine(), require_actor(), request_now(), request_today(), request_id, lines=lines,
                           note=form.get("note") or None)
    flash(_("%(code)s approved: transfer order %(order)s.", code=done["code"], order=done["order"]), "success")
    return _back()


@bp.post("/<int:request_id>/reject")
@login_required_page
def reject(request_id: int):
    done = service.reject(engine(), require_actor(), request_now(), request_today(), request_id,
                          reason=request.form.get("reason", ""))
    flash(_("%(code)s rejected.", code=done["code"]), "success")
    return _back()


@bp.post("/<int:request_id>/withdraw")
@login_required_page
def withdraw(request_id: int):
    done = service.withdraw(engine(), require_actor(), request_now(), request_today(), request_id)
    flash(_("%(code)s withdrawn.", code=done["code"]), "success")
    return _back()


def _choices(actor):
    """The depots the actor may request for (town stations and village points they keep; all for an administrator),
    the depots above them, and the catalog."""
    with Session(engine()) as s:
        query = select(Depot).where(Depot.tier.in_(("town", "village"))).order_by(Depot.path)
        if actor.role != ADMIN:
            query = query.where(Depot.id.in_(actor.depot_ids or {-1}))
        depots = s.exec(query).all()
        above = {int(part) for d in depots for part in d.path.strip("/").split("/")[:-1] if part}
        sources = s.exec(select(Depot).where(Depot.id.in_(above or {-1})).order_by(Depot.path)).all()
        items = s.exec(select(Item).order_by(Item.code)).all()
        return ([{"code": d.code, "name": d.name, "tier": d.tier} for d in depots],
                [{"code": d.code, "name": d.name, "tier": d.tier} for d in sources],
                [{"code": i.code, "name_zh": i.name_zh, "name_en": i.name_en, "unit": i.unit} for i in items])


def _whole(raw: str, field: str, low: int) -> int:
    if not raw.isdigit() or len(raw) > 10 or int(raw) < low:
        raise InvalidInput(f"{field} must be a whole number of {low} or more, got {raw!r}", field=field,
                           message_code="order_quantity_out_of_range", params={"field": field, "value": raw})
    return int(raw)


def _date(raw: str, field: str) -> date:
    try:
        return date.fromisoformat(raw.strip())
    except ValueError:
        raise InvalidInput(f"{field} must be a date (YYYY-MM-DD), got {raw!r}", field=field)


def _back():
    target = request.form.get("next") or ""
    if not target.startswith("/transfer-requests"):
        target = url_for("transfer_requests.index")
    return redirect(target)


@bp.record_once
def _register(state) -> None:
    state.app.extensions.setdefault("error_messages", {}).update(REQUEST_ERROR_MESSAGES)
    state.app.jinja_env.globals.update(transfer_request_status=lambda s: STATUS_WORDS.get(s, s))
