"""JSON API of write-off requests under /api/v1/write-offs: a thin edge over ``inventory.writeoffs.service``."""
import base64
import binascii

from flask import Response, request
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from accounts.auth import require_actor
from common.api import Blueprint
from common.errors import InvalidInput
from common.web import engine, request_now, request_today
from inventory.models import WRITE_OFF_REQUEST_REASONS, WRITE_OFF_STATUSES
from inventory.schemas import MovementSchema
from inventory.writeoffs import service

blp = Blueprint("writeoffs_api", __name__, url_prefix="/api/v1",
                description="Write-off requests (报损) and their approval (核销)")

MAX_INT = 2 ** 31 - 1


class NewRequestSchema(Schema):
    lot = fields.Str(required=True, validate=validate.Length(min=1, max=48))
    quantity = fields.Int(required=True, strict=True, validate=validate.Range(1, MAX_INT))
    reason = fields.Str(required=True, validate=validate.OneOf(WRITE_OFF_REQUEST_REASONS))
    note = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=500))
    photo = fields.Str(load_default=None, allow_none=True, metadata={
        "description": f"optional: a JPEG or PNG image, base64, at most {service.PHOTO_MAX_BYTES // 2 ** 20} MB"})
    idempotency_key = fields.Str(validate=validate.Length(min=1, max=100), load_default=None,
                                 metadata={"description": "or the Idempotency-Key header"})


class RequestQuery(Schema):
    status = fields.Str(validate=validate.OneOf(WRITE_OFF_STATUSES))
    lot = fields.Str(validate=validate.Length(min=1, max=48))
    depot = fields.Str(validate=validate.Length(min=1, max=32))
    mine = fields.Bool(load_default=False, metadata={"description": "only the requests the caller made"})
    limit = fields.Int(load_default=100, validate=validate.Range(1, service.MAX_PAGE))
    offset = fields.Int(load_default=0, validate=validate.Range(0, MAX_INT))


class ApproveSchema(Schema):
    document_no = fields.Str(required=True, validate=validate.Length(min=1, max=64),
                             metadata={"description": "the approving document number (审批文号)"})


class RejectSchema(Schema):
    reason = fields.Str(required=True, validate=validate.Length(min=1, max=500))


class RequestSchema(Schema):
    id = fields.Int()
    reference = fields.Str(metadata={"description": "BS-<id>: the reference of the ledger line an approval writes"})
    status = fields.Str(metadata={"description": ", ".join(WRITE_OFF_STATUSES)})
    lot = fields.Str()
    item = fields.Str()
    item_name = fields.Str()
    item_name_en = fields.Str()
    unit = fields.Str()
    depot = fields.Str()
    depot_name = fields.Str()
    lot_quantity = fields.Int(metadata={"description": "what the lot holds now (a pending request holds no units)"})
    expires_on = fields.Date(allow_none=True)
    quantity = fields.Int()
    reason = fields.Str()
    note = fields.Str(allow_none=True)
    has_photo = fields.Bool()
    requested_by = fields.Str()
    requested_at = fields.DateTime()
    decided_by = fields.Str(allow_none=True, metadata={"description": "who approved, rejected or withdrew it"})
    decided_at = fields.DateTime(allow_none=True)
    document_no = fields.Str(allow_none=True, metadata={"description": "审批文号 of an approval"})
    decision_note = fields.Str(allow_none=True, metadata={"description": "why it was rejected"})
    movement_id = fields.Int(allow_none=True, metadata={"description": "the ledger line an approval wrote"})


class CreatedSchema(RequestSchema):
    replayed = fields.Bool(metadata={"description": "true when this answers a repeated Idempotency-Key"})


class ApprovedSchema(RequestSchema):
    entries = fields.List(fields.Nested(MovementSchema))


class RequestPageSchema(Schema):
    total = fields.Int()
    requests = fields.List(fields.Nested(RequestSchema))


@blp.route("/write-offs")
class Requests(MethodView):
    @blp.arguments(RequestQuery, location="query")
    @blp.errors(403, 404, 409)
    @blp.response(200, RequestPageSchema)
    def get(self, args):
        """Write-off requests, pending first (keepers: their depots'; auditors and dispatchers read all)"""
        return service.list_requests(engine(), require_actor(), **args)

    @blp.arguments(NewRequestSchema)
    @blp.errors(403, 404, 409)
    @blp.response(201, CreatedSchema)
    @blp.alt_response(200, schema=CreatedSchema, description="a repeat of an Idempotency-Key: the first answer")
    def post(self, data):
        """Request a write-off (keepers of the lot's depot, administrators). Nothing leaves the lot until an
        administrator other than the requester approves it.

        Send an `Idempotency-Key` header (or `idempotency_key`) so that a retry makes no second request."""
        header_key = request.headers.get("Idempotency-Key")
        body_key = data.pop("idempotency_key", None)
        if header_key and body_key and header_key != body_key:
            raise InvalidInput("Idempotency-Key header and idempotency_key differ", field="idempotency_key")
        photo = data.pop("photo", None)
        new = service.NewRequest(**data, photo=None if photo is None else _decoded(photo),
                                 idempotency_key=body_key or header_key)
        result = service.request(engine(), require_actor(), request_now(), new)
        return result, 200 if result["replayed"] else 201


def _decoded(photo: str) -> bytes:
    if len(photo) > (service.PHOTO_MAX_BYTES * 4) // 3 + 8:
        raise InvalidInput(f"the photo is larger than {service.PHOTO_MAX_BYTES // 2 ** 20} MB", field="photo",
                           message_code="photo_too_large", params={"limit_mb": service.PHOTO_MAX_BYTES // 2 ** 20})
    try:
        return base64.b64decode(photo, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInput("photo must be base64 (a JPEG or PNG image)", field="photo")


@blp.route("/write-offs/<int:request_id>")
@blp.errors(403, 404, 409)
@blp.response(200, RequestSchema)
def one(request_id):
    """One write-off request"""
    return service.get_request(engine(), require_actor(), request_id)


@blp.route("/write-offs/<int:request_id>/photo")
@blp.errors(403, 404, 409)
@blp.response(200, description="the photo (image/jpeg or image/png)")
def photo(request_id):
    """The photo sent with a request"""
    content_type, data = service.get_photo(engine(), require_actor(), request_id)
    return Response(data, mimetype=content_type, headers={"Cache-Control": "private, max-age=3600",
                                                          "X-Content-Type-Options": "nosniff"})


@blp.route("/write-offs/<int:request_id>/approve", methods=["POST"])
@blp.arguments(ApproveSchema)
@blp.errors(403, 404, 409)
@blp.response(200, ApprovedSchema)
def approve(data, request_id):
    """Approve a pending request with the approving document number (administrators other than the requester):
    writes one write_off ledger line with reference BS-<id>; 409 when the lot now holds less"""
    return service.approve(engine(), require_actor(), request_now(), request_today(), request_id, data["document_no"])


@blp.route("/write-offs/<int:request_id>/reject", methods=["POST"])
@blp.arguments(RejectSchema)
@blp.errors(403, 404, 409)
@blp.response(200, RequestSchema)
def reject(data, request_id):
    """Reject a pending request, saying why (administrators other than the requester)"""
    return service.reject(engine(), require_actor(), request_now(), request_id, data["reason"])


@blp.route("/write-offs/<int:request_id>/withdraw", methods=["POST"])
@blp.errors(403, 404, 409)
@blp.response(200, RequestSchema)
def withdraw(request_id):
    """Withdraw a pending request (only the one who made it)"""
    return service.withdraw(engine(), require_actor(), request_now(), request_id)
