"""JSON API of the route planner under /api/v1: ``POST /routing/solve`` (a thin edge over plan_routes)."""
from flask import request
from marshmallow import INCLUDE, Schema, fields

from accounts.auth import require_actor
from common.actor import ADMIN, DISPATCHER
from common.api import Blueprint
from common.errors import InvalidInput
from transport.planner import plan_routes

MAX_BODY_BYTES = 8 * 1024 * 1024  # a 1,400-place minutes matrix; larger problems are split per depot

blp = Blueprint("transport_api", __name__, url_prefix="/api/v1",
                description="Route planning: which truck takes which loads, in which order, arriving when")


class _Document(Schema):
    class Meta:
        unknown = INCLUDE  # the contract: unknown keys are ignored


class RoutingVehicleSchema(_Document):
    id = fields.Str(required=True)
    start = fields.Str(required=True, metadata={"description": "a location id"})
    end = fields.Str(metadata={"description": "a location id (default: start)"})
    capacity = fields.List(fields.Int(), required=True, metadata={"description": "one per dimension"})
    available_from = fields.Int(metadata={"description": "minutes from time zero (default 0)"})
    available_until = fields.Int(metadata={"description": "back at end by then (default no limit)"})
    fixed_cost = fields.Int(metadata={"description": "in minutes, once if used (default 0)"})
    max_trips = fields.Int(metadata={"description": "trips in all, reloading at start (default 1)"})
    reload_minutes = fields.Int(metadata={"description": "loading minutes at each reload (default 0)"})


class RoutingStopSchema(_Document):
    id = fields.Str(required=True)
    location = fields.Str(required=True)
    load = fields.List(fields.Int(), required=True, metadata={"description": "one per dimension"})
    service_minutes = fields.Int()
    window = fields.List(fields.Int(), metadata={"description": "[earliest, latest start of service]"})
    from_ = fields.Str(data_key="from", metadata={"description": "the start a carrying vehicle must have "
                                                                "(default: any vehicle, from its own start)"})


class RoutingProblemSchema(_Document):
    """A routing problem, format routing-problem/1 (see the routing contract)."""

    format = fields.Str(required=True, metadata={"example": "routing-problem/1"})
    dimensions = fields.List(fields.Str(), required=True, metadata={"example": ["kg", "m3x100"]})
    locations = fields.List(fields.Str(), required=True)
    minutes = fields.List(fields.List(fields.Int()), required=True,
                          metadata={"description": "minutes[i][j]: travel minutes from locations[i] to [j]"})
    vehicles = fields.List(fields.Nested(RoutingVehicleSchema), required=True)
    stops = fields.List(fields.Nested(RoutingStopSchema), required=True)
    time_limit_seconds = fields.Int(metadata={"description": "default 5, at most 600"})


class PlanVisitSchema(_Document):
    stop = fields.Str()
    reload = fields.Bool(metadata={"description": "true: back to the start to load the next trip"})
    arrive = fields.Int()
    start = fields.Int()
    leave = fields.Int()


class PlanRouteSchema(_Document):
    vehicle = fields.Str()
    minutes = fields.Int(metadata={"description": "travel minutes only"})
    load = fields.List(fields.Int())
    stops = fields.List(fields.Nested(PlanVisitSchema))
    back = fields.Int()


class UnservedSchema(_Document):
    stop = fields.Str()
    reason = fields.Str(metadata={"description": "no_vehicle, too_late or no_capacity"})


class RoutingPlanSchema(_Document):
    """A routing plan, format routing-plan/1 (see the routing contract)."""

    format = fields.Str(metadata={"example": "routing-plan/1"})
    status = fields.Str(metadata={"description": "optimal where proven, else feasible"})
    routes = fields.List(fields.Nested(PlanRouteSchema))
    unserved = fields.List(fields.Nested(UnservedSchema))
    total_minutes = fields.Int()
    vehicles_used = fields.Int()
    solve_seconds = fields.Float()


@blp.route("/routing/solve", methods=["POST"])
@blp.doc(requestBody={"required": True, "content": {"application/json": {"schema": RoutingProblemSchema}}})
@blp.alt_response(200, schema=RoutingPlanSchema, success=True, description="the plan")
@blp.errors(403, 415)
def solve():
    """Plan routes for a routing problem (format routing-problem/1) and return the plan (dispatchers and
    administrators).

    The body is the problem document itself (see the routing contract). A document that breaks the rules
    is a 422 naming every broken rule in `fields` (path → reason, e.g. `stops[3].load`)."""
    require_actor().require_role(ADMIN, DISPATCHER)
    request.max_content_length = min(request.max_content_length or MAX_BODY_BYTES, MAX_BODY_BYTES)
    doc = request.get_json(silent=True)
    if doc is None:
        raise InvalidInput("the body must be a routing-problem/1 JSON document", field="body")
    return plan_routes(doc)
