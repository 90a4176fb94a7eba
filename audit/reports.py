"""The auditor's reports, read side only (no Flask): each takes plain values — the engine, who is asking,
the filters, today — and returns rows and totals as plain dicts, scoped to what the actor may read.

Impossible filters (end before start, an unknown depot or item, a window of zero days) raise
``InvalidInput`` naming the field. Expiry dates are county-local dates; ledger times are shown in the
county's time zone (``tz``).
"""
import math
from collections import defaultdict
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, select

from accounts.models import User
from audit import settings as audit_settings
from audit.models import OPEN_STATUSES, RotationTask
from common.actor import Actor
from common.errors import InvalidInput, NotFound
from dispatch.models import ReserveFloor, Shelter
from dispatch.norms import gross_need
from dispatch.stock_read import SUPPLYING_MODES
from dispatch.settings import load_levels, load_norms, load_settings
from inventory import queries
from inventory.ledger import ISSUE, WRITE_OFF
from inventory.models import CATEGORIES, TIERS, Depot, Item, Lot, Movement, WriteOffRequest

DEFAULT_TZ = "Asia/Shanghai"
TIMELINE_MONTHS = 12


# ---------------------------------------------------------------- filters


@dataclass(frozen=True)
class Filters:
    """What every report can be narrowed by. ``depot`` alone is that depot; with ``subtree`` also the depots
    under it. ``start`` / ``end`` are county-local dates, both included."""

    depot: str | None = None
    subtree: bool = False
    tier: str | None = None
    category: str | None = None
    item: str | None = None
    start: date | None = None
    end: date | None = None

    def describe(self) -> dict:
        return {k: v for k, v in asdict(self).items() if v not in (None, False)}


def check_filters(f: Filters) -> Filters:
    if f.tier is not None and f.tier not in TIERS:
        raise InvalidInput(f"tier must be one of {', '.join(TIERS)}, got {f.tier!r}", field="tier")
    if f.category is not None and f.category not in CATEGORIES:
        raise InvalidInput(f"category must be one of {', '.join(CATEGORIES)}, got {f.category!r}", field="category")
    if f.start and f.end and f.end < f.start:
        raise InvalidInput(f"end ({f.end.isoformat()}) is before start ({f.start.isoformat()})", field="end")
    if f.subtree and f.depot is None:
        raise InvalidInput("subtree needs a depot whose sub-depots to include", field="subtree")
    return f


def _scope(s: Session, actor: Actor, f: Filters) -> list:
    """WHERE clauses on Depot (joined) and Item (joined) for the filters and what the actor may read."""
    check_filters(f)
    where = []
    if f.depot is not None:
        depot = s.exec(select(Depot).where(Depot.code == f.depot)).first()
        if depot is None:
            raise InvalidInput(f"no depot with code {f.depot}", field="depot")
        actor.require_read_depot(depot.id, depot.code)
        where.append(Depot.path.startswith(depot.path) if f.subtree else Depot.id == depot.id)
    if f.tier is not None:
        where.append(Depot.tier == f.tier)
    if not actor.reads_everything:
        where.append(Depot.id.in_(actor.depot_ids or {-1}))
    if f.item is not None:
        if s.exec(select(Item.id).where(Item.code == f.item)).first() is None:
            raise InvalidInput(f"no item with code {f.item}", field="item")
        where.append(Item.code == f.item)
    if f.category is not None:
        where.append(Item.category == f.category)
    return where


def local_midnight_utc(day: date, tz: str) -> datetime:
    return datetime.combine(day, time(0), tzinfo=ZoneInfo(tz)).astimezone(timezone.utc)


def _time_window(f: Filters, tz: str) -> list:
    where = []
    if f.start is not None:
        where.append(Movement.created_at >= local_midnight_utc(f.start, tz))
    if f.end is not None:
        where.append(Movement.created_at < local_midnight_utc(f.end + timedelta(days=1), tz))
    return where


def _item_fields(item: Item) -> dict:
    return {"item": item.code, "item_name": item.name_zh, "item_name_en": item.name_en, "category": item.category,
            "unit": item.unit}


def _depot_fields(depot: Depot) -> dict:
    return {"depot": depot.code, "depot_name": depot.name, "tier": depot.tier}


def _params(f: Filters, today: date, **more) -> dict:
    return {**f.describe(), "today": today, **{k: v for k, v in more.items() if v is not None}}


# ---------------------------------------------------------------- 1. expiry (临期/过期)


def expiry(engine, actor: Actor, today: date, filters: Filters = Filters(), windows=None,
           limit: int | None = None) -> dict:
    """Lots on hand that have expired or expire within the windows (30 / 60 / 90 days unless given), the
    smallest window each falls in, units and value where a unit price exists; and the timeline: units
    expiring per month over the next 12 months (this month first) by category. ``limit`` (pages): only the
    first lots (soonest expiry first) are listed; windows and totals count every lot all the same."""
    with Session(engine) as s:
        windows = audit_settings.check_windows(windows if windows is not None else
                                               audit_settings.load(s).expiry_windows)
        where = _scope(s, actor, filters)
        base = (select(Lot, Item, Depot).join(Item, Item.id == Lot.item_id).join(Depot, Depot.id == Lot.depot_id)
                .where(Lot.quantity > 0, Lot.expires_on.is_not(None), *where))
        query = base.where(Lot.expires_on <= today + timedelta(days=windows[-1]))
        if filters.start is not None:
            query = query.where(Lot.expires_on >= filters.start)
        if filters.end is not None:
            query = query.where(Lot.expires_on <= filters.end)
        query = query.order_by(Lot.expires_on, Depot.code, Lot.code)
        found = s.exec(query if limit is None else query.limit(limit)).all()
        per_day = s.exec(  # every lot of the report, summed per expiry date: the windows and totals
            query.with_only_columns(Lot.expires_on, sa.func.count(), sa.func.sum(Lot.quantity),
                                    sa.func.sum(Lot.unit_price_cents * Lot.quantity),
                                    sa.func.sum(sa.case((Lot.unit_price_cents.is_(None), Lot.quantity), else_=0)))
            .order_by(None).group_by(Lot.expires_on)).all()
        months = _months(today, TIMELINE_MONTHS)
        horizon = _month_after(months[-1]) - timedelta(days=1)
        upcoming = s.exec(select(Item.category, Lot.expires_on, sa.func.sum(Lot.quantity))
                          .join(Item, Item.id == Lot.item_id).join(Depot, Depot.id == Lot.depot_id)
                          .where(Lot.quantity > 0, Lot.expires_on >= today, Lot.expires_on <= horizon, *where)
                          .group_by(Item.category, Lot.expires_on)).all()

    rows = []
    buckets = {key: {"bucket": key, "lots": 0, "units": 0, "value_cents": 0, "unpriced_units": 0}
               for key in ["expired", *[str(w) for w in windows]]}
    def bucket_of(expires_on: date) -> str:
        days_left = (expires_on - today).days
        return "expired" if days_left < 0 else str(next(w for w in windows if days_left <= w))

    for lot, item, depot in found:
        value = None if lot.unit_price_cents is None else lot.unit_price_cents * lot.quantity
        rows.append({**_depot_fields(depot), **_item_fields(item), "lot": lot.code, "expires_on": lot.expires_on,
                     "days_left": (lot.expires_on - today).days, "bucket": bucket_of(lot.expires_on),
                     "quantity": lot.quantity, "unit_price_cents": lot.unit_price_cents, "value_cents": value,
                     "storage_mode": lot.storage_mode, "partner": lot.partner})
    for expires_on, lots, units, value, unpriced in per_day:
        b = buckets[bucket_of(expires_on)]
        b["lots"] += int(lots)
        b["units"] += int(units)
        b["value_cents"] += int(value or 0)
        b["unpriced_units"] += int(unpriced or 0)
    per_month: dict[tuple[str, str], int] = defaultdict(int)
    for category, expires_on, units in upcoming:
        per_month[(category, expires_on.strftime("%Y-%m"))] += int(units)
    categories = [c for c in CATEGORIES if any(per_month.get((c, m)) for m in months)]
    timeline = {"months": months, "categories": categories,
                "units": {c: [per_month.get((c, m), 0) for m in months] for c in categories},
                "totals": [sum(per_month.get((c, m), 0) for c in categories) for m in months]}
    totals = {"lots": sum(b["lots"] for b in buckets.values()), "units": sum(b["units"] for b in buckets.values()),
              "value_cents": sum(b["value_cents"] for b in buckets.values()),
              "unpriced_units": sum(b["unpriced_units"] for b in buckets.values())}
    return {"params": _params(filters, today, windows=list(windows)), "windows": list(windows), "rows": rows,
            "buckets": list(buckets.values()), "totals": totals, "timeline": timeline}


def _months(today: date, n: int) -> list[str]:
    out, first = [], today.replace(day=1)
    for _ in range(n):
        out.append(first.strftime("%Y-%m"))
        first = _month_after(first.strftime("%Y-%m"))
    return out


def _month_after(month: str) -> date:
    year, mon = int(month[:4]), int(month[5:7])
    return date(year + mon // 12, mon % 12 + 1, 1)


# ---------------------------------------------------------------- 2. rotation (轮换)


def rotation(engine, actor: Actor, today: date, filters: Filters = Filters(), now: datetime | None = None,
             limit: int | None = None) -> dict:
    """Lots on hand, not yet expired, whose remaining shelf life is shorter than their item's rotation lead
    time; for each a suggested action and the replacement to buy and by when, and its open or done task.

    Suggested action, in this order: agreement or capacity stock goes back to the partner under the supplier
    agreement (the partner replaces it); a lot with at least ``rotation_move_min_days`` left moves to the
    depot that issued the item most over the lookback (if it issued more than the lot's own depot); living
    supplies (food, water, kits) are donated; other supplies are used in a drill. Expired lots are not here:
    they can only be written off (see the expiry report). ``limit`` (pages): only the first lots are listed;
    the actions and totals count every lot all the same."""
    now = now or datetime.combine(today, time(12), tzinfo=timezone.utc)
    with Session(engine) as s:
        cfg = audit_settings.load(s)
        where = _scope(s, actor, filters)
        longest = s.exec(select(sa.func.max(Item.rotation_lead_days))).one() or 0
        found = s.exec(
            select(Lot, Item, Depot).join(Item, Item.id == Lot.item_id).join(Depot, Depot.id == Lot.depot_id)
            .where(Lot.quantity > 0, Lot.expires_on.is_not(None), Lot.expires_on >= today,
                   Lot.expires_on < today + timedelta(days=longest), Item.rotation_lead_days.is_not(None), *where)
            .order_by(Lot.expires_on, Depot.code, Lot.code)).all()
        found = [(lot, item, depot) for lot, item, depot in found
                 if (lot.expires_on - today).days < item.rotation_lead_days]
        issued = _issued_units(s, {item.id for _, item, _ in found},
                               now - timedelta(days=cfg.rotation_issue_lookback_days))
        depots = {d.id: d for d in s.exec(select(Depot)).all()}
        tasks = _latest_tasks(s, [lot.id for lot, _, _ in found])
    rows, tops = [], {}
    for lot, item, depot in found:
        days_left = (lot.expires_on - today).days
        if item.id not in tops:
            tops[item.id] = top_issuers(issued.get(item.id, {}))
        action, target = suggest(lot.storage_mode, item.category, depot.id, days_left,
                                 issued.get(item.id, {}), cfg.rotation_move_min_days, tops[item.id])
        task = tasks.get(lot.id)
        by_partner = lot.storage_mode in ("agreement", "capacity")
        rows.append({**_depot_fields(depot), **_item_fields(item), "lot": lot.code, "quantity": lot.quantity,
                     "expires_on": lot.expires_on, "days_left": days_left, "lead_days": item.rotation_lead_days,
                     "storage_mode": lot.storage_mode, "partner": lot.partner, "action": action,
                     "to_depot": depots[target].code if target else None,
                     "to_depot_name": depots[target].name if target else None,
                     "issued_here": issued.get(item.id, {}).get(depot.id, 0),
                     "issued_there": issued.get(item.id, {}).get(target, 0) if target else None,
                     "replace_quantity": lot.quantity, "replace_by": lot.expires_on,
                     "replaced_by": "partner" if by_partner else "purchase",
                     "task_id": task.id if task else None, "task_status": task.status if task else None})
    by_action: dict[str, dict] = {}
    for r in rows:
        a = by_action.setdefault(r["action"], {"action": r["action"], "lots": 0, "units": 0})
        a["lots"] += 1
        a["units"] += r["quantity"]
    return {"params": _params(filters, today, move_min_days=cfg.rotation_move_min_days,
                              lookback_days=cfg.rotation_issue_lookback_days),
            "rows": rows if limit is None else rows[:limit], "by_action": list(by_action.values()),
            "totals": {"lots": len(rows), "units": sum(r["quantity"] for r in rows)}}


def suggest(storage_mode: str, category: str, depot_id: int, days_left: int, issued_by_depot: dict[int, int],
            move_min_days: int, top: list[tuple[int, int]] | None = None) -> tuple[str, int | None]:
    """The rotation action for one lot (pure): (action, depot id to move to or None). ``top``: the item's
    ``top_issuers`` worked out once for all its lots (else from ``issued_by_depot``)."""
    if storage_mode in ("agreement", "capacity"):
        return "return_to_supplier", None
    here = issued_by_depot.get(depot_id, 0)
    best = next(((units, d) for units, d in (top if top is not None else top_issuers(issued_by_depot))
                 if d != depot_id), None)
    if best is not None and best[0] > here and days_left >= move_min_days:
        return "move", best[1]
    return ("donate", None) if category == "living" else ("drill", None)


def top_issuers(issued_by_depot: dict[int, int]) -> list[tuple[int, int]]:
    """The two depots that issued an item most, as (units, depot id), most first, ties by lower id: the one
    another depot's lot would move to is the first that is not that depot."""
    return sorted(((units, d) for d, units in issued_by_depot.items() if units > 0), key=lambda p: (-p[0], p[1]))[:2]


def _issued_units(s: Session, item_ids: set[int], since: datetime) -> dict[int, dict[int, int]]:
    if not item_ids:
        return {}
    rows = s.exec(select(Movement.item_id, Movement.depot_id, -sa.func.sum(Movement.quantity))
                  .where(Movement.kind == ISSUE, Movement.item_id.in_(item_ids), Movement.created_at >= since)
                  .group_by(Movement.item_id, Movement.depot_id)).all()
    out: dict[int, dict[int, int]] = defaultdict(dict)
    for item_id, depot_id, units in rows:
        out[item_id][depot_id] = int(units)
    return out


def _latest_tasks(s: Session, lot_ids: list[int]) -> dict[int, RotationTask]:
    if not lot_ids:
        return {}
    tasks = s.exec(select(RotationTask).where(RotationTask.lot_id.in_(lot_ids)).order_by(RotationTask.id)).all()
    latest: dict[int, RotationTask] = {}
    for t in tasks:  # an open task wins over an older done one
        if t.status in OPEN_STATUSES or t.lot_id not in latest or latest[t.lot_id].status not in OPEN_STATUSES:
            latest[t.lot_id] = t
    return latest


# ---------------------------------------------------------------- 3. reserve sufficiency (储备达标)


def sufficiency(engine, actor: Actor, today: date, filters: Filters = Filters(), share_percent: float | None = None,
                people: int | None = None) -> dict:
    """Stock a response could send against targets. It counts what the allocation planner counts
    (``dispatch.planning``): physical and agreement stock (production capacity is not stock that can be loaded
    today), good for at least the planning's ``min_shelf_days`` after today, and — for the county target —
    held at the county depot, transfer stations and town stations (village points keep theirs), less the
    reserve floors a level III response may not draw:

    * county lines: for each county depot, its subtree against the norms (current version, every incident
      type) that apply at level III, for the people the largest level III response would resettle (one fewer
      than level II starts at, unless configured) × the share (50% unless configured): per-person and per-household norms scale with those people, per-day ones with the
      reserve days, per-site ones with the shelters (避难场所) registered under it (at least 1);
    * town lines: each town station with its villages against its kit — key towns the three big items
      (1 each unless configured), other towns the four small items (20 each unless configured). A kit is
      the town team's equipment, not supplies for the people.

    Coverage of a line is stock ÷ target (it may exceed 100%; shown capped and worded); a rollup's coverage
    caps each line at its target, so a surplus of one item never hides a gap in another."""
    if share_percent is not None and not 0 < share_percent <= 100:
        raise InvalidInput("share is a percentage above 0 and up to 100", field="share")
    if people is not None and people < 1:
        raise InvalidInput("people must be 1 or more", field="people")
    if filters.start or filters.end:
        raise InvalidInput("reserve sufficiency is as of today; it takes no date range", field="start")
    with Session(engine) as s:
        cfg = audit_settings.load(s)
        where = _scope(s, actor, replace(filters, category=None, item=None))
        _scope(s, actor, Filters(category=filters.category, item=filters.item))  # checks them
        in_scope = s.exec(select(Depot).where(*where).order_by(Depot.path)).all()
        levels = {r.level: r for r in load_levels(s)}
        version, norms = load_norms(s)
        planning = load_settings(s)
        usable_from = today + timedelta(days=planning.min_shelf_days)
        items = {i.code: i for i in s.exec(select(Item)).all()
                 if filters.category in (None, i.category) and filters.item in (None, i.code)}
        stock = s.exec(select(Lot.depot_id, Lot.item_id, sa.func.sum(Lot.quantity))
                       .where(Lot.quantity > 0, Lot.storage_mode.in_(SUPPLYING_MODES),
                              sa.or_(Lot.expires_on.is_(None), Lot.expires_on >= usable_from))
                       .group_by(Lot.depot_id, Lot.item_id)).all()
        floors = {(f.depot_id, f.item_id): f.quantity for f in s.exec(select(ReserveFloor)).all()}
        shelter_towns = list(s.exec(select(Shelter.town_id)).all())
        all_depots = s.exec(select(Depot)).all()
    share = cfg.reserve_share_percent if share_percent is None else share_percent
    base_people = people or cfg.reserve_people or largest_level_iii(levels)
    target_people = math.ceil(round(base_people * share / 100, 6))
    days = cfg.reserve_days or planning.days
    floor_draw = levels["III"].floor_draw

    held: dict[tuple[int, int], int] = {(d, i): int(u) for d, i, u in stock}
    by_id = {d.id: d for d in all_depots}
    paths = {d.id: d.path for d in all_depots}
    in_subtree: dict[tuple[int, int], int] = defaultdict(int)  # (depot, item) → units at it and below it
    for (d, i), units in held.items():
        for ancestor in paths[d].strip("/").split("/"):  # the path names the depot and every depot above it
            in_subtree[(int(ancestor), i)] += units

    def subtree_units(root: Depot, item_id: int) -> int:
        return in_subtree.get((root.id, item_id), 0)

    def sendable_units(root: Depot, item_id: int) -> int:
        """What a level III plan may draw under ``root``: no village points, floors kept."""
        total = 0
        for (d, i), u in held.items():
            if i != item_id or not paths[d].startswith(root.path) or by_id[d].tier == "village":
                continue
            kept = math.ceil(round(floors.get((d, i), 0) * (1 - floor_draw), 6))
            total += max(0, u - kept)
        return total

    lines = []
    sites_by_county = {}
    for depot in in_scope:
        if depot.tier == "county":
            sites = max(1, sum(1 for t in shelter_towns if paths[t].startswith(depot.path)))
            sites_by_county[depot.code] = sites
            for rule in norms:
                item = items.get(rule.item)
                if item is None or "III" not in rule.levels:
                    continue
                target = gross_need(rule, target_people, planning.household_size, days)
                if rule.basis == "site":
                    target = math.ceil(round(rule.quantity * sites, 6))
                lines.append(_line("county", depot, item, target, sendable_units(depot, item.id),
                                   held.get((depot.id, item.id), 0), basis=rule.basis,
                                   incident_types=list(rule.incident_types)))
        elif depot.tier == "town":
            kit = "big3" if depot.key_town else "small4"
            quantity = cfg.kit_quantities.get(kit, 0)
            for item in sorted((i for i in items.values() if i.kit == kit), key=lambda i: i.code):
                lines.append(_line("town", depot, item, quantity, subtree_units(depot, item.id),
                                   held.get((depot.id, item.id), 0), kit=kit))
    towns = _rollup([ln for ln in lines if ln["level"] == "town"])
    counties = _rollup([ln for ln in lines if ln["level"] == "county"])
    assumptions = {"storage_modes": list(SUPPLYING_MODES), "usable_from": usable_from,
                   "min_shelf_days": planning.min_shelf_days, "floor_draw": floor_draw,
                   "mutual_aid": levels["III"].mutual_aid,
                   "incident_types": sorted({t for ln in lines if ln["level"] == "county" for t in ln["incident_types"]}),
                   "sites": sites_by_county}
    return {"params": _params(filters, today, share_percent=share, people=base_people, target_people=target_people,
                              days=days, household_size=planning.household_size, norm_version=version,
                              kit_big3=cfg.kit_quantities.get("big3"), kit_small4=cfg.kit_quantities.get("small4")),
            "people": base_people, "target_people": target_people, "share_percent": share, "days": days,
            "norm_version": version, "lines": lines, "towns": towns, "counties": counties,
            "assumptions": assumptions,
            "totals": {"county": _sum_up([ln for ln in lines if ln["level"] == "county"]),
                       "towns": _sum_up([ln for ln in lines if ln["level"] == "town"]),
                       "towns_met": sum(1 for t in towns if t["met"]), "town_count": len(towns)}}


def largest_level_iii(levels: dict) -> int:
    """The most people a level III response is declared for: one fewer than level II starts at (a target for
    level III's smallest, its threshold, would call a county ready that falls short in most level III
    responses); the threshold itself when no level II is set above it."""
    iii, ii = levels["III"].min_people, levels.get("II")
    return ii.min_people - 1 if ii is not None and ii.min_people > iii + 1 else iii


def _line(level: str, depot: Depot, item: Item, target: int, stock: int, own: int, **extra) -> dict:
    gap = max(0, target - stock)
    return {"level": level, **_depot_fields(depot), "key_town": depot.key_town, **_item_fields(item),
            "target": target, "stock": stock, "own": own, "gap": gap,
            "coverage": (stock / target) if target else None, "met": gap == 0, "kit": None, "basis": None,
            "incident_types": None, **extra}


def _sum_up(lines: list[dict]) -> dict:
    target = sum(ln["target"] for ln in lines)
    covered = sum(min(ln["stock"], ln["target"]) for ln in lines)
    return {"lines": len(lines), "lines_met": sum(1 for ln in lines if ln["met"]), "target": target,
            "covered": covered, "gap": sum(ln["gap"] for ln in lines),
            "coverage": (covered / target) if target else None}


def _rollup(lines: list[dict]) -> list[dict]:
    groups: dict[str, list[dict]] = {}
    for ln in lines:
        groups.setdefault(ln["depot"], []).append(ln)
    out = []
    for code, group in groups.items():
        first = group[0]
        summary = _sum_up(group)
        out.append({"depot": code, "depot_name": first["depot_name"], "tier": first["tier"],
                    "key_town": first["key_town"], "kit": first["kit"], **summary,
                    "met": summary["lines"] == summary["lines_met"]})
    return out


# ---------------------------------------------------------------- 4. stock cards, write-offs (the ledger: audit.movements)


def lot_card(engine, actor: Actor, today: date, lot: str, filters: Filters = Filters(), tz: str = DEFAULT_TZ) -> dict:
    """库存卡 of one lot (``inventory.queries.stock_card``), the entries in the date range, with the balance
    brought forward from before it."""
    check_filters(filters)
    if not lot:
        raise InvalidInput("give a lot code, or a depot and an item", field="lot")
    try:
        card = queries.stock_card(engine, actor, lot, today)
    except NotFound:
        raise InvalidInput(f"no lot with code {lot}", field="lot")
    opening, rows = 0, []
    start = local_midnight_utc(filters.start, tz) if filters.start else None
    end = local_midnight_utc(filters.end + timedelta(days=1), tz) if filters.end else None
    for e in card["entries"]:
        at = datetime.fromisoformat(e["created_at"])
        if start and at < start:
            opening = e["balance_after"]
            continue
        if end and at >= end:
            break
        rows.append({"id": e["id"], "time": at, "kind": e["kind"], "lot": e["lot"], "quantity": e["quantity"],
                     "lot_balance": e["balance_after"], "balance": e["balance_after"], "user": e["user"],
                     "reason": e["reason"], "reference": e["reference"], "note": e["note"]})
    closing = rows[-1]["balance"] if rows else opening
    return {"params": _params(filters, today, lot=lot), "lot": card["lot"], "opening": opening, "closing": closing,
            "rows": rows, "totals": _card_totals(rows, opening, closing)}


def item_card(engine, actor: Actor, today: date, depot: str, item: str, filters: Filters = Filters(),
              tz: str = DEFAULT_TZ) -> dict:
    """库存卡 of an item at one depot: every ledger line of its lots there, with the running balance of the
    item at the depot (all its lots together), from the balance brought forward."""
    if not depot:
        raise InvalidInput("give the depot of the item's stock card", field="depot")
    if not item:
        raise InvalidInput("give the item of the stock card", field="item")
    f = replace(filters, depot=depot, item=item, subtree=False)
    with Session(engine) as s:
        where = _scope(s, actor, f)
        depot_row = s.exec(select(Depot).where(Depot.code == depot)).one()
        item_row = s.exec(select(Item).where(Item.code == item)).one()
        timed = _time_window(f, tz)
        query = (select(Movement, Lot.code, User.username).join(Lot, Lot.id == Movement.lot_id)
                 .join(User, User.id == Movement.user_id).join(Depot, Depot.id == Movement.depot_id)
                 .join(Item, Item.id == Movement.item_id).where(*where, *timed).order_by(Movement.id))
        found = s.exec(query).all()
        opening = 0
        if f.start is not None:
            opening = int(s.exec(select(sa.func.coalesce(sa.func.sum(Movement.quantity), 0)).where(
                Movement.depot_id == depot_row.id, Movement.item_id == item_row.id,
                Movement.created_at < local_midnight_utc(f.start, tz))).one())
    balance, rows = opening, []
    for m, lot_code, username in found:
        balance += m.quantity
        rows.append({"id": m.id, "time": m.created_at, "kind": m.kind, "lot": lot_code, "quantity": m.quantity,
                     "lot_balance": m.balance_after, "balance": balance, "user": username, "reason": m.reason,
                     "reference": m.reference, "note": m.note})
    return {"params": _params(f, today), "depot": queries.depot_dict(depot_row), "item": queries.item_dict(item_row),
            "opening": opening, "closing": balance, "rows": rows, "totals": _card_totals(rows, opening, balance)}


def _card_totals(rows: list[dict], opening: int, closing: int) -> dict:
    return {"opening": opening, "closing": closing, "lines": len(rows),
            "in": sum(r["quantity"] for r in rows if r["quantity"] > 0),
            "out": -sum(r["quantity"] for r in rows if r["quantity"] < 0)}


def write_offs(engine, actor: Actor, today: date, filters: Filters = Filters(), tz: str = DEFAULT_TZ,
               limit: int | None = None) -> dict:
    """The write-off register (报损/核销): every write-off line in the range with its reason, units and value
    where the lot has a unit price, and the request it came from (``BS-<id>``): who requested it and when,
    who approved it, when and under which approving document number (审批文号). ``approved`` marks a line
    written by an approved request; lines from before requests existed have none. ``limit`` (pages): only
    the first lines are listed; the totals and the reasons are over every line all the same."""
    requester, approver = aliased(User), aliased(User)
    with Session(engine) as s:
        where = [Movement.kind == WRITE_OFF, *_scope(s, actor, filters), *_time_window(filters, tz)]
        query = (
            select(Movement, Lot, Item, Depot, User.username, WriteOffRequest, requester.username, approver.username)
            .join(Lot, Lot.id == Movement.lot_id)
            .join(Item, Item.id == Movement.item_id).join(Depot, Depot.id == Movement.depot_id)
            .join(User, User.id == Movement.user_id)
            .outerjoin(WriteOffRequest, WriteOffRequest.movement_id == Movement.id)
            .outerjoin(requester, requester.id == WriteOffRequest.requested_by)
            .outerjoin(approver, approver.id == WriteOffRequest.decided_by)
            .where(*where).order_by(Movement.id))
        found = s.exec(query if limit is None else query.limit(limit)).all()
        units = -Movement.quantity
        by_reason = s.exec(
            select(Movement.reason, sa.func.count(), sa.func.coalesce(sa.func.sum(units), 0),
                   sa.func.coalesce(sa.func.sum(Lot.unit_price_cents * units), 0),
                   sa.func.coalesce(sa.func.sum(sa.case((WriteOffRequest.id.is_not(None), units), else_=0)), 0))
            .join(Lot, Lot.id == Movement.lot_id).join(Item, Item.id == Movement.item_id)
            .join(Depot, Depot.id == Movement.depot_id)
            .outerjoin(WriteOffRequest, WriteOffRequest.movement_id == Movement.id)
            .where(*where).group_by(Movement.reason).order_by(sa.func.min(Movement.id))).all()
    rows = []
    for m, lot, item, depot, username, req, requested_by, approved_by in found:
        units = -m.quantity
        value = None if lot.unit_price_cents is None else lot.unit_price_cents * units
        rows.append({"id": m.id, "time": m.created_at, **_depot_fields(depot), **_item_fields(item), "lot": lot.code,
                     "expires_on": lot.expires_on, "quantity": units, "unit_price_cents": lot.unit_price_cents,
                     "value_cents": value, "reason": m.reason, "approved": req is not None, "user": username,
                     "request": f"BS-{req.id}" if req else None, "requested_by": requested_by,
                     "requested_at": req.requested_at if req else None, "approved_by": approved_by,
                     "approved_at": req.decided_at if req else None, "document_no": req.document_no if req else None,
                     "reference": m.reference, "note": m.note})
    reasons = [{"reason": reason, "lines": int(lines), "units": int(units), "value_cents": int(value)}
               for reason, lines, units, value, _approved in by_reason]
    return {"params": _params(filters, today), "rows": rows, "by_reason": reasons,
            "totals": {"lines": sum(r["lines"] for r in reasons), "units": sum(r["units"] for r in reasons),
                       "value_cents": sum(r["value_cents"] for r in reasons),
                       "approved_units": sum(int(row[4]) for row in by_reason)}}
