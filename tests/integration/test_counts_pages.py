"""The counting page and the variance sheet of a count, on SQLite and PostgreSQL: 50 lines to a page (2 here),
filtered by state, shelf, item and lot code, the totals of the whole count, a query they cannot read refused
with a 400 naming it, a page past the last showing the last, and the filters kept across a count."""
import re

import pytest

from counts import services as counts
from counts import views
from tests.conftest import csrf_token, login
from tests.integration.helpers import new_lot, table_rows, text
from tests.integration.test_counts_service import NOW


@pytest.fixture
def count(engine, county, monkeypatch):
    """A count of five lots at T1: three of water (two on shelf A-01), a tent and a pump; two lines a page."""
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    admin = county.admin
    new_lot(engine, admin, "T1", "WATER", 20, code="W-1", shelf="A-01")
    new_lot(engine, admin, "T1", "WATER", 12, code="W-2", shelf="A-01")
    new_lot(engine, admin, "T1", "WATER", 5, code="W-3", shelf="B-02")
    new_lot(engine, admin, "T1", "TENT", 4, code="T-1", expires_on=None)
    new_lot(engine, admin, "T1", "PUMP", 2, code="P-1", expires_on=None)
    return counts.start(engine, county.admin, NOW, depot="T1")["id"]


def lots_on(r) -> list[str]:
    return re.findall(r'<li id="lot-([^"]+)"', r.get_data(as_text=True))


def as_admin(client):
    assert login(client, "admin", "admin-pass").status_code == 302


def test_the_counting_page_shows_one_page_of_lines_and_the_totals_of_the_whole_count(client, count):
    as_admin(client)
    first = client.get(f"/counts/{count}")
    assert lots_on(first) == ["P-1", "T-1"]
    page = text(first)
    assert "第 1–2 条，共 5 条" in page and "第 1 页，共 3 页" in page
    assert re.search(r"批次\s*5\s*已盘\s*0", page)  # the tiles count the whole count
    assert lots_on(client.get(f"/counts/{count}?page=3")) == ["W-3"]
    last = client.get(f"/counts/{count}?page=9")
    assert last.status_code == 200 and lots_on(last) == ["W-3"] and "没有第 9 页，显示的是最后一页。" in text(last)


@pytest.mark.parametrize("query, expected", [
    ("item=WATER", ["W-1", "W-2"]),
    ("shelf=A-01", ["W-1", "W-2"]),
    ("shelf=B-02&item=WATER", ["W-3"]),
    ("q=w-", ["W-1", "W-2"]),  # a lot code starts with what is typed, in any case
    ("q=W-", ["W-1", "W-2"]),
    ("q=T", ["T-1"]),
    ("item=NOPE", []),  # an item the count does not hold: nothing passes
])
def test_the_lines_of_a_count_are_filtered_by_item_shelf_and_lot_code(client, count, query, expected):
    as_admin(client)
    r = client.get(f"/counts/{count}?{query}")
    assert r.status_code == 200 and lots_on(r) == expected


def test_counted_lines_and_differences_are_filtered_and_the_filters_survive_a_count(client, engine, county, count):
    as_admin(client)
    counts.record_count(engine, county.admin, NOW, count, lot="W-1", counted=18)
    counts.record_count(engine, county.admin, NOW, count, lot="W-2", counted=12)
    counts.leave_out(engine, county.admin, NOW, count, lot="P-1", reason="借出")
    assert lots_on(client.get(f"/counts/{count}?show=missing")) == ["T-1", "W-3"]
    assert lots_on(client.get(f"/counts/{count}?show=counted")) == ["P-1", "W-1"]
    assert lots_on(client.get(f"/counts/{count}?show=counted&page=2")) == ["W-2"]
    assert lots_on(client.get(f"/counts/{count}?show=difference")) == ["W-1"]
    page = f"/counts/{count}?show=missing&item=WATER"
    body = client.get(page).get_data(as_text=True)
    assert '<input name="show" type="hidden" value="missing">' in body and '<input name="item" type="hidden" value="WATER">' in body
    r = client.post(f"/counts/{count}/count", data={"lot": "W-3", "counted": "5", "show": "missing", "item": "WATER",
                                                    "csrf_token": csrf_token(client, page)})
    assert r.status_code == 302
    assert r.headers["Location"] == f"/counts/{count}?show=missing&item=WATER#lot-W-3"
    assert lots_on(client.get(r.headers["Location"])) == []


def test_the_variance_sheet_pages_its_lines_and_totals_each_item_over_the_whole_count(client, engine, county, count):
    as_admin(client)
    for lot, counted in (("W-1", 18), ("W-2", 13), ("W-3", 5), ("T-1", 4)):
        counts.record_count(engine, county.admin, NOW, count, lot=lot, counted=counted)
    r = client.get(f"/counts/{count}/variance")
    assert [row["批次"] for row in table_rows(r, "variance")] == ["P-1", "T-1"]
    water = next(row for row in table_rows(r, "variance-items") if row["物资"].startswith("瓶装饮用水"))
    assert water == {"物资": "瓶装饮用水 WATER", "批次": "3", "账面数": "37 箱", "实盘数量": "36 箱", "差异": "−1 箱"}
    whole = counts.variance(engine, county.admin, count)  # what the PDF prints: every line
    assert len(whole["lines"]) == 5
    assert {i["item"]: (i["expected"], i["counted"]) for i in whole["items"]} == {
        "TENT": (4, 4), "WATER": (37, 36)}
    differing = client.get(f"/counts/{count}/variance?show=difference")
    assert [row["批次"] for row in table_rows(differing, "variance")] == ["W-1", "W-2"]
    assert re.search(r"有差异\s*2", text(differing))
    assert [row["批次"] for row in table_rows(client.get(f"/counts/{count}/variance?item=WATER&page=2"),
                                                 "variance")] == ["W-3"]


@pytest.mark.parametrize("query, field, message", [
    ("show=some", "show", "“显示”只能是 all（全部）、missing（未盘）、counted（已完成）或 difference（有差异），不能是“some”。"),
    ("page=0", "page", "页码必须是不小于 1 的整数，而不是“0”。"),
    ("page=two", "page", "页码必须是不小于 1 的整数，而不是“two”。"),
    ("q=" + "x" * 41, "q", "筛选条件 q 最多 40 个字符。"),
    ("shelf=" + "A" * 41, "shelf", "筛选条件 shelf 最多 40 个字符。"),
])
@pytest.mark.parametrize("page", ["", "/variance"])
def test_a_query_the_count_pages_cannot_read_is_a_400_naming_it(client, count, query, field, message, page):
    as_admin(client)
    r = client.get(f"/counts/{count}{page}?{query}")
    assert r.status_code == 400
    assert message in text(r) and f"<code>{field}</code>" in r.get_data(as_text=True)


def test_a_blind_count_offers_no_differences_until_every_lot_is_counted(client, engine, county, monkeypatch):
    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    new_lot(engine, county.admin, "T1", "WATER", 20, code="W-1")
    counts.set_blind_counts(engine, county.admin, True)
    cid = counts.start(engine, county.admin, NOW, depot="T1")["id"]
    as_admin(client)
    page = text(client.get(f"/counts/{cid}"))
    assert "有差异" not in page
    r = client.get(f"/counts/{cid}?show=difference")
    assert r.status_code == 400 and "这是盲盘：所有批次盘点或排除后才显示差异。" in text(r)
    counts.record_count(engine, county.admin, NOW, cid, lot="W-1", counted=19)
    assert lots_on(client.get(f"/counts/{cid}?show=difference")) == ["W-1"]


def test_the_count_pages_read_in_english(client, count):
    as_admin(client)
    page = text(client.get(f"/counts/{count}?lang=en&item=WATER"))
    for words in ("Lines 1–2 of 3", "Page 1 of 2", "All shelves", "Lot code starts with", "With a difference"):
        assert words in page, words
    assert "No lines pass these filters." in text(client.get(f"/counts/{count}/variance?lang=en&show=difference"))
