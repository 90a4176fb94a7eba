"""JSON API of daily transfer requests (日常调拨申请) under /api/v1/transfer-requests: a thin edge over
``orders.requests``. Keepers of a town station or village point request from a depot above it; dispatchers and
administrators approve (into a transfer order, lots first-expiry-first-out) or reject; the requester withdraws.
Every action takes an `Idempotency-Key` header: a retry does nothing again and answers `replayed` true."""
from flask import request
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from accounts.auth import require_actor
from common.api import Blueprint
from common.web import engine, request_now, request_today
from orders import requests as service
from orders import rules
from orders.models import REQUEST_STATUSES

blp = Blueprint("transfer_requests_api", __name__, url_prefix="/api/v1",
                description="Daily transfer requests (日常调拨申请) and their approval into transfer orders")


def _key():
    return request.headers.get("Idempotency-Key")


class TransferRequestLineInSchema(Schema):
    item = fields.Str(required=True, validate=validate.Length(min=1, max=32))
    quantity = fields.Int(required=True, strict=True, validate=validate.Range(1, rules.MAX_QUANTITY))


class NewTransferRequestSchema(Schema):
    depot = fields.Str(required=True, validate=validate.Length(min=1, max=32),
                       metadata={"description": "the requesting town station or village point (the destination)"})
    source = fields.Str(required=True, validate=validate.Length(min=1, max=32),
                        metadata={"description": "a depot above it: its town station or the county depot"})
    lines = fields.List(fields.Nested(TransferRequestLineInSchema), required=True,
                        validate=validate.Length(min=1, max=service.MAX_LINES))
    reason = fields.Str(required=True, validate=validate.Length(min=1, max=500))
    wanted_by = fields.Date(required=True, metadata={"description": "today or later"})


class TransferRequestQuery(Schema):
    status = fields.Str(validate=validate.OneOf(REQUEST_STATUSES))
    depot = fields.Str(validate=validate.Length(min=1, max=32), metadata={"description": "as requester or source"})
    mine = fields.Bool(load_default=False, metadata={"description": "only the requests the caller made"})
    limit = fields.Int(load_default=100, validate=validate.Range(1, service.MAX_PAGE))
    offset = fields.Int(load_default=0, validate=validate.Range(0, 2**31 - 1))


class TransferRequestGrantSchema(Schema):
    item = fields.Str(required=True, validate=validate.Length(min=1, max=32))
    quantity = fields.Int(required=True, strict=True, validate=validate.Range(0, rules.MAX_QUANTITY),
                          metadata={"description": "units granted, at most those asked; 0 leaves the item out"})


class TransferRequestApproveSchema(Schema):
    lines = fields.List(fields.Nested(TransferRequestGrantSchema), load_default=None, allow_none=True,
                        validate=validate.Length(max=service.MAX_LINES),
                        metadata={"description": "optional: fewer units than asked per item (the rest as asked)"})
    note = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=500),
                      metadata={"description": "required when fewer units than asked are granted"})


class TransferRequestRejectSchema(Schema):
    reason = fields.Str(required=True, validate=validate.Length(min=1, max=500))


class TransferRequestLineSchema(Schema):
    item = fields.Str()
    item_name = fields.Str()
    item_name_en = fields.Str()
    unit = fields.Str()
    quantity = fields.Int(metadata={"description": "asked"})
    granted = fields.Int(allow_none=True, metadata={"description": "put on the order by the approval"})
    available = fields.Int(allow_none=True, metadata={
        "description": "while pending: the source's usable units not yet promised to open orders"})


class TransferRequestSchema(Schema):
    id = fields.Int()
    code = fields.Str(metadata={"description": "RQ-<id>"})
    status = fields.Str(metadata={"description": ", ".join(REQUEST_STATUSES)})
    depot = fields.Str()
    depot_name = fields.Str()
    source = fields.Str()
    source_name = fields.Str()
    reason = fields.Str()
    wanted_by = fields.Date()
    requested_by = fields.Str()
    requested_at = fields.DateTime()
    decided_by = fields.Str(allow_none=True, metadata={"description": "who approved, rejected or withdrew it"})
    decided_at = fields.DateTime(allow_none=True)
    decision_note = fields.Str(allow_none=True, metadata={"description": "why rejected, or why fewer units"})
    order = fields.Str(allow_none=True, metadata={"description": "the transfer order an approval made (DO-…)"})
    order_state = fields.Str(allow_none=True)
    lines = fields.List(fields.Nested(TransferRequestLineSchema))


class TransferRequestAnsweredSchema(TransferRequestSchema):
    replayed = fields.Bool(metadata={"description": "a repeat of an Idempotency-Key: nothing was done again"})


class TransferRequestPageSchema(Schema):
    total = fields.Int()
    requests = fields.List(fields.Nested(TransferRequestSchema))


@blp.route("/transfer-requests")
class Requests(MethodView):
    @blp.arguments(TransferRequestQuery, location="query")
    @blp.errors(403, 404, 409)
    @blp.response(200, TransferRequestPageSchema)
    def get(self, args):
        """Transfer requests, pending first (keepers: of their depots, as requester or source)"""
        return service.list_requests(engine(), require_actor(), request_today(), **args)

    @blp.arguments(NewTransferRequestSchema)
    @blp.errors(403, 404, 409)
    @blp.response(201, TransferRequestAnsweredSchema)
    @blp.alt_response(200, schema=TransferRequestAnsweredSchema, description="a repeat of an Idempotency-Key: the first answer")
    def post(self, data):
        """Request supplies from a depot above (keepers of the requesting depot, administrators)"""
        result = service.create(engine(), require_actor(), request_now(), request_today(), **data,
                                idempotency_key=_key())
        return result, 200 if result["replayed"] else 201


@blp.route("/transfer-requests/<int:request_id>")
@blp.errors(403, 404, 409)
@blp.response(200, TransferRequestSchema)
def one(request_id):
    """One transfer request with its lines"""
    return service.get(engine(), require_actor(), request_today(), request_id)


@blp.route("/transfer-requests/<int:request_id>/approve", methods=["POST"])
@blp.arguments(TransferRequestApproveSchema)
@blp.errors(403, 404, 409)
@blp.response(200, TransferRequestAnsweredSchema)
def approve(data, request_id):
    """Approve a pending request into a transfer order (dispatchers, administrators), lots first-expiry-first-out;
    409 when the source has fewer usable units than granted"""
    return service.approve(engine(), require_actor(), request_now(), request_today(), request_id, **data,
                           idempotency_key=_key())


@blp.route("/transfer-requests/<int:request_id>/reject", methods=["POST"])
@blp.arguments(TransferRequestRejectSchema)
@blp.errors(403, 404, 409)
@blp.response(200, TransferRequestAnsweredSchema)
def reject(data, request_id):
    """Reject a pending request, saying why (dispatchers, administrators)"""
    return service.reject(engine(), require_actor(), request_now(), request_today(), request_id,
                          reason=data["reason"], idempotency_key=_key())


@blp.route("/transfer-requests/<int:request_id>/withdraw", methods=["POST"])
@blp.errors(403, 404, 409)
@blp.response(200, TransferRequestAnsweredSchema)
def withdraw(request_id):
    """Withdraw a pending request (only the one who made it)"""
    return service.withdraw(engine(), require_actor(), request_now(), request_today(), request_id,
                            idempotency_key=_key())
