"""JSON API of deliveries received (入库单) under /api/v1/deliveries: a thin edge over ``receiving.service``.
A keeper receives into a depot they keep, an administrator into any; each line becomes a lot through the ledger.
POST takes an `Idempotency-Key` header: a retry receives nothing again and answers `replayed` true."""
from flask import request
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from accounts.auth import require_actor
from common.api import Blueprint
from common.limits import DATE_RANGE, MAX_OFFSET, MAX_QUANTITY, MAX_UNIT_PRICE
from common.web import engine, request_now, request_today
from inventory.schemas import ShelfCode
from receiving import service
from receiving.models import DELIVERY_KINDS

blp = Blueprint("deliveries_api", __name__, url_prefix="/api/v1",
                description="Deliveries received (入库单): purchases, partner agreement stock, production capacity "
                            "called in; each line a lot")


class DeliveryLineInSchema(Schema):
    item = fields.Str(required=True, validate=validate.Length(min=1, max=32))
    quantity = fields.Int(required=True, strict=True, validate=validate.Range(1, MAX_QUANTITY))
    expires_on = fields.Date(load_default=None, allow_none=True, validate=DATE_RANGE)
    production_date = fields.Date(load_default=None, allow_none=True, validate=DATE_RANGE)
    shelf_life_months = fields.Int(load_default=None, allow_none=True, strict=True,
                                   validate=validate.Range(1, service.MAX_MONTHS),
                                   metadata={"description": "with production_date: the expiry is that many months "
                                                            "after it"})
    unit_price = fields.Decimal(load_default=None, allow_none=True, places=2, as_string=False,
                                validate=validate.Range(min=0, max=MAX_UNIT_PRICE), metadata={"description": "yuan"})
    shelf = ShelfCode(allow_none=True, load_default=None)


class NewDeliverySchema(Schema):
    depot = fields.Str(required=True, validate=validate.Length(min=1, max=32))
    kind = fields.Str(required=True, validate=validate.OneOf(DELIVERY_KINDS))
    supplier = fields.Str(required=True, validate=validate.Length(min=1, max=100),
                          metadata={"description": "the supplier, or the partner enterprise holding the stock"})
    document_no = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=64))
    received_on = fields.Date(load_default=None, allow_none=True, validate=DATE_RANGE,
                              metadata={"description": "defaults to today; not after today"})
    note = fields.Str(load_default=None, allow_none=True, validate=validate.Length(max=500))
    lines = fields.List(fields.Nested(DeliveryLineInSchema), required=True,
                        validate=validate.Length(min=1, max=service.MAX_LINES))


class DeliveryQuery(Schema):
    depot = fields.Str(validate=validate.Length(min=1, max=32))
    limit = fields.Int(load_default=100, validate=validate.Range(1, service.MAX_PAGE))
    offset = fields.Int(load_default=0, validate=validate.Range(0, MAX_OFFSET))


class DeliveryLineSchema(Schema):
    line = fields.Int()
    item = fields.Str()
    item_name = fields.Str()
    item_name_en = fields.Str()
    unit = fields.Str()
    quantity = fields.Int(metadata={"description": "units received"})
    production_date = fields.Date(allow_none=True)
    shelf_life_months = fields.Int(allow_none=True)
    expires_on = fields.Date(allow_none=True)
    unit_price_cents = fields.Int(allow_none=True)
    lot = fields.Str(metadata={"description": "the lot the line made: <number>-<nn>"})
    lot_quantity = fields.Int(metadata={"description": "what the lot holds now"})
    shelf = fields.Str(allow_none=True)
    storage_mode = fields.Str()
    movement = fields.Int(metadata={"description": "the receive ledger line"})


class DeliveryHeaderSchema(Schema):
    id = fields.Int()
    number = fields.Str(metadata={"description": "RK-<year>-<nnnn>"})
    kind = fields.Str(metadata={"description": ", ".join(DELIVERY_KINDS)})
    supplier = fields.Str()
    document_no = fields.Str(allow_none=True)
    depot = fields.Str()
    depot_name = fields.Str()
    received_on = fields.Date()
    received_by = fields.Str()
    received_at = fields.DateTime()
    note = fields.Str(allow_none=True)


class DeliverySchema(DeliveryHeaderSchema):
    lines = fields.List(fields.Nested(DeliveryLineSchema))


class DeliveryAnsweredSchema(DeliverySchema):
    replayed = fields.Bool(metadata={"description": "a repeat of an Idempotency-Key: nothing was received again"})


class DeliverySummarySchema(DeliveryHeaderSchema):
    lines = fields.Int()
    units = fields.Int()


class DeliveryPageSchema(Schema):
    total = fields.Int()
    deliveries = fields.List(fields.Nested(DeliverySummarySchema))


@blp.route("/deliveries")
class Deliveries(MethodView):
    @blp.arguments(DeliveryQuery, location="query")
    @blp.errors(403, 404, 409)
    @blp.response(200, DeliveryPageSchema)
    def get(self, args):
        """Deliveries received, newest first (keepers: of the depots they keep)"""
        return service.list_deliveries(engine(), require_actor(), **args)

    @blp.arguments(NewDeliverySchema)
    @blp.errors(403, 404, 409)
    @blp.response(201, DeliveryAnsweredSchema)
    @blp.alt_response(200, schema=DeliveryAnsweredSchema,
                      description="a repeat of an Idempotency-Key: the first answer")
    def post(self, data):
        """Receive a delivery: every line a new lot through the ledger (keepers of the depot, administrators);
        every bad line named at once, nothing received when any is bad"""
        result = service.receive(engine(), require_actor(), request_now(), request_today(), **data,
                                 idempotency_key=request.headers.get("Idempotency-Key"))
        return result, 200 if result["replayed"] else 201


@blp.route("/deliveries/<int:delivery_id>")
@blp.errors(403, 404, 409)
@blp.response(200, DeliverySchema)
def one(delivery_id):
    """One delivery with its lines and the lots they made"""
    return service.get(engine(), require_actor(), delivery_id)
