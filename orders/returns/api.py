"""JSON API of returns (回收) under /api/v1: a thin edge over ``orders.returns.service``.

What is still out per incident, site and durable item; a keeper receives a return into their depot by scanning
the lot's label and inspects it (restocked or damaged); a dispatcher declares units that will not come back.
Every action takes an `Idempotency-Key` header: a retry does nothing again and answers `replayed` true."""
from flask import request
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from accounts.auth import require_actor
from common.api import Blueprint
from common.web import engine, request_now, request_today
from orders import rules as order_rules
from orders.returns import service
from orders.returns.vocab import STATUSES

blp = Blueprint("returns_api", __name__, url_prefix="/api/v1",
                description="Returns (回收) of durable equipment after an incident")

Quantity = lambda **kw: fields.Int(strict=True, validate=validate.Range(0, order_rules.MAX_QUANTITY), **kw)  # noqa: E731


def _key():
    return request.headers.get("Idempotency-Key")


class StillOutRowSchema(Schema):
    site_kind = fields.Str(metadata={"description": "depot (a village point…) or shelter"})
    site = fields.Str()
    site_name = fields.Str()
    item = fields.Str()
    item_name = fields.Str()
    item_name_en = fields.Str()
    unit = fields.Str()
    sent = fields.Int(metadata={"description": "received or delivered there by the incident's orders"})
    returned = fields.Int(metadata={"description": "received back into a depot (inspected or not)"})
    released = fields.Int(metadata={"description": "declared by a dispatcher as not coming back"})
    still_out = fields.Int(metadata={"description": "sent − returned − released"})
    lots = fields.List(fields.Str(), metadata={"description": "the lots sent: the labels scanned on return"})


class StillOutSchema(Schema):
    incident = fields.Int()
    title = fields.Str()
    rows = fields.List(fields.Nested(StillOutRowSchema))
    still_out = fields.Int(metadata={"description": "all units still out"})
    awaiting_inspection = fields.Int(metadata={"description": "returns received but not inspected yet"})


class NewReturnSchema(Schema):
    site = fields.Str(required=True, validate=validate.Length(min=1, max=48),
                      metadata={"description": "the depot or shelter code the units come back from"})
    lot = fields.Str(required=True, validate=validate.Length(min=1, max=48), metadata={
        "description": "the lot label scanned: the lot they were shipped from, or the village point's lot"})
    quantity = Quantity(required=True)
    depot = fields.Str(required=True, validate=validate.Length(min=1, max=48),
                       metadata={"description": "the depot receiving them (the keeper's own)"})
    note = fields.Str(allow_none=True, validate=validate.Length(max=200))


class InspectSchema(Schema):
    restocked = Quantity(required=True, metadata={"description": "usable units: they become stock"})
    damaged = Quantity(load_default=0, metadata={"description": "units to write off (a request is made for them)"})
    damage_reason = fields.Str(allow_none=True, validate=validate.Length(max=200))


class NewReleaseSchema(Schema):
    site = fields.Str(required=True, validate=validate.Length(min=1, max=48))
    item = fields.Str(required=True, validate=validate.Length(min=1, max=48))
    quantity = Quantity(required=True)
    reason = fields.Str(required=True, validate=validate.Length(min=1, max=500))


class WriteOffRefSchema(Schema):
    id = fields.Int()
    reference = fields.Str(metadata={"description": "BS-<id>"})
    status = fields.Str()
    quantity = fields.Int()


class ReturnSchema(Schema):
    id = fields.Int()
    reference = fields.Str(metadata={"description": "HS-<id>: the reference of its ledger lines"})
    incident = fields.Int()
    site_kind = fields.Str()
    site = fields.Str()
    site_name = fields.Str()
    item = fields.Str()
    item_name = fields.Str()
    item_name_en = fields.Str()
    unit = fields.Str()
    origin_lot = fields.Str(metadata={"description": "the lot the orders shipped the units from"})
    lot = fields.Str(metadata={"description": "the lot they enter at the depot"})
    depot = fields.Str()
    depot_name = fields.Str()
    quantity = fields.Int()
    status = fields.Str(metadata={"description": ", ".join(STATUSES)})
    note = fields.Str(allow_none=True)
    received_by = fields.Str()
    received_at = fields.DateTime()
    restocked = fields.Int()
    damaged = fields.Int()
    damage_reason = fields.Str(allow_none=True)
    inspected_by = fields.Str(allow_none=True)
    inspected_at = fields.DateTime(allow_none=True)
    out_line = fields.Int(allow_none=True, metadata={"description": "the transfer_out line at a village point"})
    return_line = fields.Int(allow_none=True, metadata={"description": "the return line written at inspection"})
    write_off = fields.Nested(WriteOffRefSchema, allow_none=True)
    replayed = fields.Bool()


class ReleaseSchema(Schema):
    id = fields.Int()
    incident = fields.Int()
    site_kind = fields.Str()
    site = fields.Str()
    site_name = fields.Str()
    item = fields.Str()
    item_name = fields.Str()
    item_name_en = fields.Str()
    unit = fields.Str()
    quantity = fields.Int()
    reason = fields.Str()
    declared_by = fields.Str()
    declared_at = fields.DateTime()
    replayed = fields.Bool()


class WorklistSchema(Schema):
    incidents = fields.List(fields.Nested(StillOutSchema),
                            metadata={"description": "incidents with durable equipment still out, newest first"})
    awaiting = fields.List(fields.Nested(ReturnSchema), metadata={
        "description": "returns awaiting inspection at the depots you keep (every depot for those who read all)"})


class ReturnsListSchema(Schema):
    incident = fields.Int()
    returns = fields.List(fields.Nested(ReturnSchema))
    releases = fields.List(fields.Nested(ReleaseSchema))


@blp.route("/incidents/<int:incident_id>/still-out")
@blp.errors(403, 404, 409)
@blp.response(200, StillOutSchema)
def still_out(incident_id):
    """Durable equipment the incident's orders left at its sites and that has not come back, per site and item"""
    return service.still_out(engine(), require_actor(), incident_id)


@blp.route("/incidents/<int:incident_id>/returns")
class Returns(MethodView):  # one rule for both methods: an id out of range is then a 404 for either
    @blp.errors(403, 404, 409)
    @blp.response(200, ReturnsListSchema)
    def get(self, incident_id):
        """The incident's returns and the units declared as not coming back"""
        return service.list_returns(engine(), require_actor(), incident_id)

    @blp.arguments(NewReturnSchema)
    @blp.errors(403, 404, 409)
    @blp.response(201, ReturnSchema)
    def post(self, data, incident_id):
        """Receive a return into a depot (its keeper, an administrator): awaiting inspection, no longer out"""
        return service.receive(engine(), require_actor(), request_now(), request_today(), incident_id, **data,
                               idempotency_key=_key())


@blp.route("/returns/worklist")
@blp.errors(403)
@blp.response(200, WorklistSchema)
def worklist():
    """What the scanning page keeps on the phone to receive returns by scan: the incidents with durable equipment
    still out (each as still-out answers) and the returns awaiting inspection at your depots"""
    return service.worklist(engine(), require_actor())


@blp.route("/returns/<int:return_id>")
@blp.errors(403, 404, 409)
@blp.response(200, ReturnSchema)
def one(return_id):
    """One return"""
    return service.get_return(engine(), require_actor(), return_id)


@blp.route("/returns/<int:return_id>/inspect", methods=["POST"])
@blp.arguments(InspectSchema)
@blp.errors(403, 404, 409)
@blp.response(200, ReturnSchema)
def inspect(data, return_id):
    """Inspect a return (the depot's keeper, an administrator): all of it enters the lot (ledger kind return);
    damaged units get a write-off request"""
    return service.inspect(engine(), require_actor(), request_now(), request_today(), return_id, **data,
                           idempotency_key=_key())


@blp.route("/incidents/<int:incident_id>/releases", methods=["POST"])
@blp.arguments(NewReleaseSchema)
@blp.errors(403, 404, 409)
@blp.response(201, ReleaseSchema)
def release(data, incident_id):
    """Declare units that will not come back, with the reason (dispatchers, administrators)"""
    return service.release(engine(), require_actor(), request_now(), incident_id, **data, idempotency_key=_key())
