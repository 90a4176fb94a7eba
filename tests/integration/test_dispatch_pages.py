"""The dispatcher's pages: declaring an incident through the form, its needs, its level and sites, and
its plan; Chinese by default, English on request; auditors read, keepers are turned away; on SQLite
and PostgreSQL."""
import html
import io
import json
import re
from datetime import date, datetime, timezone

import pytest

from common import clock
from dispatch import importers, incidents, planning, settings
from dispatch.norms import NormRule
from tests.conftest import csrf_token, login
from tests.integration.helpers import cell_text, new_lot, table_counts, table_rows, text

NOW = datetime(2026, 7, 1, 2, 0, tzinfo=timezone.utc)  # 10:00 in the county

NORMS = [
    NormRule("TENT", "household", 1),  # 1 per 3.5 people
    NormRule("WATER", "person", 0.1, per_day=True),  # × 3 days
    NormRule("PUMP", "site", 1, incident_types=("flood",)),  # nobody holds a pump: never met
]
TRAVEL = b"depot,site,minutes\nC1,T1-V1,60\nC1,T1-V2,70\nC1,T2-V1,80\nT1,T1-V1,20\nT1,T1-V2,25\nT2,T2-V1,15\n"


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: NOW)


@pytest.fixture
def stocked(engine, county):
    """Norms for tents, water and pumps; 40 tents at C1, 100 cases of water at T1 (30 at T2, which may not
    supply T1's villages at level IV), 5 tents at the village point T1-V1 itself; no pumps anywhere."""
    settings.replace_norms(engine, county.admin, NORMS, "page test norms")
    importers.import_travel_times(engine, county.admin, TRAVEL)
    new_lot(engine, county.admin, depot="C1", item="TENT", quantity=40, expires_on=None, code="TENT-C1")
    new_lot(engine, county.admin, depot="T1", item="WATER", quantity=100, expires_on=date(2027, 6, 1), code="WATER-T1")
    new_lot(engine, county.admin, depot="T2", item="WATER", quantity=30, expires_on=date(2027, 3, 1), code="WATER-T2")
    new_lot(engine, county.admin, depot="T1-V1", item="TENT", quantity=5, expires_on=None, code="TENT-V1")
    return county


SITES = [{"site": "T1-V1", "people": 300}, {"site": "T1-V2", "people": 100}]  # 400 people: level IV


@pytest.fixture
def incident_id(engine, stocked):
    return incidents.declare(engine, stocked.dispatcher, type="flood", title="7·15 洪涝灾害", declared_at=NOW,
                             sites=SITES)


@pytest.fixture
def planned(engine, stocked, incident_id):
    planning.plan_incident(engine, stocked.dispatcher, incident_id, NOW, "Asia/Shanghai")
    return incident_id


# ------------------------------------------------------------------ helpers


def field_errors(response) -> list[str]:
    return [cell_text(m) for m in re.findall(r'<p class="field-error">(.*?)</p>', response.get_data(as_text=True), re.S)]


def post_forms(client, path: str, data: dict, page: str = "/incidents"):
    """A form post with the session's CSRF token under every name a prefixed form may look for."""
    token = csrf_token(client, page)
    return client.post(path, data={"csrf_token": token, "level-csrf_token": token, "sites-csrf_token": token, **data},
                       content_type="multipart/form-data")


def declare_form(**fields) -> dict:
    return {"type": "flood", "title": "7·15 洪涝灾害", "level": "", "level_reason": "", "days": "3",
            "sites": "T1-V1, 300\nT1-V2，100", **fields}


def as_dispatcher(client):
    assert login(client, "dispatcher", "dispatcher-pass").status_code == 302


def post_forms_present(response) -> list[str]:
    """The actions of the POST forms on a page, apart from logging out."""
    forms = re.findall(r'<form\b[^>]*\bmethod="post"[^>]*>', response.get_data(as_text=True))
    return [f for f in forms if 'action="/logout"' not in f]


# ------------------------------------------------------------------ the list and getting there


def test_a_visitor_who_is_not_logged_in_is_sent_to_the_login_page(client, county):
    for path in ("/incidents", "/incidents/new", "/incidents/1"):
        r = client.get(path)
        assert r.status_code == 302 and r.headers["Location"].startswith("/login?next="), path


def test_the_incident_list_is_in_chinese_and_offers_a_dispatcher_to_declare(client, stocked, incident_id):
    as_dispatcher(client)
    home = client.get("/")
    assert 'href="/incidents"' in home.get_data(as_text=True) and "灾情响应" in text(home)
    r = client.get("/incidents")
    assert r.status_code == 200
    page = text(r)
    assert "灾情响应" in page and "启动应急响应" in page
    assert 'href="/incidents/new"' in r.get_data(as_text=True)
    [row] = table_rows(r, "incidents")
    assert row == {"灾情": f"7·15 洪涝灾害 #{incident_id}", "灾种": "洪涝", "响应级别": "IV级",
                   "启动时间": "2026年7月1日 10:00", "地点数": "2", "安置人数": "400"}


def test_the_list_names_the_suggested_level_when_another_was_chosen(client, engine, stocked):
    incidents.declare(engine, stocked.dispatcher, type="earthquake", title="地震", declared_at=NOW, sites=SITES,
                      level="II", level_reason="余震持续")
    as_dispatcher(client)
    [row] = table_rows(client.get("/incidents"), "incidents")
    assert row["响应级别"] == "II级 建议：IV级" and row["灾种"] == "地震"
    [row] = table_rows(client.get("/incidents?lang=en"), "incidents")
    assert row["Response level"] == "Level II suggested: Level IV" and row["Type"] == "Earthquake"


# ------------------------------------------------------------------ declaring


def test_the_declare_form_is_in_chinese_with_the_default_days(client, stocked):
    as_dispatcher(client)
    r = client.get("/incidents/new")
    assert r.status_code == 200
    page = text(r)
    for words in ("启动应急响应", "灾种", "洪涝", "地震", "森林火灾", "地质灾害", "其他", "标题", "响应级别", "按人数建议",
                  "级别理由", "物资保障天数", "受灾地点及安置人数", "CSV 文件", "各响应级别启动标准",
                  "村储备点和避难场所编码", "玉龙村储备点"):
        assert words in page, words
    body = r.get_data(as_text=True)
    assert re.search(r'<input[^>]*name="days"[^>]*value="3"', body)
    assert 'enctype="multipart/form-data"' in body and 'name="csrf_token"' in body


def test_declaring_through_the_form_stores_the_incident_and_leads_to_it(client, engine, stocked):
    as_dispatcher(client)
    r = post_forms(client, "/incidents/new", declare_form())
    assert r.status_code == 302
    incident_id = int(re.fullmatch(r"/incidents/(\d+)", r.headers["Location"]).group(1))
    stored = incidents.get(engine, stocked.dispatcher, incident_id)
    assert (stored["type"], stored["title"], stored["level"], stored["suggested_level"], stored["days"]) == \
        ("flood", "7·15 洪涝灾害", "IV", "IV", 3)
    assert stored["sites"] == [{"site": "T1-V1", "name": "玉龙村储备点", "people": 300},
                               {"site": "T1-V2", "name": "桃园村储备点", "people": 100}]
    assert stored["declared_at"] == NOW
    page = text(client.get(r.headers["Location"]))
    assert "应急响应已启动。请核对物资需求，再生成调拨方案。" in page


def test_the_sites_may_come_from_a_csv_file_as_well_as_the_lines(client, engine, stocked):
    as_dispatcher(client)
    csv = "\ufeffsite,people\nT1-V2,100\nT2-V1,\"1,200\"\n".encode()  # with the BOM Excel writes
    form = declare_form(sites="T1-V1 300", days="5", sites_file=(io.BytesIO(csv), "sites.csv"))
    r = post_forms(client, "/incidents/new", form)
    assert r.status_code == 302
    stored = incidents.get(engine, stocked.dispatcher, int(r.headers["Location"].rsplit("/", 1)[1]))
    assert [(s["site"], s["people"]) for s in stored["sites"]] == [("T1-V1", 300), ("T1-V2", 100), ("T2-V1", 1200)]
    assert (stored["level"], stored["days"]) == ("III", 5)


@pytest.mark.parametrize("sites, message", [
    ("T1-V1, 300\nNOPE, 5", "第 2 行：没有编码为 NOPE 的村储备点或避难场所。"),
    ("T1-V1, 300\n\nT1, 5", "第 3 行：T1 是县级储备库或乡镇储备站；受灾地点应为村储备点或避难场所。"),
    ("T1-V1, 300\nT1-V1, 5", "第 2 行：地点 T1-V1 重复填写（首次出现在第 1 行）。"),
    ("T1-V1, 300\nT1-V2 many", "第 2 行：请按“地点编码, 人数”填写（例如 T01-V01, 800）；实际填写为“T1-V2 many”。"),
    ("T1-V1, 2000000", "第 1 行：人数应为 0 至 1,000,000 之间的整数。"),
    ("", "请至少填写一个受灾地点及其安置人数。"),
])
def test_a_bad_site_line_is_shown_again_with_its_error_and_nothing_is_stored(client, engine, stocked, sites, message):
    as_dispatcher(client)
    before = table_counts(engine)
    r = post_forms(client, "/incidents/new", declare_form(sites=sites, title="保留的标题"))
    assert r.status_code == 422
    assert field_errors(r) == [message]
    page = text(r)
    assert "未保存任何内容" in page
    body = r.get_data(as_text=True)
    assert 'value="保留的标题"' in body  # what was typed stays in the form
    assert html.escape(sites.split("\n")[-1]) in body
    assert re.search(r'<div class="field has-error sites-field">', body)
    assert table_counts(engine) == before


@pytest.mark.parametrize("content, message", [
    (b"site,people\nT1-V2,many\n", "文件第 2 行：人数应为 0 或以上的整数。"),
    (b"site,people\nNOPE,5\n", "文件第 2 行：没有编码为 NOPE 的村储备点或避难场所。"),
    (b"code,count\nT1-V2,5\n", "无法读取文件：第一行须列出 site,people 列；缺少：site, people。"),
    (b"site,people\n,5\n", "文件第 2 行：地点编码为空。"),
])
def test_a_bad_csv_file_is_named_next_to_the_file_field(client, engine, stocked, content, message):
    as_dispatcher(client)
    before = table_counts(engine)
    r = post_forms(client, "/incidents/new", declare_form(sites_file=(io.BytesIO(content), "sites.csv")))
    assert r.status_code == 422
    assert field_errors(r) == [message]
    assert "浏览器不会保留已选择的文件：提交前请重新选择。" in text(r)
    assert table_counts(engine) == before


def test_a_level_other_than_the_suggested_one_needs_a_reason(client, engine, stocked):
    as_dispatcher(client)
    before = table_counts(engine)
    r = post_forms(client, "/incidents/new", declare_form(level="II"))
    assert r.status_code == 422
    assert field_errors(r) == ["按安置人数建议IV级：选择II级须说明理由。"]
    assert re.search(r'<div class="field has-error">\s*<label for="level_reason">', r.get_data(as_text=True))
    assert table_counts(engine) == before

    r = post_forms(client, "/incidents/new", declare_form(level="II", level_reason="上游水库泄洪，预计扩大"))
    assert r.status_code == 302
    stored = incidents.get(engine, stocked.dispatcher, int(r.headers["Location"].rsplit("/", 1)[1]))
    assert (stored["level"], stored["suggested_level"], stored["level_reason"]) == ("II", "IV", "上游水库泄洪，预计扩大")


def test_below_the_level_iv_threshold_a_level_must_be_chosen(client, engine, stocked):
    as_dispatcher(client)
    r = post_forms(client, "/incidents/new", declare_form(sites="T1-V1, 50"))
    assert r.status_code == 422
    assert field_errors(r) == ["安置人数未达IV级启动标准：请选择响应级别。"]
    r = post_forms(client, "/incidents/new", declare_form(sites="T1-V1, 50", level="IV"))
    assert field_errors(r) == ["安置人数未达IV级启动标准：选择IV级须说明理由。"]
    r = post_forms(client, "/incidents/new", declare_form(sites="T1-V1, 50", level="IV", level_reason="山洪风险"))
    assert r.status_code == 302


def test_missing_fields_are_named_in_english_on_an_english_page(client, engine, stocked):
    as_dispatcher(client)
    client.get("/incidents/new?lang=en")
    before = table_counts(engine)
    r = post_forms(client, "/incidents/new", declare_form(title="", days="90", sites="T1-V1, 300\nNOPE, 5"))
    assert r.status_code == 422
    errors = field_errors(r)
    assert "This field is required." in errors
    assert "Number must be between 1 and 60." in errors
    # the service sees the sites only once the form itself is right
    r = post_forms(client, "/incidents/new", declare_form(sites="T1-V1, 300\nNOPE, 5"))
    assert field_errors(r) == ["Line 2: no village point or shelter has the code NOPE."]
    assert table_counts(engine) == before


# ------------------------------------------------------------------ the incident, its needs, level and sites


def test_the_incident_page_shows_the_level_the_sites_and_a_sites_needs_on_demand(client, stocked, incident_id):
    as_dispatcher(client)
    r = client.get(f"/incidents/{incident_id}")
    assert r.status_code == 200
    page = text(r)
    for words in ("7·15 洪涝灾害", "响应级别", "按人数建议", "安置人数", "级别变更记录", "以IV级启动", "受灾地点",
                  "各物资需求与满足情况", "定额需求", "本点库存", "待调入", "调拨方案", "尚未生成调拨方案。", "生成调拨方案",
                  "调整响应级别", "更换受灾地点"):
        assert words in page, words
    assert [(row["地点"], row["安置人数"]) for row in table_rows(r, "affected-sites")] == \
        [("玉龙村储备点", "300"), ("桃园村储备点", "100")]
    body = r.get_data(as_text=True)
    assert 'class="rtable compact needs"' not in body  # the lines of each site are on demand
    assert f'href="/incidents/{incident_id}?site=T1-V1#site-detail"' in body
    detail = client.get(f"/incidents/{incident_id}?site=T1-V1")
    assert "玉龙村储备点 T1-V1 · 300 人" in text(detail)
    needs = [(row["物资"], row["定额需求"], row["本点库存"], row["待调入"]) for row in table_rows(detail, "needs")]
    assert needs == [
        ("排水泵", "1 台", "—", "1 台"),
        ("救灾帐篷", "86 顶", "5 顶", "81 顶"),  # 300 / 3.5 households, 5 at the point itself
        ("瓶装饮用水", "90 箱", "—", "90 箱"),  # 300 × 0.1 × 3 days
    ]
    assert f'action="/incidents/{incident_id}/plan"' in body and 'data-busy="正在生成方案…"' in body


def test_a_need_the_point_covers_itself_is_marked_covered(client, engine, stocked):
    incident_id = incidents.declare(engine, stocked.dispatcher, type="other", title="小规模转移", declared_at=NOW,
                                    sites=[{"site": "T1-V1", "people": 14}], level="IV", level_reason="演练")
    as_dispatcher(client)
    rows = table_rows(client.get(f"/incidents/{incident_id}?site=T1-V1"), "needs")
    assert [(row["物资"], row["待调入"]) for row in rows] == [("救灾帐篷", "本点已满足"), ("瓶装饮用水", "5 箱")]


def test_changing_the_level_needs_a_reason_and_is_kept_in_the_history(client, engine, stocked, incident_id):
    as_dispatcher(client)
    before = table_counts(engine)
    r = post_forms(client, f"/incidents/{incident_id}/level", {"level-level": "II", "level-reason": ""})
    assert r.status_code == 422
    assert field_errors(r) == ["该字段是必填字段。"]
    assert "<details class=\"inline-form\" open>" in r.get_data(as_text=True)
    assert table_counts(engine) == before

    r = post_forms(client, f"/incidents/{incident_id}/level", {"level-level": "II", "level-reason": "水位持续上涨"})
    assert r.status_code == 302 and r.headers["Location"] == f"/incidents/{incident_id}#level"
    assert incidents.get(engine, stocked.dispatcher, incident_id)["level"] == "II"
    page = client.get(f"/incidents/{incident_id}")
    assert "响应级别已调整为II级。" in text(page)
    history = [(row["变更"], row["原因"]) for row in table_rows(page, "level-history")]
    assert history == [("以IV级启动", "—"), ("IV级 → II级", "水位持续上涨")]
    assert table_rows(page, "level-history")[0]["时间"] == "2026年7月1日 10:00"


def test_replacing_the_sites_from_the_page(client, engine, stocked, incident_id):
    as_dispatcher(client)
    page = client.get(f"/incidents/{incident_id}").get_data(as_text=True)
    assert "T1-V1, 300\nT1-V2, 100</textarea>" in page  # the form starts from the sites as they are
    before = table_counts(engine)
    r = post_forms(client, f"/incidents/{incident_id}/sites", {"sites-sites": "T1-V1, 250\nT9-V9, 3"})
    assert r.status_code == 422
    assert field_errors(r) == ["第 2 行：没有编码为 T9-V9 的村储备点或避难场所。"]
    assert table_counts(engine) == before

    r = post_forms(client, f"/incidents/{incident_id}/sites", {
        "sites-sites": "T1-V1, 250",
        "sites-sites_file": (io.BytesIO(b"site,people\nT2-V1,1000\n"), "more.csv")})
    assert r.status_code == 302 and r.headers["Location"] == f"/incidents/{incident_id}#sites"
    stored = incidents.get(engine, stocked.dispatcher, incident_id)
    assert [(s["site"], s["people"]) for s in stored["sites"]] == [("T1-V1", 250), ("T2-V1", 1000)]
    assert stored["suggested_level"] == "III" and stored["level"] == "IV"
    page = client.get(f"/incidents/{incident_id}")
    assert "受灾地点已更新" in text(page)
    body = page.get_data(as_text=True)
    tiles = re.search(r'<dl class="summary-tiles incident-tiles">(.*?)</dl>', body, re.S).group(1)
    assert cell_text(tiles) == "响应级别 IV级 按人数建议 III级 安置人数 1,250 受灾地点 2"


# ------------------------------------------------------------------ the plan


def test_requesting_a_plan_shows_fill_rates_unmet_reasons_and_outflows(client, engine, stocked, incident_id):
    as_dispatcher(client)
    r = post_forms(client, f"/incidents/{incident_id}/plan", {})
    assert r.status_code == 302 and r.headers["Location"] == f"/incidents/{incident_id}#plan"
    r = client.get(f"/incidents/{incident_id}")
    page = text(r)
    for words in ("调拨方案已生成。", "重新生成方案", "需求量", "计划送达", "缺口", "各物资需求与满足情况", "缺什么、为什么",
                  "未满足需求", "各库点出库", "车次", "最优解", "规划输入（JSON）", "调拨方案（JSON）"):
        assert words in page, words
    # 110 tents wanted, 40 held; 120 cases of water wanted, 100 may come; 2 pumps, none anywhere: each in its unit
    summary = [(row["物资"], row["定额需求"], row["本点库存"], row["待调入"], row["计划送达"], row["缺口"], row["满足率"])
               for row in table_rows(r, "item-summary")]
    assert summary == [("排水泵", "2 台", "—", "2 台", "0 台", "2 台", "0%"),
                       ("救灾帐篷", "115 顶", "5 顶", "110 顶", "40 顶", "70 顶", "36%"),
                       ("瓶装饮用水", "120 箱", "—", "120 箱", "100 箱", "20 箱", "83%")]
    # no figure adds different items together: not the 232 units wanted, 140 sent, 92 short of the old tiles
    assert not re.search(r"\b(232|92)\b", page) and "总体满足率" not in page and "全部物资合计" not in page
    assert 'class="summary-tiles plan-totals"' not in r.get_data(as_text=True)
    shortages = [cell_text(li) for li in re.findall(r'<ul class="shortages">(.*?)</ul>', r.get_data(as_text=True),
                                                     re.S)[0].split("</li>")[:-1]]
    assert shortages == ["排水泵 缺口 2 台，涉及 2 个地点。 无可用库存",
                         "救灾帐篷 缺口 70 顶，涉及 2 个地点。 库存不足，已公平分配",
                         "瓶装饮用水 缺口 20 箱，涉及 2 个地点。 库存不足，已公平分配"]
    sites = table_rows(r, "affected-sites")
    assert [(row["地点"], row["全部满足的物资"], row["最低满足率"]) for row in sites] == [
        ("玉龙村储备点", "0 / 3 项", "0% 排水泵"), ("桃园村储备点", "0 / 3 项", "0% 排水泵")]
    totals = [(row["物资"], row["地点数"], row["缺口"]) for row in table_rows(r, "shortfall-totals")]
    assert totals == [("排水泵", "2", "2 台"), ("救灾帐篷", "2", "70 顶"), ("瓶装饮用水", "2", "20 箱")]

    unmet = {(row["地点"], row["物资"].split()[0]): row for row in table_rows(r, "unmet")}
    assert unmet[("桃园村储备点 T1-V2", "排水泵")]["原因"] == "无可用库存"
    assert unmet[("玉龙村储备点 T1-V1", "救灾帐篷")]["原因"] == "库存不足，已公平分配"
    assert unmet[("玉龙村储备点 T1-V1", "瓶装饮用水")]["原因"] == "库存不足，已公平分配"
    assert len(unmet) == 6

    outflows = {row["库点"]: row for row in table_rows(r, "outflows")}
    assert outflows["县级储备库 C1"]["出库物资"] == "救灾帐篷 40 顶"
    assert (outflows["县级储备库 C1"]["重量（kg）"], outflows["县级储备库 C1"]["体积（m³）"]) == ("1,800", "10")
    assert outflows["玉龙镇储备站 T1"]["出库物资"] == "瓶装饮用水 100 箱"
    assert (outflows["玉龙镇储备站 T1"]["目的地数"], outflows["玉龙镇储备站 T1"]["车次"]) == ("2", "2")
    assert "青山镇储备站 T2" not in outflows  # level IV: no mutual aid between towns


def test_the_plan_is_in_english_on_request(client, stocked, planned):
    as_dispatcher(client)
    r = client.get(f"/incidents/{planned}?lang=en")
    page = text(r)
    for words in ("Allocation plan", "Plan again", "Needs and fill by item", "What is short and why", "Unmet needs",
                  "What leaves each depot", "Trucks", "Level IV", "Needs", "Own stock", "To send", "Relief tent",
                  "Problem (JSON)", "Plan (JSON)"):
        assert words in page, words
    reasons = {row["Why"] for row in table_rows(r, "unmet")}
    assert reasons == {"No usable stock", "Short of stock, shared fairly"}
    assert "调拨方案" not in page and "无可用库存" not in page


def test_the_problem_and_the_plan_download_as_json_files(client, stocked, planned):
    as_dispatcher(client)
    problem = client.get(f"/incidents/{planned}/problem.json")
    assert problem.status_code == 200 and problem.mimetype == "application/json"
    assert problem.headers["Content-Disposition"] == f'attachment; filename="incident-{planned}-problem.json"'
    doc = json.loads(problem.get_data(as_text=True))
    assert doc["format"] == "allocation-problem/1" and doc["incident"]["id"] == planned
    plan = client.get(f"/incidents/{planned}/plan.json")
    assert plan.headers["Content-Disposition"] == f'attachment; filename="incident-{planned}-plan.json"'
    assert json.loads(plan.get_data(as_text=True))["format"] == "allocation-plan/1"
    assert client.get(f"/api/v1/incidents/{planned}/problem").json == doc  # the same document as the API's


def test_a_plan_made_before_a_change_of_sites_is_marked_out_of_date(client, engine, stocked, planned):
    as_dispatcher(client)
    assert "该方案生成后" not in text(client.get(f"/incidents/{planned}"))
    incidents.replace_sites(engine, stocked.dispatcher, planned, [{"site": "T1-V1", "people": 280}])
    assert "该方案生成后，响应级别或物资需求已有变化。调拨前请重新生成方案。" in text(client.get(f"/incidents/{planned}"))


def test_a_plan_with_nothing_to_send_says_why_on_the_page(client, engine, county):
    settings.replace_norms(engine, county.admin, NORMS, "norms, but no stock at all")
    incident_id = incidents.declare(engine, county.dispatcher, type="flood", title="无库存", declared_at=NOW,
                                    sites=SITES)
    as_dispatcher(client)
    before = table_counts(engine)
    r = post_forms(client, f"/incidents/{incident_id}/plan", {})
    assert r.status_code == 409
    assert "各库点均无所需物资的可用库存，无法调拨。" in text(r)
    assert table_counts(engine) == before


def test_an_unknown_incident_is_a_404_page(client, stocked):
    as_dispatcher(client)
    for path in ("/incidents/999", "/incidents/999/plan.json"):
        r = client.get(path)
        assert r.status_code == 404 and "未找到" in text(r), path
    assert post_forms(client, "/incidents/999/plan", {}).status_code == 404
    assert post_forms(client, "/incidents/999/sites", {"sites-sites": "T1-V1, 5"}).status_code == 404


# ------------------------------------------------------------------ who may do what


def test_an_auditor_reads_everything_but_sees_no_forms_and_may_not_post(client, engine, stocked, planned):
    assert login(client, "auditor", "auditor-pass").status_code == 302
    listing = client.get("/incidents")
    assert listing.status_code == 200 and 'href="/incidents/new"' not in listing.get_data(as_text=True)
    r = client.get(f"/incidents/{planned}")
    assert r.status_code == 200 and "各物资需求与满足情况" in text(r) and "缺什么、为什么" in text(r)
    assert post_forms_present(r) == []
    assert "生成调拨方案" not in text(r) and "调整响应级别" not in text(r) and "更换受灾地点" not in text(r)
    assert client.get(f"/incidents/{planned}/problem.json").status_code == 200
    assert client.get("/incidents/new").status_code == 403
    before = table_counts(engine)
    for path, data in (("/incidents/new", declare_form()),
                       (f"/incidents/{planned}/level", {"level-level": "I", "level-reason": "审计"}),
                       (f"/incidents/{planned}/sites", {"sites-sites": "T1-V1, 1"}),
                       (f"/incidents/{planned}/plan", {})):
        r = post_forms(client, path, data, page="/incidents")
        assert r.status_code == 403, path
        assert "审计角色只能查看和导出" in text(r), path
    assert table_counts(engine) == before


def test_a_keeper_may_not_open_the_dispatch_pages(client, stocked, incident_id):
    assert login(client, "keeper", "keeper-pass").status_code == 302
    assert 'href="/incidents"' not in client.get("/").get_data(as_text=True)
    for path in ("/incidents", "/incidents/new", f"/incidents/{incident_id}", f"/incidents/{incident_id}/problem.json"):
        r = client.get(path)
        assert r.status_code == 403, path
        assert "无权访问" in text(r), path
    assert post_forms(client, f"/incidents/{incident_id}/plan", {}, page="/").status_code == 403


def test_an_administrator_may_declare_and_plan(client, engine, stocked):
    assert login(client, "admin", "admin-pass").status_code == 302
    r = post_forms(client, "/incidents/new", declare_form())
    assert r.status_code == 302
    r = post_forms(client, r.headers["Location"] + "/plan", {})
    assert r.status_code == 302
