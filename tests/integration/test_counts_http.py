"""Count sessions over HTTP, on SQLite and PostgreSQL: the JSON API under /api/v1/counts and the pages under
/counts (the counting page, the variance sheet, sign-off, the PDF), in Chinese and English."""
import pytest

from tests.conftest import bearer, csrf_token, login
from tests.integration.helpers import ledger_lines, lot_quantity, new_lot, snapshot, table_rows, text


@pytest.fixture
def lots(engine, county):
    return [new_lot(engine, county.admin, "T1", "WATER", 20, code="W-A"),
            new_lot(engine, county.admin, "T1", "TENT", 4, code="T-C", expires_on=None)]


def api_start(client, county, who="keeper", **body):
    return client.post("/api/v1/counts", json={"depot": "T1", **body}, headers=bearer(county, who))


# ------------------------------------------------------------------ the API


def test_the_api_runs_a_count_from_start_to_close(client, county, lots, engine):
    r = api_start(client, county)
    assert r.status_code == 201, r.json
    cid = r.json["id"]
    assert [(line["lot"], line["expected"], line["state"]) for line in r.json["lines"]] == [
        ("T-C", 4, "missing"), ("W-A", 20, "missing")]
    for lot, counted in (("W-A", 17), ("T-C", 4)):
        r = client.post(f"/api/v1/counts/{cid}/lines", json={"lot": lot, "counted": counted},
                        headers=bearer(county, "keeper"))
        assert r.status_code == 200 and r.json["counted"] == counted
    assert lot_quantity(engine, "W-A") == 20
    sheet = client.get(f"/api/v1/counts/{cid}/variance", headers=bearer(county, "auditor")).json
    assert {line["lot"]: line["difference"] for line in sheet["lines"]} == {"T-C": 0, "W-A": -3}
    assert client.post(f"/api/v1/counts/{cid}/keeper-sign", headers=bearer(county, "keeper")).status_code == 200
    r = client.post(f"/api/v1/counts/{cid}/close", headers=bearer(county, "admin"))
    assert r.status_code == 200 and r.json["status"] == "closed"
    assert lot_quantity(engine, "W-A") == 17
    assert [(m.kind, m.quantity, m.reference) for m in ledger_lines(engine, "W-A")][-1] == ("count", -3, f"PD-{cid}")


def test_the_api_refuses_keepers_of_other_depots_auditors_and_dispatchers_and_lets_them_read(client, county, lots):
    cid = api_start(client, county).json["id"]
    assert api_start(client, county, "keeper2").json["error"]["code"] == "not_your_depot"
    assert api_start(client, county, "auditor").status_code == 403
    assert api_start(client, county, "dispatcher").status_code == 403
    for who in ("keeper2", "auditor", "dispatcher"):
        r = client.post(f"/api/v1/counts/{cid}/lines", json={"lot": "W-A", "counted": 1}, headers=bearer(county, who))
        assert r.status_code == 403
    assert client.get(f"/api/v1/counts/{cid}", headers=bearer(county, "keeper2")).status_code == 403
    for who in ("auditor", "dispatcher"):
        assert client.get(f"/api/v1/counts/{cid}", headers=bearer(county, who)).status_code == 200
        assert [s["id"] for s in client.get("/api/v1/counts", headers=bearer(county, who)).json] == [cid]
    assert client.get("/api/v1/counts", headers=bearer(county, "keeper2")).json == []


def test_the_api_names_the_field_of_a_bad_value_and_changes_nothing(client, county, lots, engine):
    cid = api_start(client, county).json["id"]
    before = snapshot(engine)
    for body, field in (({"lot": "W-A", "counted": -1}, "counted"), ({"lot": "W-A", "counted": 2**31}, "counted"),
                        ({"lot": "W-A", "counted": "7"}, "counted"), ({"counted": 3}, "lot"),
                        ({"lot": "W-T9", "counted": 3}, "lot")):
        r = client.post(f"/api/v1/counts/{cid}/lines", json=body, headers=bearer(county, "keeper"))
        assert r.status_code in (404, 422), (body, r.json)
        error = r.json["error"]
        assert field in (error.get("field"), *error.get("fields", {})), error
    assert client.get(f"/api/v1/counts/{2**40}", headers=bearer(county, "keeper")).status_code == 404
    r = client.post("/api/v1/counts", json={"depot": "T1", "scope": "aisle"}, headers=bearer(county, "admin"))
    assert r.status_code == 422 and "scope" in r.json["error"]["fields"]
    assert snapshot(engine) == before


def test_an_administrator_makes_counts_blind_and_nobody_else_may(client, county, lots):
    assert client.put("/api/v1/counts/settings", json={"blind": True}, headers=bearer(county, "keeper")).status_code == 403
    assert client.put("/api/v1/counts/settings", json={"blind": True}, headers=bearer(county, "admin")).json == {
        "blind": True}
    r = api_start(client, county)
    assert r.json["blind"] and [line["expected"] for line in r.json["lines"]] == [None, None]


# ------------------------------------------------------------------ the pages


def as_user(client, name):
    assert login(client, name, f"{name}-pass").status_code == 302


def post(client, path, data, page):
    return client.post(path, data={**data, "csrf_token": csrf_token(client, page)})


def test_a_keeper_counts_signs_and_an_administrator_closes_on_the_pages(app, county, lots, engine):
    keeper = app.test_client()
    as_user(keeper, "keeper")
    r = post(keeper, "/counts", {"depot": "T1", "scope": "depot"}, "/counts")
    assert r.status_code == 302
    page = r.headers["Location"]
    cid = int(page.rsplit("/", 1)[1])
    assert "W-A" in text(keeper.get(page)) and "未盘" in text(keeper.get(page))
    r = post(keeper, f"/counts/{cid}/count", {"lot": "W-A", "counted": "18"}, page)
    assert r.status_code == 302 and r.headers["Location"].endswith("#lot-W-A")
    r = post(keeper, f"/counts/{cid}/count", {"lot": "T-C", "counted": "四"}, page)
    assert "盘点数量须为 0 或以上的整数" in text(keeper.get(r.headers["Location"]))
    post(keeper, f"/counts/{cid}/leave-out", {"lot": "T-C", "reason": "借出"}, page)
    sheet = keeper.get(f"/counts/{cid}/variance")
    rows = table_rows(sheet, "variance")
    assert rows[1]["批次"] == "W-A" and rows[1]["账面数"] == "20 箱" and rows[1]["实盘数量"] == "18 箱"
    assert rows[1]["差异"] == "−2 箱"
    post(keeper, f"/counts/{cid}/keeper-sign", {}, f"/counts/{cid}/variance")
    assert ledger_lines(engine, "W-A")[-1].kind == "receive"
    admin = app.test_client()
    as_user(admin, "admin")
    r = post(admin, f"/counts/{cid}/close", {}, f"/counts/{cid}/variance")
    assert "已结束" in text(admin.get(r.headers["Location"]))
    assert lot_quantity(engine, "W-A") == 18
    pdf = admin.get(f"/counts/{cid}/variance.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")


def test_the_counting_page_reads_in_english_and_a_refused_count_is_said_on_it(client, county, lots):
    as_user(client, "keeper")
    cid = post(client, "/counts", {"depot": "T1"}, "/counts").headers["Location"].rsplit("/", 1)[1]
    page = text(client.get(f"/counts/{cid}?lang=en"))
    assert "Count PD-" in page and "Not counted yet" in page and "Expected" in page
    r = post(client, f"/counts/{cid}/count", {"lot": "NOPE", "counted": "1"}, f"/counts/{cid}")
    assert f"Lot NOPE is not in count PD-{cid}." in text(client.get(r.headers["Location"]))
    keeper2 = client.application.test_client()
    as_user(keeper2, "keeper2")
    assert keeper2.get(f"/counts/{cid}").status_code == 403


def test_a_blind_counting_page_shows_no_expected_quantity(client, county, lots):
    as_user(client, "admin")
    post(client, "/counts/settings", {"blind": "1"}, "/counts")
    cid = post(client, "/counts", {"depot": "T1"}, "/counts").headers["Location"].rsplit("/", 1)[1]
    page = text(client.get(f"/counts/{cid}?lang=en"))
    assert "Blind count" in page and "Expected" not in page.split("Not counted yet", 1)[1]
    assert "the variance sheet shows once every lot is counted" in text(client.get(f"/counts/{cid}/variance"))


def test_the_list_of_counts_shows_each_with_its_progress(client, county, lots):
    as_user(client, "keeper")
    post(client, "/counts", {"depot": "T1", "scope": "category", "category": "living"}, "/counts")
    rows = table_rows(client.get("/counts"), "count-list")
    assert rows[0]["状态"] == "进行中" and rows[0]["已盘批次"] == "0 / 2" and "生活类" in rows[0]["盘点范围"]
