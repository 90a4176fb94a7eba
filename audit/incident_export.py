"""An incident's full tables as one document (``audit.exports.Document``), downloaded as XLSX or PDF from the
incident page: the needs and fill per item, the needs site by site, what each site receives and from where,
what leaves each depot, and the unmet lines with their totals per item. Every quantity stands beside its
item's unit and no total adds different items together.

Here and not in ``dispatch`` because audit may read dispatch, not the other way round; the figures are the
incident page's own (``dispatch.views.incident_figures``, ``dispatch.incident_view``), read by the same
people (administrators, dispatchers, auditors).
"""
from zoneinfo import ZoneInfo

from flask import request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from accounts.auth import login_required_page, require_actor
from audit import web
from audit.exports import Column, Document, Table
from audit.views import bp
from common.errors import InvalidInput
from common.web import request_now
from dispatch import incident_view
from dispatch.views import incident_figures
from dispatch.vocab import dispatch_label

FORMATS = ("xlsx", "pdf")

SITE_CODE = Column("site", _l("Site code"), width=12)
SITE = Column("site_name", _l("Site"), width=18)
DEPOT_CODE = Column("depot", _l("Depot code"), width=12)
DEPOT = Column("depot_name", _l("Depot"), width=18)
ITEM_CODE = Column("item", _l("Item code"), width=11)
ITEM = Column("item_name", _l("Item"), width=18)
UNIT = Column("unit", _l("Unit"), width=6)


def _n(key, header, width=10):
    return Column(key, header, "int", width)


def _rows(dicts: list[dict], columns: list[Column]) -> list[tuple]:
    return [tuple(d.get(c.key) for c in columns) for d in dicts]


def _item_fields(code: str, items: dict) -> dict:
    it = items.get(code, {})
    return {"item": code, "item_name": it.get("name_zh", code), "unit": it.get("unit")}


def _reason(code: str | None) -> str | None:
    return str(dispatch_label("unmet_reason", code)) if code else None


def _local(at) -> str:
    if at.tzinfo is None:
        at = at.replace(tzinfo=ZoneInfo("UTC"))
    return at.astimezone(ZoneInfo(web.tz())).strftime("%Y-%m-%d %H:%M")


def incident_document(details: dict, needs: dict, items: dict, plan: dict | None) -> Document:
    everything = incident_view.Filters(pages={})
    fill = plan["fill"] if plan else None
    names = plan["names"] if plan else {s["site"]: s["name"] or s["site"] for s in details["sites"]}
    site_names = {s["site"]: s["name"] or s["site"] for s in details["sites"]}

    summary_cols = [ITEM_CODE, ITEM, UNIT, _n("gross", _l("Needed")), _n("own_stock", _l("Own stock")),
                    _n("net", _l("To send")), _n("delivered", _l("Delivered")), _n("unmet", _l("Unmet")),
                    Column("fill_rate", _l("Fill rate"), "percent", 9), Column("why", _l("Why"), width=40)]
    summary = [{**row, "item_name": row["name_zh"],
                "delivered": row["delivered"] if plan else None, "unmet": row["unmet"] if plan else None,
                "why": "; ".join(f"{_reason(r['reason'])} ({r['units']:,})" for r in row["reasons"]) or None}
               for row in incident_view.item_summary(needs["lines"], fill, items)]

    need_cols = [SITE_CODE, SITE, _n("people", _l("Displaced people")), ITEM_CODE, ITEM, UNIT,
                 _n("gross", _l("Needed")), _n("own_stock", _l("Own stock")), _n("net", _l("To send")),
                 _n("delivered", _l("Delivered")), _n("unmet", _l("Unmet")),
                 Column("fill_rate", _l("Fill rate"), "percent", 9), Column("why", _l("Why"), width=22)]
    need_rows = []
    for s in details["sites"]:
        detail = incident_view.site_detail(s["site"], details["sites"], needs["lines"], fill, None)
        for line in detail["lines"]:
            need_rows.append({**line, **_item_fields(line["item"], items), "site_name": detail["name"],
                              "people": s["people"], "why": _reason(line["reason"])})

    lines = incident_view.plan_lines(plan["transfers"]) if plan else []
    site_cols = [SITE_CODE, SITE, ITEM_CODE, ITEM, UNIT, DEPOT_CODE, DEPOT, _n("quantity", _l("Quantity")),
                 Column("minutes", _l("Minutes"), "int", 8)]
    by_site = sorted(({**line, **_item_fields(line["item"], items), "site": line["to"],
                       "site_name": names.get(line["to"], line["to"]), "depot": line["from"],
                       "depot_name": names.get(line["from"], line["from"])} for line in lines),
                     key=lambda r: (r["site"], r["item"], r["depot"]))

    depot_cols = [DEPOT_CODE, DEPOT, ITEM_CODE, ITEM, UNIT, _n("quantity", _l("Quantity")),
                  _n("sites", _l("Destinations"), 8)]
    per_depot: dict[tuple, dict] = {}
    for line in lines:
        row = per_depot.setdefault((line["from"], line["item"]), {
            **_item_fields(line["item"], items), "depot": line["from"],
            "depot_name": names.get(line["from"], line["from"]), "quantity": 0, "sites": 0})
        row["quantity"] += line["quantity"]
        row["sites"] += 1
    load_cols = [DEPOT_CODE, DEPOT, _n("destinations", _l("Destinations"), 8), _n("weight", _l("Weight (kg)")),
                 Column("volume", _l("Volume (m³)"), width=10), _n("trucks", _l("Trucks"), 8)]
    loads = [{**o, "depot_name": names.get(o["depot"], o["depot"]), "weight": round(o["weight_kg"]),
              "volume": f"{o['volume_m3']:.2f}"} for o in (plan["outflows"] if plan else [])]

    unmet_cols = [SITE_CODE, SITE, ITEM_CODE, ITEM, UNIT, _n("demand", _l("Demand")), _n("delivered", _l("Delivered")),
                  _n("unmet", _l("Unmet")), Column("why", _l("Why"), width=22)]
    unmet = incident_view.unmet_lines(fill, {**site_names, **names}, everything)
    unmet_rows = [{**u, **_item_fields(u["item"], items), "site_name": u["name"], "why": _reason(u["reason"])}
                  for u in unmet]
    total_cols = [ITEM_CODE, ITEM, UNIT, _n("lines", _l("Sites")), _n("demand", _l("Demand")),
                  _n("delivered", _l("Delivered")), _n("unmet", _l("Unmet"))]
    totals = [{**t, "item_name": t["name_zh"]} for t in incident_view.unmet_totals(unmet, items)]

    def table(sheet, title, columns, dicts):
        rows = _rows(dicts, columns)
        return Table(sheet, title, columns, rows, len(rows))

    params = [(_("Incident"), f"#{details['id']} {details['title']}"),
              (_("Type"), str(dispatch_label("incident_type", details["type"]))),
              (_("Response level"), str(dispatch_label("level", details["level"]))),
              (_("Displaced people"), f"{details['people']:,}"), (_("Affected sites"), str(len(details["sites"])))]
    if plan:
        params.append((_("Plan"), _("Plan %(id)s, made %(time)s", id=plan["id"],
                                    time=_local(plan["created_at"]))))
    else:
        params.append((_("Plan"), _("No plan yet.")))
    return Document(
        slug=f"incident-{details['id']}", title=_("Incident %(id)s: needs and allocation", id=details["id"]),
        params=params, generated_at=request_now().astimezone(ZoneInfo(web.tz())), seal=None, tables=[
            table(_("By item"), _("Needs and fill by item"), summary_cols, summary),
            table(_("Needs"), _("Needs site by site"), need_cols, need_rows),
            table(_("Per site"), _("What each site receives, and from where"), site_cols, by_site),
            table(_("Per depot"), _("What leaves each depot, by item"), depot_cols, list(per_depot.values())),
            table(_("Loads"), _("Loads and trucks per depot"), load_cols, loads),
            table(_("Unmet"), _("Unmet lines"), unmet_cols, unmet_rows),
            table(_("Unmet by item"), _("Unmet by item"), total_cols, totals),
        ], notes=[_("Each item in its own unit; items are never added together."),
                  _("Weight, volume and trucks are of everything the depot sends.")])


@bp.route("/incidents/<int:incident_id>.<fmt>")
@login_required_page
def incident_export(incident_id: int, fmt: str):
    """The incident's full tables as XLSX or PDF, for those who may read the incident page."""
    if fmt not in FORMATS:
        raise InvalidInput(f"format must be one of {', '.join(FORMATS)}, got {fmt!r}", field="format")
    actor = require_actor()
    doc = incident_document(*incident_figures(actor, incident_id))
    web.record_export(actor, f"incident {incident_id}", fmt, request.args)
    return web.xlsx_response(doc) if fmt == "xlsx" else web.pdf_response(doc)
