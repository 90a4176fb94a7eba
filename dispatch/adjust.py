"""A dispatcher's adjustments to an allocation plan, checked by the allocator's rules.

Pure: no Flask, no database. Given the problem document a plan was solved from, that plan and a
list of adjustments, ``adjust_plan`` writes the adjusted plan in the same format
(allocation-plan/1, contracts/allocation.md): the flows (depot, site, item) → units after the
adjustments, split again into lots first-expiry-first-out per (depot, item) across all of that
depot's transfers, ``unmet`` recomputed and the objective computed by the allocator's own
``plan_objective``. ``compare`` sets an adjusted plan beside another (the optimum, or the plan it
was adjusted from): objective, transport, fill rates per (site, item) and per site, and the
sites and items that lose coverage.

An adjustment is one of (``from``/``to`` are a depot and a site, as in the plan's rows)::

    {"action": "set", "from": "C0", "to": "V017", "item": "tent-12", "quantity": 80}   # 0 drops the line
    {"action": "leave_out", "depot": "T03"}                                             # all its transfers
    {"action": "add", "from": "T02", "to": "V017", "item": "tent-12", "quantity": 20}   # a line not in the plan

Every rule of "What a plan must satisfy" is checked; a broken one raises ``AdjustmentRejected``
(409) or, for a malformed adjustment, ``BadAdjustment`` (422), naming the adjustment by its
position (``field`` = ``adjustments[n].quantity``, ``params["line"]`` = n + 1) and the rule by its
``message_code``, so a page can say it in its own language.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from common.errors import DomainError, InvalidInput, Problems
from dispatch.allocator import PLAN_FORMAT, plan_objective
from dispatch.problem import MAX_QUANTITY, Problem, parse_problem

ACTIONS = ("set", "leave_out", "add")
ADJUSTED = "adjusted"

Key = tuple[str, str, str]  # (depot, site, item)


class AdjustmentRejected(DomainError):
    """An adjustment breaks a rule a plan must keep (stock, floors, expiry, routes, demand)."""

    status = 409
    code = "plan_adjustment_rejected"


class BadAdjustment(InvalidInput):
    """An adjustment that cannot be read: unknown action, depot, site or item; a bad quantity."""

    code = "plan_adjustment_invalid"


@dataclass(frozen=True)
class Adjustment:
    n: int  # position in the list
    action: str
    depot: str
    site: str | None = None
    item: str | None = None
    quantity: int | None = None

    @property
    def key(self) -> Key:
        return (self.depot, self.site, self.item)

    def params(self, **more) -> dict:
        values = {"line": self.n + 1, "depot": self.depot, "site": self.site, "item": self.item,
                  "quantity": self.quantity}
        return {k: v for k, v in {**values, **more}.items() if v is not None}


def _refusal(cls, adj_n: int, field: str, message: str, *, message_code: str, params: dict) -> DomainError:
    return cls(f"adjustment {adj_n + 1}: {message}", field=f"adjustments[{adj_n}].{field}",
               message_code=message_code, params=params)


def _refuse(cls, adj_n: int, field: str, message: str, *, message_code: str, params: dict):
    raise _refusal(cls, adj_n, field, message, message_code=message_code, params=params)


# --- reading the adjustments ---------------------------------------------------------------


def read_adjustments(problem: Problem, rows: list) -> list[Adjustment]:
    """Plain dicts → ``Adjustment``; unknown names, bad quantities and repeated lines are a 422."""
    if not isinstance(rows, list) or not rows:
        raise BadAdjustment("give at least one adjustment", field="adjustments", message_code="adjust_nothing")
    problems = Problems()  # every adjustment is read and checked; all bad ones are named at once
    read = [a for a in (problems.check(_read_one, problem, n, row, line=n + 1) for n, row in enumerate(rows)) if a]
    seen: dict[Key, int] = {}
    left_out: dict[str, int] = {}
    for adj in read:
        if adj.action == "leave_out":
            if adj.depot in left_out:
                problems.add(_refusal(BadAdjustment, adj.n, "depot", f"depot {adj.depot} is left out twice",
                                      message_code="adjust_depot_twice",
                                      params=adj.params(first=left_out[adj.depot] + 1)), line=adj.n + 1)
                continue
            left_out[adj.depot] = adj.n
        elif adj.key in seen:
            problems.add(_refusal(BadAdjustment, adj.n, "from", f"{adj.depot} → {adj.site} {adj.item} is changed twice",
                                  message_code="adjust_line_twice", params=adj.params(first=seen[adj.key] + 1)),
                         line=adj.n + 1)
        else:
            seen[adj.key] = adj.n
    for adj in read:
        if adj.action != "leave_out" and adj.depot in left_out:
            problems.add(_refusal(AdjustmentRejected, adj.n, "from", f"depot {adj.depot} is left out of the plan",
                                  message_code="adjust_depot_left_out",
                                  params=adj.params(left_out=left_out[adj.depot] + 1)), line=adj.n + 1)
    problems.raise_any("adjustments", "the adjustments")
    return read


def _read_one(problem: Problem, n: int, row) -> Adjustment:
    if not isinstance(row, dict) or row.get("action") not in ACTIONS:
        _refuse(BadAdjustment, n, "action", "action must be one of set, leave_out, add",
                message_code="adjust_bad_action", params={"line": n + 1})
    if row["action"] == "leave_out":
        depot = _known(n, row, "depot", problem.depot_index)
        return Adjustment(n, "leave_out", depot)
    depot = _known(n, row, "from", problem.depot_index)
    site = _known(n, row, "to", problem.site_index)
    item = _known(n, row, "item", problem.item_index)
    quantity = row.get("quantity")
    low = 0 if row["action"] == "set" else 1
    if isinstance(quantity, bool) or not isinstance(quantity, int) or not low <= quantity <= MAX_QUANTITY:
        _refuse(BadAdjustment, n, "quantity", f"quantity must be a whole number from {low} to {MAX_QUANTITY}",
                message_code="adjust_bad_quantity", params={"line": n + 1, "low": low})
    return Adjustment(n, row["action"], depot, site, item, quantity)


def _known(n: int, row: dict, key: str, index: dict) -> str:
    value = row.get(key)
    if isinstance(value, str) and value in index:
        return value
    message = f"{key} {value!r} is not in the problem the plan was solved from"
    params = {"line": n + 1, "code": str(value)}
    if key in ("depot", "from"):
        _refuse(BadAdjustment, n, key, message, message_code="adjust_unknown_depot", params=params)
    if key == "to":
        _refuse(BadAdjustment, n, key, message, message_code="adjust_unknown_site", params=params)
    _refuse(BadAdjustment, n, key, message, message_code="adjust_unknown_item", params=params)


# --- applying them -------------------------------------------------------------------------


def flows_of(plan: dict) -> dict[Key, int]:
    """A plan's transfers summed per (depot, site, item)."""
    flows: dict[Key, int] = defaultdict(int)
    for row in plan["transfers"]:
        flows[row["from"], row["to"], row["item"]] += row["quantity"]
    return dict(flows)


def adjust_plan(doc: dict | Problem, plan: dict, adjustments: list, status: str = ADJUSTED) -> dict:
    """The plan after the adjustments, in the format of the allocator's plans; raises on a broken rule."""
    problem = doc if isinstance(doc, Problem) else parse_problem(doc)
    adjustments = read_adjustments(problem, adjustments)
    before = flows_of(plan)
    flows = dict(before)
    problems = Problems()
    for adj in adjustments:
        if adj.action == "leave_out":
            flows = {k: u for k, u in flows.items() if k[0] != adj.depot}
            continue
        if adj.action == "set" and adj.key not in before:
            problems.add(_refusal(BadAdjustment, adj.n, "from", f"the plan sends nothing from {adj.depot} to "
                                  f"{adj.site} of {adj.item}: add the line instead", message_code="adjust_no_line",
                                  params=adj.params()), line=adj.n + 1)
        elif adj.action == "add" and adj.key in before:
            problems.add(_refusal(BadAdjustment, adj.n, "from", f"the plan already sends {adj.item} from {adj.depot} "
                                  f"to {adj.site}: change its quantity instead", message_code="adjust_line_exists",
                                  params=adj.params(planned=before[adj.key])), line=adj.n + 1)
        elif (adj.depot, adj.site) not in problem.routes and adj.quantity > 0:
            problems.add(_refusal(AdjustmentRejected, adj.n, "to", f"no allowed route from {adj.depot} to {adj.site} "
                                  f"at this response level", message_code="adjust_no_route", params=adj.params()),
                         line=adj.n + 1)
        else:
            flows[adj.key] = adj.quantity
    problems.raise_any("adjustments", "the adjustments")
    flows = {k: u for k, u in flows.items() if u > 0}
    _check_totals(problem, adjustments, before, flows)
    adjusted = {"format": PLAN_FORMAT, "status": status, "objective": 0,
                "transfers": split_fefo(problem, flows), "unmet": unmet(problem, flows)}
    adjusted["objective"] = plan_objective(problem, adjusted)
    return adjusted


def _check_totals(problem: Problem, adjustments: list[Adjustment], before: dict[Key, int],
                  flows: dict[Key, int]) -> None:
    """Shipped ≤ usable − floor per (depot, item); delivered ≤ demand per (site, item). The adjustment
    named is the last one that raised the total broken (adjustments apply together, in any order)."""
    shipped: dict[tuple[str, str], int] = defaultdict(int)
    delivered: dict[tuple[str, str], int] = defaultdict(int)
    for (depot, site, item), units in flows.items():
        shipped[depot, item] += units
        delivered[site, item] += units
    raised = [a for a in adjustments if a.action != "leave_out" and a.quantity > before.get(a.key, 0)]
    broken = []
    for adj in raised:
        if adj is _last(raised, lambda a: (a.site, a.item) == (adj.site, adj.item)):
            total, demand = delivered[adj.site, adj.item], problem.demand.get((adj.site, adj.item), 0)
            if total > demand:
                broken.append((adj.n, lambda adj=adj, total=total, demand=demand: _demand_error(adj, total, demand)))
        if adj is _last(raised, lambda a: (a.depot, a.item) == (adj.depot, adj.item)):
            total = shipped[adj.depot, adj.item]
            if total > problem.available(adj.depot, adj.item):
                broken.append((adj.n, lambda adj=adj, total=total: _stock_error(problem, adj, total)))
    # every adjustment breaking a rule, in their order; on one adjustment, the site's need before the stock
    problems, named = Problems(), set()
    for n, fail in sorted(broken, key=lambda b: b[0]):
        if n not in named:
            named.add(n)
            problems.check(fail, line=n + 1)
    problems.raise_any("adjustments", "the adjustments")


def _last(adjustments: list[Adjustment], match) -> Adjustment | None:
    found = [a for a in adjustments if match(a)]
    return found[-1] if found else None


def _stock_error(problem: Problem, adj: Adjustment, total: int):
    usable = sum(lot.quantity for lot in problem.usable_lots(adj.depot, adj.item))
    held = problem.held(adj.depot, adj.item)
    floor = problem.floors.get((adj.depot, adj.item), 0)
    params = adj.params(total=total, usable=usable, floor=floor, available=problem.available(adj.depot, adj.item),
                        unusable=held - usable, usable_from=problem.usable_from.isoformat())
    where = f"{adj.depot} would send {total} of {adj.item}"
    if usable == 0 and held > 0:
        _refuse(AdjustmentRejected, adj.n, "quantity", f"{where}, but all its {held} expire before "
                f"{problem.usable_from.isoformat()}", message_code="adjust_expired", params=params)
    if usable == 0:
        _refuse(AdjustmentRejected, adj.n, "quantity", f"{where}, but holds none", message_code="adjust_no_stock",
                params=params)
    if total <= usable:
        _refuse(AdjustmentRejected, adj.n, "quantity", f"{where}, but must keep its floor of {floor} of the "
                f"{usable} usable: at most {params['available']}", message_code="adjust_floor", params=params)
    _refuse(AdjustmentRejected, adj.n, "quantity", f"{where}, but holds only {usable} usable (less a floor of "
            f"{floor}: at most {params['available']})", message_code="adjust_over_stock", params=params)


def _demand_error(adj: Adjustment, total: int, demand: int):
    params = adj.params(total=total, demand=demand)
    if demand == 0:
        _refuse(AdjustmentRejected, adj.n, "item", f"{adj.site} needs no {adj.item}", message_code="adjust_not_needed",
                params=params)
    _refuse(AdjustmentRejected, adj.n, "quantity", f"{adj.site} would receive {total} of {adj.item}, more than "
            f"its need of {demand}", message_code="adjust_over_demand", params=params)


# --- writing the plan ----------------------------------------------------------------------


def split_fefo(problem: Problem, flows: dict[Key, int]) -> list[dict]:
    """One row per lot: each (depot, item)'s flows, sites in id order, take its usable lots in FEFO
    order; rows sorted by depot, site, item, FEFO within (as the allocator writes them)."""
    by_source: dict[tuple[str, str], list[tuple[str, int]]] = defaultdict(list)
    for (depot, site, item), units in sorted(flows.items()):
        by_source[depot, item].append((site, units))
    rows: dict[Key, list[dict]] = {}
    for (depot, item), outgoing in by_source.items():
        lots = iter(problem.usable_lots(depot, item))
        lot, left = None, 0
        for site, units in outgoing:
            taken = rows.setdefault((depot, site, item), [])
            while units:
                if not left:
                    lot = next(lots)  # the totals were checked: the usable lots suffice
                    left = lot.quantity
                quantity = min(units, left)
                taken.append({"from": depot, "to": site, "item": item, "lot": lot.lot, "quantity": quantity,
                              "minutes": problem.routes[depot, site]})
                units -= quantity
                left -= quantity
    return [row for key in sorted(rows) for row in rows[key]]


def unmet(problem: Problem, flows: dict[Key, int]) -> list[dict]:
    delivered: dict[tuple[str, str], int] = defaultdict(int)
    for (_, site, item), units in flows.items():
        delivered[site, item] += units
    return [{"site": site, "item": item, "quantity": quantity - delivered[site, item]}
            for (site, item), quantity in problem.demand.items() if quantity > delivered[site, item]]


# --- comparing plans -----------------------------------------------------------------------


def _rate(delivered: int, demand: int) -> float:
    return round(delivered / demand, 4) if demand else 1.0


def fill_rates(problem: Problem, plan: dict) -> dict:
    """Fill rates per (site, item) with demand, per site (units of all items together) and overall."""
    delivered: dict[tuple[str, str], int] = defaultdict(int)
    for row in plan["transfers"]:
        delivered[row["to"], row["item"]] += row["quantity"]
    lines = [{"site": s, "item": i, "demand": q, "delivered": delivered[s, i], "fill_rate": _rate(delivered[s, i], q)}
             for (s, i), q in sorted(problem.demand.items()) if q > 0]
    sites: dict[str, list[int]] = {}
    for line in lines:
        total = sites.setdefault(line["site"], [0, 0])
        total[0] += line["demand"]
        total[1] += line["delivered"]
    demand, got = sum(x["demand"] for x in lines), sum(x["delivered"] for x in lines)
    return {"lines": lines,
            "sites": [{"site": s, "demand": q, "delivered": d, "fill_rate": _rate(d, q)}
                      for s, (q, d) in sites.items()],
            "total": {"demand": demand, "delivered": got, "unmet": demand - got, "fill_rate": _rate(got, demand)}}


def transport(plan: dict) -> int:
    """Unit-minutes on the road: sum of quantity × route minutes."""
    return sum(row["quantity"] * row["minutes"] for row in plan["transfers"])


def compare(doc: dict | Problem, base: dict, plan: dict) -> dict:
    """``plan`` beside ``base``: objective (lower is better) and transport, fill rates side by side,
    and the (site, item) lines and sites whose fill rate is lower in ``plan`` (coverage lost)."""
    problem = doc if isinstance(doc, Problem) else parse_problem(doc)
    was, now = fill_rates(problem, base), fill_rates(problem, plan)
    lines = [{**b, "base_delivered": a["delivered"], "base_fill_rate": a["fill_rate"],
              "loses": b["delivered"] < a["delivered"], "gains": b["delivered"] > a["delivered"]}
             for a, b in zip(was["lines"], now["lines"])]
    base_sites = {s["site"]: s for s in was["sites"]}
    sites = [{**s, "base_delivered": base_sites[s["site"]]["delivered"],
              "base_fill_rate": base_sites[s["site"]]["fill_rate"],
              "loses": any(x["loses"] for x in lines if x["site"] == s["site"]),
              "lost_items": [x["item"] for x in lines if x["site"] == s["site"] and x["loses"]]}
             for s in now["sites"]]
    return {
        "objective": {"base": base["objective"], "plan": plan["objective"],
                      "delta": plan["objective"] - base["objective"]},
        "transport": {"base": transport(base), "plan": transport(plan), "delta": transport(plan) - transport(base)},
        "total": {"base": was["total"], "plan": now["total"],
                  "delta": {"delivered": now["total"]["delivered"] - was["total"]["delivered"],
                            "fill_rate": round(now["total"]["fill_rate"] - was["total"]["fill_rate"], 4)}},
        "lines": lines,
        "sites": sites,
        "losing_sites": [s["site"] for s in sites if s["loses"]],
    }
