"""Report results (``audit.reports``) as documents (``audit.exports.Document``): the columns with their
headings in the reader's language, the stored codes turned into words, the parameters, the seal.

Needs a Flask app context (translations); the reports themselves do not.
"""
from dataclasses import replace

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from audit.charts import stacked_bars
from audit.exports import Column, Document, Table, current_locale
from audit.movements import LedgerQuery
from audit.vocab import ACTIONS, LEVELS, REPLACED_BY, TASK_STATUSES
from inventory.ledger import KINDS
from common import formats
from dispatch.vocab import dispatch_label
from inventory.vocab import label

DEPOT_CODE = Column("depot", _l("Depot code"), width=12)
DEPOT = Column("depot_name", _l("Depot"), width=18)
ITEM_CODE = Column("item", _l("Item code"), width=11)
ITEM = Column("item_name", _l("Item"), width=24)
UNIT = Column("unit", _l("Unit"), width=6)
LOT = Column("lot", _l("Lot"), width=18)
CATEGORY = Column("category", _l("Category"), width=14)


def _cat(code):
    return str(label("category", code))


def _params(result_params: dict) -> list[tuple[str, str]]:
    names = {"depot": _("Depot"), "subtree": _("Include sub-depots"), "tier": _("Tier"), "category": _("Category"),
             "item": _("Item"), "start": _("From"), "end": _("To"), "today": _("As of"),
             "windows": _("Expiry windows (days)"), "share_percent": _("Share of the people (percent)"),
             "people": _("People a level III response would resettle"), "target_people": _("People to cover"),
             "days": _("Days of consumables"), "household_size": _("People per household"),
             "norm_version": _("Norm version"), "kit_big3": _("Key-town kit, each item"),
             "kit_small4": _("Other-town kit, each item"), "lot": _("Lot"),
             "move_min_days": _("Move only with at least this many days left"),
             "lookback_days": _("Issues counted over the last days")}
    out = []
    for key, value in result_params.items():
        if key == "subtree":
            value = _("yes")
        elif key == "tier":
            value = label("tier", value)
        elif key == "category":
            value = label("category", value)
        elif key == "windows":
            value = ", ".join(str(w) for w in value)
        elif hasattr(value, "isoformat"):
            value = formats.date_text(value, current_locale())
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            value = formats.number(value, current_locale())
        out.append((names.get(key, key), str(value)))
    return out


def _doc(slug, title, result, meta, tables, **kw) -> Document:
    for table in tables:  # headings translated once: a page repeats them in every cell (data-label)
        table.columns = [replace(c, header=str(c.header)) for c in table.columns]
    return Document(slug=slug, title=str(title), params=_params(result["params"]), generated_at=meta["generated_at"],
                    seal=meta.get("seal"), tables=tables, locale=current_locale(), **kw)


def _listed(title: str, shown: int, total: int) -> str:
    """A table's title; when a page lists only its first rows (``audit.web.PAGE_REPORT_ROWS``), saying so."""
    if shown >= total:
        return title
    return _("%(title)s: the first %(shown)s of %(total)s; the exports hold every row", title=title,
             shown=f"{shown:,}", total=f"{total:,}")


def _row(d: dict, columns: list[Column]) -> tuple:
    """A row in column order; on an English page the item's English name (where it has one) and unit."""
    if not formats.is_zh(current_locale()):
        d = {**d, "unit": formats.unit_text(d.get("unit"), "en") or d.get("unit"),
             "item_name": d.get("item_name_en") or d.get("item_name")}
    return tuple(d.get(c.key) for c in columns)


# ---------------------------------------------------------------- expiry


def window_label(bucket: str, windows: list[int]) -> str:
    if bucket == "expired":
        return _("Expired")
    w = int(bucket)
    i = windows.index(w)
    if i == 0:
        return _("Within %(days)s days", days=w)
    return _("%(low)s–%(high)s days", low=windows[i - 1] + 1, high=w)


def month_label(month: str) -> str:
    return _("%(year)s-%(month)s", year=month[:4], month=month[5:7])


def expiry_chart(result: dict):
    t = result["timeline"]
    return stacked_bars(t["months"], [(_cat(c), t["units"][c]) for c in t["categories"]],
                        title=_("Units expiring per month, next 12 months"), unit_label=_("units"),
                        month_label=month_label)


def expiry_chart_data(result: dict) -> dict:
    """The chart's figures for the PDF (``audit.pdf`` draws them as the page's SVG shows them)."""
    t = result["timeline"]
    return {"title": _("Units expiring per month, next 12 months"), "unit_label": _("units"), "months": t["months"],
            "month_labels": [month_label(m) for m in t["months"]],
            "series": [(_cat(c), t["units"][c]) for c in t["categories"]]}


def expiry(result: dict, meta: dict) -> Document:
    windows = result["windows"]
    columns = [DEPOT_CODE, DEPOT, ITEM_CODE, ITEM, CATEGORY, UNIT, LOT, Column("expires_on", _l("Expires on"), "date", 11),
               Column("days_left", _l("Days left"), "days_left", 14), Column("window", _l("Window"), width=12),
               Column("quantity", _l("Quantity"), "int", 10), Column("unit_price_cents", _l("Unit price (yuan)"), "money", 12),
               Column("value_cents", _l("Value (yuan)"), "money", 14), Column("storage", _l("Storage"), width=14),
               Column("partner", _l("Partner"), width=16)]
    rows = [_row({**r, "category": _cat(r["category"]), "window": window_label(r["bucket"], windows),
                  "storage": str(label("storage_mode", r["storage_mode"]))}, columns) for r in result["rows"]]
    footer = _row({"depot": _("Total"), "quantity": result["totals"]["units"],
                   "value_cents": result["totals"]["value_cents"]}, columns)
    bucket_cols = [Column("window", _l("Window"), width=14), Column("lots", _l("Lots"), "int", 8),
                   Column("units", _l("Units"), "int", 10), Column("value_cents", _l("Value (yuan)"), "money", 14),
                   Column("unpriced_units", _l("Units without a price"), "int", 14)]
    buckets = [_row({**b, "window": window_label(b["bucket"], windows)}, bucket_cols) for b in result["buckets"]]
    t = result["timeline"]
    month_cols = [Column("category", _l("Category"), width=16)] + [
        Column(m, month_label(m), "int", 9) for m in t["months"]]
    timeline = [(_cat(c), *t["units"][c]) for c in t["categories"]]
    return _doc("expiry", _("Expiry report"), result, meta, [
        Table(_("Expired and expiring"), _listed(_("Lots expired or expiring"), len(rows), result["totals"]["lots"]),
              columns, rows, len(rows), footer),
        Table(_("By window"), _("By window"), bucket_cols, buckets, len(buckets)),
        Table(_("Timeline"), _("Units expiring per month, next 12 months"), month_cols, timeline, len(timeline),
              (_("Total"), *t["totals"])),
    ], chart_svg=expiry_chart(result), chart=expiry_chart_data(result),
        notes=[_("Value counts only lots with a unit price; a lot is usable through its expiry date.")])


# ---------------------------------------------------------------- rotation


def rotation(result: dict, meta: dict) -> Document:
    columns = [DEPOT_CODE, DEPOT, ITEM_CODE, ITEM, UNIT, LOT, Column("quantity", _l("Quantity"), "int", 9),
               Column("expires_on", _l("Expires on"), "date", 11), Column("days_left", _l("Days left"), "days_left", 14),
               Column("lead_days", _l("Rotation lead (days)"), "days", 10),
               Column("storage", _l("Storage"), width=14), Column("action_label", _l("Suggested action"), width=16),
               Column("to_depot_name", _l("Move to"), width=16),
               Column("replace_quantity", _l("Replacement to buy"), "int", 11),
               Column("replace_by", _l("Replace by"), "date", 11), Column("replaced", _l("Replaced by"), width=12),
               Column("task", _l("Task"), width=10), Column("task_label", _l("Task status"), width=10)]
    rows = [_row({**r, "storage": str(label("storage_mode", r["storage_mode"])),
                  "action_label": str(ACTIONS[r["action"]]), "replaced": str(REPLACED_BY[r["replaced_by"]]),
                  "task": f"ROT-{r['task_id']}" if r["task_id"] else None,
                  "task_label": str(TASK_STATUSES[r["task_status"]]) if r["task_status"] else None}, columns)
            for r in result["rows"]]
    footer = _row({"depot": _("Total"), "quantity": result["totals"]["units"],
                   "replace_quantity": result["totals"]["units"]}, columns)
    action_cols = [Column("action", _l("Suggested action"), width=18), Column("lots", _l("Lots"), "int", 8),
                   Column("units", _l("Units"), "int", 10)]
    actions = [(str(ACTIONS[a["action"]]), a["lots"], a["units"]) for a in result["by_action"]]
    return _doc("rotation", _("Rotation plan"), result, meta, [
        Table(_("Rotation"), _listed(_("Lots to rotate"), len(rows), result["totals"]["lots"]), columns, rows,
              len(rows), footer),
        Table(_("By action"), _("By action"), action_cols, actions, len(actions)),
    ], notes=[_("Agreement and capacity stock goes back to the partner, who replaces it; expired lots are in the "
                "expiry report and can only be written off.")])


# ---------------------------------------------------------------- sufficiency


def sufficiency(result: dict, meta: dict) -> Document:
    columns = [Column("level_label", _l("Target"), width=14), DEPOT_CODE, DEPOT, ITEM_CODE, ITEM, UNIT,
               Column("target", _l("Target quantity"), "int", 11), Column("stock", _l("Stock (with sub-depots)"), "int", 12),
               Column("own", _l("Own stock"), "int", 10), Column("gap", _l("Gap"), "int", 10),
               Column("coverage", _l("Coverage"), "coverage", 16)]
    rows = [_row({**ln, "level_label": str(LEVELS[ln["kit"] or ln["level"]])}, columns) for ln in result["lines"]]
    town_cols = [DEPOT_CODE, DEPOT, Column("kit_label", _l("Kit"), width=18), Column("lines", _l("Items"), "int", 8),
                 Column("lines_met", _l("Items met"), "int", 9), Column("target", _l("Target quantity"), "int", 11),
                 Column("covered", _l("Covered"), "int", 10), Column("gap", _l("Gap"), "int", 10),
                 Column("coverage", _l("Coverage"), "coverage", 16)]
    towns = [_row({**t, "kit_label": str(label("kit", t["kit"]))}, town_cols) for t in result["towns"]]
    rollups = []
    for key, title in (("county", _("County target from the norms")), ("towns", _("Town kits"))):
        total = result["totals"][key]
        rollups.append((title, total["lines"], total["lines_met"], total["target"], total["covered"], total["gap"],
                        total["coverage"]))
    rollup_cols = [Column("scope", _l("Target"), width=26), Column("lines", _l("Items"), "int", 8),
                   Column("lines_met", _l("Items met"), "int", 9), Column("target", _l("Target quantity"), "int", 11),
                   Column("covered", _l("Covered"), "int", 10), Column("gap", _l("Gap"), "int", 10),
                   Column("coverage", _l("Coverage"), "coverage", 16)]
    notes = sufficiency_notes(result)
    return _doc("sufficiency", _("Reserve sufficiency"), result, meta, [
        Table(_("Targets"), _("Stock against targets"), columns, rows, len(rows)),
        Table(_("Towns"), _("Towns"), town_cols, towns, len(towns)),
        Table(_("Summary"), _("Summary"), rollup_cols, rollups, len(rollups)),
    ], notes=notes)


def sufficiency_notes(result: dict) -> list[str]:
    """What the report assumes, in words: shown on the page and printed in every export."""
    a = result["assumptions"]
    loc = current_locale()
    modes = "、".join(str(label("storage_mode", m)) for m in a["storage_modes"]) if formats.is_zh(loc) else \
        ", ".join(str(label("storage_mode", m)) for m in a["storage_modes"])
    types = [t for t in a["incident_types"] if t != "all"]
    type_words = ("、" if formats.is_zh(loc) else ", ").join(str(dispatch_label("incident_type", t)) for t in types)
    notes = [
        _("Stock that counts: %(modes)s stock, usable on %(date)s or later (at least %(days)s days after today, "
          "as the allocation plan asks); production-capacity stock and lots expiring sooner do not count.",
          modes=modes, date=formats.date_text(a["usable_from"], loc), days=a["min_shelf_days"]),
        _("County target: the people the largest level III response would resettle, %(base)s, times "
          "%(share)s%%: %(people)s people, %(days)s days of consumables. It counts the stock of the county "
          "depot, transfer stations and town stations, less the reserve floors a level III response may not "
          "draw; village points keep theirs.", base=formats.number(result["people"], loc),
          share=f"{result['share_percent']:g}", people=formats.number(result["target_people"], loc),
          days=result["days"]),
        _("Norms: those of the current version that apply at level III, for every incident type (%(types)s "
          "and the norms for all types together); a per-site norm counts each registered shelter as a site.",
          types=type_words or "—"),
        _("Town kits are the town team's equipment (key towns: satellite phone, generator, drainage pump; "
          "other towns: helmet, flashlight, rain gear, life jacket), not supplies for the people: a town that "
          "holds its whole kit may still fall short in an incident."),
        _("A rollup caps each item at its target, so a surplus never hides a gap. Coverage that reaches the "
          "target reads as met."),
    ]
    if not a["mutual_aid"]:
        notes.append(_("At level III towns send no mutual aid: a town's stock serves only its own town's sites, so "
                       "an incident in one town can be short where the county total is met."))
    if result["norm_version"] is None:
        notes.append(_("No norms are set, so there is no county target."))
    return notes


# ---------------------------------------------------------------- stock cards, ledger, write-offs


CARD_COLUMNS = [Column("time", _l("Time"), "datetime", 19), LOT, Column("kind_label", _l("Kind"), width=10),
                Column("quantity", _l("Quantity"), "signed", 10), Column("lot_balance", _l("Lot balance"), "int", 10),
                Column("balance", _l("Balance"), "int", 10), Column("user", _l("By"), width=12),
                Column("reason_label", _l("Reason"), width=10), Column("reference", _l("Reference"), width=14),
                Column("note", _l("Note"), width=24)]


def stock_card(result: dict, meta: dict) -> Document:
    rows = [_row({**r, "kind_label": str(label("movement", r["kind"])),
                  "reason_label": str(label("reason", r["reason"])) if r["reason"] else None}, CARD_COLUMNS)
            for r in result["rows"]]
    t = result["totals"]
    footer = _row({"time": _("Closing balance"), "balance": t["closing"]}, CARD_COLUMNS)
    if "lot" in result and isinstance(result.get("lot"), dict):
        lot = result["lot"]
        title = _("Stock card of lot %(lot)s", lot=lot["code"])
        subject = [(_("Lot"), lot["code"]), (_("Item"), f"{lot['item']} {lot['item_name']}"),
                   (_("Depot"), f"{lot['depot']} {lot['depot_name']}"),
                   (_("Expires on"), formats.date_text(lot["expires_on"], current_locale()) or "—")]
        slug = f"stock-card-{lot['code']}"
    else:
        depot, item = result["depot"], result["item"]
        title = _("Stock card of %(item)s at %(depot)s", item=item["name_zh"], depot=depot["name"])
        subject = [(_("Item"), f"{item['code']} {item['name_zh']}"), (_("Depot"), f"{depot['code']} {depot['name']}")]
        slug = f"stock-card-{depot['code']}-{item['code']}"
    doc = _doc(_ascii(slug), title, result, meta, [
        Table(_("Stock card"), _("Ledger entries"), CARD_COLUMNS, rows, len(rows), footer)])
    doc.params = subject + [(_("Balance brought forward"), f"{t['opening']:,}"), (_("In"), f"{t['in']:,}"),
                            (_("Out"), f"{t['out']:,}"), (_("Closing balance"), f"{t['closing']:,}")] + doc.params
    return doc


LEDGER_COLUMNS = [Column("id", _l("Line"), "int", 9), Column("time", _l("Time"), "datetime", 19), DEPOT_CODE, DEPOT,
                  ITEM_CODE, ITEM, UNIT, LOT, Column("kind", _l("Kind"), width=8),
                  Column("quantity", _l("Quantity"), "signed", 9), Column("lot_balance", _l("Lot balance"), "int", 10),
                  Column("balance", _l("Item balance at the depot"), "int", 12), Column("user", _l("By"), width=12),
                  Column("reason", _l("Reason"), width=8), Column("reference", _l("Reference"), width=14),
                  Column("note", _l("Note"), width=24)]


def _words():
    kinds = {k: str(label("movement", k)) for k in KINDS}
    reasons = {r: str(label("reason", r)) for r in ("expired", "damaged", "lost", "approved")}
    return kinds, reasons


def ledger_rows(query: LedgerQuery, limit: int | None = None):
    """The ledger's rows with kinds and reasons in words, streamed."""
    return query.rows(limit, *_words())


def ledger(query: LedgerQuery, result_params: dict, meta: dict, count: int | None, limit: int | None = None) -> Document:
    words = _words()
    csv_body = None if limit is not None else (lambda: query.csv_lines(*words))
    return _doc("ledger", _("Movement ledger"), {"params": result_params}, meta, [
        Table(_("Ledger"), _("Ledger entries"), LEDGER_COLUMNS, ledger_rows(query, limit), count, big=True,
              csv_body=csv_body)],
        notes=[_("Item balance at the depot: the running units of the item at the depot, all its lots together, "
                 "from the balance brought forward before the first date.")])


def write_offs(result: dict, meta: dict) -> Document:
    columns = [Column("id", _l("Line"), "int", 8), Column("time", _l("Time"), "datetime", 19), DEPOT_CODE, DEPOT,
               ITEM_CODE, ITEM, UNIT, LOT, Column("expires_on", _l("Expires on"), "date", 11),
               Column("quantity", _l("Quantity"), "int", 9), Column("unit_price_cents", _l("Unit price (yuan)"), "money", 12),
               Column("value_cents", _l("Value (yuan)"), "money", 13), Column("reason_label", _l("Reason"), width=10),
               Column("approved_label", _l("Approved (核销)"), width=10), Column("request", _l("Request"), width=9),
               Column("requested_by", _l("Requested by"), width=12),
               Column("requested_at", _l("Requested at"), "datetime", 19),
               Column("approved_by", _l("Approved by"), width=12), Column("approved_at", _l("Approved at"), "datetime", 19),
               Column("document_no", _l("Approving document number"), width=18), Column("user", _l("By"), width=12),
               Column("reference", _l("Reference"), width=14), Column("note", _l("Note"), width=24)]
    rows = [_row({**r, "reason_label": str(label("reason", r["reason"])),
                  "approved_label": _("yes") if r["approved"] else _("no")}, columns) for r in result["rows"]]
    t = result["totals"]
    footer = _row({"id": None, "depot": _("Total"), "quantity": t["units"], "value_cents": t["value_cents"]}, columns)
    reason_cols = [Column("reason", _l("Reason"), width=14), Column("lines", _l("Lines"), "int", 8),
                   Column("units", _l("Units"), "int", 10), Column("value_cents", _l("Value (yuan)"), "money", 14)]
    reasons = [(str(label("reason", r["reason"])), r["lines"], r["units"], r["value_cents"]) for r in result["by_reason"]]
    return _doc("write-offs", _("Write-off register"), result, meta, [
        Table(_("Write-offs"), _listed(_("Write-offs"), len(rows), result["totals"]["lines"]), columns, rows,
              len(rows), footer),
        Table(_("By reason"), _("By reason"), reason_cols, reasons, len(reasons)),
    ], notes=[_("Value counts only lots with a unit price. Approved: written off by a write-off request (BS-…) that an "
                "administrator other than the requester approved under the approving document number; lines "
                "recorded before write-offs needed approval have no request.")])


def _ascii(text: str) -> str:
    return "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_") else "_" for ch in text)
