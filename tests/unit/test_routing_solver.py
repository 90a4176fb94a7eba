"""The route planner's answers on small problems whose best plan is known by hand (contracts/routing.md):
capacity per dimension and per trip, windows, ``from``, reloads and max_trips, shifts, the reasons of
unserved stops, served load before minutes; and ``check_plan`` catching plans that break the rules."""
import copy

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from transport.plan import check_plan
from transport.planner import plan_routes


def line_doc(stops, vehicles, places=("D", "A", "B", "C"), step=10, dims=("kg", "m3")):
    """Places on a line, ``step`` minutes apart (D is 0); stops (id, place, load, extra), vehicles (id, extra)."""
    n = len(places)
    return {
        "format": "routing-problem/1", "dimensions": list(dims), "locations": list(places),
        "minutes": [[abs(i - j) * step for j in range(n)] for i in range(n)],
        "vehicles": [{"id": vid, "start": "D", "end": "D", **extra} for vid, extra in vehicles],
        "stops": [{"id": sid, "location": place, "load": load, **extra} for sid, place, load, extra in stops],
        "time_limit_seconds": 2,
    }


def solve(d):
    plan = plan_routes(copy.deepcopy(d))
    assert check_plan(d, plan) == []
    return plan


def served(plan):
    return {e["stop"]: r["vehicle"] for r in plan["routes"] for e in r["stops"] if "stop" in e}


def reasons(plan):
    return {u["stop"]: u["reason"] for u in plan["unserved"]}


def test_the_contracts_example_shape():
    d = line_doc([("S1", "A", [10, 1], {"service_minutes": 5, "window": [0, 600]})],
                 [("V1", {"capacity": [10, 10]})])
    plan = solve(d)
    assert plan == {"format": "routing-plan/1", "status": "feasible",
                    "routes": [{"vehicle": "V1", "minutes": 20, "load": [10, 1], "back": 25,
                                "stops": [{"stop": "S1", "arrive": 10, "start": 10, "leave": 15}]}],
                    "unserved": [], "total_minutes": 20, "vehicles_used": 1, "solve_seconds": plan["solve_seconds"]}


@pytest.mark.parametrize("loads", [([6, 1], [6, 1]), ([1, 6], [1, 6])])
def test_capacity_holds_in_every_dimension(loads):
    d = line_doc([("S1", "A", loads[0], {}), ("S2", "B", loads[1], {})],
                 [("V1", {"capacity": [10, 10]}), ("V2", {"capacity": [10, 10]})])
    plan = solve(d)
    assert set(served(plan).values()) == {"V1", "V2"} and plan["vehicles_used"] == 2


def test_one_vehicle_reloads_for_a_second_trip_and_loading_takes_its_minutes():
    d = line_doc([("S1", "A", [6, 1], {}), ("S2", "B", [6, 1], {})],
                 [("V1", {"capacity": [10, 10], "max_trips": 2, "reload_minutes": 30})])
    plan = solve(d)
    (route,) = plan["routes"]
    kinds = ["reload" if e.get("reload") else e["stop"] for e in route["stops"]]
    assert len(kinds) == 3 and kinds[1] == "reload"
    reload = route["stops"][1]
    assert reload["leave"] - reload["arrive"] == 30
    assert route["minutes"] == 20 + 40 and route["back"] == 60 + 30


def test_max_trips_bounds_the_reloads_and_what_is_left_has_a_reason():
    stops = [(f"S{k}", "A", [10, 1], {}) for k in range(3)]
    plan = solve(line_doc(stops, [("V1", {"capacity": [10, 10], "max_trips": 2})]))
    assert len(served(plan)) == 2 and list(reasons(plan).values()) == ["no_capacity"]
    plan = solve(line_doc(stops, [("V1", {"capacity": [10, 10], "max_trips": 3, "reload_minutes": 5})]))
    assert len(served(plan)) == 3
    assert sum(1 for e in plan["routes"][0]["stops"] if e.get("reload")) == 2


def test_windows_wait_for_the_opening_and_order_the_stops():
    d = line_doc([("far", "C", [1, 1], {"window": [0, 30]}), ("near", "A", [1, 1], {"window": [100, 200]})],
                 [("V1", {"capacity": [10, 10]})])
    plan = solve(d)
    visits = plan["routes"][0]["stops"]
    assert [e["stop"] for e in visits] == ["far", "near"]
    assert visits[1]["arrive"] == 50 and visits[1]["start"] == 100


def test_too_late_when_no_vehicle_can_reach_it_in_its_window():
    d = line_doc([("S1", "C", [1, 1], {"window": [0, 29]}), ("S2", "A", [1, 1], {})],
                 [("V1", {"capacity": [10, 10]})])
    plan = solve(d)
    assert reasons(plan) == {"S1": "too_late"} and served(plan) == {"S2": "V1"}


def test_no_vehicle_when_no_shift_is_long_enough_and_vehicles_are_back_in_time():
    d = line_doc([("S1", "C", [1, 1], {"service_minutes": 10}), ("S2", "A", [1, 1], {})],
                 [("V1", {"capacity": [10, 10], "available_from": 100, "available_until": 169})])
    plan = solve(d)
    assert reasons(plan) == {"S1": "no_vehicle"}
    assert plan["routes"][0]["stops"][0]["arrive"] == 110 and plan["routes"][0]["back"] <= 169


def test_available_until_splits_the_work_between_vehicles():
    d = line_doc([("S1", "C", [1, 1], {}), ("S2", "C", [1, 1], {"service_minutes": 30})],
                 [("V1", {"capacity": [10, 10], "available_until": 100}),
                  ("V2", {"capacity": [10, 10], "available_until": 100})])
    plan = solve(d)
    assert len(served(plan)) == 2 and plan["vehicles_used"] == 1  # 30 there + 30 service + 30 back = 90
    d["stops"][0]["service_minutes"] = 20  # 30 + 20 + 30 + 30 = 110 > 100: two vehicles
    plan = solve(d)
    assert plan["vehicles_used"] == 2 and plan["unserved"] == []


def test_from_restricts_the_vehicles_that_may_carry_a_stop():
    d = line_doc([("S1", "A", [1, 1], {"from": "C"}), ("S2", "B", [1, 1], {})],
                 [("VD", {"capacity": [10, 10]})])
    d["vehicles"].append({"id": "VC", "start": "C", "end": "C", "capacity": [10, 10]})
    plan = solve(d)
    assert served(plan)["S1"] == "VC"


def test_more_load_served_beats_fewer_minutes():
    # one trip of 10: the single 10 at the far end beats 6 + 3 close by
    d = line_doc([("big", "C", [10, 1], {}), ("six", "A", [6, 1], {}), ("three", "A", [3, 1], {})],
                 [("V1", {"capacity": [10, 10]})])
    plan = solve(d)
    assert set(served(plan)) == {"big"} and reasons(plan) == {"six": "no_capacity", "three": "no_capacity"}


def test_then_fewer_minutes_and_fixed_costs():
    d = line_doc([("S1", "A", [5, 1], {}), ("S2", "B", [5, 1], {})],
                 [("dear", {"capacity": [10, 10], "fixed_cost": 500}), ("cheap", {"capacity": [10, 10]})])
    plan = solve(d)
    assert plan["vehicles_used"] == 1 and set(served(plan).values()) == {"cheap"} and plan["total_minutes"] == 40


def test_nothing_to_plan_is_optimal():
    plan = solve(line_doc([], [("V1", {"capacity": [1, 1]})]))
    assert plan["status"] == "optimal" and plan["routes"] == [] and plan["vehicles_used"] == 0


def test_check_plan_catches_broken_plans():
    d = line_doc([("S1", "A", [6, 1], {"window": [0, 15]}), ("S2", "B", [6, 1], {})],
                 [("V1", {"capacity": [10, 10], "max_trips": 2}), ("V2", {"capacity": [10, 10]})])
    good = solve(d)

    def broken(change):
        plan = copy.deepcopy(good)
        change(plan)
        return check_plan(d, plan)

    assert broken(lambda p: p["routes"][0]["stops"][0].update(arrive=1))
    assert broken(lambda p: p["unserved"].append({"stop": "S1", "reason": "too_late"}))
    assert broken(lambda p: p.update(total_minutes=p["total_minutes"] + 1))
    assert broken(lambda p: p["routes"][0].update(minutes=0))
    assert broken(lambda p: p.update(routes=[], vehicles_used=0, total_minutes=0))  # stops gone missing
    both = {"vehicle": "V2", "minutes": 20 + 20, "load": [12, 2], "back": 40,
            "stops": [{"stop": "S1", "arrive": 10, "start": 10, "leave": 10},
                      {"stop": "S2", "arrive": 20, "start": 20, "leave": 20}]}
    assert any("over its capacity" in why for why in broken(
        lambda p: p.update(routes=[both], vehicles_used=1, total_minutes=40)))


places = st.integers(min_value=0, max_value=3)


@st.composite
def problems(draw):
    n_stops = draw(st.integers(min_value=0, max_value=6))
    n_vehicles = draw(st.integers(min_value=1, max_value=3))
    minutes = [[0 if i == j else draw(st.integers(min_value=1, max_value=60)) for j in range(4)] for i in range(4)]
    vehicles = []
    for k in range(n_vehicles):
        start = draw(places)
        vehicles.append({"id": f"V{k}", "start": f"P{start}", "end": f"P{draw(places)}",
                         "capacity": [20, draw(st.integers(min_value=5, max_value=20))],
                         "available_from": draw(st.integers(min_value=0, max_value=60)),
                         "available_until": draw(st.sampled_from([None, 200, 400])),
                         "fixed_cost": draw(st.integers(min_value=0, max_value=50)),
                         "max_trips": draw(st.integers(min_value=1, max_value=3)),
                         "reload_minutes": draw(st.integers(min_value=0, max_value=30))})
    stops = []
    for k in range(n_stops):
        opens = draw(st.integers(min_value=0, max_value=200))
        stop = {"id": f"S{k}", "location": f"P{draw(places)}",
                "load": [draw(st.integers(min_value=0, max_value=20)), draw(st.integers(min_value=0, max_value=5))],
                "service_minutes": draw(st.integers(min_value=0, max_value=20))}
        if draw(st.booleans()):
            stop["window"] = [opens, opens + draw(st.integers(min_value=0, max_value=120))]
        if draw(st.booleans()):
            stop["from"] = draw(st.sampled_from(vehicles))["start"]
        stops.append(stop)
    return {"format": "routing-problem/1", "dimensions": ["kg", "m3"], "locations": ["P0", "P1", "P2", "P3"],
            "minutes": minutes, "vehicles": vehicles, "stops": stops, "time_limit_seconds": 1}


@settings(max_examples=12, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_every_plan_keeps_the_contract(d):
    plan = plan_routes(copy.deepcopy(d))
    assert check_plan(d, plan) == []
    assert len(served(plan)) + len(plan["unserved"]) == len(d["stops"])


def test_a_stop_that_fits_alone_but_not_with_the_rest_is_no_capacity():
    # either stop alone is on time, but after serving one the other's window has closed
    d = line_doc([("S1", "A", [5, 1], {"window": [0, 10], "service_minutes": 5}),
                  ("S2", "A", [4, 1], {"window": [0, 10], "service_minutes": 5})],
                 [("V1", {"capacity": [10, 10]})])
    plan = solve(d)
    assert served(plan) == {"S1": "V1"} and reasons(plan) == {"S2": "no_capacity"}  # the larger load first
