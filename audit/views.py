"""The auditor's pages under /audit: the reports with their filters and exports, rotation tasks, and the
ledger-integrity check with the current seal.

Everyone logged in may open the reports, each seeing the depots they may read (keepers: their own);
only administrators and a depot's keepers change rotation tasks; the integrity page is for those who
read the whole ledger (administrators, dispatchers, auditors).
"""
import functools
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

from flask import (Blueprint, Response, current_app, flash, jsonify, redirect, render_template, request,
                   url_for)
from flask_babel import get_locale
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from accounts.auth import login_required_page, require_actor
from audit import documents, exports, jobs, movements, reports, rotation, web
from audit.vocab import ACTIONS, ENCODINGS, ERROR_MESSAGES, EXPORT_STATUSES, TASK_STATUSES
from common.actor import ADMIN, AUDITOR, DISPATCHER, KEEPER, Actor
from common.errors import DomainError, InvalidInput
from common.http import error_body, translated_message
from common.web import engine, request_now, request_today
from inventory import integrity, queries
from inventory.models import CATEGORIES, TIERS

bp = Blueprint("audit", __name__, url_prefix="/audit")

NAMES = "expiry, rotation, sufficiency, 'stock-card', ledger, 'write-offs'"


def _titles() -> dict:
    return {"expiry": _("Expiry report"), "rotation": _("Rotation plan"), "sufficiency": _("Reserve sufficiency"),
            "stock-card": _("Stock card"), "ledger": _("Movement ledger"), "write-offs": _("Write-off register")}


def _ledger_reader() -> Actor:
    actor = require_actor()
    actor.require_role(ADMIN, DISPATCHER, AUDITOR)
    return actor


@bp.record_once
def _check_fonts(state) -> None:
    state.app.extensions["audit_cjk_font"] = exports.check_pdf_fonts()
    state.app.extensions.setdefault("error_messages", {}).update(ERROR_MESSAGES)


@bp.route("/")
@login_required_page
def index():
    actor = require_actor()
    return render_template("audit_index.html", titles=_titles(), reads_ledger=actor.reads_everything,
                           current_actor_role=actor.role)


@bp.route(f"/<any({NAMES}):name>")
@login_required_page
def report(name: str):
    actor = require_actor()
    needs_subject = name == "stock-card" and not any(request.args.get(k) for k in ("lot", "depot", "item"))
    result = doc = None
    if not needs_subject:
        meta = {"generated_at": request_now().astimezone(ZoneInfo(web.tz())), "seal": None}
        if name == "ledger":
            f = web.parse_filters(request.args)
            query = movements.LedgerQuery(engine(), actor, f, web.tz())
            count = query.count()
            doc = documents.ledger(query, reports._params(f, request_today()), meta, count,
                                   limit=web.PAGE_LEDGER_LINES)
            result = {"total": count}
        else:
            result = web.run(name, request.args, actor, full=False)
            doc = web.BUILDERS[name](result, meta)
        for table in doc.tables:
            table.rows = list(table.rows)
    tasks = rotation.list_tasks(engine(), actor) if name == "rotation" else []
    recent = jobs.recent(engine(), actor, request_now(), report=name) if doc else []
    return render_template(
        "audit_report.html", name=name, title=_titles()[name], titles=_titles(), result=result, doc=doc,
        args=request.args, depots=queries.list_depots(engine(), actor), items=queries.list_items(engine()),
        categories=CATEGORIES, tiers=TIERS, tasks=tasks, changeable=_changeable(actor), actions=ACTIONS,
        task_statuses=TASK_STATUSES, ledger_lines=web.PAGE_LEDGER_LINES, export_jobs=recent,
        export_statuses=EXPORT_STATUSES, encodings=ENCODINGS, tz=web.tz(),
        cell=lambda column, value: exports.text_value(column.kind, value, web.tz(), grouped=True))


@bp.route(f"/<any({NAMES}):name>.<fmt>")
@login_required_page
def export(name: str, fmt: str):
    """The file made while the request waits: links without JavaScript, scripts (``encoding=utf-8|gbk`` for CSV)."""
    if fmt not in exports.FORMATS:
        raise InvalidInput(f"format must be one of {', '.join(exports.FORMATS)}, got {fmt!r}", field="format")
    return web.export(name, request.args, require_actor(), fmt)


# ---------------------------------------------------------------- exports in the background


def _json_errors(view):
    """The page's script reads the errors of these answers: JSON, the message in the page's language."""
    @functools.wraps(view)
    def answer(*args, **kwargs):
        try:
            return view(*args, **kwargs)
        except DomainError as e:
            message = translated_message(e.message_code, e.params, e.message)
            return jsonify(error_body(e.status, e.code, message, e.field, message_code=e.message_code)), e.status
    return answer


@bp.post("/exports")
@login_required_page
@_json_errors
def start_export():
    """Starts an export job (the report page's script: form fields report, format, encoding, query — the
    report's filters as a query string); answers 202 with the job."""
    form = request.form
    report, fmt = form.get("report", ""), form.get("format", "")
    if report not in web.REPORTS:
        raise InvalidInput(f"report must be one of {', '.join(web.REPORTS)}, got {report!r}", field="report")
    args = MultiDict(parse_qsl(form.get("query", "").lstrip("?"), keep_blank_values=True))
    args["encoding"] = form.get("encoding") or "utf-8"
    job = jobs.start(engine(), require_actor(), report, fmt, args, get_locale(), request_now())
    return jsonify(_job_json(job)), 202


@bp.route("/exports/<token>")
@login_required_page
@_json_errors
def export_job(token: str):
    """An export job of one's own: its state and progress (JSON)."""
    return jsonify(_job_json(jobs.get(engine(), require_actor(), token, request_now())))


@bp.route("/exports/<token>/file")
@login_required_page
def export_file(token: str):
    path, name, mime = jobs.file_of(engine(), require_actor(), token, request_now())
    return web.file_response(path, name, mime)


def _job_json(job: dict) -> dict:
    out = web.jsonable(job)
    out["status_label"] = str(EXPORT_STATUSES[job["status"]])
    out["url"] = url_for("audit.export_job", token=job["token"])
    out["file_url"] = url_for("audit.export_file", token=job["token"]) if job["status"] == "done" else None
    out["expires_label"] = fmt_moment(job["expires_at"])
    return out


def fmt_moment(moment) -> str:
    """A moment as the pages write it (the app's ``fmt_datetime``)."""
    return current_app.jinja_env.globals["fmt_datetime"](moment)


def _changeable(actor: Actor) -> set[str] | bool:
    """Depot codes whose rotation tasks the actor may change; True for every depot (administrators)."""
    if actor.role == ADMIN:
        return True
    if actor.role == KEEPER:
        return {d["code"] for d in queries.list_depots(engine(), actor)}
    return set()


# ---------------------------------------------------------------- rotation tasks


def _back():
    target = request.form.get("next") or ""
    if not target.startswith("/audit/"):
        target = url_for("audit.report", name="rotation")
    return redirect(target)


@bp.post("/rotation/tasks")
@login_required_page
def propose_task():
    form = request.form
    quantity = form.get("quantity", "").strip()
    if quantity and not quantity.isdigit():
        raise InvalidInput(f"quantity must be a whole number, got {quantity!r}", field="quantity")
    task = rotation.propose(engine(), require_actor(), request_now(), request_today(), lot=form.get("lot", ""),
                            action=form.get("action") or None, to_depot=form.get("to_depot") or None,
                            quantity=int(quantity) if quantity else None, note=form.get("note") or None)
    flash(_("Rotation task %(ref)s proposed for lot %(lot)s.", ref=task["reference"], lot=task["lot"]), "success")
    return _back()


@bp.post("/rotation/tasks/<int:task_id>/accept")
@login_required_page
def accept_task(task_id: int):
    task = rotation.accept(engine(), require_actor(), request_now(), task_id)
    flash(_("Rotation task %(ref)s accepted.", ref=task["reference"]), "success")
    return _back()


@bp.post("/rotation/tasks/<int:task_id>/done")
@login_required_page
def complete_task(task_id: int):
    task = rotation.complete(engine(), require_actor(), request_now(), request_today(), task_id)
    flash(_("Rotation task %(ref)s done: %(units)s units out of lot %(lot)s, recorded in the ledger as %(ref)s.",
            ref=task["reference"], units=task["done_quantity"], lot=task["lot"]), "success")
    return _back()


# ---------------------------------------------------------------- ledger integrity


@bp.route("/integrity")
@login_required_page
def ledger_integrity():
    actor = _ledger_reader()
    seal_text = (request.args.get("seal") or "").strip() or None
    outcome = None
    if request.args.get("run") == "1":
        outcome = integrity.verify(engine(), actor, seal_text)
    seals = outcome["archived_seals"] if outcome else integrity.list_seals(engine())
    return render_template("audit_integrity.html", outcome=outcome, seal_text=seal_text or "",
                           seal=integrity.current_seal(engine(), actor), titles=_titles(), seals=seals,
                           reasons=_seal_reasons(), now=request_now().astimezone(ZoneInfo(web.tz())))


def _seal_reasons() -> dict:
    return {"daily": _("daily"), "export": _("export"), "manual": _("by hand")}


@bp.post("/seals")
@login_required_page
def archive_seal():
    actor = _ledger_reader()
    seal = integrity.take_seal(engine(), "manual", actor.username, request_now())
    flash(_("Seal #%(id)s archived: %(text)s", id=seal["id"], text=seal["text"]), "success")
    return redirect(url_for("audit.ledger_integrity"))


@bp.route("/seal.txt")
@login_required_page
def seal_file():
    actor = _ledger_reader()
    seal = integrity.current_seal(engine(), actor)
    now = request_now().astimezone(ZoneInfo(web.tz()))
    body = (f"ReliefDepot ledger seal\n{seal['text']}\nlines: {seal['count']}\nup to line: {seal['upto']}\n"
            f"made: {now:%Y-%m-%d %H:%M:%S %Z}\n"
            f"check later: flask --app app ledger verify --seal {seal['text']}\n")
    name = f"ledger-seal-{now:%Y%m%d-%H%M}.txt"
    return Response(body, mimetype="text/plain; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


from audit import incident_export  # noqa: E402,F401  (an incident's tables as XLSX / PDF, on this blueprint)
