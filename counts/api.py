"""JSON API of count sessions under /api/v1/counts: a thin edge over ``counts.services``.

Keepers start, count and sign at their own depots; administrators too, and close as the supervisor;
dispatchers and auditors read."""
from flask import request
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from accounts.auth import require_actor
from common.api import Blueprint
from common.web import engine, request_now, request_today
from counts import rules, services
from counts.models import SCOPES, STATUSES
from inventory.models import CATEGORIES

blp = Blueprint("counts_api", __name__, url_prefix="/api/v1",
                description="Count sessions (盘点单): counting lot by lot, the variance sheet, sign-off and close")

Count = lambda **kw: fields.Int(strict=True, validate=validate.Range(0, rules.MAX_QUANTITY), **kw)  # noqa: E731


class NewCountSchema(Schema):
    depot = fields.Str(required=True, validate=validate.Length(min=1, max=32))
    scope = fields.Str(load_default="depot", validate=validate.OneOf(SCOPES))
    category = fields.Str(validate=validate.OneOf(CATEGORIES), metadata={"description": "for scope category"})
    shelves = fields.List(fields.Str(validate=validate.Length(min=1, max=16)), validate=validate.Length(max=50),
                          metadata={"description": "for scope shelves: shelf codes"})
    note = fields.Str(allow_none=True, validate=validate.Length(max=500))


class CountQuery(Schema):
    status = fields.Str(validate=validate.OneOf(STATUSES))
    depot = fields.Str(validate=validate.Length(min=1, max=32))


class RecordCountSchema(Schema):
    lot = fields.Str(required=True, validate=validate.Length(min=1, max=48))
    counted = Count(required=True, metadata={"description": "units found on the shelf"})


class LeaveOutSchema(Schema):
    lot = fields.Str(required=True, validate=validate.Length(min=1, max=48))
    reason = fields.Str(required=True, validate=validate.Length(min=1, max=200))


class BlindSchema(Schema):
    blind = fields.Bool(required=True, metadata={"description": "new sessions hide the expected quantities"})


class TotalsSchema(Schema):
    lots = fields.Int()
    counted = fields.Int()
    left_out = fields.Int()
    missing = fields.Int()


class CountLineSchema(Schema):
    lot = fields.Str()
    item = fields.Str()
    item_name = fields.Str()
    item_name_en = fields.Str()
    unit = fields.Str()
    expires_on = fields.Date(allow_none=True)
    shelf = fields.Str(allow_none=True, metadata={"description": "the shelf the lot stands on now"})
    state = fields.Str(metadata={"description": "missing, counted or left_out"})
    expected = fields.Int(allow_none=True, metadata={
        "description": "the ledger's balance when counted (not yet counted: now); null while a blind count hides it"})
    balance_at_count = fields.Int(allow_none=True)
    last_line_at_count = fields.Int(allow_none=True, metadata={"description": "the lot's last ledger line then"})
    counted = fields.Int(allow_none=True)
    counted_by = fields.Str(allow_none=True)
    counted_at = fields.DateTime(allow_none=True)
    recounts = fields.Int()
    left_out = fields.Bool()
    left_out_reason = fields.Str(allow_none=True)
    adjustment = fields.Int(allow_none=True, metadata={"description": "the count line the close wrote"})
    adjustment_line_id = fields.Int(allow_none=True)


class RecordedLineSchema(CountLineSchema):
    replayed = fields.Bool(metadata={"description": "a repeat of an Idempotency-Key: nothing was recorded again"})


class VarianceLineSchema(CountLineSchema):
    difference = fields.Int(metadata={"description": "counted − expected: what the close writes"})
    moved_since = fields.Int(metadata={"description": "what the ledger recorded after the count"})
    after_close = fields.Int()


class VarianceItemSchema(Schema):
    item = fields.Str()
    item_name = fields.Str()
    item_name_en = fields.Str()
    unit = fields.Str()
    lots = fields.Int()
    expected = fields.Int()
    counted = fields.Int()
    difference = fields.Int()


class CountSessionSchema(Schema):
    id = fields.Int()
    reference = fields.Str(metadata={"description": "PD-<id>, on every ledger line the close writes"})
    depot = fields.Str()
    depot_name = fields.Str()
    scope = fields.Str()
    category = fields.Str(allow_none=True)
    shelves = fields.List(fields.Str())
    blind = fields.Bool()
    status = fields.Str()
    note = fields.Str(allow_none=True)
    started_by = fields.Str()
    started_at = fields.DateTime()
    keeper_signed_by = fields.Str(allow_none=True)
    keeper_signed_name = fields.Str(allow_none=True)
    keeper_signed_at = fields.DateTime(allow_none=True)
    supervisor_signed_by = fields.Str(allow_none=True)
    supervisor_signed_name = fields.Str(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)
    cancelled_by = fields.Str(allow_none=True)
    cancelled_at = fields.DateTime(allow_none=True)
    totals = fields.Nested(TotalsSchema)
    expected_shown = fields.Bool()


class CountSessionWithLinesSchema(CountSessionSchema):
    lines = fields.List(fields.Nested(CountLineSchema))


class VarianceSchema(CountSessionSchema):
    lines = fields.List(fields.Nested(VarianceLineSchema))
    items = fields.List(fields.Nested(VarianceItemSchema))


@blp.route("/counts")
class Counts(MethodView):
    @blp.arguments(CountQuery, location="query")
    @blp.errors(403, 404, 409)
    @blp.response(200, CountSessionSchema(many=True))
    def get(self, args):
        """Count sessions, newest first (keepers: of their depots)"""
        return services.list_sessions(engine(), require_actor(), **args)

    @blp.arguments(NewCountSchema)
    @blp.errors(403, 404, 409)
    @blp.response(201, CountSessionWithLinesSchema)
    def post(self, data):
        """Start a count of a depot, of a category or of shelves (administrators, keepers of the depot)"""
        return services.start(engine(), require_actor(), request_now(), **data)


@blp.route("/counts/settings")
class CountSettings(MethodView):
    @blp.errors(403, 404, 409)
    @blp.response(200, BlindSchema)
    def get(self):
        """Whether new count sessions are blind"""
        require_actor()
        return {"blind": services.blind_counts(engine())}

    @blp.arguments(BlindSchema)
    @blp.errors(403, 404, 409)
    @blp.response(200, BlindSchema)
    def put(self, data):
        """Make new count sessions blind or not (administrators)"""
        return {"blind": services.set_blind_counts(engine(), require_actor(), data["blind"])}


@blp.route("/counts/<int:count_id>")
@blp.errors(403, 404, 409)
@blp.response(200, CountSessionWithLinesSchema)
def one(count_id):
    """One count session with every lot it counts"""
    return services.get(engine(), require_actor(), count_id)


@blp.route("/counts/<int:count_id>/lines", methods=["POST"])
@blp.arguments(RecordCountSchema)
@blp.errors(403, 404, 409)
@blp.response(200, RecordedLineSchema)
def record(data, count_id):
    """Record what was counted of a lot (a recount replaces it); nothing reaches the ledger before the close.

    Send an `Idempotency-Key` header so that a retry after a lost answer records nothing again (the recount
    counter included) and answers with the line as it stands, `replayed` true."""
    return services.record_count(engine(), require_actor(), request_now(), count_id, **data,
                                 idempotency_key=request.headers.get("Idempotency-Key"))


@blp.route("/counts/<int:count_id>/left-out", methods=["POST"])
@blp.arguments(LeaveOutSchema)
@blp.errors(403, 404, 409)
@blp.response(200, RecordedLineSchema)
def leave_out(data, count_id):
    """Leave a lot out of this count, with the reason (an `Idempotency-Key` header works as for a count)"""
    return services.leave_out(engine(), require_actor(), request_now(), count_id, **data,
                              idempotency_key=request.headers.get("Idempotency-Key"))


@blp.route("/counts/<int:count_id>/variance")
@blp.errors(403, 404, 409)
@blp.response(200, VarianceSchema)
def variance(count_id):
    """The variance sheet (empty lines while a blind count still misses lots)"""
    return services.variance(engine(), require_actor(), count_id)


@blp.route("/counts/<int:count_id>/keeper-sign", methods=["POST"])
@blp.errors(403, 404, 409)
@blp.response(200, CountSessionWithLinesSchema)
def keeper_sign(count_id):
    """The keeper signs the variance sheet (every lot counted or left out)"""
    return services.sign_as_keeper(engine(), require_actor(), request_now(), count_id)


@blp.route("/counts/<int:count_id>/close", methods=["POST"])
@blp.errors(403, 404, 409)
@blp.response(200, CountSessionWithLinesSchema)
def close(count_id):
    """The supervisor (an administrator other than the keeper who signed) signs and closes: every adjustment
    enters the ledger at once as count lines with reference PD-<id>"""
    return services.close(engine(), require_actor(), request_now(), request_today(), count_id)


@blp.route("/counts/<int:count_id>/cancel", methods=["POST"])
@blp.errors(403, 404, 409)
@blp.response(200, CountSessionWithLinesSchema)
def cancel(count_id):
    """Cancel an open count; nothing is written to the ledger"""
    return services.cancel(engine(), require_actor(), request_now(), count_id)
