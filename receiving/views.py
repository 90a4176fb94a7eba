"""Pages of deliveries received under /deliveries: the list, the receiving form (a keeper's depots, an
administrator's any) and a delivery's page with its lots and their label sheet.

Thin: every rule is in ``receiving.service``; a refusal of the form comes back on the form with every bad line named,
any other refusal becomes an error page in ``common.http``. The form carries a once-per-form token, sent as the
idempotency key: a double submit receives once and shows the same delivery."""
import math
import re
import secrets

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlmodel import Session, select

from accounts.auth import login_required_page, require_actor
from common.actor import ADMIN, KEEPER
from common.errors import DomainError, InvalidInput
from common.inputs import page_number
from common.http import translated_message
from common.web import engine, request_now, request_today
from inventory.models import Depot, Item
from labels import printing, sheets
from labels.views import _base, _int, _pdf
from receiving import service
from receiving.models import DELIVERY_KINDS
from receiving.vocab import DELIVERY_KINDS as KIND_WORDS, ERROR_MESSAGES

bp = Blueprint("receiving", __name__, url_prefix="/deliveries")

PAGE_SIZE = 50
FORM_LINES = 10  # blank lines without JavaScript; static/js/receiving.js adds more
LINE_FIELDS = ("item", "quantity", "expires_on", "production_date", "shelf_life_months", "unit_price", "shelf")
_LINE_KEY = re.compile(r"item_(\d{1,3})")


@bp.route("")
@login_required_page
def index():
    actor = require_actor()
    page = page_number(request.args.get("page", ""), error=InvalidInput)
    depot = request.args.get("depot") or None
    found = service.list_deliveries(engine(), actor, depot=depot, limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    return render_template("deliveries.html", deliveries=found["deliveries"], total=found["total"], page=page, depot=depot,
                           pages=max(1, math.ceil(found["total"] / PAGE_SIZE)), may_receive=_may_receive(actor))


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
        done = service.receive(engine(), actor, request_now(), request_today(), depot=form.get("depot", ""),
                               kind=form.get("kind", ""), supplier=form.get("supplier", ""), lines=lines,
                               document_no=form.get("document_no") or None, received_on=form.get("received_on") or None,
                               note=form.get("note") or None, idempotency_key=form.get("form_token") or None)
    except DomainError as e:
        if e.status == 403:
            raise
        return _form(actor, form, e, rows), e.status
    if done["replayed"]:
        flash(_("This form was already sent: delivery %(number)s was received once.", number=done["number"]), "info")
    else:
        flash(_("Delivery %(number)s received: %(lots)s lots. Print their labels below.", number=done["number"],
                lots=len(done["lines"])), "success")
    return redirect(url_for("receiving.delivery", delivery_id=done["id"]))


@bp.route("/<int:delivery_id>")
@login_required_page
def delivery(delivery_id: int):
    found = service.get(engine(), require_actor(), delivery_id)
    return render_template("delivery.html", d=found, layouts=sheets.LAYOUTS, default_layout=sheets.DEFAULT_LAYOUT,
                           max_copies=printing.MAX_COPIES)


@bp.route("/<int:delivery_id>/labels", methods=["POST"])
@login_required_page
def labels(delivery_id: int):
    """One sheet with the labels of every lot the delivery made (recorded in each lot's label history)."""
    actor, form = require_actor(), request.form
    found = service.get(engine(), actor, delivery_id)
    return _pdf(printing.print_lots(
        engine(), actor, codes=[line["lot"] for line in found["lines"]], base=_base(), now=request_now(),
        today=request_today(), layout=form.get("layout", sheets.DEFAULT_LAYOUT), copies=_int(form, "copies", 1),
        start=_int(form, "start", 1), name=found["number"]))


def _may_receive(actor) -> bool:
    return actor.role == ADMIN or (actor.role == KEEPER and bool(actor.depot_ids))


def form_lines(form) -> tuple[list[dict], list[int]]:
    """The lines a form of lines sent (item_0, quantity_0, …): each filled row's values (empty ones None), and
    the form's row of each line (empty rows are skipped)."""
    numbers = sorted({int(m.group(1)) for key in form if (m := _LINE_KEY.fullmatch(key))})
    lines, rows = [], []
    for n in numbers:
        values = {name: form.get(f"{name}_{n}", "").strip() for name in LINE_FIELDS}
        if any(values.values()):
            lines.append({k: v or None for k, v in values.items()})
            rows.append(n)
    return lines, rows


def form_choices(actor) -> tuple[list[dict], list[dict]]:
    """The depots the person may receive into and the catalog's items, for a form of lines (deliveries, donations)."""
    with Session(engine()) as s:
        query = select(Depot).order_by(Depot.path)
        if actor.role != ADMIN:
            query = query.where(Depot.id.in_(actor.depot_ids or {-1}))
        depots = [{"code": d.code, "name": d.name} for d in s.exec(query).all()]
        items = [{"code": i.code, "name_zh": i.name_zh, "name_en": i.name_en, "unit": i.unit}
                 for i in s.exec(select(Item).order_by(Item.code)).all()]
    return depots, items


def form_problems(error: DomainError | None, rows: list[int] | None) -> tuple[list[str], dict[int, set]]:
    """Every problem of a refused form of lines, in the page's words and named by the form's own line numbers
    (empty lines are not sent), and the fields to outline per line."""
    messages, bad = [], {}
    if error is None:
        return messages, bad
    problems = error.details.get("problems") or [{"field": error.field, "message": error.message,
                                                  "message_code": error.message_code, "params": error.params}]
    for problem in problems:
        code, params = problem.get("message_code"), dict(problem.get("params") or {})
        match = re.fullmatch(r"lines\[(\d+)\]\.(\w+)", problem.get("field") or "")
        row = rows[int(match.group(1))] if match and rows and int(match.group(1)) < len(rows) else None
        if row is not None:
            bad.setdefault(row, set()).add(match.group(2))
            params["line"] = row + 1
        text = translated_message(code, params, problem["message"])
        if row is not None and not (code or "").startswith("delivery_line_"):
            text = _("Line %(num)s: %(problem)s", num=row + 1, problem=text)
        messages.append(text)
    if error.details.get("problems_more"):
        messages.append(_("… and %(num)s more problems, not shown: correct these and send again to see them.",
                          num=f"{error.details['problems_more']:,}"))
    return messages, bad


def _form(actor, form=None, error: DomainError | None = None, rows: list[int] | None = None):
    """The receiving form; sent back with what was typed, every problem named, and a new once-per-form token."""
    depots, items = form_choices(actor)
    messages, bad = form_problems(error, rows)
    values = form or {"depot": request.args.get("depot", "")}
    shown = max([FORM_LINES, *(n + 1 for n in (rows or []))])
    return render_template("delivery_new.html", depots=depots, items=items, kinds=DELIVERY_KINDS,
                           rows=range(min(shown, service.MAX_LINES)), values=values, messages=messages, bad=bad,
                           today=request_today().isoformat(), token=secrets.token_urlsafe(16),
                           max_lines=service.MAX_LINES)


@bp.record_once
def _register(state) -> None:
    state.app.extensions.setdefault("error_messages", {}).update(ERROR_MESSAGES)
    state.app.jinja_env.globals.update(delivery_kind=lambda k: KIND_WORDS.get(k, k))
