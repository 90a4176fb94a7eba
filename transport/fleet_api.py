"""JSON API of the fleet register and of an incident's vehicles and routes under /api/v1 (a thin edge over
``transport.fleet`` and ``transport.incident_routes``). Administrators keep the register; dispatchers read it,
change a vehicle's availability, call vehicles in for an incident, plan its routes, move stops and lock routes;
auditors read. The routing problem an incident's routes were planned from is ``GET …/routes/problem``
(routing-problem/1)."""
from flask.views import MethodView
from marshmallow import INCLUDE, Schema, fields, validate

from accounts.auth import require_actor
from common.api import Blueprint
from common.web import engine, request_now
from transport import fleet, incident_routes
from transport.views import time_limit
from transport.models import VEHICLE_KINDS, VEHICLE_STATES

blp = Blueprint("fleet_api", __name__, url_prefix="/api/v1",
                description="Vehicles (车辆: own, 协议运力, 征用), vehicles called in for an incident, and its routes")

Text = lambda n, **kw: fields.Str(allow_none=True, validate=validate.Length(max=n), **kw)  # noqa: E731


class VehicleInSchema(Schema):
    plate = fields.Str(required=True, validate=validate.Length(min=1, max=32),
                       metadata={"description": "spaces, dashes and case do not matter: 鲁A 12345 is 鲁A12345"})
    kind = fields.Str(required=True, validate=validate.OneOf(VEHICLE_KINDS))
    capacity_kg = fields.Float(required=True, allow_nan=False, metadata={"description": "more than 0"})
    capacity_m3 = fields.Float(required=True, allow_nan=False, metadata={"description": "more than 0"})
    home_depot = fields.Str(required=True, validate=validate.Length(min=1, max=32))
    note = Text(200)
    partner_name = Text(100, metadata={"description": "partner vehicles: the logistics company"})
    contract_number = Text(50, metadata={"description": "partner vehicles: the agreement's number"})
    partner_vehicles = fields.Int(allow_none=True, strict=True,
                                  metadata={"description": "partner vehicles: how many trucks it can send"})
    arrival_minutes = fields.Int(allow_none=True, strict=True,
                                 metadata={"description": "partner vehicles: minutes until they arrive when called"})
    owner = Text(100, metadata={"description": "requisitioned vehicles: whose it is"})
    requisitioned_on = fields.Date(allow_none=True)
    approved_by = Text(100, metadata={"description": "requisitioned vehicles: who approved the requisition"})
    compensation_yuan = fields.Decimal(allow_none=True, allow_nan=False, as_string=True,
                                       metadata={"description": "requisitioned vehicles: compensation settled, yuan"})
    settled_on = fields.Date(allow_none=True)
    settlement_note = Text(200)


class VehicleSchema(Schema):
    plate = fields.Str()
    kind = fields.Str()
    capacity_kg = fields.Float()
    capacity_m3 = fields.Float()
    home_depot = fields.Str()
    home_depot_name = fields.Str()
    status = fields.Str(metadata={"description": "available, on_duty or out_of_service"})
    note = fields.Str(allow_none=True)
    partner_name = fields.Str(allow_none=True)
    contract_number = fields.Str(allow_none=True)
    partner_vehicles = fields.Int(allow_none=True)
    arrival_minutes = fields.Int(allow_none=True)
    owner = fields.Str(allow_none=True)
    requisitioned_on = fields.Date(allow_none=True)
    approved_by = fields.Str(allow_none=True)
    compensation_fen = fields.Int(allow_none=True, metadata={"description": "compensation in fen (1/100 yuan)"})
    settled_on = fields.Date(allow_none=True)
    settlement_note = fields.Str(allow_none=True)
    updated_at = fields.DateTime()
    released_stops = fields.List(fields.Str(), metadata={"description": "after taking it out of service: the "
                                                                        "unstarted stops given back to planning"})


class VehicleQuery(Schema):
    status = fields.Str(validate=validate.OneOf(VEHICLE_STATES))


class StatusSchema(Schema):
    status = fields.Str(required=True, validate=validate.OneOf(VEHICLE_STATES))


class CallInSchema(Schema):
    plates = fields.List(fields.Str(validate=validate.Length(min=1, max=32)), required=True,
                         validate=validate.Length(min=1, max=500))
    depot = fields.Str(allow_none=True, validate=validate.Length(min=1, max=32),
                       metadata={"description": "where they start and end; default each one's home depot"})


class CalledSchema(Schema):
    plate = fields.Str()
    kind = fields.Str()
    capacity_kg = fields.Float()
    capacity_m3 = fields.Float()
    depot = fields.Str()
    depot_name = fields.Str()
    status = fields.Str()
    locked = fields.Bool()
    arrival_minutes = fields.Int(allow_none=True)
    called_at = fields.DateTime()


class StopSchema(Schema):
    stop = fields.Str()
    order = fields.Str()
    order_state = fields.Str()
    source = fields.Str()
    source_name = fields.Str()
    location = fields.Str()
    location_name = fields.Str()
    load_kg = fields.Int()
    load_m3 = fields.Float()
    position = fields.Int(allow_none=True)
    trip = fields.Int(allow_none=True)
    arrive_at = fields.DateTime(allow_none=True)
    leave_at = fields.DateTime(allow_none=True)
    late = fields.Bool()
    started = fields.Bool()
    reason = fields.Str(allow_none=True, metadata={"description": "unserved: " + ", ".join(incident_routes.REASONS)})


class RouteSchema(CalledSchema):
    stops = fields.List(fields.Nested(StopSchema))
    load_kg = fields.Int()
    load_m3 = fields.Float()
    started = fields.Bool()


class RoutesSchema(Schema):
    incident = fields.Int()
    deadline = fields.DateTime()
    planned_at = fields.DateTime(allow_none=True)
    route_plan = fields.Int(allow_none=True)
    vehicles = fields.List(fields.Nested(RouteSchema))
    unserved = fields.List(fields.Nested(StopSchema))


class MoveSchema(Schema):
    stop = fields.Str(required=True, validate=validate.Length(min=1, max=40))
    vehicle = fields.Str(required=True, validate=validate.Length(min=1, max=32))


class LockSchema(Schema):
    vehicle = fields.Str(required=True, validate=validate.Length(min=1, max=32))
    locked = fields.Bool(required=True)


class ProblemDocSchema(Schema):
    class Meta:
        unknown = INCLUDE

    format = fields.Str(metadata={"description": "routing-problem/1 (../shared/contracts/routing.md)"})
    dimensions = fields.List(fields.Str())
    locations = fields.List(fields.Str())
    minutes = fields.List(fields.List(fields.Int()))
    vehicles = fields.List(fields.Dict())
    stops = fields.List(fields.Dict())
    time_limit_seconds = fields.Int()


def _fields(data: dict) -> fleet.VehicleFields:
    return fleet.VehicleFields(**data)


@blp.route("/vehicles")
class Vehicles(MethodView):
    @blp.arguments(VehicleQuery, location="query")
    @blp.errors(403)
    @blp.response(200, VehicleSchema(many=True))
    def get(self, args):
        """The fleet register, by plate (administrators, dispatchers, auditors)"""
        return fleet.list_vehicles(engine(), require_actor(), **args)

    @blp.arguments(VehicleInSchema)
    @blp.errors(403, 409)
    @blp.response(201, VehicleSchema)
    def post(self, data):
        """Register a vehicle (administrators); a plate already registered is a 409, a capacity of 0 or less a 422"""
        return fleet.create_vehicle(engine(), require_actor(), _fields(data), request_now())


@blp.route("/vehicles/<plate>")
class OneVehicle(MethodView):
    @blp.errors(403, 404)
    @blp.response(200, VehicleSchema)
    def get(self, plate):
        """One vehicle"""
        return fleet.get_vehicle(engine(), require_actor(), plate)

    @blp.arguments(VehicleInSchema)
    @blp.errors(403, 404, 409)
    @blp.response(200, VehicleSchema)
    def put(self, data, plate):
        """Change a vehicle (administrators): every field, as on registering"""
        return fleet.update_vehicle(engine(), require_actor(), plate, _fields(data), request_now())


@blp.route("/vehicles/<plate>/status", methods=["POST"])
@blp.arguments(StatusSchema)
@blp.errors(403, 404)
@blp.response(200, VehicleSchema)
def status(data, plate):
    """Change a vehicle's availability (administrators, dispatchers); out of service, its unstarted stops go back to
    planning"""
    return fleet.set_status(engine(), require_actor(), plate, data["status"], request_now())


@blp.route("/incidents/<int:incident_id>/vehicles")
class IncidentVehicles(MethodView):
    @blp.errors(403, 404)
    @blp.response(200, CalledSchema(many=True))
    def get(self, incident_id):
        """The vehicles called in for an incident"""
        return fleet.list_called(engine(), require_actor(), incident_id)

    @blp.arguments(CallInSchema)
    @blp.errors(403, 404, 409)
    @blp.response(201, CalledSchema(many=True))
    def post(self, data, incident_id):
        """Call vehicles in for an incident (dispatchers, administrators); answers every vehicle called in"""
        return fleet.call_in(engine(), require_actor(), incident_id, data["plates"], request_now(),
                             depot=data.get("depot"))


@blp.route("/incidents/<int:incident_id>/routes")
@blp.errors(403, 404)
@blp.response(200, RoutesSchema)
def routes(incident_id):
    """The incident's routes: each called-in vehicle's ordered stops with arrival times, and the unserved stops"""
    return incident_routes.routes(engine(), require_actor(), incident_id, request_now())


@blp.route("/incidents/<int:incident_id>/routes/problem")
@blp.errors(403, 404)
@blp.response(200, ProblemDocSchema)
def routes_problem(incident_id):
    """The routing-problem/1 document the routes were planned from (before any planning: what would be planned)"""
    return incident_routes.problem(engine(), require_actor(), incident_id, request_now(), time_limit())


@blp.route("/incidents/<int:incident_id>/routes/plan", methods=["POST"])
@blp.errors(403, 404, 409)
@blp.response(200, RoutesSchema)
def plan(incident_id):
    """Plan (again) the routes (dispatchers, administrators); locked routes and started stops are kept"""
    return incident_routes.plan(engine(), require_actor(), incident_id, request_now(), time_limit_seconds=time_limit())


@blp.route("/incidents/<int:incident_id>/routes/moves", methods=["POST"])
@blp.arguments(MoveSchema)
@blp.errors(403, 404, 409)
@blp.response(200, RoutesSchema)
def move(data, incident_id):
    """Move a stop to the end of another vehicle's route (dispatchers, administrators)"""
    return incident_routes.move_stop(engine(), require_actor(), incident_id, data["stop"], data["vehicle"],
                                     request_now())


@blp.route("/incidents/<int:incident_id>/routes/locks", methods=["POST"])
@blp.arguments(LockSchema)
@blp.errors(403, 404)
@blp.response(200, RoutesSchema)
def lock(data, incident_id):
    """Lock (or unlock) a vehicle's route: kept as it is when the rest is planned again"""
    return incident_routes.set_locked(engine(), require_actor(), incident_id, data["vehicle"], data["locked"],
                                      request_now())
