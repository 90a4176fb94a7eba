"""common.formats: dates, numbers and wording in both languages, edge cases included."""
from datetime import date, datetime, timezone

import pytest

from common import formats as f

ZH, EN = "zh_Hans_CN", "en"


def test_dates():
    d = date(2026, 7, 13)
    assert f.date_text(d, ZH) == "2026年7月13日"
    assert f.date_text(d, EN) == "13 Jul 2026"
    assert f.date_text("2026-07-13", ZH) == "2026年7月13日"
    assert f.date_text(datetime(2026, 1, 2, 23, 0), ZH) == "2026年1月2日"
    assert f.date_text(None, ZH) == f.date_text(None, EN) == ""


def test_datetimes_in_the_county_time_zone():
    utc = datetime(2026, 12, 5, 7, 3, 59, tzinfo=timezone.utc)  # 15:03 in Shanghai
    assert f.datetime_text(utc, ZH) == "2026年12月5日 15:03"
    assert f.datetime_text(utc, EN) == "5 Dec 2026, 15:03"
    assert f.datetime_text(datetime(2026, 12, 31, 23, 30, tzinfo=timezone.utc), ZH) == "2027年1月1日 07:30"
    assert f.datetime_text("2026-12-05 15:03:07", ZH) == "2026年12月5日 15:03"  # local text stays local
    assert f.datetime_text(None, EN) == ""


@pytest.mark.parametrize("days, zh, en", [
    (-145, "已过期 145 天", "expired 145 days ago"),
    (-1, "已过期 1 天", "expired 1 day ago"),
    (0, "今天到期", "expires today"),
    (1, "还剩 1 天", "1 day left"),
    (30, "还剩 30 天", "30 days left"),
    (12345, "还剩 12,345 天", "12,345 days left"),
    (None, "", ""),
])
def test_days_left(days, zh, en):
    assert f.days_left_text(days, ZH) == zh
    assert f.days_left_text(days, EN) == en


def test_numbers_quantities_money():
    assert f.number(1234567, ZH) == "1,234,567"
    assert f.number(10**15, EN) == "1,000,000,000,000,000"
    assert f.number(None, ZH) == ""
    assert f.number(0, ZH) == "0"
    assert f.number(2.5, ZH, 1) == "2.5"
    assert f.quantity_text(1200, "顶", ZH) == "1,200 顶"
    assert f.quantity_text(1200, "顶", EN) == "1,200 pcs"
    assert f.quantity_text(3, "平方米", EN) == "3 m²"
    assert f.quantity_text(3, "坛", EN) == "3 坛"  # a unit with no English word stays as it is
    assert f.quantity_text(5, None, ZH) == "5"
    assert f.money_text(123450, ZH) == "1,234.50 元"
    assert f.money_text(123450, EN) == "¥1,234.50"
    assert f.money_text(-5, EN) == "-¥0.05"
    assert f.money_text(123450, ZH, with_unit=False) == "1,234.50"
    assert f.money_text(None, ZH) == ""


def test_percent_rounds_down():
    assert f.percent_text(0.72, ZH) == "72%"
    assert f.percent_text(0.996, EN) == "99%"
    assert f.percent_text(1, EN) == "100%"
    assert f.percent_text(0.0001, ZH) == "<1%"
    assert f.percent_text(0, ZH) == "0%"
    assert f.percent_text(0.1234, ZH, 1) == "12.3%"
    assert f.percent_text(None, ZH) == ""


@pytest.mark.parametrize("coverage, zh, en", [
    (0, "达到 0%", "0% met"),
    (0.72, "达到 72%", "72% met"),
    (0.9999, "达到 99%", "99% met"),
    (1, "已达标", "met"),
    (1.2, "已达标", "met"),
    (3.24, "已达标（目标的 3.2 倍）", "met (3.2× the target)"),
    (32.33, "已达标（目标的 32 倍）", "met (32× the target)"),
    (3233.0, "已达标（目标的 3,233 倍）", "met (3,233× the target)"),
    (None, "—", "—"),
])
def test_coverage_is_capped_and_worded(coverage, zh, en):
    assert f.coverage_text(coverage, ZH) == zh
    assert f.coverage_text(coverage, EN) == en
    assert "%" not in f.coverage_text(coverage, ZH) or coverage < 1


def test_locale_names():
    assert f.is_zh("zh_Hans_CN") and f.is_zh("zh") and not f.is_zh("en")
    assert f.is_zh(None)  # the default language is Chinese
