"""Every report's PDF holds what its CSV holds: each table's title and headings, every row in order with its
Chinese text, and the totals the CSV's rows add up to — read back with pdftotext (poppler-utils), in content
order. The PDF words numbers as the pages do (1,234, +12, −5) and the ledger's times as 2026年7月1日 10:00:
both sides are compared with digits ungrouped and signs plain, the ledger's CSV times worded as the pages do
(``common.formats.datetime_text``)."""
import csv
import io
import re
import subprocess
from datetime import datetime, timedelta

import pytest

from audit import documents, exports, pdf
from common import clock, formats
from inventory import services
from tests.conftest import bearer
from tests.integration.test_audit_reports import NOW, TODAY, audit_county  # noqa: F401  (the fixture)

@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: NOW)


def get(client, county, path):
    response = client.get(path, headers=bearer(county, "auditor"))
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return response


def pdf_pages(body: bytes, tmp_path) -> list[str]:
    assert body.startswith(b"%PDF")
    path = tmp_path / "report.pdf"
    path.write_bytes(body)
    text = subprocess.run(["pdftotext", "-raw", str(path), "-"], capture_output=True, text=True, check=True).stdout
    return [p for p in text.split("\f") if p.strip()]


def flat(text: str) -> str:
    """Without spaces and line breaks (a wrapped cell, pdftotext's spacing), digits ungrouped, signs plain."""
    return re.sub(r"\s+", "", text).replace(",", "").replace("+", "").replace("−", "-")


def csv_sections(body: bytes) -> list[tuple[str | None, list[str], list[list[str]]]]:
    """(title, header, rows) of each table of a CSV: one table, or sections (a title row, a header, rows)."""
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    if len(rows[0]) > 1:
        return [(None, rows[0], rows[1:])]
    sections, start = [], 0
    while start < len(rows):
        end = rows.index([], start) if [] in rows[start:] else len(rows)
        sections.append((rows[start][0], rows[start + 1], rows[start + 2:end]))
        start = end + 1
    return sections


def assert_in_order(text: str, pieces: list[str], what: str) -> None:
    at = 0
    for piece in pieces:
        found = text.find(piece, at)
        assert found >= 0, f"{what}: {piece!r} not found after position {at}"
        at = found + len(piece)


def assert_pdf_holds_the_csv(csv_body: bytes, pages: list[str], *, time_column: int | None = None) -> None:
    text = flat("".join(pages))
    for title, header, rows in csv_sections(csv_body):
        expected = [flat(title)] if title else []
        expected.append(flat("".join(header)))
        for row in rows:
            cells = list(row)
            if time_column is not None and cells[time_column]:
                cells[time_column] = formats.datetime_text(cells[time_column], "zh_Hans_CN", None)
            expected.append(flat("".join(cells)))
        assert_in_order(text, expected, title or "the table")


REPORTS = ["expiry", "rotation", "sufficiency", "write-offs", "stock-card?depot=C1&item=TENT",
           "stock-card?lot=L-TENT", "expiry?depot=T1&subtree=1"]


@pytest.mark.parametrize("report", REPORTS)
def test_a_report_pdf_holds_every_table_and_row_of_its_csv(client, audit_county, tmp_path, report):
    name, _, query = report.partition("?")
    csv_body = get(client, audit_county, f"/audit/{name}.csv?{query}").get_data()
    pages = pdf_pages(get(client, audit_county, f"/audit/{name}.pdf?{query}").get_data(), tmp_path)
    assert_pdf_holds_the_csv(csv_body, pages)
    assert [sum(f"第{i}页/共{len(pages)}页" in flat(p) for p in pages) for i in range(1, len(pages) + 1)] == \
        [1] * len(pages)


def test_the_ledger_pdf_holds_every_line_of_the_ledger_csv(client, engine, audit_county, tmp_path):
    services.issue(engine, services.Context(actor=audit_county.admin, now=NOW + timedelta(days=3), today=TODAY,
                                            note='a,"b"\nc 盘点发现包装破损', reference="FF,2"),
                   lot="L-TENT", quantity=1)
    csv_body = get(client, audit_county, "/audit/ledger.csv").get_data()
    pages = pdf_pages(get(client, audit_county, "/audit/ledger.pdf").get_data(), tmp_path)
    assert_pdf_holds_the_csv(csv_body, pages, time_column=1)
    text = flat("".join(pages))
    assert "出入库台账" in text and "台账封印" in text and "生成时间" in text
    assert csv_body.decode("utf-8-sig").count("\r\n") - 1 == 17


def test_the_totals_rows_of_the_pdf_are_the_sums_of_the_csv_rows(client, audit_county, tmp_path):
    for name, quantity, value in (("expiry", "数量", "金额（元）"), ("write-offs", "数量", "金额（元）")):
        title, header, rows = csv_sections(get(client, audit_county, f"/audit/{name}.csv").get_data())[0]
        units = sum(int(r[header.index(quantity)]) for r in rows)
        cents = sum(round(float(r[header.index(value)] or 0) * 100) for r in rows)
        text = flat("".join(pdf_pages(get(client, audit_county, f"/audit/{name}.pdf").get_data(), tmp_path)))
        after_rows = text.index(flat("".join(rows[-1])))
        assert text.find(f"合计{units}", after_rows) > 0, name
        assert f"{cents / 100:.2f}" in text[after_rows:], name
    _, header, rows = csv_sections(get(client, audit_county, "/audit/stock-card.csv?depot=C1&item=TENT").get_data())[0]
    text = flat("".join(pdf_pages(get(client, audit_county, "/audit/stock-card.pdf?depot=C1&item=TENT").get_data(),
                                  tmp_path)))
    assert f"期末结存{rows[-1][header.index('结存')]}" in text


def test_a_long_table_repeats_its_header_and_keeps_every_row_in_order_on_numbered_pages(app, tmp_path):
    columns = [exports.Column("n", "序号", "int", 8), exports.Column("time", "时间", "datetime", 19),
               exports.Column("item", "物资", width=18), exports.Column("q", "数量", "signed", 9),
               exports.Column("note", "备注", width=24)]
    rows = [(i, f"2026-07-{1 + i % 28:02d} 10:{i % 60:02d}:00", f"救灾帐篷{i}", i % 7 - 3,
             "防汛调用，盘点发现包装破损需要尽快轮换并通知协议企业补充库存 then more words" * (1 + i % 3) if i % 11 == 0
             else None) for i in range(700)]
    seen = []
    doc = exports.Document(slug="t", title="测试台账", params=[("库点", "C01 县级储备库")],
                           generated_at=datetime(2026, 7, 1, 10), seal={"text": "封印 " + "ab" * 32, "count": 700},
                           tables=[exports.Table("t", "表一", columns, rows, len(rows),
                                                 footer=("合计", None, None, sum(r[3] for r in rows), None))],
                           notes=["注：测试"], locale="zh_Hans_CN")
    with app.test_request_context():
        body = pdf.render(doc, [rows], tz="Asia/Shanghai", locale="zh_Hans_CN",
                          progress=lambda done, total, stage: seen.append((stage, done, total)))
    pages = pdf_pages(body, tmp_path)
    n = len(pages)
    assert n > 10
    assert [p[:300] for p in pages if not ("序号" in p and "备注" in p)] == []
    assert [sum(f"第{i}页/共{n}页" in flat(p) for p in pages) for i in range(1, n + 1)] == [1] * n
    text = flat("".join(pages))
    assert_in_order(text, [flat("".join(exports.text_value(c.kind, v, grouped=True, locale="zh_Hans_CN")
                                        for c, v in zip(columns, row))) for row in rows]
                    + [f"合计{sum(r[3] for r in rows)}", "注：测试"], "the long table")
    assert "测试台账" in flat(pages[0]) and "封印" in flat(pages[0]) and "C01县级储备库" in flat(pages[0])
    layout = [(d, t) for stage, d, t in seen if stage == "layout"]
    assert layout[0] == (0, 700) and layout[-1] == (700, 700) and len(layout) >= n
    assert [d for d, _ in layout] == sorted(d for d, _ in layout)
    assert [(d, t) for stage, d, t in seen if stage == "pages"] == [(0, n), (n, n)]


def test_long_words_and_chinese_wrap_inside_their_column():
    pdf.table_font()
    lines = pdf.wrap_lines("盘点发现包装破损需要尽快轮换 RK-000001-ABCDEFGHIJKLMNOPQRSTUVWXYZ end", 60)
    assert "".join(lines).replace(" ", "") == "盘点发现包装破损需要尽快轮换RK-000001-ABCDEFGHIJKLMNOPQRSTUVWXYZend"
    assert len(lines) > 2
    assert all(pdf.stringWidth(line, pdf.FONT, pdf.SIZE) <= 60 for line in lines)
