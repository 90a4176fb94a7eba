"""The ``allocate`` command: problem file in, plan JSON out, exit 2 for a bad document."""

import json

import pytest
from click.testing import CliRunner

from dispatch.cli import allocate

PROBLEM = {
    "format": "allocation-problem/1",
    "now": "2026-07-01T08:00:00+08:00",
    "fair_share_steps": 1,
    "depots": [{"id": "县库", "name": "县级储备库"}],
    "items": [{"id": "tent-12", "name": "救灾帐篷 12m²"}],
    "stock": [{"depot": "县库", "item": "tent-12", "lot": "L1", "quantity": 500, "expires": None}],
    "sites": [{"id": "玉龙村"}],
    "demand": [{"site": "玉龙村", "item": "tent-12", "quantity": 300}],
    "routes": [{"from": "县库", "to": "玉龙村", "minutes": 95}],
}
# S = 1, W = 96: all 300 delivered; 300*95 - 300*96 = -300.
OBJECTIVE = -300


@pytest.fixture
def problem_file(tmp_path):
    path = tmp_path / "problem.json"
    path.write_text(json.dumps(PROBLEM, ensure_ascii=False), encoding="utf-8")
    return path


def test_the_command_prints_the_plan_as_json_and_exits_0(problem_file):
    result = CliRunner().invoke(allocate, [str(problem_file)])
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)
    assert (plan["format"], plan["status"], plan["objective"]) == ("allocation-plan/1", "optimal", OBJECTIVE)
    assert "玉龙村" in result.stdout  # ids are written as they are, not \u-escaped


def test_the_command_reads_the_problem_from_stdin_given_a_dash():
    result = CliRunner().invoke(allocate, ["-"], input=json.dumps(PROBLEM))
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["objective"] == OBJECTIVE


def test_the_command_writes_the_plan_to_the_output_file(problem_file, tmp_path):
    out = tmp_path / "plan.json"
    result = CliRunner().invoke(allocate, [str(problem_file), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert json.loads(out.read_text(encoding="utf-8"))["objective"] == OBJECTIVE


def test_a_bad_document_exits_2_listing_each_error_and_writes_nothing(tmp_path):
    bad = json.loads(json.dumps(PROBLEM))
    bad["stock"][0]["quantity"] = -5
    bad["routes"][0]["to"] = "nowhere"
    path, out = tmp_path / "bad.json", tmp_path / "plan.json"
    path.write_text(json.dumps(bad), encoding="utf-8")
    result = CliRunner().invoke(allocate, [str(path), "--output", str(out)])
    assert result.exit_code == 2
    assert "stock[0].quantity: must be a non-negative integer, got -5" in result.stderr
    assert "routes[0].to: unknown site 'nowhere'" in result.stderr
    assert result.stdout == ""
    assert not out.exists()


def test_a_file_that_is_not_json_exits_2_naming_line_and_column(tmp_path):
    path, out = tmp_path / "broken.json", tmp_path / "plan.json"
    path.write_text('{\n  "format": "allocation-problem/1",\n  "now": ,\n}\n', encoding="utf-8")
    result = CliRunner().invoke(allocate, [str(path), "-o", str(out)])
    assert result.exit_code == 2
    assert "is not valid JSON" in result.stderr and "line 3, column 10" in result.stderr
    assert not out.exists()


def test_a_json_value_that_is_not_an_object_exits_2():
    result = CliRunner().invoke(allocate, ["-"], input="[1, 2, 3]")
    assert result.exit_code == 2
    assert "$: must be a JSON object" in result.stderr
