"""Pages of the labels: printing them (lot, depot sheet, depot and shelf labels) and opening a scanned
label URL (/l/, /d/, /o/ — the paths the QR codes carry, see labels.payloads).

Printing is a POST (with the form's CSRF token) because it writes a history row; the answer is the
PDF itself, shown by the browser, to be printed at 100 % ("actual size", not "fit to page").
"""
import io
import logging
from datetime import date

from flask import Blueprint, current_app, redirect, render_template, request, send_file, url_for

from accounts.auth import login_required_page, require_actor
from common.actor import KEEPER
from common.errors import DomainError, InvalidInput, NotFound
from common.web import engine, request_now, request_today
from inventory import queries
from inventory.models import CATEGORIES
from labels import payloads, printing, sheets

bp = Blueprint("labels", __name__)
log = logging.getLogger(__name__)


class BaseUrlUnusable(DomainError):
    status = 503
    code = "base_url"


def _base() -> str:
    try:
        return payloads.normalise_base(current_app.config["BASE_URL"])
    except ValueError as e:
        raise BaseUrlUnusable(f"labels cannot be printed: {e}") from e


@bp.record_once
def _check_at_start(state) -> None:
    """Says at start-up, in the log, what would stop labels from printing (the app still starts: the
    rest of it does not need a Chinese font)."""
    try:
        sheets.chinese_font()
    except sheets.NoChineseFont as e:
        log.warning("label printing is not available: %s", e.message)
    try:
        payloads.normalise_base(state.app.config["BASE_URL"])
    except ValueError as e:
        log.warning("label printing is not available: %s", e)
    state.app.jinja_env.globals.update(label_prints=_label_prints, label_layouts=sheets.LAYOUTS)


def _label_prints(code: str) -> dict:
    """For templates/label_history.html, included in the lot's page."""
    return printing.lot_history(engine(), require_actor(), code)


# ---------------------------------------------------------------- scanned labels


@bp.route("/l/<path:code>")
@login_required_page
def scan_lot(code: str):
    """A lot label opened by a phone's own camera app: for a keeper the scanning page with the lot and
    what they may record there; for everyone else the lot's stock card."""
    def find():
        payloads.check_code(code, "lot")
        actor = require_actor()
        queries.get_lot(engine(), actor, code, request_today())
        if actor.role == KEEPER:
            return redirect(url_for("scan.page", code=code))
        return redirect(url_for("inventory.lot", code=code))

    return _scanned("lot", code, find)


@bp.route("/d/<path:code>")
@login_required_page
def scan_depot(code: str):
    """A depot label, or a shelf label with ?shelf=A-03: the depot's page, the shelf carried along."""
    def find():
        payloads.check_code(code, "depot")
        shelf = request.args.get("shelf")
        shelf = payloads.check_shelf(shelf) if shelf is not None else None
        queries.get_depot(engine(), require_actor(), code)
        return redirect(url_for("inventory.depot", code=code, shelf=shelf))

    return _scanned("depot", code, find)


@bp.route("/o/<path:code>")
@login_required_page
def scan_order(code: str):
    """A transfer-order label: the order's page (``orders.order``). Were the orders package not registered, a
    page saying orders are unavailable, with 404."""
    def find():
        payloads.check_code(code, "order")
        if "orders.order" in current_app.view_functions:
            return redirect(url_for("orders.order", code=code))
        return render_template("label_scan.html", kind="order", code=code, reason="orders_unavailable"), 404

    return _scanned("order", code, find)


def _scanned(kind: str, code: str, find):
    """A code that is malformed (422) or unknown (404) gets a page that says which, in the page's
    language, with what to do; a depot the keeper does not keep gets the usual 403 page."""
    try:
        return find()
    except payloads.InvalidCode as e:
        return render_template("label_scan.html", kind=kind, code=code, reason="malformed", detail=e.message), 422
    except NotFound as e:
        return render_template("label_scan.html", kind=kind, code=code, reason="unknown", detail=e.message), 404


# ---------------------------------------------------------------- printing a lot's label


@bp.route("/labels/lots/<code>", methods=["GET", "POST"])
@login_required_page
def lot_labels(code: str):
    actor, eng = require_actor(), engine()
    if request.method == "POST":
        form = request.form
        return _pdf(printing.print_lot(
            eng, actor, code=code, base=_base(), now=request_now(), today=request_today(),
            layout=form.get("layout", sheets.DEFAULT_LAYOUT), copies=_int(form, "copies", 1),
            start=_int(form, "start", 1)))
    lot = printing.lot_summary(eng, actor, code)
    url = payloads.lot_url(_base(), code)
    return render_template("label_lot.html", lot=lot, url=url, qr=sheets.qr_svg(url, "10rem"),
                           max_copies=printing.MAX_COPIES)


# ---------------------------------------------------------------- a depot: lot sheets, depot and shelf labels


@bp.route("/labels/depots/<code>")
@login_required_page
def depot_labels(code: str):
    actor, eng = require_actor(), engine()
    depot = queries.get_depot(eng, actor, code)
    lots = _lot_filter(request.args)
    matching = printing.matching_lots(eng, actor, code, lots)
    url = payloads.depot_url(_base(), code)
    return render_template("label_depot.html", depot=depot, filters=lots, matching=matching, categories=CATEGORIES,
                           url=url, qr=sheets.qr_svg(url, "8rem"), max_copies=printing.MAX_COPIES,
                           max_labels=printing.MAX_SHEET_LABELS, has_children=_has_children(eng, actor, code))


@bp.route("/labels/depots/<code>/lots", methods=["POST"])
@login_required_page
def depot_lot_sheet(code: str):
    form = request.form
    return _pdf(printing.print_depot_lots(
        engine(), require_actor(), depot=code, lots=_lot_filter(form), base=_base(), now=request_now(),
        today=request_today(), layout=form.get("layout", sheets.DEFAULT_LAYOUT), copies=_int(form, "copies", 1),
        start=_int(form, "start", 1)))


@bp.route("/labels/depots/<code>/depot", methods=["POST"])
@login_required_page
def depot_label(code: str):
    form = request.form
    return _pdf(printing.print_depot(
        engine(), require_actor(), depot=code, base=_base(), now=request_now(),
        layout=form.get("layout", sheets.DEFAULT_LAYOUT), copies=_int(form, "copies", 1), start=_int(form, "start", 1)))


@bp.route("/labels/depots/<code>/shelves", methods=["POST"])
@login_required_page
def shelf_labels(code: str):
    form = request.form
    shelves = payloads.parse_shelves(form.get("shelves", ""))
    return _pdf(printing.print_depot(
        engine(), require_actor(), depot=code, base=_base(), now=request_now(), shelves=shelves,
        layout=form.get("layout", sheets.DEFAULT_LAYOUT), copies=_int(form, "copies", 1), start=_int(form, "start", 1)))


# ---------------------------------------------------------------- helpers


def _pdf(printed: printing.Printed):
    response = send_file(io.BytesIO(printed.pdf), mimetype="application/pdf", download_name=printed.filename,
                         as_attachment=False, max_age=0)
    response.headers["Cache-Control"] = "no-store"
    response.headers["X-Label-Count"] = str(printed.labels)
    return response


def _int(args, name: str, default: int) -> int:
    raw = (args.get(name) or "").strip()
    if not raw:
        return default
    if not raw.isdigit():
        raise InvalidInput(f"{name} must be a whole number, got {raw!r}", field=name)
    return int(raw)


def _lot_filter(args) -> printing.LotFilter:
    raw = (args.get("received_since") or "").strip()
    try:
        since = date.fromisoformat(raw) if raw else None
    except ValueError:
        raise InvalidInput(f"received_since must be a date like 2026-07-01, got {raw!r}", field="received_since")
    return printing.LotFilter(category=args.get("category") or None, received_since=since,
                              subtree=args.get("subtree") == "1").check()


def _has_children(eng, actor, code: str) -> bool:
    return any(d["parent"] == code for d in queries.list_depots(eng, actor))
