"""Response levels, norms, reserve floors, shelters and planning settings: defaults and their upkeep."""
import csv
import json
from dataclasses import asdict, dataclass, fields
from pathlib import Path

from sqlmodel import Session, select

from common.actor import ADMIN, Actor
from common.db import UnitOfWork
from common.errors import InvalidInput, NotFound
from dispatch.models import INCIDENT_TYPES, LEVELS, NORM_BASES, Norm, NormVersion, ReserveFloor, ResponseLevel, Setting, Shelter
from dispatch.norms import DEFAULT_LEVELS, LevelRule, NormRule, check_levels
from dispatch.travel import TravelSettings
from inventory.models import Depot, Item

DEFAULT_NORMS = Path(__file__).resolve().parent.parent / "data" / "norms-default.csv"


@dataclass(frozen=True)
class PlanningSettings:
    days: int = 3  # days of consumables a plan covers
    household_size: float = 3.5
    min_shelf_days: int = 7  # a lot must stay good this long after dispatch
    fair_share_steps: int = 10
    vehicle_capacity_kg: float = 5000.0  # a 5 t truck
    vehicle_capacity_m3: float = 20.0
    detour_factor: float = 1.4
    speed_county_kmh: float = 50.0
    speed_town_kmh: float = 35.0
    speed_village_kmh: float = 25.0
    handling_minutes: int = 30

    def travel(self) -> TravelSettings:
        return TravelSettings(self.detour_factor, (("county", self.speed_county_kmh), ("town", self.speed_town_kmh),
                                                   ("village", self.speed_village_kmh)), self.handling_minutes)


def check_settings(s: PlanningSettings) -> None:
    positive = ("days", "household_size", "fair_share_steps", "vehicle_capacity_kg", "vehicle_capacity_m3",
                "detour_factor", "speed_county_kmh", "speed_town_kmh", "speed_village_kmh")
    for name in positive:
        if getattr(s, name) <= 0:
            raise InvalidInput(f"{name} must be greater than 0", field=name)
    if s.fair_share_steps > 100 or int(s.fair_share_steps) != s.fair_share_steps:
        raise InvalidInput("fair_share_steps is a whole number from 1 to 100", field="fair_share_steps")
    if s.detour_factor < 1:
        raise InvalidInput("detour_factor is 1 or more (roads are never shorter than a straight line)",
                           field="detour_factor")
    for name in ("min_shelf_days", "handling_minutes"):
        if getattr(s, name) < 0:
            raise InvalidInput(f"{name} cannot be negative", field=name)


def load_settings(session: Session) -> PlanningSettings:
    stored = {row.key: json.loads(row.value) for row in session.exec(select(Setting)).all()}
    known = {f.name for f in fields(PlanningSettings)}
    return PlanningSettings(**{k: v for k, v in stored.items() if k in known})


def update_settings(engine, actor: Actor, changes: dict) -> dict:
    actor.require_role(ADMIN)
    with UnitOfWork(engine) as uow:
        merged = PlanningSettings(**{**asdict(load_settings(uow.session)), **changes})
        check_settings(merged)
        for key, value in changes.items():
            row = uow.session.get(Setting, key) or Setting(key=key, value="")
            row.value = json.dumps(value)
            uow.session.add(row)
        uow.commit()
        return asdict(merged)


# ---------------------------------------------------------------- levels


def load_levels(session: Session) -> list[LevelRule]:
    rows = session.exec(select(ResponseLevel)).all()
    if not rows:
        return list(DEFAULT_LEVELS)
    return sorted((LevelRule(r.level, r.min_people, r.time_target_minutes, r.floor_draw, r.mutual_aid) for r in rows),
                  key=lambda r: LEVELS.index(r.level))


def replace_levels(engine, actor: Actor, rules: list[LevelRule]) -> list[dict]:
    actor.require_role(ADMIN)
    check_levels(rules)
    with UnitOfWork(engine) as uow:
        for rule in rules:
            uow.session.merge(ResponseLevel(**asdict(rule)))
        uow.commit()
        return [asdict(r) for r in load_levels(uow.session)]


# ---------------------------------------------------------------- norms


def current_norm_version(session: Session) -> NormVersion | None:
    return session.exec(select(NormVersion).order_by(NormVersion.id.desc())).first()


def load_norms(session: Session, version_id: int | None = None) -> tuple[int | None, list[NormRule]]:
    version = session.get(NormVersion, version_id) if version_id else current_norm_version(session)
    if version is None:
        return None, []
    rows = session.exec(select(Norm, Item.code).join(Item, Item.id == Norm.item_id)
                        .where(Norm.version_id == version.id).order_by(Item.code)).all()
    return version.id, [NormRule(code, n.basis, n.quantity, n.per_day, tuple(n.incident_types.split("|")),
                                 tuple(n.levels.split("|")), n.source) for n, code in rows]


def check_norm(rule: NormRule, index: int) -> None:
    where = f"norms[{index}]"
    if rule.basis not in NORM_BASES:
        raise InvalidInput(f"basis must be one of {', '.join(NORM_BASES)}", field=f"{where}.basis")
    if rule.quantity <= 0:
        raise InvalidInput("quantity must be greater than 0", field=f"{where}.quantity")
    unknown_types = set(rule.incident_types) - {"all", *INCIDENT_TYPES}
    if unknown_types or not rule.incident_types:
        raise InvalidInput(f"incident types must be all or some of {', '.join(INCIDENT_TYPES)}",
                           field=f"{where}.incident_types")
    if not rule.levels or set(rule.levels) - set(LEVELS):
        raise InvalidInput("levels must be some of I, II, III, IV", field=f"{where}.levels")


def add_norm_version(uow, user_id: int | None, rules: list[NormRule], note: str | None) -> int:
    """Stores a complete set of norms as a new version inside the caller's transaction."""
    seen = set()
    items = dict(uow.session.exec(select(Item.code, Item.id)).all())
    for i, rule in enumerate(rules):
        check_norm(rule, i)
        if rule.item not in items:
            raise NotFound(f"no item with code {rule.item}", field=f"norms[{i}].item")
        if rule.item in seen:
            raise InvalidInput(f"item {rule.item} has two norms", field=f"norms[{i}].item")
        seen.add(rule.item)
    version = NormVersion(created_by=user_id, note=note)
    uow.session.add(version)
    uow.session.flush()
    for rule in rules:
        uow.session.add(Norm(version_id=version.id, item_id=items[rule.item], basis=rule.basis, quantity=rule.quantity,
                             per_day=rule.per_day, incident_types="|".join(rule.incident_types),
                             levels="|".join(rule.levels), source=rule.source))
    return version.id


def replace_norms(engine, actor: Actor, rules: list[NormRule], note: str | None = None) -> int:
    actor.require_role(ADMIN)
    with UnitOfWork(engine) as uow:
        version_id = add_norm_version(uow, actor.user_id, rules, note)
        uow.commit()
        return version_id


def read_default_norms(path: Path = DEFAULT_NORMS) -> list[NormRule]:
    with open(path, newline="", encoding="utf-8") as f:
        return [NormRule(item=r["item_code"], basis=r["basis"], quantity=float(r["quantity"]),
                         per_day=r["per_day"] == "yes", incident_types=tuple(r["incident_types"].split("|")),
                         levels=tuple(r["levels"].split("|")), source=r["source"]) for r in csv.DictReader(f)]


def norm_dict(rule: NormRule) -> dict:
    return {**asdict(rule), "incident_types": list(rule.incident_types), "levels": list(rule.levels)}


# ---------------------------------------------------------------- floors and shelters


def set_floor(engine, actor: Actor, depot: str, item: str, quantity: int) -> dict:
    actor.require_role(ADMIN)
    if quantity < 0:
        raise InvalidInput("a floor cannot be negative", field="quantity")
    with UnitOfWork(engine) as uow:
        depot_row = uow.session.exec(select(Depot).where(Depot.code == depot)).first()
        item_row = uow.session.exec(select(Item).where(Item.code == item)).first()
        if depot_row is None:
            raise NotFound(f"no depot with code {depot}", field="depot")
        if item_row is None:
            raise NotFound(f"no item with code {item}", field="item")
        uow.session.merge(ReserveFloor(depot_id=depot_row.id, item_id=item_row.id, quantity=quantity))
        uow.commit()
    return {"depot": depot, "item": item, "quantity": quantity}


def list_floors(engine) -> list[dict]:
    with Session(engine) as s:
        rows = s.exec(select(Depot.code, Item.code, ReserveFloor.quantity)
                      .join(Depot, Depot.id == ReserveFloor.depot_id).join(Item, Item.id == ReserveFloor.item_id)
                      .order_by(Depot.code, Item.code)).all()
    return [{"depot": d, "item": i, "quantity": q} for d, i, q in rows]


def add_shelter(uow, code: str, name: str, town: str, lat: float, lon: float, capacity: int | None = None,
                address: str | None = None) -> Shelter:
    s = uow.session
    if s.exec(select(Shelter.id).where(Shelter.code == code)).first() or \
            s.exec(select(Depot.id).where(Depot.code == code)).first():
        raise InvalidInput(f"code {code} is already used by a shelter or depot", field="code")
    town_row = s.exec(select(Depot).where(Depot.code == town)).first()
    if town_row is None or town_row.tier != "town":
        raise InvalidInput(f"{town} is not a town station", field="town")
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise InvalidInput("coordinates out of range", field="lat")
    shelter = Shelter(code=code, name=name, town_id=town_row.id, lat=lat, lon=lon, capacity=capacity, address=address)
    s.add(shelter)
    s.flush()
    return shelter


def create_shelter(engine, actor: Actor, **fields_) -> dict:
    actor.require_role(ADMIN, "dispatcher")
    with UnitOfWork(engine) as uow:
        shelter = add_shelter(uow, **fields_)
        uow.commit()
        return shelter_dict(shelter, fields_["town"])


def shelter_dict(s: Shelter, town_code: str) -> dict:
    return {"code": s.code, "name": s.name, "town": town_code, "lat": s.lat, "lon": s.lon, "capacity": s.capacity,
            "address": s.address}


def list_shelters(engine) -> list[dict]:
    with Session(engine) as s:
        rows = s.exec(select(Shelter, Depot.code).join(Depot, Depot.id == Shelter.town_id).order_by(Shelter.code)).all()
    return [shelter_dict(shelter, town) for shelter, town in rows]


def read_levels(engine) -> list[dict]:
    with Session(engine) as s:
        return [asdict(r) for r in load_levels(s)]


def read_norms(engine) -> dict:
    with Session(engine) as s:
        version, rules = load_norms(s)
    return {"version": version, "norms": [norm_dict(r) for r in rules]}


def read_settings(engine) -> dict:
    with Session(engine) as s:
        return asdict(load_settings(s))


def load_defaults(uow, user_id: int | None) -> None:
    """Default levels and the default norms (data/norms-default.csv) as version 1."""
    for rule in DEFAULT_LEVELS:
        uow.session.merge(ResponseLevel(**asdict(rule)))
    add_norm_version(uow, user_id, read_default_norms(), "默认定额 default norms (Sphere + common practice)")
