"""Adjusting a stored plan through the API: a new plan row beside the optimum, checked by the allocator's
rules, compared with the plan adjusted from and the optimum; dispatchers and administrators only; on SQLite
and PostgreSQL."""
import json

import pytest
from sqlmodel import Session, select

from dispatch import stored_problem
from dispatch.allocator import check_plan
from dispatch.models import Plan
from tests.conftest import bearer
from tests.integration.helpers import snapshot
from tests.integration.test_planning import declare, planned  # noqa: F401  (the fixture)


@pytest.fixture
def optimum(client, planned):  # noqa: F811
    """Level I at T1-V1 and T2-V1 (350 people each): every depot's tents go out, C1's water too."""
    incident = declare(client, planned, [{"site": "T1-V1", "people": 350}, {"site": "T2-V1", "people": 350}],
                       level="I", level_reason="test").json
    r = client.post(f"/api/v1/incidents/{incident['id']}/plan", headers=bearer(planned, "dispatcher"))
    assert r.status_code == 201
    return r.json


def url(plan, tail="adjust"):
    return f"/api/v1/incidents/{plan['incident']}/plans/{plan['id']}/{tail}"


def lines(plan, depot):
    sums = {}
    for t in plan["plan"]["transfers"]:
        if t["from"] == depot:
            sums[t["to"], t["item"]] = sums.get((t["to"], t["item"]), 0) + t["quantity"]
    return sums


def test_leaving_out_a_depot_stores_a_new_plan_that_names_the_sites_losing_coverage(client, engine, planned, optimum):
    r = client.post(url(optimum), json={"reason": "青山镇道路中断", "adjustments": [{"action": "leave_out", "depot": "T2"}]},
                    headers=bearer(planned, "dispatcher"))
    assert r.status_code == 201, r.json
    adjusted = r.json
    assert (adjusted["adjusted_from"], adjusted["optimum_plan"], adjusted["status"]) == (optimum["id"], optimum["id"],
                                                                                       "adjusted")
    assert (adjusted["created_by"], adjusted["reason"]) == ("dispatcher", "青山镇道路中断")
    assert not lines(adjusted, "T2") and lines(optimum, "T2")
    sent_by_t2 = sum(lines(optimum, "T2").values())
    assert adjusted["report"]["totals"]["unmet"] == optimum["report"]["totals"]["unmet"] + sent_by_t2
    against = adjusted["against_optimum"]
    assert against == adjusted["against_previous"] and against["plan"] == optimum["id"]
    assert against["objective"] == {"base": optimum["plan"]["objective"], "plan": adjusted["objective"],
                                    "delta": adjusted["objective"] - optimum["plan"]["objective"]}
    assert against["objective"]["delta"] > 0
    assert against["losing_sites"] == sorted({site for site, _ in lines(optimum, "T2")})
    with Session(engine) as s:
        row = s.exec(select(Plan).where(Plan.id == adjusted["id"])).one()
        stored = json.loads(row.plan)
        assert (row.adjusted_from_id, row.adjustment_reason, row.created_by) == (
            optimum["id"], "青山镇道路中断", planned.dispatcher.user_id)
        assert json.loads(row.adjustments) == [{"action": "leave_out", "depot": "T2"}]
        assert row.objective == stored["objective"] == adjusted["objective"]
        assert check_plan(stored_problem.parsed(row.problem)[1], stored) == []
        assert json.loads(row.problem) == json.loads(s.get(Plan, optimum["id"]).problem)
    latest = client.get(f"/api/v1/incidents/{optimum['incident']}/plan", headers=bearer(planned, "auditor")).json
    assert latest["id"] == adjusted["id"] and latest["plan"] == stored


def test_a_plan_adjusted_twice_is_compared_with_the_one_before_and_with_the_optimum(client, planned, optimum):
    headers = bearer(planned, "admin")
    first = client.post(url(optimum), json={"reason": "a", "adjustments": [{"action": "leave_out", "depot": "T2"}]},
                        headers=headers).json
    (site, item), units = next(iter(lines(first, "C1").items()))
    second = client.post(url(first), json={"reason": "b", "adjustments": [
        {"action": "set", "from": "C1", "to": site, "item": item, "quantity": units - 1}]}, headers=headers)
    assert second.status_code == 201, second.json
    got = client.get(url(second.json, "comparison"), headers=bearer(planned, "auditor")).json
    assert (got["adjusted_from"], got["optimum_plan"]) == (first["id"], optimum["id"])
    assert (got["against_previous"]["plan"], got["against_optimum"]["plan"]) == (first["id"], optimum["id"])
    assert got["against_previous"]["total"]["delta"]["delivered"] == -1
    assert got["against_previous"]["losing_sites"] == [site]
    assert "plan" in second.json and "plan" not in got  # the comparison alone, not the whole plan again
    root = client.get(url(optimum, "comparison"), headers=bearer(planned, "dispatcher")).json
    assert (root["against_previous"], root["against_optimum"], root["adjusted_from"]) == (None, None, None)


@pytest.mark.parametrize("body, status, field", [
    ({"reason": "x",
      "adjustments": [{"action": "set", "from": "C1", "to": "T1-V1", "item": "TENT", "quantity": 10_000}]},
     409, "adjustments[0].quantity"),
    ({"reason": "x", "adjustments": [{"action": "add", "from": "T1", "to": "T2-V1", "item": "WATER", "quantity": 1}]},
     409, None),
    ({"reason": "x", "adjustments": [{"action": "leave_out", "depot": "NOPE"}]}, 422, "adjustments[0].depot"),
    ({"reason": "x", "adjustments": [{"action": "set", "from": "C1", "to": "T1-V1", "item": "TENT"}]},
     422, "adjustments.0.quantity"),
    ({"reason": "x", "adjustments": [{"action": "add", "from": "C1", "to": "T1-V1", "item": "TENT", "quantity": -2}]},
     422, "adjustments.0.quantity"),
    ({"reason": "x", "adjustments": [{"action": "leave_out"}]}, 422, "adjustments.0.depot"),
    ({"reason": "x", "adjustments": []}, 422, "adjustments"),
    ({"adjustments": [{"action": "leave_out", "depot": "T2"}]}, 422, "reason"),
    ({"reason": "   ", "adjustments": [{"action": "leave_out", "depot": "T2"}]}, 422, "reason"),
])
def test_a_bad_adjustment_is_refused_naming_its_field_and_nothing_is_stored(client, engine, planned, optimum, body,
                                                                            status, field):
    before = snapshot(engine)
    r = client.post(url(optimum), json=body, headers=bearer(planned, "dispatcher"))
    assert r.status_code == status, r.json
    if field:
        assert field in (r.json["error"].get("field"), *r.json["error"].get("fields", {})), r.json
    else:
        assert r.json["error"]["field"].startswith("adjustments[0].") and r.json["error"]["message_code"]
    assert snapshot(engine) == before
    with Session(engine) as s:
        assert len(s.exec(select(Plan)).all()) == 1


@pytest.mark.parametrize("who", ["keeper", "auditor"])
def test_keepers_and_auditors_may_not_adjust_a_plan(client, engine, planned, optimum, who):
    before = snapshot(engine)
    r = client.post(url(optimum), json={"reason": "x", "adjustments": [{"action": "leave_out", "depot": "T2"}]},
                    headers=bearer(planned, who))
    assert r.status_code == 403 and snapshot(engine) == before
    assert client.get(url(optimum, "comparison"), headers=bearer(planned, who)).status_code == (
        200 if who == "auditor" else 403)


def test_a_plan_of_another_incident_or_none_at_all_is_a_404(client, planned, optimum):
    other = declare(client, planned, [{"site": "T1-V1", "people": 10}], level="IV", level_reason="t").json
    headers = bearer(planned, "dispatcher")
    body = {"reason": "x", "adjustments": [{"action": "leave_out", "depot": "T2"}]}
    assert client.post(url({**optimum, "incident": other["id"]}), json=body, headers=headers).status_code == 404
    assert client.post(url({**optimum, "id": optimum["id"] + 99}), json=body, headers=headers).status_code == 404


def test_the_adjust_and_comparison_endpoints_are_in_the_openapi_document(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    adjust = spec["paths"]["/api/v1/incidents/{incident_id}/plans/{plan_id}/adjust"]["post"]
    assert "requestBody" in adjust
    assert "/api/v1/incidents/{incident_id}/plans/{plan_id}/comparison" in spec["paths"]
    assert set(spec["components"]["schemas"]["Adjustment"]["properties"]) >= {"action", "from", "to", "item",
                                                                              "quantity", "depot"}


def test_a_plan_approved_into_orders_is_no_longer_adjusted_until_its_orders_are_cancelled(client, engine, planned,
                                                                                          optimum):
    approved = client.post(url(optimum, "approve"), headers=bearer(planned, "dispatcher"))
    assert approved.status_code == 201, approved.json
    leave_out = {"reason": "青山镇道路中断", "adjustments": [{"action": "leave_out", "depot": "T2"}]}
    before = snapshot(engine)
    r = client.post(url(optimum), json=leave_out, headers=bearer(planned, "dispatcher"))
    assert r.status_code == 409 and r.json["error"]["code"] == "plan_approved", r.json
    assert r.json["error"]["params"]["orders"] == len(approved.json["orders"])
    assert snapshot(engine) == before
    for order in approved.json["orders"]:
        cancelled = client.post(f"/api/v1/orders/{order['code']}/cancel", json={"reason": "改派"},
                                headers=bearer(planned, "dispatcher"))
        assert cancelled.status_code == 200, cancelled.json
    assert client.post(url(optimum), json=leave_out, headers=bearer(planned, "dispatcher")).status_code == 201
