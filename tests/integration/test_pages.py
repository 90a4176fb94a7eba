"""The HTML pages: Chinese by default, English on request, only for people logged in, each keeper
only their own depots; on SQLite and PostgreSQL."""
import re
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from common import clock
from common.i18n_build import TRANSLATIONS
from inventory import services
from tests.conftest import csrf_token, login
from tests.integration.helpers import table_rows, text, written_off

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 7, 1, 2, 0, tzinfo=timezone.utc)  # 10:00 in the county
TODAY = date(2026, 7, 1)


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch):
    """Pages read the time once per request from common.clock; expiry badges then do not depend on the day."""
    monkeypatch.setattr(clock, "now", lambda: NOW)


# ------------------------------------------------------------------ helpers


def ctx(actor, **kw):
    return services.Context(actor=actor, now=kw.pop("now", NOW), today=TODAY, **kw)


def receive_new(engine, actor, depot, item, quantity, expires_on=None, code=None, **kw):
    result = services.receive(engine, ctx(actor), quantity=quantity, new_lot=services.NewLot(
        item=item, depot=depot, received_on=date(2026, 6, 1), expires_on=expires_on, code=code, **kw))
    return result["entries"][0]["lot"]


@pytest.fixture
def stocked(engine, county):
    """Some lots around the small county: usable, near expiry, expired and durable ones."""
    admin = county.admin
    lots = {
        "tent_c1": receive_new(engine, admin, "C1", "TENT", 40, code="LOT-TENT-C1"),
        "water_t1": receive_new(engine, admin, "T1", "WATER", 100, expires_on=date(2027, 6, 1), code="LOT-WATER-T1"),
        "water_near": receive_new(engine, admin, "T1", "WATER", 12, expires_on=TODAY + timedelta(days=20),
                                  code="LOT-WATER-NEAR"),
        "water_old": receive_new(engine, admin, "T1", "WATER", 7, expires_on=TODAY - timedelta(days=3),
                                 code="LOT-WATER-OLD"),
        "pump_t1": receive_new(engine, admin, "T1", "PUMP", 3, code="LOT-PUMP-T1", storage_mode="agreement",
                               partner="县农机公司"),
        "tent_v1": receive_new(engine, admin, "T1-V1", "TENT", 5, code="LOT-TENT-V1"),
        "water_t2": receive_new(engine, admin, "T2", "WATER", 30, expires_on=date(2027, 3, 1), code="LOT-WATER-T2"),
    }
    return lots


def as_admin(client, county):
    assert login(client, "admin", "admin-pass").status_code == 302


def as_keeper(client, county):
    assert login(client, "keeper", "keeper-pass").status_code == 302


# ------------------------------------------------------------------ the catalog


def test_every_message_of_the_pages_has_a_chinese_translation():
    """Extracts the messages as pybabel would (babel.cfg) and finds each translated in the zh_Hans_CN catalog."""
    with open(ROOT / "babel.cfg") as f:
        method_map, options_map = parse_mapping_cfg(f)
    keywords = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
    wanted = {message if isinstance(message, str) else message[0]
              for _file, _line, message, _comments, _context in
              extract_from_dir(ROOT, method_map, options_map, keywords=keywords)}
    with open(TRANSLATIONS / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po", "rb") as f:
        catalog = read_po(f, locale="zh_Hans_CN")
    translated = {m.id if isinstance(m.id, str) else m.id[0] for m in catalog
                  if m.id and m.string and all(m.string if isinstance(m.string, tuple) else [m.string])
                  and not m.fuzzy}
    assert "Depot tree" in wanted and "Wrong username or password, or too many failed attempts: try again later." in wanted
    assert sorted(wanted - translated) == []


def test_every_chinese_translation_keeps_the_placeholders_of_its_message():
    """A translation that drops %(depot)s or {unit} loses a fact (or fails to format); Babel's checkers
    find what `msgfmt -c` would."""
    with open(TRANSLATIONS / "zh_Hans_CN" / "LC_MESSAGES" / "messages.po", "rb") as f:
        catalog = read_po(f, locale="zh_Hans_CN")
    problems = [(message.id, str(error)) for message, errors in catalog.check() for error in errors]
    assert problems == []


def test_there_is_no_zh_CN_catalog_that_flask_babel_would_silently_ignore():
    assert not (TRANSLATIONS / "zh_CN").exists()
    assert (TRANSLATIONS / "zh_Hans_CN" / "LC_MESSAGES" / "messages.mo").exists()


# ------------------------------------------------------------------ logging in


@pytest.mark.parametrize("path", ["/", "/depots/C1", "/items", "/lots/LOT-TENT-C1"])
def test_every_page_sends_a_visitor_who_is_not_logged_in_to_the_login_page(client, county, path):
    r = client.get(path)
    assert r.status_code == 302
    assert r.headers["Location"].startswith("/login?next=")


def test_the_login_page_is_in_chinese_by_default_and_in_english_on_request(client):
    page = text(client.get("/login"))
    assert "登录" in page and "用户名" in page and "密码" in page and "应急物资储备与调拨系统" in page
    english = text(client.get("/login?lang=en"))
    assert "Log in" in english and "Username" in english and "Password" in english
    assert "用户名" not in english


def test_the_chosen_language_is_remembered_in_a_cookie(client, county):
    client.get("/login?lang=en")
    assert "Username" in text(client.get("/login"))
    client.get("/login?lang=zh_Hans_CN")
    assert "用户名" in text(client.get("/login"))


def test_logging_in_leads_to_the_page_asked_for(client, county):
    token = csrf_token(client)
    r = client.post("/login?next=/items", data={"username": "admin", "password": "admin-pass", "csrf_token": token})
    assert r.status_code == 302 and r.headers["Location"] == "/items"


def test_a_login_without_the_csrf_token_is_rejected(client, county):
    r = client.post("/login", data={"username": "admin", "password": "admin-pass"})
    assert r.status_code == 400
    assert "表单安全令牌缺失或已过期" in text(r)
    assert client.get("/").status_code == 302  # still not logged in


def test_a_wrong_password_is_refused_with_a_message_in_chinese(client, county):
    r = client.post("/login", data={"username": "admin", "password": "wrong-pass", "csrf_token": csrf_token(client)})
    assert r.status_code == 401
    assert "用户名或密码错误，或失败次数过多：请稍后再试。" in text(r)
    assert client.get("/").status_code == 302


def test_a_wrong_password_is_refused_in_english_on_an_english_page(client, county):
    client.get("/login?lang=en")
    r = client.post("/login", data={"username": "admin", "password": "wrong-pass", "csrf_token": csrf_token(client)})
    assert r.status_code == 401 and "Wrong username or password, or too many failed attempts" in text(r)


def test_an_empty_login_form_names_the_missing_fields(client, county):
    r = client.post("/login", data={"username": "", "password": "", "csrf_token": csrf_token(client)})
    assert r.status_code == 422
    assert text(r).count("该字段是必填字段。") == 2


def test_the_header_shows_who_is_logged_in_and_logging_out_is_a_form_post(client, county):
    as_keeper(client, county)
    r = client.get("/")
    page = text(r)
    assert "keeper" in page and "仓管员" in page and "退出登录" in page
    assert 'action="/logout"' in r.get_data(as_text=True)
    assert client.get("/logout").status_code == 405
    assert client.post("/logout", data={"csrf_token": csrf_token(client, "/")}).status_code == 302
    assert client.get("/").status_code == 302


# ------------------------------------------------------------------ the depot tree


def test_the_depot_tree_shows_every_tier_with_its_rollups_in_chinese(client, county, stocked):
    as_admin(client, county)
    r = client.get("/")
    assert r.status_code == 200
    page = text(r)
    for words in ("储备体系", "县级储备库", "乡镇储备站", "重点镇", "本级库存", "含下级合计", "过期数量",
                  "玉龙镇储备站", "青山镇储备站", "展开下辖 2 个库点", "展开下辖 1 个库点", "物资目录", "API 文档"):
        assert words in page, words
    # the county and its towns; a town's village points only once it is opened
    assert "桃园村储备点" not in page and "石桥村储备点" not in page
    body = r.get_data(as_text=True)
    assert body.split("<main")[1].count("<details") == 1  # the county folds; towns open by a link
    # the county: 40 units of its own, 197 in all (40 + 122 + 5 + 30), 7 of them expired
    county_row = re.search(r'href="/depots/C1">.*?</dl>', body, flags=re.S).group(0)
    assert re.findall(r"<dd>([\d,]+)</dd>", county_row) == ["40", "197", "7", "7"]
    town_row = re.search(r'href="/depots/T1">.*?</dl>', body, flags=re.S).group(0)
    assert re.findall(r"<dd>([\d,]+)</dd>", town_row) == ["122", "127", "5", "7"]
    opened = text(client.get("/?open=T1"))
    assert "玉龙村储备点" in opened and "桃园村储备点" in opened and "石桥村储备点" not in opened
    assert "收起下辖 2 个库点" in opened and "展开下辖 1 个库点" in opened


def test_the_depot_tree_is_in_english_on_request(client, county, stocked):
    as_admin(client, county)
    page = text(client.get("/?lang=en&open=T1"))
    for words in ("Depot tree", "County depot", "Town station", "Village point", "Key town", "Own units",
                  "With sub-depots", "Expired units", "Item catalog", "Log out"):
        assert words in page, words
    assert "乡镇储备站" not in page and "重点镇" not in page


def test_a_keeper_sees_only_the_depots_they_keep_in_the_tree(client, county, stocked):
    as_keeper(client, county)
    page = text(client.get("/"))
    assert "玉龙镇储备站" in page and "玉龙村储备点" in page
    assert "青山镇储备站" not in page and "桃园村储备点" not in page and "C1" not in page


# ------------------------------------------------------------------ a depot


def test_a_depot_page_shows_its_details_stock_lots_and_movements(client, county, stocked):
    as_admin(client, county)
    r = client.get("/depots/T1")
    assert r.status_code == 200
    page = text(r)
    for words in ("玉龙镇储备站", "库点信息", "乡镇储备站", "重点镇", "上级库点", "县级储备库", "下级库点", "玉龙村储备点",
                  "分类库存", "生活类", "防汛抗旱", "分品种库存", "瓶装饮用水", "批次", "最近出入库记录"):
        assert words in page, words
    assert "Bottled water" not in page  # no English subtitle on a Chinese page
    lots = table_rows(r, "lots")
    assert [row["批次"] for row in lots] == ["LOT-WATER-OLD", "LOT-WATER-NEAR", "LOT-WATER-T1", "LOT-PUMP-T1"]
    by_code = {row["批次"]: row for row in lots}
    assert by_code["LOT-WATER-OLD"]["有效期至"] == "2026年6月28日 过期"
    assert by_code["LOT-WATER-NEAR"]["有效期至"] == "2026年7月21日 临期"
    assert by_code["LOT-WATER-T1"]["有效期至"] == "2027年6月1日 正常"
    assert by_code["LOT-PUMP-T1"]["有效期至"] == "耐用"
    assert by_code["LOT-WATER-T1"]["数量"] == "100 箱"
    assert by_code["LOT-PUMP-T1"]["储备方式"] == "协议（代储）储备"
    assert by_code["LOT-PUMP-T1"]["代储单位"] == "县农机公司"
    assert 'href="/lots/LOT-WATER-T1"' in r.get_data(as_text=True)
    by_category = table_rows(r, "by-category")
    assert [(row["类别"], row["数量"]) for row in by_category] == [("生活类", "124"), ("防汛抗旱", "3")]


def test_a_depot_page_lists_its_latest_movements_newest_first(client, engine, county, stocked):
    services.issue(engine, ctx(county.keeper, reference="FF-001"), lot="LOT-WATER-T1", quantity=10)
    as_keeper(client, county)
    r = client.get("/depots/T1")
    body = r.get_data(as_text=True)
    section = body[body.index("最近出入库记录"):]
    kinds = re.findall(r'class="badge kind-(\w+)"', section)
    assert kinds[0] == "issue" and set(kinds[1:]) == {"receive"}
    assert "FF-001" in section and "−10" in section


def test_a_depot_page_is_in_english_on_request(client, county, stocked):
    as_admin(client, county)
    r = client.get("/depots/T1?lang=en")
    page = text(r)
    for words in ("Depot details", "Town station", "Key town", "Parent depot", "Stock by category", "Living supplies",
                  "Flood control and drought relief", "Latest movements", "Expired", "Near expiry", "Durable",
                  "Agreement stock", "Bottled water"):
        assert words in page, words
    assert [row["Lot"] for row in table_rows(r, "lots")][0] == "LOT-WATER-OLD"
    assert "分类库存" not in page


@pytest.mark.parametrize("query, expected", [
    ("category=flood", ["LOT-PUMP-T1"]),
    ("expired=1", ["LOT-WATER-OLD"]),
    ("expired=0", ["LOT-WATER-NEAR", "LOT-WATER-T1", "LOT-PUMP-T1"]),
    ("expires_within_days=30", ["LOT-WATER-OLD", "LOT-WATER-NEAR"]),
    ("expires_within_days=30&expired=0", ["LOT-WATER-NEAR"]),
    ("subtree=1&category=living", ["LOT-WATER-OLD", "LOT-WATER-NEAR", "LOT-WATER-T1", "LOT-TENT-V1"]),
])
def test_the_lots_of_a_depot_can_be_filtered(client, county, stocked, query, expected):
    as_admin(client, county)
    r = client.get(f"/depots/T1?{query}")
    assert r.status_code == 200
    assert [row["批次"] for row in table_rows(r, "lots")] == expected


def test_a_filter_matching_nothing_says_so(client, county, stocked):
    as_admin(client, county)
    assert "没有符合条件的批次。" in text(client.get("/depots/T1?category=communications"))


@pytest.mark.parametrize("query, field", [("expires_within_days=soon", "expires_within_days"),
                                          ("page=0", "page"), ("category=snacks", "category"), ("expired=maybe", "expired")])
def test_a_bad_filter_value_gets_an_error_page_naming_the_field(client, county, stocked, query, field):
    as_admin(client, county)
    r = client.get(f"/depots/T1?{query}")
    assert r.status_code == 422
    page = text(r)
    assert "部分数值不正确" in page and field in page


def test_the_lots_of_a_depot_come_in_pages_that_keep_the_filters(client, county, stocked, monkeypatch):
    import inventory.views

    monkeypatch.setattr(inventory.views, "PAGE_SIZE", 2)
    as_admin(client, county)
    first = client.get("/depots/T1?category=living&subtree=1")
    assert [row["批次"] for row in table_rows(first, "lots")] == ["LOT-WATER-OLD", "LOT-WATER-NEAR"]
    assert "第 1 页，共 2 页" in text(first)
    assert 'href="/depots/T1?category=living&amp;subtree=1&amp;page=2"' in first.get_data(as_text=True)
    second = client.get("/depots/T1?category=living&subtree=1&page=2")
    assert [row["批次"] for row in table_rows(second, "lots")] == ["LOT-WATER-T1", "LOT-TENT-V1"]
    assert "第 2 页，共 2 页" in text(second)


def test_a_keeper_gets_a_403_page_for_a_depot_they_do_not_keep(client, county, stocked):
    as_keeper(client, county)
    for path in ("/depots/T2", "/depots/C1", "/lots/LOT-WATER-T2"):
        r = client.get(path)
        assert r.status_code == 403, path
        page = text(r)
        assert "无权访问" in page and "该库点不在您的管理范围内" in page
    assert client.get("/depots/T1-V1").status_code == 200


def test_the_403_page_is_in_english_on_request(client, county):
    as_keeper(client, county)
    r = client.get("/depots/T2?lang=en")
    assert r.status_code == 403
    assert "You may not open this" in text(r) and "not one you keep" in text(r)


def test_an_unknown_depot_or_lot_gets_a_404_page(client, county):
    as_admin(client, county)
    for path, code in (("/depots/NOPE", "NOPE"), ("/lots/NO-SUCH-LOT", "NO-SUCH-LOT")):
        r = client.get(path)
        assert r.status_code == 404
        page = text(r)
        assert "未找到" in page and code in page and "返回储备库点" in page


# ------------------------------------------------------------------ the item catalog


def test_the_item_catalog_lists_every_item_in_chinese(client, county, stocked):
    as_admin(client, county)
    r = client.get("/items")
    assert r.status_code == 200
    page = text(r)
    for words in ("物资目录", "全部类别", "生活类", "防汛抗旱", "通信保障", "保质期", "轮换提前期", "优先级", "配备"):
        assert words in page, words
    rows = {row["编码"]: row for row in table_rows(r, "items")}
    assert set(rows) == {"TENT", "WATER", "PUMP"}
    assert rows["TENT"]["名称"] == "救灾帐篷"
    assert rows["TENT"]["保质期"] == "耐用"
    assert rows["WATER"]["保质期"] == "365 天" and rows["WATER"]["轮换提前期"] == "90 天"
    assert rows["WATER"]["重量（kg）"] == "13.5" and rows["WATER"]["单位"] == "箱"
    assert rows["PUMP"]["配备"] == "三大件" and rows["PUMP"]["类别"] == "防汛抗旱"
    assert rows["WATER"]["在库"] == "149"  # 100 + 12 + 7 + 30


def test_the_item_catalog_is_filtered_by_category(client, county):
    as_keeper(client, county)
    r = client.get("/items?category=flood")
    assert [row["编码"] for row in table_rows(r, "items")] == ["PUMP"]
    assert client.get("/items?category=snacks").status_code == 422


def test_the_item_catalog_is_in_english_on_request(client, county):
    as_admin(client, county)
    r = client.get("/items?lang=en")
    page = text(r)
    assert "Item catalog" in page and "Shelf life" in page
    rows = {row["Code"]: row for row in table_rows(r, "items")}
    assert rows["TENT"]["Name"] == "Relief tent"
    assert rows["TENT"]["Shelf life"] == "Durable"
    assert rows["WATER"]["Shelf life"] == "365 days"
    assert rows["PUMP"]["Kit"] == "Key-town kit (three big items)"
    assert rows["WATER"]["Unit"] == "cases"


# ------------------------------------------------------------------ a lot's stock card


def test_the_stock_card_shows_every_entry_with_its_running_balance(client, engine, county):
    keeper = county.keeper
    lot = receive_new(engine, keeper, "T1", "WATER", 100, expires_on=date(2027, 6, 1), code="LOT-CARD")
    later = iter(NOW + timedelta(hours=h) for h in range(1, 10))
    services.issue(engine, ctx(keeper, now=next(later), reference="FF-7"), lot=lot, quantity=30)
    moved = services.transfer(engine, ctx(keeper, now=next(later), note="补充村点"), lot=lot, quantity=20,
                              to_depot="T1-V1")
    services.count(engine, ctx(keeper, now=next(later)), lot=lot, counted=45)
    written_off(engine, keeper, county.admin, lot, 5, reason="damaged", now=next(later))
    services.return_stock(engine, ctx(keeper, now=next(later)), lot=lot, quantity=10)

    as_keeper(client, county)
    r = client.get(f"/lots/{lot}")
    assert r.status_code == 200
    page = text(r)
    for words in ("库存卡", "LOT-CARD", "瓶装饮用水", "玉龙镇储备站", "在库", "50 箱", "有效期至", "2027年6月1日", "还剩 335 天", "正常",
                  "台账记录"):
        assert words in page, words
    rows = table_rows(r, "card-entries")
    assert [(row["类型"], row["数量"], row["结存"]) for row in rows] == [
        ("入库", "+100", "100"), ("出库", "−30", "70"), ("调出", "−20", "50"), ("盘点", "−5", "45"),
        ("报损", "−5", "40"), ("回收", "+10", "50")]
    assert rows[0]["时间"] == "2026年7月1日 10:00"
    assert rows[1]["时间"] == "2026年7月1日 11:00"
    assert rows[1]["单据号"] == "FF-7" and rows[2]["备注"] == "补充村点"
    assert rows[4]["原因"] == "损坏" and rows[4]["单据号"] == "BS-1"
    assert [row["经办人"] for row in rows] == ["keeper"] * 4 + ["admin", "keeper"]  # the approver writes it off

    arrived = client.get(f"/lots/{moved['entries'][1]['lot']}")
    assert [(row["类型"], row["数量"], row["结存"]) for row in table_rows(arrived, "card-entries")] == [
        ("调入", "+20", "20")]
    assert "玉龙村储备点" in text(arrived)


def test_the_stock_card_is_in_english_on_request(client, engine, county, stocked):
    services.issue(engine, ctx(county.admin), lot="LOT-WATER-T1", quantity=1)
    as_admin(client, county)
    r = client.get("/lots/LOT-WATER-T1?lang=en")
    page = text(r)
    assert "Stock card" in page and "Ledger entries" in page and "Bottled water" in page
    rows = table_rows(r, "card-entries")
    assert [(row["Kind"], row["Quantity"], row["Balance"]) for row in rows] == [
        ("Receive", "+100", "100"), ("Issue", "−1", "99")]
    assert rows[0]["Time"] == "1 Jul 2026, 10:00"


def test_a_lot_page_leads_a_keeper_to_record_a_movement_but_not_an_auditor(client, county, stocked):
    as_keeper(client, county)
    page = client.get("/lots/LOT-WATER-T1").get_data(as_text=True)
    assert 'href="/scan?code=LOT-WATER-T1"' in page and "登记出入库" in page
    client.post("/logout")
    assert login(client, "auditor", "auditor-pass").status_code == 302
    page = client.get("/lots/LOT-WATER-T1").get_data(as_text=True)
    assert "/scan?code=" not in page and "登记出入库" not in page
