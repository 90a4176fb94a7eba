"""JSON API of the auditor's side under /api/v1: reports (JSON, or CSV / XLSX / PDF with ``format``),
their settings, and rotation tasks."""
from flask import request
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from accounts.auth import require_actor
from audit import rotation, settings, web
from audit.models import ROTATION_ACTIONS, TASK_STATUSES
from common.api import Blueprint
from common.errors import InvalidInput, NotFound
from common.web import engine, request_now, request_today

blp = Blueprint("audit_api", __name__, url_prefix="/api/v1",
                description="Auditor's reports and their exports, report settings, rotation tasks")


class TaskSchema(Schema):
    lot = fields.Str(required=True, metadata={"description": "the lot's code"})
    action = fields.Str(validate=validate.OneOf(ROTATION_ACTIONS),
                        metadata={"description": "left out: the rotation report's suggestion"})
    to_depot = fields.Str(metadata={"description": "for a move: the depot to move the units to"})
    quantity = fields.Int(validate=validate.Range(min=1), metadata={"description": "left out: the whole lot"})
    note = fields.Str(validate=validate.Length(max=500))


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
    def patch(self, changes):
        """Change report settings (administrators)"""
        return settings.update(engine(), require_actor(), changes)


@blp.route("/reports/<name>")
def report(name):
    """A report: expiry, rotation, sufficiency, stock-card, ledger or write-offs.

    Filters in the query: depot, subtree=1, tier, category, item, start, end (YYYY-MM-DD, county dates);
    expiry: windows=30,60,90; sufficiency: share (percent), people; stock-card: lot, or depot and item;
    ledger: limit (JSON only; exports hold every line). `format=csv|xlsx|pdf` answers with the file."""
    if name not in web.REPORTS:
        raise NotFound(f"no report {name}; reports: {', '.join(web.REPORTS)}", field="report")
    actor = require_actor()
    fmt = (request.args.get("format") or "json").strip().lower()
    if fmt == "json":
        return web.jsonable(web.run(name, request.args, actor))
    if fmt not in ("csv", "xlsx", "pdf"):
        raise InvalidInput(f"format must be json, csv, xlsx or pdf, got {fmt!r}", field="format")
    return web.export(name, request.args, actor, fmt)


@blp.route("/rotation/tasks")
class Tasks(MethodView):
    @blp.arguments(TaskQuery, location="query")
    def get(self, args):
        """Rotation tasks, newest first (keepers: their depots')"""
        return web.jsonable(rotation.list_tasks(engine(), require_actor(), **args))

    @blp.arguments(TaskSchema)
    def post(self, data):
        """Propose a rotation task for a lot (administrators, keepers of its depot)"""
        task = rotation.propose(engine(), require_actor(), request_now(), request_today(), **data)
        return web.jsonable(task), 201


@blp.route("/rotation/tasks/<int:task_id>")
def task(task_id):
    """One rotation task"""
    return web.jsonable(rotation.get_task(engine(), require_actor(), task_id))


@blp.route("/rotation/tasks/<int:task_id>/accept", methods=["POST"])
def accept(task_id):
    """Accept a proposed task (administrators, keepers of the lot's depot)"""
    return web.jsonable(rotation.accept(engine(), require_actor(), request_now(), task_id))


@blp.route("/rotation/tasks/<int:task_id>/done", methods=["POST"])
def done(task_id):
    """Mark an accepted task done: its units leave through the ledger with reference ROT-<id>"""
    return web.jsonable(rotation.complete(engine(), require_actor(), request_now(), request_today(), task_id))
