"""routing-problem/1 documents: every rejection rule of contracts/routing.md, with its field path, all at once."""
import copy

import pytest

from transport.planner import BadRoutingProblem, plan_routes
from transport.problem import parse_problem


def doc():
    return {
        "format": "routing-problem/1", "dimensions": ["kg", "m3x100"], "locations": ["C0", "T03", "V017"],
        "minutes": [[0, 40, 95], [40, 0, 60], [95, 60, 0]],
        "vehicles": [{"id": "鲁A-1234", "start": "C0", "end": "C0", "capacity": [5000, 2400],
                      "available_from": 0, "available_until": 1440, "fixed_cost": 0, "max_trips": 3,
                      "reload_minutes": 30},
                     {"id": "鲁A-5678", "start": "T03", "capacity": [2000, 1000]}],
        "stops": [{"id": "DO-0007", "location": "V017", "from": "C0", "load": [1800, 900], "service_minutes": 20,
                   "window": [0, 600]},
                  {"id": "DO-0008", "location": "T03", "load": [100, 50]}],
        "time_limit_seconds": 1,
    }


def errors_of(document) -> dict:
    with pytest.raises(BadRoutingProblem) as caught:
        parse_problem(document)
    e = caught.value
    assert e.status == 422 and e.details["fields"] == {x["path"]: x["message"] for x in e.errors}
    return e.details["fields"]


def test_a_good_document_reads_with_defaults_and_unknown_keys_ignored():
    d = doc()
    d["colour"] = "red"
    d["stops"][1]["note"] = "anything"
    p = parse_problem(d)
    assert [v.id for v in p.vehicles] == ["鲁A-1234", "鲁A-5678"]
    second = p.vehicles[1]
    assert (second.end, second.available_from, second.available_until, second.max_trips, second.reload_minutes,
            second.fixed_cost) == (1, 0, None, 1, 0, 0)
    stop = p.stops[1]
    assert (stop.source, stop.service_minutes, stop.earliest, stop.latest) == (None, 0, 0, None)
    assert p.time_limit_seconds == 1 and parse_problem({**d, "time_limit_seconds": 5}).time_limit_seconds == 5
    del d["time_limit_seconds"]
    assert parse_problem(d).time_limit_seconds == 5


@pytest.mark.parametrize("change, path", [
    (lambda d: d["stops"][0].update(location="X9"), "stops[0].location"),
    (lambda d: d["stops"][0].update({"from": "X9"}), "stops[0].from"),
    (lambda d: d["vehicles"][0].update(start="X9"), "vehicles[0].start"),
    (lambda d: d["vehicles"][1].update(end="X9"), "vehicles[1].end"),
    (lambda d: d["minutes"].pop(), "minutes"),
    (lambda d: d["minutes"][1].pop(), "minutes[1]"),
    (lambda d: d["minutes"][0].__setitem__(1, -4), "minutes[0][1]"),
    (lambda d: d["minutes"][0].__setitem__(1, 2.5), "minutes[0][1]"),
    (lambda d: d["minutes"][0].__setitem__(1, True), "minutes[0][1]"),
    (lambda d: d["minutes"][0].__setitem__(1, "40"), "minutes[0][1]"),
    (lambda d: d["minutes"][2].__setitem__(2, 5), "minutes[2][2]"),
    (lambda d: d["stops"][0].update(load=[1800]), "stops[0].load"),
    (lambda d: d["stops"][0].update(load=[1800, -1]), "stops[0].load[1]"),
    (lambda d: d["stops"][0].update(load=[1800.0, 900]), "stops[0].load[0]"),
    (lambda d: d["vehicles"][0].update(capacity=[5000, 2400, 1]), "vehicles[0].capacity"),
    (lambda d: d["vehicles"][0].update(capacity=[-5000, 2400]), "vehicles[0].capacity[0]"),
    (lambda d: d["stops"][0].update(load=[5001, 900]), "stops[0].load"),  # only 鲁A-1234 starts at C0
    (lambda d: d["stops"][1].update(load=[9000, 900]), "stops[1].load"),  # no vehicle at all holds it
    (lambda d: d["stops"][0].update({"from": "V017"}), "stops[0].load"),  # no vehicle starts there
    (lambda d: d["stops"][0].update({"from": "V017"}), "stops[0].from"),
    (lambda d: d.update(vehicles=[]), "stops[0].load"),
    (lambda d: d["vehicles"][1].update(id="鲁A-1234"), "vehicles[1].id"),
    (lambda d: d["stops"][1].update(id="DO-0007"), "stops[1].id"),
    (lambda d: d["locations"].append("C0"), "locations[3]"),
    (lambda d: d["stops"][0].update(window=[600, 599]), "stops[0].window"),
    (lambda d: d["stops"][0].update(window=[0]), "stops[0].window"),
    (lambda d: d["stops"][0].update(window=[0, False]), "stops[0].window[1]"),
    (lambda d: d["stops"][0].update(service_minutes=1.5), "stops[0].service_minutes"),
    (lambda d: d["vehicles"][0].update(available_until=-1), "vehicles[0].available_until"),
    (lambda d: d["vehicles"][0].update(available_from=100, available_until=50), "vehicles[0].available_until"),
    (lambda d: d["vehicles"][0].update(max_trips=0), "vehicles[0].max_trips"),
    (lambda d: d["vehicles"][0].update(reload_minutes=-1), "vehicles[0].reload_minutes"),
    (lambda d: d["vehicles"][0].update(fixed_cost=True), "vehicles[0].fixed_cost"),
    (lambda d: d["update"] if False else d.update(format="routing-problem/2"), "format"),
    (lambda d: d.update(time_limit_seconds=0), "time_limit_seconds"),
    (lambda d: d.update(time_limit_seconds=2.5), "time_limit_seconds"),
    (lambda d: d.update(dimensions=[]), "dimensions"),
    (lambda d: d.pop("stops"), "stops"),
    (lambda d: d.update(vehicles="many"), "vehicles"),
    (lambda d: d["stops"].append(7), "stops[2]"),
])
def test_each_rule_is_refused_with_its_field(change, path):
    d = doc()
    change(d)
    fields = errors_of(d)
    assert path in fields, fields


def test_every_problem_is_named_at_once_and_the_planner_raises_the_same_error():
    d = doc()
    d["minutes"][0][1] = -1
    d["stops"][0]["location"] = "nowhere"
    d["vehicles"][1]["capacity"] = [1]
    d["stops"][1]["window"] = [10, 5]
    fields = errors_of(copy.deepcopy(d))
    assert {"minutes[0][1]", "stops[0].location", "vehicles[1].capacity", "stops[1].window"} <= set(fields)
    with pytest.raises(BadRoutingProblem) as caught:
        plan_routes(d)
    assert len(caught.value.errors) >= 4 and caught.value.code == "bad_routing_problem"


@pytest.mark.parametrize("value", [None, [], "text", 3])
def test_not_an_object(value):
    assert errors_of(value) == {"$": "must be a JSON object (a routing problem)"}
