"""JSON API of the auditor's side under /api/v1: reports (JSON, or CSV / XLSX / PDF with ``format``),
export jobs (the same files made in the background), their settings, and rotation tasks."""
from flask import request, url_for
from flask.views import MethodView
from flask_babel import get_locale
from werkzeug.datastructures import MultiDict
from marshmallow import INCLUDE, Schema, fields, validate

from accounts.auth import require_actor
from audit import exports, jobs, rotation, settings, web
from audit.models import ROTATION_ACTIONS, TASK_STATUSES
from common.api import Blueprint
from common.errors import InvalidInput, NotFound
from common.web import engine, request_now, request_today
from inventory.schemas import MovementSchema

blp = Blueprint("audit_api", __name__, url_prefix="/api/v1",
                description="Auditor's reports and their exports, report settings, rotation tasks")


class TaskSchema(Schema):
    lot = fields.Str(required=True, metadata={"description": "the lot's code"})
    action = fields.Str(validate=validate.OneOf(ROTATION_ACTIONS),
                        metadata={"description": "left out: the rotation report's suggestion"})
    to_depot = fields.Str(metadata={"description": "for a move: the depot to move the units to"})
    quantity = fields.Int(validate=validate.Range(min=1), metadata={"description": "left out: the whole lot"})
    note = fields.Str(validate=validate.Length(max=500))


class TaskResultSchema(Schema):
    """A rotation task as the service writes it (documentation only)."""

    class Meta:
        unknown = INCLUDE

    id = fields.Int()
    reference = fields.Str(metadata={"description": "ROT-<id>: the ledger lines of a done task refer to it"})
    lot = fields.Str()
    item = fields.Str()
    item_name = fields.Str()
    item_name_en = fields.Str()
    unit = fields.Str()
    depot = fields.Str()
    depot_name = fields.Str()
    expires_on = fields.Date(allow_none=True)
    action = fields.Str(metadata={"description": ", ".join(ROTATION_ACTIONS)})
    to_depot = fields.Str(allow_none=True, metadata={"description": "for a move: where the units go"})
    quantity = fields.Int(allow_none=True, metadata={"description": "null: the whole lot"})
    status = fields.Str(metadata={"description": ", ".join(TASK_STATUSES)})
    note = fields.Str(allow_none=True)
    proposed_by = fields.Str(allow_none=True)
    proposed_at = fields.DateTime(allow_none=True)
    accepted_by = fields.Str(allow_none=True)
    accepted_at = fields.DateTime(allow_none=True)
    done_by = fields.Str(allow_none=True)
    done_at = fields.DateTime(allow_none=True)
    done_quantity = fields.Int(allow_none=True)
    entries = fields.List(fields.Nested(MovementSchema), metadata={"description": "done: the ledger lines written"})


class TaskQuery(Schema):
    status = fields.Str(validate=validate.OneOf(TASK_STATUSES))


class SettingsSchema(Schema):
    expiry_windows = fields.List(fields.Int())
    reserve_share_percent = fields.Float()
    reserve_people = fields.Int(allow_none=True)
    reserve_days = fields.Int(allow_none=True)
    kit_quantities = fields.Dict(keys=fields.Str(), values=fields.Int())
    rotation_move_min_days = fields.Int()
    rotation_issue_lookback_days = fields.Int()


@blp.route("/reports/settings")
class ReportSettings(MethodView):
    @blp.response(200, SettingsSchema)
    def get(self):
        """The report settings: expiry windows, the reserve target's share and people, kit quantities"""
        require_actor()
        return settings.read(engine())

    @blp.arguments(SettingsSchema)
    @blp.response(200, SettingsSchema)
    @blp.errors(403)
    def patch(self, changes):
        """Change report settings (administrators)"""
        return settings.update(engine(), require_actor(), changes)


REPORT_FILES = {fmt: mime.split(";")[0] for fmt, mime in web.MIME.items()}


def _report_doc(view):
    view = blp.alt_response(200, success=True, content_type="application/json", description="the report", schema={
        "type": "object", "description": "the report's rows and totals; each report has its own"})(view)
    for fmt, content_type in REPORT_FILES.items():
        view = blp.alt_response(200, success=True, content_type=content_type, description=f"format={fmt}: the file",
                                schema={"type": "string", "format": "binary"})(view)
    return blp.doc(parameters=[{"in": "query", "name": "format", "required": False, "schema": {
        "type": "string", "enum": ["json", *REPORT_FILES], "default": "json"}},
        {"in": "query", "name": "encoding", "required": False, "description": "CSV: utf-8 (with a BOM) or gbk (GB18030)",
         "schema": {"type": "string", "enum": list(exports.ENCODINGS), "default": "utf-8"}}])(view)


@blp.route("/reports/<name>")
@_report_doc
@blp.errors(403, 404, 422)
def report(name):
    """A report: expiry, rotation, sufficiency, stock-card, ledger or write-offs.

    Filters in the query: depot, subtree=1, tier, category, item, start, end (YYYY-MM-DD, county dates);
    expiry: windows=30,60,90; sufficiency: share (percent), people; stock-card: lot, or depot and item;
    ledger: limit (JSON only; exports hold every line). `format=csv|xlsx|pdf` answers with the file
    (`encoding=utf-8|gbk` for CSV; a CSV holds every table of the report, each a section with its title row).
    Long exports: POST /exports runs them in the background."""
    if name not in web.REPORTS:
        raise NotFound(f"no report {name}; reports: {', '.join(web.REPORTS)}", field="report")
    actor = require_actor()
    fmt = request.args.get("format", "json")  # exactly as documented: `format=` or `format=CSV` is refused
    if "encoding" in request.args:
        exports.check_encoding(request.args["encoding"])
    if fmt == "json":
        return web.jsonable(web.run(name, request.args, actor))
    if fmt not in ("csv", "xlsx", "pdf"):
        raise InvalidInput(f"format must be json, csv, xlsx or pdf, got {fmt!r}", field="format")
    return web.export(name, request.args, actor, fmt)


class ExportFilters(Schema):
    """A report's filters, as in the query string of GET /reports/<name>."""

    depot = fields.Str()
    subtree = fields.Str(metadata={"description": "1: the depot and every depot under it"})
    tier = fields.Str()
    category = fields.Str()
    item = fields.Str()
    lot = fields.Str(metadata={"description": "stock-card"})
    start = fields.Str(metadata={"description": "YYYY-MM-DD"})
    end = fields.Str(metadata={"description": "YYYY-MM-DD"})
    windows = fields.Str(metadata={"description": "expiry: days, e.g. 30,60,90"})
    share = fields.Str(metadata={"description": "sufficiency: percent"})
    people = fields.Str(metadata={"description": "sufficiency"})


class ExportStartSchema(Schema):
    report = fields.Str(required=True, validate=validate.OneOf(web.REPORTS))
    format = fields.Str(required=True, validate=validate.OneOf(exports.FORMATS))
    encoding = fields.Str(metadata={"enum": list(exports.ENCODINGS), "description": (
        "CSV only: utf-8 (with a BOM; the default) or gbk (written as GB18030); anything else is a 400"), })
    filters = fields.Nested(ExportFilters, metadata={"description": "the report's filters"})


class ExportJobSchema(Schema):
    """An export job (documentation only)."""

    class Meta:
        unknown = INCLUDE

    token = fields.Str()
    report = fields.Str()
    format = fields.Str()
    encoding = fields.Str(allow_none=True)
    query = fields.Str(metadata={"description": "the report's filters as a query string"})
    status = fields.Str(metadata={"description": "queued, running, done or failed"})
    stage = fields.Str(metadata={"description": "rows: done/total count rows written (CSV, XLSX); a PDF counts rows "
                                                "laid out (layout), then pages written (pages)"})
    done = fields.Int()
    total = fields.Int(allow_none=True)
    error = fields.Str(allow_none=True)
    file_name = fields.Str(allow_none=True)
    size = fields.Int(allow_none=True)
    created_at = fields.DateTime()
    finished_at = fields.DateTime(allow_none=True)
    expires_at = fields.DateTime(metadata={"description": "the file is removed after this"})
    url = fields.Str()
    file_url = fields.Str(allow_none=True, metadata={"description": "when done: where to download the file"})


class ExportListQuery(Schema):
    report = fields.Str(validate=validate.OneOf(web.REPORTS))


def _job(job: dict) -> dict:
    out = web.jsonable(job)
    out["url"] = url_for("audit_api.ExportJob", token=job["token"])
    out["file_url"] = url_for("audit_api.export_job_file", token=job["token"]) if job["status"] == "done" else None
    return out


@blp.route("/exports")
class ExportJobs(MethodView):
    @blp.arguments(ExportListQuery, location="query")
    @blp.alt_response(200, schema=ExportJobSchema(many=True), success=True, description="your export jobs")
    def get(self, args):
        """Your export jobs whose files are kept, newest first"""
        return [_job(j) for j in jobs.recent(engine(), require_actor(), request_now(), report=args.get("report"))]

    @blp.arguments(ExportStartSchema)
    @blp.alt_response(202, schema=ExportJobSchema, success=True, description="the job, started")
    @blp.errors(403, 404, 503)
    def post(self, data):
        """Start an export of a report in the background; poll its url, then download its file_url"""
        args = MultiDict(data.get("filters") or {})
        if "encoding" in data:
            args["encoding"] = data["encoding"]
        job = jobs.start(engine(), require_actor(), data["report"], data["format"], args, get_locale(), request_now())
        return _job(job), 202


@blp.route("/exports/<token>")
class ExportJob(MethodView):
    @blp.alt_response(200, schema=ExportJobSchema, success=True, description="the job and its progress")
    @blp.errors(404)
    def get(self, token):
        """One of your export jobs: its state and progress"""
        return _job(jobs.get(engine(), require_actor(), token, request_now()))


@blp.route("/exports/<token>/file")
@blp.doc(responses={"200": {"description": "the file (CSV: charset utf-8 or gb18030)", "content": {
    mime: {"schema": {"type": "string", "format": "binary"}} for mime in REPORT_FILES.values()}}})
@blp.errors(404, 409)
def export_job_file(token):
    """The file of one of your finished export jobs (409 while it runs or when it failed)"""
    path, name, mime = jobs.file_of(engine(), require_actor(), token, request_now())
    return web.file_response(path, name, mime)


@blp.route("/rotation/tasks")
class Tasks(MethodView):
    @blp.arguments(TaskQuery, location="query")
    @blp.alt_response(200, schema=TaskResultSchema(many=True), success=True, description="the tasks")
    def get(self, args):
        """Rotation tasks, newest first (keepers: their depots')"""
        return web.jsonable(rotation.list_tasks(engine(), require_actor(), **args))

    @blp.arguments(TaskSchema)
    @blp.alt_response(201, schema=TaskResultSchema, success=True, description="the task proposed")
    @blp.errors(403, 404, 409)
    def post(self, data):
        """Propose a rotation task for a lot (administrators, keepers of its depot)"""
        task = rotation.propose(engine(), require_actor(), request_now(), request_today(), **data)
        return web.jsonable(task), 201


@blp.route("/rotation/tasks/<int:task_id>")
@blp.alt_response(200, schema=TaskResultSchema, success=True, description="the task")
@blp.errors(403, 404)
def task(task_id):
    """One rotation task"""
    return web.jsonable(rotation.get_task(engine(), require_actor(), task_id))


@blp.route("/rotation/tasks/<int:task_id>/accept", methods=["POST"])
@blp.alt_response(200, schema=TaskResultSchema, success=True, description="the task, accepted")
@blp.errors(403, 404, 409)
def accept(task_id):
    """Accept a proposed task (administrators, keepers of the lot's depot)"""
    return web.jsonable(rotation.accept(engine(), require_actor(), request_now(), task_id))


@blp.route("/rotation/tasks/<int:task_id>/done", methods=["POST"])
@blp.alt_response(200, schema=TaskResultSchema, success=True, description="the task, done, with its ledger lines")
@blp.errors(403, 404, 409)
def done(task_id):
    """Mark an accepted task done: its units leave through the ledger with reference ROT-<id>"""
    return web.jsonable(rotation.complete(engine(), require_actor(), request_now(), request_today(), task_id))
