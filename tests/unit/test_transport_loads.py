"""Truckloads of orders and the routing problem built from them (plain Python)."""
from dispatch.travel import TravelSettings
from transport import loads, routing
from transport.fleet import normalise_plate
from transport.loads import Load


def test_an_order_load_is_quantity_times_unit_weight_and_volume_rounded_up_once():
    assert loads.order_load([(30, 45, 0.25), (50, 13.5, 0.02)]) == (2025, 850)
    assert loads.order_load([(3, 0.1, 0.001), (1, None, None)]) == (1, 1)
    assert loads.order_load([]) == (0, 0)


def test_an_order_that_fits_a_vehicle_stays_one_stop_named_by_its_code():
    assert loads.truckloads("DO-1-1", "C1", "S-1", 4000, 900, [(5000, 2000), (2000, 800)]) == [
        Load("DO-1-1", "DO-1-1", "C1", "S-1", 4000, 900)]


def test_an_order_too_heavy_for_every_vehicle_is_split_evenly_into_the_fewest_truckloads():
    parts = loads.truckloads("DO-1-2", "C1", "V1", 12001, 900, [(5000, 2000), (2000, 800)])
    assert [p.stop for p in parts] == ["DO-1-2/1", "DO-1-2/2", "DO-1-2/3"]
    assert sum(p.kg for p in parts) == 12001 and sum(p.m3x100 for p in parts) == 900
    assert all(p.kg <= 5000 and p.m3x100 <= 2000 for p in parts)
    assert {p.order for p in parts} == {"DO-1-2"}


def test_a_bulky_order_is_split_by_volume_for_the_vehicle_needing_fewest_trips():
    parts = loads.truckloads("DO-1-3", "C1", "V1", 100, 5000, [(5000, 2000), (1000, 3000)])
    assert len(parts) == 2  # the 30 m³ truck takes it in two, the 20 m³ one would need three
    assert all(p.m3x100 <= 3000 and p.kg <= 1000 for p in parts)


def test_with_no_vehicle_at_its_depot_an_order_is_not_split():
    assert len(loads.truckloads("DO-1-4", "T9", "V1", 99999, 99999, [])) == 1


def test_capacity_in_contract_units_is_rounded_down():
    assert loads.capacity_units(4999.9, 19.999) == (4999, 1999)


def test_plates_are_compared_without_spaces_dashes_or_case():
    assert normalise_plate(" 鲁a·123 45 ") == normalise_plate("鲁A-12345") == "鲁A12345"


PLACES = {"C1": routing.Place("C1", 29.15, 105.38, "county"), "T1": routing.Place("T1", 29.2, 105.4, "town"),
          "S-1": routing.Place("S-1", 29.25, 105.45, "village")}


def test_the_problem_follows_the_routing_contract():
    trucks = [routing.Truck("鲁A12345", "C1", 5000, 2000), routing.Truck("鲁B54321", "T1", 2000, 800, 45)]
    stops = [Load("DO-1-1", "DO-1-1", "C1", "S-1", 450, 250), Load("DO-1-2", "DO-1-2", "T1", "S-1", 225, 125)]
    doc = routing.build_problem(PLACES, {("T1", "S-1"): 17}, TravelSettings(), trucks, stops, 540,
                                routing.Timing(service_minutes=20, reload_minutes=25, max_trips=2))
    assert doc["format"] == "routing-problem/1" and doc["dimensions"] == ["kg", "m3x100"]
    n = len(doc["locations"])
    assert sorted(doc["locations"]) == ["C1", "S-1", "T1"]
    assert len(doc["minutes"]) == n and all(len(row) == n for row in doc["minutes"])
    m = {(a, b): doc["minutes"][i][j] for i, a in enumerate(doc["locations"]) for j, b in enumerate(doc["locations"])}
    assert all(m[(c, c)] == 0 for c in doc["locations"])
    assert all(isinstance(v, int) and v >= 0 for v in m.values())
    assert m[("T1", "S-1")] == m[("S-1", "T1")] == 17  # an imported time, either way
    assert m[("C1", "T1")] > 0
    assert doc["vehicles"][1] == {"id": "鲁B54321", "start": "T1", "end": "T1", "capacity": [2000, 800],
                                  "available_from": 45, "fixed_cost": 0, "max_trips": 2, "reload_minutes": 25}
    assert doc["stops"][0] == {"id": "DO-1-1", "location": "S-1", "from": "C1", "load": [450, 250],
                               "service_minutes": 20, "window": [0, 540]}
    assert routing.carriable(stops[0], trucks) and not routing.carriable(Load("X", "X", "T9", "S-1", 1, 1), trucks)


def test_a_route_changed_by_hand_reloads_when_the_next_load_does_not_fit():
    minutes = lambda a, b: 0 if a == b else 10  # noqa: E731
    timed = routing.time_route(minutes, "C1", (1000, 1000), [("A", (600, 10)), ("B", (600, 10)), ("C", (100, 10))],
                               routing.Timing(service_minutes=5, reload_minutes=20), available_from=30)
    assert [t["trip"] for t in timed] == [1, 2, 2]
    assert timed[0] == {"arrive": 40, "leave": 45, "trip": 1}
    assert timed[1]["arrive"] == 45 + 10 + 20 + 10
