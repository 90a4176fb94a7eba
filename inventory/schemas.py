"""HTTP shapes of the inventory API (marshmallow). They validate and document; services decide."""
from marshmallow import INCLUDE, Schema, ValidationError, fields, validate, validates_schema

from common.limits import DATE_RANGE, MAX_DAYS, MOMENT_RANGE, MAX_OFFSET, MAX_QUANTITY, MAX_UNIT_PRICE
from inventory.codes import CODE_PATTERN, CODE_RULE
from inventory.ledger import KINDS, WRITE_OFF_REASONS
from inventory.shelves import MAX_SHELF_LENGTH
from inventory.models import CATEGORIES, DEPOT_KINDS, KITS, LOT_SOURCES, STORAGE_MODES, TIERS


def Code(max_length: int = 48, **kw) -> fields.Str:  # noqa: N802 - reads like a field class
    """A lot (48), depot or item (32) code: it goes into QR labels and URLs."""
    return fields.Str(validate=[validate.Length(min=1, max=max_length), validate.Regexp(CODE_PATTERN, error=CODE_RULE)],
                      **kw)


Days = lambda **kw: fields.Int(strict=True, allow_none=True, validate=validate.Range(min=1, max=MAX_DAYS), **kw)  # noqa: E731


def ShelfCode(description: str = "a shelf code: letters and digits, parts joined by single hyphens, e.g. A-03",
              **kw) -> fields.Str:
    """A shelf code as typed; inventory.shelves checks it (422 naming the field) and upper-cases it."""
    return fields.Str(validate=validate.Length(max=MAX_SHELF_LENGTH),
                      metadata={"description": description, "example": "A-03"}, **kw)


class DepotSchema(Schema):
    code = Code(32, required=True)
    name = fields.Str(required=True, validate=validate.Length(min=1, max=100))
    tier = fields.Str(required=True, validate=validate.OneOf(TIERS))
    kind = fields.Str(load_default="station", validate=validate.OneOf(DEPOT_KINDS))
    parent = fields.Str(allow_none=True, load_default=None)
    lat = fields.Float(allow_none=True, load_default=None, validate=validate.Range(-90, 90))
    lon = fields.Float(allow_none=True, load_default=None, validate=validate.Range(-180, 180))
    address = fields.Str(allow_none=True, load_default=None, validate=validate.Length(max=200))
    keeper_name = fields.Str(allow_none=True, load_default=None, validate=validate.Length(max=50))
    keeper_phone = fields.Str(allow_none=True, load_default=None, validate=validate.Length(max=30))
    key_town = fields.Bool(load_default=False)


class DepotUpdateSchema(Schema):
    name = fields.Str(validate=validate.Length(min=1, max=100))
    lat = fields.Float(allow_none=True, validate=validate.Range(-90, 90))
    lon = fields.Float(allow_none=True, validate=validate.Range(-180, 180))
    address = fields.Str(allow_none=True, validate=validate.Length(max=200))
    keeper_name = fields.Str(allow_none=True, validate=validate.Length(max=50))
    keeper_phone = fields.Str(allow_none=True, validate=validate.Length(max=30))
    key_town = fields.Bool()


class RollupSchema(Schema):
    units = fields.Int()
    lots = fields.Int()
    expired_units = fields.Int()


class DepotNodeSchema(DepotSchema):
    own = fields.Nested(RollupSchema)
    total = fields.Nested(RollupSchema, metadata={"description": "this depot and every depot under it"})
    children = fields.List(fields.Nested(lambda: DepotNodeSchema()))


class DepotListQuery(Schema):
    tier = fields.Str(validate=validate.OneOf(TIERS))


class ItemSchema(Schema):
    code = Code(32, required=True)
    name_zh = fields.Str(required=True, validate=validate.Length(min=1, max=100))
    name_en = fields.Str(required=True, validate=validate.Length(min=1, max=100))
    category = fields.Str(required=True, validate=validate.OneOf(CATEGORIES))
    unit = fields.Str(required=True, validate=validate.Length(min=1, max=16))
    weight_kg = fields.Float(load_default=0.0, validate=validate.Range(min=0))
    volume_m3 = fields.Float(load_default=0.0, validate=validate.Range(min=0))
    shelf_life_days = Days(load_default=None)
    rotation_lead_days = Days(load_default=None)
    priority = fields.Int(strict=True, load_default=2, validate=validate.Range(1, 9))
    kit = fields.Str(allow_none=True, load_default=None, validate=validate.OneOf(KITS))
    durable = fields.Bool(load_default=False, metadata={
        "description": "durable equipment: tracked while out with an incident and returned (回收)"})


class ItemUpdateSchema(Schema):
    """Only the fields sent are changed (no defaults filled in)."""

    name_zh = fields.Str(validate=validate.Length(min=1, max=100))
    name_en = fields.Str(validate=validate.Length(min=1, max=100))
    category = fields.Str(validate=validate.OneOf(CATEGORIES))
    unit = fields.Str(validate=validate.Length(min=1, max=16))
    weight_kg = fields.Float(validate=validate.Range(min=0))
    volume_m3 = fields.Float(validate=validate.Range(min=0))
    shelf_life_days = Days()
    rotation_lead_days = Days()
    priority = fields.Int(strict=True, validate=validate.Range(1, 9))
    kit = fields.Str(allow_none=True, validate=validate.OneOf(KITS))
    durable = fields.Bool()


class ItemListQuery(Schema):
    category = fields.Str(validate=validate.OneOf(CATEGORIES))


class StockQuery(Schema):
    depot = fields.Str(metadata={"description": "a depot code; its whole subtree is counted"})
    by = fields.Str(load_default="item", validate=validate.OneOf(["item", "category"]))


class StockLineSchema(Schema):
    """A line is a dict; only its keys are read (a line per item has no ``items``, and ``dict.items``
    must not stand in for it)."""

    code = fields.Str()
    name_zh = fields.Str()
    name_en = fields.Str()
    category = fields.Str()
    unit = fields.Str()
    items = fields.Int()
    units = fields.Int()
    usable_units = fields.Int(metadata={"description": "units in lots not yet expired"})

    def get_attribute(self, obj, attr, default):
        return obj.get(attr, default) if isinstance(obj, dict) else super().get_attribute(obj, attr, default)


class StockSummarySchema(Schema):
    depot = fields.Str(allow_none=True)
    by = fields.Str()
    lines = fields.List(fields.Nested(StockLineSchema))


class PageQuery(Schema):
    limit = fields.Int(load_default=100, validate=validate.Range(1, 1000))
    offset = fields.Int(load_default=0, validate=validate.Range(min=0, max=MAX_OFFSET))


class LotQuery(PageQuery):
    depot = fields.Str()
    subtree = fields.Bool(load_default=False, metadata={"description": "include the depots under `depot`"})
    item = fields.Str()
    category = fields.Str(validate=validate.OneOf(CATEGORIES))
    expires_within_days = fields.Int(validate=validate.Range(min=1, max=MAX_DAYS))
    expired = fields.Bool()
    include_empty = fields.Bool(load_default=False)
    shelf = ShelfCode("only lots on this shelf (e.g. A-03)")


class LotSchema(Schema):
    code = fields.Str()
    item = fields.Str()
    item_name = fields.Str()
    item_name_en = fields.Str()
    category = fields.Str()
    unit = fields.Str()
    depot = fields.Str()
    depot_name = fields.Str()
    quantity = fields.Int()
    received_on = fields.Date()
    expires_on = fields.Date(allow_none=True)
    status = fields.Str(metadata={"description": "durable, ok, near_expiry (within 90 days) or expired"})
    storage_mode = fields.Str()
    partner = fields.Str(allow_none=True)
    source = fields.Str()
    unit_price = fields.Float(allow_none=True)
    shelf = fields.Str(allow_none=True, metadata={"description": "where the lot stands in its depot, e.g. A-03"})
    first_out = fields.Nested(lambda: FirstOutSchema(), allow_none=True, metadata={
        "description": "one lot only (GET /lots/<code>): the lot of the same item at the same depot that should "
                       "leave first (first-expiry-first-out), null when none is usable"})
    out_of_order = fields.Bool(metadata={
        "description": "one lot only: true when taking this lot passes over first_out, which expires sooner"})


class FirstOutSchema(Schema):
    code = fields.Str()
    shelf = fields.Str(allow_none=True)
    expires_on = fields.Date(allow_none=True)
    received_on = fields.Date()
    quantity = fields.Int()


class ShelfMoveSchema(Schema):
    lot = fields.Str()
    depot = fields.Str()
    from_shelf = fields.Str(allow_none=True)
    to_shelf = fields.Str(allow_none=True)
    user = fields.Str()
    moved_at = fields.Str()
    note = fields.Str(allow_none=True)


class ShelfChangeSchema(Schema):
    shelf = ShelfCode("the shelf to put the lot on (e.g. A-03); null takes it off any shelf", required=True,
                      allow_none=True)
    note = fields.Str(validate=validate.Length(max=500), load_default=None)


class LotPageSchema(Schema):
    total = fields.Int()
    lots = fields.List(fields.Nested(LotSchema))


class MovementSchema(Schema):
    id = fields.Int()
    kind = fields.Str(metadata={"description": ", ".join(KINDS)})
    lot = fields.Str()
    depot = fields.Str()
    item = fields.Str()
    quantity = fields.Int(metadata={"description": "signed: positive into the lot, negative out of it"})
    balance_after = fields.Int()
    user = fields.Str()
    created_at = fields.Str()
    reason = fields.Str(allow_none=True)
    note = fields.Str(allow_none=True)
    reference = fields.Str(allow_none=True)
    idempotency_key = fields.Str(allow_none=True)
    counterpart_id = fields.Int(allow_none=True)


class MovementPageSchema(Schema):
    total = fields.Int()
    entries = fields.List(fields.Nested(MovementSchema))


class StockCardSchema(Schema):
    lot = fields.Nested(LotSchema)
    entries = fields.List(fields.Nested(MovementSchema))
    shelf_moves = fields.List(fields.Nested(ShelfMoveSchema), metadata={"description": "oldest first"})


class MovementQuery(PageQuery):
    depot = fields.Str()
    subtree = fields.Bool(load_default=False)
    lot = fields.Str()
    item = fields.Str()
    kind = fields.Str(validate=validate.OneOf(KINDS))
    user = fields.Str()
    reference = fields.Str()
    since = fields.AwareDateTime(validate=MOMENT_RANGE, metadata={"description": "ISO 8601 with offset, inclusive"})
    until = fields.AwareDateTime(validate=MOMENT_RANGE, metadata={"description": "ISO 8601 with offset, exclusive"})


class NewLotSchema(Schema):
    code = Code(load_default=None)
    item = fields.Str(required=True)
    depot = fields.Str(required=True)
    received_on = fields.Date(load_default=None, validate=DATE_RANGE, metadata={"description": "defaults to today"})
    expires_on = fields.Date(allow_none=True, load_default=None, validate=DATE_RANGE)
    storage_mode = fields.Str(load_default="physical", validate=validate.OneOf(STORAGE_MODES))
    partner = fields.Str(allow_none=True, load_default=None, validate=validate.Length(max=100))
    source = fields.Str(load_default="purchase", validate=validate.OneOf(LOT_SOURCES))
    unit_price = fields.Decimal(allow_none=True, load_default=None, places=2,
                                validate=validate.Range(min=0, max=MAX_UNIT_PRICE))
    shelf = ShelfCode(allow_none=True, load_default=None)


OPERATION_FIELDS = {
    "receive": ({"quantity"}, {"lot", "new_lot"}),
    "issue": ({"lot", "quantity"}, set()),
    "transfer": ({"lot", "quantity", "to_depot"}, {"to_lot"}),
    "count": ({"lot", "counted"}, set()),
    "write_off": ({"lot", "quantity", "reason"}, set()),
    "return": ({"lot", "quantity"}, set()),
}


class OperationSchema(Schema):
    """One stock operation. Which fields are needed depends on `kind`."""

    kind = fields.Str(required=True, validate=validate.OneOf(list(OPERATION_FIELDS)))
    lot = fields.Str(validate=validate.Length(min=1, max=48))
    quantity = fields.Int(strict=True, validate=validate.Range(min=1, max=MAX_QUANTITY))
    counted = fields.Int(strict=True, validate=validate.Range(min=0, max=MAX_QUANTITY))
    reason = fields.Str(validate=validate.OneOf(WRITE_OFF_REASONS))
    to_depot = fields.Str(validate=validate.Length(min=1, max=32))
    to_lot = Code()
    new_lot = fields.Nested(NewLotSchema)
    note = fields.Str(validate=validate.Length(max=500), load_default=None)
    reference = fields.Str(validate=validate.Length(max=64), load_default=None)
    idempotency_key = fields.Str(validate=validate.Length(min=1, max=100), load_default=None,
                                 metadata={"description": "or the Idempotency-Key header"})

    @validates_schema
    def _fields_for_kind(self, data, **kwargs):
        kind = data.get("kind")
        if kind not in OPERATION_FIELDS:
            return
        required, optional = OPERATION_FIELDS[kind]
        if kind == "receive":
            if ("lot" in data) == ("new_lot" in data):
                raise ValidationError("a receipt names either lot (an existing lot) or new_lot", "lot")
        errors = {f: [f"required for {kind}"] for f in sorted(required) if f not in data}
        allowed = required | optional | {"kind", "note", "reference", "idempotency_key"}
        errors.update({f: [f"not used by {kind}"] for f in sorted(data) if f not in allowed})
        if errors:
            raise ValidationError(errors)


class OperationResultSchema(Schema):
    replayed = fields.Bool(metadata={"description": "true when this answers a repeated Idempotency-Key"})
    entries = fields.List(fields.Nested(MovementSchema))


# ------------------------------------------------------------------ the ledger's integrity (documentation only: the
# views return the service's dict as it is; more keys may come, so unknown ones are allowed)


class SealSchema(Schema):
    class Meta:
        unknown = INCLUDE

    upto = fields.Int(metadata={"description": "the last line's id (0 for an empty ledger)"})
    count = fields.Int(metadata={"description": "lines folded into the digest"})
    digest = fields.Str(metadata={"description": "64 hex digits"})
    text = fields.Str(metadata={"description": "<upto>:<digest>, what to keep outside the system"})


class MismatchSchema(Schema):
    class Meta:
        unknown = INCLUDE

    movement_id = fields.Int(allow_none=True, metadata={"description": "the ledger line; null when the problem is "
                                                                        "a lot's, not a line's"})
    problem = fields.Str()


class VerifySchema(Schema):
    class Meta:
        unknown = INCLUDE

    ok = fields.Bool(metadata={"description": "every line matches (and the seal, if one was given)"})
    lines_checked = fields.Int()
    first_mismatch = fields.Nested(MismatchSchema, allow_none=True)
    mismatches = fields.List(fields.Nested(MismatchSchema), metadata={"description": "the first 20"})
    mismatch_count = fields.Int()
    seal = fields.Nested(SealSchema, metadata={"description": "the seal of the ledger as it is now"})
    seal_matches = fields.Bool(metadata={"description": "given a seal: whether the ledger still gives it"})
    seal_problem = fields.Str(metadata={"description": "given a seal that no longer matches: what that means"})
