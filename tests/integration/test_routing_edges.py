"""The route planner's edges (contracts/routing.md): ``flask plan-routes`` and ``POST /api/v1/routing/solve``
give the same plan for the same document; a document that breaks the contract is exit 2 / a 422 naming
every field; only dispatchers and administrators plan routes."""
import json

from tests.conftest import bearer
from transport.plan import check_plan

PROBLEM = {
    "format": "routing-problem/1", "dimensions": ["kg", "m3x100"], "locations": ["C0", "T03", "V017", "SH02"],
    "minutes": [[0, 40, 95, 70], [40, 0, 60, 35], [95, 60, 0, 50], [70, 35, 50, 0]],
    "vehicles": [{"id": "鲁A-1234", "start": "C0", "end": "C0", "capacity": [5000, 2400], "available_from": 0,
                  "available_until": 1440, "fixed_cost": 0, "max_trips": 3, "reload_minutes": 30}],
    "stops": [{"id": "DO-0007", "location": "V017", "from": "C0", "load": [1800, 900], "service_minutes": 20,
               "window": [0, 600]},
              {"id": "DO-0012", "location": "SH02", "from": "C0", "load": [4000, 900], "service_minutes": 20},
              {"id": "DO-0011", "location": "T03", "load": [100, 50], "window": [0, 30]}],
    "time_limit_seconds": 1,
}


def _without_time(plan):
    return {k: v for k, v in plan.items() if k != "solve_seconds"}


def test_the_api_and_the_command_give_the_same_plan(client, runner, county, tmp_path):
    r = client.post("/api/v1/routing/solve", json=PROBLEM, headers=bearer(county, "dispatcher"))
    assert r.status_code == 200, r.json
    assert check_plan(PROBLEM, r.json) == []
    assert r.json["unserved"] == [{"stop": "DO-0011", "reason": "too_late"}]
    assert any(e.get("reload") for e in r.json["routes"][0]["stops"])  # 1800 + 4000 kg > 5000: two trips
    problem = tmp_path / "problem.json"
    problem.write_text(json.dumps(PROBLEM, ensure_ascii=False), encoding="utf-8")
    out = tmp_path / "plan.json"
    cli = runner.invoke(args=["plan-routes", str(problem), "-o", str(out)])
    assert cli.exit_code == 0, cli.output
    assert _without_time(json.loads(out.read_text(encoding="utf-8"))) == _without_time(r.json)
    printed = runner.invoke(args=["plan-routes", str(problem)])
    assert printed.exit_code == 0 and _without_time(json.loads(printed.stdout)) == _without_time(r.json)


def test_a_broken_problem_is_a_422_naming_each_field(client, county):
    bad = json.loads(json.dumps(PROBLEM))
    bad["stops"][0]["load"] = [9000, 900]
    bad["minutes"][1][2] = -5
    bad["vehicles"][0]["start"] = "NOPE"
    r = client.post("/api/v1/routing/solve", json=bad, headers=bearer(county, "admin"))
    assert r.status_code == 422
    assert {"minutes[1][2]", "vehicles[0].start"} <= set(r.json["error"]["fields"])
    r = client.post("/api/v1/routing/solve", data="not json", headers={**bearer(county, "admin"),
                                                                        "Content-Type": "application/json"})
    assert r.status_code == 422


def test_only_dispatchers_and_administrators_plan_routes(client, county):
    assert client.post("/api/v1/routing/solve", json=PROBLEM).status_code == 401
    for role in ("keeper", "auditor"):
        r = client.post("/api/v1/routing/solve", json=PROBLEM, headers=bearer(county, role))
        assert r.status_code == 403


def test_the_command_refuses_a_bad_document_or_file_with_exit_2(runner, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({**PROBLEM, "stops": [{"id": "X", "location": "V017", "load": [1.5, 2],
                                                     "window": [9, 3]}]}), encoding="utf-8")
    result = runner.invoke(args=["plan-routes", str(bad)])
    assert result.exit_code == 2
    assert "stops[0].load[0]: a load must be a whole number, got 1.5" in result.stderr
    assert "stops[0].window: ends before it starts: [9, 3]" in result.stderr
    broken = tmp_path / "broken.json"
    broken.write_text("{not json", encoding="utf-8")
    result = runner.invoke(args=["plan-routes", str(broken)])
    assert result.exit_code == 2 and "is not valid JSON" in result.stderr
    result = runner.invoke(args=["plan-routes", str(tmp_path / "missing.json")])
    assert result.exit_code == 2 and "cannot read" in result.stderr
