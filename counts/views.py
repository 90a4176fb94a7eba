"""Pages of count sessions under /counts: the list (and a new count), the counting page a keeper types
counts into on a phone, the variance sheet with sign-off, and its PDF. Thin edges over ``counts.services``:
a refused form is said on the page it came from (flash), in the page's language, and changes nothing."""
from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from accounts.auth import login_required_page, require_actor
from common.actor import ADMIN, KEEPER
from common.errors import BadQuery, DomainError, InvalidInput
from common.inputs import page_number
from common.http import translated_message
from accounts.security import record_security_event
from common.web import engine, request_now, request_today
from counts import documents, rules, services
from counts.models import STATUSES
from inventory import queries
from inventory.models import CATEGORIES

bp = Blueprint("counts", __name__, url_prefix="/counts")

PAGE_SIZE = 50  # lines of a count on one page (the counting page, the variance sheet)
FILTERS = ("show", "shelf", "item", "q", "page")  # the query arguments of those pages, kept across a count
MAX_FILTER = 40  # characters of a text filter

STATUS_LABELS = {"open": _l("Open"), "closed": _l("Closed"), "cancelled": _l("Cancelled")}
SCOPE_LABELS = {"depot": _l("Whole depot"), "category": _l("Category"), "shelves": _l("Shelves")}
STATE_LABELS = {"missing": _l("Not counted yet"), "counted": _l("Counted"), "left_out": _l("Left out")}

ERROR_MESSAGES = {
    "counted_out_of_range": _l("The counted quantity must be a whole number of 0 or more (got %(value)s)."),
    "count_text_required": _l("Give the reason."),
    "count_already_open": _l("Count %(count)s is still open at depot %(depot)s: close or cancel it first."),
    "nothing_to_count": _l("Depot %(depot)s holds no stock in this scope: there is nothing to count."),
    "count_not_signed": _l("The keeper has not signed %(count)s yet."),
    "count_same_signer": _l("The supervisor who closes a count must be someone other than the keeper who signed it."),
    "count_not_open": _l("Count %(count)s is no longer open; it cannot change."),
    "no_such_count": _l("There is no count %(count)s."),
    "lot_not_in_count": _l("Lot %(lot)s is not in count %(count)s."),
    "count_lots_missing": _l("%(missing)s lot(s) are neither counted nor left out."),
    "count_filter_bad_show": _l("“Show” is one of all, missing, counted or difference, not “%(value)s”."),
    "count_filter_too_long": _l("The filter %(field)s is at most %(max)s characters."),
    "count_filter_bad_page": _l("The page number must be a whole number of 1 or more, not “%(value)s”."),
    "count_differences_hidden": _l("This is a blind count: differences show once every lot is counted or left out."),
}



def read_filters(args) -> dict:
    """The filters and page of a count's page from its query string: ``show`` (all, missing, counted,
    difference), ``shelf``, ``item`` (an item code), ``q`` (the start of a lot code), ``page``. A value that
    cannot be read is a 400 naming it; a shelf or item the count does not hold shows no lines, a page past the
    last shows the last."""
    show = (args.get("show") or "all").strip()
    if show not in rules.SHOWS:
        raise BadQuery(f"show must be one of {', '.join(rules.SHOWS)}, got {show!r}", field="show",
                       message_code="count_filter_bad_show", params={"value": show[:MAX_FILTER]})
    texts = {}
    for name in ("shelf", "item", "q"):
        value = (args.get(name) or "").strip()
        if len(value) > MAX_FILTER or "\x00" in value or any(0xD800 <= ord(ch) <= 0xDFFF for ch in value):
            raise BadQuery(f"{name} is at most {MAX_FILTER} characters of text", field=name,
                           message_code="count_filter_too_long", params={"field": name, "max": MAX_FILTER})
        texts[name] = value or None
    raw = (args.get("page") or "").strip()
    page = page_number(raw, message_code="count_filter_bad_page", params={"value": raw[:MAX_FILTER]})
    return {"show": show, **texts, "page": page}


def _lines_page(count_id: int, variance: bool) -> dict:
    f = read_filters(request.args)
    return services.lines_page(engine(), require_actor(), count_id, show=f["show"], shelf=f["shelf"],
                               item=f["item"], lot=f["q"], page=f["page"], size=PAGE_SIZE, variance=variance)


def _back(count_id: int, form) -> str:
    """The counting page as the form was sent from: its filters and page (read again when it is shown)."""
    kept = {name: form.get(name)[:MAX_FILTER] for name in FILTERS if form.get(name)}
    return url_for("counts.session", count_id=count_id, **kept)


@bp.record_once
def _register(state) -> None:
    state.app.extensions.setdefault("error_messages", {}).update(ERROR_MESSAGES)
    state.app.jinja_env.globals.update(count_status=lambda s: STATUS_LABELS.get(s, s),
                                       count_scope=lambda s: SCOPE_LABELS.get(s, s),
                                       count_state=lambda s: STATE_LABELS.get(s, s))


def _refused(e: DomainError, back: str):
    flash(translated_message(e.message_code, e.params, e.message), "error")
    return redirect(back)


def _quantity(raw: str | None, field: str = "counted") -> int:
    raw = (raw or "").strip()
    if not raw.isdigit() or len(raw) > 10:
        raise InvalidInput(f"{field} must be a whole number of 0 or more, got {raw!r}", field=field,
                           message_code="counted_out_of_range", params={"value": raw or "—"})
    return int(raw)


# ---------------------------------------------------------------- the list and a new count


@bp.route("")
@login_required_page
def index():
    actor, eng = require_actor(), engine()
    status = request.args.get("status") or None
    if status not in (None, *STATUSES):
        raise InvalidInput(f"status must be one of {', '.join(STATUSES)}", field="status")
    may_start = actor.role in (ADMIN, KEEPER)
    depots = [d for d in queries.list_depots(eng, actor)] if may_start else []
    return render_template("counts.html", sessions=services.list_sessions(eng, actor, status=status), status=status,
                           statuses=STATUSES, depots=depots, categories=CATEGORIES, may_start=may_start,
                           blind=services.blind_counts(eng), is_admin=actor.role == ADMIN)


@bp.route("", methods=["POST"])
@login_required_page
def new():
    form = request.form
    try:
        scope = form.get("scope") or "depot"
        session = services.start(engine(), require_actor(), request_now(), depot=form.get("depot", ""), scope=scope,
                                 category=(form.get("category") or None) if scope == "category" else None,
                                 shelves=form.get("shelves") if scope == "shelves" else None,
                                 note=form.get("note"))
    except DomainError as e:
        return _refused(e, url_for("counts.index"))
    flash(_("Count %(count)s started: %(lots)s lots to count.", count=session["reference"],
            lots=session["totals"]["lots"]), "info")
    return redirect(url_for("counts.session", count_id=session["id"]))


@bp.route("/settings", methods=["POST"])
@login_required_page
def settings():
    try:
        blind = services.set_blind_counts(engine(), require_actor(), request.form.get("blind") == "1")
    except DomainError as e:
        return _refused(e, url_for("counts.index"))
    flash(_("New counts are blind: the expected quantities stay hidden until every lot is counted.") if blind
          else _("New counts show the expected quantities."), "info")
    return redirect(url_for("counts.index"))


# ---------------------------------------------------------------- counting


@bp.route("/<int:count_id>")
@login_required_page
def session(count_id: int):
    actor = require_actor()
    count = _lines_page(count_id, variance=False)
    may_count = count["status"] == "open" and (actor.role == ADMIN or (
        actor.role == KEEPER and count["depot_id"] in actor.depot_ids))
    return render_template("count_session.html", count=count, lines=count["lines"], filters=read_filters(request.args),
                           may_count=may_count, page_size=PAGE_SIZE)


@bp.route("/<int:count_id>/count", methods=["POST"])
@login_required_page
def record(count_id: int):
    lot, back = request.form.get("lot", ""), _back(count_id, request.form)
    try:
        line = services.record_count(engine(), require_actor(), request_now(), count_id, lot=lot,
                                     counted=_quantity(request.form.get("counted")))
    except DomainError as e:
        return _refused(e, f"{back}#lot-{lot}")
    flash(_("Lot %(lot)s: %(counted)s %(unit)s counted.", lot=lot, counted=line["counted"], unit=line["unit"]), "info")
    return redirect(f"{back}#lot-{lot}")


@bp.route("/<int:count_id>/leave-out", methods=["POST"])
@login_required_page
def leave_out(count_id: int):
    lot, back = request.form.get("lot", ""), _back(count_id, request.form)
    try:
        services.leave_out(engine(), require_actor(), request_now(), count_id, lot=lot,
                           reason=request.form.get("reason"))
    except DomainError as e:
        return _refused(e, f"{back}#lot-{lot}")
    flash(_("Lot %(lot)s is left out of this count.", lot=lot), "info")
    return redirect(f"{back}#lot-{lot}")


# ---------------------------------------------------------------- the variance sheet, sign-off, PDF


@bp.route("/<int:count_id>/variance")
@login_required_page
def variance(count_id: int):
    actor = require_actor()
    sheet = _lines_page(count_id, variance=True)
    may_sign = sheet["status"] == "open" and (actor.role == ADMIN or (
        actor.role == KEEPER and sheet["depot_id"] in actor.depot_ids))
    may_close = sheet["status"] == "open" and actor.role == ADMIN and sheet["keeper_signed_by"] not in (
        None, actor.username)
    return render_template("count_variance.html", sheet=sheet, filters=read_filters(request.args), may_sign=may_sign,
                           may_close=may_close)


def _step(count_id: int, action, done: str):
    back = url_for("counts.variance", count_id=count_id)
    try:
        action()
    except DomainError as e:
        return _refused(e, back)
    flash(done, "info")
    return redirect(back)


@bp.route("/<int:count_id>/keeper-sign", methods=["POST"])
@login_required_page
def keeper_sign(count_id: int):
    return _step(count_id, lambda: services.sign_as_keeper(engine(), require_actor(), request_now(), count_id),
                 _("Signed as the keeper. A supervisor closes the count."))


@bp.route("/<int:count_id>/close", methods=["POST"])
@login_required_page
def close(count_id: int):
    return _step(count_id, lambda: services.close(engine(), require_actor(), request_now(), request_today(),
                                                  count_id),
                 _("Count %(count)s is closed: its adjustments are in the ledger.", count=rules.reference(count_id)))


@bp.route("/<int:count_id>/cancel", methods=["POST"])
@login_required_page
def cancel(count_id: int):
    return _step(count_id, lambda: services.cancel(engine(), require_actor(), request_now(), count_id),
                 _("Count %(count)s is cancelled; nothing was written to the ledger.", count=rules.reference(count_id)))


@bp.route("/<int:count_id>/variance.pdf")
@login_required_page
def variance_pdf(count_id: int):
    actor = require_actor()
    sheet = services.variance(engine(), actor, count_id)
    record_security_event(engine(), "export", username=actor.username, at=request_now(),
                          message=("count_variance_pdf", {"count": rules.reference(count_id)}))
    return documents.pdf_response(sheet, request_now(), current_app.config["TIMEZONE"])
