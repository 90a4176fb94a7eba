"""Input an outsider sends to break the server gets a 4xx naming the field and changes nothing: numbers
beyond the columns' range, NUL characters and lone surrogates, deep JSON, huge bodies, the wrong content
type, codes that cannot live in a URL; on SQLite and PostgreSQL (several broke only on PostgreSQL)."""
from datetime import date

import pytest

from common.limits import MAX_QUANTITY
from tests.conftest import bearer, csrf_token, login
from tests.integration.helpers import lot_quantity, new_lot, snapshot


def post_op(client, county, who, body, **headers):
    return client.post("/api/v1/ledger", json=body, headers={**bearer(county, who), **headers})


def assert_refused(r, status, field, engine=None, before=None):
    assert r.status_code == status, r.get_data(as_text=True)[:500]
    error = r.json["error"]
    assert error["status"] == status and error["message"]
    assert field == error.get("field") or field in (error.get("fields") or {}), error
    if before is not None:
        assert snapshot(engine) == before


# ---------------------------------------------------------------- the stock summary


@pytest.mark.parametrize("who", ["admin", "dispatcher", "keeper", "auditor"])
def test_the_stock_summary_per_item_answers_every_role(client, engine, county, who):
    new_lot(engine, county.admin, depot="T1", item="WATER", quantity=20)
    r = client.get("/api/v1/stock", headers=bearer(county, who))
    assert r.status_code == 200, r.get_data(as_text=True)[:300]
    assert r.json["by"] == "item"
    assert [(line["code"], line["units"], "items" in line) for line in r.json["lines"]] == [("WATER", 20, False)]


# ---------------------------------------------------------------- numbers beyond the columns


@pytest.mark.parametrize("body, field", [
    ({"kind": "issue", "quantity": 2**31}, "quantity"),
    ({"kind": "count", "counted": 10**12}, "counted"),
    ({"kind": "receive", "quantity": 2**31}, "quantity"),
    ({"kind": "transfer", "quantity": 2**40, "to_depot": "T1-V1"}, "quantity"),
])
def test_a_quantity_beyond_what_a_lot_may_hold_is_a_422(client, engine, county, body, field):
    code = new_lot(engine, county.admin, depot="T1", quantity=10)
    before = snapshot(engine)
    assert_refused(post_op(client, county, "keeper", {**body, "lot": code}), 422, field, engine, before)


@pytest.mark.parametrize("new_lot_fields, quantity, field", [
    ({}, 2**40, "quantity"),
    ({"unit_price": 1e20}, 1, "new_lot.unit_price"),
    ({"unit_price": "21474836.48"}, 1, "new_lot.unit_price"),
])
def test_a_new_lot_beyond_the_columns_is_a_422(client, engine, county, new_lot_fields, quantity, field):
    before = snapshot(engine)
    body = {"kind": "receive", "quantity": quantity, "new_lot": {"item": "TENT", "depot": "T1", **new_lot_fields}}
    assert_refused(post_op(client, county, "keeper", body), 422, field, engine, before)


def test_a_receipt_that_would_pass_the_most_a_lot_may_hold_is_refused_naming_quantity(client, engine, county):
    code = new_lot(engine, county.admin, depot="T1", quantity=MAX_QUANTITY - 5)
    before = snapshot(engine)
    r = post_op(client, county, "keeper", {"kind": "receive", "lot": code, "quantity": 10})
    assert_refused(r, 409, "quantity", engine, before)
    assert r.json["error"]["code"] == "too_much_stock"
    assert post_op(client, county, "keeper", {"kind": "receive", "lot": code, "quantity": 5}).status_code == 201
    assert lot_quantity(engine, code) == MAX_QUANTITY


@pytest.mark.parametrize("method, path, body, field", [
    ("post", "/api/v1/items", {"code": "BIG", "name_zh": "大", "name_en": "Big", "category": "living", "unit": "个",
                               "shelf_life_days": 2**31}, "shelf_life_days"),
    ("post", "/api/v1/items", {"code": "BIG", "name_zh": "大", "name_en": "Big", "category": "living", "unit": "个",
                               "rotation_lead_days": 2**31 + 7}, "rotation_lead_days"),
    ("patch", "/api/v1/items/WATER", {"shelf_life_days": 2**33}, "shelf_life_days"),
    ("patch", "/api/v1/items/WATER", {"rotation_lead_days": 36_501}, "rotation_lead_days"),
    ("put", "/api/v1/floors", {"depot": "T1", "item": "TENT", "quantity": 2**31}, "quantity"),
])
def test_item_days_and_floors_beyond_their_range_are_a_422(client, engine, county, method, path, body, field):
    before = snapshot(engine)
    r = getattr(client, method)(path, json=body, headers=bearer(county, "admin"))
    assert_refused(r, 422, field, engine, before)


@pytest.mark.parametrize("path", [
    "/api/v1/incidents/2147483648", "/api/v1/incidents/99999999999999999999/needs",
    "/api/v1/incidents/2147483648/plan", "/api/v1/incidents/2147483648/problem",
])
def test_an_incident_id_beyond_the_column_is_not_found_on_the_api(client, county, path):
    r = client.get(path, headers=bearer(county, "dispatcher"))
    assert r.status_code == 404 and r.json["error"]["code"] == "not_found"


def test_an_incident_id_beyond_the_column_is_not_found_on_the_pages_and_on_writes(client, engine, county):
    headers = bearer(county, "dispatcher")
    before = snapshot(engine)
    assert client.post("/api/v1/incidents/2147483648/level", json={"level": "I", "reason": "x"},
                       headers=headers).status_code == 404
    assert client.put("/api/v1/incidents/2147483648/sites", json={"sites": []}, headers=headers).status_code == 404
    assert snapshot(engine) == before
    login(client, "dispatcher", "dispatcher-pass")
    assert client.get("/incidents/2147483648").status_code == 404
    assert client.get("/incidents/10000000000000000000000/plan.json").status_code == 404


@pytest.mark.parametrize("query, field", [
    ("/api/v1/lots?offset=10000000000000000000", "offset"),
    ("/api/v1/ledger?offset=9223372036854775808", "offset"),
    ("/api/v1/lots?expires_within_days=12253630", "expires_within_days"),
])
def test_paging_and_expiry_windows_beyond_range_are_a_422(client, county, query, field):
    assert_refused(client.get(query, headers=bearer(county, "auditor")), 422, field)


@pytest.mark.parametrize("who, method, path, body, field", [
    ("auditor", "get", "/api/v1/ledger?since=0001-01-01T00:00:00%2B08:00", None, "since"),
    ("auditor", "get", "/api/v1/ledger?until=9999-12-31T23:59:59-08:00", None, "until"),
    ("dispatcher", "post", "/api/v1/incidents", {"type": "flood", "title": "x", "level": "IV", "level_reason": "r",
                                                 "declared_at": "0001-01-01T00:00:00+08:00",
                                                 "sites": [{"site": "T1-V1", "people": 1}]}, "declared_at"),
    ("keeper", "post", "/api/v1/ledger", {"kind": "receive", "quantity": 1, "new_lot": {
        "item": "WATER", "depot": "T1", "received_on": "0001-01-01", "expires_on": "0001-01-02"}},
     "new_lot.received_on"),
])
def test_a_date_or_moment_at_the_edge_of_the_calendar_is_a_422(client, engine, county, who, method, path, body, field):
    before = snapshot(engine)
    r = getattr(client, method)(path, json=body, headers=bearer(county, who)) if body else \
        getattr(client, method)(path, headers=bearer(county, who))
    assert_refused(r, 422, field, engine, before)


def test_an_expiry_window_of_a_century_still_answers(client, engine, county):
    new_lot(engine, county.admin, depot="T1", quantity=3, expires_on=date(2099, 1, 1))
    r = client.get("/api/v1/lots?expires_within_days=36500", headers=bearer(county, "auditor"))
    assert r.status_code == 200 and r.json["total"] == 1


# ---------------------------------------------------------------- text that cannot be stored


@pytest.mark.parametrize("who, method, path, body, field", [
    ("keeper", "post", "/api/v1/ledger", {"kind": "issue", "lot": "{lot}", "quantity": 1, "note": "安置\x00点"}, "note"),
    ("keeper", "post", "/api/v1/ledger", {"kind": "issue", "lot": "L\x00", "quantity": 1}, "lot"),
    ("keeper", "post", "/api/v1/ledger", {"kind": "receive", "quantity": 1,
                                          "new_lot": {"item": "TENT", "depot": "T1", "partner": "\x00"}},
     "new_lot.partner"),
    ("dispatcher", "post", "/api/v1/incidents", {"type": "flood", "title": "洪\x00涝",
                                                 "sites": [{"site": "T1-V1", "people": 10}]}, "title"),
    ("dispatcher", "post", "/api/v1/incidents", {"type": "flood", "title": "洪涝",
                                                 "sites": [{"site": "T1-V1\x00", "people": 10}]}, "sites[0].site"),
    ("admin", "post", "/api/v1/items", {"code": "NUL", "name_zh": "\x00", "name_en": "x", "category": "living",
                                        "unit": "个"}, "name_zh"),
    ("admin", "patch", "/api/v1/depots/T1", {"name": "玉龙\x00镇"}, "name"),
    ("admin", "patch", "/api/v1/depots/T1", {"name": "玉龙\ud800镇"}, "name"),
])
def test_a_nul_or_a_lone_surrogate_in_a_json_field_is_a_422_naming_it(client, engine, county, who, method, path, body,
                                                                       field):
    code = new_lot(engine, county.admin, depot="T1", quantity=5)
    if body.get("lot") == "{lot}":
        body = {**body, "lot": code}
    before = snapshot(engine)
    r = getattr(client, method)(path, json=body, headers=bearer(county, who))
    assert_refused(r, 422, field, engine, before)


def test_a_lone_surrogate_escaped_in_the_json_text_is_a_422_naming_the_field(client, engine, county):
    code = new_lot(engine, county.admin, depot="T1", quantity=5)
    before = snapshot(engine)
    body = '{"kind": "issue", "lot": "%s", "quantity": 1, "note": "\\ud800"}' % code
    r = client.post("/api/v1/ledger", data=body, content_type="application/json", headers=bearer(county, "keeper"))
    assert_refused(r, 422, "note", engine, before)


@pytest.mark.parametrize("path, field", [
    ("/api/v1/lots?item=WA%00TER", "item"),
    ("/api/v1/ledger?reference=%00", "reference"),
    ("/api/v1/lots/L%00X", "code"),
    ("/api/v1/lots/L%00X/card", "code"),
    ("/api/v1/depots/T%001", "code"),
])
def test_a_nul_in_a_query_string_or_a_path_is_a_422_naming_it(client, county, path, field):
    assert_refused(client.get(path, headers=bearer(county, "auditor")), 422, field)


def test_a_nul_in_the_idempotency_key_header_is_a_422_and_writes_nothing(client, engine, county):
    code = new_lot(engine, county.admin, depot="T1", quantity=5)
    before = snapshot(engine)
    r = post_op(client, county, "keeper", {"kind": "issue", "lot": code, "quantity": 1}, **{"Idempotency-Key": "k\x00"})
    assert_refused(r, 422, "Idempotency-Key", engine, before)


def test_a_nul_in_a_form_or_a_page_path_is_a_422_page(client, engine, county):
    before = snapshot(engine)
    r = client.post("/login", data={"username": "keeper\x00", "password": "x", "csrf_token": csrf_token(client)})
    assert r.status_code == 422 and "username" in r.get_data(as_text=True)
    login(client, "keeper", "keeper-pass")
    assert client.get("/lots/L%00X").status_code == 422
    assert client.get("/l/L%00X").status_code == 422
    assert snapshot(engine) == before


# ---------------------------------------------------------------- bodies: depth, size, type


@pytest.mark.parametrize("body", ["[" * 100_000 + "]" * 100_000, '{"a":' * 100 + "1" + "}" * 100])
def test_a_deeply_nested_json_body_is_a_400_saying_so(client, engine, county, body):
    before = snapshot(engine)
    r = client.post("/api/v1/ledger", data=body, content_type="application/json", headers=bearer(county, "keeper"))
    assert r.status_code == 400 and "too deeply nested" in r.json["error"]["message"]
    assert snapshot(engine) == before


def test_a_body_over_the_size_limit_is_a_413_in_the_error_format(client, engine, county):
    before = snapshot(engine)
    body = '{"kind": "issue", "lot": "X", "quantity": 1, "note": "%s"}' % ("x" * (10 * 1024 * 1024))
    r = client.post("/api/v1/ledger", data=body, content_type="application/json", headers=bearer(county, "keeper"))
    assert r.status_code == 413 and r.json["error"]["status"] == 413 and r.json["error"]["message"]
    assert snapshot(engine) == before


def test_the_size_limit_is_a_setting(county, db_url):
    from app import create_app

    app = create_app({"TESTING": True, "DATABASE_URL": db_url, "SECRET_KEY": "t", "MAX_CONTENT_LENGTH": 100})
    try:
        r = app.test_client().post("/api/v1/ledger", json={"kind": "issue", "lot": "X", "quantity": 1, "note": "x" * 200},
                                   headers=bearer(county, "keeper"))
        assert r.status_code == 413
    finally:
        app.extensions["engine"].dispose()


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", None])
def test_a_body_that_is_not_json_is_a_415_saying_json_is_expected(client, engine, county, content_type):
    code = new_lot(engine, county.admin, depot="T1", quantity=5)
    before = snapshot(engine)
    r = client.post("/api/v1/ledger", data=f'{{"kind": "issue", "lot": "{code}", "quantity": 1}}',
                    headers={**bearer(county, "keeper"), **({"Content-Type": content_type} if content_type else {})})
    assert r.status_code == 415 and "application/json" in r.json["error"]["message"]
    assert snapshot(engine) == before


# ---------------------------------------------------------------- codes that must live in a URL


@pytest.mark.parametrize("code", ["A/B", "批次1", "A B", "-A", "A?B", "A#1", ".."])
def test_a_new_lot_code_outside_the_safe_characters_is_refused_saying_which_are_allowed(client, engine, county, code):
    before = snapshot(engine)
    r = post_op(client, county, "keeper", {"kind": "receive", "quantity": 1,
                                           "new_lot": {"code": code, "item": "TENT", "depot": "T1"}})
    assert_refused(r, 422, "new_lot.code", engine, before)
    assert "letters, digits, '-', '_' and '.'" in r.json["error"]["message"]


def test_a_transfer_into_a_named_lot_outside_the_safe_characters_is_refused(client, engine, county):
    code = new_lot(engine, county.admin, depot="T1", quantity=5)
    before = snapshot(engine)
    r = post_op(client, county, "keeper", {"kind": "transfer", "lot": code, "quantity": 1, "to_depot": "T1-V1",
                                           "to_lot": "X/Y"})
    assert_refused(r, 422, "to_lot", engine, before)


def test_a_depot_or_item_code_outside_the_safe_characters_is_refused(client, engine, county):
    before = snapshot(engine)
    r = client.post("/api/v1/items", json={"code": "A/B", "name_zh": "x", "name_en": "x", "category": "living",
                                           "unit": "个"}, headers=bearer(county, "admin"))
    assert_refused(r, 422, "code", engine, before)
    r = client.post("/api/v1/depots", json={"code": "T/3", "name": "x", "tier": "town", "parent": "C1"},
                    headers=bearer(county, "admin"))
    assert_refused(r, 422, "code", engine, before)


def test_a_transfer_whose_default_lot_code_would_be_too_long_lands_in_one_shorter_lot_each_time(client, engine,
                                                                                                county):
    code = new_lot(engine, county.admin, depot="T1", quantity=10, code="WATER-2026-07-DONATION-RED-CROSS-BATCH-0001")
    first = post_op(client, county, "keeper", {"kind": "transfer", "lot": code, "quantity": 3, "to_depot": "T1-V1"})
    second = post_op(client, county, "keeper", {"kind": "transfer", "lot": code, "quantity": 2, "to_depot": "T1-V1"})
    assert (first.status_code, second.status_code) == (201, 201), first.json
    arrived = {first.json["entries"][1]["lot"], second.json["entries"][1]["lot"]}
    assert len(arrived) == 1
    (destination,) = arrived
    assert len(destination) <= 48 and destination.startswith(code[:35])
    assert lot_quantity(engine, destination) == 5
    assert client.get(f"/api/v1/lots/{destination}", headers=bearer(county, "keeper")).json["depot"] == "T1-V1"


# ---------------------------------------------------------------- who imports travel times


def test_only_administrators_import_travel_times_through_the_api(client, engine, county):
    body = b"depot,site,minutes\nT1,T1-V1,12\n"
    before = snapshot(engine)
    r = client.put("/api/v1/travel-times.csv", data=body, headers=bearer(county, "dispatcher"))
    assert r.status_code == 403 and r.json["error"]["code"] == "forbidden"
    assert snapshot(engine) == before
    assert client.put("/api/v1/travel-times.csv", data=body, headers=bearer(county, "admin")).json == {"imported": 1}


def test_a_travel_time_beyond_the_column_is_a_422_naming_its_row(client, engine, county):
    before = snapshot(engine)
    r = client.put("/api/v1/travel-times.csv", data=b"depot,site,minutes\nT1,T1-V1,99999999999\n",
                   headers=bearer(county, "admin"))
    assert_refused(r, 422, "row 2.minutes", engine, before)


@pytest.mark.parametrize("path", ["/api/v1/travel-times.csv", "/api/v1/incidents/{id}/sites.csv"])
def test_a_csv_body_holding_a_nul_is_a_422_naming_the_file(client, engine, county, path):
    incident = client.post("/api/v1/incidents", json={"type": "flood", "title": "x", "sites": [
        {"site": "T1-V1", "people": 10}], "level": "IV", "level_reason": "r"}, headers=bearer(county, "dispatcher"))
    before = snapshot(engine)
    body = b"site,people\nT1-V1\x00,5\n" if "sites" in path else b"depot,site,minutes\nT1,T1-V1\x00,5\n"
    r = client.put(path.format(id=incident.json["id"]), data=body, headers=bearer(county, "admin"))
    assert_refused(r, 422, "file", engine, before)
