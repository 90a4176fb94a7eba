"""The transfer orders of orders_helpers' stocked county, approved, and vehicles for them.

    C1 → S-1 (DO-<i>-1, 450 kg) · C1 → T1-V1 (DO-<i>-2, 2,025 kg) · C1 → T2-V1 (DO-<i>-3, 270 kg) · T1 → T1-V1 (DO-<i>-4)
"""
from orders import services as orders
from tests.conftest import bearer
from tests.integration.orders_helpers import NOW, make_stocked
from transport import fleet

TRUCK = {"kind": "own", "capacity_kg": 5000, "capacity_m3": 20, "home_depot": "C1"}


def approved(engine, county):
    st = make_stocked(engine, county)
    orders.approve_plan(engine, county.dispatcher, NOW, incident_id=st.incident, plan_id=st.plan)
    return st


def add_vehicle(engine, county, plate: str, **changes) -> dict:
    return fleet.create_vehicle(engine, county.admin, fleet.VehicleFields(**{**TRUCK, "plate": plate, **changes}), NOW)


def post(client, county, who: str, path: str, body: dict | None = None):
    return client.post(path, json=body if body is not None else {}, headers=bearer(county, who))


def greedy_plan(doc: dict) -> dict:
    """A plain planner for the storage tests (the quality of the routes is the planner's, tested there): each stop
    on the first vehicle from its depot with room, in the document's order, one trip, within its window."""
    index = {c: i for i, c in enumerate(doc["locations"])}
    minutes = lambda a, b: doc["minutes"][index[a]][index[b]]  # noqa: E731
    routes = {v["id"]: {"vehicle": v["id"], "stops": [], "load": [0, 0], "here": v["start"],
                        "t": v.get("available_from", 0), "minutes": 0, "v": v} for v in doc["vehicles"]}
    unserved = []
    for stop in doc["stops"]:
        for r in routes.values():
            v = r["v"]
            if v["start"] != stop.get("from", v["start"]) or any(
                    a + b > c for a, b, c in zip(r["load"], stop["load"], v["capacity"])):
                continue
            arrive = r["t"] + minutes(r["here"], stop["location"])
            if arrive > stop.get("window", [0, 10**9])[1]:
                continue
            leave = arrive + stop.get("service_minutes", 0)
            r["stops"].append({"stop": stop["id"], "arrive": arrive, "start": arrive, "leave": leave})
            r["minutes"] += minutes(r["here"], stop["location"])
            r["load"] = [a + b for a, b in zip(r["load"], stop["load"])]
            r["t"], r["here"] = leave, stop["location"]
            break
        else:
            unserved.append({"stop": stop["id"], "reason": "too_late"})
    out = []
    for r in routes.values():
        if r["stops"]:
            back = minutes(r["here"], r["v"]["end"])
            out.append({"vehicle": r["vehicle"], "minutes": r["minutes"] + back, "load": r["load"],
                        "stops": r["stops"], "back": r["t"] + back})
    return {"format": "routing-plan/1", "status": "feasible", "routes": out, "unserved": unserved,
            "total_minutes": sum(r["minutes"] for r in out), "vehicles_used": len(out), "solve_seconds": 0.0}
