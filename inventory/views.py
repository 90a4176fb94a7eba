"""HTML pages of the inventory: the depot tree, a depot, the item catalog and a lot's stock card.

Pages only read (through ``inventory.queries``); who may see what is decided there. Domain errors
(NotFound, NotYourDepot, InvalidInput) become error pages in ``common.http``.
"""
import math
from datetime import datetime
from urllib.parse import urlencode

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import get_locale, gettext as _

from accounts.auth import current_actor, login_required_page, require_actor
from common.actor import ADMIN, KEEPER
from common.errors import BadQuery, InvalidInput
from common.inputs import page_number
from common.http import translated_message
from common.web import engine, request_now, request_today
from inventory import queries, shelves, vocab
from inventory.models import CATEGORIES
from inventory.writeoffs import service as writeoffs

bp = Blueprint("inventory", __name__)

PAGE_SIZE = 50
LATEST_MOVEMENTS = 20
TREE_PAGE_SIZE = 50  # depots found by a search of the tree, on one page
TREE_MAX_TEXT = 40



# ---------------------------------------------------------------- pages


@bp.route("/")
@login_required_page
def depot_tree():
    """The depot tree. Whoever reads every depot sees the county and its towns with their rollups, the village
    points of one town when it is opened (``?open=T01``; a village's code opens its town) and depots found by
    code or name (``?q=``, ``TREE_PAGE_SIZE`` to a page); a keeper sees the depots they keep, all of them."""
    actor, eng, today = require_actor(), engine(), request_today()
    args = _tree_args(request.args)
    found = None
    if args["q"]:
        found = queries.search_depots(eng, actor, today, args["q"], limit=TREE_PAGE_SIZE,
                                      offset=(args["page"] - 1) * TREE_PAGE_SIZE)
        pages = max(1, math.ceil(found["total"] / TREE_PAGE_SIZE))
        if args["page"] > pages:  # past the last page: the last one
            found = queries.search_depots(eng, actor, today, args["q"], limit=TREE_PAGE_SIZE,
                                          offset=(pages - 1) * TREE_PAGE_SIZE)
        found.update(page=min(args["page"], pages), pages=pages, asked=args["page"])
    if actor.reads_everything:
        overview = queries.depot_overview(eng, actor, today, args["open"])
        tree, totals, bounded = overview["roots"], overview["totals"], True
    else:
        tree, bounded = _by_code(queries.depot_tree(eng, actor, today)), False
        totals, overview = _tree_totals(tree), {"open": None, "focus": None}
    return render_template("depot_tree.html", tree=tree, totals=totals, bounded=bounded, opened=overview["open"],
                           focus=overview["focus"], found=found, q=args["q"], page_size=TREE_PAGE_SIZE)


@bp.route("/depots/<code>")
@login_required_page
def depot(code: str):
    actor, today, eng = require_actor(), request_today(), engine()
    details = queries.get_depot(eng, actor, code)  # NotFound / NotYourDepot before anything else
    trail = _trail(_by_code(queries.depot_tree(eng, actor, today)), code)
    node = trail[-1]
    filters = _lot_filters(request.args)
    page = _positive_int(request.args, "page", default=1)
    lots = queries.list_lots(eng, actor, today, depot=code, subtree=filters["subtree"],
                             category=filters["category"], expired=filters["expired"],
                             expires_within_days=filters["expires_within_days"], shelf=filters["shelf"],
                             limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    items = {i["code"]: i for i in queries.list_items(eng)}
    movements = queries.list_movements(eng, actor, depot=code, limit=LATEST_MOVEMENTS)
    return render_template(
        "depot.html", depot=details, node=node, trail=trail[:-1], filters=filters, lots=lots, page=page,
        pages=max(1, math.ceil(lots["total"] / PAGE_SIZE)), page_size=PAGE_SIZE,
        by_category=queries.stock_summary(eng, actor, today, depot=code, by="category")["lines"],
        by_item=queries.stock_summary(eng, actor, today, depot=code, by="item")["lines"],
        movements=[_with_time(e) for e in movements["entries"]], movements_total=movements["total"],
        items=items, categories=CATEGORIES, shelves=queries.depot_shelves(eng, actor, code),
    )


@bp.route("/items")
@login_required_page
def items():
    category = request.args.get("category") or None
    eng = engine()
    on_hand = {line["code"]: line["units"]
               for line in queries.stock_summary(eng, require_actor(), request_today(), by="item")["lines"]}
    return render_template("items.html", items=queries.list_items(eng, category), category=category,
                           categories=CATEGORIES, on_hand=on_hand)


@bp.route("/lots/<code>")
@login_required_page
def lot(code: str):
    return _lot_page(code)


@bp.route("/lots/<code>/shelf", methods=["POST"])
@login_required_page
def lot_shelf(code: str):
    """Move to shelf (移到货架): the form on the stock card. A bad or unchanged shelf comes back with status
    422 and the message beside the field; nothing is kept."""
    shelf, note = request.form.get("shelf", ""), request.form.get("note", "").strip() or None
    try:
        moved = shelves.move_to_shelf(engine(), require_actor(), request_now(), lot=code, shelf=shelf, note=note)
    except InvalidInput as e:
        message = translated_message(e.message_code, e.params, e.message)
        return _lot_page(code, shelf_form={"shelf": shelf, "note": note or "", "field": e.field, "error": message}), 422
    if moved["to_shelf"]:
        flash(_("Lot %(lot)s is now on shelf %(shelf)s.", lot=code, shelf=moved["to_shelf"]), "success")
    else:
        flash(_("Lot %(lot)s is no longer on a shelf.", lot=code), "success")
    return redirect(url_for("inventory.lot", code=code))


def _lot_page(code: str, shelf_form: dict | None = None):
    actor = require_actor()
    card = queries.stock_card(engine(), actor, code, request_today())
    may_move = actor.role in (ADMIN, KEEPER)  # a keeper reads only the lots of the depots they keep
    return render_template("lot.html", lot=card["lot"], entries=[_with_time(e) for e in card["entries"]],
                           shelf_moves=[_with_time(m, "moved_at") for m in card["shelf_moves"]],
                           may_move=may_move, shelf_form=shelf_form or {},
                           pending_write_off=writeoffs.pending_units(engine(), code))


# ---------------------------------------------------------------- helpers for the views


def _by_code(nodes: list[dict]) -> list[dict]:
    """Siblings in code order (T01, T02 ...), at every level; the query orders by id path."""
    nodes.sort(key=lambda n: n["code"])
    for node in nodes:
        _by_code(node["children"])
    return nodes


def _tree_totals(tree: list[dict]) -> dict:
    totals = {"depots": 0, "units": 0, "lots": 0, "expired_units": 0}

    def walk(node):
        totals["depots"] += 1
        for child in node["children"]:
            walk(child)

    for root in tree:
        walk(root)
        for key in ("units", "lots", "expired_units"):
            totals[key] += root["total"][key]
    return totals


def _trail(tree: list[dict], code: str) -> list[dict]:
    """The visible nodes from a root down to the depot ``code`` (the last one)."""
    stack = [(root, [root]) for root in tree]
    while stack:
        node, path = stack.pop()
        if node["code"] == code:
            return path
        stack.extend((child, path + [child]) for child in node["children"])
    raise LookupError(code)  # get_depot has already checked the depot exists and may be read


def _tree_args(args) -> dict:
    """The depot tree's query: ``q`` (a search), ``open`` (a town's code), ``page`` (of the search)."""
    texts = {}
    for name in ("q", "open"):
        value = (args.get(name) or "").strip()
        if len(value) > TREE_MAX_TEXT or "\x00" in value or any(0xD800 <= ord(ch) <= 0xDFFF for ch in value):
            raise BadQuery(f"{name} is at most {TREE_MAX_TEXT} characters of text", field=name,
                           message_code="tree_filter_too_long", params={"field": name, "max": TREE_MAX_TEXT})
        texts[name] = value or None
    raw = (args.get("page") or "").strip()
    return {**texts, "page": page_number(raw, message_code="tree_bad_page", params={"value": raw[:TREE_MAX_TEXT]})}


def _lot_filters(args) -> dict:
    expired = {"": None, "1": True, "0": False}.get(args.get("expired", ""))
    if expired is None and args.get("expired", "") != "":
        raise InvalidInput("expired must be 1 (only expired lots) or 0 (only usable lots)", field="expired")
    within = args.get("expires_within_days", "").strip()
    return {
        "category": args.get("category") or None,
        "expired": expired,
        "expires_within_days": _positive_int(args, "expires_within_days") if within else None,
        "subtree": args.get("subtree") == "1",
        "shelf": shelves.optional_shelf(args.get("shelf")),
    }


def _positive_int(args, name: str, default: int | None = None) -> int | None:
    raw = args.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise InvalidInput(f"{name} must be a whole number of 1 or more, got {raw!r}", field=name)
    return int(raw)


def _with_time(entry: dict, key: str = "created_at") -> dict:
    """Ledger lines carry created_at as ISO text (the API's shape); pages format a datetime."""
    created = entry[key]
    return {**entry, key: datetime.fromisoformat(created) if isinstance(created, str) else created}


# ---------------------------------------------------------------- what every template may use


def _english() -> bool:
    return str(get_locale()) == "en"


def item_name(d: dict) -> str:
    """The item's name in the page's language (lot rows say item_name/item_name_en; items name_zh/name_en)."""
    if _english():
        return d.get("item_name_en") or d.get("name_en") or d.get("item_name") or d.get("name_zh") or ""
    return d.get("item_name") or d.get("name_zh") or d.get("item_name_en") or d.get("name_en") or ""


def other_item_name(d: dict) -> str:
    """Kept for the templates that show a second name: none. A Chinese page shows no English (issue 11), and an
    English page shows the English name alone, or the Chinese one where no translation exists (``item_name``)."""
    return ""


def unit_label(unit: str | None) -> str:
    if not unit:
        return ""
    return vocab.UNITS_EN.get(unit, unit) if _english() else unit


def url_with(**changes) -> str:
    """This page's URL with some query arguments changed (None removes one); filters and pages keep the rest."""
    args = request.args.to_dict()
    for key, value in changes.items():
        if value is None or value == "":
            args.pop(key, None)
        else:
            args[key] = str(value)
    return request.path + ("?" + urlencode(args) if args else "")


@bp.record_once
def _template_helpers(state) -> None:
    """Functions every template may call, imported macros included (globals need no context)."""
    state.app.jinja_env.globals.update(
        label=vocab.label,
        error_title=vocab.error_title,
        error_hint=vocab.error_hint,
        item_name=item_name,
        other_item_name=other_item_name,
        unit_label=unit_label,
        url_with=url_with,
    )
    state.app.extensions.setdefault("error_messages", {}).update(vocab.ERROR_MESSAGES)


@bp.app_context_processor
def _page_context() -> dict:
    english = _english()
    return {"is_english": english, "html_lang": "en" if english else "zh-CN", "actor": current_actor()}
