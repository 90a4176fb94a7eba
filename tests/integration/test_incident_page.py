"""The incident page of a large incident (200,000 people at 45 sites, level I): a summary per item in its
own unit, lists cut into pages and filtered by the query string, a weight that does not grow with the
incident, clear answers to query values it cannot read, and the full tables as XLSX and PDF; on SQLite
and PostgreSQL."""
import io
import re
import subprocess

import openpyxl
import pytest

from common.db import UnitOfWork
from dispatch import incidents, planning
from dispatch.incident_view import PAGE_SIZE
from dispatch.large_incident import large_sites
from inventory.catalog import DepotFields, add_depot
from tests.conftest import login
from tests.integration.helpers import cell_text, table_rows, text
from tests.integration.test_dispatch_pages import (  # noqa: F401  (fixtures)
    NOW, as_dispatcher, frozen_clock, incident_id, planned, stocked)

EXTRA_VILLAGES = [(f"T{1 + n % 2}-V{n:02d}", f"第{n}村储备点") for n in range(3, 45)]  # 42 more: 45 sites in all


@pytest.fixture
def large(engine, stocked):
    """200,000 people at the 45 village points of a county grown from the small one, level I, planned."""
    with UnitOfWork(engine) as uow:
        for code, name in EXTRA_VILLAGES:
            add_depot(uow, DepotFields(code=code, name=name, tier="village", parent=code.split("-")[0]))
        uow.commit()
    villages = ["T1-V1", "T1-V2", "T2-V1"] + [code for code, _ in EXTRA_VILLAGES]
    sites = large_sites(villages, [])
    assert len(sites) == 45 and sum(s["people"] for s in sites) == 200_000
    incident = incidents.declare(engine, stocked.dispatcher, type="flood", title="大规模转移", declared_at=NOW,
                                 sites=sites, level="I", level_reason="测试")
    planning.plan_incident(engine, stocked.dispatcher, incident, NOW, "Asia/Shanghai")
    return incident


def site_codes(response) -> list[str]:
    return re.findall(r'<tr data-site="([^"]+)"', re.search(r'<table class="[^"]*affected-sites[^"]*">(.*?)</table>',
                                                             response.get_data(as_text=True), re.S).group(1))


def number(cell: str) -> int:
    return int(cell.split()[0].replace(",", ""))


# ------------------------------------------------------------------ the summary


def test_the_summary_gives_each_item_in_its_own_unit_with_the_needs_figures(client, engine, stocked, large):
    as_dispatcher(client)
    r = client.get(f"/incidents/{large}")
    assert r.status_code == 200
    tiles = re.search(r'<dl class="summary-tiles incident-tiles">(.*?)</dl>', r.get_data(as_text=True), re.S).group(1)
    assert cell_text(tiles) == "响应级别 I级 按人数建议 I级 安置人数 200,000 受灾地点 45"
    lines = incidents.needs_for(engine, stocked.dispatcher, large, NOW.date())["lines"]
    units = {"PUMP": "台", "TENT": "顶", "WATER": "箱"}
    summary = {row["物资"]: row for row in table_rows(r, "item-summary")}
    assert list(summary) == ["排水泵", "救灾帐篷", "瓶装饮用水"]
    for code, name in (("PUMP", "排水泵"), ("TENT", "救灾帐篷"), ("WATER", "瓶装饮用水")):
        row = summary[name]
        for column in ("定额需求", "待调入", "计划送达", "缺口"):
            assert row[column].endswith(" " + units[code]), (name, column, row[column])
        assert number(row["定额需求"]) == sum(x["gross"] for x in lines if x["item"] == code)
        assert number(row["待调入"]) == sum(x["net"] for x in lines if x["item"] == code)
        assert number(row["计划送达"]) + number(row["缺口"]) == number(row["待调入"])
    all_units = sum(x["net"] for x in lines)  # what the old page's "需求量" tile showed, items added together
    assert f"{all_units:,}" not in text(r) and str(all_units) not in text(r)
    # the unmet lines' totals are per item as well
    totals = {row["物资"]: row for row in table_rows(r, "shortfall-totals")}
    assert {name: row["缺口"] for name, row in totals.items()} == {name: row["缺口"] for name, row in summary.items()
                                                                 if row["缺口"] != "—"}


# ------------------------------------------------------------------ pages and filters


def test_a_large_incidents_page_holds_one_page_of_each_list(client, large):
    as_dispatcher(client)
    r = client.get(f"/incidents/{large}")
    body = r.get_data(as_text=True)
    tables = re.findall(r'<table class="rtable[^"]*">', body)
    assert body.count("<tr") <= PAGE_SIZE * len(tables)  # no list is longer than a page
    assert len(table_rows(r, "affected-sites")) == PAGE_SIZE
    assert len(table_rows(r, "unmet")) == PAGE_SIZE
    assert len(table_rows(r, "adjust-lines")) <= PAGE_SIZE
    assert "第 1–25 条，共 45 条（第 1 / 2 页）" in text(r)
    selects = re.findall(r"<select\b.*?</select>", body, re.S)
    assert max(x.count("<option") for x in selects) <= 4  # the filter's items (3 and "all"): no select of every site


def test_page_two_shows_the_next_sites_and_keeps_the_other_lists_where_they_were(client, large):
    as_dispatcher(client)
    first = client.get(f"/incidents/{large}?unmet_page=2")
    second = client.get(f"/incidents/{large}?sites_page=2&unmet_page=2")
    assert second.status_code == 200
    assert len(site_codes(first)) == 25 and len(site_codes(second)) == 20
    assert sorted(site_codes(first) + site_codes(second)) == sorted(s["site"] for s in large_sites(
        ["T1-V1", "T1-V2", "T2-V1"] + [code for code, _ in EXTRA_VILLAGES], []))
    assert not set(site_codes(first)) & set(site_codes(second))
    assert table_rows(first, "unmet") == table_rows(second, "unmet")  # the unmet list stays on its page 2
    body = second.get_data(as_text=True)
    assert f'href="/incidents/{large}?sites_page=1&amp;unmet_page=2#sites"' in body  # back, the other page kept


def test_the_filters_narrow_the_lists(client, large):
    as_dispatcher(client)
    town = client.get(f"/incidents/{large}?site=T2-")
    assert town.status_code == 200
    assert site_codes(town) and all(code.startswith("T2-") for code in site_codes(town))
    assert all(row["地点"].split()[-1].startswith("T2-") for row in table_rows(town, "unmet"))

    tents = client.get(f"/incidents/{large}?item=TENT")
    rows = table_rows(tents, "affected-sites")
    assert rows and all(row["待调入"].endswith(" 顶") for row in rows)  # the item's own figures at each site
    assert {row["物资"] for row in table_rows(tents, "unmet")} == {"救灾帐篷"}
    assert all("救灾帐篷" in row["出库物资"] and "瓶装饮用水" not in row["出库物资"]
               for row in table_rows(tents, "outflows"))

    county = client.get(f"/incidents/{large}?depot=C1")
    assert [row["库点"] for row in table_rows(county, "outflows")] == ["县级储备库 C1"]

    unmet = client.get(f"/incidents/{large}?unmet=1&item=WATER")
    assert all(row["缺口"] != "—" for row in table_rows(unmet, "affected-sites"))
    nothing = client.get(f"/incidents/{large}?site=没有这个地点")
    assert nothing.status_code == 200 and "没有符合筛选条件的地点。" in text(nothing)


def test_one_site_shows_its_needs_item_by_item_and_where_its_supplies_come_from(client, large):
    as_dispatcher(client)
    r = client.get(f"/incidents/{large}?site=T1-V1")
    assert [row["物资"] for row in table_rows(r, "needs")] == ["排水泵", "救灾帐篷", "瓶装饮用水"]
    sources = table_rows(r, "sources")
    assert sources and all(row["数量"].split()[-1] in ("台", "顶", "箱") for row in sources)


@pytest.mark.parametrize("query, field, message", [
    ("sites_page=0", "sites_page", "页码 sites_page 必须是不小于 1 的整数，而不是“0”。"),
    ("unmet_page=two", "unmet_page", "页码 unmet_page 必须是不小于 1 的整数，而不是“two”。"),
    ("item=NOPE", "item", "本次灾情不需要编码为 NOPE 的物资，请从列表中选择。"),
    ("unmet=yes", "unmet", "“只看未满足”应为 1（只看未全部满足的）或 0，而不是“yes”。"),
    ("site=" + "x" * 101, "site", "筛选条件 site 最多 100 个字符。"),
])
def test_a_query_value_the_page_cannot_read_is_a_400_naming_it(client, large, query, field, message):
    as_dispatcher(client)
    r = client.get(f"/incidents/{large}?{query}")
    assert r.status_code == 400
    assert message in text(r) and f"<code>{field}</code>" in r.get_data(as_text=True)


def test_a_page_past_the_last_shows_the_last_and_says_so(client, large):
    as_dispatcher(client)
    r = client.get(f"/incidents/{large}?sites_page=9")
    assert r.status_code == 200
    assert "没有第 9 页，显示的是最后一页。" in text(r)
    assert site_codes(r) == site_codes(client.get(f"/incidents/{large}?sites_page=2"))


# ------------------------------------------------------------------ downloads


def test_the_full_tables_download_as_xlsx_with_every_row(client, engine, stocked, large):
    as_dispatcher(client)
    r = client.get(f"/audit/incidents/{large}.xlsx")
    assert r.status_code == 200 and r.mimetype.endswith("spreadsheetml.sheet")
    book = openpyxl.load_workbook(io.BytesIO(r.get_data()))
    assert book.sheetnames[:7] == ["按物资", "物资需求", "按地点", "按库点", "装载", "缺口", "缺口按物资合计"]
    by_item = list(book["按物资"].values)
    assert by_item[0][:6] == ("物资编码", "物资", "单位", "定额需求", "本点库存", "待调入")
    assert [row[:3] for row in by_item[1:]] == [("PUMP", "排水泵", "台"), ("TENT", "救灾帐篷", "顶"),
                                                ("WATER", "瓶装饮用水", "箱")]
    lines = incidents.needs_for(engine, stocked.dispatcher, large, NOW.date())["lines"]
    assert len(list(book["物资需求"].values)) - 1 == len(lines) == 135  # every site and item, no pages
    unmet = client.get(f"/incidents/{large}")
    total = int(re.search(r"共 (\d+) 条", cell_text(re.search(r'id="unmet">(.*?)</section>',
                                                             unmet.get_data(as_text=True), re.S).group(1))).group(1))
    assert len(list(book["缺口"].values)) - 1 == total > PAGE_SIZE
    totals = list(book["缺口按物资合计"].values)[1:]
    assert {row[0] for row in totals} <= {"PUMP", "TENT", "WATER"} and len(totals) == len({r[0] for r in totals})
    assert all(row[2] in ("台", "顶", "箱") for row in totals)  # each total in its item's unit, none across items


def test_the_full_tables_download_as_a_pdf_with_chinese_item_names(client, large, tmp_path):
    assert login(client, "auditor", "auditor-pass").status_code == 302  # auditors read the page, so the file too
    r = client.get(f"/audit/incidents/{large}.pdf")
    assert r.status_code == 200 and r.get_data().startswith(b"%PDF")
    path = tmp_path / "incident.pdf"
    path.write_bytes(r.get_data())
    pdf = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout
    for words in ("救灾帐篷", "瓶装饮用水", "排水泵", "缺口按物资合计", "第44村储备点"):
        assert words in pdf, words


def test_the_downloads_check_who_asks_as_the_page_does(client, large):
    assert login(client, "keeper", "keeper-pass").status_code == 302
    assert client.get(f"/incidents/{large}").status_code == 403
    for fmt in ("xlsx", "pdf"):
        assert client.get(f"/audit/incidents/{large}.{fmt}").status_code == 403
    as_dispatcher(client)
    assert client.get("/audit/incidents/999.xlsx").status_code == 404
    r = client.get(f"/audit/incidents/{large}.csv")
    assert r.status_code == 422 and "format" in text(r)
