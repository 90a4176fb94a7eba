"""People → quantities, people → level, coordinates → minutes; and the dispatcher's reading of a plan."""
import pytest

from common.errors import InvalidInput
from dispatch.norms import DEFAULT_LEVELS, LevelRule, NormRule, check_levels, gross_need, suggest_level
from dispatch.report import FLOORS, NO_ROUTE, NO_STOCK, SHORTAGE, explain
from dispatch.travel import TravelSettings, estimate_minutes, great_circle_km


@pytest.mark.parametrize("norm, people, expected", [
    (NormRule("quilt", "person", 1), 120, 120),
    (NormRule("tent", "household", 1), 100, 29),  # 100 / 3.5 = 28.6 households → 29 tents
    (NormRule("water", "person", 0.23, per_day=True), 100, 69),  # 100 × 0.23 × 3 days
    (NormRule("jacket", "person", 0.1), 30, 3),  # exactly 3, not 4 from 3.0000000000000004
    (NormRule("pump", "site", 1), 5000, 1),
    (NormRule("quilt", "person", 1), 0, 0),
])
def test_gross_need_from_the_norms(norm, people, expected):
    assert gross_need(norm, people, household_size=3.5, days=3) == expected


def test_a_norm_applies_to_its_incident_types_and_levels():
    pump = NormRule("pump", "site", 1, incident_types=("flood",), levels=("I", "II"))
    assert pump.applies("flood", "I") and not pump.applies("earthquake", "I") and not pump.applies("flood", "III")
    assert NormRule("quilt", "person", 1).applies("earthquake", "IV")


@pytest.mark.parametrize("people, level", [(0, None), (199, None), (200, "IV"), (999, "IV"), (1000, "III"),
                                           (5000, "II"), (10_000, "I"), (250_000, "I")])
def test_the_suggested_level_follows_the_thresholds(people, level):
    assert suggest_level(people, list(DEFAULT_LEVELS)) == level


def test_level_rules_must_cover_i_to_iv_with_sensible_values():
    check_levels(list(DEFAULT_LEVELS))
    with pytest.raises(InvalidInput, match="exactly the levels"):
        check_levels(list(DEFAULT_LEVELS[:3]))
    milder_needs_more = [LevelRule("I", 100, 600, 1, True)] + list(DEFAULT_LEVELS[1:])
    with pytest.raises(InvalidInput, match="more severe level"):
        check_levels(milder_needs_more)
    with pytest.raises(InvalidInput) as e:
        check_levels([LevelRule("I", 10_000, 600, 1.5, True)] + list(DEFAULT_LEVELS[1:]))
    assert e.value.field == "levels[0].floor_draw"


def test_one_degree_of_latitude_is_about_111_km():
    assert great_circle_km(29.0, 105.0, 30.0, 105.0) == pytest.approx(111.19, abs=0.01)


def test_minutes_are_distance_times_detour_over_speed_plus_handling():
    settings = TravelSettings(detour_factor=1.5, speed_kmh=(("county", 50.0),), handling_minutes=30)
    # 111.19 km × 1.5 = 166.8 km at 50 km/h = 200.2 min → 201, plus 30
    assert estimate_minutes(settings, "county", (29.0, 105.0), (30.0, 105.0)) == 231
    assert estimate_minutes(settings, "county", (29.0, 105.0), (29.0, 105.0)) == 30


def _doc(**changes):
    doc = {
        "format": "allocation-problem/1", "now": "2026-07-01T08:00:00+08:00",
        "depots": [{"id": "C", "tier": "county", "parent": None}, {"id": "T", "tier": "town", "parent": "C"}],
        "items": [{"id": "tent", "weight_kg": 45.0, "volume_m3": 0.25}, {"id": "pump", "weight_kg": 40.0,
                                                                         "volume_m3": 0.12}],
        "stock": [{"depot": "C", "item": "tent", "lot": "L1", "quantity": 150, "expires": None},
                  {"depot": "T", "item": "pump", "lot": "L2", "quantity": 2, "expires": None}],
        "floors": [], "sites": [{"id": "V1", "people": 1}, {"id": "V2", "people": 1}],
        "demand": [{"site": "V1", "item": "tent", "quantity": 150}, {"site": "V2", "item": "pump", "quantity": 1}],
        "routes": [{"from": "C", "to": "V1", "minutes": 60}],
    }
    doc.update(changes)
    return doc


def _report(doc, transfers, unmet):
    plan = {"transfers": transfers, "unmet": unmet}
    return explain(doc, plan, vehicle_kg=5000.0, vehicle_m3=20.0)


def test_unmet_reasons():
    doc = _doc()
    report = _report(doc, [{"from": "C", "to": "V1", "item": "tent", "lot": "L1", "quantity": 150, "minutes": 60}],
                     [{"site": "V2", "item": "pump", "quantity": 1}])
    assert [line.get("reason") for line in report["fill"]] == [None, NO_ROUTE]  # pumps at T, no route to V2
    doc = _doc(stock=[{"depot": "C", "item": "tent", "lot": "L1", "quantity": 150, "expires": "2026-01-01"}])
    assert _report(doc, [], [{"site": "V1", "item": "tent", "quantity": 150}])["fill"][0]["reason"] == NO_STOCK
    doc = _doc(floors=[{"depot": "C", "item": "tent", "quantity": 150}])
    assert _report(doc, [], [{"site": "V1", "item": "tent", "quantity": 150}])["fill"][0]["reason"] == FLOORS
    doc = _doc(demand=[{"site": "V1", "item": "tent", "quantity": 200}])
    report = _report(doc, [{"from": "C", "to": "V1", "item": "tent", "lot": "L1", "quantity": 150, "minutes": 60}],
                     [{"site": "V1", "item": "tent", "quantity": 50}])
    assert (report["fill"][0]["reason"], report["fill"][0]["fill_rate"]) == (SHORTAGE, 0.75)


def test_trucks_are_counted_per_destination_by_weight_or_volume():
    doc = _doc(routes=[{"from": "C", "to": "V1", "minutes": 60}, {"from": "C", "to": "V2", "minutes": 60}],
               demand=[{"site": "V1", "item": "tent", "quantity": 120}, {"site": "V2", "item": "tent", "quantity": 30}])
    transfers = [{"from": "C", "to": "V1", "item": "tent", "lot": "L1", "quantity": 120, "minutes": 60},
                 {"from": "C", "to": "V2", "item": "tent", "lot": "L1", "quantity": 30, "minutes": 60}]
    outflow = _report(doc, transfers, [])["outflows"][0]
    # V1: 5,400 kg → 2 trucks by weight (30 m³ → 2 by volume); V2: 1,350 kg, 7.5 m³ → 1 truck
    assert (outflow["trucks"], outflow["weight_kg"], outflow["destinations"]) == (3, 6750.0, 2)


def test_a_norm_quantity_beyond_any_norm_is_refused_before_needs_overflow():
    from common.errors import InvalidInput
    from dispatch.settings import MAX_NORM_QUANTITY, check_norm

    check_norm(NormRule("WATER", "person", MAX_NORM_QUANTITY, per_day=True), 0)
    with pytest.raises(InvalidInput) as e:
        check_norm(NormRule("WATER", "person", 6.1e17, per_day=True), 0)
    assert e.value.field == "norms[0].quantity" and e.value.message_code == "norm_quantity_too_large"


@pytest.mark.parametrize("size", [1e-300, 0.5, 101])
def test_a_household_is_one_to_a_hundred_people(size):
    from dataclasses import replace

    from common.errors import InvalidInput
    from dispatch.settings import PlanningSettings, check_settings

    check_settings(replace(PlanningSettings(), household_size=1))
    with pytest.raises(InvalidInput) as e:
        check_settings(replace(PlanningSettings(), household_size=size))
    assert e.value.field == "household_size" and e.value.message_code == "setting_household_size_range"


def test_the_grid_of_estimates_gives_exactly_what_each_pair_alone_gives():
    import random

    from dispatch.travel import estimate_minutes_to

    rng = random.Random(7)
    settings = TravelSettings(detour_factor=1.37, handling_minutes=25)
    near = [(29.0 + rng.random() / 10, 105.3 + rng.random() / 10) for _ in range(40)]  # a county's distances
    far = [(rng.uniform(-60, 60), rng.uniform(-180, 180)) for _ in range(40)]
    origins = [(rng.choice(["county", "town", "village"]), lat, lon) for lat, lon in near + far] + [("town", None, 105.3)]
    destinations = near + far + [(29.1, None)]
    grid = estimate_minutes_to(settings, origins, destinations)
    assert len(grid) == len(destinations) and all(len(row) == len(origins) for row in grid)
    for (lat2, lon2), row in zip(destinations, grid):
        for (tier, lat1, lon1), minutes in zip(origins, row):
            alone = None if None in (lat1, lon1, lat2, lon2) else estimate_minutes(settings, tier, (lat1, lon1),
                                                                                   (lat2, lon2))
            assert minutes == alone
