"""JSON API of the dispatch work under /api/v1: thin edges over dispatch services."""
from flask import current_app, request
from flask.views import MethodView

from accounts.auth import require_actor
from common.actor import ADMIN, AUDITOR, DISPATCHER
from common.api import Blueprint
from common.errors import InvalidInput, Problems
from common.web import engine, request_now, request_today
from dispatch import allocator, importers, incidents, planning, settings
from dispatch.norms import LevelRule, NormRule
from dispatch.schemas import (
    AllocationPlanSchema, AllocationProblemSchema, FloorSchema, IncidentPlanSchema, IncidentSchema, LevelChangeSchema,
    LevelsSchema, NeedsSchema, NormsSchema, PlanningSettingsSchema, ShelterSchema, SitesSchema,
    TravelTimesImportedSchema,
)

blp = Blueprint("dispatch_api", __name__, url_prefix="/api/v1",
                description="Response levels, norms, incidents, needs and allocation plans")


def _readers():
    actor = require_actor()
    actor.require_role(ADMIN, DISPATCHER, AUDITOR)
    return actor


class ProblemRejected(InvalidInput):
    """A problem document that breaks the contract: 422 with every broken row."""


def _csv_body(columns: str) -> dict:
    return {"required": True, "content": {"text/csv": {"schema": {
        "type": "string", "description": f"UTF-8 CSV with a header row naming the columns {columns}"}}}}


@blp.route("/allocation/solve", methods=["POST"])
@blp.doc(requestBody={"required": True, "content": {"application/json": {"schema": AllocationProblemSchema}}})
@blp.alt_response(200, schema=AllocationPlanSchema, success=True, description="the plan")
@blp.errors(403, 415)
def solve():
    """Solve an allocation problem (format allocation-problem/1) and return its plan.

    The body is the problem document itself (see the allocation contract). A document that breaks
    the rules is a 422 listing each broken row as `fields` (path → reason)."""
    _readers()
    doc = request.get_json(silent=True)
    if doc is None:
        raise InvalidInput("the body must be an allocation-problem/1 JSON document", field="body")
    try:
        return allocator.allocate(doc)
    except allocator.ProblemError as e:
        fields = {error["path"]: error["message"] for error in e.errors}
        raise ProblemRejected(f"not a valid allocation problem: {len(e.errors)} error(s)", fields=fields)


@blp.route("/levels")
class Levels(MethodView):
    @blp.response(200, LevelsSchema)
    @blp.errors(403)
    def get(self):
        """Response levels I–IV: thresholds, time targets, floor draw, mutual aid"""
        _readers()
        return {"levels": settings.read_levels(engine())}

    @blp.arguments(LevelsSchema)
    @blp.response(200, LevelsSchema)
    @blp.errors(403)
    def put(self, data):
        """Replace the response-level rules (administrators)"""
        rules = [LevelRule(**row) for row in data["levels"]]
        return {"levels": settings.replace_levels(engine(), require_actor(), rules)}


@blp.route("/norms")
class Norms(MethodView):
    @blp.response(200, NormsSchema)
    @blp.errors(403)
    def get(self):
        """The current per-capita norms and their version"""
        _readers()
        return settings.read_norms(engine())

    @blp.arguments(NormsSchema)
    @blp.response(201, NormsSchema)
    @blp.errors(403, 404)
    def put(self, data):
        """Replace the norms as a new version (administrators); plans name the version they used"""
        rules = [NormRule(**{**n, "incident_types": tuple(n["incident_types"]), "levels": tuple(n["levels"])})
                 for n in data["norms"]]
        version = settings.replace_norms(engine(), require_actor(), rules, data.get("note"), request_now())
        return {"version": version, "norms": [settings.norm_dict(r) for r in rules]}


@blp.route("/settings/planning")
class PlanningSettings(MethodView):
    @blp.response(200, PlanningSettingsSchema)
    @blp.errors(403)
    def get(self):
        """Planning settings: days covered, household size, travel speeds, vehicle capacity…"""
        _readers()
        return settings.read_settings(engine())

    @blp.arguments(PlanningSettingsSchema)
    @blp.response(200, PlanningSettingsSchema)
    @blp.errors(403)
    def patch(self, changes):
        """Change some planning settings (administrators)"""
        return settings.update_settings(engine(), require_actor(), changes)


@blp.route("/floors")
class Floors(MethodView):
    @blp.response(200, FloorSchema(many=True))
    @blp.errors(403)
    def get(self):
        """Reserve floors: units each depot keeps for its own area"""
        _readers()
        return settings.list_floors(engine())

    @blp.arguments(FloorSchema)
    @blp.response(200, FloorSchema)
    @blp.errors(403, 404)
    def put(self, data):
        """Set one depot's floor for one item (administrators)"""
        return settings.set_floor(engine(), require_actor(), **data)


@blp.route("/shelters")
class Shelters(MethodView):
    @blp.response(200, ShelterSchema(many=True))
    @blp.errors(403)
    def get(self):
        """Shelters (避难场所) that can be affected sites"""
        _readers()
        return settings.list_shelters(engine())

    @blp.arguments(ShelterSchema)
    @blp.response(201, ShelterSchema)
    @blp.errors(403, 404)
    def post(self, data):
        """Add a shelter (administrators)"""
        return settings.create_shelter(engine(), require_actor(), **data)


@blp.route("/incidents")
class Incidents(MethodView):
    @blp.response(200, IncidentSchema(many=True))
    @blp.errors(403)
    def get(self):
        """Incidents, newest first"""
        return incidents.list_incidents(engine(), _readers())

    @blp.arguments(IncidentSchema)
    @blp.response(201, IncidentSchema)
    @blp.errors(403, 404)
    def post(self, data):
        """Declare an incident with its affected sites and displaced people; the level defaults to
        the one the people suggest, and another level needs a reason"""
        data["declared_at"] = data["declared_at"] or request_now()
        incident_id = incidents.declare(engine(), require_actor(), **data)
        return incidents.get(engine(), require_actor(), incident_id)


@blp.route("/incidents/<int:incident_id>")
@blp.response(200, IncidentSchema)
@blp.errors(403, 404)
def incident(incident_id):
    """One incident"""
    return incidents.get(engine(), _readers(), incident_id)


@blp.route("/incidents/<int:incident_id>/level", methods=["POST"])
@blp.arguments(LevelChangeSchema)
@blp.response(200, IncidentSchema)
@blp.errors(403, 404, 409)
def change_level(data, incident_id):
    """Change the response level, with the reason recorded"""
    return incidents.change_level(engine(), require_actor(), incident_id, data["level"], data["reason"], request_now())


@blp.route("/incidents/<int:incident_id>/sites", methods=["PUT"])
@blp.arguments(SitesSchema)
@blp.response(200, IncidentSchema)
@blp.errors(403, 404, 409)
def replace_sites(data, incident_id):
    """Replace the affected sites and their displaced people"""
    return incidents.replace_sites(engine(), require_actor(), incident_id, data["sites"])


@blp.route("/incidents/<int:incident_id>/sites.csv", methods=["PUT"])
@blp.doc(requestBody=_csv_body("site, people"))
@blp.response(200, IncidentSchema)
@blp.errors(403, 404, 409, 415)
def import_sites(incident_id):
    """Replace the affected sites from a CSV file (columns site,people; UTF-8) sent as the body"""
    actor = require_actor()
    problems = Problems()  # rows that are not numbers and unknown sites are named together
    rows = importers.site_rows(request.get_data(), problems)
    return incidents.replace_sites(engine(), actor, incident_id, rows, problems)


@blp.route("/incidents/<int:incident_id>/needs")
@blp.alt_response(200, schema=NeedsSchema, success=True, description="the needs")
@blp.errors(403, 404)
def needs(incident_id):
    """Needs per site and item: from the norms, less what the site's own point holds"""
    return incidents.needs_for(engine(), _readers(), incident_id, request_today())


@blp.route("/incidents/<int:incident_id>/plan")
class IncidentPlan(MethodView):
    @blp.alt_response(200, schema=IncidentPlanSchema, success=True, description="the latest plan")
    @blp.errors(403, 404)
    def get(self, incident_id):
        """The incident's latest plan, with the dispatcher's report: fill rates, unmet and why, outflows and trucks"""
        return planning.latest_plan(engine(), require_actor(), incident_id)

    @blp.alt_response(201, schema=IncidentPlanSchema, success=True, description="the new plan")
    @blp.errors(403, 404, 409)
    def post(self, incident_id):
        """Build the problem from the database, solve it and store both; answers the plan with its report"""
        result = planning.plan_incident(engine(), require_actor(), incident_id, request_now(),
                                        current_app.config["TIMEZONE"])
        return result, 201


@blp.route("/incidents/<int:incident_id>/problem")
@blp.alt_response(200, schema=AllocationProblemSchema, success=True, description="the problem document")
@blp.errors(403, 404)
def problem(incident_id):
    """The exact allocation-problem/1 document the incident's latest plan was solved from"""
    return planning.planned_problem(engine(), require_actor(), incident_id, request_now(),
                                    current_app.config["TIMEZONE"])


@blp.route("/travel-times.csv", methods=["PUT"])
@blp.doc(requestBody=_csv_body("depot, site, minutes"))
@blp.alt_response(200, schema=TravelTimesImportedSchema, success=True, description="how many rows were imported")
@blp.errors(403, 415)
def import_travel_times():
    """Replace the imported travel times from a CSV body (columns depot,site,minutes; UTF-8)"""
    count = importers.import_travel_times(engine(), require_actor(), request.get_data())
    return {"imported": count}


from dispatch import adjust_api  # noqa: E402,F401  (plan adjustments, on this blueprint)
