"""JSON API of plan adjustments, on the dispatch API blueprint (imported at the end of ``dispatch.api``)."""
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from accounts.auth import require_actor
from common.web import engine, request_now
from dispatch import adjusting
from dispatch.adjust import ACTIONS
from dispatch.api import blp
from dispatch.problem import MAX_QUANTITY

LINE_FIELDS = ("from", "to", "item", "quantity")


class AdjustmentSchema(Schema):
    action = fields.Str(required=True, validate=validate.OneOf(ACTIONS),
                        metadata={"description": "set a line's quantity, leave_out a depot, or add a line"})
    from_ = fields.Str(data_key="from", attribute="from", metadata={"description": "depot (set, add)"})
    to = fields.Str(metadata={"description": "site (set, add)"})
    item = fields.Str(metadata={"description": "item (set, add)"})
    quantity = fields.Int(strict=True, validate=validate.Range(0, MAX_QUANTITY),
                          metadata={"description": "units of the line (set: 0 drops it; add: 1 or more)"})
    depot = fields.Str(metadata={"description": "the depot left out (leave_out)"})

    @validates_schema
    def _fields_of_the_action(self, data, **kwargs):
        needed = ("depot",) if data.get("action") == "leave_out" else LINE_FIELDS
        missing = {name: ["Missing data for required field."] for name in needed if name not in data}
        if missing:
            raise ValidationError(missing)


class AdjustSchema(Schema):
    reason = fields.Str(required=True, validate=validate.Length(min=1, max=adjusting.MAX_REASON))
    adjustments = fields.List(fields.Nested(AdjustmentSchema), required=True, validate=validate.Length(min=1))


@blp.route("/incidents/<int:incident_id>/plans/<int:plan_id>/adjust", methods=["POST"])
@blp.errors(403, 404, 409)
@blp.arguments(AdjustSchema)
@blp.response(201, description="the adjusted plan (a new plan of the incident), its report and its comparison")
def adjust_plan(data, incident_id, plan_id):
    """Adjust a plan: change a line's quantity, leave out a depot, add a line, with a reason.

    Every adjustment is checked by the allocator's rules (usable stock, floors, expiry, allowed
    routes, needs); a broken one is a 409 (a malformed one a 422) naming `adjustments[n].field`.
    The adjusted plan is stored as a new plan of the incident (status `adjusted`) and returned with
    its report and its comparison with the plan adjusted from and with the optimum."""
    return adjusting.adjust_plan(engine(), require_actor(), incident_id, plan_id, data["adjustments"],
                                 data["reason"], request_now())


@blp.route("/incidents/<int:incident_id>/plans/<int:plan_id>/comparison")
@blp.errors(403, 404)
@blp.response(200, description="the comparison")
def plan_comparison(incident_id, plan_id):
    """A plan beside the plan it was adjusted from and the optimum: objective, transport, fill rates
    per site and item, and the sites that lose coverage"""
    return adjusting.plan_comparison(engine(), require_actor(), incident_id, plan_id)
