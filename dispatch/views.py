"""HTML pages of the dispatcher: the incidents, declaring one, and an incident with its level, affected
sites, needs and allocation plan.

A second thin edge over the services the JSON API uses (``dispatch.incidents``, ``planning``,
``importers``, ``settings``). Dispatchers and administrators declare, change and plan; auditors read
(no forms, a POST is a 403); keepers are turned away. Domain errors become error pages in
``common.http``; a rejected form is shown again with each message next to its field or row, with
status 422, and nothing stored (each service is one transaction).
"""
import json
import math
import re
from dataclasses import dataclass
from datetime import datetime

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_percent
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from accounts.auth import login_required_page, require_actor
from common.actor import ADMIN, AUDITOR, DISPATCHER, Actor
from common.errors import MAX_PROBLEMS, DomainError, NotFound, Problems
from common.http import translated_message
from common.web import engine, request_now, request_today
from dispatch import importers, incident_view, incidents, planning, settings
from dispatch.incidents import MAX_PEOPLE_PER_SITE
from dispatch.models import INCIDENT_TYPES, LEVELS
from dispatch.norms import LevelRule, suggest_level
from dispatch.vocab import ERROR_MESSAGES, dispatch_label
from inventory import queries

bp = Blueprint("dispatch", __name__)

PLANNERS = (ADMIN, DISPATCHER)
READERS = (ADMIN, DISPATCHER, AUDITOR)


def error_text(e: DomainError) -> str:
    """A service's complaint in the page's language (by its message code), else as the service said it."""
    return translated_message(e.message_code, e.params, e.message)


def _reader() -> Actor:
    actor = require_actor()
    actor.require_role(*READERS)
    return actor


def _planner() -> Actor:
    actor = require_actor()
    actor.require_role(*PLANNERS)
    return actor


# ---------------------------------------------------------------- forms


def _type_choices():
    return [(t, dispatch_label("incident_type", t)) for t in INCIDENT_TYPES]


def _level_choices():
    return [(lv, dispatch_label("level", lv)) for lv in LEVELS]


SITES_HINT = _l("One site a line: the code of a village point or shelter, a comma, the displaced people "
                "(for example T01-V01, 800).")
FILE_HINT = _l("Or a CSV file (UTF-8) with the columns site,people; its rows are added to the lines above.")


class SitesFields(FlaskForm):
    sites = TextAreaField("sites", validators=[Length(max=200_000)])
    sites_file = FileField("sites_file")


class IncidentForm(SitesFields):
    type = SelectField("type", choices=_type_choices, default="flood")
    title = StringField("title", validators=[DataRequired(), Length(max=200)])
    level = SelectField("level", choices=lambda: [("", _("As the people suggest"))] + _level_choices(), default="")
    level_reason = TextAreaField("level_reason", validators=[Length(max=500)])
    days = IntegerField("days", validators=[Optional(), NumberRange(min=1, max=60)])


class LevelForm(FlaskForm):
    level = SelectField("level", choices=_level_choices)
    reason = TextAreaField("reason", validators=[DataRequired(), Length(max=500)])


class SitesForm(SitesFields):
    pass


# ---------------------------------------------------------------- affected sites typed or uploaded


@dataclass(frozen=True)
class SiteEntry:
    site: str
    people: int
    source: str  # "text": a line of the text box; "file": a row of the CSV file (the header is row 1)
    number: int

    def where(self) -> str:
        return _("Line %(num)s", num=self.number) if self.source == "text" else \
            _("Row %(num)s of the file", num=self.number)


_LINE = re.compile(r"^(?P<site>[^\s,，;；]+)\s*(?:[,，;；\t]\s*|\s+)(?P<people>.*)$")


def parse_site_lines(text: str) -> tuple[list[SiteEntry], list[tuple[int, str]]]:
    """Lines of "site code, people" (comma, Chinese comma, tab or spaces between; 1,200 is allowed); the
    lines that cannot be read as (line number, message)."""
    entries, errors = [], []
    for number, raw in enumerate((text or "").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = _LINE.match(line)
        people = re.sub(r"[\s,，]", "", match.group("people")).removesuffix("人") if match else ""
        if match and match.group("site").lower() == "site" and people.lower() == "people":
            continue  # a header row pasted from a spreadsheet
        if not match or not people.isdigit():
            errors.append((number, _("Line %(num)s: write the site code, a comma and the number of people "
                                     "(for example T01-V01, 800); got “%(line)s”.", num=number, line=line)))
            continue
        entries.append(SiteEntry(match.group("site"), int(people), "text", number))
    return entries, errors


def read_site_entries(form: SitesFields, actor: Actor) -> list[SiteEntry] | None:
    """The sites of the text box and the file, in that order; None when a line or row cannot be read. Every
    bad line is then named at once, in line order next to its field: those that cannot be read, and the sites
    of the lines that can that the service would refuse (unknown, named twice, not a village point)."""
    entries, text = parse_site_lines(form.sites.data)
    file: list[tuple[int, str]] = []
    lost_file = 0
    upload = form.sites_file.data
    if upload:
        problems = Problems(limit=10 * MAX_PROBLEMS)
        try:
            rows = importers.site_rows(upload.read(), problems)
        except DomainError as e:  # the file as a whole: not UTF-8, no header…
            _add_errors(form.sites, capped([m for _n, m in text]))
            _add_errors(form.sites_file, [_file_message(e)])
            return None
        file = [(p["line"], _file_row_message(p)) for p in problems.items]
        lost_file = problems.count - len(problems.items)
        entries += [SiteEntry(row["site"], row["people"], "file", row["row"]) for row in rows
                    if row["site"] and row["people"] is not None]
    if not text and not file:
        return entries
    problems = Problems(limit=10 * MAX_PROBLEMS)
    incidents.check_sites(engine(), actor, _site_rows(entries), problems)
    more_text, more_file = _site_problems(problems.items, entries)
    lost = problems.count - len(problems.items)  # beyond even the generous limit: counted, not placed
    _add_errors(form.sites, capped([m for _n, m in sorted(text + more_text, key=lambda x: x[0])],
                                   0 if file or more_file else lost))
    _add_errors(form.sites_file, capped([m for _n, m in sorted(file + more_file, key=lambda x: x[0])],
                                        lost_file + (lost if file or more_file else 0)))
    return None


def _file_row_message(problem: dict) -> str:
    if problem.get("message_code") == "file_not_whole_number":
        return _("Row %(num)s of the file: the people must be a whole number of 0 or more.", num=problem["line"])
    if problem.get("message_code") == "file_site_empty":
        return _("Row %(num)s of the file: the site code is empty.", num=problem["line"])
    return error_text_of(problem)


def capped(messages: list[str], more: int = 0) -> list[str]:
    """At most MAX_PROBLEMS messages, and a last one saying how many more there are."""
    more += max(0, len(messages) - MAX_PROBLEMS)
    shown = messages[:MAX_PROBLEMS]
    return shown + [_("… and %(num)s more problems, not shown: correct these and send again to see them.",
                      num=f"{more:,}")] if more else shown


def error_texts(e: DomainError) -> list[str]:
    """A service's complaint as the page's messages: one per bad line when it names several (capped)."""
    problems = e.details.get("problems")
    if not problems:
        return [error_text(e)]
    return capped([error_text_of(p) for p in problems], e.details.get("problems_more") or 0)


def error_text_of(problem: dict) -> str:
    """One problem of a list (``common.errors.Problems``) in the page's language."""
    return translated_message(problem.get("message_code"), problem.get("params"), problem["message"])


def _file_message(e: DomainError) -> str:
    return _("The file cannot be read: %(problem)s", problem=error_text(e))


def _site_messages(form: SitesFields, e: DomainError, entries: list[SiteEntry]) -> bool:
    """Puts a service's complaints about the sites next to the lines or rows they are about; False when the
    error is not about the sites."""
    if e.message_code == "sites_empty":
        _add_errors(form.sites, [_("Name at least one affected site with its displaced people.")])
        return True
    problems = e.details.get("problems") or [{"field": e.field, "message_code": e.message_code,
                                              "message": e.message, "params": e.params}]
    if not all(_site_index(p, entries) is not None for p in problems):
        return False
    text, file = _site_problems(problems, entries)
    more = e.details.get("problems_more") or 0
    _add_errors(form.sites, capped([m for _n, m in text], more if not file else 0))
    _add_errors(form.sites_file, capped([m for _n, m in file], more if file else 0))
    return True


def _site_index(problem: dict, entries: list[SiteEntry]) -> int | None:
    match = re.fullmatch(r"sites\[(\d+)\]\.(site|people)", problem.get("field") or "")
    return int(match.group(1)) if match and int(match.group(1)) < len(entries) else None


def _site_problems(problems: list[dict], entries: list[SiteEntry]) -> tuple[list[tuple[int, str]],
                                                                           list[tuple[int, str]]]:
    """Each problem of a site (``sites[i].site`` / ``.people``) as (line, a sentence naming its line or row),
    those of typed lines and those of the file's rows apart."""
    text, file = [], []
    for problem in problems:
        i = _site_index(problem, entries)
        if i is None:
            continue
        entry = entries[i]
        code = problem.get("message_code")
        earlier = [x for x in entries[:i] if x.site == entry.site]
        if code == "site_people_out_of_range":
            message = _("%(where)s: the people must be a whole number from 0 to %(max)s.", where=entry.where(),
                        max=f"{MAX_PEOPLE_PER_SITE:,}")
        elif code == "site_unknown":
            message = _("%(where)s: no village point or shelter has the code %(code)s.", where=entry.where(),
                        code=entry.site)
        elif code == "site_twice" and earlier:
            message = _("%(where)s: the site %(code)s is named twice (first at %(first)s).", where=entry.where(),
                        code=entry.site, first=earlier[0].where())
        else:
            message = _("%(where)s: %(code)s is a county depot or town station; affected sites are village points "
                        "or shelters.", where=entry.where(), code=entry.site)
        (file if entry.source == "file" else text).append((entry.number, message))
    return text, file


def _add_errors(field, messages: list[str]) -> None:
    if messages:
        field.errors = list(field.errors) + list(messages)


def _site_rows(entries: list[SiteEntry]) -> list[dict]:
    return [{"site": e.site, "people": e.people} for e in entries]


def _sites_text(sites: list[dict]) -> str:
    return "\n".join(f"{s['site']}, {s['people']}" for s in sites)


def _site_groups(actor: Actor) -> list[dict]:
    """The codes a dispatcher may type, village points and shelters, under their towns."""
    eng = engine()
    groups = {t["code"]: {**t, "sites": []} for t in queries.list_depots(eng, actor, tier="town")}
    for village in queries.list_depots(eng, actor, tier="village"):
        if village["parent"] in groups:
            groups[village["parent"]]["sites"].append({"code": village["code"], "name": village["name"]})
    for shelter in settings.list_shelters(eng):
        if shelter["town"] in groups:
            groups[shelter["town"]]["sites"].append({**shelter, "shelter": True})
    return [g for g in sorted(groups.values(), key=lambda g: g["code"]) if g["sites"]]


def _level_rules() -> list[LevelRule]:
    return [LevelRule(**row) for row in settings.read_levels(engine())]


# ---------------------------------------------------------------- pages


@bp.route("/incidents")
@login_required_page
def incident_list():
    actor = _reader()
    return render_template("incidents.html", incidents=incidents.list_incidents(engine(), actor),
                           can_plan=actor.role in PLANNERS)


@bp.route("/incidents/new", methods=["GET", "POST"])
@login_required_page
def new_incident():
    actor = _planner()
    eng = engine()
    form = IncidentForm()
    rules = _level_rules()
    status = 200
    if request.method == "GET":
        form.days.data = settings.read_settings(eng)["days"]
    else:
        valid = form.validate()
        entries = read_site_entries(form, actor)
        if valid and entries is not None:
            try:
                incident_id = incidents.declare(
                    eng, actor, type=form.type.data, title=form.title.data, declared_at=request_now(),
                    sites=_site_rows(entries), level=form.level.data or None,
                    level_reason=(form.level_reason.data or "").strip() or None, days=form.days.data)
            except DomainError as e:
                if e.status == 403 or not (_site_messages(form, e, entries)
                                           or _declare_message(form, e, entries, rules)):
                    raise
            else:
                flash(_("Incident declared. Check the needs, then request a plan."), "success")
                return redirect(url_for(".incident", incident_id=incident_id))
        status = 422
    return render_template("incident_new.html", form=form, levels=rules, site_groups=_site_groups(actor),
                           upload_again=bool(form.sites_file.data)), status


def _declare_message(form: IncidentForm, e: DomainError, entries: list[SiteEntry], rules) -> bool:
    if e.field == "level_reason":
        suggested = suggest_level(sum(x.people for x in entries), rules)
        chosen = dispatch_label("level", form.level.data)
        if suggested:
            message = _("The displaced people suggest %(suggested)s: give a reason for choosing %(chosen)s.",
                        suggested=dispatch_label("level", suggested), chosen=chosen)
        else:
            message = _("The displaced people are below the level IV threshold: give a reason for choosing "
                        "%(chosen)s.", chosen=chosen)
        _add_errors(form.level_reason, [message])
    elif e.field == "level" and not form.level.data:
        _add_errors(form.level, [_("The displaced people are below the level IV threshold: choose a level.")])
    elif e.field in ("type", "title", "level", "days"):
        _add_errors(getattr(form, e.field), [error_text(e)])
    else:
        return False
    return True


@bp.route("/incidents/<int:incident_id>")
@login_required_page
def incident(incident_id: int):
    return _incident_page(_reader(), incident_id)


@bp.route("/incidents/<int:incident_id>/level", methods=["POST"])
@login_required_page
def change_level(incident_id: int):
    actor = _planner()
    form = LevelForm(prefix="level")
    if form.validate():
        try:
            incidents.change_level(engine(), actor, incident_id, form.level.data, form.reason.data, request_now())
        except DomainError as e:
            if e.status == 403 or e.field not in ("level", "reason"):
                raise
            _add_errors(form.reason if e.field == "reason" else form.level, [error_text(e)])
        else:
            flash(_("The response level is now %(level)s.", level=dispatch_label("level", form.level.data)), "success")
            return redirect(url_for(".incident", incident_id=incident_id) + "#level")
    return _incident_page(actor, incident_id, level_form=form, status=422)


@bp.route("/incidents/<int:incident_id>/sites", methods=["POST"])
@login_required_page
def replace_sites(incident_id: int):
    actor = _planner()
    incidents.get(engine(), actor, incident_id)  # an unknown incident is a 404, not a form error
    form = SitesForm(prefix="sites")
    valid = form.validate()
    entries = read_site_entries(form, actor)
    if valid and entries is not None:
        try:
            incidents.replace_sites(engine(), actor, incident_id, _site_rows(entries))
        except DomainError as e:
            if e.status == 403 or not _site_messages(form, e, entries):
                raise
        else:
            flash(_("Affected sites replaced. The needs below are recalculated; request a new plan."), "success")
            return redirect(url_for(".incident", incident_id=incident_id) + "#sites")
    return _incident_page(actor, incident_id, sites_form=form, status=422)


@bp.route("/incidents/<int:incident_id>/plan", methods=["POST"])
@login_required_page
def request_plan(incident_id: int):
    actor = _planner()
    try:
        planning.plan_incident(engine(), actor, incident_id, request_now(), current_app.config["TIMEZONE"])
    except planning.NothingToPlan as e:
        return _incident_page(actor, incident_id, plan_error=e, status=409)
    flash(_("Plan made."), "success")
    return redirect(url_for(".incident", incident_id=incident_id) + "#plan")


@bp.route("/incidents/<int:incident_id>/problem.json")
@login_required_page
def problem_file(incident_id: int):
    """The allocation problem the latest plan was solved from (before any plan: the one it would be)."""
    doc = planning.planned_problem(engine(), _reader(), incident_id, request_now(), current_app.config["TIMEZONE"])
    return _json_attachment(doc, f"incident-{incident_id}-problem.json")


@bp.route("/incidents/<int:incident_id>/plan.json")
@login_required_page
def plan_file(incident_id: int):
    """The latest plan (allocation-plan/1); ``flask allocate`` on the problem file gives the same."""
    answer = planning.latest_plan(engine(), _reader(), incident_id)
    return _json_attachment(answer["plan"], f"incident-{incident_id}-plan.json")


def _json_attachment(doc: dict, filename: str) -> Response:
    from accounts.security import record_security_event

    record_security_event(engine(), "export", username=_reader().username, at=request_now(),
                          message=("problem_export", {"file": filename}))
    body = json.dumps(doc, ensure_ascii=False, indent=2) + "\n"
    return Response(body, mimetype="application/json",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})


# ---------------------------------------------------------------- the incident page


def _incident_page(actor: Actor, incident_id: int, *, level_form: LevelForm | None = None,
                   sites_form: SitesForm | None = None, plan_error: DomainError | None = None, adjust_form=None,
                   status: int = 200):
    """The incident page: a summary per item first, then the sites, the unmet lines, the depots and the
    plan's lines, each filtered and cut into pages by the query string (``dispatch.incident_view``), so the
    page weighs the same for 45 sites as for 2."""
    eng = engine()
    details, needs, items, plan = incident_figures(actor, incident_id)
    fill = plan["fill"] if plan else None
    filters = incident_view.read_filters(request.args, set(incident_view.item_order(needs["lines"], fill or [])))
    can_plan = actor.role in PLANNERS
    if can_plan and level_form is None:
        level_form = LevelForm(prefix="level", formdata=None, level=_next_level(details["level"]))
        level_form.level.choices = [c for c in _level_choices() if c[0] != details["level"]]
    if can_plan and sites_form is None:
        sites_form = SitesForm(prefix="sites", formdata=None, sites=_sites_text(details["sites"]))
    changes = [{**c, "at": datetime.fromisoformat(c["at"])} for c in details["level_changes"]]
    names = plan["names"] if plan else {s["site"]: s["name"] or s["site"] for s in details["sites"]}
    pages = filters.pages
    unmet = incident_view.unmet_lines(fill, names, filters)
    view = {
        "filters": filters,
        "summary": incident_view.item_summary(needs["lines"], fill, items),
        "sites": incident_view.paginate(incident_view.site_rows(details["sites"], needs["lines"], fill, filters),
                                        pages["sites"]),
        "detail": incident_view.site_detail(filters.site, details["sites"], needs["lines"], fill,
                                            plan["transfers"] if plan else None) if filters.site else None,
        "unmet": incident_view.paginate(unmet, pages["unmet"]),
        "unmet_totals": incident_view.unmet_totals(unmet, items),
        "depots": incident_view.paginate(incident_view.depot_rows(plan["outflows"] if plan else None, names,
                                                                  filters), pages["depots"]),
        "item_choices": [(code, items.get(code, {"name_zh": code})) for code in
                         incident_view.item_order(needs["lines"], fill or [])],
        "page_params": incident_view.PAGE_PARAMS,
    }
    return render_template(
        "incident.html", incident=details, declared_level=_declared_level(details), changes=changes,
        level_reason=changes[-1]["reason"] if changes else details["level_reason"],
        norm_version=needs["norm_version"], items=items, plan=plan, view=view,
        plan_error=error_text(plan_error) if plan_error else None,
        can_plan=can_plan, level_form=level_form, sites_form=sites_form,
        site_groups=_site_groups(actor) if can_plan else [],
        upload_again=bool(sites_form and sites_form.sites_file.data),
        adjust=adjust_views.adjust_context(eng, actor, plan, items, adjust_form, filters),
    ), status


def incident_figures(actor: Actor, incident_id: int) -> tuple[dict, dict, dict, dict | None]:
    """What the incident page and its downloads read: the incident, its needs, the items by code and the
    latest plan with its report (None before any plan). Only those who may read the page get them."""
    actor.require_role(*READERS)
    eng = engine()
    details = incidents.get(eng, actor, incident_id)
    needs = incidents.needs_for(eng, actor, incident_id, request_today())
    items = {i["code"]: i for i in queries.list_items(eng)}
    return details, needs, items, _plan_view(eng, actor, details, needs["lines"])


def _next_level(level: str) -> str:
    """The level a change most likely goes to: one more severe, or from level I one milder."""
    i = LEVELS.index(level)
    return LEVELS[i - 1] if i > 0 else LEVELS[1]


def _declared_level(details: dict) -> str:
    return details["level_changes"][0]["from"] if details["level_changes"] else details["level"]


def _plan_view(eng, actor: Actor, details: dict, need_lines: list[dict]) -> dict | None:
    """The latest plan with its report (fill per site and item, unmet reasons, outflows), the names of its
    depots and sites, and whether the level or the needs changed since it was made."""
    try:
        answer = planning.latest_plan(eng, actor, details["id"])
    except NotFound:
        return None
    doc = planning.planned_problem(eng, actor, details["id"], request_now(), current_app.config["TIMEZONE"])
    report, plan = answer["report"], answer["plan"]
    names = {**{d["id"]: d["name"] for d in doc["depots"]}, **{s["id"]: s["name"] for s in doc["sites"]}}
    planned = {(d["site"], d["item"]): d["quantity"] for d in doc["demand"]}
    current = {(line["site"], line["item"]): line["net"] for line in need_lines if line["net"] > 0}
    fill = report["fill"]
    return {
        "id": answer["id"], "incident": details["id"], "doc": doc, "transfers": plan["transfers"],
        "created_at": datetime.fromisoformat(answer["created_at"]),
        "norm_version": answer["norm_version"], "status": plan.get("status"), "seconds": plan.get("solve_seconds"),
        "level": doc["incident"].get("level"), "fill": fill, "names": names, "outflows": report["outflows"],
        "lines": len(fill), "full_lines": sum(1 for f in fill if f["delivered"] >= f["demand"]),
        "unmet_lines": sum(1 for f in fill if f.get("unmet")),
        "trucks": sum(o["trucks"] for o in report["outflows"]),
        "stale": planned != current or doc["incident"].get("level") != details["level"],
    }


# ---------------------------------------------------------------- what the templates may use


def fmt_percent(rate: float, decimals: int = 0) -> str:
    """Rounded down, so that only a complete delivery reads 100%."""
    scale = 10 ** (decimals + 2)
    shown = 1.0 if rate >= 1 else math.floor(round(rate * scale, 6)) / scale
    return format_percent(shown, "#,##0" + ("." + "0" * decimals if decimals else "") + "%")


@bp.record_once
def _template_helpers(state) -> None:
    state.app.jinja_env.globals.update(dispatch_label=dispatch_label, fill_band=incident_view.fill_band, fmt_percent=fmt_percent,
                                       sites_hint=SITES_HINT, file_hint=FILE_HINT)
    state.app.extensions.setdefault("error_messages", {}).update(ERROR_MESSAGES)


from dispatch import admin_views  # noqa: E402,F401  (the administrator's pages, on this blueprint)
from dispatch import adjust_views  # noqa: E402  (adjusting the plan, on this blueprint)
