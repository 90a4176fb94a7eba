"""The incident page's "adjust the plan" form and the comparison of an adjusted plan with the optimum.

A thin edge over ``dispatch.adjusting`` on the dispatch pages' blueprint (imported at the end of
``dispatch.views``). The form lists the latest plan's lines (depot → site, item) with their
quantities, the depots that send something (to leave out), and empty rows to add lines; a
changed quantity, a ticked depot and a filled row each become one adjustment. A refused
adjustment is shown next to the row it came from, with status 422 or 409, and nothing is stored.
"""
import re
from datetime import date, datetime
from dataclasses import dataclass, field

from flask import flash, redirect, request, url_for
from flask_babel import format_date
from flask_babel import gettext as _

from accounts.auth import login_required_page
from common.errors import DomainError
from common.http import translated_message
from common.web import engine, request_now
from dispatch import adjusting, incident_view
from dispatch.incident_view import plan_lines
from dispatch.views import _incident_page, _planner, bp
from inventory.views import item_name

ADD_ROWS = 3  # empty rows offered to add lines


@dataclass
class AdjustForm:
    """What the dispatcher sent (to show again after a refusal) and the messages by row."""

    quantities: dict[int, str] = field(default_factory=dict)  # line number → as typed
    left_out: set[str] = field(default_factory=set)
    adds: list[dict] = field(default_factory=lambda: [{} for _ in range(ADD_ROWS)])
    reason: str = ""
    # by row: ("line", n), ("depot", code), ("add", n); or "reason", "general"
    errors: dict[tuple, list[str]] = field(default_factory=dict)
    refusals: list[tuple] = field(default_factory=list)  # (row key, the service's DomainError), worded for the page

    def error(self, key, message: str) -> None:
        self.errors.setdefault(key, []).append(message)


def adjust_context(eng, actor, plan: dict | None, items: dict, form: AdjustForm | None,
                   filters: incident_view.Filters | None = None) -> dict | None:
    """What the page needs to show the form and, for an adjusted plan, its comparison. The form shows one
    page of the plan's lines (filtered like the rest of the page); a line not shown is not sent and so
    not changed."""
    if plan is None:
        return None
    filters = filters or incident_view.Filters(pages={})
    doc = plan["doc"]
    names = plan.get("names") or {**{d["id"]: d["name"] for d in doc["depots"]},
                                  **{s["id"]: s["name"] for s in doc["sites"]}}
    all_lines = plan_lines(plan["transfers"])
    lines = incident_view.paginate(incident_view.filter_plan_lines(all_lines, names, filters),
                                   filters.pages.get("lines", 1))
    form = form or AdjustForm()
    _word_refusals(form, names, items)
    comparison = adjusting.plan_comparison(eng, actor, plan["incident"], plan["id"])
    comparison["created_at"] = datetime.fromisoformat(comparison["created_at"])
    against = comparison["against_optimum"]
    return {
        "plan_id": plan["id"], "lines": lines.rows, "page": lines, "all_lines": len(all_lines), "names": names,
        "form": form,
        "depots": sorted({line["from"] for line in all_lines}),
        "choices": {"depots": [(d["id"], d["name"]) for d in doc["depots"]],
                    "sites": [(s["id"], s["name"]) for s in doc["sites"]],
                    "items": [(i["id"], item_name(items.get(i["id"], {})) or i["name"]) for i in doc["items"]]},
        "comparison": comparison if comparison["adjusted_from"] else None,
        "by_item": incident_view.item_comparison(against["lines"], items) if against else [],
        "sites_of": incident_view.paginate(_site_rows(comparison, names), filters.pages.get("compare", 1)),
        "losing_names": [names.get(s, s) for s in (against or {}).get("losing_sites", [])],
    }


def _site_rows(comparison: dict, names: dict) -> list[dict]:
    """The sites where the adjusted plan delivers something else than the optimum, those losing first."""
    against = comparison["against_optimum"]
    if not against:
        return []
    lines = {}
    for line in against["lines"]:
        lines.setdefault(line["site"], []).append(line)
    rows = [{**s, "name": names.get(s["site"], s["site"]), "lines": lines.get(s["site"], []),
             "gains": any(x["gains"] for x in lines.get(s["site"], []))} for s in against["sites"]]
    return sorted([r for r in rows if r["loses"] or r["gains"]], key=lambda r: not r["loses"])


@bp.route("/incidents/<int:incident_id>/plans/<int:plan_id>/adjust", methods=["POST"])
@login_required_page
def adjust_plan(incident_id: int, plan_id: int):
    actor = _planner()
    form, adjustments, origins = read_form(request.form)
    if not form.errors:
        try:
            adjusting.adjust_plan(engine(), actor, incident_id, plan_id, adjustments, form.reason, request_now())
        except DomainError as e:
            if e.status in (403, 404):
                raise
            _place_error(form, e, origins)
        else:
            flash(_("Plan adjusted. Compare it with the optimum below before approving."), "success")
            return redirect(url_for(".incident", incident_id=incident_id) + "#adjust")
    status = 409 if form.errors.pop("conflict", None) is not None else 422
    return _incident_page(actor, incident_id, adjust_form=form, status=status)


def read_form(data) -> tuple[AdjustForm, list[dict], list[tuple]]:
    """The adjustments the form asks for, and where each came from (its row)."""
    form = AdjustForm(reason=(data.get("reason") or "").strip())
    adjustments, origins = [], []
    keys, typed, planned = data.getlist("line"), data.getlist("quantity"), data.getlist("planned")
    for n, (key, value, before) in enumerate(zip(keys, typed, planned)):
        form.quantities[n] = value
        depot, site, item = (key.split("|") + ["", "", ""])[:3]
        if depot in data.getlist("leave_out"):
            continue
        value = value.strip().replace(",", "")
        if not re.fullmatch(r"\d{1,10}", value):
            form.error(("line", n), _("Write the units as a whole number, 0 to drop the line."))
        elif int(value) != int(before or 0):
            adjustments.append({"action": "set", "from": depot, "to": site, "item": item, "quantity": int(value)})
            origins.append(("line", n))
    for depot in data.getlist("leave_out"):
        form.left_out.add(depot)
        adjustments.append({"action": "leave_out", "depot": depot})
        origins.append(("depot", depot))
    rows = zip(data.getlist("add_from"), data.getlist("add_to"), data.getlist("add_item"), data.getlist("add_quantity"))
    form.adds = [{"from": f, "to": t, "item": i, "quantity": q} for f, t, i, q in rows]
    form.adds += [{} for _ in range(ADD_ROWS - len(form.adds))]
    for n, row in enumerate(form.adds):
        if not any((row.get(k) or "").strip() for k in ("from", "to", "item", "quantity")):
            continue
        value = (row.get("quantity") or "").strip().replace(",", "")
        if not (row.get("from") and row.get("to") and row.get("item")):
            form.error(("add", n), _("Choose the depot, the site and the item of the new line."))
        elif not re.fullmatch(r"\d{1,10}", value) or int(value) < 1:
            form.error(("add", n), _("Write the units of the new line as a whole number of 1 or more."))
        else:
            adjustments.append({"action": "add", "from": row["from"], "to": row["to"], "item": row["item"],
                                "quantity": int(value)})
            origins.append(("add", n))
    if not form.reason:
        form.error("reason", _("Say why the plan is adjusted."))
    if not adjustments and not form.errors:
        form.error("general", _("Nothing is changed: change a line’s quantity, leave out a depot or add a line."))
    return form, adjustments, origins


def _place_error(form: AdjustForm, e: DomainError, origins: list[tuple]) -> None:
    """Keeps each refusal by the row it came from (every bad adjustment at once: ``common.errors.Problems``);
    ``adjust_context`` words them with the names of the plan."""
    several = e.details.get("problems") if e.message_code == "lines_invalid" else None
    for one in ([DomainError(p["message"], field=p.get("field"), message_code=p.get("message_code"),
                             params=p.get("params")) for p in several] if several else [e]):
        match = re.match(r"adjustments\[(\d+)\]", one.field or "")
        if match and int(match.group(1)) < len(origins):
            key = origins[int(match.group(1))]
        else:
            key = "reason" if one.field == "reason" else "general"
        form.refusals.append((key, one))
    if e.status == 409:
        form.errors["conflict"] = []


def _word_refusals(form: AdjustForm, names: dict, items: dict) -> None:
    """A refusal in the page's language, with names instead of codes and the date as an office writes it."""
    for key, e in form.refusals:
        params = dict(e.params)
        if "usable_from" in params:
            params["usable_from"] = format_date(date.fromisoformat(params["usable_from"]), "medium")
        for name in ("depot", "site"):
            if name in params:
                params[name] = f"{names.get(params[name], params[name])}（{params[name]}）"
        if "item" in params:
            params["item"] = item_name(items.get(params["item"], {})) or params["item"]
        form.error(key, translated_message(e.message_code, params, e.message))
    form.refusals = []
