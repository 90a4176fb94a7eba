"""JSON API of transfer orders under /api/v1: a thin edge over ``orders.services``.

Dispatchers and administrators approve plans into orders and cancel them; source keepers pick and ship;
destination keepers receive; at a shelter the dispatcher or a source keeper confirms the delivery. Every action
takes an `Idempotency-Key` header: a retry does nothing again and answers with the order, `replayed` true."""
from flask import request
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from accounts.auth import require_actor
from common.api import Blueprint
from common.web import engine, request_now, request_today
from orders import rules, services

blp = Blueprint("orders_api", __name__, url_prefix="/api/v1",
                description="Transfer orders (调拨单): approving a plan, picking, shipping, receiving, cancelling")

Quantity = lambda **kw: fields.Int(strict=True, validate=validate.Range(0, rules.MAX_QUANTITY), **kw)  # noqa: E731


def _key():
    return request.headers.get("Idempotency-Key")


class OrderQuery(Schema):
    incident = fields.Int(validate=validate.Range(1, services.MAX_ID))
    state = fields.Str(validate=validate.OneOf(rules.STATES))
    depot = fields.Str(validate=validate.Length(min=1, max=32), metadata={"description": "as source or destination"})


class PickSchema(Schema):
    lot = fields.Str(required=True, validate=validate.Length(min=1, max=48), metadata={"description": "the lot scanned"})
    quantity = Quantity(required=True)
    reason = fields.Str(allow_none=True, validate=validate.Length(max=200),
                        metadata={"description": "required for a lot (or an amount of it) the plan did not name"})


class ShipLineSchema(Schema):
    item = fields.Str(required=True, validate=validate.Length(min=1, max=32))
    quantity = Quantity(required=True)


class ShipSchema(Schema):
    lines = fields.List(fields.Nested(ShipLineSchema), load_default=None, allow_none=True, metadata={
        "description": "optional: what was loaded per item; must be what was picked"})


class ReceiptLineSchema(Schema):
    item = fields.Str(required=True, validate=validate.Length(min=1, max=32))
    received = Quantity(load_default=0)
    short = Quantity(load_default=0, metadata={"description": "units that did not arrive"})
    damaged = Quantity(load_default=0, metadata={"description": "units that arrived unusable"})
    short_reason = fields.Str(allow_none=True, validate=validate.Length(max=200))
    damage_reason = fields.Str(allow_none=True, validate=validate.Length(max=200))


class ReceiveSchema(Schema):
    lines = fields.List(fields.Nested(ReceiptLineSchema), required=True, validate=validate.Length(min=1, max=500))


class DeliverSchema(ReceiveSchema):
    receiver_name = fields.Str(required=True, validate=validate.Length(min=1, max=50),
                               metadata={"description": "who took the units at the shelter"})


class CancelSchema(Schema):
    reason = fields.Str(required=True, validate=validate.Length(min=1, max=500))


class OrderTotalsSchema(Schema):
    lines = fields.Int()
    planned = fields.Int()
    picked = fields.Int()
    shipped = fields.Int()
    received = fields.Int()
    short_or_damaged = fields.Int()
    in_transit = fields.Int()


class OrderSummarySchema(Schema):
    code = fields.Str(metadata={"description": "DO-<incident>-<n>; the label /o/<code> opens it"})
    incident = fields.Int(allow_none=True)
    plan = fields.Int(allow_none=True)
    norm_version = fields.Int(allow_none=True)
    state = fields.Str(metadata={"description": ", ".join(rules.STATES)})
    source = fields.Str()
    source_name = fields.Str()
    destination_kind = fields.Str(metadata={"description": "depot or shelter"})
    destination = fields.Str()
    destination_name = fields.Str()
    approved_by = fields.Str()
    approved_at = fields.DateTime()
    shipped_by = fields.Str(allow_none=True)
    shipped_at = fields.DateTime(allow_none=True)
    cancelled_by = fields.Str(allow_none=True)
    cancelled_at = fields.DateTime(allow_none=True)
    cancel_reason = fields.Str(allow_none=True)
    totals = fields.Nested(OrderTotalsSchema)


class OrderPlannedLotSchema(Schema):
    lot = fields.Str()
    quantity = fields.Int()
    expires_on = fields.Date(allow_none=True)
    shelf = fields.Str(allow_none=True, metadata={"description": "where the lot stands in the source depot"})


class OrderLineSchema(Schema):
    item = fields.Str()
    item_name = fields.Str()
    item_name_en = fields.Str()
    unit = fields.Str()
    state = fields.Str(metadata={"description": "approved, picking, shipped, partly_received, received, cancelled "
                                                "or not_sent"})
    planned = fields.Int()
    planned_lots = fields.List(fields.Nested(OrderPlannedLotSchema), metadata={
        "description": "the pick list: the plan's lots, first-expiry-first-out"})
    picked = fields.Int()
    shipped = fields.Int()
    received = fields.Int()
    short = fields.Int()
    damaged = fields.Int()
    in_transit = fields.Int(metadata={"description": "shipped − received − short − damaged"})


class PickRowSchema(Schema):
    id = fields.Int()
    item = fields.Str()
    lot = fields.Str()
    expires_on = fields.Date(allow_none=True)
    quantity = fields.Int()
    substitute_reason = fields.Str(allow_none=True)
    not_fefo = fields.Bool(metadata={"description": "a lot expiring sooner was there to take"})
    picked_by = fields.Str()
    picked_at = fields.DateTime()
    shipped = fields.Bool()
    ship_line = fields.Int(allow_none=True, metadata={"description": "the ledger's ship line"})


class ReceiptRowSchema(Schema):
    id = fields.Int()
    item = fields.Str()
    lot = fields.Str(metadata={"description": "the source lot the units were shipped from"})
    received = fields.Int()
    short = fields.Int()
    damaged = fields.Int()
    short_reason = fields.Str(allow_none=True)
    damage_reason = fields.Str(allow_none=True)
    receiver_name = fields.Str(allow_none=True)
    deliver_line = fields.Int(allow_none=True, metadata={"description": "the ledger's deliver line (at a depot)"})
    received_by = fields.Str()
    received_at = fields.DateTime()


class OrderEventSchema(Schema):
    action = fields.Str()
    user = fields.Str()
    at = fields.DateTime()
    details = fields.Dict()


class PickWarningSchema(Schema):
    code = fields.Str()
    message = fields.Str()
    params = fields.Dict()


class OrderSchema(OrderSummarySchema):
    lines = fields.List(fields.Nested(OrderLineSchema))
    picks = fields.List(fields.Nested(PickRowSchema))
    receipts = fields.List(fields.Nested(ReceiptRowSchema))
    history = fields.List(fields.Nested(OrderEventSchema))
    replayed = fields.Bool(metadata={"description": "a repeat of an Idempotency-Key: nothing was done again"})


class PickedSchema(OrderSchema):
    pick = fields.Int()
    substitute = fields.Bool()
    warnings = fields.List(fields.Nested(PickWarningSchema))


class ShippedLotSchema(Schema):
    item = fields.Str()
    lot = fields.Str()
    quantity = fields.Int()
    line = fields.Int(metadata={"description": "the ledger's ship line"})


class ShippedSchema(OrderSchema):
    entries = fields.List(fields.Nested(ShippedLotSchema))


class ApprovalSchema(Schema):
    incident = fields.Int()
    plan = fields.Int()
    norm_version = fields.Int(allow_none=True)
    approved_by = fields.Str()
    approved_at = fields.Str()
    codes = fields.List(fields.Str())
    orders = fields.List(fields.Nested(OrderSummarySchema))
    replayed = fields.Bool()


class ReconciledItemSchema(Schema):
    item = fields.Str()
    left_sources = fields.Int(metadata={"description": "shipped on the order lines"})
    ledger_shipped = fields.Int(metadata={"description": "the ledger's ship lines with the orders' codes"})
    in_transit = fields.Int()
    received = fields.Int()
    short = fields.Int()
    damaged = fields.Int()
    holds = fields.Bool(metadata={"description": "left = in transit + received + short + damaged, and = the ledger"})


class ReconciliationSchema(Schema):
    incident = fields.Int()
    items = fields.List(fields.Nested(ReconciledItemSchema))


@blp.route("/incidents/<int:incident_id>/plans/<int:plan_id>/approve", methods=["POST"])
@blp.errors(403, 404, 409)
@blp.response(201, ApprovalSchema)
def approve(incident_id, plan_id):
    """Approve a plan (dispatchers, administrators): one order per (source depot, destination site), at once"""
    return services.approve_plan(engine(), require_actor(), request_now(), incident_id=incident_id, plan_id=plan_id,
                                 idempotency_key=_key())


@blp.route("/incidents/<int:incident_id>/reconciliation")
@blp.errors(403, 404, 409)
@blp.response(200, ReconciliationSchema)
def reconciliation(incident_id):
    """Per item over the incident's orders: what left the sources against in transit, received, short, damaged"""
    return services.reconciliation(engine(), require_actor(), incident_id)


@blp.route("/orders")
class Orders(MethodView):
    @blp.arguments(OrderQuery, location="query")
    @blp.errors(403, 404, 409)
    @blp.response(200, OrderSummarySchema(many=True))
    def get(self, args):
        """Transfer orders, newest first (keepers: of their depots, as source or destination)"""
        return services.list_orders(engine(), require_actor(), **args)


@blp.route("/orders/<code>")
@blp.errors(403, 404, 409)
@blp.response(200, OrderSchema)
def one(code):
    """One order with its lines, picks, receipts and history"""
    return services.get(engine(), require_actor(), code)


@blp.route("/orders/<code>/picks", methods=["POST"])
@blp.arguments(PickSchema)
@blp.errors(403, 404, 409)
@blp.response(200, PickedSchema)
def pick(data, code):
    """Pick a lot scanned at the source depot (its keeper, an administrator); `warnings` says when a lot expiring
    sooner should have been taken"""
    return services.pick(engine(), require_actor(), request_now(), request_today(), code, **data,
                         idempotency_key=_key())


@blp.route("/orders/<code>/picks/<int:pick_id>", methods=["DELETE"])
@blp.errors(403, 404, 409)
@blp.response(200, OrderSchema)
def unpick(code, pick_id):
    """Undo a pick before shipping"""
    return services.unpick(engine(), require_actor(), request_now(), code, pick_id=pick_id, idempotency_key=_key())


@blp.route("/orders/<code>/ship", methods=["POST"])
@blp.arguments(ShipSchema)
@blp.errors(403, 404, 409)
@blp.response(200, ShippedSchema)
def ship(data, code):
    """Ship everything picked: the units leave the source lots (ledger kind ship) and are in transit"""
    return services.ship(engine(), require_actor(), request_now(), request_today(), code, lines=data.get("lines"),
                         idempotency_key=_key())


@blp.route("/orders/<code>/receive", methods=["POST"])
@blp.arguments(ReceiveSchema)
@blp.errors(403, 404, 409)
@blp.response(200, OrderSchema)
def receive(data, code):
    """Receive at the destination depot (its keeper, an administrator): per line received, short and damaged
    with reasons; what is not recorded stays in transit"""
    return services.receive(engine(), require_actor(), request_now(), request_today(), code, lines=data["lines"],
                            idempotency_key=_key())


@blp.route("/orders/<code>/deliver", methods=["POST"])
@blp.arguments(DeliverSchema)
@blp.errors(403, 404, 409)
@blp.response(200, OrderSchema)
def deliver(data, code):
    """Confirm a delivery at a shelter (the dispatcher, a source keeper, an administrator) with the receiver's name"""
    return services.deliver(engine(), require_actor(), request_now(), code, lines=data["lines"],
                            receiver_name=data["receiver_name"], idempotency_key=_key())


@blp.route("/orders/<code>/cancel", methods=["POST"])
@blp.arguments(CancelSchema)
@blp.errors(403, 404, 409)
@blp.response(200, OrderSchema)
def cancel(data, code):
    """Cancel an order not yet shipped, with the reason (dispatchers, administrators)"""
    return services.cancel(engine(), require_actor(), request_now(), code, reason=data["reason"],
                           idempotency_key=_key())
