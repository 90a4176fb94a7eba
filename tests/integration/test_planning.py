"""Incidents, needs and plans from the database, through the API; on SQLite and PostgreSQL."""
import json
from datetime import date

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from common.db import UnitOfWork
from dispatch import settings
from dispatch.models import Plan
from dispatch.norms import NormRule
from inventory import catalog
from tests.conftest import bearer
from tests.integration.helpers import NOW, new_lot, snapshot

NORMS = [
    NormRule("TENT", "household", 1),  # 1 per 3.5 people
    NormRule("WATER", "person", 0.1, per_day=True),  # × 3 days
    NormRule("PUMP", "site", 1, incident_types=("flood",), levels=("I", "II")),
]


@pytest.fixture
def planned(engine, county, monkeypatch):
    """C1 100 tents; T1 20 tents; T2 30 tents (floor 10) and 2 pumps; water only at C1 (half expired)."""
    monkeypatch.setattr("common.clock.now", lambda: NOW)
    for code, lat, lon in (("T1-V1", 29.21, 105.41), ("T1-V2", 29.22, 105.43), ("T2-V1", 29.01, 105.31)):
        catalog.update_depot(engine, county.admin, code, {"lat": lat, "lon": lon})
    settings.replace_norms(engine, county.admin, NORMS, "test norms")
    admin = county.admin
    new_lot(engine, admin, depot="C1", item="TENT", quantity=100, expires_on=None, code="TENT-C1")
    new_lot(engine, admin, depot="T1", item="TENT", quantity=20, expires_on=None, code="TENT-T1")
    new_lot(engine, admin, depot="T2", item="TENT", quantity=30, expires_on=None, code="TENT-T2")
    new_lot(engine, admin, depot="T2", item="PUMP", quantity=2, expires_on=None, code="PUMP-T2")
    new_lot(engine, admin, depot="C1", item="WATER", quantity=50, expires_on=date(2026, 6, 30), code="WATER-OLD")
    new_lot(engine, admin, depot="C1", item="WATER", quantity=50, expires_on=date(2027, 6, 30), code="WATER-NEW")
    settings.set_floor(engine, admin, "T2", "TENT", 10)
    return county


def declare(client, county, sites, **fields):
    body = {"type": "flood", "title": "7·15 洪涝灾害", "sites": sites, **fields}
    return client.post("/api/v1/incidents", json=body, headers=bearer(county, "dispatcher"))


def test_declaring_suggests_the_level_and_a_different_level_needs_a_reason(client, engine, planned):
    r = declare(client, planned, [{"site": "T1-V1", "people": 700}, {"site": "T2-V1", "people": 350}])
    assert r.status_code == 201 and (r.json["suggested_level"], r.json["level"], r.json["people"]) == ("III", "III", 1050)
    before = snapshot(engine)
    r = declare(client, planned, [{"site": "T1-V1", "people": 700}], level="I")
    assert r.status_code == 422 and r.json["error"]["field"] == "level_reason"
    assert snapshot(engine) == before
    r = declare(client, planned, [{"site": "T1-V1", "people": 700}], level="I", level_reason="上游水库泄洪，预计扩大")
    assert (r.json["level"], r.json["suggested_level"]) == ("I", "IV")
    changed = client.post(f"/api/v1/incidents/{r.json['id']}/level", json={"level": "II", "reason": "水位回落"},
                          headers=bearer(planned, "dispatcher"))
    assert changed.json["level"] == "II"
    assert changed.json["level_changes"] == [{"from": "I", "to": "II", "reason": "水位回落", "at": NOW.isoformat(),
                                              "user_id": planned.dispatcher.user_id, "username": "dispatcher"}]
    assert changed.json["level_reason"] == "上游水库泄洪，预计扩大"  # the declaration's reason stays


@pytest.mark.parametrize("sites, status, field", [
    ([], 422, "sites"),
    ([{"site": "NOPE", "people": 10}], 404, "sites[0].site"),
    ([{"site": "T1", "people": 10}], 422, "sites[0].site"),
    ([{"site": "T1-V1", "people": 10}, {"site": "T1-V1", "people": 5}], 422, "sites[1].site"),
    ([{"site": "T1-V1", "people": -3}], 422, "sites.0.people"),
])
def test_bad_sites_are_refused_by_row_and_nothing_is_stored(client, engine, planned, sites, status, field):
    before = snapshot(engine)
    r = declare(client, planned, sites, level="III")
    assert r.status_code == status, r.json
    assert field in (r.json["error"].get("field"), *r.json["error"].get("fields", {})), r.json
    assert snapshot(engine) == before


def test_needs_are_the_norms_less_what_the_sites_own_point_holds(client, engine, planned):
    new_lot(engine, planned.admin, depot="T1-V1", item="TENT", quantity=5, expires_on=None)
    incident = declare(client, planned, [{"site": "T1-V1", "people": 70}], level="II", level_reason="演练").json
    lines = client.get(f"/api/v1/incidents/{incident['id']}/needs", headers=bearer(planned, "auditor")).json["lines"]
    assert [(x["item"], x["gross"], x["own_stock"], x["net"]) for x in lines] == [
        ("PUMP", 1, 0, 1), ("TENT", 20, 5, 15), ("WATER", 21, 0, 21)]


def test_a_plan_is_stored_with_its_problem_and_reruns_to_the_same_plan(client, runner, engine, planned, tmp_path):
    incident = declare(client, planned, [{"site": "T1-V1", "people": 350}, {"site": "T2-V1", "people": 350}],
                       level="I", level_reason="test").json
    headers = bearer(planned, "dispatcher")
    r = client.post(f"/api/v1/incidents/{incident['id']}/plan", headers=headers)
    assert r.status_code == 201 and r.json["plan"]["status"] == "optimal"
    assert r.json["norm_version"] is not None
    problem = client.get(f"/api/v1/incidents/{incident['id']}/problem", headers=headers).json
    assert problem["incident"]["norm_version"] == r.json["norm_version"]
    path = tmp_path / "problem.json"
    path.write_text(json.dumps(problem, ensure_ascii=False), encoding="utf-8")
    rerun = json.loads(runner.invoke(args=["allocate", str(path)]).output)
    assert {**rerun, "solve_seconds": 0} == {**r.json["plan"], "solve_seconds": 0}
    latest = client.get(f"/api/v1/incidents/{incident['id']}/plan", headers=bearer(planned, "auditor")).json
    assert latest["id"] == r.json["id"] and latest["report"] == r.json["report"]
    # 100 tents wanted at each site; 100 + 20 + 30 on hand, floors drawn at level I: all 150 go out
    tents = {line["site"]: line["delivered"] for line in r.json["report"]["fill"] if line["item"] == "TENT"}
    assert sum(tents.values()) == 150 and min(tents.values()) >= 70  # shared fairly, not nearest-first
    water = [line for line in r.json["report"]["fill"] if line["item"] == "WATER"]
    assert sum(line["delivered"] for line in water) == 50  # the expired 50 stay behind
    assert {line["reason"] for line in water} == {"shared_shortage"}


def test_the_level_decides_mutual_aid_floors_and_which_routes_enter(client, planned):
    headers = bearer(planned, "dispatcher")

    def problem_at(level):
        incident = declare(client, planned, [{"site": "T1-V1", "people": 350}], level=level, level_reason="t").json
        return client.get(f"/api/v1/incidents/{incident['id']}/problem", headers=headers).json

    at_one, at_two, at_three = problem_at("I"), problem_at("II"), problem_at("III")
    assert {r["from"] for r in at_one["routes"]} == {"C1", "T1", "T2"}  # mutual aid: T2 helps T1's village
    assert {r["from"] for r in at_three["routes"]} == {"C1", "T1"}  # no mutual aid at III
    assert at_one["floors"] == [] and at_two["floors"] == [{"depot": "T2", "item": "TENT", "quantity": 5}]
    assert at_three["floors"] == [{"depot": "T2", "item": "TENT", "quantity": 10}]
    assert [d["item"] for d in at_three["demand"]] == ["TENT", "WATER"]  # pumps are a level I–II norm


def test_imported_travel_times_override_the_estimate_and_the_time_target_cuts_routes(client, planned):
    headers = bearer(planned, "admin")
    bad = client.put("/api/v1/travel-times.csv", data="depot,site,minutes\nC1,T1-V1,abc\n".encode(), headers=headers)
    assert bad.status_code == 422 and bad.json["error"]["field"] == "row 2.minutes"
    ok = client.put("/api/v1/travel-times.csv", data="\ufeffdepot,site,minutes\nC1,T1-V1,700\nT1,T1-V1,15\n".encode(),
                    headers=headers)
    assert ok.json == {"imported": 2}
    incident = declare(client, planned, [{"site": "T1-V1", "people": 350}], level="I", level_reason="t").json
    routes = client.get(f"/api/v1/incidents/{incident['id']}/problem", headers=headers).json["routes"]
    assert {(r["from"], r["minutes"]) for r in routes if r["from"] in ("C1", "T1")} == {("T1", 15)}  # 700 > 600


def test_sites_can_be_replaced_from_a_csv_with_row_errors(client, engine, planned):
    incident = declare(client, planned, [{"site": "T1-V1", "people": 10}], level="IV", level_reason="t").json
    headers = bearer(planned, "dispatcher")
    url = f"/api/v1/incidents/{incident['id']}/sites.csv"
    bad = client.put(url, data="site,people\nT1-V1,12\nT2-V1,-4\n".encode(), headers=headers)
    assert bad.status_code == 422 and bad.json["error"]["field"] == "row 3.people"
    no_header = client.put(url, data="T1-V1,12\n".encode(), headers=headers)
    assert no_header.status_code == 422 and "header row" in no_header.json["error"]["message"]
    ok = client.put(url, data="site,people\nT1-V1,1200\nT2-V1,300\n".encode(), headers=headers)
    assert [s["people"] for s in ok.json["sites"]] == [1200, 300] and ok.json["suggested_level"] == "III"


def test_the_problem_is_stored_as_columns_and_given_back_as_the_document_it_was_before_the_plan(client, engine,
                                                                                             planned):
    incident = declare(client, planned, [{"site": "T1-V1", "people": 350}, {"site": "T2-V1", "people": 350}],
                       level="I", level_reason="test").json
    headers = bearer(planned, "dispatcher")
    before = client.get(f"/api/v1/incidents/{incident['id']}/problem", headers=headers).json
    plan = client.post(f"/api/v1/incidents/{incident['id']}/plan", headers=headers).json
    after = client.get(f"/api/v1/incidents/{incident['id']}/problem", headers=headers).json
    assert before == after
    # every lot the plan may send (the expired water too), by depot, item, first expiry first out
    assert [(r["depot"], r["item"], r["lot"], r["quantity"], r["expires"]) for r in after["stock"]] == [
        ("C1", "TENT", "TENT-C1", 100, None), ("C1", "WATER", "WATER-OLD", 50, "2026-06-30"),
        ("C1", "WATER", "WATER-NEW", 50, "2027-06-30"), ("T1", "TENT", "TENT-T1", 20, None),
        ("T2", "PUMP", "PUMP-T2", 2, None), ("T2", "TENT", "TENT-T2", 30, None)]
    with Session(engine) as s:
        kept = json.loads(s.exec(select(Plan.problem).where(Plan.id == plan["id"])).one())
    assert "stock" not in kept and kept["stock_columns"]["lot"] == [r["lot"] for r in after["stock"]]
    assert kept["stock_columns"]["expires_day"][0] is None


def test_a_lot_code_holding_the_read_s_separator_is_planned_all_the_same(client, engine, planned):
    with engine.begin() as conn:  # codes in older databases are free text
        conn.execute(sa.text("UPDATE lot SET code = :odd WHERE code = 'TENT-T1'"), {"odd": "TENT\x1fT1"})
    incident = declare(client, planned, [{"site": "T1-V1", "people": 350}], level="I", level_reason="test").json
    headers = bearer(planned, "dispatcher")
    plan = client.post(f"/api/v1/incidents/{incident['id']}/plan", headers=headers).json
    lots = [r["lot"] for r in client.get(f"/api/v1/incidents/{incident['id']}/problem", headers=headers).json["stock"]]
    assert lots == ["TENT-C1", "WATER-OLD", "WATER-NEW", "TENT\x1fT1", "PUMP-T2", "TENT-T2"]
    assert "TENT\x1fT1" in {t["lot"] for t in plan["plan"]["transfers"]}  # the nearest tents, on the site's town


def test_nothing_to_plan_is_a_clear_409_not_an_empty_plan(client, engine, planned):
    headers = bearer(planned, "dispatcher")
    with UnitOfWork(engine) as uow:  # norms that ask only for an item nobody holds usable
        settings.add_norm_version(uow, planned.admin.user_id, [NormRule("WATER", "person", 1)], "water only")
        uow.commit()
    from inventory import services
    from tests.integration.helpers import ctx

    services.issue(engine, ctx(planned.admin), lot="WATER-NEW", quantity=50)
    incident = declare(client, planned, [{"site": "T1-V1", "people": 10}], level="IV", level_reason="t").json
    r = client.post(f"/api/v1/incidents/{incident['id']}/plan", headers=headers)
    assert (r.status_code, r.json["error"]["code"]) == (409, "nothing_to_plan")
    assert "no depot holds usable stock" in r.json["error"]["message"]
    assert client.get(f"/api/v1/incidents/{incident['id']}/plan", headers=headers).status_code == 404


@pytest.mark.parametrize("who, status", [("keeper", 403), ("auditor", 403)])
def test_only_dispatchers_and_administrators_declare_and_plan(client, planned, who, status):
    r = client.post("/api/v1/incidents", json={"type": "flood", "title": "x", "sites": [{"site": "T1-V1", "people": 1}],
                                               "level": "IV"}, headers=bearer(planned, who))
    assert r.status_code == status


def test_admin_edits_levels_norms_and_settings(client, planned):
    headers = bearer(planned, "admin")
    levels = client.get("/api/v1/levels", headers=headers).json["levels"]
    levels[0]["time_target_minutes"] = 480
    assert client.put("/api/v1/levels", json={"levels": levels}, headers=headers).json["levels"][0][
        "time_target_minutes"] == 480
    assert client.put("/api/v1/levels", json={"levels": levels[:2]}, headers=headers).status_code == 422
    norms = client.get("/api/v1/norms", headers=headers).json
    r = client.put("/api/v1/norms", json={"norms": norms["norms"][:1], "note": "tents only"}, headers=headers)
    assert r.status_code == 201 and r.json["version"] == norms["version"] + 1
    bad = client.put("/api/v1/norms", json={"norms": [{"item": "NOPE", "basis": "person", "quantity": 1}]},
                     headers=headers)
    assert bad.status_code == 404 and bad.json["error"]["field"] == "norms[0].item"
    assert client.patch("/api/v1/settings/planning", json={"vehicle_capacity_kg": 8000},
                        headers=headers).json["vehicle_capacity_kg"] == 8000
    assert client.patch("/api/v1/settings/planning", json={"detour_factor": 0.5}, headers=headers).status_code == 422
    assert client.patch("/api/v1/settings/planning", json={"days": 2},
                        headers=bearer(planned, "dispatcher")).status_code == 403
