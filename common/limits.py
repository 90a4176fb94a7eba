"""Upper bounds of what a person may enter, set by the columns that store it (32-bit integers on
PostgreSQL) and by the dates Python can reach. The schemas document them as OpenAPI ``maximum``; the
domain rules check them again where a sum could pass them (a lot's balance after a receipt)."""
from datetime import date, datetime, timezone

from marshmallow import validate
from werkzeug.routing import IntegerConverter

MAX_INT = 2**31 - 1  # an INTEGER column: ids, quantities, counts, minutes, people
MAX_QUANTITY = MAX_INT  # units in one lot, and in one stock change
MAX_UNIT_PRICE = 10_000_000  # yuan per unit; stored as cents in an INTEGER column (max 21,474,836.47)
MAX_DAYS = 36_500  # shelf life, rotation lead, an expiry window: a hundred years
MAX_OFFSET = MAX_INT  # paging
# Dates and moments a person may give: far enough apart for any record, near enough that a date plus or minus
# MAX_DAYS, or a moment moved to UTC, stays within what Python's dates can hold (years 1 to 9999).
EARLIEST_DATE, LATEST_DATE = date(1900, 1, 1), date(9000, 12, 31)
EARLIEST_MOMENT = datetime(1900, 1, 1, tzinfo=timezone.utc)
LATEST_MOMENT = datetime(9000, 12, 31, tzinfo=timezone.utc)
DATE_RANGE = validate.Range(EARLIEST_DATE, LATEST_DATE, error="must be between 1900-01-01 and 9000-12-31")
MOMENT_RANGE = validate.Range(EARLIEST_MOMENT, LATEST_MOMENT, error="must be between 1900 and 9000")


class IdConverter(IntegerConverter):
    """``<int:…>`` in every route: an id beyond the INTEGER column's range matches no route (404) instead of
    reaching the database (which raises on PostgreSQL)."""

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_INT, signed=False):
        super().__init__(map, fixed_digits, min, max, signed)
