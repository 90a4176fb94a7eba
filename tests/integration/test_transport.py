"""The fleet register, calling vehicles in, and an incident's routes: planned, stored, changed by hand, a vehicle
taken out mid-incident, the plate on the waybill, and who may do what (SQLite and PostgreSQL)."""
import json

import pytest
from sqlmodel import Session, select

from orders import services as orders
from tests.conftest import bearer, login
from tests.integration.orders_helpers import NOW, TODAY
from tests.integration.transport_helpers import add_vehicle, approved, greedy_plan, post
from transport import fleet, incident_routes
from transport.models import RouteStop, Vehicle
from transport.routes_view import routes_for_map


@pytest.fixture
def greedy(monkeypatch):
    monkeypatch.setattr(incident_routes, "default_planner", lambda: greedy_plan)


def test_the_register_refuses_zero_capacity_and_a_plate_twice_and_stores_nothing(client, county, engine):
    body = {"plate": "鲁A 12345", "kind": "own", "capacity_kg": 5000, "capacity_m3": 20, "home_depot": "C1"}
    made = post(client, county, "admin", "/api/v1/vehicles", body)
    assert made.status_code == 201, made.json
    assert made.json["plate"] == "鲁A12345" and made.json["status"] == "available"
    again = post(client, county, "admin", "/api/v1/vehicles", {**body, "plate": "鲁a-123 45"})
    assert again.status_code == 409 and again.json["error"]["message_code"] == "vehicle_plate_taken"
    bad = post(client, county, "admin", "/api/v1/vehicles", {**body, "plate": "鲁B11111", "capacity_kg": 0,
                                                            "capacity_m3": -1})
    assert bad.status_code == 422
    assert {p["field"] for p in bad.json["error"]["problems"]} == {"capacity_kg", "capacity_m3"}
    partner = post(client, county, "admin", "/api/v1/vehicles", {**body, "plate": "川C22222", "kind": "partner"})
    assert partner.status_code == 422
    assert {p["field"] for p in partner.json["error"]["problems"]} == {
        "partner_name", "contract_number", "partner_vehicles", "arrival_minutes"}
    with Session(engine) as s:
        assert s.exec(select(Vehicle.plate)).all() == ["鲁A12345"]
    req = post(client, county, "admin", "/api/v1/vehicles", {
        **body, "plate": "川C33333", "kind": "requisitioned", "owner": "县运输公司", "requisitioned_on": "2026-07-01",
        "approved_by": "王局长", "compensation_yuan": "1200.50", "settled_on": "2026-07-20"})
    assert req.status_code == 201 and req.json["compensation_fen"] == 120050


def test_only_administrators_keep_the_register_dispatchers_and_auditors_read_it(client, county, engine):
    add_vehicle(engine, county, "鲁A12345")
    body = {"plate": "鲁B12345", "kind": "own", "capacity_kg": 5000, "capacity_m3": 20, "home_depot": "C1"}
    assert post(client, county, "dispatcher", "/api/v1/vehicles", body).status_code == 403
    assert post(client, county, "auditor", "/api/v1/vehicles", body).status_code == 403
    assert client.get("/api/v1/vehicles", headers=bearer(county, "keeper")).status_code == 403
    for who in ("dispatcher", "auditor"):
        listed = client.get("/api/v1/vehicles", headers=bearer(county, who))
        assert listed.status_code == 200 and [v["plate"] for v in listed.json] == ["鲁A12345"]
    assert post(client, county, "auditor", "/api/v1/vehicles/鲁A12345/status",
                {"status": "out_of_service"}).status_code == 403


def test_the_register_pages_refuse_bad_fields_beside_them(client, county, engine):
    login(client, "admin", "admin-pass")
    page = client.get("/admin/vehicles")
    assert page.status_code == 200
    from tests.conftest import csrf_token

    token = csrf_token(client, "/admin/vehicles")
    answer = client.post("/admin/vehicles", data={"csrf_token": token, "plate": "鲁A12345", "kind": "own",
                                                  "capacity_kg": "0", "capacity_m3": "20", "home_depot": "C1"})
    assert answer.status_code == 422 and "容量必须大于 0" in answer.get_data(as_text=True)
    ok = client.post("/admin/vehicles", data={"csrf_token": token, "plate": "鲁A 12345", "kind": "own",
                                              "capacity_kg": "5000", "capacity_m3": "20", "home_depot": "C1"})
    assert ok.status_code == 302
    twice = client.post("/admin/vehicles", data={"csrf_token": token, "plate": "鲁a12345", "kind": "own",
                                                 "capacity_kg": "5000", "capacity_m3": "20", "home_depot": "C1"})
    assert twice.status_code == 422 and "鲁A12345 已登记" in twice.get_data(as_text=True)
    assert client.get("/admin/vehicles/鲁A12345").status_code == 200
    client.get("/logout")
    login(client, "keeper", "keeper-pass")
    assert client.get("/admin/vehicles").status_code == 403


def test_dispatchers_call_vehicles_in_and_plan_stores_each_route_in_order(client, county, engine, greedy):
    st = approved(engine, county)
    add_vehicle(engine, county, "鲁A11111")
    add_vehicle(engine, county, "鲁A22222", home_depot="T1", capacity_kg=1000, capacity_m3=5)
    add_vehicle(engine, county, "鲁A33333", capacity_kg=1500, capacity_m3=6)
    called = post(client, county, "dispatcher", f"/api/v1/incidents/{st.incident}/vehicles",
                  {"plates": ["鲁A11111", "鲁A22222"]})
    assert called.status_code == 201 and [v["plate"] for v in called.json] == ["鲁A11111", "鲁A22222"]
    assert post(client, county, "dispatcher", f"/api/v1/incidents/{st.incident}/vehicles",
                {"plates": ["鲁A11111"]}).status_code == 409
    assert post(client, county, "keeper", f"/api/v1/incidents/{st.incident}/vehicles",
                {"plates": ["鲁A33333"]}).status_code == 403
    assert fleet.get_vehicle(engine, county.admin, "鲁A11111")["status"] == "on_duty"

    problem = client.get(f"/api/v1/incidents/{st.incident}/routes/problem", headers=bearer(county, "auditor"))
    assert problem.status_code == 200 and problem.json["format"] == "routing-problem/1"
    assert sorted(s["id"] for s in problem.json["stops"]) == [st.code(n) for n in (1, 2, 3, 4)]
    # the incident was declared on 1 July: its 12 h target has passed, the loads still go, as soon as they can
    assert all("window" not in s for s in problem.json["stops"])
    assert incident_routes.problem(engine, county.dispatcher, st.incident, NOW)["stops"][0]["window"] == [0, 720]

    assert post(client, county, "auditor", f"/api/v1/incidents/{st.incident}/routes/plan").status_code == 403
    planned = post(client, county, "dispatcher", f"/api/v1/incidents/{st.incident}/routes/plan")
    assert planned.status_code == 200, planned.json
    routes = {v["plate"]: v for v in planned.json["vehicles"]}
    assert [s["stop"] for s in routes["鲁A11111"]["stops"]] == [st.code(1), st.code(2), st.code(3)]
    assert [s["position"] for s in routes["鲁A11111"]["stops"]] == [1, 2, 3]
    arrivals = [s["arrive_at"] for s in routes["鲁A11111"]["stops"]]
    assert arrivals == sorted(arrivals) and all(arrivals)
    assert [s["stop"] for s in routes["鲁A22222"]["stops"]] == [st.code(4)]
    assert planned.json["unserved"] == []

    exported = client.get(f"/incidents/{st.incident}/routes/problem.json", headers=bearer(county, "dispatcher"))
    assert exported.status_code in (200, 302)


def test_a_stop_moves_a_route_locks_and_the_rest_is_planned_again(client, county, engine, greedy):
    st = approved(engine, county)
    add_vehicle(engine, county, "鲁A11111")
    add_vehicle(engine, county, "鲁A44444", capacity_kg=3000, capacity_m3=12)
    fleet.call_in(engine, county.dispatcher, st.incident, ["鲁A11111", "鲁A44444"], NOW)
    incident_routes.plan(engine, county.dispatcher, st.incident, NOW)
    moved = post(client, county, "dispatcher", f"/api/v1/incidents/{st.incident}/routes/moves",
                 {"stop": st.code(3), "vehicle": "鲁A44444"})
    assert moved.status_code == 200, moved.json
    routes = {v["plate"]: v for v in moved.json["vehicles"]}
    assert [s["stop"] for s in routes["鲁A44444"]["stops"]] == [st.code(3)]
    assert st.code(3) not in [s["stop"] for s in routes["鲁A11111"]["stops"]]
    assert [s["position"] for s in routes["鲁A11111"]["stops"]] == [1, 2]
    # T1's order cannot go on a truck that loads at C1
    wrong = post(client, county, "dispatcher", f"/api/v1/incidents/{st.incident}/routes/moves",
                 {"stop": st.code(4), "vehicle": "鲁A44444"})
    assert wrong.status_code == 422 and wrong.json["error"]["message_code"] == "route_wrong_depot"

    locked = post(client, county, "dispatcher", f"/api/v1/incidents/{st.incident}/routes/locks",
                  {"vehicle": "鲁A44444", "locked": True})
    assert locked.status_code == 200
    refused = post(client, county, "dispatcher", f"/api/v1/incidents/{st.incident}/routes/moves",
                   {"stop": st.code(1), "vehicle": "鲁A44444"})
    assert refused.status_code == 409 and refused.json["error"]["message_code"] == "route_locked"
    again = incident_routes.plan(engine, county.dispatcher, st.incident, NOW)
    routes = {v["plate"]: v for v in again["vehicles"]}
    assert [s["stop"] for s in routes["鲁A44444"]["stops"]] == [st.code(3)]  # kept as locked
    assert [s["stop"] for s in routes["鲁A11111"]["stops"]] == [st.code(1), st.code(2)]
    problem = json.loads(_latest_problem(engine, st.incident))
    assert [v["id"] for v in problem["vehicles"]] == ["鲁A11111"]
    assert st.code(3) not in [s["id"] for s in problem["stops"]]
    # T1's order has no vehicle there: unserved with the reason, never dropped
    assert [(s["stop"], s["reason"]) for s in again["unserved"]] == [(st.code(4), "no_vehicle")]


def _latest_problem(engine, incident):
    from transport.models import RoutePlan

    with Session(engine) as s:
        return s.exec(select(RoutePlan.problem).where(RoutePlan.incident_id == incident)
                      .order_by(RoutePlan.id.desc())).first()


def _ship(engine, st, county, code):
    from tests.integration.orders_helpers import lot_balance  # noqa: F401

    detail = orders.get(engine, county.dispatcher, code)
    for line in detail["lines"]:
        for lot in line["planned_lots"]:
            orders.pick(engine, st.keeper_c1, NOW, TODAY, code, lot=lot["lot"], quantity=lot["quantity"])
    orders.ship(engine, st.keeper_c1, NOW, TODAY, code)


def test_a_vehicle_taken_out_gives_back_its_unstarted_stops_and_keeps_the_shipped_one(client, county, engine, greedy):
    st = approved(engine, county)
    add_vehicle(engine, county, "鲁A11111")
    fleet.call_in(engine, county.dispatcher, st.incident, ["鲁A11111"], NOW)
    incident_routes.plan(engine, county.dispatcher, st.incident, NOW)
    _ship(engine, st, county, st.code(1))
    out = post(client, county, "dispatcher", "/api/v1/vehicles/鲁A11111/status", {"status": "out_of_service"})
    assert out.status_code == 200 and out.json["released_stops"] == [st.code(2), st.code(3)]
    routes = incident_routes.routes(engine, county.auditor, st.incident, NOW)
    assert [s["stop"] for s in routes["vehicles"][0]["stops"]] == [st.code(1)]
    assert {(s["stop"], s["reason"]) for s in routes["unserved"]} >= {(st.code(2), "vehicle_out"),
                                                                      (st.code(3), "vehicle_out")}
    # the map sees the route on its way
    with Session(engine) as s:
        drawn = routes_for_map(s, [st.incident])
    assert drawn[0]["plate"] == "鲁A11111" and drawn[0]["state"] == "active" and len(drawn[0]["points"]) == 3
    # the waybill names the vehicle
    from orders import waybill

    assert waybill.document(engine, county.dispatcher, st.code(1), "http://testserver")["vehicle"] == "鲁A11111"
    assert waybill.document(engine, county.dispatcher, st.code(2), "http://testserver")["vehicle"] is None


def test_the_routes_page_shows_stops_and_reads_only_for_auditors(client, county, engine, greedy):
    st = approved(engine, county)
    add_vehicle(engine, county, "鲁A11111")
    fleet.call_in(engine, county.dispatcher, st.incident, ["鲁A11111"], NOW)
    incident_routes.plan(engine, county.dispatcher, st.incident, NOW)
    login(client, "auditor", "auditor-pass")
    page = client.get(f"/incidents/{st.incident}/routes")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and st.code(1) in html and "鲁A11111" in html
    assert 'class="move-stop' not in html and "plan-routes" not in html
    download = client.get(f"/incidents/{st.incident}/routes/problem.json")
    assert download.status_code == 200 and json.loads(download.data)["format"] == "routing-problem/1"
    assert "attachment" in download.headers["Content-Disposition"]
    from tests.conftest import csrf_token

    token = csrf_token(client, f"/incidents/{st.incident}/routes")
    assert client.post(f"/incidents/{st.incident}/routes/plan", data={"csrf_token": token}).status_code == 403
    client.get("/logout")
    login(client, "keeper", "keeper-pass")
    assert client.get(f"/incidents/{st.incident}/routes").status_code == 403


def test_an_order_bigger_than_the_trucks_is_split_and_a_stop_left_over_can_be_moved_by_hand(client, county, engine,
                                                                                           greedy):
    st = approved(engine, county)
    add_vehicle(engine, county, "鲁A55555", capacity_kg=1000, capacity_m3=5)
    fleet.call_in(engine, county.dispatcher, st.incident, ["鲁A55555"], NOW)
    doc = incident_routes.problem(engine, county.dispatcher, st.incident, NOW)
    loads = {s["id"]: s["load"] for s in doc["stops"]}
    # DO-2: 30 tents and 50 cases of water, 2,025 kg and 8.5 m³: three loads of the 1 t truck
    assert {k: v for k, v in loads.items() if k.startswith(st.code(2))} == {
        f"{st.code(2)}/1": [675, 284], f"{st.code(2)}/2": [675, 283], f"{st.code(2)}/3": [675, 283]}
    planned = incident_routes.plan(engine, county.dispatcher, st.incident, NOW)
    served = [s["stop"] for s in planned["vehicles"][0]["stops"]]
    left = [s for s in planned["unserved"] if s["reason"] != "no_vehicle"]
    assert left and all(s["stop"] not in served for s in left)  # one trip of the greedy planner: the rest wait
    moved = incident_routes.move_stop(engine, county.dispatcher, st.incident, left[0]["stop"], "鲁A55555", NOW)
    stops = moved["vehicles"][0]["stops"]
    assert stops[-1]["stop"] == left[0]["stop"] and stops[-1]["trip"] == 2  # back to the depot to load it
    assert left[0]["stop"] not in [s["stop"] for s in moved["unserved"]]
    with Session(engine) as s:
        rows = s.exec(select(RouteStop).where(RouteStop.incident_id == st.incident)).all()
    assert len({r.stop for r in rows}) == len(rows) == len(doc["stops"]) + 1  # + T1's order, no vehicle there


def test_an_administrator_edits_a_requisitioned_vehicle_and_its_settlement_on_its_page(client, county, engine):
    from tests.conftest import csrf_token

    add_vehicle(engine, county, "鲁C12345", kind="requisitioned", owner="县运输公司", requisitioned_on=TODAY,
                approved_by="王局长")
    login(client, "admin", "admin-pass")
    token = csrf_token(client, "/admin/vehicles/鲁C12345")
    form = {"csrf_token": token, "plate": "鲁C12345", "kind": "requisitioned", "capacity_kg": "4000",
            "capacity_m3": "16", "home_depot": "T1", "owner": "县运输公司", "requisitioned_on": "2026-07-01",
            "approved_by": "王局长", "compensation_yuan": "1800.00", "settled_on": "2026-06-30"}
    early = client.post("/admin/vehicles/鲁C12345", data=form)
    assert early.status_code == 422 and "补偿结算日期不能早于征用日期" in early.get_data(as_text=True)
    saved = client.post("/admin/vehicles/鲁C12345", data={**form, "settled_on": "2026-07-20"})
    assert saved.status_code == 302
    v = fleet.get_vehicle(engine, county.auditor, "鲁C12345")
    assert (v["compensation_fen"], v["home_depot"], str(v["settled_on"])) == (180000, "T1", "2026-07-20")
    assert "1,800.00 元" in client.get("/admin/vehicles").get_data(as_text=True)


def test_the_exported_problem_follows_the_contract_and_the_stored_plan_satisfies_it(client, county, engine, app):
    from transport.plan import check_plan
    from transport.problem import parse_problem
    from transport.models import RoutePlan

    app.config["ROUTE_TIME_LIMIT_SECONDS"] = 1
    st = approved(engine, county)
    add_vehicle(engine, county, "鲁A11111", capacity_kg=1000, capacity_m3=5)
    add_vehicle(engine, county, "鲁A22222", home_depot="T1", capacity_kg=1000, capacity_m3=5)
    add_vehicle(engine, county, "川C33333", kind="partner", partner_name="县顺达物流", contract_number="YJ-3",
                partner_vehicles=4, arrival_minutes=60)
    fleet.call_in(engine, county.dispatcher, st.incident, ["鲁A11111", "鲁A22222", "川C33333"], NOW)
    exported = client.get(f"/api/v1/incidents/{st.incident}/routes/problem", headers=bearer(county, "dispatcher"))
    problem = parse_problem(exported.json)  # the planner's own reader: no BadRoutingProblem
    assert len(problem.stops) == 4  # the partner's truck at C1 holds DO-2 whole: nothing is split
    planned = post(client, county, "dispatcher", f"/api/v1/incidents/{st.incident}/routes/plan")
    assert planned.status_code == 200, planned.json
    with Session(engine) as s:
        row = s.exec(select(RoutePlan).where(RoutePlan.incident_id == st.incident)).one()
        stored = s.exec(select(RouteStop).where(RouteStop.incident_id == st.incident)).all()
    doc, plan = json.loads(row.problem), json.loads(row.plan)
    assert doc == exported.json  # exported before planning: the same document the routes were planned from
    assert check_plan(doc, plan) == []
    on_routes = [s["stop"] for r in planned.json["vehicles"] for s in r["stops"]]
    assert sorted(on_routes + [s["stop"] for s in planned.json["unserved"]]) == sorted(r.stop for r in stored)
    assert len(on_routes) == len(set(on_routes))
    partner = next(v for v in planned.json["vehicles"] if v["plate"] == "川C33333")
    for s in partner["stops"]:
        assert s["arrive_at"] >= "2026-07-01T03:00:00"  # it arrives an hour after being called
