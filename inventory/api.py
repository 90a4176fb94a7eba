"""JSON API of the inventory under /api/v1: a thin edge over the services and queries."""
from dataclasses import fields as dc_fields
from datetime import datetime, time
from zoneinfo import ZoneInfo

from flask import current_app, request
from flask.views import MethodView
from marshmallow import Schema, fields
from common.api import Blueprint

from accounts.auth import require_actor
from common.actor import ADMIN, AUDITOR, DISPATCHER, KEEPER
from common.errors import Forbidden, InvalidInput
from common.web import engine, request_now, request_today
from inventory import catalog, integrity, queries, services, shelves
from inventory.schemas import (
    DepotListQuery, DepotNodeSchema, DepotSchema, DepotUpdateSchema, ItemListQuery, ItemSchema, ItemUpdateSchema,
    LotPageSchema, LotQuery, LotSchema, MovementPageSchema, MovementQuery, OperationResultSchema, OperationSchema,
    SealSchema, ShelfChangeSchema, ShelfMoveSchema, StockCardSchema, StockQuery, StockSummarySchema, VerifySchema,
)

blp = Blueprint("inventory_api", __name__, url_prefix="/api/v1",
                description="Depots, items, lots, the stock ledger and stock summaries")


@blp.route("/depots")
class Depots(MethodView):
    @blp.arguments(DepotListQuery, location="query")
    @blp.response(200, DepotSchema(many=True))
    @blp.errors(404)
    def get(self, args):
        """Depots the caller may see (keepers: the depots they keep)"""
        return queries.list_depots(engine(), require_actor(), **args)

    @blp.arguments(DepotSchema)
    @blp.response(201, DepotSchema)
    @blp.errors(403, 404, 409)
    def post(self, data):
        """Add a depot (administrators); tier rules: village under town, town under county"""
        return catalog.create_depot(engine(), require_actor(), catalog.DepotFields(**data))


@blp.route("/depots/tree")
@blp.response(200, DepotNodeSchema(many=True))
def depot_tree():
    """The depot tree with units, lots and expired units of each depot and of its subtree"""
    return queries.depot_tree(engine(), require_actor(), request_today())


@blp.route("/depots/<code>")
class DepotOne(MethodView):
    @blp.response(200, DepotSchema)
    @blp.errors(403, 404)
    def get(self, code):
        """One depot"""
        return queries.get_depot(engine(), require_actor(), code)

    @blp.arguments(DepotUpdateSchema)
    @blp.response(200, DepotSchema)
    @blp.errors(403, 404, 409)
    def patch(self, changes, code):
        """Change a depot's name, place, keeper contact or key-town flag (administrators)"""
        return catalog.update_depot(engine(), require_actor(), code, changes)


@blp.route("/items")
class Items(MethodView):
    @blp.arguments(ItemListQuery, location="query")
    @blp.response(200, ItemSchema(many=True))
    def get(self, args):
        """The item catalog"""
        require_actor()
        return queries.list_items(engine(), **args)

    @blp.arguments(ItemSchema)
    @blp.response(201, ItemSchema)
    @blp.errors(403, 409)
    def post(self, data):
        """Add an item to the catalog (administrators)"""
        return catalog.create_item(engine(), require_actor(), catalog.ItemFields(**data))


@blp.route("/items/<code>")
class ItemOne(MethodView):
    @blp.response(200, ItemSchema)
    @blp.errors(404)
    def get(self, code):
        """One item"""
        require_actor()
        return queries.get_item(engine(), code)

    @blp.arguments(ItemUpdateSchema)
    @blp.response(200, ItemSchema)
    @blp.errors(403, 404, 409)
    def patch(self, changes, code):
        """Change an item (administrators)"""
        return catalog.update_item(engine(), require_actor(), code, changes)


@blp.route("/stock")
@blp.arguments(StockQuery, location="query")
@blp.response(200, StockSummarySchema)
@blp.errors(403, 404)
def stock(args):
    """Units on hand per item or category, rolled up over a depot's subtree"""
    return queries.stock_summary(engine(), require_actor(), request_today(), **args)


@blp.route("/lots")
@blp.arguments(LotQuery, location="query")
@blp.response(200, LotPageSchema)
@blp.errors(403, 404)
def lots(args):
    """Lots, soonest expiry first; filter by depot (and subtree), item, category, expiry window"""
    return queries.list_lots(engine(), require_actor(), request_today(), **args)


@blp.route("/lots/<code>")
@blp.response(200, LotSchema)
@blp.errors(403, 404)
def lot(code):
    """One lot"""
    return queries.get_lot(engine(), require_actor(), code, request_today())


@blp.route("/lots/<code>/shelf", methods=["PUT"])
@blp.errors(403, 404)
@blp.arguments(ShelfChangeSchema)
@blp.response(200, ShelfMoveSchema)
def lot_shelf(change, code):
    """Put a lot on another shelf of its depot, or off any shelf with `null` (keepers of the depot,
    administrators). Stock does not change: the move is kept in the lot's shelf history (who, when, from,
    to), shown on its stock card, not in the ledger."""
    return shelves.move_to_shelf(engine(), require_actor(), request_now(), lot=code, **change)


@blp.route("/lots/<code>/card")
@blp.response(200, StockCardSchema)
@blp.errors(403, 404)
def lot_card(code):
    """The lot's stock card (库存卡): every ledger line with the balance after it"""
    return queries.stock_card(engine(), require_actor(), code, request_today())


@blp.route("/ledger")
class Ledger(MethodView):
    @blp.arguments(MovementQuery, location="query")
    @blp.response(200, MovementPageSchema)
    @blp.errors(403, 404)
    def get(self, args):
        """Ledger lines, newest first"""
        return queries.list_movements(engine(), require_actor(), **args)

    @blp.arguments(OperationSchema)
    @blp.response(201, OperationResultSchema)
    @blp.alt_response(200, schema=OperationResultSchema, description="a repeat of an Idempotency-Key: the first answer")
    @blp.errors(403, 404, 409)
    def post(self, op):
        """Record a stock operation: receive, issue, transfer, count or return.

        A `write_off` is refused here (403, `write_off_needs_request`): request it with POST /api/v1/write-offs;
        it enters the ledger when an administrator approves it.

        Send an `Idempotency-Key` header (or `idempotency_key`) so that a retry after a lost answer
        records nothing new and returns the first answer."""
        result = perform(op)
        return result, 200 if result["replayed"] else 201


class SealQuery(Schema):
    seal = fields.Str(metadata={"description": "a seal kept earlier, <line id>:<digest>"})


@blp.route("/ledger/verify")
@blp.arguments(SealQuery, location="query")
@blp.alt_response(200, schema=VerifySchema, success=True, description="the check's result")
@blp.errors(403)
def ledger_verify(args):
    """Check every ledger line against its hash chain (and a seal kept earlier): names the first line
    that does not match"""
    return integrity.verify(engine(), _whole_ledger_reader(), args.get("seal"))


@blp.route("/ledger/seal")
@blp.alt_response(200, schema=SealSchema, success=True, description="the current seal")
@blp.errors(403)
def ledger_seal():
    """The current seal: a digest over every ledger line so far, to keep outside the system"""
    return integrity.current_seal(engine(), _whole_ledger_reader())


def _whole_ledger_reader():
    actor = require_actor()
    actor.require_role(ADMIN, DISPATCHER, AUDITOR)
    return actor


def perform(op: dict) -> dict:
    """Runs one validated operation document; shared by the API and the pages."""
    header_key = request.headers.get("Idempotency-Key")
    body_key = op.pop("idempotency_key", None)
    if header_key and body_key and header_key != body_key:
        raise InvalidInput("Idempotency-Key header and idempotency_key differ", field="idempotency_key")
    key = body_key or header_key
    ctx = services.Context(actor=require_actor(), now=request_now(), today=request_today(),
                           note=op.pop("note", None), reference=op.pop("reference", None), idempotency_key=key)
    kind = op.pop("kind")
    if kind == "write_off":
        if ctx.actor.role == AUDITOR:
            ctx.actor.require_role(ADMIN, KEEPER)  # read-only, said as for every other change
        raise Forbidden(
            "write-offs are not recorded directly: request one with POST /api/v1/write-offs; it enters the ledger "
            "when an administrator approves it", message_code="write_off_needs_request",
            request_endpoint="/api/v1/write-offs")
    if kind == "receive" and "new_lot" in op:
        op["new_lot"] = _new_lot(op["new_lot"])
    action = {"receive": services.receive, "issue": services.issue, "transfer": services.transfer,
              "count": services.count, "return": services.return_stock}[kind]
    result = action(engine(), ctx, **op)
    daily_seal(ctx.actor)
    return result


def daily_seal(actor) -> None:
    """The day's archived seal, if no timer took one yet (``integrity.seal_daily_if_due``): after the
    change committed, so it never holds up or fails the change itself."""
    today = request_today()
    midnight = datetime.combine(today, time(0), ZoneInfo(current_app.config["TIMEZONE"]))
    try:
        integrity.seal_daily_if_due(engine(), actor.username, request_now(), today, midnight)
    except Exception:  # the change is kept; the next change of the day tries again
        current_app.logger.exception("could not take the day's ledger seal")


def _new_lot(data: dict) -> services.NewLot:
    price = data.pop("unit_price", None)
    data["unit_price_cents"] = None if price is None else int(price * 100)
    data["received_on"] = data.get("received_on") or request_today()
    known = {f.name for f in dc_fields(services.NewLot)}
    return services.NewLot(**{k: v for k, v in data.items() if k in known})
