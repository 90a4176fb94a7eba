"""Response levels, norms, reserve floors, shelters and planning settings: defaults and their upkeep."""
import csv
import json
import math
import re
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from pathlib import Path

from sqlmodel import Session, func, select

from common.actor import ADMIN, Actor
from accounts.models import User
from accounts.security import append_event
from common.db import UnitOfWork, utcnow
from common.errors import InvalidInput, NotFound, Problems
from dispatch.models import (
    INCIDENT_TYPES, LEVELS, NORM_BASES, Incident, Norm, NormVersion, Plan, ReserveFloor, ResponseLevel, Setting,
    Shelter,
)
from dispatch.norms import DEFAULT_LEVELS, LevelRule, NormRule, check_levels
from dispatch.travel import TravelSettings
from inventory.codes import CODE_PATTERN, CODE_RULE
from inventory.models import Depot, Item

DEFAULT_NORMS = Path(__file__).resolve().parent.parent / "data" / "norms-default.csv"

MAX_NORM_QUANTITY = 10_000  # units per person, household or site (and per day)
MAX_HOUSEHOLD = 100  # people in one household


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
    whole = ("days", "min_shelf_days", "fair_share_steps", "handling_minutes")
    for f in fields(PlanningSettings):
        value = getattr(s, f.name)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or \
                (f.name in whole and int(value) != value):
            raise InvalidInput(f"{f.name} must be a {'whole ' if f.name in whole else ''}number", field=f.name,
                               message_code="setting_not_a_number", params={"name": f.name})
    for name in positive:
        if getattr(s, name) <= 0:
            raise InvalidInput(f"{name} must be greater than 0", field=name,
                               message_code="setting_not_positive", params={"name": name})
    if not 1 <= s.household_size <= MAX_HOUSEHOLD:  # below 1, needs per household grow without bound
        raise InvalidInput(f"household_size is 1 to {MAX_HOUSEHOLD} people", field="household_size",
                           message_code="setting_household_size_range", params={"max": MAX_HOUSEHOLD})
    if s.fair_share_steps > 100:
        raise InvalidInput("fair_share_steps is a whole number from 1 to 100", field="fair_share_steps",
                           message_code="setting_fair_share_steps_range", params={"name": "fair_share_steps"})
    if s.detour_factor < 1:
        raise InvalidInput("detour_factor is 1 or more (roads are never shorter than a straight line)",
                           field="detour_factor", message_code="setting_detour_below_one",
                           params={"name": "detour_factor"})
    for name in ("min_shelf_days", "handling_minutes"):
        if getattr(s, name) < 0:
            raise InvalidInput(f"{name} cannot be negative", field=name, message_code="setting_negative",
                               params={"name": name})


def load_settings(session: Session) -> PlanningSettings:
    stored = {row.key: json.loads(row.value) for row in session.exec(select(Setting)).all()}
    known = {f.name for f in fields(PlanningSettings)}
    return PlanningSettings(**{k: v for k, v in stored.items() if k in known})


def update_settings(engine, actor: Actor, changes: dict) -> dict:
    actor.require_role(ADMIN)
    known = {f.name for f in fields(PlanningSettings)}
    unknown = sorted(set(changes) - known)
    if unknown:
        raise InvalidInput(f"unknown setting {unknown[0]}", field=unknown[0], message_code="setting_unknown",
                           params={"name": unknown[0]})
    with UnitOfWork(engine) as uow:
        merged = PlanningSettings(**{**asdict(load_settings(uow.session)), **changes})
        check_settings(merged)
        for key, value in changes.items():
            row = uow.session.get(Setting, key) or Setting(key=key, value="")
            row.value = json.dumps(value)
            uow.session.add(row)
        append_event(uow.session, engine, "rule_change", username=actor.username, message=("planning_settings", {"changes": json.dumps(changes, ensure_ascii=False, default=str)[:900]}))
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
        append_event(uow.session, engine, "rule_change", username=actor.username, message=("response_levels", {"levels": "; ".join(f"{r.level} ≥ {r.min_people}" for r in rules)}))
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
    params = {"item": rule.item}
    if rule.basis not in NORM_BASES:
        raise InvalidInput(f"basis must be one of {', '.join(NORM_BASES)}", field=f"{where}.basis",
                           message_code="norm_basis_unknown", params=params)
    if isinstance(rule.quantity, bool) or not isinstance(rule.quantity, (int, float)) or \
            not math.isfinite(rule.quantity) or rule.quantity <= 0:
        raise InvalidInput("quantity must be greater than 0", field=f"{where}.quantity",
                           message_code="norm_quantity_not_positive", params=params)
    if rule.quantity > MAX_NORM_QUANTITY:  # beyond any norm; a larger one makes needs overflow
        raise InvalidInput(f"quantity is at most {MAX_NORM_QUANTITY:,}", field=f"{where}.quantity",
                           message_code="norm_quantity_too_large", params={"item": rule.item, "max": f"{MAX_NORM_QUANTITY:,}"})
    unknown_types = set(rule.incident_types) - {"all", *INCIDENT_TYPES}
    if unknown_types or not rule.incident_types:
        raise InvalidInput(f"incident types must be all or some of {', '.join(INCIDENT_TYPES)}",
                           field=f"{where}.incident_types", message_code="norm_incident_types_unknown", params=params)
    if not rule.levels or set(rule.levels) - set(LEVELS):
        raise InvalidInput("levels must be some of I, II, III, IV", field=f"{where}.levels",
                           message_code="norm_levels_unknown", params=params)
    if rule.source is not None and len(rule.source) > 300:
        raise InvalidInput("the source is at most 300 characters", field=f"{where}.source",
                           message_code="norm_source_too_long", params=params)


def _canonical(rule: NormRule) -> NormRule:
    """The same norm as stored: "all" alone stands for every type, levels in order of severity."""
    types = ("all",) if "all" in rule.incident_types else tuple(t for t in INCIDENT_TYPES if t in rule.incident_types)
    levels = tuple(lv for lv in LEVELS if lv in rule.levels)
    return NormRule(rule.item, rule.basis, float(rule.quantity), bool(rule.per_day), types, levels,
                    (rule.source or "").strip() or None)


def add_norm_version(uow, user_id: int | None, rules: list[NormRule], note: str | None,
                     now: datetime | None = None) -> int:
    """Stores a complete set of norms as a new version inside the caller's transaction."""
    if note is not None and len(note) > 200:
        raise InvalidInput("the note is at most 200 characters", field="note", message_code="norm_note_too_long")
    seen = set()
    items = dict(uow.session.exec(select(Item.code, Item.id)).all())
    problems = Problems()  # every bad norm named at once
    for i, rule in enumerate(rules):
        problems.check(check_norm, rule, i, line=i + 1, value=rule.item)
        if rule.item not in items:
            problems.add(NotFound(f"no item with code {rule.item}", field=f"norms[{i}].item",
                                  message_code="item_unknown", params={"item": rule.item}),
                         line=i + 1, column="item", value=rule.item)
        elif rule.item in seen:
            problems.add(InvalidInput(f"item {rule.item} has two norms", field=f"norms[{i}].item",
                                      message_code="norm_item_twice", params={"item": rule.item}),
                         line=i + 1, column="item", value=rule.item)
        seen.add(rule.item)
    problems.raise_any("norms", "the norms")
    version = NormVersion(created_by=user_id, note=(note or "").strip() or None, created_at=now or utcnow())
    uow.session.add(version)
    uow.session.flush()
    for rule in rules:
        uow.session.add(Norm(version_id=version.id, item_id=items[rule.item], basis=rule.basis, quantity=rule.quantity,
                             per_day=rule.per_day, incident_types="|".join(rule.incident_types),
                             levels="|".join(rule.levels), source=rule.source))
    return version.id


def replace_norms(engine, actor: Actor, rules: list[NormRule], note: str | None = None,
                  now: datetime | None = None) -> int:
    actor.require_role(ADMIN)
    with UnitOfWork(engine) as uow:
        version_id = add_norm_version(uow, actor.user_id, rules, note, now)
        append_event(uow.session, engine, "rule_change", username=actor.username, message=("norms_replaced", {"version": version_id, "items": len(rules)}))
        uow.commit()
        return version_id


def change_norm(engine, actor: Actor, item: str, rule: NormRule | None, note: str | None = None,
                now: datetime | None = None) -> int:
    """A new version of the norms: the current set with the norm of one item added, changed (``rule``) or
    taken out (``rule`` None). Norms are never edited in place, so the plans made so far keep naming the
    version they used. Refuses a change that changes nothing."""
    actor.require_role(ADMIN)
    with UnitOfWork(engine) as uow:
        _, current = load_norms(uow.session)
        by_item = {r.item: r for r in current}
        if rule is None:
            if item not in by_item:
                raise NotFound(f"the current norms have no norm for item {item}", field="item",
                               message_code="norm_absent", params={"item": item})
            del by_item[item]
        else:
            if rule.item != item:
                raise InvalidInput("the norm is for another item", field="item", message_code="norm_item_mismatch",
                                   params={"item": item})
            check_norm(rule, 0)
            rule = _canonical(rule)
            if by_item.get(item) == rule:
                raise InvalidInput(f"the norm for item {item} is already so; nothing to change", field="item",
                                   message_code="norm_unchanged", params={"item": item})
            by_item[item] = rule
        version_id = add_norm_version(uow, actor.user_id, [by_item[k] for k in sorted(by_item)], note, now)
        append_event(uow.session, engine, "rule_change", username=actor.username, message=("norm_removed" if rule is None else "norm_set", {"item": item, "version": version_id}))
        uow.commit()
        return version_id


def restore_norm_version(engine, actor: Actor, version_id: int, note: str | None = None,
                         now: datetime | None = None) -> int:
    """Makes an earlier version current again, as a new version with the same norms."""
    actor.require_role(ADMIN)
    with UnitOfWork(engine) as uow:
        if uow.session.get(NormVersion, version_id) is None:
            raise NotFound(f"no norms version {version_id}", field="version", message_code="norm_version_unknown",
                           params={"version": version_id})
        current = current_norm_version(uow.session)
        if current is not None and current.id == version_id:
            raise InvalidInput(f"version {version_id} is already the current one", field="version",
                               message_code="norm_version_already_current", params={"version": version_id})
        _, rules = load_norms(uow.session, version_id)
        new_id = add_norm_version(uow, actor.user_id, rules, note or f"restored from version {version_id}", now)
        append_event(uow.session, engine, "rule_change", username=actor.username, message=("norms_restored", {"old": version_id, "version": new_id}))
        uow.commit()
        return new_id


def read_default_norms(path: Path = DEFAULT_NORMS) -> list[NormRule]:
    with open(path, newline="", encoding="utf-8") as f:
        return [NormRule(item=r["item_code"], basis=r["basis"], quantity=float(r["quantity"]),
                         per_day=r["per_day"] == "yes", incident_types=tuple(r["incident_types"].split("|")),
                         levels=tuple(r["levels"].split("|")), source=r["source"]) for r in csv.DictReader(f)]


def norm_dict(rule: NormRule) -> dict:
    return {**asdict(rule), "incident_types": list(rule.incident_types), "levels": list(rule.levels)}


def list_norm_versions(engine) -> list[dict]:
    """Every version of the norms, newest first: when, by whom, why, how many norms, and the plans that
    used it (each plan names its incident)."""
    with Session(engine) as s:
        versions = s.exec(select(NormVersion, User.username).join(User, User.id == NormVersion.created_by, isouter=True)
                          .order_by(NormVersion.id.desc())).all()
        counts = dict(s.exec(select(Norm.version_id, func.count(Norm.id)).group_by(Norm.version_id)).all())
        plans: dict[int, list[dict]] = {}
        for plan_id, version_id, created_at, incident_id, title in s.exec(
                select(Plan.id, Plan.norm_version_id, Plan.created_at, Incident.id, Incident.title)
                .join(Incident, Incident.id == Plan.incident_id)
                .where(Plan.norm_version_id.is_not(None)).order_by(Plan.id)).all():
            plans.setdefault(version_id, []).append({"plan": plan_id, "incident": incident_id, "title": title,
                                                     "created_at": created_at})
    current = versions[0][0].id if versions else None
    return [{"version": v.id, "created_at": v.created_at, "created_by": username, "note": v.note,
             "norms": counts.get(v.id, 0), "current": v.id == current, "plans": plans.get(v.id, [])}
            for v, username in versions]


# ---------------------------------------------------------------- floors


def set_floor(engine, actor: Actor, depot: str, item: str, quantity: int) -> dict:
    actor.require_role(ADMIN)
    _check_floor(quantity, "quantity")
    with UnitOfWork(engine) as uow:
        depot_row = uow.session.exec(select(Depot).where(Depot.code == depot)).first()
        item_row = uow.session.exec(select(Item).where(Item.code == item)).first()
        if depot_row is None:
            raise NotFound(f"no depot with code {depot}", field="depot", message_code="depot_unknown",
                           params={"depot": depot})
        if item_row is None:
            raise NotFound(f"no item with code {item}", field="item", message_code="item_unknown",
                           params={"item": item})
        uow.session.merge(ReserveFloor(depot_id=depot_row.id, item_id=item_row.id, quantity=quantity))
        append_event(uow.session, engine, "rule_change", username=actor.username, message=("floor_set", {"depot": depot, "item": item, "quantity": quantity}))
        uow.commit()
    return {"depot": depot, "item": item, "quantity": quantity}


def _check_floor(quantity, field: str, **params) -> None:
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 0:
        raise InvalidInput("a floor is a whole number of units, 0 or more", field=field, message_code="floor_negative",
                           params=params)
    if quantity > MAX_FLOOR:
        raise InvalidInput(f"a floor is at most {MAX_FLOOR:,} units", field=field, message_code="floor_too_large",
                           params={**params, "max": f"{MAX_FLOOR:,}"})


MAX_FLOOR = 10_000_000


def import_floors(engine, actor: Actor, data: bytes) -> int:
    """depot,item,quantity (UTF-8 CSV): sets the floor of each row's depot and item; other floors stay as
    they are. All rows or none: every bad row is named (``common.errors.Problems``) and nothing is stored."""
    from dispatch.importers import known_depot, read_csv, whole_number

    actor.require_role(ADMIN)
    rows = read_csv(data, ("depot", "item", "quantity"))
    with UnitOfWork(engine) as uow:
        s = uow.session
        depots = dict(s.exec(select(Depot.code, Depot.id)).all())
        items = dict(s.exec(select(Item.code, Item.id)).all())
        seen: dict[tuple[str, str], int] = {}
        parsed = []
        problems = Problems()
        for n, row in enumerate(rows, start=2):
            depot, item = (row["depot"] or "").strip(), (row["item"] or "").strip()
            depot_id = problems.check(known_depot, depots, depot, n, line=n, column="depot", value=depot)
            if item not in items:
                problems.add(InvalidInput(f"row {n}, column item: no item with code {item!r}", field=f"row {n}.item",
                                          message_code="file_item_unknown", params={"row": n, "item": item}),
                             line=n, column="item", value=item)
            elif (depot, item) in seen:
                problems.add(InvalidInput(f"row {n}: depot {depot} and item {item} appear twice (first in row "
                                          f"{seen[depot, item]})", field=f"row {n}", message_code="file_floor_twice",
                                          params={"row": n, "depot": depot, "item": item,
                                                  "first": seen[depot, item]}), line=n, value=item)
            else:
                seen[depot, item] = n
            quantity = problems.check(whole_number, row, "quantity", n, line=n, column="quantity",
                                      value=row.get("quantity"))
            if quantity is not None and quantity > MAX_FLOOR:
                problems.add(InvalidInput(f"row {n}, column quantity: a floor is at most {MAX_FLOOR:,} units",
                                          field=f"row {n}.quantity", message_code="file_floor_too_large",
                                          params={"row": n, "max": f"{MAX_FLOOR:,}"}),
                             line=n, column="quantity", value=quantity)
            elif depot_id is not None and item in items and quantity is not None:
                parsed.append(ReserveFloor(depot_id=depot_id, item_id=items[item], quantity=quantity))
        problems.raise_any("file", "the file's rows")
        for floor in parsed:
            s.merge(floor)
        append_event(s, engine, "rule_change", username=actor.username, message=("floors_imported", {"rows": len(parsed)}))
        uow.commit()
    return len(parsed)


def list_floors(engine) -> list[dict]:
    with Session(engine) as s:
        rows = s.exec(select(Depot.code, Item.code, ReserveFloor.quantity)
                      .join(Depot, Depot.id == ReserveFloor.depot_id).join(Item, Item.id == ReserveFloor.item_id)
                      .order_by(Depot.code, Item.code)).all()
    return [{"depot": d, "item": i, "quantity": q} for d, i, q in rows]


# ---------------------------------------------------------------- shelters


def _check_shelter(s: Session, name: str, town: str, lat: float, lon: float, capacity: int | None,
                   address: str | None) -> Depot:
    if not (name or "").strip() or len(name.strip()) > 100:
        raise InvalidInput("give the shelter a name of at most 100 characters", field="name",
                           message_code="shelter_name_needed")
    town_row = s.exec(select(Depot).where(Depot.code == town)).first()
    if town_row is None or town_row.tier != "town":
        raise InvalidInput(f"{town} is not a town station", field="town", message_code="shelter_town_not_town",
                           params={"town": town})
    for name_, value, low, high in (("lat", lat, -90, 90), ("lon", lon, -180, 180)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
            raise InvalidInput("coordinates out of range", field=name_, message_code=f"shelter_{name_}_out_of_range")
    if capacity is not None and (isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 0):
        raise InvalidInput("capacity is a whole number of people, 0 or more", field="capacity",
                           message_code="shelter_capacity_negative")
    if address is not None and len(address) > 200:
        raise InvalidInput("the address is at most 200 characters", field="address",
                           message_code="shelter_address_too_long")
    return town_row


def add_shelter(uow, code: str, name: str, town: str, lat: float, lon: float, capacity: int | None = None,
                address: str | None = None) -> Shelter:
    s = uow.session
    code = (code or "").strip()
    if len(code) > 32 or not re.fullmatch(CODE_PATTERN, code):  # it goes into URLs: /admin/shelters/<code>
        raise InvalidInput(f"a code is 1 to 32 characters; {CODE_RULE}", field="code",
                           message_code="shelter_code_invalid")
    if s.exec(select(Shelter.id).where(Shelter.code == code)).first() or \
            s.exec(select(Depot.id).where(Depot.code == code)).first():
        raise InvalidInput(f"code {code} is already used by a shelter or depot", field="code",
                           message_code="shelter_code_taken", params={"code": code})
    town_row = _check_shelter(s, name, town, lat, lon, capacity, address)
    shelter = Shelter(code=code, name=name.strip(), town_id=town_row.id, lat=lat, lon=lon, capacity=capacity,
                      address=(address or "").strip() or None)
    s.add(shelter)
    s.flush()
    return shelter


def create_shelter(engine, actor: Actor, **fields_) -> dict:
    actor.require_role(ADMIN)
    with UnitOfWork(engine) as uow:
        shelter = add_shelter(uow, **fields_)
        uow.commit()
        return shelter_dict(shelter, fields_["town"])


def update_shelter(engine, actor: Actor, code: str, *, name: str, town: str, lat: float, lon: float,
                   capacity: int | None = None, address: str | None = None) -> dict:
    """Everything of a shelter but its code, which incidents name it by."""
    actor.require_role(ADMIN)
    with UnitOfWork(engine) as uow:
        s = uow.session
        shelter = s.exec(select(Shelter).where(Shelter.code == code)).first()
        if shelter is None:
            raise NotFound(f"no shelter with code {code}", field="code", message_code="shelter_unknown",
                           params={"code": code})
        town_row = _check_shelter(s, name, town, lat, lon, capacity, address)
        shelter.name, shelter.town_id, shelter.lat, shelter.lon = name.strip(), town_row.id, lat, lon
        shelter.capacity, shelter.address = capacity, (address or "").strip() or None
        s.add(shelter)
        uow.commit()
        return shelter_dict(shelter, town)


def shelter_dict(s: Shelter, town_code: str) -> dict:
    return {"code": s.code, "name": s.name, "town": town_code, "lat": s.lat, "lon": s.lon, "capacity": s.capacity,
            "address": s.address}


def list_shelters(engine) -> list[dict]:
    with Session(engine) as s:
        rows = s.exec(select(Shelter, Depot.code).join(Depot, Depot.id == Shelter.town_id).order_by(Shelter.code)).all()
    return [shelter_dict(shelter, town) for shelter, town in rows]


# ---------------------------------------------------------------- reading


def read_levels(engine) -> list[dict]:
    with Session(engine) as s:
        return [asdict(r) for r in load_levels(s)]


def read_norms(engine, version_id: int | None = None) -> dict:
    """The norms of one version (default: the current one). An unknown version is a NotFound."""
    with Session(engine) as s:
        if version_id is not None and s.get(NormVersion, version_id) is None:
            raise NotFound(f"no norms version {version_id}", field="version", message_code="norm_version_unknown",
                           params={"version": version_id})
        version, rules = load_norms(s, version_id)
    return {"version": version, "norms": [norm_dict(r) for r in rules]}


def read_settings(engine) -> dict:
    with Session(engine) as s:
        return asdict(load_settings(s))


def load_defaults(uow, user_id: int | None) -> None:
    """Default levels and the default norms (data/norms-default.csv) as version 1."""
    for rule in DEFAULT_LEVELS:
        uow.session.merge(ResponseLevel(**asdict(rule)))
    add_norm_version(uow, user_id, read_default_norms(), "默认定额（环球计划标准与国内通行做法）")
