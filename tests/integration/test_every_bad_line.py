"""Every form and import that takes many lines names all its bad lines at once — each with its line or row,
in the page's language — keeps what was typed, and writes nothing; the JSON API answers them all in one 4xx
body (``problems``), at most 100 and how many more. On SQLite and PostgreSQL."""
import html
import io
import re
from datetime import datetime, timezone

import pytest

from common import clock
from dispatch import importers, incidents, settings
from tests.conftest import bearer, csrf_token, login
from tests.integration.helpers import cell_text, table_counts

NOW = datetime(2026, 7, 1, 2, 0, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def frozen_clock(monkeypatch):
    monkeypatch.setattr(clock, "now", lambda: NOW)


def listed(response) -> list[str]:
    """The messages of every list of problems on the page (a field's, the error page's, a form's)."""
    lists = re.findall(r'<ul class="field-errors[^"]*">(.*?)</ul>', response.get_data(as_text=True), re.S)
    return [html.unescape(cell_text(item)) for block in lists for item in re.findall(r"<li>(.*?)</li>", block, re.S)]


def as_user(client, name: str, lang: str) -> None:
    assert login(client, name, f"{name}-pass").status_code == 302
    client.get(f"/incidents?lang={lang}")  # remembered in a cookie


def post(client, path: str, data: dict, page: str = "/incidents"):
    token = csrf_token(client, page)
    tokens = {f"{p}csrf_token": token for p in ("", "sites-", "import-")}
    return client.post(path, data={**tokens, **data}, content_type="multipart/form-data")


THREE_BAD_LINES = "T1-V1, 300\nT1-V2 many\nNOPE, 50\n\nT1, 20\n"  # line 2 unreadable, 3 unknown, 5 a town station
SITE_LINES = {
    "zh_Hans_CN": ["第 2 行：请按“地点编码, 人数”填写（例如 T01-V01, 800）；实际填写为“T1-V2 many”。",
                   "第 3 行：没有编码为 NOPE 的村储备点或避难场所。",
                   "第 5 行：T1 是县级储备库或乡镇储备站；受灾地点应为村储备点或避难场所。"],
    "en": ["Line 2: write the site code, a comma and the number of people (for example T01-V01, 800); "
           "got “T1-V2 many”.",
           "Line 3: no village point or shelter has the code NOPE.",
           "Line 5: T1 is a county depot or town station; affected sites are village points or shelters."],
}


@pytest.mark.parametrize("lang", ["zh_Hans_CN", "en"])
def test_declaring_with_three_bad_site_lines_names_all_three_and_keeps_the_text(client, engine, county, lang):
    as_user(client, "dispatcher", lang)
    before = table_counts(engine)
    r = post(client, "/incidents/new", {"type": "flood", "title": "洪涝", "level": "", "level_reason": "", "days": "3",
                                        "sites": THREE_BAD_LINES})
    assert r.status_code == 422
    assert listed(r) == SITE_LINES[lang]
    assert "T1-V2 many\nNOPE, 50" in html.unescape(r.get_data(as_text=True))  # the text box keeps what was typed
    assert table_counts(engine) == before


FILE_ROWS = {
    "zh_Hans_CN": ["文件第 2 行：人数应为 0 或以上的整数。", "文件第 3 行：地点编码为空。",
                   "文件第 4 行：没有编码为 NOPE 的村储备点或避难场所。"],
    "en": ["Row 2 of the file: the people must be a whole number of 0 or more.",
           "Row 3 of the file: the site code is empty.",
           "Row 4 of the file: no village point or shelter has the code NOPE."],
}


@pytest.mark.parametrize("lang", ["zh_Hans_CN", "en"])
def test_replacing_sites_from_a_file_with_bad_rows_names_every_row(client, engine, county, lang):
    incident = incidents.declare(engine, county.dispatcher, type="flood", title="t", declared_at=NOW,
                                 sites=[{"site": "T2-V1", "people": 300}])
    as_user(client, "dispatcher", lang)
    before = table_counts(engine)
    csv = b"site,people\nT1-V1,many\n,5\nNOPE,7\nT1-V2,10\n"  # rows 2, 3 and 4 bad in three ways
    r = post(client, f"/incidents/{incident}/sites", {"sites-sites": "",
                                                      "sites-sites_file": (io.BytesIO(csv), "sites.csv")})
    assert r.status_code == 422
    assert listed(r) == FILE_ROWS[lang]
    assert table_counts(engine) == before
    assert [s["site"] for s in incidents.get(engine, county.dispatcher, incident)["sites"]] == ["T2-V1"]


def test_the_api_names_every_bad_site_in_one_answer(client, engine, county):
    incident = incidents.declare(engine, county.dispatcher, type="flood", title="t", declared_at=NOW,
                                 sites=[{"site": "T2-V1", "people": 300}])
    before = table_counts(engine)
    r = client.put(f"/api/v1/incidents/{incident}/sites", headers=bearer(county, "dispatcher"), json={"sites": [
        {"site": "T1-V1", "people": 5}, {"site": "NOPE", "people": 5}, {"site": "T1", "people": 5},
        {"site": "T1-V1", "people": 2_000_000}]})
    assert r.status_code == 422
    error = r.json["error"]
    assert (error["code"], error["message_code"], error["params"], error["field"]) == (
        "invalid", "lines_invalid", {"count": 4}, "sites")
    assert [(p["field"], p["message_code"], p["value"]) for p in error["problems"]] == [
        ("sites[1].site", "site_unknown", "NOPE"), ("sites[2].site", "site_not_village", "T1"),
        ("sites[3].site", "site_twice", "T1-V1"), ("sites[3].people", "site_people_out_of_range", 2_000_000)]
    assert "problems_more" not in error and table_counts(engine) == before

    r = client.put(f"/api/v1/incidents/{incident}/sites.csv", headers={**bearer(county, "dispatcher"),
                                                                       "Content-Type": "text/csv"},
                   data=b"site,people\nT1-V1,x\nNOPE,5\nT1,-1\nT1-V2,4\n")
    assert r.status_code == 422
    assert [(p["line"], p["column"], p["value"]) for p in r.json["error"]["problems"]] == [
        (2, "people", "x"), (3, "site", "NOPE"), (4, "people", "-1"), (4, "site", "T1")]
    assert table_counts(engine) == before

    one = client.put(f"/api/v1/incidents/{incident}/sites", headers=bearer(county, "dispatcher"),
                     json={"sites": [{"site": "NOPE", "people": 5}]})  # one bad line: the error it always was
    assert one.status_code == 404 and one.json["error"]["message_code"] == "site_unknown"
    assert len(one.json["error"]["problems"]) == 1


FLOOR_ROWS = {
    "zh_Hans_CN": ["文件第 2 行：没有编码为 T9 的库点。", "文件第 3 行：没有编码为 NOPE 的物资。",
                   "文件第 4 行 quantity 列：“many”不是 0 或以上的整数。"],
    "en": ["Row 2 of the file: no depot has the code T9.", "Row 3 of the file: no item has the code NOPE.",
           "Row 4 of the file, column quantity: “many” is not a whole number of 0 or more."],
}


@pytest.mark.parametrize("lang", ["zh_Hans_CN", "en"])
def test_a_floors_file_with_three_bad_rows_names_all_three_and_stores_none(client, engine, county, lang):
    as_user(client, "admin", lang)
    before = table_counts(engine)
    csv = b"depot,item,quantity\nT9,TENT,4\nT1,NOPE,4\nT1,TENT,many\nT2,TENT,3\n"
    r = post(client, "/admin/floors/import", {"import-file": (io.BytesIO(csv), "floors.csv")}, page="/admin/floors")
    assert r.status_code == 422
    assert listed(r) == FLOOR_ROWS[lang]
    assert table_counts(engine) == before and settings.list_floors(engine) == []


TRAVEL_ROWS = {
    "zh_Hans_CN": ["文件第 2 行：没有编码为 NOPE 的村储备点或避难场所。", "文件第 3 行：没有编码为 T9 的库点。",
                   "文件第 4 行 minutes 列：“soon”不是 0 或以上的整数。", "文件第 5 行：T1 → T1-V2 重复出现。"],
    "en": ["Row 2 of the file: no village point or shelter has the code NOPE.",
           "Row 3 of the file: no depot has the code T9.",
           "Row 4 of the file, column minutes: “soon” is not a whole number of 0 or more.",
           "Row 5 of the file: T1 → T1-V2 appears twice."],
}


@pytest.mark.parametrize("lang", ["zh_Hans_CN", "en"])
def test_a_travel_times_file_with_bad_rows_names_them_all_on_the_page_and_in_the_api(client, engine, county, lang):
    importers.import_travel_times(engine, county.admin, b"depot,site,minutes\nC1,T1-V1,60\n")
    as_user(client, "admin", lang)
    before = table_counts(engine)
    csv = b"depot,site,minutes\nT1,NOPE,5\nT9,T1-V1,5\nT1,T1-V2,soon\nT1,T1-V2,7\nT2,T2-V1,9\n"
    r = post(client, "/admin/travel/import", {"import-file": (io.BytesIO(csv), "t.csv")}, page="/admin/travel")
    assert r.status_code == 422
    assert listed(r) == TRAVEL_ROWS[lang]
    api = client.put("/api/v1/travel-times.csv", headers={**bearer(county, "admin"), "Content-Type": "text/csv"},
                     data=csv)
    assert api.status_code == 422 and [p["line"] for p in api.json["error"]["problems"]] == [2, 3, 4, 5]
    assert table_counts(engine) == before and before["travel_time"] == 1


def test_a_file_with_hundreds_of_bad_rows_names_the_first_100_and_counts_the_rest(client, engine, county):
    csv = "depot,item,quantity\n" + "".join(f"X{n},TENT,1\n" for n in range(150))
    r = client.put("/api/v1/travel-times.csv", headers={**bearer(county, "admin"), "Content-Type": "text/csv"},
                   data=("depot,site,minutes\n" + "".join(f"X{n},T1-V1,{n}\n" for n in range(150))).encode())
    assert r.status_code == 422
    error = r.json["error"]
    assert len(error["problems"]) == 100 and error["problems_more"] == 50 and error["params"] == {"count": 150}
    assert error["problems"][0]["line"] == 2 and error["problems"][-1]["line"] == 101
    as_user(client, "admin", "en")
    page = post(client, "/admin/floors/import", {"import-file": (io.BytesIO(csv.encode()), "f.csv")},
                page="/admin/floors")
    items = listed(page)
    assert len(items) == 101 and items[-1].startswith("… and 50 more problems")
    assert "More than 100 problems" in page.get_data(as_text=True)


REQUEST_LINES = {
    "zh_Hans_CN": ["第 1 行：请选择物资。", "第 3 行：TENT 重复填写。", "第 4 行：数量应为 1 或以上的整数（填的是“0”）。"],
    "en": ["Line 1: choose an item.", "Line 3: TENT is named twice.",
           "Line 4: the quantity must be a whole number of 1 or more (got “0”)."],
}


@pytest.mark.parametrize("lang", ["zh_Hans_CN", "en"])
def test_a_transfer_request_with_three_bad_lines_names_all_three_and_keeps_the_form(client, engine, county, lang):
    as_user(client, "keeper", lang)
    before = table_counts(engine)
    r = client.post("/transfer-requests/new", data={
        "csrf_token": csrf_token(client, "/transfer-requests/new"), "depot": "T1-V1", "source": "C1",
        "wanted_by": "2026-07-05", "reason": "汛前补库",
        "item_0": "", "quantity_0": "5", "item_1": "TENT", "quantity_1": "3", "item_2": "TENT", "quantity_2": "4",
        "item_3": "WATER", "quantity_3": "0"})
    assert r.status_code == 422
    assert listed(r) == REQUEST_LINES[lang]
    page = r.get_data(as_text=True)
    assert 'value="T1-V1" selected' in page and ">汛前补库</textarea>" in page and 'name="quantity_2" min="1"' in page
    assert table_counts(engine) == before


def test_the_transfer_request_api_names_unknown_items_with_the_other_bad_lines(client, engine, county):
    before = table_counts(engine)
    r = client.post("/api/v1/transfer-requests", headers=bearer(county, "keeper"), json={
        "depot": "T1-V1", "source": "C1", "reason": "r", "wanted_by": "2026-07-05",
        "lines": [{"item": "NOPE", "quantity": 1}, {"item": "TENT", "quantity": 1}, {"item": "TENT", "quantity": 2},
                  {"item": "GHOST", "quantity": 3}, {"item": "WATER", "quantity": 2}]})
    assert r.status_code == 422
    assert [(p["line"], p["field"], p["message_code"]) for p in r.json["error"]["problems"]] == [
        (1, "lines[0].item", "no_such_item"), (3, "lines[2].item", "order_item_twice"),
        (4, "lines[3].item", "no_such_item")]
    # what the schema refuses is named all at once too, each field in "fields"
    r = client.post("/api/v1/transfer-requests", headers=bearer(county, "keeper"), json={
        "depot": "T1-V1", "source": "C1", "reason": "r", "wanted_by": "2026-07-05",
        "lines": [{"item": "TENT", "quantity": 0}, {"quantity": 1}, {"item": "WATER", "quantity": -1}]})
    assert r.status_code == 422 and set(r.json["error"]["fields"]) == {
        "lines.0.quantity", "lines.1.item", "lines.2.quantity"}
    assert table_counts(engine) == before


@pytest.mark.parametrize("lang, words, down", [("zh_Hans_CN", "共有 3 处问题，未保存任何内容", "递减"),
                                               ("en", "3 problems; nothing was saved", "counts down")])
def test_a_shelf_label_list_with_three_bad_numbers_names_all_three(client, county, lang, words, down):
    as_user(client, "keeper", lang)
    r = client.post("/labels/depots/T1/shelves", data={
        "csrf_token": csrf_token(client, "/labels/depots/T1"), "layout": "a4-3x8",
        "shelves": "A-01, 货架1, A-03~A-01, B-1~B-2~B-3, A-04"})
    assert r.status_code == 422
    assert words in html.unescape(r.get_data(as_text=True))
    problems = listed(r)
    assert len(problems) == 3
    assert "货架1" in problems[0] and down in problems[1] and "B-1~B-2~B-3" in problems[2]


@pytest.mark.parametrize("lang, first", [("zh_Hans_CN", "I级高于II级"), ("en", "Level I is more severe than level II")])
def test_response_levels_with_two_thresholds_out_of_order_name_both_rows(client, engine, county, lang, first):
    from tests.integration.test_dispatch_admin_pages import levels_form

    as_user(client, "admin", lang)
    before = table_counts(engine)
    r = post(client, "/admin/levels", levels_form(**{"0-min_people": "100", "1-min_people": "5000",
                                                      "2-min_people": "200", "3-min_people": "1000"}),
             page="/admin/levels")
    assert r.status_code == 422
    errors = [html.unescape(cell_text(m)) for m in
              re.findall(r'<p class="field-error">(.*?)</p>', r.get_data(as_text=True), re.S)]
    assert len(errors) == 2 and first in errors[0] and ("III" in errors[1])
    assert table_counts(engine) == before


def test_the_norms_api_names_every_bad_norm_in_one_answer(client, engine, county):
    before = table_counts(engine)
    r = client.put("/api/v1/norms", headers=bearer(county, "admin"), json={"note": "n", "norms": [
        {"item": "TENT", "basis": "household", "quantity": 1},
        {"item": "NOPE", "basis": "person", "quantity": 1},
        {"item": "WATER", "basis": "person", "quantity": 1, "levels": []},
        {"item": "TENT", "basis": "person", "quantity": 2}]})
    assert r.status_code == 422
    assert [(p["line"], p["field"], p["message_code"]) for p in r.json["error"]["problems"]] == [
        (2, "norms[1].item", "item_unknown"), (3, "norms[2].levels", "norm_levels_unknown"),
        (4, "norms[3].item", "norm_item_twice")]
    assert table_counts(engine) == before
