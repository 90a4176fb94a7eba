"""The administrators' import page (导入台账, under 系统管理): upload registers, follow their dry run in the
background (static/js/imports.js polls the job), read the report — per file and sheet what would be created, the
rows and units accepted, every rejected row in a paged table and as an XLSX — match the names that matched
nothing exactly, run the dry run again, and commit exactly what it accepted. Thin edges over ``registers.jobs``
and ``registers.aliases`` on the administrators' blueprint (``accounts.admin_views.bp``): administrators only,
forms with CSRF."""
import io
import math

import xlsxwriter
from flask import Response, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge
from wtforms import StringField
from wtforms.validators import Length, Optional

from accounts.admin_views import _admin, bp
from accounts.auth import current_actor, login_required_page
from common.actor import ADMIN
from common.errors import DomainError
from common.inputs import page_number
from common.http import translated_message
from common.web import engine, request_now
from registers import aliases, jobs
from registers.cli import _reason as reason
from registers.reader import raw_tables
from registers.vocab import ERROR_MESSAGES, JOB_STATUSES, PAGE_MESSAGES, SHEET_KINDS

REJECTED_PER_PAGE = 50
BUSY = ("queued", "running", "committing")


@bp.record_once
def _register_messages(state):
    state.app.extensions.setdefault("error_messages", {}).update({**ERROR_MESSAGES, **PAGE_MESSAGES})
    state.app.jinja_env.globals.update(import_kinds=SHEET_KINDS, import_statuses=JOB_STATUSES)


class UploadForm(FlaskForm):
    depot = StringField("depot", validators=[Optional(), Length(max=100)])


class PlainForm(FlaskForm):
    """Run again, commit, remove a name: only the CSRF token."""


def _error_text(error: dict | None) -> str:
    if not error:
        return ""
    if error.get("code"):
        return translated_message(error["code"], error.get("params") or {}, error.get("message") or "")
    return _("Unexpected error: %(error)s", error=error.get("message", ""))


@bp.errorhandler(RequestEntityTooLarge)
def _upload_too_large(e):
    """An upload over MAX_CONTENT_LENGTH is refused before any view reads it (the input checks read the form
    first): on the import page it is said on the form; elsewhere the app's own answer."""
    actor = current_actor()
    if request.endpoint != "people.imports" or actor is None or actor.role != ADMIN:
        return current_app.error_handler_spec[None][None][HTTPException](e)
    return _imports_page(actor, UploadForm(formdata=None), _too_large(), 413)


@bp.route("/admin/imports", methods=["GET", "POST"])
@login_required_page
def imports():
    actor = _admin()
    app = current_app._get_current_object()
    form, status, problem = UploadForm(), 200, None
    if request.method == "POST":
        if form.validate():
            files = [(f.filename or "register", f.read()) for f in request.files.getlist("files") if f]
            files = [(name, data) for name, data in files if name or data]
            try:
                token = jobs.start(app, actor, files, form.depot.data, request_now())
            except DomainError as e:
                if e.status == 403:
                    raise
                problem, status = translated_message(e.message_code, e.params, e.message), 422
            else:
                return redirect(url_for(".import_job", token=token), code=303)
        else:
            problem, status = _("The form has expired; try again."), 422
    return _imports_page(actor, form, problem, status)


def _imports_page(actor, form, problem, status):
    recent = jobs.recent(current_app._get_current_object(), actor, request_now())
    return render_template("admin_imports.html", form=form, problem=problem, recent=recent,
                           error_text=_error_text, max_files=jobs.MAX_FILES), status


def _too_large() -> str:
    limit = request.max_content_length or 0  # MAX_UPLOAD_LENGTH here (common/body_limits.py)
    return _("The files are too large: at most %(max)s MB in one upload. Upload them one at a time, or split "
             "the register.", max=f"{limit / (1024 * 1024):g}")


def _report_view(report: dict | None) -> dict:
    """The report's rejected rows flattened (file, sheet, row, column, reason) and its unmatched names."""
    rejected, names, planned = [], {}, set()
    for f in (report or {}).get("files", []):
        for sh in f["sheets"]:
            planned |= {d["code"] for d in sh["creates"]["depots"]} | {i["code"] for i in sh["creates"]["items"]}
            for r in sh["rejected"]:
                rejected.append({"file": f["file"], "sheet": sh["sheet"], "row": r["row"], "column": r["column"],
                                 "reason": reason(r)})
                kind = {"import_item_unknown": "item", "import_depot_unknown": "depot"}.get(r["code"])
                if kind is None:
                    continue
                name = r["params"].get(kind)
                entry = names.setdefault((kind, name), {"kind": kind, "name": name, "rows": 0, "candidates": []})
                entry["rows"] += 1
                if not entry["candidates"]:
                    entry["candidates"] = list(zip(r["params"].get("closest_codes") or [],
                                                   r["params"].get("closest") or []))
    return {"rejected": rejected, "names": list(names.values()), "planned": planned}


@bp.route("/admin/imports/<token>")
@login_required_page
def import_job(token: str):
    actor = _admin()
    job = jobs.get(engine(), actor, token, request_now())
    shown = _report_view(job["report"])
    pages = max(1, math.ceil(len(shown["rejected"]) / REJECTED_PER_PAGE))
    page = min(page_number(request.args.get("page", "").strip()), pages)
    rows = shown["rejected"][(page - 1) * REJECTED_PER_PAGE: page * REJECTED_PER_PAGE]
    return render_template("admin_import.html", job=job, busy=job["status"] in BUSY, rejected=rows,
                           rejected_total=len(shown["rejected"]), page=page, pages=pages, names=shown["names"],
                           error=_error_text(job["error"]), form=PlainForm(formdata=None))


@bp.route("/admin/imports/<token>/status")
@login_required_page
def import_status(token: str):
    """The job's state and progress for the page's script (JSON)."""
    actor = _admin()
    job = jobs.get(engine(), actor, token, request_now())
    return jsonify({"status": job["status"], "stage": job["stage"], "done": job["done"], "total": job["total"],
                    "busy": job["status"] in BUSY})


def _checked_form(token: str):
    if not PlainForm().validate():
        flash(_("The form has expired; try again."), "error")
        return redirect(url_for(".import_job", token=token), code=303)
    return None


def _refused(e: DomainError, token: str):
    if e.status in (403, 404):
        raise e
    flash(translated_message(e.message_code, e.params, e.message), "error")
    return redirect(url_for(".import_job", token=token), code=303)


@bp.route("/admin/imports/<token>/dry-run", methods=["POST"])
@login_required_page
def import_rerun(token: str):
    actor = _admin()
    if (expired := _checked_form(token)) is not None:
        return expired
    try:
        jobs.rerun(current_app._get_current_object(), actor, token, request_now())
    except DomainError as e:
        return _refused(e, token)
    return redirect(url_for(".import_job", token=token), code=303)


@bp.route("/admin/imports/<token>/commit", methods=["POST"])
@login_required_page
def import_commit(token: str):
    actor = _admin()
    if (expired := _checked_form(token)) is not None:
        return expired
    try:
        jobs.commit(current_app._get_current_object(), actor, token, request_now())
    except DomainError as e:
        return _refused(e, token)
    return redirect(url_for(".import_job", token=token), code=303)


@bp.route("/admin/imports/<token>/names", methods=["POST"])
@login_required_page
def import_names(token: str):
    """Remembers the choices made for unmatched names (fields ``kind_N``, ``name_N``, ``target_N``: a code, "+"
    for a new item, empty to leave the name unmatched), then runs the dry run again."""
    actor = _admin()
    if (expired := _checked_form(token)) is not None:
        return expired
    app = current_app._get_current_object()
    job = jobs.get(engine(), actor, token, request_now())
    planned = _report_view(job["report"])["planned"]
    chosen = 0
    try:
        for n in range(1, 501):
            kind, name = request.form.get(f"kind_{n}"), request.form.get(f"name_{n}")
            if kind is None or name is None:
                break
            target = (request.form.get(f"target_{n}") or "").strip()
            if not target:
                continue
            aliases.choose(engine(), actor, kind, name, None if target == "+" else target, request_now(),
                           planned=planned)
            chosen += 1
        if chosen:
            jobs.rerun(app, actor, token, request_now())
    except DomainError as e:
        return _refused(e, token)
    if chosen:
        flash(_("%(count)s choices are remembered; the dry run runs again.", count=chosen), "success")
    else:
        flash(_("No name was chosen."), "info")
    return redirect(url_for(".import_job", token=token), code=303)


@bp.route("/admin/imports/<token>/rejected.xlsx")
@login_required_page
def import_rejected(token: str):
    """Every rejected row of the job's last report as a workbook: file, sheet, row, column, reason and the row's
    cells as the file has them."""
    actor = _admin()
    job = jobs.get(engine(), actor, token, request_now())
    shown = _report_view(job["report"])["rejected"]
    cells = {}
    try:
        for name, data in jobs.kept_files(engine(), actor, token, request_now()):
            for sheet, rows in raw_tables(data, name):
                cells[(name, sheet)] = rows
    except DomainError:
        cells = {}  # a file gone or changed: the rows without their cells
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"in_memory": True})
    sheet = book.add_worksheet(_("Rejected rows")[:31])
    bold = book.add_format({"bold": True})
    heads = [_("File"), _("Sheet"), _("Row"), _("Column"), _("Reason"), _("The row in the file")]
    sheet.write_row(0, 0, heads, bold)
    for n, r in enumerate(shown, 1):
        rows = cells.get((r["file"], r["sheet"]), [])
        original = ""
        if r["row"] and r["row"] <= len(rows):
            original = " | ".join("" if c is None else str(c) for c in rows[r["row"] - 1]).rstrip(" |")
        sheet.write_row(n, 0, [r["file"], r["sheet"], r["row"] or "", r["column"] or "", r["reason"], original])
    sheet.set_column(0, 1, 18)
    sheet.set_column(4, 5, 60)
    book.close()
    name = f"rejected-{token[:8]}.xlsx"
    return Response(out.getvalue(), mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


@bp.route("/admin/import-names")
@login_required_page
def import_aliases():
    actor = _admin()
    return render_template("admin_import_aliases.html", aliases=aliases.remembered(engine(), actor),
                           form=PlainForm(formdata=None))


@bp.route("/admin/import-names/<int:alias_id>/delete", methods=["POST"])
@login_required_page
def import_alias_delete(alias_id: int):
    actor = _admin()
    if not PlainForm().validate():
        flash(_("The form has expired; try again."), "error")
    else:
        aliases.remove(engine(), actor, alias_id, request_now())
        flash(_("The choice is forgotten: the name is unmatched at the next dry run."), "success")
    return redirect(url_for(".import_aliases"), code=303)
