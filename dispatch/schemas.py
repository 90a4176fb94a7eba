"""HTTP shapes of the dispatch API."""
from marshmallow import Schema, fields, validate

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
    name = fields.Str(dump_only=True)


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
    suggested_level = fields.Str(dump_only=True)
    people = fields.Int(dump_only=True)
    declared_by = fields.Str(dump_only=True, allow_none=True,
                             metadata={"description": "username of the account that declared the incident"})
    level_changes = fields.List(fields.Dict(), dump_only=True)


class LevelChangeSchema(Schema):
    level = fields.Str(required=True, validate=validate.OneOf(LEVELS))
    reason = fields.Str(required=True, validate=validate.Length(min=1, max=500))


class SitesSchema(Schema):
    sites = fields.List(fields.Nested(SiteSchema), required=True)
