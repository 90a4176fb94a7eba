"""Dates, numbers and wording as people read them: one set of plain functions, each taking the locale
("zh_Hans_CN" or "en"; anything starting with "zh" is Chinese). No Flask here: ``app.py`` registers them
for the templates with the request's locale, the report exports call them with the document's locale.

Chinese as a county office writes it: 2026年7月13日, 2026年12月5日 15:03, 已过期 145 天, 1,200 顶,
1,234.50 元, 达到 72% / 已达标. English: 13 Jul 2026, 13 Jul 2026, 15:03, expired 145 days ago, 1,200 pcs.
Machine formats (ISO dates in the JSON API and the plan documents) do not go through here.
"""
import math
from datetime import date, datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date as _babel_date
from babel.numbers import format_decimal

DEFAULT_LOCALE = "zh_Hans_CN"
DEFAULT_TZ = "Asia/Shanghai"
# Coverage at or above this (a multiple of the target) is worded as "N× the target" rather than just "met".
WELL_OVER = 1.5

# The catalog's units are Chinese (量词); in English they read as these. A unit not listed stays as it is.
UNITS_EN = {
    "顶": "pcs", "床": "pcs", "件": "pcs", "个": "pcs", "条": "pcs", "支": "pcs", "张": "sheets", "把": "pcs",
    "只": "pcs", "块": "pcs", "根": "pcs", "台": "sets", "套": "sets", "部": "sets", "组": "sets", "副": "pairs",
    "双": "pairs", "艘": "boats", "辆": "vehicles", "箱": "cases", "盘": "rolls", "卷": "rolls", "桶": "drums",
    "袋": "bags", "包": "packs", "捆": "bundles", "瓶": "bottles", "盒": "boxes", "份": "portions",
    "平方米": "m²", "米": "m", "千克": "kg", "公斤": "kg", "吨": "t", "升": "L",
}


def is_zh(locale) -> bool:
    return str(locale or DEFAULT_LOCALE).lower().startswith("zh")


def _babel_locale(locale) -> str:
    return "zh_Hans_CN" if is_zh(locale) else "en"


def number(value, locale=DEFAULT_LOCALE, digits: int | None = None) -> str:
    """1234567 → 1,234,567 (both languages group by thousands); ``digits`` fixes the decimals."""
    if value is None or value == "":
        return ""
    if digits is not None:
        return format_decimal(value, format=f"#,##0.{'0' * digits}" if digits else "#,##0",
                              locale=_babel_locale(locale))
    return format_decimal(value, locale=_babel_locale(locale))


def date_text(value, locale=DEFAULT_LOCALE) -> str:
    """2026年7月13日 / 13 Jul 2026; a datetime gives its date; None gives ""."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    if isinstance(value, datetime):
        value = value.date()
    if is_zh(locale):
        return f"{value.year}年{value.month}月{value.day}日"
    return _babel_date(value, "d MMM y", locale="en")


def datetime_text(value, locale=DEFAULT_LOCALE, tz: str | None = DEFAULT_TZ) -> str:
    """2026年12月5日 15:03 / 5 Dec 2026, 15:03. An aware time is shown in ``tz``; a naive one (or ISO text)
    is taken as already local."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        return date_text(value, locale)
    if value.tzinfo is not None and tz:
        value = value.astimezone(ZoneInfo(tz))
    clock = f"{value.hour:02d}:{value.minute:02d}"
    if is_zh(locale):
        return f"{date_text(value, locale)} {clock}"
    return f"{date_text(value, locale)}, {clock}"


def days_left_text(days, locale=DEFAULT_LOCALE) -> str:
    """A lot's days to expiry: 已过期 145 天 / 今天到期 / 还剩 30 天; expired 145 days ago / expires today /
    30 days left."""
    if days is None or days == "":
        return ""
    n = number(abs(days), locale)
    if is_zh(locale):
        if days < 0:
            return f"已过期 {n} 天"
        return "今天到期" if days == 0 else f"还剩 {n} 天"
    if days < 0:
        return f"expired {n} day ago" if days == -1 else f"expired {n} days ago"
    if days == 0:
        return "expires today"
    return f"{n} day left" if days == 1 else f"{n} days left"


def unit_text(unit, locale=DEFAULT_LOCALE) -> str:
    """An item's unit (the catalog's Chinese 量词) in the reader's language."""
    if not unit:
        return ""
    return unit if is_zh(locale) else UNITS_EN.get(unit, unit)


def quantity_text(value, unit, locale=DEFAULT_LOCALE) -> str:
    """1200 顶 → 1,200 顶 (zh) / 1,200 pcs (en)."""
    if value is None or value == "":
        return ""
    u = unit_text(unit, locale)
    return f"{number(value, locale)} {u}" if u else number(value, locale)


def percent_text(fraction, locale=DEFAULT_LOCALE, digits: int = 0) -> str:
    """0.72 → 72%. Rounded down, so 99.6% never shows as a full 100%; a share above 0 but under the last
    digit shows as "<1%"."""
    if fraction is None or fraction == "":
        return ""
    scale = 10 ** digits
    shown = math.floor(round(fraction * 100 * scale, 6)) / scale
    if fraction > 0 and shown == 0:
        return f"<{number(1 / scale, locale)}%"
    return f"{number(shown, locale, digits)}%"


def coverage_text(fraction, locale=DEFAULT_LOCALE) -> str:
    """Stock against a target, capped and worded: 达到 72% / 已达标 / 已达标（目标的 3.2 倍）;
    72% met / met / met (3.2× the target). None (no target) gives "—"."""
    if fraction is None or fraction == "":
        return "—"
    if fraction < 1:
        shown = percent_text(fraction, locale)
        return f"达到 {shown}" if is_zh(locale) else f"{shown} met"
    if fraction < WELL_OVER:
        return "已达标" if is_zh(locale) else "met"
    times = number(fraction, locale, 1 if fraction < 10 else 0)
    return f"已达标（目标的 {times} 倍）" if is_zh(locale) else f"met ({times}× the target)"


def money_text(cents, locale=DEFAULT_LOCALE, with_unit: bool = True) -> str:
    """Cents as yuan: 1,234.50 元 (zh) / ¥1,234.50 (en); ``with_unit=False`` under a "(元)" heading: 1,234.50."""
    if cents is None or cents == "":
        return ""
    amount = number(cents / 100, locale, 2)
    if not with_unit:
        return amount
    if amount.startswith("-"):
        return f"{amount} 元" if is_zh(locale) else f"-¥{amount[1:]}"
    return f"{amount} 元" if is_zh(locale) else f"¥{amount}"
