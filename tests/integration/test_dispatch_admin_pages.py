"""The administrator's pages for the planning rules (response levels, versioned norms, reserve floors,
shelters, planning settings): administrators change them through forms with CSRF; dispatchers and
auditors read; keepers are turned away; a bad form names each field, answers 422 and stores nothing;
Chinese by default, English on request; on SQLite and PostgreSQL."""
import io
import re
from datetime import datetime, timezone

import pytest

from common import clock
from dispatch import incidents, planning, settings
from dispatch.norms import NormRule
from tests.conftest import bearer, csrf_token, login
from tests.integration.helpers import new_lot, table_counts, table_rows, text
from tests.integration.test_dispatch_pages import field_errors, post_forms_present

NOW = datetime(2026, 7, 1, 2, 0, tzinfo=timezone.utc)  # 10:00 in the county

NORMS = [
    NormRule("TENT", "household", 1, source="12 m² tent per household"),
    NormRule("WATER", "person", 0.1, per_day=True),
]


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: NOW)


@pytest.fixture
def ruled(engine, county):
    """Norms version 1 (tents and water), a floor at T1, a shelter in T2."""
    settings.replace_norms(engine, county.admin, NORMS, "first norms")
    settings.set_floor(engine, county.admin, "T1", "TENT", 5)
    settings.create_shelter(engine, county.admin, code="S-T2-1", name="青山镇中学", town="T2", lat=29.01, lon=105.31,
                            capacity=500)
    return county


def as_user(client, name: str) -> None:
    assert login(client, name, f"{name}-pass").status_code == 302


def post(client, path: str, data: dict, page: str = "/admin/planning", **kw):
    """A form post with the session's CSRF token under every prefix these forms use."""
    token = csrf_token(client, page)
    tokens = {f"{p}csrf_token": token for p in ("", "floor-", "import-", "shelter-", "remove-", "restore-", "level-")}
    return client.post(path, data={**tokens, **data}, content_type="multipart/form-data", **kw)


def levels_form(**changes) -> dict:
    """The levels form as the defaults fill it in, with some fields changed ({"0-min_people": "…"})."""
    rows = [("10000", "10", "100", True), ("5000", "12", "50", True), ("1000", "24", "0", False),
            ("200", "24", "0", False)]
    data = {}
    for i, (people, hours, share, aid) in enumerate(rows):
        data.update({f"levels-{i}-min_people": people, f"levels-{i}-time_target_hours": hours,
                     f"levels-{i}-floor_draw_percent": share})
        if aid:
            data[f"levels-{i}-mutual_aid"] = "y"
    for key, value in changes.items():
        if value is None:
            data.pop(f"levels-{key}", None)
        else:
            data[f"levels-{key}"] = value
    return data


# ------------------------------------------------------------------ getting there, and who may


def test_a_visitor_who_is_not_logged_in_is_sent_to_the_login_page(client, county):
    for path in ("/admin/planning", "/admin/levels", "/admin/norms", "/admin/floors", "/admin/shelters",
                 "/admin/settings"):
        r = client.get(path)
        assert r.status_code == 302 and r.headers["Location"].startswith("/login?next="), path


def test_the_overview_sums_up_the_rules_in_chinese(client, ruled):
    as_user(client, "dispatcher")
    home = client.get("/").get_data(as_text=True)
    assert 'href="/admin/planning"' in home and "调度规则" in home
    r = client.get("/admin/planning")
    assert r.status_code == 200
    page = text(r)
    for words in ("调度规则", "响应级别", "人均定额", "储备底线", "避难场所", "规划设置", "当前：版本 1，共 2 条定额，由 admin 于",
                  "已为库点和物资设置 1 条储备底线。", "共 1 个避难场所。", "只有管理员可以修改调度规则；您可以查看。"):
        assert words in page, words
    assert [row["安置人数达到"] for row in table_rows(r, "levels-summary")] == ["10,000", "5,000", "1,000", "200"]


@pytest.mark.parametrize("who", ["dispatcher", "auditor"])
def test_dispatchers_and_auditors_read_every_page_but_get_no_forms(client, ruled, who):
    as_user(client, who)
    for path in ("/admin/planning", "/admin/levels", "/admin/norms", "/admin/norms?version=1", "/admin/floors",
                 "/admin/shelters", "/admin/settings"):
        r = client.get(path)
        assert r.status_code == 200, path
        assert post_forms_present(r) == [], path
        assert "只有管理员可以修改调度规则" in text(r), path
    for path in ("/admin/norms/edit", "/admin/shelters/S-T2-1"):
        assert client.get(path).status_code == 403, path


@pytest.mark.parametrize("who, words", [("dispatcher", "您的角色无权执行此操作"), ("auditor", "审计角色只能查看和导出")])
def test_only_an_administrator_may_change_anything(client, engine, ruled, who, words):
    as_user(client, who)
    before = table_counts(engine)
    posts = [
        ("/admin/levels", levels_form(**{"0-time_target_hours": "8"})),
        ("/admin/norms/edit", {"item": "TENT", "basis": "person", "quantity": "2", "incident_types": "all",
                               "levels": "I"}),
        ("/admin/norms/remove", {"item": "TENT"}),
        ("/admin/norms/versions/1/restore", {}),
        ("/admin/floors", {"floor-depot": "T1", "floor-item": "TENT", "floor-quantity": "9"}),
        ("/admin/floors/import", {"import-file": (io.BytesIO(b"depot,item,quantity\nT1,TENT,9\n"), "f.csv")}),
        ("/admin/shelters", {"shelter-code": "S-X", "shelter-name": "x", "shelter-town": "T1", "shelter-lat": "29",
                             "shelter-lon": "105"}),
        ("/admin/shelters/S-T2-1", {"shelter-name": "x", "shelter-town": "T1", "shelter-lat": "29",
                                    "shelter-lon": "105"}),
        ("/admin/settings", {"days": "5"}),
    ]
    for path, data in posts:
        r = post(client, path, data)
        assert r.status_code == 403, path
        assert words in text(r), path
    assert table_counts(engine) == before
    assert settings.read_norms(engine)["version"] == 1


def test_a_keeper_may_not_open_the_planning_rules(client, ruled):
    as_user(client, "keeper")
    assert 'href="/admin/planning"' not in client.get("/").get_data(as_text=True)
    for path in ("/admin/planning", "/admin/levels", "/admin/norms", "/admin/floors", "/admin/shelters",
                 "/admin/settings"):
        assert client.get(path).status_code == 403, path
    assert post(client, "/admin/settings", {"days": "5"}, page="/").status_code == 403


def test_a_form_without_its_csrf_token_is_refused(client, engine, ruled):
    as_user(client, "admin")
    before = table_counts(engine)
    r = client.post("/admin/floors", data={"floor-depot": "T1", "floor-item": "TENT", "floor-quantity": "9"})
    assert r.status_code == 400
    assert table_counts(engine) == before


# ------------------------------------------------------------------ response levels


def test_an_administrator_edits_the_response_levels(client, engine, ruled):
    as_user(client, "admin")
    r = client.get("/admin/levels")
    body = r.get_data(as_text=True)
    assert re.search(r'<input[^>]*name="levels-0-time_target_hours"[^>]*value="10"', body)
    assert re.search(r'<input[^>]*name="levels-1-floor_draw_percent"[^>]*value="50"', body)
    assert re.search(r'<input checked[^>]*name="levels-0-mutual_aid"', body)
    r = post(client, "/admin/levels", levels_form(**{"0-time_target_hours": "8", "1-floor_draw_percent": "25",
                                                     "1-mutual_aid": None, "3-min_people": "150"}))
    assert r.status_code == 302 and r.headers["Location"] == "/admin/levels"
    levels = {lv["level"]: lv for lv in settings.read_levels(engine)}
    assert levels["I"]["time_target_minutes"] == 480
    assert (levels["II"]["floor_draw"], levels["II"]["mutual_aid"]) == (0.25, False)
    assert levels["IV"]["min_people"] == 150
    page = client.get("/admin/levels")
    assert "响应级别已保存。此后生成的方案将按新标准执行。" in text(page)


@pytest.mark.parametrize("changes, messages", [
    ({"1-min_people": "20000"}, ["I级高于II级：其启动人数不得少于II级。"]),
    ({"2-time_target_hours": "0"}, ["III级：送达时限必须大于 0。"]),
    ({"0-floor_draw_percent": "120"}, ["数值大小必须介于 0 到 100 之间。"]),
    ({"0-min_people": "", "3-time_target_hours": "abc"}, ["该字段是必填字段。", "不是有效的浮点数。"]),
    ({"3-time_target_hours": "nan"}, ["请填写数字。"]),
])
def test_bad_levels_are_named_next_to_their_field_and_nothing_is_stored(client, engine, ruled, changes, messages):
    as_user(client, "admin")
    before, levels_before = table_counts(engine), settings.read_levels(engine)
    r = post(client, "/admin/levels", levels_form(**changes))
    assert r.status_code == 422
    assert field_errors(r) == messages
    assert "未保存任何内容" in text(r)
    assert re.search(r'<td class="num has-error"', r.get_data(as_text=True))
    assert table_counts(engine) == before and settings.read_levels(engine) == levels_before


def test_a_bad_level_is_explained_in_english_on_an_english_page(client, engine, ruled):
    as_user(client, "admin")
    client.get("/admin/levels?lang=en")
    r = post(client, "/admin/levels", levels_form(**{"1-min_people": "20000"}))
    assert r.status_code == 422
    assert field_errors(r) == ["Level I is more severe than level II: its threshold needs at least as many "
                               "displaced people."]
    assert "Nothing was saved" in text(r)


# ------------------------------------------------------------------ norms, versioned


def test_the_norms_page_shows_the_current_version_and_which_plans_used_which(client, engine, ruled):
    new_lot(engine, ruled.admin, depot="C1", item="TENT", quantity=40, expires_on=None)
    incident_id = incidents.declare(engine, ruled.dispatcher, type="flood", title="7·15 洪涝灾害", declared_at=NOW,
                                    sites=[{"site": "T1-V1", "people": 300}])
    plan = planning.plan_incident(engine, ruled.dispatcher, incident_id, NOW, "Asia/Shanghai")
    as_user(client, "admin")
    r = post(client, "/admin/norms/edit", {"item": "TENT", "basis": "household", "quantity": "1.5",
                                           "incident_types": "all", "levels": ["I", "II", "III", "IV"],
                                           "source": "县级预案", "note": "帐篷加量"})
    assert r.status_code == 302 and r.headers["Location"] == "/admin/norms"
    assert settings.read_norms(engine)["version"] == 2
    page = client.get("/admin/norms")
    assert "定额版本 2 已保存，现为当前版本。" in text(page)
    norms = {row["物资"].split()[0]: row for row in table_rows(page, "norms")}
    assert (norms["救灾帐篷"]["计算依据"], norms["救灾帐篷"]["数量"], norms["救灾帐篷"]["来源"]) == ("按户", "1.5 顶", "县级预案")
    assert (norms["瓶装饮用水"]["按天"], norms["瓶装饮用水"]["适用灾种"]) == ("按天", "全部灾种")
    versions = table_rows(page, "norm-versions")
    assert [(v["版本"], v["经办人"], v["备注"], v["定额数"]) for v in versions] == [
        ("版本 2 当前版本", "admin", "帐篷加量", "2"), ("版本 1", "admin", "first norms", "2")]
    assert versions[0]["保存时间"] == "2026年7月1日 10:00"  # the request's clock
    assert versions[0]["使用该版本的方案"] == "—"
    assert versions[1]["使用该版本的方案"] == f"方案 {plan['id']} 7·15 洪涝灾害 #{incident_id}"
    assert f'href="/incidents/{incident_id}#plan"' in page.get_data(as_text=True)
    old = client.get("/admin/norms?version=1")
    assert "历史版本" in text(old) and "恢复为当前定额" in text(old)
    assert {row["物资"].split()[0]: row["数量"] for row in table_rows(old, "norms")}["救灾帐篷"] == "1 顶"


@pytest.mark.parametrize("changes, messages", [
    ({"quantity": "0"}, ["TENT：定额数量必须大于 0。"]),
    ({"quantity": "inf"}, ["请填写数字。"]),
    ({"levels": []}, ["TENT：请至少选择一个响应级别。"]),
    ({"incident_types": []}, ["TENT：请选择全部灾种或其中若干种。"]),
    ({"quantity": "1"}, ["TENT 的定额已是如此：无需修改。"]),  # the norm as it is: no new version
    ({"note": "长" * 201}, ["字段长度不能超过 200 个字符。"]),
])
def test_a_bad_norm_is_refused_and_no_version_is_made(client, engine, ruled, changes, messages):
    as_user(client, "admin")
    before = table_counts(engine)
    form = {"item": "TENT", "basis": "household", "quantity": "1", "incident_types": "all",
            "levels": ["I", "II", "III", "IV"], "source": "12 m² tent per household", **changes}
    r = post(client, "/admin/norms/edit", form)
    assert r.status_code == 422
    assert field_errors(r) == messages
    assert table_counts(engine) == before


def test_a_norm_is_added_taken_out_and_an_old_version_restored(client, engine, ruled):
    as_user(client, "admin")
    assert 'value="PUMP" selected' not in client.get("/admin/norms/edit").get_data(as_text=True)
    r = post(client, "/admin/norms/edit", {"item": "PUMP", "basis": "site", "quantity": "1",
                                           "incident_types": ["flood", "geological_hazard"], "levels": ["I", "II"]})
    assert r.status_code == 302
    current = settings.read_norms(engine)
    assert current["version"] == 2
    assert [n for n in current["norms"] if n["item"] == "PUMP"] == [
        {"item": "PUMP", "basis": "site", "quantity": 1.0, "per_day": False,
         "incident_types": ["flood", "geological_hazard"], "levels": ["I", "II"], "source": None}]

    edit = client.get("/admin/norms/edit?item=WATER")
    assert "删除这条定额" in text(edit)
    assert re.search(r'<input[^>]*name="quantity"[^>]*value="0.1"', edit.get_data(as_text=True))
    r = post(client, "/admin/norms/remove", {"item": "WATER", "remove-note": "改由协议储备供应"})
    assert r.status_code == 302
    assert [n["item"] for n in settings.read_norms(engine)["norms"]] == ["PUMP", "TENT"]
    assert "WATER 的定额已在定额版本 3 中删除，该版本现为当前版本。" in text(client.get("/admin/norms"))

    r = post(client, "/admin/norms/versions/1/restore", {})
    assert r.status_code == 302
    restored = settings.read_norms(engine)
    assert restored["version"] == 4 and restored["norms"] == settings.read_norms(engine, 1)["norms"]
    versions = settings.list_norm_versions(engine)
    assert versions[0]["note"] == "由版本 1 恢复"
    assert "版本 1 的定额已恢复为当前定额，即版本 4。" in text(client.get("/admin/norms"))
    # the current version cannot be restored onto itself: a clear 422, nothing stored
    before = table_counts(engine)
    r = post(client, "/admin/norms/versions/4/restore", {})
    assert r.status_code == 422 and "版本 4 已是当前版本。" in text(r)
    assert table_counts(engine) == before


def test_a_note_too_long_to_take_a_norm_out_or_restore_a_version_is_refused(client, engine, ruled):
    as_user(client, "admin")
    settings.change_norm(engine, ruled.admin, "TENT", NormRule("TENT", "household", 2), "v2")
    before = table_counts(engine)
    r = post(client, "/admin/norms/remove", {"item": "WATER", "remove-note": "长" * 201})
    assert r.status_code == 422
    assert field_errors(r) == ["字段长度不能超过 200 个字符。"] and "删除这条定额" in text(r)
    r = post(client, "/admin/norms/versions/1/restore", {"restore-note": "长" * 201})
    assert r.status_code == 422
    assert field_errors(r) == ["字段长度不能超过 200 个字符。"] and "恢复为当前定额" in text(r)
    assert table_counts(engine) == before


def test_an_unknown_norms_version_is_a_404_page(client, ruled):
    as_user(client, "auditor")
    r = client.get("/admin/norms?version=99")
    assert r.status_code == 404 and "没有定额版本 99。" in text(r)


# ------------------------------------------------------------------ reserve floors


def test_an_administrator_sets_a_floor_and_imports_floors_from_a_file(client, engine, ruled):
    as_user(client, "admin")
    r = post(client, "/admin/floors", {"floor-depot": " T2 ", "floor-item": "WATER", "floor-quantity": "12"})
    assert r.status_code == 302 and r.headers["Location"] == "/admin/floors?depot=T2"
    assert "T2 的 WATER 储备底线现为 12。" in text(client.get(r.headers["Location"]))
    csv = "\ufeffdepot,item,quantity\nC1,TENT,20\nT1,TENT,8\n".encode()
    r = post(client, "/admin/floors/import", {"import-file": (io.BytesIO(csv), "floors.csv")})
    assert r.status_code == 302
    assert settings.list_floors(engine) == [{"depot": "C1", "item": "TENT", "quantity": 20},
                                            {"depot": "T1", "item": "TENT", "quantity": 8},
                                            {"depot": "T2", "item": "WATER", "quantity": 12}]
    page = client.get("/admin/floors")
    assert "已从文件导入 2 条储备底线。" in text(page)
    rows = table_rows(page, "floors")
    assert [(row["库点"], row["储备底线"]) for row in rows] == [
        ("县级储备库 C1 县级储备库", "20 顶"), ("玉龙镇储备站 T1 乡镇储备站 重点镇", "8 顶"), ("青山镇储备站 T2 乡镇储备站", "12 箱")]
    only_t1 = table_rows(client.get("/admin/floors?depot=T1"), "floors")
    assert [row["物资"] for row in only_t1] == ["救灾帐篷 TENT"]


@pytest.mark.parametrize("data, messages", [
    ({"floor-depot": "NOPE", "floor-item": "TENT", "floor-quantity": "3"}, ["没有编码为 NOPE 的库点。"]),
    ({"floor-depot": "T1", "floor-item": "TENT", "floor-quantity": "-3"}, ["储备底线应为 0 或以上的整数。"]),
    ({"floor-depot": "T1", "floor-item": "TENT", "floor-quantity": "2.5"}, ["不是有效的整数。"]),
    ({"floor-depot": "T1", "floor-item": "TENT", "floor-quantity": "2147483648"}, ["数值必须小于 2147483647。"]),
    ({"floor-depot": "", "floor-item": "NOPE", "floor-quantity": "3"}, ["该字段是必填字段。", "不是有效的选择。"]),
])
def test_a_bad_floor_is_named_next_to_its_field(client, engine, ruled, data, messages):
    as_user(client, "admin")
    before = table_counts(engine)
    r = post(client, "/admin/floors", data)
    assert r.status_code == 422
    assert field_errors(r) == messages
    assert table_counts(engine) == before and settings.list_floors(engine) == [
        {"depot": "T1", "item": "TENT", "quantity": 5}]


@pytest.mark.parametrize("content, message", [
    (b"depot,item,quantity\nT2,TENT,4\nT2,NOPE,4\n", "文件第 3 行：没有编码为 NOPE 的物资。"),
    (b"depot,item,quantity\nT2,TENT,4\nT9,TENT,4\n", "文件第 3 行：没有编码为 T9 的库点。"),
    (b"depot,item,quantity\nT2,TENT,4\nT2,TENT,6\n", "文件第 3 行：库点 T2 的物资 TENT 重复出现（首次出现在第 2 行）。"),
    (b"depot,item,quantity\nT2,TENT,many\n", "文件第 2 行 quantity 列：“many”不是 0 或以上的整数。"),
    (b"depot,item\nT2,TENT\n", "第一行须列出 depot,item,quantity 列；缺少：quantity。"),
    (b"depot,item,quantity\n", "文件只有表头，没有数据行。"),
    ("depot,item,quantity\nT2,帐篷,4\n".encode("gbk"), "文件不是 UTF-8 文本（第 23 字节）：请另存为“CSV UTF-8”格式。"),
])
def test_a_bad_floor_file_stores_none_of_its_rows(client, engine, ruled, content, message):
    as_user(client, "admin")
    before = table_counts(engine)
    r = post(client, "/admin/floors/import", {"import-file": (io.BytesIO(content), "floors.csv")})
    assert r.status_code == 422
    assert field_errors(r) == [message]
    assert "未保存任何内容。请修改文件后重新提交。" in text(r)
    assert table_counts(engine) == before
    assert settings.list_floors(engine) == [{"depot": "T1", "item": "TENT", "quantity": 5}]  # row 2 was not stored


# ------------------------------------------------------------------ shelters


def test_an_administrator_adds_and_edits_a_shelter(client, engine, ruled):
    as_user(client, "admin")
    r = post(client, "/admin/shelters", {"shelter-code": "S-T1-1", "shelter-name": "玉龙镇小学", "shelter-town": "T1",
                                         "shelter-lat": "29.21", "shelter-lon": "105.42", "shelter-capacity": "600",
                                         "shelter-address": "玉龙镇学府路 1 号"})
    assert r.status_code == 302
    page = client.get("/admin/shelters")
    assert "避难场所 S-T1-1 已添加，灾情可将其列为受灾地点。" in text(page)
    rows = {row["编码"]: row for row in table_rows(page, "shelters")}
    assert (rows["S-T1-1"]["名称"], rows["S-T1-1"]["所属乡镇"], rows["S-T1-1"]["容纳人数"]) == \
        ("玉龙镇小学", "玉龙镇储备站 T1", "600")
    # a dispatcher may now name it as an affected site
    incident_id = incidents.declare(engine, ruled.dispatcher, type="flood", title="t", declared_at=NOW,
                                    sites=[{"site": "S-T1-1", "people": 300}])
    assert incidents.get(engine, ruled.dispatcher, incident_id)["sites"][0]["name"] == "玉龙镇小学"

    edit = client.get("/admin/shelters/S-T1-1")
    assert re.search(r'<input[^>]*name="shelter-name"[^>]*value="玉龙镇小学"', edit.get_data(as_text=True))
    r = post(client, "/admin/shelters/S-T1-1", {"shelter-name": "玉龙镇中心小学", "shelter-town": "T1",
                                                "shelter-lat": "29.215", "shelter-lon": "105.42",
                                                "shelter-capacity": "", "shelter-address": ""})
    assert r.status_code == 302
    [shelter] = [s for s in settings.list_shelters(engine) if s["code"] == "S-T1-1"]
    assert shelter == {"code": "S-T1-1", "name": "玉龙镇中心小学", "town": "T1", "lat": 29.215, "lon": 105.42,
                       "capacity": None, "address": None}
    assert client.get("/admin/shelters/NOPE").status_code == 404


@pytest.mark.parametrize("changes, messages", [
    ({"shelter-code": "S-T2-1"}, ["编码 S-T2-1 已被避难场所或库点使用。"]),
    ({"shelter-code": "T1-V1"}, ["编码 T1-V1 已被避难场所或库点使用。"]),
    ({"shelter-code": "S 1"}, ["编码为 1 至 32 个英文字母、数字、“-”“_”或“.”，以字母或数字开头。"]),
    ({"shelter-code": "S/1"}, ["编码为 1 至 32 个英文字母、数字、“-”“_”或“.”，以字母或数字开头。"]),
    ({"shelter-town": "C1"}, ["不是有效的选择。"]),
    ({"shelter-lat": "95"}, ["数值大小必须介于 -90 到 90 之间。"]),
    ({"shelter-lon": "", "shelter-capacity": "-5"}, ["该字段是必填字段。", "数值必须大于 0。"]),
    ({"shelter-capacity": "2147483648"}, ["数值必须小于 2147483647。"]),
])
def test_a_bad_shelter_is_named_next_to_its_field(client, engine, ruled, changes, messages):
    as_user(client, "admin")
    before = table_counts(engine)
    r = post(client, "/admin/shelters", {"shelter-code": "S-T1-1", "shelter-name": "玉龙镇小学", "shelter-town": "T1",
                                         "shelter-lat": "29.21", "shelter-lon": "105.42", **changes})
    assert r.status_code == 422
    assert field_errors(r) == messages
    assert table_counts(engine) == before


def test_only_administrators_add_shelters_through_the_api_too(client, ruled):
    body = {"code": "S-X", "name": "x", "town": "T1", "lat": 29.0, "lon": 105.0}
    r = client.post("/api/v1/shelters", json=body, headers=bearer(ruled, "dispatcher"))
    assert r.status_code == 403
    r = client.post("/api/v1/shelters", json={**body, "town": "C1"}, headers=bearer(ruled, "admin"))
    assert r.status_code == 422
    assert {k: r.json["error"][k] for k in ("status", "code", "field", "message_code", "params")} == {
        "status": 422, "code": "invalid", "field": "town", "message_code": "shelter_town_not_town",
        "params": {"town": "C1"}}
    assert client.post("/api/v1/shelters", json=body, headers=bearer(ruled, "admin")).status_code == 201


# ------------------------------------------------------------------ planning settings


def test_an_administrator_changes_the_planning_settings(app, client, engine, ruled):
    auditor = app.test_client()
    as_user(auditor, "auditor")
    page = auditor.get("/admin/settings")
    shown = dict(re.findall(r'<div data-setting="(\w+)"><dt>.*?</dt><dd>(.*?)</dd>', page.get_data(as_text=True)))
    assert (shown["days"], shown["detour_factor"], shown["vehicle_capacity_kg"]) == ("3", "1.4", "5,000")
    assert "绕行系数" in text(page) and "车辆载重（kg）" in text(page) and post_forms_present(page) == []
    as_user(client, "admin")
    form = {name: str(value) for name, value in settings.read_settings(engine).items()}
    body = client.get("/admin/settings").get_data(as_text=True)
    assert re.search(r'<input[^>]*name="detour_factor"[^>]*value="1.4"', body)
    r = post(client, "/admin/settings", {**form, "detour_factor": "1.6", "vehicle_capacity_kg": "8000",
                                         "handling_minutes": "20"})
    assert r.status_code == 302
    stored = settings.read_settings(engine)
    assert (stored["detour_factor"], stored["vehicle_capacity_kg"], stored["handling_minutes"]) == (1.6, 8000, 20)
    assert "规划设置已保存。" in text(client.get("/admin/settings"))
    before = table_counts(engine)
    r = post(client, "/admin/settings", {**form, "detour_factor": "1.6", "vehicle_capacity_kg": "8000",
                                         "handling_minutes": "20"})
    assert r.status_code == 302 and "没有任何修改。" in text(client.get("/admin/settings"))
    assert table_counts(engine) == before


@pytest.mark.parametrize("changes, messages", [
    ({"detour_factor": "0.5"}, ["应不小于 1：道路距离不会短于直线距离。"]),
    ({"fair_share_steps": "500"}, ["应为 1 至 100 之间的整数。"]),
    ({"speed_town_kmh": "0", "handling_minutes": "-5"}, ["必须大于 0。"]),  # the service names the first it finds
    ({"days": "2.5"}, ["不是有效的整数。"]),
    ({"vehicle_capacity_m3": "nan"}, ["请填写数字。"]),
    ({"household_size": ""}, ["该字段是必填字段。"]),
])
def test_bad_settings_are_named_and_none_is_stored(client, engine, ruled, changes, messages):
    as_user(client, "admin")
    form = {name: str(value) for name, value in settings.read_settings(engine).items()}
    before, values = table_counts(engine), settings.read_settings(engine)
    r = post(client, "/admin/settings", {**form, "vehicle_capacity_kg": "9000", **changes})
    assert r.status_code == 422
    assert field_errors(r) == messages
    assert table_counts(engine) == before and settings.read_settings(engine) == values


# ------------------------------------------------------------------ the incident's level history


def test_the_level_history_names_who_changed_it_when_and_why(client, engine, ruled, monkeypatch):
    incident_id = incidents.declare(engine, ruled.dispatcher, type="flood", title="7·15 洪涝灾害", declared_at=NOW,
                                    sites=[{"site": "T1-V1", "people": 300}], level="III", level_reason="汛期高风险")
    as_user(client, "admin")
    later = datetime(2026, 7, 1, 5, 30, tzinfo=timezone.utc)
    monkeypatch.setattr(clock, "now", lambda: later)  # the request's clock, not the wall clock
    r = post(client, f"/incidents/{incident_id}/level", {"level-level": "II", "level-reason": "水位持续上涨"})
    assert r.status_code == 302
    stored = incidents.get(engine, ruled.admin, incident_id)
    assert stored["level_reason"] == "汛期高风险"  # the declaration's reason is kept
    assert stored["level_changes"] == [{"from": "III", "to": "II", "reason": "水位持续上涨", "at": later.isoformat(),
                                        "user_id": ruled.admin.user_id, "username": "admin"}]
    page = client.get(f"/incidents/{incident_id}")
    history = [(row["时间"], row["变更"], row["经办人"], row["原因"]) for row in table_rows(page, "level-history")]
    assert history == [("2026年7月1日 10:00", "以III级启动", "dispatcher", "汛期高风险"),
                       ("2026年7月1日 13:30", "III级 → II级", "admin", "水位持续上涨")]
    assert "级别理由 水位持续上涨" in text(page)  # the reason for the level as it is now
    # the change form offers the other levels only
    body = page.get_data(as_text=True)
    select = re.search(r'name="level-level".*?</select>', body, re.S).group(0)
    options = re.findall(r'<option[^>]*value="(I+V?)"', select)
    assert options == ["I", "III", "IV"]


def test_changing_to_the_same_level_is_refused_with_a_clear_message(client, engine, ruled):
    incident_id = incidents.declare(engine, ruled.dispatcher, type="flood", title="t", declared_at=NOW,
                                    sites=[{"site": "T1-V1", "people": 300}])
    before = table_counts(engine)
    as_user(client, "dispatcher")
    r = post(client, f"/incidents/{incident_id}/level", {"level-level": "IV", "level-reason": "复核"})
    assert r.status_code == 422
    assert field_errors(r) == ["该灾情已是IV级响应：请选择其他级别。"]
    api = client.post(f"/api/v1/incidents/{incident_id}/level", json={"level": "IV", "reason": "复核"},
                      headers=bearer(ruled, "dispatcher"))
    assert api.status_code == 422
    assert api.json == {"error": {"status": 422, "code": "invalid", "field": "level", "message_code": "level_unchanged",
                                  "params": {"level": "IV"}, "message": "the incident is already at level IV"}}
    assert table_counts(engine) == before


def test_an_error_page_says_the_services_message_in_the_pages_language(client, ruled):
    as_user(client, "dispatcher")
    r = client.get("/incidents/999")
    assert r.status_code == 404 and "没有编号为 999 的灾情。" in text(r)
    r = client.get("/incidents/999?lang=en")
    assert "There is no incident 999." in text(r)
    api = client.get("/api/v1/incidents/999", headers=bearer(ruled, "dispatcher"))
    assert api.json["error"]["message"] == "no incident 999"  # the API keeps its English message and names the code
    assert (api.json["error"]["message_code"], api.json["error"]["params"]) == ("incident_unknown", {"incident": 999})
