"""The travel-times page of the planning rules (/admin/travel): how minutes are estimated, the road-network
times imported (filtered, paged), importing a CSV through the importer the API uses (all rows or none, the
bad row named next to the file field, 422), removing them all (CSRF, confirmation); administrators change,
dispatchers and auditors read, keepers are turned away; Chinese by default, English on request; the API's
incidents name who declared them. On SQLite and PostgreSQL."""
import io
import re
from datetime import datetime, timezone

import pytest
from sqlmodel import Session, select

from common import clock
from dispatch import importers, incidents, settings, travel_times
from dispatch.models import TravelTime
from dispatch.travel import TravelSettings, estimate_minutes
from inventory.models import Depot
from tests.conftest import bearer, csrf_token, login
from tests.integration.helpers import table_counts, table_rows, text
from tests.integration.test_dispatch_pages import field_errors, post_forms_present

NOW = datetime(2026, 7, 1, 2, 0, tzinfo=timezone.utc)
FIRST = "depot,site,minutes\nC1,T1-V1,95\nT2,S-T2-1,40\n".encode()


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: NOW)


@pytest.fixture
def routed(engine, county):
    """A shelter in T2 (with coordinates) and two imported travel times."""
    settings.create_shelter(engine, county.admin, code="S-T2-1", name="青山镇中学", town="T2", lat=29.01, lon=105.31,
                            capacity=500)
    importers.import_travel_times(engine, county.admin, FIRST)
    return county


def stored(engine) -> list[tuple[str, str, int]]:
    with Session(engine) as s:
        return sorted(s.exec(select(Depot.code, TravelTime.site_code, TravelTime.minutes)
                             .join(Depot, Depot.id == TravelTime.depot_id)).all())


def routes(response) -> list[tuple[str, str]]:
    """(depot, site) of each listed row, in order."""
    return re.findall(r'<tr data-depot="([^"]+)" data-site="([^"]+)">', response.get_data(as_text=True))


def as_user(client, name: str) -> None:
    assert login(client, name, f"{name}-pass").status_code == 302


def post(client, path: str, data: dict, page: str = "/admin/planning"):
    token = csrf_token(client, page)
    return client.post(path, data={"import-csrf_token": token, "clear-csrf_token": token, **data},
                       content_type="multipart/form-data")


def upload(client, content: bytes, name: str = "travel.csv"):
    return post(client, "/admin/travel/import", {"import-file": (io.BytesIO(content), name)})


# ------------------------------------------------------------------ reading, and who may


def test_a_visitor_who_is_not_logged_in_is_sent_to_the_login_page(client, county):
    r = client.get("/admin/travel")
    assert r.status_code == 302 and r.headers["Location"].startswith("/login?next=")


def test_the_page_shows_the_estimate_and_the_imported_times_in_chinese(client, engine, routed):
    as_user(client, "admin")
    r = client.get("/admin/travel")
    assert r.status_code == 200
    body, page = r.get_data(as_text=True), text(r)
    assert "<h1>行车时间</h1>" in body
    assert re.search(r'<a href="/admin/travel" aria-current="true">行车时间</a>', body)  # its tab
    shown = dict(re.findall(r'<div data-setting="(\w+)"><dt>.*?</dt><dd>(.*?)</dd>', body))
    assert shown == {"detour_factor": "1.4", "speed_county_kmh": "50", "speed_town_kmh": "35",
                     "speed_village_kmh": "25", "handling_minutes": "30"}
    for words in ("绕行系数", "县级储备库车速（km/h）", "装卸时间（分钟）", "在规划设置中修改"):
        assert words in page, words
    assert 'href="/admin/settings#travel"' in body
    rows = table_rows(r, "travel-times")
    expected = estimate_minutes(TravelSettings(), "town", (29.0, 105.3), (29.01, 105.31))
    assert [(row["库点"], row["地点"], row["路网时间（分钟）"], row["按坐标估算（分钟）"]) for row in rows] == [
        ("县级储备库 C1 县级储备库", "玉龙村储备点 T1-V1", "95", "—"),  # the village point has no coordinates
        ("青山镇储备站 T2 乡镇储备站", "青山镇中学 S-T2-1 避难场所", "40", str(expected))]
    # the overview sums it up with its own card
    overview = text(client.get("/admin/planning"))
    assert "行车时间" in overview and "已导入 2 条路网行车时间，其余路线按坐标估算。" in overview


def test_the_page_reads_in_english_on_request(client, engine, routed):
    as_user(client, "auditor")
    r = client.get("/admin/travel?lang=en")
    page = text(r)
    for words in ("Travel times", "How the minutes are estimated", "Detour factor", "Speed from a town station (km/h)",
                  "Loading and unloading (minutes)", "These are part of the planning settings", "Road-network minutes",
                  "Estimated from coordinates (minutes)",
                  "Only administrators change the planning rules; you can read them."):
        assert words in page, words
    assert "行车时间" not in page
    assert [row["Site"] for row in table_rows(r, "travel-times")] == ["玉龙村储备点 T1-V1", "青山镇中学 S-T2-1 Shelter"]


def test_a_bad_file_is_explained_in_english_on_an_english_page(client, engine, routed):
    as_user(client, "admin")
    client.get("/admin/travel?lang=en")
    before = table_counts(engine)
    r = upload(client, b"depot,site,minutes\nC1,T1-V2,10\nT9,T1-V1,10\n")
    assert r.status_code == 422
    assert field_errors(r) == ["Row 3 of the file: no depot has the code T9."]
    assert "Nothing was saved. Correct the file and send it again." in text(r)
    assert table_counts(engine) == before


@pytest.mark.parametrize("who", ["dispatcher", "auditor"])
def test_dispatchers_and_auditors_read_it_but_get_no_forms(client, routed, who):
    as_user(client, who)
    r = client.get("/admin/travel")
    assert r.status_code == 200
    assert post_forms_present(r) == []
    assert "只有管理员可以修改调度规则；您可以查看。" in text(r) and "规划设置" in text(r)
    assert len(table_rows(r, "travel-times")) == 2
    assert 'href="/admin/travel"' in client.get("/admin/planning").get_data(as_text=True)


@pytest.mark.parametrize("who, words", [("dispatcher", "您的角色无权执行此操作"), ("auditor", "审计角色只能查看和导出")])
def test_only_an_administrator_imports_or_removes_them(client, engine, routed, who, words):
    as_user(client, who)
    before = table_counts(engine), stored(engine)
    # a good file, a bad one (were the form read it would be a 422) and a confirmed removal: each a 403
    for r in (upload(client, b"depot,site,minutes\nC1,T1-V2,10\n"), upload(client, b"nonsense"),
              post(client, "/admin/travel/clear", {"clear-confirm": "y"}), post(client, "/admin/travel/clear", {})):
        assert r.status_code == 403
        assert words in text(r)
    assert (table_counts(engine), stored(engine)) == before


def test_a_keeper_may_not_open_the_travel_times(client, engine, routed):
    as_user(client, "keeper")
    assert client.get("/admin/travel").status_code == 403
    before = stored(engine)
    r = post(client, "/admin/travel/import", {"import-file": (io.BytesIO(FIRST), "t.csv")}, page="/")
    assert r.status_code == 403
    assert post(client, "/admin/travel/clear", {"clear-confirm": "y"}, page="/").status_code == 403
    assert stored(engine) == before


def test_a_form_without_its_csrf_token_is_refused(client, engine, routed):
    as_user(client, "admin")
    before = stored(engine)
    r = client.post("/admin/travel/clear", data={"clear-confirm": "y"})
    assert r.status_code == 400
    r = client.post("/admin/travel/import", data={"import-file": (io.BytesIO(FIRST), "t.csv")},
                    content_type="multipart/form-data")
    assert r.status_code == 400
    assert stored(engine) == before


# ------------------------------------------------------------------ importing


def test_an_administrator_imports_a_file_which_replaces_the_times_imported_before(client, engine, routed):
    as_user(client, "admin")
    content = "\ufeffdepot,site,minutes\nC1,T1-V1,120\nT1,T1-V2,15\nC1,S-T2-1,1,000\n".encode()
    r = upload(client, content.replace(b"1,000", b'"1,000"'))
    assert r.status_code == 302 and r.headers["Location"] == "/admin/travel"
    assert stored(engine) == [("C1", "S-T2-1", 1000), ("C1", "T1-V1", 120), ("T1", "T1-V2", 15)]  # T2 → S-T2-1 gone
    page = client.get("/admin/travel")
    assert "已从文件导入 3 条行车时间，并替换此前导入的全部行车时间。" in text(page)
    assert [row["路网时间（分钟）"] for row in table_rows(page, "travel-times")] == ["1,000", "120", "15"]


def test_the_page_and_the_api_use_the_same_import(client, engine, routed):
    r = client.put("/api/v1/travel-times.csv", data=b"depot,site,minutes\nT1,T1-V1,12\n",
                   headers=bearer(routed, "admin"))
    assert r.status_code == 200 and r.json == {"imported": 1}
    as_user(client, "dispatcher")
    assert [(row["库点"], row["路网时间（分钟）"]) for row in table_rows(client.get("/admin/travel"), "travel-times")] == [
        ("玉龙镇储备站 T1 乡镇储备站 重点镇", "12")]


@pytest.mark.parametrize("content, message", [
    (b"depot,site,minutes\nC1,T1-V2,10\nT9,T1-V1,10\n", "文件第 3 行：没有编码为 T9 的库点。"),
    (b"depot,site,minutes\nC1,T1-V2,10\nC1,NOPE,10\n", "文件第 3 行：没有编码为 NOPE 的村储备点或避难场所。"),
    (b"depot,site,minutes\nC1,T1-V2,10\nC1,T2-V1,-5\n", "文件第 3 行 minutes 列：“-5”不是 0 或以上的整数。"),
    (b"depot,site,minutes\nC1,T1-V2,10\nC1,T2-V1,soon\n", "文件第 3 行 minutes 列：“soon”不是 0 或以上的整数。"),
    (b"depot,site,minutes\nC1,T1-V2,10\nC1,T1-V2,12\n", "文件第 3 行：C1 → T1-V2 重复出现。"),
    (b"depot,site,time\nC1,T1-V2,10\n", "第一行须列出 depot,site,minutes 列；缺少：minutes。"),
    (b"from,to,minutes\nC1,T1-V2,10\n", "第一行须列出 depot,site,minutes 列；缺少：depot, site。"),
    (b"depot,site,minutes\n", "文件只有表头，没有数据行。"),
    ("depot,site,minutes\nC1,青山,4\n".encode("gbk"), "文件不是 UTF-8 文本（第 22 字节）：请另存为“CSV UTF-8”格式。"),
])
def test_a_bad_file_stores_none_of_its_rows_and_names_the_row(client, engine, routed, content, message):
    as_user(client, "admin")
    before = table_counts(engine), stored(engine)
    r = upload(client, content)
    assert r.status_code == 422
    assert field_errors(r) == [message]
    body, page = r.get_data(as_text=True), text(r)
    assert "未保存任何内容。请修改文件后重新提交。" in page
    assert re.search(r'<div class="field has-error">\s*<label for="import-file">', body)  # next to the file field
    assert re.search(r'<a href="/admin/travel" aria-current="true">行车时间</a>', body)
    assert (table_counts(engine), stored(engine)) == before  # row 2 was not stored, the old times stay


def test_sending_no_file_is_refused_next_to_the_field(client, engine, routed):
    as_user(client, "admin")
    before = stored(engine)
    r = post(client, "/admin/travel/import", {})
    assert r.status_code == 422
    assert field_errors(r) == ["该字段是必填字段。"]
    assert stored(engine) == before


# ------------------------------------------------------------------ removing them all


def test_removing_them_all_needs_the_confirmation(client, engine, routed):
    as_user(client, "admin")
    assert "是的，删除全部 2 条导入的行车时间" in text(client.get("/admin/travel"))
    before = table_counts(engine)
    r = post(client, "/admin/travel/clear", {})
    assert r.status_code == 422
    assert field_errors(r) == ["请勾选以确认删除全部导入的行车时间。"]
    assert "未删除任何内容。" in text(r)
    assert table_counts(engine) == before
    r = post(client, "/admin/travel/clear", {"clear-confirm": "y"})
    assert r.status_code == 302 and r.headers["Location"] == "/admin/travel"
    assert stored(engine) == []
    page = client.get("/admin/travel")
    assert "已删除全部 2 条导入的行车时间：此后生成的方案将按坐标估算所有路线。" in text(page)
    assert "未导入路网行车时间：所有路线均按坐标估算。" in text(page)
    assert 'action="/admin/travel/clear"' not in page.get_data(as_text=True)  # nothing left to remove
    r = post(client, "/admin/travel/clear", {"clear-confirm": "y"})
    assert r.status_code == 302 and "没有可删除的导入行车时间。" in text(client.get("/admin/travel"))


# ------------------------------------------------------------------ many of them: filters and pages


def test_the_list_is_filtered_by_depot_and_site_and_paged(client, engine, routed, monkeypatch):
    monkeypatch.setattr(travel_times, "PAGE_SIZE", 5)
    lines = [f"{d},{s},{10 + i}" for i, (d, s) in enumerate(
        (d, s) for d in ("C1", "T1", "T2", "T1-V1") for s in ("S-T2-1", "T1-V1", "T1-V2", "T2-V1"))]
    importers.import_travel_times(engine, routed.admin, ("depot,site,minutes\n" + "\n".join(lines)).encode())
    as_user(client, "auditor")
    first = client.get("/admin/travel")
    assert routes(first) == [("C1", "S-T2-1"), ("C1", "T1-V1"), ("C1", "T1-V2"), ("C1", "T2-V1"), ("T1", "S-T2-1")]
    assert "第 1 页，共 4 页" in text(first)
    assert 'href="/admin/travel?page=2"' in first.get_data(as_text=True)
    assert routes(client.get("/admin/travel?page=4")) == [("T2", "T2-V1")]
    assert routes(client.get("/admin/travel?page=99")) == [("T2", "T2-V1")]  # past the end: the last page
    by_depot = client.get("/admin/travel?depot=T1")
    assert routes(by_depot) == [("T1", "S-T2-1"), ("T1", "T1-V1"), ("T1", "T1-V2"), ("T1", "T2-V1")]
    assert "16 条中有 4 条符合。" in text(by_depot)
    by_site = client.get("/admin/travel?site=T1-V2&page=1")
    assert routes(by_site) == [("C1", "T1-V2"), ("T1", "T1-V2"), ("T1-V1", "T1-V2"), ("T2", "T1-V2")]
    both = client.get("/admin/travel?depot=+T2+&site=T2-V1")
    assert [row["路网时间（分钟）"] for row in table_rows(both, "travel-times")] == ["21"]
    none = client.get("/admin/travel?depot=C9")
    assert "没有符合这些编码的导入行车时间。" in text(none)


# ------------------------------------------------------------------ the API names who declared an incident


def test_the_incident_api_names_who_declared_it(client, engine, routed):
    incident_id = incidents.declare(engine, routed.dispatcher, type="flood", title="7·15 洪涝灾害", declared_at=NOW,
                                    sites=[{"site": "T1-V1", "people": 300}])
    one = client.get(f"/api/v1/incidents/{incident_id}", headers=bearer(routed, "auditor"))
    assert one.status_code == 200 and one.json["declared_by"] == "dispatcher"
    assert [i["declared_by"] for i in client.get("/api/v1/incidents", headers=bearer(routed, "auditor")).json] == [
        "dispatcher"]
    r = client.post("/api/v1/incidents", json={"type": "flood", "title": "t",
                                               "sites": [{"site": "T1-V2", "people": 300}]},
                    headers=bearer(routed, "admin"))
    assert r.status_code == 201 and r.json["declared_by"] == "admin"
    r = client.post("/api/v1/incidents", json={"type": "flood", "title": "t", "declared_by": "someone",
                                               "sites": [{"site": "T1-V2", "people": 300}]},
                    headers=bearer(routed, "admin"))
    assert r.status_code == 422  # it is read-only
    schema = client.get("/api/v1/openapi.json").json["components"]["schemas"]["Incident"]["properties"]
    assert schema["declared_by"]["readOnly"] is True


def test_a_csv_with_a_nul_or_bare_carriage_returns_is_a_422_naming_the_file_and_changes_nothing(client, engine, routed):
    headers = {**bearer(routed, "admin"), "Content-Type": "text/csv"}
    before = table_counts(engine)
    r = client.put("/api/v1/travel-times.csv", data=b"depot,site,minutes\nC1,T1-V1\x00,95\n", headers=headers)
    assert r.status_code == 422 and r.json["error"]["field"] == "file"
    r = client.put("/api/v1/travel-times.csv", data=b"\r0", headers=headers)
    assert r.status_code == 422 and r.json["error"]["field"] == "file"
    assert table_counts(engine) == before
