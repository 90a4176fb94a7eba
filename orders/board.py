"""What the dispatcher's board (/incidents/<id>/board) and the approval page read, as plain results.

The board of an incident: every order and line with its state, per destination site what was delivered so far
against the needs (``dispatch.incidents.needs_for``), the lines late against the level's time target (declared at
+ ``time_target_minutes``, for lines not fully received, at ``now``), each order's history and the
reconciliation per item (``services.reconciliation``). A handful of queries whatever the number of orders.
"""
import json
from datetime import datetime, timedelta

from sqlmodel import Session, select

from common.errors import NotFound
from common.actor import ADMIN, AUDITOR, DISPATCHER, Actor
from dispatch import incidents
from dispatch.models import Plan, Shelter
from dispatch.settings import read_levels
from inventory.models import Depot, Item
from orders import rules, services
from orders.flows import Flow, by_destination, by_source
from orders.models import TransferEvent, TransferLine, TransferOrder

DONE = (rules.RECEIVED, rules.CANCELLED)  # line states that can no longer be late


def deadline(declared_at: datetime, level: str, levels: list[dict]) -> tuple[int | None, datetime | None]:
    """The level's time target in minutes and when it falls (None when the level has no rule)."""
    minutes = next((r["time_target_minutes"] for r in levels if r["level"] == level), None)
    return minutes, (declared_at + timedelta(minutes=minutes) if minutes else None)


def is_late(line_state: str, due: datetime | None, now: datetime) -> bool:
    """A line not fully received (nor cancelled) once the time target has passed."""
    return due is not None and now > due and line_state not in DONE


def _names(s, codes: set[str]) -> dict[str, str]:
    if not codes:
        return {}
    names = dict(s.exec(select(Depot.code, Depot.name).where(Depot.code.in_(codes))).all())
    names.update({c: n for c, n in s.exec(select(Shelter.code, Shelter.name).where(Shelter.code.in_(codes))).all()
                  if c not in names})
    return names


def _items(s, codes: set[str]) -> dict[str, dict]:
    if not codes:
        return {}
    return {i.code: {"code": i.code, "name_zh": i.name_zh, "name_en": i.name_en, "unit": i.unit}
            for i in s.exec(select(Item).where(Item.code.in_(codes))).all()}


# ---------------------------------------------------------------- before approval


def plan_flows(engine, actor: Actor, incident_id: int) -> dict:
    """The incident's latest plan as who sends what to whom (for the approval page), and whether it is approved
    already (its orders' codes)."""
    actor.require_role(ADMIN, DISPATCHER, AUDITOR)
    with Session(engine) as s:
        incidents.incident_dict(s, incidents._incident(s, incident_id))  # an unknown incident is a 404
        row = s.exec(select(Plan).where(Plan.incident_id == incident_id).order_by(Plan.id.desc())).first()
        if row is None:
            raise NotFound(f"incident {incident_id} has no plan yet", field="incident", message_code="plan_none_yet",
                           params={"incident": incident_id})
        doc = json.loads(row.plan)
        flows = [Flow(t["from"], t["to"], t["item"], int(t["quantity"])) for t in doc.get("transfers") or []]
        codes = {f.source for f in flows} | {f.destination for f in flows}
        names = _names(s, codes)
        items = _items(s, {f.item for f in flows})
        orders = s.exec(select(TransferOrder.plan_id, TransferOrder.state)
                        .where(TransferOrder.incident_id == incident_id)).all()
    return {"plan": row.id, "created_at": row.created_at, "status": doc.get("status"), "names": names, "items": items,
            "by_destination": by_destination(flows), "by_source": by_source(flows),
            "units": sum(f.quantity for f in flows), "pairs": len({(f.source, f.destination) for f in flows}),
            "approved": any(p == row.id for p, _ in orders),
            "live_orders": sum(1 for _, state in orders if state != rules.CANCELLED)}


# ---------------------------------------------------------------- the board


def board(engine, actor: Actor, incident_id: int, now: datetime, today) -> dict:
    actor.require_role(ADMIN, DISPATCHER, AUDITOR)
    incident = incidents.get(engine, actor, incident_id)
    needs = incidents.needs_for(engine, actor, incident_id, today)["lines"]
    target, due = deadline(incident["declared_at"], incident["level"], read_levels(engine))
    with Session(engine) as s:
        orders = s.exec(select(TransferOrder).where(TransferOrder.incident_id == incident_id)
                        .order_by(TransferOrder.id)).all()
        ids = [o.id for o in orders]
        lines = s.exec(select(TransferLine, Item.code).join(Item, Item.id == TransferLine.item_id)
                       .where(TransferLine.order_id.in_(ids or [-1])).order_by(TransferLine.order_id, Item.code)).all()
        events = s.exec(select(TransferEvent).where(TransferEvent.order_id.in_(ids or [-1]))
                        .order_by(TransferEvent.order_id, TransferEvent.id)).all()
        depot_codes = dict(s.exec(select(Depot.id, Depot.code).where(
            Depot.id.in_({o.source_depot_id for o in orders} or {-1}))).all())
        codes = set(depot_codes.values()) | {o.destination_code for o in orders} | {n["site"] for n in needs}
        names = _names(s, codes)
        items = _items(s, {code for _, code in lines} | {n["item"] for n in needs})
    reconciliation = services.reconciliation(engine, actor, incident_id)["items"] if orders else []

    lines_of: dict[int, list[dict]] = {}
    for line, item in lines:
        lines_of.setdefault(line.order_id, []).append((line, item))
    history: dict[int, list[dict]] = {}
    for e in events:
        history.setdefault(e.order_id, []).append({"action": e.action, "user": e.username, "at": e.at,
                                                   "details": json.loads(e.details)})

    out_orders, flows = [], []
    per_site: dict[tuple[str, str], dict[str, int]] = {}
    line_states: dict[str, int] = {}
    late_lines = 0
    for o in orders:
        source = depot_codes[o.source_depot_id]
        rows = []
        for line, item in lines_of.get(o.id, []):
            q = services._quantities(line)
            state = rules.line_state(o.state, q)
            late = is_late(state, due, now)
            late_lines += late
            line_states[state] = line_states.get(state, 0) + 1
            rows.append({"item": item, "state": state, "late": late, "planned": q.planned, "picked": q.picked,
                         "shipped": q.shipped, "received": q.received, "short": q.short, "damaged": q.damaged,
                         "in_transit": q.in_transit})
            if o.state != rules.CANCELLED:
                flows.append(Flow(source, o.destination_code, item, q.planned, o.code, o.state))
                got = per_site.setdefault((o.destination_code, item), {"planned": 0, "shipped": 0, "received": 0,
                                                                        "in_transit": 0, "lost": 0})
                got["planned"] += q.planned
                got["shipped"] += q.shipped
                got["received"] += q.received
                got["in_transit"] += q.in_transit
                got["lost"] += q.short + q.damaged
        out_orders.append({
            "code": o.code, "state": o.state, "source": source, "destination": o.destination_code,
            "destination_kind": o.destination_kind, "approved_at": o.approved_at, "shipped_at": o.shipped_at,
            "cancelled_at": o.cancelled_at, "cancel_reason": o.cancel_reason,
            "cancellable": o.state in rules.ALLOWED[rules.CANCEL], "lines": rows,
            "late": any(r["late"] for r in rows), "history": history.get(o.id, []),
            "planned": sum(r["planned"] for r in rows), "received": sum(r["received"] for r in rows),
            "in_transit": sum(r["in_transit"] for r in rows)})

    sites = _sites(needs, per_site, out_orders, names)
    order_states: dict[str, int] = {}
    for o in out_orders:
        order_states[o["state"]] = order_states.get(o["state"], 0) + 1
    return {
        "incident": incident, "target_minutes": target, "due": due, "overdue": due is not None and now > due,
        "now": now, "orders": out_orders, "sites": sites, "names": names, "items": items,
        "by_source": by_source(flows), "reconciliation": reconciliation,
        "totals": {"orders": len(out_orders), "order_states": order_states, "line_states": line_states,
                   "late_lines": late_lines, "needed": sum(x["needed"] for x in sites),
                   "received": sum(x["received"] for x in sites), "in_transit": sum(x["in_transit"] for x in sites),
                   "reconciled": all(r["holds"] for r in reconciliation)},
    }


def _sites(needs: list[dict], per_site: dict, orders: list[dict], names: dict) -> list[dict]:
    """Per destination site: each item's need (what is to be sent after the site's own stock) against what was
    planned, shipped, received and is in transit, and the orders arriving there. What the orders brought to a
    village point is in its own stock now: it is not counted twice, so the need stays what it was before."""
    sites: dict[str, dict] = {}

    def site(code, people=None):
        return sites.setdefault(code, {"code": code, "name": names.get(code, code), "people": people,
                                       "items": {}, "orders": []})

    for n in needs:
        site(n["site"], n["people"])["items"][n["item"]] = {"item": n["item"], "gross": n["gross"],
                                                            "own_stock": n["own_stock"], "needed": n["net"],
                                                            "planned": 0, "shipped": 0, "received": 0,
                                                            "in_transit": 0, "lost": 0}
    for (code, item), got in per_site.items():
        row = site(code)["items"].setdefault(item, {"item": item, "needed": 0, "planned": 0, "shipped": 0,
                                                   "received": 0, "in_transit": 0, "lost": 0})
        row.update(got)
    for o in orders:
        site(o["destination"])["orders"].append(o)
    arranged = []
    for code in sorted(sites):
        x = sites[code]
        rows = sorted(x["items"].values(), key=lambda r: r["item"])
        for r in rows:
            if "gross" in r:
                r["needed"] = max(0, r["gross"] - max(0, r["own_stock"] - r["received"]))
            r["missing"] = max(0, r["needed"] - r["received"])
        needed = sum(r["needed"] for r in rows)
        received = sum(min(r["received"], r["needed"]) for r in rows)
        arranged.append({**x, "items": rows, "needed": needed, "received": received,
                         "in_transit": sum(r["in_transit"] for r in rows),
                         "rate": received / needed if needed else 1.0,
                         "late": any(o["late"] for o in x["orders"])})
    return arranged


def incident_orders(engine, actor: Actor, incident_id: int) -> dict:
    """A few numbers for the incident page: how many orders, in which states (none: nothing approved yet)."""
    actor.require_role(ADMIN, DISPATCHER, AUDITOR)
    with Session(engine) as s:
        rows = s.exec(select(TransferOrder.plan_id, TransferOrder.state)
                      .where(TransferOrder.incident_id == incident_id)).all()
    states: dict[str, int] = {}
    for _, state in rows:
        states[state] = states.get(state, 0) + 1
    return {"count": len(rows), "states": states,
            "plans": sorted({p for p, state in rows if state != rules.CANCELLED and p is not None})}
