"""The time, read once at the edge of a request and passed down as plain values."""
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo


def now() -> datetime:
    return datetime.now(timezone.utc)


def local_today(moment: datetime, tz_name: str) -> date:
    """The calendar date in the county (expiry dates are local dates)."""
    return moment.astimezone(ZoneInfo(tz_name)).date()
