"""The depot tree bounded, on SQLite and PostgreSQL: the county and its towns with their rollups, a town's
village points when it is opened (a village's code opens its town), a search by code or name in pages, a
query the tree cannot read refused with a 400 naming it; a keeper sees the depots they keep at once."""
import re

import pytest

from inventory import views
from tests.conftest import login
from tests.integration.helpers import new_lot, text


@pytest.fixture
def stocked(engine, county):
    admin = county.admin
    new_lot(engine, admin, "C1", "TENT", 40, code="L-C1", expires_on=None)
    new_lot(engine, admin, "T1", "WATER", 100, code="L-T1")
    new_lot(engine, admin, "T1-V1", "TENT", 5, code="L-V1", expires_on=None)
    new_lot(engine, admin, "T1-V2", "WATER", 8, code="L-V2")
    new_lot(engine, admin, "T2-V1", "WATER", 30, code="L-T2V1")


def as_user(client, name):
    assert login(client, name, f"{name}-pass").status_code == 302


def shown_depots(r) -> list[str]:
    """The depots of the tree (not of the search), in page order."""
    tree = r.get_data(as_text=True).split('<ul class="tree tree-root">', 1)[1]
    return re.findall(r'class="depot-name" href="/depots/([^"]+)"', tree)


def stats(r, code) -> list[str]:
    row = re.search(rf'href="/depots/{code}">.*?</dl>', r.get_data(as_text=True), flags=re.S).group(0)
    return re.findall(r"<dd>([\d,]+)</dd>", row)


def test_the_tree_shows_the_county_and_its_towns_with_rollups_over_every_village(client, stocked):
    as_user(client, "admin")
    r = client.get("/")
    assert r.status_code == 200
    assert shown_depots(r) == ["C1", "T1", "T2"]
    assert stats(r, "T1") == ["100", "113", "3", "0"]  # own; with its villages (100 + 5 + 8); lots; expired
    assert stats(r, "T2") == ["0", "30", "1", "0"]
    assert stats(r, "C1") == ["40", "183", "5", "0"]
    page = text(r)
    assert re.search(r"库点\s*6\s*库存总量\s*183", page)
    assert "展开下辖 2 个库点" in page and "展开下辖 1 个库点" in page
    assert 'href="/?open=T1#depot-T1"' in r.get_data(as_text=True)


def test_an_opened_town_shows_its_villages_and_a_village_code_opens_its_town(client, stocked):
    as_user(client, "admin")
    r = client.get("/?open=T1")
    assert shown_depots(r) == ["C1", "T1", "T1-V1", "T1-V2", "T2"]
    assert stats(r, "T1-V2") == ["8", "1", "0"]  # a village: own units, lots, expired
    assert "收起下辖 2 个库点" in text(r) and 'href="/#depot-T1"' in r.get_data(as_text=True)
    village = client.get("/?open=T2-V1")
    assert shown_depots(village) == ["C1", "T1", "T2", "T2-V1"]
    assert 'class="tree-node depth-2 tier-village focus" id="depot-T2-V1"' in village.get_data(as_text=True)
    assert shown_depots(client.get("/?open=C1")) == ["C1", "T1", "T2"]  # the county is always open


def test_a_search_lists_depots_by_code_or_name_in_pages(client, stocked, monkeypatch):
    monkeypatch.setattr(views, "TREE_PAGE_SIZE", 2)
    as_user(client, "admin")
    r = client.get("/?q=桃园")
    body = r.get_data(as_text=True)
    found = body.split('id="found"', 1)[1].split("</section>", 1)[0]
    assert re.findall(r'<td class="code">([^<]+)</td>', found) == ["T1-V2"]
    assert "玉龙镇储备站" in found and 'href="/?q=%E6%A1%83%E5%9B%AD&amp;open=T1-V2#depot-T1-V2"' in found
    assert shown_depots(r) == ["C1", "T1", "T2"]  # the tree stays bounded beside the search
    first = client.get("/?q=t")  # codes and names in any case: T1, T1-V1, T1-V2, T2, T2-V1
    codes = lambda resp: re.findall(r'<td class="code">([^<]+)</td>',  # noqa: E731
                                    resp.get_data(as_text=True).split('id="found"', 1)[1].split("</section>", 1)[0])
    assert codes(first) == ["T1", "T1-V1"] and "第 1–2 个，共 5 个库点" in text(first)
    assert codes(client.get("/?q=t&page=3")) == ["T2-V1"]
    last = client.get("/?q=t&page=7")
    assert last.status_code == 200 and codes(last) == ["T2-V1"] and "没有第 7 页，显示的是最后一页。" in text(last)
    assert "没有编码或名称含“无此库”的库点。" in text(client.get("/?q=无此库"))


@pytest.mark.parametrize("query, field, message", [
    ("open=NOPE", "open", "储备体系中没有可展开的库点 NOPE。"),
    ("q=" + "x" * 41, "q", "查找条件 q 最多 40 个字符。"),
    ("q=t&page=0", "page", "页码必须是不小于 1 的整数，而不是“0”。"),
    ("q=t&page=x", "page", "页码必须是不小于 1 的整数，而不是“x”。"),
])
def test_a_query_the_tree_cannot_read_is_a_400_naming_it(client, stocked, query, field, message):
    as_user(client, "admin")
    r = client.get(f"/?{query}")
    assert r.status_code == 400
    assert message in text(r) and f"<code>{field}</code>" in r.get_data(as_text=True)


def test_a_keeper_sees_their_depots_at_once_and_finds_only_those(client, stocked):
    as_user(client, "keeper")  # keeps T1 and T1-V1
    r = client.get("/")
    assert shown_depots(r) == ["T1", "T1-V1"]
    found = client.get("/?q=储备").get_data(as_text=True).split('id="found"', 1)[1].split("</section>", 1)[0]
    assert re.findall(r'<td class="code">([^<]+)</td>', found) == ["T1", "T1-V1"]
    assert "在储备体系中查看" not in found


def test_the_tree_reads_in_english(client, stocked):
    as_user(client, "admin")
    page = text(client.get("/?lang=en&open=T1&q=T2"))
    for words in ("Find a depot", "Depots found", "Hide its 2 sub-depots", "Show its 1 sub-depot", "Village point",
                  "In the tree"):
        assert words in page, words
