"""A register's cell values read as offices write them. Each reader returns the value or raises ``BadValue``
carrying a message code and its parameters (``registers.vocab``); the sheet reader turns it into a rejection
naming the row and the column.

Dates: 2025-03-01, 2025/3/1, 2025.3.1, 2025年3月1日, 20250301, an Excel date number (45717) or a date cell.
Quantities: whole numbers, "1,200" and "1200.0" too, with the unit optionally after the number ("120 顶").
Shelf lives: whole months ("24", "24个月", "2年" = 24)."""
import calendar
import re
import unicodedata
from datetime import date, datetime, timedelta

from common.limits import EARLIEST_DATE, LATEST_DATE, MAX_QUANTITY

EXCEL_EPOCH = date(1899, 12, 30)  # Excel's day 0 (1900 date system, with its phantom 29 Feb 1900)
MAX_MONTHS = 1200

_YMD = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_COMPACT = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_TIME_TAIL = re.compile(r"[T\s]+\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$")
_QUANTITY = re.compile(r"^([+-]?[\d,]+(?:\.\d+)?)\s*(\D*)$")
_MONTHS = re.compile(r"^(\d+(?:\.0+)?)\s*(个月|月|months?|年|years?)?$")


class BadValue(Exception):
    def __init__(self, code: str, **params):
        super().__init__(code)
        self.code = code
        self.params = params


def text(value) -> str:
    """A cell as text, as written: spaces at the ends dropped; 1200.0 as 1200."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def half(value) -> str:
    """A cell as text to parse: full-width digits, letters and signs made half-width (NFKC)."""
    return unicodedata.normalize("NFKC", text(value)).strip()


def is_blank(value) -> bool:
    return text(value) == ""


def _in_range(d: date, shown) -> date:
    if not EARLIEST_DATE <= d <= LATEST_DATE:
        raise BadValue("row_date_out_of_range", value=str(shown))
    return d


def parse_date(value) -> date:
    """A date from a date cell, an Excel date number or text in the styles above."""
    if isinstance(value, datetime):
        return _in_range(value.date(), value.date().isoformat())
    if isinstance(value, date):
        return _in_range(value, value.isoformat())
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return _serial(value, value)
    written = text(value)
    s = _TIME_TAIL.sub("", half(value))
    for pattern in (_YMD, _COMPACT):
        m = pattern.match(s)
        if m:
            try:
                return _in_range(date(*map(int, m.groups())), written)
            except ValueError:
                raise BadValue("row_date_bad", value=written) from None
    if re.fullmatch(r"\d{1,6}(\.\d+)?", s):  # an Excel date number that reached a CSV as text
        return _serial(float(s), written)
    raise BadValue("row_date_bad", value=written)


def _serial(number: float, shown) -> date:
    if number != number or number < 1 or number > 2_958_465:  # NaN, before 1900, after 9999-12-31
        raise BadValue("row_date_bad", value=text(shown))
    return _in_range(EXCEL_EPOCH + timedelta(days=int(number)), text(shown))


def add_months(start: date, months: int) -> date:
    """Month-end aware: 31 Jan + 1 month = 28 (or 29) Feb; 29 Feb + 12 months = 28 Feb."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    return date(year, month, min(start.day, calendar.monthrange(year, month)[1]))


def parse_months(value) -> int:
    """A shelf life in whole months from 1 to 1,200: 24, "24", "24个月", "2年" (24)."""
    written = text(value)
    m = _MONTHS.match(half(value).lower().replace(" ", ""))
    if not m:
        raise BadValue("row_months_bad", value=written)
    months = int(float(m.group(1))) * (12 if (m.group(2) or "").startswith(("年", "year")) else 1)
    if not 1 <= months <= MAX_MONTHS:
        raise BadValue("row_months_bad", value=written)
    return months


def parse_quantity(value, unit: str = "") -> tuple[int, str]:
    """(whole number, the unit written after it or ""). A unit written after the number must be the row's unit
    when the row has one. Refused: fractions ("1.5"), negatives, text, more than MAX_QUANTITY."""
    if isinstance(value, bool):
        raise BadValue("row_quantity_bad", value=str(value))
    if isinstance(value, int):
        number, written = value, ""
    elif isinstance(value, float):
        if not value.is_integer():
            raise BadValue("row_quantity_bad", value=text(value))
        number, written = int(value), ""
    else:
        shown = text(value)
        m = _QUANTITY.match(half(value))
        if not m or not re.fullmatch(r"[+-]?(\d{1,3}(,\d{3})+|\d+)(\.0+)?", m.group(1)):
            raise BadValue("row_quantity_bad", value=shown)
        number, written = int(float(m.group(1).replace(",", ""))), m.group(2).strip()
        if not written and "." in m.group(1) and float(m.group(1).replace(",", "")) != number:
            raise BadValue("row_quantity_bad", value=shown)
    if number < 0:
        raise BadValue("row_quantity_bad", value=text(value))
    if number > MAX_QUANTITY:
        raise BadValue("row_quantity_too_large", value=text(value), max=f"{MAX_QUANTITY:,}")
    unit = text(unit)
    if written and unit and written not in (unit, half(unit)):
        raise BadValue("row_quantity_unit_disagrees", written=written, unit=unit)
    return number, written


def parse_whole(value) -> int:
    """A whole number of 0 or more (a capacity in people): "1,200" and "1200.0" too."""
    try:
        number, written = parse_quantity(value)
    except BadValue:
        raise BadValue("row_number_bad", value=text(value)) from None
    if written:
        raise BadValue("row_number_bad", value=text(value))
    return number
