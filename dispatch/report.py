"""Reading a plan as a dispatcher does: fill rates, what is unmet and why, what leaves each depot,
and how many trucks that takes. Plain Python over the problem and plan documents."""
import math
from dispatch.problem import Problem, parse_problem

NO_STOCK = "no_usable_stock"  # nowhere holds usable units of the item
NO_ROUTE = "no_route_in_time"  # stock exists, but no depot holding it may reach the site in time
FLOORS = "held_by_floors"  # the depots that can reach the site hold only their reserve floors
SHORTAGE = "shared_shortage"  # reachable stock is all allocated, shared fairly with other sites


def explain(doc: dict, plan: dict, vehicle_kg: float, vehicle_m3: float, problem: Problem | None = None) -> dict:
    """``problem``: the document already parsed, when the caller has it (planning does)."""
    usable, expired = _stock_by_group(problem or parse_problem(doc))
    floors = {(f["depot"], f["item"]): f["quantity"] for f in doc.get("floors", [])}
    reach: dict[str, list[str]] = {}
    for r in doc["routes"]:
        reach.setdefault(r["to"], []).append(r["from"])
    flows = _flows(plan)
    delivered: dict[tuple[str, str], int] = {}
    for (_, to, item), units in flows.items():
        delivered[(to, item)] = delivered.get((to, item), 0) + units
    unmet = {(u["site"], u["item"]): u["quantity"] for u in plan["unmet"]}

    stocked = {i for (_, i), q in usable.items() if q > 0}
    fill = []
    for d in doc["demand"]:
        key = (d["site"], d["item"])
        got = delivered.get(key, 0)
        line = {"site": d["site"], "item": d["item"], "demand": d["quantity"], "delivered": got,
                "fill_rate": round(got / d["quantity"], 4) if d["quantity"] else 1.0}
        if key in unmet:
            line["unmet"] = unmet[key]
            line["reason"] = _reason(d["item"], reach.get(d["site"], []), usable, floors, stocked)
            line["expired_units_elsewhere"] = expired.get(d["item"], 0)
        fill.append(line)
    return {"fill": fill, "outflows": _outflows(doc, flows, vehicle_kg, vehicle_m3),
            "totals": {"demand": sum(d["quantity"] for d in doc["demand"]),
                       "delivered": sum(delivered.values()), "unmet": sum(unmet.values())}}


def _stock_by_group(problem: Problem) -> tuple[dict[tuple[str, str], int], dict[str, int]]:
    """Usable units per (depot, item), and units in lots too close to expiry (or past it) per item, read off the
    problem's lot table by group rather than lot by lot (a city's problem holds 16,000 lots)."""
    table, n_items = problem.stock, max(len(problem.items), 1)
    usable_units = (table.cum[table.group_end] - table.cum[table.group_usable]).tolist()
    unusable_units = (table.cum[table.group_usable] - table.cum[table.group_start]).tolist()
    usable: dict[tuple[str, str], int] = {}
    expired: dict[str, int] = {}
    for key, units, old in zip(table.group_key.tolist(), usable_units, unusable_units):
        item = problem.items[key % n_items]
        usable[(problem.depots[key // n_items], item)] = units
        if old:
            expired[item] = expired.get(item, 0) + old
    return usable, expired


def _reason(item: str, sources: list[str], usable: dict, floors: dict, stocked: set[str]) -> str:
    if item not in stocked:
        return NO_STOCK
    reachable = [usable.get((d, item), 0) for d in sources]
    if sum(reachable) == 0:
        return NO_ROUTE
    free = sum(max(0, usable.get((d, item), 0) - floors.get((d, item), 0)) for d in sources)
    return FLOORS if free == 0 else SHORTAGE


def _flows(plan: dict) -> dict[tuple[str, str, str], int]:
    """Units per (depot, site, item): a plan's transfers are lot by lot, several to a flow."""
    flows: dict[tuple[str, str, str], int] = {}
    for t in plan["transfers"]:
        key = (t["from"], t["to"], t["item"])
        flows[key] = flows.get(key, 0) + t["quantity"]
    return flows


def _outflows(doc: dict, flows: dict, vehicle_kg: float, vehicle_m3: float) -> list[dict]:
    """What leaves each depot, and trucks counted per destination (one load does not serve two sites)."""
    size = {i["id"]: (i.get("weight_kg", 0.0), i.get("volume_m3", 0.0)) for i in doc["items"]}
    loads: dict[tuple[str, str], list[float]] = {}
    lines: dict[str, dict[str, int]] = {}
    for (frm, to, item), units in flows.items():
        kg, m3 = size[item]
        load = loads.setdefault((frm, to), [0.0, 0.0])
        load[0] += units * kg
        load[1] += units * m3
        depot_lines = lines.setdefault(frm, {})
        depot_lines[item] = depot_lines.get(item, 0) + units
    legs_from: dict[str, list[tuple[str, float, float]]] = {}
    for (frm, to), (kg, m3) in sorted(loads.items()):
        legs_from.setdefault(frm, []).append((to, kg, m3))
    result = []
    for code in sorted(lines):
        legs = legs_from[code]
        trucks = sum(max(1, _ceil(kg / vehicle_kg), _ceil(m3 / vehicle_m3)) for _, kg, m3 in legs)
        result.append({"depot": code, "items": [{"item": i, "quantity": q} for i, q in sorted(lines[code].items())],
                       "destinations": len(legs), "weight_kg": round(sum(kg for _, kg, _ in legs), 1),
                       "volume_m3": round(sum(m3 for _, _, m3 in legs), 2), "trucks": trucks})
    return result


def _ceil(x: float) -> int:
    return math.ceil(round(x, 6))
