"""Incidents (灾情/应急响应): declare, change the level with a reason, name the affected sites, see needs."""
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_
from sqlmodel import Session, delete, select

from accounts.models import User
from common.actor import ADMIN, DISPATCHER, Actor
from common.db import UnitOfWork
from common.errors import InvalidInput, NotFound, Problems
from dispatch.models import INCIDENT_TYPES, LEVELS, AffectedSite, Incident, LevelChange, Shelter
from dispatch.norms import gross_need, suggest_level
from dispatch.settings import PlanningSettings, load_levels, load_norms, load_settings
from inventory.models import Depot, Item, Lot

MAX_PEOPLE_PER_SITE = 1_000_000


@dataclass(frozen=True)
class Site:
    """An affected place: a village point (a depot) or a shelter; `town_id` is the town whose area it is in."""

    code: str
    name: str
    lat: float | None
    lon: float | None
    town_id: int | None
    depot_id: int | None  # set when the site is a village point


def resolve_sites(session: Session, codes: list[str]) -> dict[str, Site]:
    conn = session.connection()  # plain rows
    depots = {d.code: d for d in conn.execute(
        select(Depot.code, Depot.name, Depot.lat, Depot.lon, Depot.parent_id, Depot.tier, Depot.id)
        .where(Depot.code.in_(codes))).all()}
    shelters = {s.code: s for s in conn.execute(
        select(Shelter.code, Shelter.name, Shelter.lat, Shelter.lon, Shelter.town_id)
        .where(Shelter.code.in_(codes))).all()}
    sites = {}
    for code in codes:
        if code in depots:
            d = depots[code]
            sites[code] = Site(code, d.name, d.lat, d.lon, d.parent_id if d.tier == "village" else d.id, d.id)
        elif code in shelters:
            s = shelters[code]
            sites[code] = Site(code, s.name, s.lat, s.lon, s.town_id, None)
    return sites


def _check_sites(session: Session, sites: list[dict], problems: Problems | None = None) -> None:
    """Every bad site is named at once (into ``problems`` when the caller has more of them, e.g. a file's
    rows that are not numbers; else raised here). A site given as a file's row carries ``row``: its problems
    name that row as their ``line``; a row whose people could not be read (None) was named already."""
    if not sites:
        raise InvalidInput("name at least one affected site with its displaced people", field="sites",
                           message_code="sites_empty")
    collect = problems if problems is not None else Problems()
    codes = [s["site"] for s in sites]
    known = resolve_sites(session, codes)
    tiers = dict(session.exec(select(Depot.code, Depot.tier).where(Depot.code.in_(codes))).all())
    seen = set()
    for i, row in enumerate(sites):
        code, people, line = row["site"], row["people"], row.get("row")
        if not code and line is not None:
            continue  # an empty code in a file's row: named by the file's reader
        if code not in known:
            collect.add(NotFound(f"no village point or shelter with code {code}", field=f"sites[{i}].site",
                                 message_code="site_unknown", params={"site": code}), line=line, column="site",
                        value=code)
        elif tiers.get(code, "village") != "village":
            collect.add(InvalidInput(f"{code} is a {tiers[code]} depot; affected sites are village points or shelters",
                                     field=f"sites[{i}].site", message_code="site_not_village",
                                     params={"site": code, "tier": tiers[code]}), line=line, column="site", value=code)
        elif code in seen:
            collect.add(InvalidInput(f"site {code} is named twice", field=f"sites[{i}].site",
                                     message_code="site_twice", params={"site": code}), line=line, column="site",
                        value=code)
        seen.add(code)
        if people is None and line is not None:
            continue
        if isinstance(people, bool) or not isinstance(people, int) or not 0 <= people <= MAX_PEOPLE_PER_SITE:
            collect.add(InvalidInput(f"people must be a whole number from 0 to {MAX_PEOPLE_PER_SITE:,}",
                                     field=f"sites[{i}].people", message_code="site_people_out_of_range",
                                     params={"site": code, "max": f"{MAX_PEOPLE_PER_SITE:,}"}),
                        line=line, column="people", value=people)
    if problems is None:
        collect.raise_any("sites", "the sites")


def check_sites(engine, actor: Actor, sites: list[dict], problems: Problems) -> None:
    """Adds the sites' problems to ``problems`` without writing anything (a page whose other lines could not
    be read names these too)."""
    actor.require_role(ADMIN, DISPATCHER)
    if sites:
        with Session(engine) as s:
            _check_sites(s, sites, problems)


def declare(engine, actor: Actor, *, type: str, title: str, declared_at: datetime, sites: list[dict],
            level: str | None = None, level_reason: str | None = None, days: int | None = None) -> int:
    actor.require_role(ADMIN, DISPATCHER)
    if type not in INCIDENT_TYPES:
        raise InvalidInput(f"type must be one of {', '.join(INCIDENT_TYPES)}", field="type",
                           message_code="incident_type_unknown")
    if not title.strip():
        raise InvalidInput("give the incident a title", field="title", message_code="incident_title_empty")
    with UnitOfWork(engine) as uow:
        s = uow.session
        _check_sites(s, sites)
        suggested = suggest_level(sum(row["people"] for row in sites), load_levels(s))
        chosen = level or suggested
        if chosen is None:
            raise InvalidInput("the displaced people are below the level IV threshold; choose a level", field="level",
                               message_code="level_below_threshold")
        if chosen not in LEVELS:
            raise InvalidInput("level must be I, II, III or IV", field="level", message_code="level_unknown")
        if chosen != suggested and not (level_reason or "").strip():
            raise InvalidInput(f"the people suggest level {suggested or '—'}; give a reason for level {chosen}",
                               field="level_reason", message_code="level_reason_needed",
                               params={"suggested": suggested or "—", "chosen": chosen})
        days = days or load_settings(s).days
        if not 1 <= days <= 60:
            raise InvalidInput("days must be from 1 to 60", field="days", message_code="days_out_of_range")
        incident = Incident(type=type, title=title.strip(), level=chosen, suggested_level=suggested,
                            level_reason=level_reason, declared_at=declared_at, days=days, created_by=actor.user_id)
        s.add(incident)
        s.flush()
        for row in sites:
            s.add(AffectedSite(incident_id=incident.id, site_code=row["site"], people=row["people"]))
        uow.commit()
        return incident.id


def change_level(engine, actor: Actor, incident_id: int, level: str, reason: str, now: datetime) -> dict:
    """Changes the response level with the reason, who and when (``now``: the request's clock) kept on the
    change; the declaration's level and reason stay as they were."""
    actor.require_role(ADMIN, DISPATCHER)
    if level not in LEVELS:
        raise InvalidInput("level must be I, II, III or IV", field="level", message_code="level_unknown")
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("say why the level changes", field="reason", message_code="level_change_reason_needed")
    if len(reason) > 500:
        raise InvalidInput("the reason is at most 500 characters", field="reason",
                           message_code="level_change_reason_too_long")
    with UnitOfWork(engine) as uow:
        incident = _incident(uow.session, incident_id)
        if incident.level == level:
            raise InvalidInput(f"the incident is already at level {level}", field="level",
                               message_code="level_unchanged", params={"level": level})
        uow.session.add(LevelChange(incident_id=incident.id, from_level=incident.level, to_level=level, reason=reason,
                                    user_id=actor.user_id, username=actor.username, created_at=now))
        incident.level = level
        uow.session.add(incident)
        uow.commit()
    return get(engine, actor, incident_id)


def replace_sites(engine, actor: Actor, incident_id: int, sites: list[dict], problems: Problems | None = None) -> dict:
    """``problems``: those found already in the sites' file (rows that are not numbers), named with the rest."""
    actor.require_role(ADMIN, DISPATCHER)
    with UnitOfWork(engine) as uow:
        s = uow.session
        incident = _incident(s, incident_id)
        collect = problems if problems is not None else Problems()
        _check_sites(s, sites, collect)
        collect.raise_any("sites", "the sites")
        s.exec(delete(AffectedSite).where(AffectedSite.incident_id == incident.id))
        for row in sites:
            s.add(AffectedSite(incident_id=incident.id, site_code=row["site"], people=row["people"]))
        incident.suggested_level = suggest_level(sum(r["people"] for r in sites), load_levels(s))
        s.add(incident)
        uow.commit()
    return get(engine, actor, incident_id)


def _incident(session: Session, incident_id: int) -> Incident:
    incident = session.get(Incident, incident_id)
    if incident is None:
        raise NotFound(f"no incident {incident_id}", field="incident", message_code="incident_unknown",
                       params={"incident": incident_id})
    return incident


def incident_dict(session: Session, incident: Incident) -> dict:
    sites = session.exec(select(AffectedSite).where(AffectedSite.incident_id == incident.id)
                         .order_by(AffectedSite.site_code)).all()
    resolved = resolve_sites(session, [a.site_code for a in sites])
    changes = session.exec(select(LevelChange).where(LevelChange.incident_id == incident.id)
                           .order_by(LevelChange.id)).all()
    declared_by = session.get(User, incident.created_by)
    return {
        "id": incident.id, "type": incident.type, "title": incident.title, "level": incident.level,
        "suggested_level": incident.suggested_level, "level_reason": incident.level_reason,
        "declared_at": incident.declared_at, "days": incident.days,
        "people": sum(a.people for a in sites),
        "sites": [{"site": a.site_code, "name": resolved[a.site_code].name if a.site_code in resolved else None,
                   "people": a.people} for a in sites],
        "declared_by": declared_by.username if declared_by else None,
        "level_changes": [{"from": c.from_level, "to": c.to_level, "reason": c.reason, "at": c.created_at.isoformat(),
                           "user_id": c.user_id, "username": c.username} for c in changes],
    }


def get(engine, actor: Actor, incident_id: int) -> dict:
    with Session(engine) as s:
        return incident_dict(s, _incident(s, incident_id))


def list_incidents(engine, actor: Actor) -> list[dict]:
    with Session(engine) as s:
        return [incident_dict(s, i) for i in s.exec(select(Incident).order_by(Incident.id.desc())).all()]


def needs(session: Session, incident: Incident, today) -> tuple[int | None, list[dict]]:
    """Per site and item: what the norms ask for, what the site's own point holds (usable), and the rest."""
    version_id, lines, _ = needs_and_sites(session, incident, today)
    return version_id, lines


def needs_and_sites(session: Session, incident: Incident, today, norms: tuple | None = None,
                    settings: PlanningSettings | None = None,
                    items: list | None = None) -> tuple[int | None, list[dict], dict[str, Site]]:
    """``needs``, and the affected sites by code. ``norms`` ((version, rules) as ``load_norms`` gives them),
    ``settings`` and ``items`` (rows with id, code, name_zh and unit of at least the items the norms name): when
    the caller has read them already."""
    version_id, norms = norms or load_norms(session)
    household_size, days = (settings or load_settings(session)).household_size, incident.days
    rules = [n for n in norms if n.applies(incident.type, incident.level)]
    conn = session.connection()  # plain rows: a city's plan asks this for hundreds of (site, item) lines
    affected = conn.execute(select(AffectedSite.site_code, AffectedSite.people)
                            .where(AffectedSite.incident_id == incident.id).order_by(AffectedSite.site_code)).all()
    resolved = resolve_sites(session, [a.site_code for a in affected])
    if items is None:
        items = conn.execute(select(Item.id, Item.code, Item.name_zh, Item.unit)
                             .where(Item.code.in_([r.item for r in rules]))).all()
    items = {i.code: i for i in items}
    own = _own_usable(session, [s.depot_id for s in resolved.values() if s.depot_id], today)
    asked = [(rule, items[rule.item].id, rule.item, items[rule.item].name_zh, items[rule.item].unit) for rule in rules]
    lines = []
    for site_code, people in affected:
        site = resolved[site_code]
        for rule, item_id, item_code, item_name, unit in asked:
            gross = gross_need(rule, people, household_size, days)
            if gross == 0:
                continue
            held = own.get((site.depot_id, item_id), 0) if site.depot_id else 0
            lines.append({"site": site.code, "site_name": site.name, "people": people, "item": item_code,
                          "item_name": item_name, "unit": unit, "gross": gross, "own_stock": min(held, gross),
                          "net": max(0, gross - held)})
    return version_id, lines, resolved


def _own_usable(session: Session, depot_ids: list[int], today) -> dict[tuple[int, int], int]:
    """Units in usable lots (usable through the expiry date) per (depot, item)."""
    if not depot_ids:
        return {}
    rows = session.connection().execute(
        select(Lot.depot_id, Lot.item_id, func.sum(Lot.quantity))
        .where(Lot.depot_id.in_(depot_ids), Lot.quantity > 0, Lot.storage_mode == "physical",
               or_(Lot.expires_on.is_(None), Lot.expires_on >= today))
        .group_by(Lot.depot_id, Lot.item_id)).all()
    return {(depot_id, item_id): int(units) for depot_id, item_id, units in rows}


def needs_for(engine, actor: Actor, incident_id: int, today) -> dict:
    with Session(engine) as s:
        incident = _incident(s, incident_id)
        version_id, lines = needs(s, incident, today)
        return {"incident": incident_id, "norm_version": version_id, "lines": lines}

