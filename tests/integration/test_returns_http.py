"""Returns (回收) through the JSON API and the page /incidents/<id>/returns, on SQLite and PostgreSQL: still out
shrinks as a keeper receives and inspects returns, refusals are clear 4xx answers with their message code and
change nothing, retries with an Idempotency-Key are done once, and the page reads in Chinese first."""
import pytest

from tests.conftest import bearer, csrf_token, login
from tests.integration.helpers import NOW, snapshot, text
from tests.integration.orders_helpers import lot_balance, make_stocked
from tests.integration.test_returns_service import deliver_orders


@pytest.fixture
def st(engine, county, monkeypatch):
    monkeypatch.setattr("common.clock.now", lambda: NOW)
    stocked = make_stocked(engine, county)
    deliver_orders(engine, stocked)
    return stocked


def post(client, st, who, path, body, key=None):
    headers = {**bearer(st.county, who), **({"Idempotency-Key": key} if key else {})}
    return client.post(path, json=body, headers=headers)


def still_out(client, st, who="auditor"):
    return client.get(f"/api/v1/incidents/{st.incident}/still-out", headers=bearer(st.county, who))


def test_the_item_api_says_and_changes_whether_an_item_is_durable(client, st):
    assert client.get("/api/v1/items/TENT", headers=bearer(st.county, "auditor")).json["durable"] is True
    r = client.patch("/api/v1/items/PUMP", json={"durable": True}, headers=bearer(st.county, "admin"))
    assert r.status_code == 200 and r.json["durable"] is True
    bad = client.patch("/api/v1/items/PUMP", json={"durable": "maybe"}, headers=bearer(st.county, "admin"))
    assert bad.status_code == 422 and "durable" in bad.json["error"]["fields"]


def test_returns_through_the_api_take_still_out_to_zero(client, engine, st):
    assert still_out(client, st).json["still_out"] == 45
    base = f"/api/v1/incidents/{st.incident}"
    r = post(client, st, "keeper_c1", f"{base}/returns", {"site": "S-1", "lot": "TENT-C1", "quantity": 10,
                                                          "depot": "C1"}, key="k1")
    assert r.status_code == 201 and r.json["status"] == "awaiting_inspection" and not r.json["replayed"]
    again = post(client, st, "keeper_c1", f"{base}/returns", {"site": "S-1", "lot": "TENT-C1", "quantity": 10,
                                                              "depot": "C1"}, key="k1")
    assert again.status_code == 201 and again.json["replayed"] and again.json["id"] == r.json["id"]
    before = lot_balance(engine, "TENT-C1")
    i = post(client, st, "keeper_c1", f"/api/v1/returns/{r.json['id']}/inspect", {"restocked": 9, "damaged": 1,
                                                                                 "damage_reason": "篷布撕裂"})
    assert i.status_code == 200 and i.json["write_off"]["status"] == "pending"
    assert lot_balance(engine, "TENT-C1") == before + 10  # the damaged one waits in the lot for its write-off
    d = post(client, st, "dispatcher", f"{base}/releases", {"site": "T1-V1", "item": "TENT", "quantity": 35,
                                                            "reason": "转交村委会长期存放"})
    assert d.status_code == 201 and d.json["quantity"] == 35
    assert still_out(client, st).json["still_out"] == 0
    listed = client.get(f"{base}/returns", headers=bearer(st.county, "keeper2")).json
    assert [x["reference"] for x in listed["returns"]] == [r.json["reference"]] and len(listed["releases"]) == 1


@pytest.mark.parametrize("who, body, status, message_code", [
    ("keeper_c1", {"site": "S-1", "lot": "TENT-C1", "quantity": 11, "depot": "C1"}, 409, "return_more_than_out"),
    ("keeper2", {"site": "S-1", "lot": "TENT-C1", "quantity": 1, "depot": "C1"}, 403, "depot_not_kept_for_stock"),
    ("dispatcher", {"site": "S-1", "lot": "TENT-C1", "quantity": 1, "depot": "C1"}, 403, "return_needs_keeper"),
    ("auditor", {"site": "S-1", "lot": "TENT-C1", "quantity": 1, "depot": "C1"}, 403, "auditor_reads_only"),
    ("admin", {"site": "T1-V1", "lot": "W-OLD", "quantity": 1, "depot": "C1"}, 422, "return_item_not_durable"),
])
def test_a_refused_return_answers_with_its_status_and_message_code_and_changes_nothing(client, engine, st, who, body,
                                                                                        status, message_code):
    before = snapshot(engine)
    r = post(client, st, who, f"/api/v1/incidents/{st.incident}/returns", body)
    assert r.status_code == status and r.json["error"]["message_code"] == message_code
    assert snapshot(engine) == before


@pytest.mark.parametrize("body, field", [
    ({"site": "S-1", "lot": "TENT-C1", "quantity": "3", "depot": "C1"}, "quantity"),
    ({"site": "S-1", "lot": "TENT-C1", "quantity": -1, "depot": "C1"}, "quantity"),
    ({"site": "S-1", "quantity": 1, "depot": "C1"}, "lot"),
    ({"site": "S-1", "lot": "x" * 49, "quantity": 1, "depot": "C1"}, "lot"),
])
def test_a_malformed_return_is_a_422_naming_the_field(client, engine, st, body, field):
    before = snapshot(engine)
    r = post(client, st, "keeper_c1", f"/api/v1/incidents/{st.incident}/returns", body)
    assert r.status_code == 422 and field in r.json["error"]["fields"]
    assert snapshot(engine) == before


def test_unknown_incidents_and_returns_are_404(client, st):
    headers = bearer(st.county, "dispatcher")
    assert client.get("/api/v1/incidents/999/still-out", headers=headers).status_code == 404
    assert client.get("/api/v1/returns/999", headers=headers).status_code == 404
    r = post(client, st, "keeper_c1", "/api/v1/returns/999/inspect", {"restocked": 1})
    assert r.status_code == 404 and r.json["error"]["message_code"] == "no_such_return"


def test_the_returns_page_reads_in_chinese_and_a_keeper_receives_and_inspects_through_it(client, engine, st):
    assert login(client, "keeper_c1", "keeper_c1-pass").status_code == 302
    page = text(client.get(f"/incidents/{st.incident}/returns"))
    assert "尚未收回的耐用装备" in page and "玉龙镇小学避难场所" in page and "回收入库" in page
    assert "登记为不再回收" not in page  # dispatchers declare, keepers do not
    token = csrf_token(client, f"/incidents/{st.incident}/returns")
    r = client.post(f"/incidents/{st.incident}/returns", data={"site": "S-1", "lot": "TENT-C1", "quantity": "2",
                                                               "depot": "C1", "csrf_token": token})
    assert r.status_code == 302
    page = text(client.get(f"/incidents/{st.incident}/returns"))
    assert "待检验" in page and "已收回" in page
    before = lot_balance(engine, "TENT-C1")
    return_id = client.get(f"/api/v1/incidents/{st.incident}/returns",
                           headers=bearer(st.county, "keeper_c1")).json["returns"][0]["id"]
    r = client.post(f"/returns/{return_id}/inspect", data={"restocked": "2", "damaged": "0", "csrf_token": token})
    assert r.status_code == 302 and lot_balance(engine, "TENT-C1") == before + 2
    bad = client.post(f"/incidents/{st.incident}/returns", data={"site": "S-1", "lot": "TENT-C1", "quantity": "99",
                                                                 "depot": "C1", "csrf_token": token})
    assert bad.status_code == 409 and "尚未收回" in text(bad)
    english = text(client.get(f"/incidents/{st.incident}/returns?lang=en"))
    assert "Durable equipment still out" in english and "Inspected" in english


def test_the_scanning_pages_worklist_holds_incidents_still_out_and_the_returns_awaiting_at_the_keepers_depots(
        client, engine, st):
    def worklist(who):
        r = client.get("/api/v1/returns/worklist", headers=bearer(st.county, who))
        assert r.status_code == 200
        return r.json

    first = worklist("keeper_c1")
    assert [(i["incident"], i["still_out"]) for i in first["incidents"]] == [(st.incident, 45)]
    assert {r["site"]: r["lots"] for r in first["incidents"][0]["rows"]} == {"S-1": ["TENT-C1"],
                                                                            "T1-V1": ["TENT-C1", "TENT-T1"]}
    assert first["awaiting"] == []
    base = f"/api/v1/incidents/{st.incident}"
    got = post(client, st, "keeper_c1", f"{base}/returns", {"site": "S-1", "lot": "TENT-C1", "quantity": 10,
                                                            "depot": "C1"}).json
    assert [r["reference"] for r in worklist("keeper_c1")["awaiting"]] == [got["reference"]]
    assert worklist("keeper2")["awaiting"] == []  # not at a depot keeper2 keeps
    assert [r["id"] for r in worklist("auditor")["awaiting"]] == [got["id"]]
    post(client, st, "keeper_c1", f"/api/v1/returns/{got['id']}/inspect", {"restocked": 10})
    post(client, st, "dispatcher", f"{base}/releases", {"site": "T1-V1", "item": "TENT", "quantity": 35,
                                                        "reason": "转交村委会长期存放"})
    assert worklist("keeper_c1") == {"incidents": [], "awaiting": []}  # nothing out, nothing to inspect
    assert client.get("/api/v1/returns/worklist").status_code == 401
