"""Keeping the depot tree and the item catalog: administrators only."""
from dataclasses import asdict, dataclass, fields

from sqlmodel import select

from common.actor import ADMIN, Actor
from common.db import UnitOfWork
from common.errors import InvalidInput, NotFound, TierRuleBroken
from common.limits import MAX_DAYS
from inventory.codes import check_code
from inventory.models import CATEGORIES, DEPOT_KINDS, KITS, TIERS, Depot, Item
from inventory.queries import depot_dict, item_dict

PARENT_TIER = {"county": None, "town": "county", "village": "town"}


def check_tier_rule(tier: str, kind: str, parent: Depot | None) -> None:
    """A village point sits under a town station, a town station (or transfer station) under the
    county depot, and the county depot at the root."""
    if tier not in TIERS:
        raise InvalidInput(f"tier must be one of {', '.join(TIERS)}", field="tier")
    if kind not in DEPOT_KINDS:
        raise InvalidInput(f"kind must be one of {', '.join(DEPOT_KINDS)}", field="kind")
    if kind == "transfer_station" and tier != "town":
        raise TierRuleBroken("a transfer station (中转站) sits at town level", field="kind",
                             message_code="transfer_station_not_town")
    wanted = PARENT_TIER[tier]
    if wanted is None:
        if parent is not None:
            raise TierRuleBroken("a county depot has no parent", field="parent", message_code="county_has_no_parent")
        return
    if parent is None or parent.tier != wanted:
        raise TierRuleBroken(f"a {tier} depot must sit under a {wanted} depot", field="parent",
                             message_code="parent_tier_wrong", params={"tier": tier, "wanted": wanted})
    if tier == "village" and parent.kind == "transfer_station":
        raise TierRuleBroken("a village point sits under a town station, not a transfer station", field="parent",
                             message_code="village_under_transfer_station")


@dataclass
class DepotFields:
    code: str
    name: str
    tier: str
    parent: str | None = None
    kind: str = "station"
    lat: float | None = None
    lon: float | None = None
    address: str | None = None
    keeper_name: str | None = None
    keeper_phone: str | None = None
    key_town: bool = False


def create_depot(engine, actor: Actor, f: DepotFields) -> dict:
    actor.require_role(ADMIN)
    with UnitOfWork(engine) as uow:
        depot = add_depot(uow, f)
        uow.commit()
        return {**depot_dict(depot), "parent": f.parent}


def add_depot(uow, f: DepotFields) -> Depot:
    """Adds a depot inside a caller's transaction (also used by the demo loader)."""
    check_code(f.code)
    s = uow.session
    if s.exec(select(Depot.id).where(Depot.code == f.code)).first() is not None:
        raise InvalidInput(f"depot code {f.code} is already in use", field="code", message_code="depot_code_taken",
                           params={"code": f.code})
    parent = None
    if f.parent is not None:
        parent = s.exec(select(Depot).where(Depot.code == f.parent)).first()
        if parent is None:
            raise NotFound(f"no depot with code {f.parent}", field="parent", message_code="parent_unknown",
                           params={"code": f.parent})
    check_tier_rule(f.tier, f.kind, parent)
    if f.key_town and f.tier != "town":
        raise InvalidInput("only a town station can be a key town (重点镇)", field="key_town",
                           message_code="key_town_not_town")
    _check_coordinates(f.lat, f.lon)
    values = {k: v for k, v in asdict(f).items() if k != "parent"}
    depot = Depot(**values, parent_id=parent.id if parent else None)
    s.add(depot)
    s.flush()
    depot.path = (parent.path if parent else "/") + f"{depot.id}/"
    s.add(depot)
    return depot


UPDATABLE_DEPOT_FIELDS = ("name", "lat", "lon", "address", "keeper_name", "keeper_phone", "key_town")


def update_depot(engine, actor: Actor, code: str, changes: dict) -> dict:
    actor.require_role(ADMIN)
    unknown = set(changes) - set(UPDATABLE_DEPOT_FIELDS)
    if unknown:
        raise InvalidInput(f"cannot change {', '.join(sorted(unknown))} of a depot", field=sorted(unknown)[0])
    with UnitOfWork(engine) as uow:
        depot = uow.session.exec(select(Depot).where(Depot.code == code)).first()
        if depot is None:
            raise NotFound(f"no depot with code {code}", field="depot")
        for k, v in changes.items():
            setattr(depot, k, v)
        if depot.key_town and depot.tier != "town":
            raise InvalidInput("only a town station can be a key town (重点镇)", field="key_town")
        _check_coordinates(depot.lat, depot.lon)
        uow.session.add(depot)
        uow.commit()
        parent = uow.session.get(Depot, depot.parent_id) if depot.parent_id else None
        return {**depot_dict(depot), "parent": parent.code if parent else None}


@dataclass
class ItemFields:
    code: str
    name_zh: str
    name_en: str
    category: str
    unit: str
    weight_kg: float = 0.0
    volume_m3: float = 0.0
    shelf_life_days: int | None = None
    rotation_lead_days: int | None = None
    priority: int = 2
    kit: str | None = None
    durable: bool = False


def create_item(engine, actor: Actor, f: ItemFields) -> dict:
    actor.require_role(ADMIN)
    with UnitOfWork(engine) as uow:
        item = add_item(uow, f)
        uow.commit()
        return item_dict(item)


def add_item(uow, f: ItemFields) -> Item:
    check_code(f.code)
    if uow.session.exec(select(Item.id).where(Item.code == f.code)).first() is not None:
        raise InvalidInput(f"item code {f.code} is already in use", field="code", message_code="item_code_taken",
                           params={"code": f.code})
    _check_item(f)
    item = Item(**asdict(f))
    uow.session.add(item)
    uow.session.flush()
    return item


def _check_item(f: ItemFields) -> None:
    if f.category not in CATEGORIES:
        raise InvalidInput(f"category must be one of {', '.join(CATEGORIES)}", field="category")
    if f.kit is not None and f.kit not in KITS:
        raise InvalidInput(f"kit must be one of {', '.join(KITS)} or empty", field="kit")
    for name in ("weight_kg", "volume_m3"):
        if getattr(f, name) < 0:
            raise InvalidInput(f"{name} cannot be negative", field=name, message_code="item_value_negative")
    for name in ("shelf_life_days", "rotation_lead_days"):
        value = getattr(f, name)
        if value is not None and not 1 <= value <= MAX_DAYS:
            raise InvalidInput(f"{name} must be 1 to {MAX_DAYS} days, or empty for durable equipment", field=name,
                               message_code="item_days_range", params={"max": MAX_DAYS})
    if not 1 <= f.priority <= 9:
        raise InvalidInput("priority must be between 1 (most urgent) and 9", field="priority",
                           message_code="item_priority_range")
    if not f.name_zh.strip() or not f.unit.strip():
        raise InvalidInput("name_zh and unit are required", field="name_zh" if not f.name_zh.strip() else "unit",
                           message_code="item_name_unit_required")


def update_item(engine, actor: Actor, code: str, changes: dict) -> dict:
    actor.require_role(ADMIN)
    allowed = {f.name for f in fields(ItemFields)} - {"code"}
    unknown = set(changes) - allowed
    if unknown:
        raise InvalidInput(f"cannot change {', '.join(sorted(unknown))} of an item", field=sorted(unknown)[0])
    with UnitOfWork(engine) as uow:
        item = uow.session.exec(select(Item).where(Item.code == code)).first()
        if item is None:
            raise NotFound(f"no item with code {code}", field="item")
        merged = ItemFields(**{**item_dict(item), **changes})
        _check_item(merged)
        for k, v in changes.items():
            setattr(item, k, v)
        uow.session.add(item)
        uow.commit()
        return item_dict(item)


def _check_coordinates(lat, lon) -> None:
    if lat is not None and not -90 <= lat <= 90:
        raise InvalidInput("lat must be between -90 and 90", field="lat", message_code="lat_range")
    if lon is not None and not -180 <= lon <= 180:
        raise InvalidInput("lon must be between -180 and 180", field="lon", message_code="lon_range")
