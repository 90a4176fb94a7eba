"""Every report exported as CSV (UTF-8 with a BOM), XLSX and PDF, and read back by independent readers:
Python's csv module, openpyxl, and pdftotext (poppler-utils)."""
import csv
import io
import re
import subprocess
import threading
from datetime import date, datetime, timedelta

import openpyxl
import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from audit import documents, exports, movements
from audit.reports import Filters
from common import clock
from inventory import services
from inventory.models import Movement
from tests.conftest import bearer, csrf_token, login
from tests.integration.test_audit_reports import NOW, TODAY, audit_county  # noqa: F401  (the fixture)

pytestmark = pytest.mark.usefixtures("audit_county")


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: NOW)


def get(client, county, path, who="auditor"):
    response = client.get(path, headers=bearer(county, who))
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response


def read_csv(response) -> list[list[str]]:
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf"), "no UTF-8 BOM"
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def first_section(rows: list[list[str]], title: str | None = None) -> list[list[str]]:
    """The first table of a CSV of several (a title row, the header, the rows, then a blank line)."""
    if title is not None:
        assert rows[0] == [title]
    end = rows.index([]) if [] in rows else len(rows)
    return rows[1:end]


def read_xlsx(response):
    return openpyxl.load_workbook(io.BytesIO(response.get_data()))


def pdf_text(response, tmp_path) -> str:
    assert response.get_data().startswith(b"%PDF")
    path = tmp_path / "report.pdf"
    path.write_bytes(response.get_data())
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return re.sub(r"[ \t]+", " ", text)


def squeezed(text: str) -> str:
    """pdftotext drops the spaces between Chinese characters and numbers: compare without spaces."""
    return re.sub(r"\s+", "", text)


# ------------------------------------------------------------------ CSV


def test_the_expiry_csv_starts_with_a_bom_and_reads_back_with_chinese_headers(client, audit_county):
    r = get(client, audit_county, "/api/v1/reports/expiry?format=csv")
    assert r.mimetype == "text/csv" and "attachment" in r.headers["Content-Disposition"]
    everything = read_csv(r)
    rows = first_section(everything, "已过期和临期批次")
    assert r.headers["X-Total-Rows"] == str(len(everything) - 2 * 3 - 2)  # 3 titles and headers, 2 blank lines
    assert rows[0] == ["库点编码", "库点", "物资编码", "物资", "类别", "单位", "批次", "有效期至", "剩余天数", "期限",
                       "数量", "单价（元）", "金额（元）", "储备方式", "代储单位"]
    assert rows[1] == ["T1", "玉龙镇储备站", "WATER", "瓶装饮用水", "生活类", "箱", "L-W-OLD", "2026年6月28日", "已过期 3 天", "过期",
                       "4", "30.00", "120.00", "实物储备", ""]
    assert [row[6] for row in rows[1:]] == ["L-W-OLD", "L-W-20", "L-W-45", "L-W-60", "L-W-AG", "L-J-80"]
    assert [row[9] for row in rows[1:]] == ["过期", "30 天内", "31–60 天", "31–60 天", "61–90 天", "61–90 天"]
    assert rows[5][13:] == ["协议（代储）储备", "县超市"]


def test_the_ledger_csv_holds_every_line_with_running_balances(client, audit_county):
    rows = read_csv(get(client, audit_county, "/audit/ledger.csv?depot=T2", who="auditor"))
    assert rows[0][:3] == ["行号", "时间", "库点编码"] and rows[0][11] == "本库点该物资结存"
    assert [(row[7], row[8], row[9], row[10], row[11]) for row in rows[1:]] == [
        ("L-W-45", "入库", "30", "30", "30"), ("L-W-AG", "入库", "50", "50", "80"),
        ("L-HELMET", "入库", "25", "25", "25"), ("L-W-45", "出库", "-5", "25", "75")]
    assert rows[1][1] == "2026-07-01 10:00:00"


@pytest.mark.parametrize("report, header, first_cells", [
    ("rotation", "建议处置", ["T1", "玉龙镇储备站", "WATER", "瓶装饮用水", "箱", "L-W-20", "12"]),
    ("sufficiency", "缺口", ["县级目标", "C1", "县级储备库", "PHONE", "卫星电话", "部", "1", "1", "0", "0", "已达标"]),
    ("write-offs", "核销", ["14", "2026年7月1日 11:00", "T1", "玉龙镇储备站", "WATER"]),
    ("stock-card?lot=L-W-45", "结存", ["2026年7月1日 10:00", "L-W-45", "入库", "30", "30", "30", "admin"]),
])
def test_every_report_exports_as_csv(client, audit_county, report, header, first_cells):
    name, _, query = report.partition("?")
    rows = read_csv(get(client, audit_county, f"/audit/{name}.csv" + (f"?{query}" if query else "")))
    if name != "stock-card":  # one table: its header first; several: each a section with its title
        rows = first_section(rows)
    assert any(header in h for h in rows[0])
    assert rows[1][:len(first_cells)] == first_cells


# ------------------------------------------------------------------ XLSX


def test_the_expiry_xlsx_has_chinese_headers_a_frozen_header_row_and_real_numbers(client, audit_county):
    r = get(client, audit_county, "/api/v1/reports/expiry?format=xlsx")
    assert r.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert int(r.headers["Content-Length"]) == len(r.get_data())
    book = read_xlsx(r)
    assert book.sheetnames == ["临期过期", "按期限", "到期时间分布", "报表信息"]
    sheet = book["临期过期"]
    assert sheet.freeze_panes == "A2"
    header = [c.value for c in sheet[1]]
    assert header[:4] == ["库点编码", "库点", "物资编码", "物资"] and "金额（元）" in header
    first = [c.value for c in sheet[2]]
    assert first[6] == "L-W-OLD" and first[7] == datetime(2026, 6, 28) and first[8] == -3
    assert first[10] == 4 and isinstance(first[10], int)
    assert first[12] == 120 and sheet.cell(2, 13).number_format == "#,##0.00"
    assert sheet.cell(2, 8).number_format == 'yyyy"年"m"月"d"日"'
    assert sheet.cell(2, 9).number_format == '"还剩 "#,##0" 天";"已过期 "#,##0" 天";"今天到期"'
    assert sheet.column_dimensions["D"].width > sheet.column_dimensions["F"].width
    footer = [c.value for c in sheet[8]]
    assert footer[0] == "合计" and footer[10] == 109 and footer[12] == 2735
    timeline = book["到期时间分布"]
    assert [c.value for c in timeline[1]][:3] == ["类别", "2026年07月", "2026年08月"]
    assert [c.value for c in timeline[2]][:4] == ["生活类", 12, 33, 50]
    info = {row[0].value: row[1].value for row in book["报表信息"].iter_rows(min_row=3) if row[0].value}
    assert info["生成时间"].startswith("2026年7月1日 10:00")
    assert re.fullmatch(r"\d+:[0-9a-f]{64}", info["台账封印"])


def test_the_ledger_xlsx_streams_with_times_as_dates_and_signed_quantities(client, audit_county):
    book = read_xlsx(get(client, audit_county, "/audit/ledger.xlsx?start=2026-07-01&end=2026-07-01"))
    sheet = book["台账"]
    assert sheet.freeze_panes == "A2"
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert len(rows) == 15  # the receive of 2026-07-03 is outside the dates
    assert rows[0][1] == datetime(2026, 7, 1, 10, 0) and rows[0][9] == 7 and rows[0][8] == "入库"
    issue = next(r for r in rows if r[8] == "出库")
    assert (issue[7], issue[9], issue[10], issue[11]) == ("L-W-45", -5, 25, 75)


def test_the_sufficiency_xlsx_has_the_targets_towns_and_summary(client, audit_county):
    book = read_xlsx(get(client, audit_county, "/audit/sufficiency.xlsx"))
    assert book.sheetnames[:3] == ["目标", "乡镇", "汇总"]
    towns = list(book["乡镇"].iter_rows(min_row=1, values_only=True))
    assert towns[0][:3] == ("库点编码", "库点", "配备")
    assert towns[1][0] == "T1" and towns[1][5:8] == (3, 2, 1) and towns[1][8] == pytest.approx(2 / 3)
    assert book["乡镇"].cell(2, 9).number_format.startswith('[>=1.5]"已达标（目标的 "')
    notes = [row[1] for row in book["报表信息"].iter_rows(min_row=3, values_only=True) if row[1]]
    assert any(n.startswith("计入的库存：实物储备、协议（代储）储备") for n in notes)
    assert any("III 级响应最多需紧急转移安置 4,999 人" in n for n in notes)


# ------------------------------------------------------------------ PDF


def test_the_expiry_pdf_has_chinese_headers_numbers_page_numbers_parameters_and_the_seal(client, audit_county,
                                                                                         tmp_path):
    text = pdf_text(get(client, audit_county, "/api/v1/reports/expiry?format=pdf&depot=T1&subtree=1"), tmp_path)
    flat = squeezed(text)
    for words in ("临期过期报表", "库点编码", "有效期至", "剩余天数", "金额（元）", "L-W-OLD", "L-J-80", "玉龙镇储备站",
                  "第1页/共", "生成时间", "2026年7月1日10:00", "台账封印", "含下级库点", "每月到期数量"):
        assert words in flat, words
    assert "855.00" in flat and "2026年9月19日" in flat and "已过期3天" in flat
    assert "L-W-45" not in flat  # T2 is not under T1


def test_every_report_exports_as_pdf(client, audit_county, tmp_path):
    for path, words in (("/audit/rotation.pdf", ["轮换计划", "建议处置", "组织演练", "调往使用更多的库点"]),
                        ("/audit/sufficiency.pdf", ["储备达标", "目标数量", "缺口", "覆盖率", "达到10%", "已达标", "计入的库存"]),
                        ("/audit/ledger.pdf?depot=C1", ["出入库台账", "本库点该物资结存", "L-TENT", "48"]),
                        ("/audit/write-offs.pdf", ["报损核销登记", "核销", "90.00", "审批文号", "HX-9", "BS-2"]),
                        ("/audit/stock-card.pdf?depot=C1&item=TENT", ["库存卡", "上期结存", "期末结存", "48"])):
        flat = squeezed(pdf_text(get(client, audit_county, path), tmp_path))
        for w in words + ["第1页/共"]:
            assert w in flat, (path, w)


def test_a_pdf_repeats_the_table_header_on_every_page(client, engine, audit_county, tmp_path):
    book = exports.Document(slug="t", title="测试", params=[], generated_at=datetime(2026, 7, 1, 10),
                            seal=None, tables=[exports.Table("t", "表", [exports.Column("n", "序号", "int")],
                                                             [(i,) for i in range(400)], 400)])
    with client.application.test_request_context():
        from audit import pdf

        body = pdf.render(book, [book.tables[0].rows], tz="Asia/Shanghai", locale="zh_Hans_CN")
    path = tmp_path / "long.pdf"
    path.write_bytes(body)
    pages = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout.split("\f")
    pages = [p for p in pages if p.strip()]
    assert len(pages) > 2
    assert all("序号" in p for p in pages)
    assert f"第{len(pages)}页/共{len(pages)}页" in squeezed(pages[-1])


def test_the_ledger_csv_brings_the_balance_forward_from_before_the_first_date(client, audit_county):
    rows = read_csv(get(client, audit_county, "/audit/ledger.csv?start=2026-07-02&depot=C1"))
    assert [(row[7], row[8], row[9], row[10], row[11], row[1]) for row in rows[1:]] == [
        ("L-TENT", "入库", "10", "48", "48", "2026-07-03 10:00:00")]
    everything = read_csv(get(client, audit_county, "/audit/ledger.csv?category=living&tier=county"))
    assert [(row[7], row[9], row[11], row[13]) for row in everything[1:]] == [
        ("L-W-200", "100", "100", ""), ("L-TENT", "40", "40", ""), ("L-TENT", "-2", "38", "损坏"),
        ("L-TENT", "10", "48", "")]


# ------------------------------------------------------------------ the ledger's fast CSV


TRICKY_NOTE = 'a,"b"\nc'  # a comma, quotes and a line break: all three must be quoted by the CSV


def test_free_text_with_commas_quotes_and_line_breaks_reads_back_from_the_ledger_csv(client, engine, audit_county):
    services.issue(engine, services.Context(actor=audit_county.admin, now=NOW + timedelta(days=3), today=TODAY,
                                            note=TRICKY_NOTE, reference="FF,2"), lot="L-TENT", quantity=1)
    r = get(client, audit_county, "/audit/ledger.csv?depot=C1&item=TENT")
    assert r.get_data().count(b'"a,""b""\nc"') == 1
    rows = read_csv(r)
    assert [(row[8], row[9], row[11], row[14], row[15]) for row in rows[1:]] == [
        ("入库", "40", "40", "", ""), ("报损", "-2", "38", "BS-2", ""), ("入库", "10", "48", "", ""),
        ("出库", "-1", "47", "FF,2", TRICKY_NOTE)]


def test_the_ledger_csv_is_exactly_what_the_csv_module_writes_of_the_ledger_rows(client, engine, audit_county):
    services.issue(engine, services.Context(actor=audit_county.admin, now=NOW + timedelta(days=3), today=TODAY,
                                            note=TRICKY_NOTE, reference='"R"'), lot="L-W-200", quantity=4)
    with client.application.test_request_context(), force_locale("zh_Hans_CN"):
        query = movements.LedgerQuery(engine, audit_county.auditor, Filters(start=date(2026, 7, 2)))
        fast = "".join(query.csv_lines(*documents._words()))
        expected = io.StringIO()
        csv.writer(expected, lineterminator="\r\n").writerows(documents.ledger_rows(query))
    assert fast == expected.getvalue()
    assert fast.splitlines()[-2:] == ["17,2026-07-04 10:00:00,C1,县级储备库,WATER,瓶装饮用水,箱,L-W-200,出库,-4,96,96,"
                                      'admin,,"""R""","a,""b""', 'c"']


def test_the_ledger_is_read_from_the_drivers_cursor_without_row_objects(engine, audit_county):
    statement = sa.select(Movement.id, Movement.kind).order_by(Movement.id)
    with engine.connect() as c:
        result = c.execution_options(stream_results=True, yield_per=3).execute(statement)
        batches, fast = movements.driver_batches(result)
        ids = [row[0] for batch in batches for row in batch]
        result.close()
    assert fast, "SQLAlchemy buffered more than one row ahead: the export reads Row objects, about a second slower"
    assert ids == list(range(1, 17))


def test_ledger_times_are_county_time_in_a_zone_with_daylight_saving_too(engine, audit_county):
    query = movements.LedgerQuery(engine, audit_county.auditor, Filters(depot="C1"), "Europe/Berlin")
    assert [r[1] for r in query.rows()] == ["2026-07-01 04:00:00", "2026-07-01 04:00:00", "2026-07-01 06:00:00",
                                            "2026-07-03 04:00:00"]
    assert [line.split(",")[1] for line in "".join(query.csv_lines()).splitlines()] == [
        "2026-07-01 04:00:00", "2026-07-01 04:00:00", "2026-07-01 06:00:00", "2026-07-03 04:00:00"]


# ------------------------------------------------------------------ PDF fonts, XLSX progress


def test_the_pdf_embeds_its_chinese_font(client, audit_county, tmp_path):
    path = tmp_path / "expiry.pdf"
    path.write_bytes(get(client, audit_county, "/audit/expiry.pdf").get_data())
    listed = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout.splitlines()
    fonts = [line for line in listed[2:] if line.strip()]
    assert any("CJK" in line or "WenQuanYi" in line for line in fonts), listed
    # columns: name, type, encoding, emb, sub, uni, object; "emb" is the fourth from the end
    assert all(line.split()[-4] == "yes" for line in fonts), listed


def test_another_request_follows_an_xlsx_export_job_while_it_is_written(client, app, audit_county, monkeypatch,
                                                                       tmp_path):
    """The job's progress is in the database: any request (any worker of the server) reads it mid-way."""
    from audit import jobs

    app.config["EXPORT_FOLDER"] = str(tmp_path / "exports")
    monkeypatch.setattr(exports, "PROGRESS_EVERY", 5)
    assert login(client, "auditor", "auditor-pass").status_code == 302
    poller, keeper = app.test_client(), app.test_client()
    login(poller, "auditor", "auditor-pass")
    login(keeper, "keeper", "keeper-pass")
    reached, carry_on, original = threading.Event(), threading.Event(), jobs._Progress.__call__

    def update(self, done, total, stage):  # the export pauses once, 5 of its 16 rows written
        original(self, done, total, stage)
        if done == 5:
            reached.set()
            carry_on.wait(30)

    monkeypatch.setattr(jobs._Progress, "__call__", update)
    started = client.post("/audit/exports", data={"report": "ledger", "format": "xlsx"},
                          headers={"X-CSRFToken": csrf_token(client, "/audit/ledger")})
    assert started.status_code == 202
    job = started.get_json()
    try:
        assert reached.wait(30)
        r = poller.get(job["url"]).get_json()
        assert (r["status"], r["stage"], r["done"], r["total"]) == ("running", "rows", 5, 16)
        assert keeper.get(job["url"]).status_code == 404  # another user's export
    finally:
        carry_on.set()
        jobs.wait(job["token"])
    done = poller.get(job["url"]).get_json()
    assert (done["status"], done["done"], done["total"]) == ("done", 16, 16)
    assert read_xlsx(poller.get(done["file_url"]))["台账"].max_row == 17


def test_the_stock_card_xlsx_has_its_lines_and_the_closing_balance_under_them(client, audit_county):
    book = read_xlsx(get(client, audit_county, "/audit/stock-card.xlsx?depot=C1&item=TENT"))
    rows = list(book["库存卡"].iter_rows(values_only=True))
    assert rows[0][:6] == ("时间", "批次", "类型", "数量", "批次结存", "结存")
    assert [r[:6] for r in rows[1:]] == [
        (datetime(2026, 7, 1, 10, 0), "L-TENT", "入库", 40, 40, 40),
        (datetime(2026, 7, 1, 12, 0), "L-TENT", "报损", -2, 38, 38),
        (datetime(2026, 7, 3, 10, 0), "L-TENT", "入库", 10, 48, 48),
        ("期末结存", None, None, None, None, 48)]
