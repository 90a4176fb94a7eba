"""The JSON API: shapes, field-level errors, permissions, idempotency; on SQLite and PostgreSQL."""
import pytest
import sqlalchemy as sa

from tests.conftest import bearer, csrf_token, login
from tests.integration.helpers import lot_quantity, new_lot, snapshot


def post_op(client, county, who, body, key=None):
    headers = bearer(county, who)
    if key:
        headers["Idempotency-Key"] = key
    return client.post("/api/v1/ledger", json=body, headers=headers)


def test_a_token_is_exchanged_for_a_password_and_names_its_user(client, county):
    r = client.post("/api/v1/tokens", json={"username": "keeper", "password": "keeper-pass", "name": "phone"})
    assert r.status_code == 201
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {r.json['token']}"})
    assert me.json == {"username": "keeper", "role": "keeper", "depots": ["T1", "T1-V1"]}


def test_a_wrong_password_gets_no_token(client, county):
    r = client.post("/api/v1/tokens", json={"username": "keeper", "password": "nope"})
    assert r.status_code == 401 and r.json["error"]["field"] == "password"


def test_a_revoked_token_no_longer_works(client, county):
    headers = bearer(county, "keeper")
    assert client.delete("/api/v1/tokens/current", headers=headers).status_code == 204
    r = client.get("/api/v1/me", headers=headers)
    assert r.status_code == 401 and "revoked" in r.json["error"]["message"]


def test_the_token_of_a_deactivated_account_no_longer_works(client, engine, county):
    headers = bearer(county, "keeper")
    assert client.get("/api/v1/me", headers=headers).status_code == 200
    with engine.begin() as c:
        c.execute(sa.text("update user_account set active = false where username = 'keeper'"))
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_a_token_carries_exactly_the_depots_its_keeper_keeps(client, county):
    assert client.get("/api/v1/me", headers=bearer(county, "keeper")).json["depots"] == ["T1", "T1-V1"]
    assert client.get("/api/v1/me", headers=bearer(county, "admin")).json["depots"] == []


@pytest.mark.parametrize("path", ["/api/v1/depots", "/api/v1/lots", "/api/v1/ledger", "/api/v1/stock",
                                  "/api/v1/items", "/api/v1/depots/tree", "/api/v1/me"])
def test_every_endpoint_needs_a_token_or_a_session(client, county, path):
    assert client.get(path).status_code == 401
    assert client.get(path, headers={"Authorization": "Bearer wrong"}).status_code == 401


def test_the_openapi_document_and_its_page_are_served_without_a_cdn(client):
    spec = client.get("/api/v1/openapi.json")
    assert spec.status_code == 200
    assert "/api/v1/ledger" in spec.json["paths"] and "bearer" in spec.json["components"]["securitySchemes"]
    page = client.get("/api/v1/docs").get_data(as_text=True)
    assert "/api/v1/swagger-ui/swagger-ui-bundle.js" in page and "//cdn" not in page
    with client.get("/api/v1/swagger-ui/swagger-ui-bundle.js") as bundle:
        assert bundle.status_code == 200 and b"SwaggerUIBundle" in bundle.data


def test_issue_through_the_api(client, engine, county):
    code = new_lot(engine, county.keeper, quantity=10)
    r = post_op(client, county, "keeper", {"kind": "issue", "lot": code, "quantity": 4, "note": "安置点"})
    assert r.status_code == 201
    assert r.json["entries"][0] | {"id": 0, "created_at": ""} == {
        "id": 0, "kind": "issue", "lot": code, "depot": "T1", "item": "WATER", "quantity": -4, "balance_after": 6,
        "user": "keeper", "created_at": "", "reason": None, "note": "安置点", "reference": None,
        "idempotency_key": None, "counterpart_id": None}


def test_receive_a_new_lot_through_the_api(client, engine, county):
    r = post_op(client, county, "keeper", {"kind": "receive", "quantity": 12, "new_lot": {
        "code": "NEW-1", "item": "TENT", "depot": "T1-V1", "source": "donation", "unit_price": "1200.50"}})
    assert r.status_code == 201, r.json
    lot = client.get("/api/v1/lots/NEW-1", headers=bearer(county, "keeper")).json
    assert (lot["quantity"], lot["source"], lot["unit_price"], lot["status"]) == (12, "donation", 1200.5, "durable")


@pytest.mark.parametrize("body, field", [
    ({"kind": "issue", "lot": "X", "quantity": "3"}, "quantity"),
    ({"kind": "issue", "lot": "X", "quantity": 0}, "quantity"),
    ({"kind": "issue", "lot": "X", "quantity": 2.5}, "quantity"),
    ({"kind": "issue", "lot": "X"}, "quantity"),
    ({"kind": "issue", "quantity": 1}, "lot"),
    ({"kind": "steal", "lot": "X", "quantity": 1}, "kind"),
    ({"lot": "X", "quantity": 1}, "kind"),
    ({"kind": "write_off", "lot": "X", "quantity": 1}, "reason"),
    ({"kind": "write_off", "lot": "X", "quantity": 1, "reason": "borrowed"}, "reason"),
    ({"kind": "count", "lot": "X", "counted": -1}, "counted"),
    ({"kind": "transfer", "lot": "X", "quantity": 1}, "to_depot"),
    ({"kind": "issue", "lot": "X", "quantity": 1, "to_depot": "T2"}, "to_depot"),
    ({"kind": "receive", "quantity": 1}, "lot"),
    ({"kind": "receive", "quantity": 1, "new_lot": {"depot": "T1"}}, "new_lot.item"),
    ({"kind": "receive", "quantity": 1, "new_lot": {"item": "TENT", "depot": "T1", "expires_on": "2026-13-01"}},
     "new_lot.expires_on"),
    ({"kind": "issue", "lot": "X", "quantity": 1, "colour": "red"}, "colour"),
])
def test_a_bad_field_is_a_422_naming_it_and_writes_nothing(client, engine, county, body, field):
    before = snapshot(engine)
    r = post_op(client, county, "keeper", body)
    assert r.status_code == 422, r.json
    assert field in r.json["error"]["fields"], r.json
    assert snapshot(engine) == before


def test_malformed_json_is_a_422(client, engine, county):
    r = client.post("/api/v1/ledger", data="{kind: issue", content_type="application/json",
                    headers=bearer(county, "keeper"))
    assert r.status_code == 422 and "not valid JSON" in r.json["error"]["fields"]["body"]


@pytest.mark.parametrize("make, body, status, code", [
    (dict(quantity=3), {"kind": "issue", "quantity": 4}, 409, "insufficient_stock"),
    (dict(quantity=3, expires_on=None, item="TENT"), {"kind": "transfer", "quantity": 4, "to_depot": "T1-V1"}, 409,
     "insufficient_stock"),
    (dict(quantity=3, expires_on="past"), {"kind": "issue", "quantity": 1}, 409, "lot_expired"),
    (dict(quantity=3, depot="T2"), {"kind": "issue", "quantity": 1}, 403, "not_your_depot"),
    (dict(quantity=3), {"kind": "transfer", "quantity": 1, "to_depot": "T2"}, 403, "not_your_depot"),
    (dict(quantity=3), {"kind": "transfer", "quantity": 1, "to_depot": "T1"}, 422, "invalid"),
])
def test_a_broken_rule_is_a_specific_4xx_and_writes_nothing(client, engine, county, make, body, status, code):
    from datetime import date

    if make.get("expires_on") == "past":
        make["expires_on"] = date(2026, 6, 15)
    code_ = new_lot(engine, county.admin, **{"depot": "T1", **make})
    before = snapshot(engine)
    r = post_op(client, county, "keeper", {**body, "lot": code_})
    assert (r.status_code, r.json["error"]["code"]) == (status, code), r.json
    assert r.json["error"]["message"]
    assert snapshot(engine) == before


def test_a_broken_stock_rule_names_its_message_code_and_values_for_translation(client, engine, county):
    code = new_lot(engine, county.admin, depot="T1", quantity=3)
    r = post_op(client, county, "keeper", {"kind": "issue", "lot": code, "quantity": 4})
    error = r.json["error"]
    assert (error["message_code"], error["params"]) == ("lot_holds_less", {"lot": code, "available": 3, "quantity": 4})
    assert error["message"] == f"lot {code} holds 3, cannot take 4"  # the API keeps the English message


def test_an_unknown_lot_is_a_404(client, county):
    r = post_op(client, county, "keeper", {"kind": "issue", "lot": "NOPE", "quantity": 1})
    assert r.status_code == 404 and r.json["error"]["field"] == "lot"
    assert client.get("/api/v1/lots/NOPE", headers=bearer(county, "keeper")).status_code == 404


def test_a_retry_with_the_same_key_records_once_and_answers_the_same(client, engine, county):
    code = new_lot(engine, county.keeper, quantity=10)
    body = {"kind": "issue", "lot": code, "quantity": 2}
    first = post_op(client, county, "keeper", body, key="c0ffee-1")
    again = post_op(client, county, "keeper", body, key="c0ffee-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json == {**first.json, "replayed": True}
    assert lot_quantity(engine, code) == 8


def test_the_key_may_travel_in_the_body(client, engine, county):
    code = new_lot(engine, county.keeper, quantity=10)
    body = {"kind": "issue", "lot": code, "quantity": 2, "idempotency_key": "in-body"}
    post_op(client, county, "keeper", body)
    assert post_op(client, county, "keeper", body).json["replayed"] is True
    assert lot_quantity(engine, code) == 8
    r = post_op(client, county, "keeper", {**body, "idempotency_key": "a"}, key="b")
    assert r.status_code == 422


def test_the_same_key_for_a_different_request_is_a_409(client, engine, county):
    code = new_lot(engine, county.keeper, quantity=10)
    post_op(client, county, "keeper", {"kind": "issue", "lot": code, "quantity": 2}, key="k1")
    r = post_op(client, county, "keeper", {"kind": "issue", "lot": code, "quantity": 3}, key="k1")
    assert (r.status_code, r.json["error"]["code"]) == (409, "idempotency_key_reused")


@pytest.mark.parametrize("who", ["auditor", "dispatcher"])
def test_readers_read_everything_and_change_nothing(client, engine, county, who):
    code = new_lot(engine, county.keeper2, depot="T2", quantity=10)
    headers = bearer(county, who)
    assert client.get(f"/api/v1/lots/{code}", headers=headers).status_code == 200
    assert client.get("/api/v1/ledger?depot=T2", headers=headers).json["total"] == 1
    before = snapshot(engine)
    writes = [
        client.post("/api/v1/ledger", json={"kind": "issue", "lot": code, "quantity": 1}, headers=headers),
        client.post("/api/v1/depots", json={"code": "T9", "name": "x", "tier": "town", "parent": "C1"},
                    headers=headers),
        client.patch("/api/v1/depots/T2", json={"name": "y"}, headers=headers),
        client.post("/api/v1/items", json={"code": "X", "name_zh": "x", "name_en": "x", "category": "living",
                                           "unit": "个"}, headers=headers),
        client.patch("/api/v1/items/TENT", json={"unit": "个"}, headers=headers),
    ]
    assert [w.status_code for w in writes] == [403] * 5
    assert snapshot(engine) == before


def test_a_keeper_sees_only_the_depots_they_keep(client, engine, county):
    new_lot(engine, county.keeper2, depot="T2", quantity=10)
    mine = new_lot(engine, county.keeper, depot="T1", quantity=10)
    headers = bearer(county, "keeper")
    assert [d["code"] for d in client.get("/api/v1/depots", headers=headers).json] == ["T1", "T1-V1"]
    assert [lot["code"] for lot in client.get("/api/v1/lots", headers=headers).json["lots"]] == [mine]
    assert client.get("/api/v1/lots?depot=T2", headers=headers).status_code == 403
    assert client.get("/api/v1/ledger?depot=T2", headers=headers).status_code == 403
    assert client.get("/api/v1/ledger", headers=headers).json["total"] == 1
    assert client.get("/api/v1/stock?depot=C1", headers=headers).status_code == 403


def test_a_browser_session_may_use_the_api_but_must_send_the_csrf_token(client, engine, county):
    code = new_lot(engine, county.keeper, quantity=10)
    assert login(client, "keeper", "keeper-pass").status_code == 302
    assert client.get("/api/v1/me").json["username"] == "keeper"
    body = {"kind": "issue", "lot": code, "quantity": 1}
    assert client.post("/api/v1/ledger", json=body).status_code == 400
    assert lot_quantity(engine, code) == 10
    token = csrf_token(client, "/login")
    assert client.post("/api/v1/ledger", json=body, headers={"X-CSRFToken": token}).status_code == 201
    assert lot_quantity(engine, code) == 9


def test_admin_adds_depots_under_the_tier_rules(client, county):
    headers = bearer(county, "admin")
    ok = client.post("/api/v1/depots", json={"code": "T3", "name": "新场镇", "tier": "town", "parent": "C1",
                                              "key_town": True, "lat": 29.1, "lon": 105.2}, headers=headers)
    assert ok.status_code == 201 and ok.json["parent"] == "C1"
    bad = client.post("/api/v1/depots", json={"code": "V9", "name": "x", "tier": "village", "parent": "C1"},
                      headers=headers)
    assert (bad.status_code, bad.json["error"]["code"], bad.json["error"]["field"]) == (409, "tier_rule", "parent")
    dup = client.post("/api/v1/depots", json={"code": "T3", "name": "x", "tier": "town", "parent": "C1"},
                      headers=headers)
    assert dup.status_code == 422 and dup.json["error"]["field"] == "code"
    key_village = client.post("/api/v1/depots", json={"code": "V8", "name": "x", "tier": "village", "parent": "T3",
                                                       "key_town": True}, headers=headers)
    assert key_village.status_code == 422 and key_village.json["error"]["field"] == "key_town"
    assert client.patch("/api/v1/depots/T3", json={"keeper_phone": "13800000000"},
                        headers=headers).json["keeper_phone"] == "13800000000"
    assert client.patch("/api/v1/depots/T3", json={"tier": "county"}, headers=headers).status_code == 422


def test_admin_keeps_the_item_catalog(client, county):
    headers = bearer(county, "admin")
    body = {"code": "LJ-01", "name_zh": "救生衣", "name_en": "Life jacket", "category": "flood", "unit": "件",
            "shelf_life_days": 1825, "kit": "small4"}
    assert client.post("/api/v1/items", json=body, headers=headers).status_code == 201
    assert [i["code"] for i in client.get("/api/v1/items?category=flood", headers=headers).json] == ["LJ-01", "PUMP"]
    assert client.post("/api/v1/items", json={**body, "code": "LJ-02", "category": "food"},
                       headers=headers).json["error"]["fields"] == {"category": "Must be one of: living, flood, "
                                                                    "forest_fire, fire_rescue, earthquake_rescue, "
                                                                    "geological_hazard, work_safety_rescue, "
                                                                    "communications."}
    r = client.patch("/api/v1/items/LJ-01", json={"rotation_lead_days": 180}, headers=headers)
    assert r.status_code == 200 and r.json["rotation_lead_days"] == 180
    assert client.patch("/api/v1/items/NOPE", json={"unit": "个"}, headers=headers).status_code == 404
