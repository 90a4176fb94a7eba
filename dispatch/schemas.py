"""HTTP shapes of the dispatch API."""
from marshmallow import INCLUDE, Schema, fields, validate

from common.limits import MAX_INT, MOMENT_RANGE
from dispatch.models import INCIDENT_TYPES, LEVELS, NORM_BASES


class LevelSchema(Schema):
    level = fields.Str(required=True, validate=validate.OneOf(LEVELS))
    min_people = fields.Int(required=True, strict=True, validate=validate.Range(min=0, max=MAX_INT),
                            metadata={"description": "displaced people from which this level is suggested"})
    time_target_minutes = fields.Int(required=True, strict=True, validate=validate.Range(min=1, max=MAX_INT))
    floor_draw = fields.Float(required=True, validate=validate.Range(0, 1),
                              metadata={"description": "share of reserve floors that may be drawn"})
    mutual_aid = fields.Bool(required=True)


class LevelsSchema(Schema):
    levels = fields.List(fields.Nested(LevelSchema), required=True)


class NormSchema(Schema):
    item = fields.Str(required=True)
    basis = fields.Str(required=True, validate=validate.OneOf(NORM_BASES))
    quantity = fields.Float(required=True, validate=validate.Range(min=0, min_inclusive=False))
    per_day = fields.Bool(load_default=False)
    incident_types = fields.List(fields.Str(validate=validate.OneOf(("all",) + INCIDENT_TYPES)), load_default=["all"])
    levels = fields.List(fields.Str(validate=validate.OneOf(LEVELS)), load_default=list(LEVELS))
    source = fields.Str(allow_none=True, load_default=None)


class NormsSchema(Schema):
    version = fields.Int(dump_only=True)
    note = fields.Str(load_default=None, validate=validate.Length(max=200))
    norms = fields.List(fields.Nested(NormSchema), required=True)


class PlanningSettingsSchema(Schema):
    days = fields.Int(strict=True)
    household_size = fields.Float()
    min_shelf_days = fields.Int(strict=True)
    fair_share_steps = fields.Int(strict=True)
    vehicle_capacity_kg = fields.Float()
    vehicle_capacity_m3 = fields.Float()
    detour_factor = fields.Float()
    speed_county_kmh = fields.Float()
    speed_town_kmh = fields.Float()
    speed_village_kmh = fields.Float()
    handling_minutes = fields.Int(strict=True)


class FloorSchema(Schema):
    depot = fields.Str(required=True)
    item = fields.Str(required=True)
    quantity = fields.Int(required=True, strict=True, validate=validate.Range(min=0, max=MAX_INT))


class ShelterSchema(Schema):
    code = fields.Str(required=True, validate=validate.Length(min=1, max=32))
    name = fields.Str(required=True, validate=validate.Length(min=1, max=100))
    town = fields.Str(required=True, metadata={"description": "code of the town station whose area it is in"})
    lat = fields.Float(required=True, validate=validate.Range(-90, 90))
    lon = fields.Float(required=True, validate=validate.Range(-180, 180))
    capacity = fields.Int(strict=True, allow_none=True, load_default=None, validate=validate.Range(min=0, max=MAX_INT))
    address = fields.Str(allow_none=True, load_default=None)


class SiteSchema(Schema):
    site = fields.Str(required=True, metadata={"description": "a village point's code or a shelter's code"})
    people = fields.Int(required=True, strict=True, validate=validate.Range(min=0, max=MAX_INT))
    name = fields.Str(dump_only=True, allow_none=True, metadata={"description": "null: the site is not known (any more)"})


class LevelChangeRecordSchema(Schema):
    from_ = fields.Str(data_key="from", attribute="from", required=True)
    to = fields.Str(required=True)
    reason = fields.Str(required=True)
    at = fields.Str(required=True, metadata={"description": "ISO 8601 time"})
    user_id = fields.Int(allow_none=True)
    username = fields.Str(allow_none=True)


class IncidentSchema(Schema):
    id = fields.Int(dump_only=True)
    type = fields.Str(required=True, validate=validate.OneOf(INCIDENT_TYPES))
    title = fields.Str(required=True, validate=validate.Length(min=1, max=200))
    level = fields.Str(load_default=None, validate=validate.OneOf(LEVELS),
                       metadata={"description": "defaults to the level the people suggest"})
    level_reason = fields.Str(load_default=None, validate=validate.Length(max=500))
    declared_at = fields.AwareDateTime(load_default=None, validate=MOMENT_RANGE)
    days = fields.Int(strict=True, load_default=None, validate=validate.Range(1, 60))
    sites = fields.List(fields.Nested(SiteSchema), required=True)
    suggested_level = fields.Str(dump_only=True, allow_none=True,
                                 metadata={"description": "the level the displaced people call for; null below level IV"})
    people = fields.Int(dump_only=True)
    declared_by = fields.Str(dump_only=True, allow_none=True,
                             metadata={"description": "username of the account that declared the incident"})
    level_changes = fields.List(fields.Nested(LevelChangeRecordSchema), dump_only=True)


class LevelChangeSchema(Schema):
    level = fields.Str(required=True, validate=validate.OneOf(LEVELS))
    reason = fields.Str(required=True, validate=validate.Length(min=1, max=500))


class SitesSchema(Schema):
    sites = fields.List(fields.Nested(SiteSchema), required=True)


# ------------------------------------------------------------------ documents the services write (documentation only:
# the views return them as they are; the fuzz run checks every answer against these)


class _Document(Schema):
    class Meta:
        unknown = INCLUDE  # the contract: unknown keys are ignored


class NeedLineSchema(_Document):
    site = fields.Str()
    site_name = fields.Str()
    people = fields.Int()
    item = fields.Str()
    item_name = fields.Str()
    unit = fields.Str()
    gross = fields.Int(metadata={"description": "what the norms ask for"})
    own_stock = fields.Int(metadata={"description": "usable units the site's own point holds, up to gross"})
    net = fields.Int(metadata={"description": "gross less own stock: what must be brought"})


class NeedsSchema(_Document):
    incident = fields.Int()
    norm_version = fields.Int(allow_none=True)
    lines = fields.List(fields.Nested(NeedLineSchema))


class ProblemDepotSchema(_Document):
    id = fields.Str(required=True)
    tier = fields.Str(validate=validate.OneOf(("county", "town", "village")))
    parent = fields.Str(allow_none=True)
    name = fields.Str(allow_none=True)
    lat = fields.Float(allow_none=True)
    lon = fields.Float(allow_none=True)


class ProblemItemSchema(_Document):
    id = fields.Str(required=True)
    name = fields.Str(allow_none=True)
    unit = fields.Str(allow_none=True)
    priority = fields.Int()
    weight_kg = fields.Float()
    volume_m3 = fields.Float()


class ProblemStockSchema(_Document):
    depot = fields.Str(required=True)
    item = fields.Str(required=True)
    lot = fields.Str(required=True)
    quantity = fields.Int(required=True)
    expires = fields.Date(allow_none=True)


class ProblemQuantitySchema(_Document):
    depot = fields.Str()
    site = fields.Str()
    item = fields.Str(required=True)
    quantity = fields.Int(required=True)


class ProblemSiteSchema(_Document):
    id = fields.Str(required=True)
    name = fields.Str(allow_none=True)
    people = fields.Int()
    lat = fields.Float(allow_none=True)
    lon = fields.Float(allow_none=True)


class ProblemRouteSchema(_Document):
    from_ = fields.Str(data_key="from", attribute="from", required=True)
    to = fields.Str(required=True)
    minutes = fields.Int(required=True)


class ProblemIncidentSchema(_Document):
    id = fields.Int()
    type = fields.Str()
    level = fields.Str(allow_none=True)
    norm_version = fields.Int(allow_none=True)


class AllocationProblemSchema(_Document):
    """An allocation problem, format allocation-problem/1 (see the allocation contract)."""

    format = fields.Str(required=True, metadata={"example": "allocation-problem/1"})
    now = fields.Str(required=True, metadata={"description": "ISO 8601 with offset"})
    min_shelf_days = fields.Int()
    fair_share_steps = fields.Int()
    incident = fields.Nested(ProblemIncidentSchema, metadata={"description": "problems built for an incident"})
    depots = fields.List(fields.Nested(ProblemDepotSchema), required=True)
    items = fields.List(fields.Nested(ProblemItemSchema), required=True)
    stock = fields.List(fields.Nested(ProblemStockSchema), required=True)
    floors = fields.List(fields.Nested(ProblemQuantitySchema))
    sites = fields.List(fields.Nested(ProblemSiteSchema), required=True)
    demand = fields.List(fields.Nested(ProblemQuantitySchema), required=True)
    routes = fields.List(fields.Nested(ProblemRouteSchema), required=True)


class TransferSchema(_Document):
    from_ = fields.Str(data_key="from", attribute="from")
    to = fields.Str()
    item = fields.Str()
    lot = fields.Str()
    quantity = fields.Int()
    minutes = fields.Int()


class UnmetSchema(_Document):
    site = fields.Str()
    item = fields.Str()
    quantity = fields.Int()


class AllocationPlanSchema(_Document):
    """An allocation plan, format allocation-plan/1 (see the allocation contract)."""

    format = fields.Str(metadata={"example": "allocation-plan/1"})
    status = fields.Str(metadata={"description": "optimal when the objective is proven minimal"})
    objective = fields.Int()
    transfers = fields.List(fields.Nested(TransferSchema))
    unmet = fields.List(fields.Nested(UnmetSchema))
    solve_seconds = fields.Float()


class FillLineSchema(_Document):
    site = fields.Str()
    item = fields.Str()
    demand = fields.Int()
    delivered = fields.Int()
    fill_rate = fields.Float()
    unmet = fields.Int()
    reason = fields.Str(metadata={"description": "no_usable_stock, no_route_in_time, held_by_floors or "
                                                 "shared_shortage"})
    expired_units_elsewhere = fields.Int()


class OutflowItemSchema(_Document):
    item = fields.Str()
    quantity = fields.Int()


class OutflowSchema(_Document):
    depot = fields.Str()
    items = fields.List(fields.Nested(OutflowItemSchema))
    destinations = fields.Int()
    weight_kg = fields.Float()
    volume_m3 = fields.Float()
    trucks = fields.Int()


class PlanTotalsSchema(_Document):
    demand = fields.Int()
    delivered = fields.Int()
    unmet = fields.Int()


class PlanReportSchema(_Document):
    fill = fields.List(fields.Nested(FillLineSchema))
    outflows = fields.List(fields.Nested(OutflowSchema))
    totals = fields.Nested(PlanTotalsSchema)


class IncidentPlanSchema(_Document):
    id = fields.Int()
    incident = fields.Int()
    norm_version = fields.Int(allow_none=True)
    created_at = fields.Str(metadata={"description": "ISO 8601 time"})
    plan = fields.Nested(AllocationPlanSchema)
    report = fields.Nested(PlanReportSchema, metadata={"description": "the dispatcher's reading of the plan"})


class TravelTimesImportedSchema(Schema):
    imported = fields.Int(metadata={"description": "rows imported"})
