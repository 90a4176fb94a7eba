"""The audit side's pure parts, without a database: rotation suggestions, filters and windows, values as
text, CSV with a BOM, XLSX read back, the SVG chart."""
import csv
import io
from datetime import date, datetime, timezone

import openpyxl
import pytest

from audit import exports, movements, reports, settings
from audit.charts import stacked_bars
from audit.exports import Column, Document, Table
from common.errors import InvalidInput


def test_the_rotation_suggestion_rules():
    issued = {1: 0, 2: 7, 3: 9}
    assert reports.suggest("physical", "living", 1, 40, issued, 30) == ("move", 3)
    assert reports.suggest("physical", "living", 3, 40, issued, 30) == ("donate", None)  # it issues most itself
    assert reports.suggest("physical", "flood", 1, 29, issued, 30) == ("drill", None)  # too little time to move
    assert reports.suggest("agreement", "flood", 1, 40, issued, 30) == ("return_to_supplier", None)
    assert reports.suggest("capacity", "living", 1, 40, issued, 30) == ("return_to_supplier", None)
    assert reports.suggest("physical", "living", 1, 40, {1: 3, 2: 3}, 30) == ("donate", None)  # ties do not move


@pytest.mark.parametrize("windows", [[0], [-5, 30], [60, 30], [30, 30], [], ["x"], list(range(1, 9))])
def test_impossible_expiry_windows_are_refused(windows):
    with pytest.raises(InvalidInput) as caught:
        settings.check_windows(windows)
    assert caught.value.field == "windows"


def test_good_expiry_windows_are_kept_in_order():
    assert settings.check_windows(["30", 60, 90]) == (30, 60, 90)


@pytest.mark.parametrize("filters, field", [
    (reports.Filters(start=date(2026, 7, 2), end=date(2026, 7, 1)), "end"),
    (reports.Filters(tier="city"), "tier"),
    (reports.Filters(category="snacks"), "category"),
    (reports.Filters(subtree=True), "subtree"),
])
def test_impossible_filters_name_their_field(filters, field):
    with pytest.raises(InvalidInput) as caught:
        reports.check_filters(filters)
    assert caught.value.field == field


def test_report_settings_are_checked():
    with pytest.raises(InvalidInput) as caught:
        settings.check_settings(settings.AuditSettings(reserve_share_percent=0))
    assert caught.value.field == "reserve_share_percent"
    with pytest.raises(InvalidInput):
        settings.check_settings(settings.AuditSettings(kit_quantities={"big5": 1}))
    merged = settings.check_settings(settings.AuditSettings(kit_quantities={"small4": 8}))
    assert merged.kit_quantities == {"big3": 1, "small4": 8}


def test_county_time_is_shifted_by_the_database_only_for_a_zone_without_daylight_saving():
    assert movements.fixed_offset_minutes("Asia/Shanghai") == 480
    assert movements.fixed_offset_minutes("UTC") == 0
    assert movements.fixed_offset_minutes("Europe/Berlin") is None


@pytest.mark.parametrize("kind, value, plain, grouped", [
    ("int", 1234, "1234", "1,234"),
    ("signed", -5, "-5", "−5"),
    ("signed", 1200, "1200", "+1,200"),
    ("money", 123456, "1234.56", "1,234.56"),
    ("percent", 0.5652, "56.5%", "56.5%"),
    ("date", date(2026, 7, 1), "2026年7月1日", "2026年7月1日"),
    ("datetime", datetime(2026, 7, 1, 2, 0, tzinfo=timezone.utc), "2026年7月1日 10:00", "2026年7月1日 10:00"),
    ("datetime", "2026-07-01 10:00:00", "2026年7月1日 10:00", "2026年7月1日 10:00"),
    ("days_left", -145, "已过期 145 天", "已过期 145 天"),
    ("days_left", 0, "今天到期", "今天到期"),
    ("days", 30, "30", "30"),
    ("coverage", 3233.0, "已达标（目标的 3,233 倍）", "已达标（目标的 3,233 倍）"),
    ("coverage", 0.72, "达到 72%", "达到 72%"),
    ("text", None, "", ""),
])
def test_cells_as_text(kind, value, plain, grouped):
    assert exports.text_value(kind, value) == plain
    assert exports.text_value(kind, value, grouped=True) == grouped


@pytest.mark.parametrize("kind, value, english", [
    ("date", date(2026, 7, 1), "1 Jul 2026"), ("days_left", -145, "expired 145 days ago"),
    ("days_left", 30, "30 days left"), ("coverage", 1.0, "met"), ("coverage", None, ""),
])
def test_cells_as_text_in_english(kind, value, english):
    assert exports.text_value(kind, value, locale="en") == english


@pytest.mark.parametrize("locale, kind, shown", [
    ("zh_Hans_CN", "date", 'yyyy"年"m"月"d"日"'), ("en", "date", "d mmm yyyy"),
    ("zh_Hans_CN", "days_left", '"还剩 "#,##0" 天";"已过期 "#,##0" 天";"今天到期"'),
])
def test_xlsx_number_formats_follow_the_language(locale, kind, shown):
    assert exports.number_formats(locale)[kind] == shown


COLUMNS = [Column("lot", "批次"), Column("n", "数量", "int"), Column("v", "金额（元）", "money"),
           Column("d", "有效期至", "date")]


def test_csv_starts_with_the_bom_and_reads_back():
    table = Table("t", "t", COLUMNS, iter([("L-1", 3, 150, date(2026, 7, 1)), ("L-2", 4, None, None)]))
    body = b"".join(exports.csv_chunks(table))
    assert body.startswith(b"\xef\xbb\xbf")
    assert list(csv.reader(io.StringIO(body.decode("utf-8-sig")))) == [
        ["批次", "数量", "金额（元）", "有效期至"], ["L-1", "3", "1.50", "2026年7月1日"], ["L-2", "4", "", ""]]


def test_csv_of_plain_rows_is_written_in_batches(monkeypatch):
    monkeypatch.setattr(exports, "CSV_BATCH", 2)
    table = Table("t", "t", [Column("a", "甲"), Column("n", "数", "signed")], ((f"x{i}", -i) for i in range(5)))
    chunks = list(exports.csv_chunks(table))
    assert len(chunks) == 4  # the header, then 2 + 2 + 1 rows
    assert b"".join(chunks).decode("utf-8-sig").splitlines()[-1] == "x4,-4"


def test_xlsx_has_a_frozen_header_numbers_and_an_information_sheet(tmp_path):
    doc = Document(slug="t", title="测试报表", params=[("库点", "T1")], generated_at=datetime(2026, 7, 1, 10),
                   seal={"text": "5:" + "a" * 64, "count": 5}, tables=[
                       Table("明细", "明细", COLUMNS, [("L-1", 3, 150, date(2026, 7, 1))], 1, ("合计", 3, 150, None),
                             big=True)])
    path = tmp_path / "t.xlsx"
    assert exports.write_xlsx(doc, str(path)) == 1
    book = openpyxl.load_workbook(path)
    sheet = book["明细"]
    assert sheet.freeze_panes == "A2"
    assert [c.value for c in sheet[1]] == ["批次", "数量", "金额（元）", "有效期至"]
    assert [c.value for c in sheet[2]] == ["L-1", 3, 1.5, datetime(2026, 7, 1)]
    assert [c.value for c in sheet[3]][:3] == ["合计", 3, 1.5]
    info = [[c.value for c in row] for row in book.worksheets[-1].iter_rows()]
    assert info[0][0] == "测试报表" and ["库点", "T1"] in info and any("5:" + "a" * 64 in row for row in info)


def test_the_timeline_chart_is_svg_with_a_bar_per_month_and_series():
    svg = stacked_bars(["2026-07", "2026-08"], [("生活类", [12, 0]), ("防汛抗旱", [3, 4])], title="到期",
                       unit_label="数量")
    assert svg.startswith("<svg") and svg.count('class="bar"') == 3
    assert "生活类" in svg and ">15<" in svg  # July's total over its bar
    empty = stacked_bars(["2026-07"], [], title="到期", unit_label="数量")
    assert 'class="bar"' not in empty


@pytest.mark.parametrize("text", ["plain", "", "a,b", 'say "hi"', "two\nlines", "cr\rhere", " spaced ", "中文，逗号",
                                  '",\r\n'])
def test_a_csv_field_is_quoted_as_the_csv_module_quotes_it(text):
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(["x", text])  # as the exports write (it quotes \r and \n)
    assert "x," + movements.csv_field(text) + "\r\n" == buffer.getvalue()


def test_a_table_longer_than_an_xlsx_sheet_continues_on_more_sheets_with_the_header(tmp_path, monkeypatch):
    monkeypatch.setattr(exports, "XLSX_MAX_ROWS", 4)  # a header, two rows, a row kept for the totals
    doc = Document(slug="t", title="长表", params=[], generated_at=datetime(2026, 7, 1, 10), seal=None, tables=[
        Table("明细", "明细", COLUMNS[:2], ((f"L-{i}", i) for i in range(1, 6)), 5, ("合计", 15), big=True)])
    path = tmp_path / "long.xlsx"
    assert exports.write_xlsx(doc, str(path)) == 5
    book = openpyxl.load_workbook(path)
    assert book.sheetnames[:3] == ["明细", "明细 (2)", "明细 (3)"]
    values = [[[c.value for c in row] for row in book[name].iter_rows()] for name in book.sheetnames[:3]]
    assert values == [[["批次", "数量"], ["L-1", 1], ["L-2", 2]],
                      [["批次", "数量"], ["L-3", 3], ["L-4", 4]],
                      [["批次", "数量"], ["L-5", 5], ["合计", 15]]]
    assert all(book[name].freeze_panes == "A2" for name in book.sheetnames[:3])


def test_the_top_issuers_worked_out_once_give_every_lot_the_move_a_full_sort_would():
    import random

    rng = random.Random(5)
    for _ in range(300):
        issued = {d: rng.choice([0, 1, 2, 3, 5, 8]) for d in rng.sample(range(1, 12), rng.randint(0, 8))}
        top = reports.top_issuers(issued)
        for depot in range(1, 12):
            here = issued.get(depot, 0)
            others = sorted(((u, d) for d, u in issued.items() if d != depot and u > here), key=lambda p: (-p[0], p[1]))
            wanted = ("move", others[0][1]) if others else ("donate", None)
            assert reports.suggest("physical", "living", depot, 40, issued, 30, top) == wanted
            assert reports.suggest("physical", "living", depot, 40, issued, 30) == wanted
