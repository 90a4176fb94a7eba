"""Transfer orders through the JSON API and the order page, on SQLite and PostgreSQL: the same life as the
services give, bad input as clear 4xx answers naming the field, and nothing changed by a refusal."""
import pytest

from tests.conftest import bearer, login
from tests.integration.helpers import NOW, snapshot, text
from tests.integration.orders_helpers import lot_balance, make_stocked


@pytest.fixture
def stocked(engine, county, monkeypatch):
    monkeypatch.setattr("common.clock.now", lambda: NOW)  # W-OLD expires on 2026-09-01
    return make_stocked(engine, county)


def post(client, st, who, path, body=None, key=None):
    headers = {**bearer(st.county, who), **({"Idempotency-Key": key} if key else {})}
    return client.post(path, json=body if body is not None else {}, headers=headers)


def approve(client, st, who="dispatcher", key=None):
    return post(client, st, who, f"/api/v1/incidents/{st.incident}/plans/{st.plan}/approve", key=key)


def test_an_order_goes_from_approval_to_receipt_through_the_api(client, engine, stocked):
    r = approve(client, stocked)
    assert r.status_code == 201 and r.json["codes"] == [stocked.code(n) for n in (1, 2, 3, 4)]
    code = stocked.code(2)
    base = f"/api/v1/orders/{code}"
    r = post(client, stocked, "keeper_c1", f"{base}/picks", {"lot": "TENT-C1", "quantity": 30}, key="p1")
    assert r.status_code == 200 and r.json["state"] == "picking" and r.json["warnings"] == []
    r = post(client, stocked, "keeper_c1", f"{base}/picks", {"lot": "W-OLD", "quantity": 40})
    assert r.status_code == 200
    r = post(client, stocked, "keeper_c1", f"{base}/ship", {"lines": [{"item": "TENT", "quantity": 30},
                                                                      {"item": "WATER", "quantity": 40}]}, key="s1")
    assert r.status_code == 200 and r.json["state"] == "shipped" and len(r.json["entries"]) == 2
    assert lot_balance(engine, "TENT-C1") == 70
    r = post(client, stocked, "keeper", f"{base}/receive", {"lines": [
        {"item": "TENT", "received": 28, "damaged": 2, "damage_reason": "雨淋受潮"}, {"item": "WATER", "received": 40}]})
    assert r.status_code == 200 and r.json["state"] == "received"
    assert (r.json["totals"]["received"], r.json["totals"]["short_or_damaged"], r.json["totals"]["in_transit"]) == (
        68, 2, 0)
    one = client.get(base, headers=bearer(stocked.county, "auditor"))
    assert one.status_code == 200 and [e["action"] for e in one.json["history"]] == [
        "approved", "picked", "picked", "shipped", "received"]
    listed = client.get("/api/v1/orders", query_string={"incident": stocked.incident, "state": "received"},
                        headers=bearer(stocked.county, "dispatcher"))
    assert [o["code"] for o in listed.json] == [code]
    reconciled = client.get(f"/api/v1/incidents/{stocked.incident}/reconciliation",
                            headers=bearer(stocked.county, "auditor")).json
    assert {x["item"]: (x["left_sources"], x["ledger_shipped"], x["received"], x["damaged"], x["holds"])
            for x in reconciled["items"]} == {"TENT": (30, 30, 28, 2, True), "WATER": (40, 40, 40, 0, True)}
    ledger = client.get("/api/v1/ledger", query_string={"kind": "ship"}, headers=bearer(stocked.county, "auditor"))
    assert ledger.status_code == 200 and {e["reference"] for e in ledger.json["entries"]} == {code}


def test_a_repeated_request_with_its_key_is_answered_again_without_doing_it_twice(client, engine, stocked):
    assert approve(client, stocked, key="a1").status_code == 201
    again = approve(client, stocked, key="a1")
    assert again.status_code == 201 and again.json["replayed"] is True and len(again.json["orders"]) == 4
    base = f"/api/v1/orders/{stocked.code(3)}"
    first = post(client, stocked, "keeper_c1", f"{base}/picks", {"lot": "W-NEW", "quantity": 20}, key="k1")
    second = post(client, stocked, "keeper_c1", f"{base}/picks", {"lot": "W-NEW", "quantity": 20}, key="k1")
    assert (first.json["replayed"], second.json["replayed"]) == (False, True)
    assert second.json["warnings"][0]["code"] == "pick_not_fefo"  # the first answer, warning included
    assert len(second.json["picks"]) == 1
    reused = post(client, stocked, "keeper_c1", f"{base}/picks", {"lot": "W-NEW", "quantity": 1}, key="k1")
    assert reused.status_code == 409 and reused.json["error"]["code"] == "idempotency_key_reused"


@pytest.mark.parametrize("path, body, status, field", [
    ("picks", {"lot": "TENT-C1", "quantity": 0}, 422, "quantity"),
    ("picks", {"lot": "TENT-C1", "quantity": "3"}, 422, "quantity"),
    ("picks", {"lot": "TENT-C1", "quantity": 2**31}, 422, "quantity"),
    ("picks", {"quantity": 3}, 422, "lot"),
    ("picks", {"lot": "TENT-C1", "quantity": 31}, 409, "quantity"),
    ("picks", {"lot": "W-MID", "quantity": 1}, 422, "reason"),
    ("picks", {"lot": "TENT-T1", "quantity": 1}, 409, "lot"),
    ("picks", {"lot": "NOPE", "quantity": 1}, 404, "lot"),
    ("picks", {"lot": "TENT-C1", "quantity": 1, "reason": "坏\x00"}, 422, "reason"),
    ("ship", {}, 409, None),
    ("ship", {"lines": [{"item": "TENT"}]}, 422, "lines.0.quantity"),
    ("receive", {"lines": []}, 422, "lines"),
    ("receive", {"lines": [{"item": "TENT", "received": 1}]}, 409, None),
    ("deliver", {"lines": [{"item": "TENT", "received": 1}]}, 422, "receiver_name"),
    ("cancel", {}, 422, "reason"),
    ("cancel", {"reason": "   "}, 422, "reason"),
])
def test_bad_input_gets_a_clear_answer_naming_the_field_and_changes_nothing(client, engine, stocked, path, body,
                                                                            status, field):
    approve(client, stocked)
    before = snapshot(engine)
    who = "dispatcher" if path in ("cancel", "deliver") else "admin"
    r = post(client, stocked, who, f"/api/v1/orders/{stocked.code(2)}/{path}", body)
    assert r.status_code == status, r.json
    error = r.json["error"]
    if field:
        assert field in (error.get("field"), *error.get("fields", {})), error
    assert snapshot(engine) == before


def test_a_refusal_carries_its_message_code_and_values_for_the_page_to_translate(client, stocked):
    approve(client, stocked)
    r = post(client, stocked, "keeper_c1", f"/api/v1/orders/{stocked.code(2)}/picks", {"lot": "TENT-C1", "quantity": 31})
    assert r.json["error"]["message_code"] == "pick_more_than_planned"
    assert r.json["error"]["params"] == {"order": stocked.code(2), "item": "TENT", "planned": 30, "picked": 0,
                                         "quantity": 31}


@pytest.mark.parametrize("who, status", [("keeper", 403), ("auditor", 403), ("dispatcher", 201), ("admin", 201)])
def test_only_dispatchers_and_administrators_approve_a_plan(client, stocked, who, status):
    assert approve(client, stocked, who).status_code == status


def test_unknown_orders_plans_and_filters_are_404_or_422(client, stocked):
    headers = bearer(stocked.county, "dispatcher")
    assert client.get("/api/v1/orders/DO-999-1", headers=headers).status_code == 404
    assert client.get("/api/v1/orders/not%20a%20code", headers=headers).status_code == 404
    assert post(client, stocked, "dispatcher", f"/api/v1/incidents/{stocked.incident}/plans/999/approve").status_code == 404
    bad = client.get("/api/v1/orders", query_string={"state": "lost"}, headers=headers)
    assert bad.status_code == 422 and "state" in bad.json["error"]["fields"]
    assert client.get("/api/v1/orders", query_string={"depot": "NOPE"}, headers=headers).status_code == 404


def test_a_keeper_lists_only_orders_of_their_depots_and_cannot_open_others(client, stocked):
    approve(client, stocked)
    mine = client.get("/api/v1/orders", headers=bearer(stocked.county, "keeper")).json
    assert sorted(o["code"] for o in mine) == [stocked.code(2), stocked.code(4)]
    r = client.get(f"/api/v1/orders/{stocked.code(3)}", headers=bearer(stocked.county, "keeper"))
    assert r.status_code == 403 and r.json["error"]["message_code"] == "order_not_yours"
    assert client.get("/api/v1/orders", query_string={"depot": "C1"},
                      headers=bearer(stocked.county, "keeper")).status_code == 403


def test_the_order_label_leads_to_a_read_only_order_page_in_chinese_and_english(client, stocked):
    approve(client, stocked)
    post(client, stocked, "keeper_c1", f"/api/v1/orders/{stocked.code(3)}/picks", {"lot": "W-NEW", "quantity": 20})
    assert login(client, "dispatcher", "dispatcher-pass").status_code == 302
    r = client.get(f"/o/{stocked.code(3)}")
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/orders/{stocked.code(3)}")
    page = text(client.get(f"/orders/{stocked.code(3)}"))
    assert f"调拨单 {stocked.code(3)}" in page and "拣货中" in page and "W-NEW" in page and "未按先到期先出" in page
    english = text(client.get(f"/orders/{stocked.code(3)}?lang=en"))
    assert "Transfer order" in english and "Picking" in english and "Not first-expiry-first-out" in english
    missing = client.get("/orders/DO-999-1?lang=zh_Hans_CN")
    assert missing.status_code == 404 and "没有调拨单 DO-999-1" in text(missing)


def test_the_scanning_page_knows_where_an_order_opens(client, stocked):
    assert login(client, "keeper", "keeper-pass").status_code == 302
    page = client.get("/scan").get_data(as_text=True)
    assert '"orderPage": "/orders/"' in page and '"orders": "/api/v1/orders"' in page
