"""Daily transfer requests (日常调拨申请) through the JSON API, on SQLite and PostgreSQL: a village point's request
approved into an order with lots first-expiry-first-out and carried like any order; fewer units with a note;
rejection and withdrawal; who may do what; bad input as clear 4xx answers that change nothing; two approvals at
once make one order.

The county (orders_helpers): C1 holds TENT-C1 100 (no expiry), WATER W-OLD 40 (2026-09-01), W-MID 30 (2027-01-31),
W-NEW 60 (2027-06-30); T1 holds TENT-T1 20. keeper keeps T1 and T1-V1, keeper2 T2, keeper_c1 C1."""
import threading

import pytest

from tests.conftest import bearer
from tests.integration.helpers import NOW, snapshot
from tests.integration.orders_helpers import add_keeper, lot_balance, stock_county

BASE = "/api/v1/transfer-requests"
WANTED = "2026-07-05"


@pytest.fixture
def county_stocked(engine, county, monkeypatch):
    monkeypatch.setattr("common.clock.now", lambda: NOW)
    stock_county(engine, county)
    add_keeper(engine, county, "keeper_c1", ["C1"])
    return county


def post(client, county, who, path, body=None, key=None):
    headers = {**bearer(county, who), **({"Idempotency-Key": key} if key else {})}
    return client.post(path, json=body if body is not None else {}, headers=headers)


def ask(client, county, who="keeper", depot="T1-V1", source="C1", lines=None, key=None, **extra):
    body = {"depot": depot, "source": source, "lines": [{"item": "WATER", "quantity": 80}] if lines is None else lines,
            "reason": "汛期前补充村级储备", "wanted_by": WANTED, **extra}
    return post(client, county, who, BASE, body, key=key)


def test_a_village_request_approved_becomes_an_order_with_lots_first_expiry_first_out_and_arrives(
        client, engine, county_stocked):
    c = county_stocked
    r = ask(client, c, lines=[{"item": "WATER", "quantity": 80}, {"item": "TENT", "quantity": 10}])
    assert r.status_code == 201 and r.json["status"] == "pending" and r.json["code"] == f"RQ-{r.json['id']}"
    assert {x["item"]: (x["quantity"], x["available"]) for x in r.json["lines"]} == {"TENT": (10, 100),
                                                                                   "WATER": (80, 130)}
    rid = r.json["id"]
    pending = client.get(BASE, query_string={"status": "pending"}, headers=bearer(c, "dispatcher")).json
    assert [x["id"] for x in pending["requests"]] == [rid]
    done = post(client, c, "dispatcher", f"{BASE}/{rid}/approve")
    assert done.status_code == 200 and done.json["status"] == "approved"
    code = done.json["order"]
    assert code == f"DO-20260701-{rid}" and done.json["decided_by"] == "dispatcher"
    order = client.get(f"/api/v1/orders/{code}", headers=bearer(c, "keeper")).json
    assert (order["incident"], order["plan"], order["source"], order["destination"], order["state"]) == (
        None, None, "C1", "T1-V1", "approved")
    assert {line["item"]: [(x["lot"], x["quantity"]) for x in line["planned_lots"]] for line in order["lines"]} == {
        "TENT": [("TENT-C1", 10)], "WATER": [("W-OLD", 40), ("W-MID", 30), ("W-NEW", 10)]}
    assert order["history"][0]["details"]["request"] == f"RQ-{rid}"
    # from here on it is any order: the source keeper picks and ships, the village's keeper receives
    for lot, quantity in (("TENT-C1", 10), ("W-OLD", 40), ("W-MID", 30), ("W-NEW", 10)):
        assert post(client, c, "keeper_c1", f"/api/v1/orders/{code}/picks",
                    {"lot": lot, "quantity": quantity}).status_code == 200
    assert post(client, c, "keeper_c1", f"/api/v1/orders/{code}/ship").status_code == 200
    r = post(client, c, "keeper", f"/api/v1/orders/{code}/receive",
             {"lines": [{"item": "TENT", "received": 10}, {"item": "WATER", "received": 80}]})
    assert r.status_code == 200 and r.json["state"] == "received"
    assert (lot_balance(engine, "W-OLD"), lot_balance(engine, "W-OLD-T1-V1")) == (0, 40)
    mine = client.get(BASE, query_string={"mine": True}, headers=bearer(c, "keeper")).json["requests"]
    assert [(x["id"], x["order"], x["order_state"]) for x in mine] == [(rid, code, "received")]


def test_an_approval_beyond_usable_stock_is_refused_and_may_grant_fewer_with_a_note(client, engine, county_stocked):
    c = county_stocked
    rid = ask(client, c, lines=[{"item": "WATER", "quantity": 200}]).json["id"]
    before = snapshot(engine)
    r = post(client, c, "dispatcher", f"{BASE}/{rid}/approve")
    assert r.status_code == 409 and r.json["error"]["code"] == "insufficient_stock"
    assert r.json["error"]["params"] == {"source": "C1", "item": "WATER", "available": 130, "quantity": 200}
    r = post(client, c, "dispatcher", f"{BASE}/{rid}/approve", {"lines": [{"item": "WATER", "quantity": 130}]})
    assert r.status_code == 422 and r.json["error"]["field"] == "note"
    r = post(client, c, "dispatcher", f"{BASE}/{rid}/approve", {"lines": [{"item": "WATER", "quantity": 201}],
                                                                "note": "x"})
    assert r.status_code == 422 and r.json["error"]["message_code"] == "transfer_request_more_than_asked"
    assert snapshot(engine) == before
    r = post(client, c, "dispatcher", f"{BASE}/{rid}/approve",
             {"lines": [{"item": "WATER", "quantity": 130}], "note": "县库现有可用量不足，先调130箱"})
    assert r.status_code == 200 and r.json["lines"][0]["granted"] == 130
    assert r.json["decision_note"] == "县库现有可用量不足，先调130箱"


def test_units_promised_to_an_open_order_are_not_promised_again_until_it_is_cancelled(client, county_stocked):
    c = county_stocked
    first = ask(client, c, lines=[{"item": "WATER", "quantity": 100}]).json["id"]
    second = ask(client, c, lines=[{"item": "WATER", "quantity": 100}]).json["id"]
    code = post(client, c, "dispatcher", f"{BASE}/{first}/approve").json["order"]
    assert client.get(f"{BASE}/{second}", headers=bearer(c, "dispatcher")).json["lines"][0]["available"] == 30
    r = post(client, c, "dispatcher", f"{BASE}/{second}/approve")
    assert r.status_code == 409 and r.json["error"]["params"]["available"] == 30
    assert post(client, c, "dispatcher", f"/api/v1/orders/{code}/cancel", {"reason": "改为调拨T1"}).status_code == 200
    again = post(client, c, "dispatcher", f"{BASE}/{second}/approve").json
    order = client.get(f"/api/v1/orders/{again['order']}", headers=bearer(c, "dispatcher")).json
    assert [(x["lot"], x["quantity"]) for x in order["lines"][0]["planned_lots"]] == [
        ("W-OLD", 40), ("W-MID", 30), ("W-NEW", 30)]


def test_a_rejected_or_withdrawn_request_makes_no_order_and_can_no_longer_be_approved(client, engine, county_stocked):
    c = county_stocked
    rejected = ask(client, c).json["id"]
    withdrawn = ask(client, c, depot="T1", lines=[{"item": "TENT", "quantity": 5}]).json["id"]
    r = post(client, c, "dispatcher", f"{BASE}/{rejected}/reject", {"reason": "村点库容不足"})
    assert r.status_code == 200 and (r.json["status"], r.json["decision_note"]) == ("rejected", "村点库容不足")
    assert post(client, c, "keeper2", f"{BASE}/{withdrawn}/withdraw").status_code == 403
    r = post(client, c, "admin", f"{BASE}/{withdrawn}/withdraw")
    assert r.status_code == 403 and r.json["error"]["message_code"] == "transfer_request_not_yours"
    r = post(client, c, "keeper", f"{BASE}/{withdrawn}/withdraw")
    assert r.status_code == 200 and (r.json["status"], r.json["decided_by"]) == ("withdrawn", "keeper")
    before = snapshot(engine)
    for rid in (rejected, withdrawn):
        r = post(client, c, "dispatcher", f"{BASE}/{rid}/approve")
        assert r.status_code == 409 and r.json["error"]["message_code"] == "transfer_request_not_pending"
    assert post(client, c, "keeper", f"{BASE}/{withdrawn}/withdraw").status_code == 409
    assert snapshot(engine) == before
    assert client.get("/api/v1/orders", headers=bearer(c, "dispatcher")).json == []


def test_only_the_keepers_of_the_requesting_depot_request_and_only_dispatchers_decide(client, engine, county_stocked):
    c = county_stocked
    before = snapshot(engine)
    assert ask(client, c, who="keeper2").status_code == 403  # keeps T2, not T1-V1
    assert ask(client, c, who="auditor").status_code == 403
    assert ask(client, c, who="dispatcher").status_code == 403
    assert snapshot(engine) == before
    rid = ask(client, c).json["id"]
    assert client.get(f"{BASE}/{rid}", headers=bearer(c, "keeper2")).status_code == 403
    assert client.get(BASE, headers=bearer(c, "keeper2")).json["total"] == 0
    assert client.get(f"{BASE}/{rid}", headers=bearer(c, "keeper_c1")).status_code == 200  # the source's keeper
    assert client.get(f"{BASE}/{rid}", headers=bearer(c, "auditor")).status_code == 200
    for who in ("keeper", "keeper_c1", "auditor"):
        assert post(client, c, who, f"{BASE}/{rid}/approve").status_code == 403
        assert post(client, c, who, f"{BASE}/{rid}/reject", {"reason": "no"}).status_code == 403
    assert post(client, c, "admin", f"{BASE}/{rid}/approve").status_code == 200


@pytest.mark.parametrize("change, status, field", [
    ({"source": "T2"}, 422, "source"),  # another town's station is not above T1-V1
    ({"source": "T1-V2"}, 422, "source"),  # nor is a neighbouring village point
    ({"source": "T1-V1"}, 422, "source"),  # nor the depot itself
    ({"source": "NOPE"}, 404, "source"),
    ({"depot": "NOPE"}, 404, "depot"),
    ({"lines": [{"item": "CAKE", "quantity": 1}]}, 404, "lines[0].item"),
    ({"lines": [{"item": "WATER", "quantity": 1}, {"item": "WATER", "quantity": 2}]}, 422, "lines[1].item"),
    ({"lines": [{"item": "WATER", "quantity": 0}]}, 422, "lines"),
    ({"lines": []}, 422, "lines"),
    ({"wanted_by": "2026-06-30"}, 422, "wanted_by"),
    ({"reason": "   "}, 422, "reason"),
])
def test_a_request_with_bad_input_is_refused_naming_the_field_and_changes_nothing(client, engine, county_stocked,
                                                                                   change, status, field):
    before = snapshot(engine)
    r = ask(client, county_stocked, who="admin", **change)
    assert r.status_code == status, r.json
    error = r.json["error"]
    named = error.get("field") or next(iter(error["fields"]))  # a service's field, or the schema's
    assert named.startswith(field), error
    assert snapshot(engine) == before


def test_a_county_depot_has_nothing_above_it_to_request_from(client, county_stocked):
    r = ask(client, county_stocked, who="admin", depot="C1", source="C1")
    assert r.status_code == 422 and r.json["error"]["message_code"] == "transfer_request_not_above"
    assert ask(client, county_stocked, depot="T1", source="C1").status_code == 201  # a town station asks the county


def test_a_repeated_key_makes_one_request_and_one_order(client, engine, county_stocked):
    c = county_stocked
    first = ask(client, c, key="rq-1")
    again = ask(client, c, key="rq-1")
    assert (first.status_code, again.status_code) == (201, 200) and again.json["replayed"] is True
    assert again.json["id"] == first.json["id"]
    assert client.get(BASE, headers=bearer(c, "keeper")).json["total"] == 1
    rid = first.json["id"]
    one = post(client, c, "dispatcher", f"{BASE}/{rid}/approve", key="ap-1")
    two = post(client, c, "dispatcher", f"{BASE}/{rid}/approve", key="ap-1")
    assert two.status_code == 200 and two.json["replayed"] is True and two.json["order"] == one.json["order"]
    assert len(client.get("/api/v1/orders", headers=bearer(c, "dispatcher")).json) == 1


def test_two_approvals_of_one_request_at_once_make_one_order(app, client, county_stocked):
    c = county_stocked
    rid = ask(client, c).json["id"]
    barrier = threading.Barrier(4)
    answers = []

    def approve(who):
        local = app.test_client()
        barrier.wait()
        r = local.post(f"{BASE}/{rid}/approve", json={}, headers=bearer(c, who))
        answers.append((r.status_code, r.get_json()))

    threads = [threading.Thread(target=approve, args=(who,)) for who in ("dispatcher", "admin") * 2]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(status for status, _ in answers) == [200, 409, 409, 409], answers
    assert {body["error"]["message_code"] for status, body in answers if status == 409} == {
        "transfer_request_not_pending"}
    assert len(client.get("/api/v1/orders", headers=bearer(c, "dispatcher")).json) == 1


def test_two_approvals_drawing_on_one_source_at_once_never_promise_a_unit_twice(app, client, county_stocked):
    c = county_stocked
    ids = [ask(client, c, lines=[{"item": "WATER", "quantity": 100}]).json["id"] for _ in range(2)]
    barrier = threading.Barrier(2)
    answers = []

    def approve(rid):
        local = app.test_client()
        barrier.wait()
        r = local.post(f"{BASE}/{rid}/approve", json={}, headers=bearer(c, "dispatcher"))
        answers.append(r.status_code)

    threads = [threading.Thread(target=approve, args=(rid,)) for rid in ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(answers) == [200, 409]
