"""POST /api/v1/allocation/solve gives the same plan as the command line for the same document."""
import json

from tests.conftest import bearer

PROBLEM = {
    "format": "allocation-problem/1", "now": "2026-07-01T08:00:00+08:00", "fair_share_steps": 2,
    "depots": [{"id": "C0", "tier": "county", "parent": None}, {"id": "T1", "tier": "town", "parent": "C0"}],
    "items": [{"id": "tent", "unit": "顶"}],
    "stock": [{"depot": "C0", "item": "tent", "lot": "L1", "quantity": 4, "expires": None},
              {"depot": "T1", "item": "tent", "lot": "L2", "quantity": 2, "expires": "2026-12-31"}],
    "sites": [{"id": "V1", "people": 10}, {"id": "V2", "people": 10}],
    "demand": [{"site": "V1", "item": "tent", "quantity": 4}, {"site": "V2", "item": "tent", "quantity": 4}],
    "routes": [{"from": "C0", "to": "V1", "minutes": 60}, {"from": "C0", "to": "V2", "minutes": 90},
               {"from": "T1", "to": "V1", "minutes": 10}],
}


def _without_time(plan):
    return {k: v for k, v in plan.items() if k != "solve_seconds"}


def test_the_api_and_the_command_give_the_same_plan(client, runner, county, tmp_path):
    r = client.post("/api/v1/allocation/solve", json=PROBLEM, headers=bearer(county, "dispatcher"))
    assert r.status_code == 200 and r.json["status"] == "optimal"
    path = tmp_path / "problem.json"
    path.write_text(json.dumps(PROBLEM, ensure_ascii=False), encoding="utf-8")
    cli = runner.invoke(args=["allocate", str(path)])
    assert _without_time(json.loads(cli.output)) == _without_time(r.json)
    delivered = {}
    for t in r.json["transfers"]:
        delivered[t["to"]] = delivered.get(t["to"], 0) + t["quantity"]
    # 6 tents for 8 wanted: each site first gets its half (2), then the last 2 take the fastest route (T1→V1)
    assert delivered == {"V1": 4, "V2": 2}


def test_a_broken_problem_is_a_422_naming_each_row(client, county):
    bad = {**PROBLEM, "stock": [{"depot": "NOPE", "item": "tent", "lot": "L1", "quantity": -1, "expires": None}]}
    r = client.post("/api/v1/allocation/solve", json=bad, headers=bearer(county, "dispatcher"))
    assert r.status_code == 422
    assert set(r.json["error"]["fields"]) >= {"stock[0].depot", "stock[0].quantity"}


def test_keepers_do_not_plan_allocations(client, county):
    r = client.post("/api/v1/allocation/solve", json=PROBLEM, headers=bearer(county, "keeper"))
    assert r.status_code == 403
