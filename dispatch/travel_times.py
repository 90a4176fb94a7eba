"""The road-network travel times imported (``importers.import_travel_times``): counted, listed a page at a
time beside the estimate from coordinates, and removed."""
import math

from sqlmodel import Session, delete, func, select

from common.actor import ADMIN, Actor
from common.db import UnitOfWork
from dispatch import settings
from dispatch.models import Shelter, TravelTime
from dispatch.travel import estimate_minutes
from inventory.models import Depot

PAGE_SIZE = 100


def count(eng) -> int:
    with Session(eng) as s:
        return s.exec(select(func.count()).select_from(TravelTime)).one()


def page(eng, planning: settings.PlanningSettings, depot: str | None, site: str | None,
                       page: int) -> tuple[int, int, int, int, list[dict]]:
    """One page of the imported travel times (depot code, then site code), filtered by an exact depot and
    site code: (all of them, those matching, the page, pages, rows). Each row also carries the minutes the
    coordinates would give, None where the depot or site has no coordinates."""
    with Session(eng) as s:
        total = s.exec(select(func.count()).select_from(TravelTime)).one()
        query = select(TravelTime.site_code, TravelTime.minutes, Depot).join(Depot, Depot.id == TravelTime.depot_id)
        if depot:
            query = query.where(Depot.code == depot)
        if site:
            query = query.where(TravelTime.site_code == site)
        matching = total if not (depot or site) else s.exec(select(func.count()).select_from(query.subquery())).one()
        pages = max(1, math.ceil(matching / PAGE_SIZE))
        page = min(max(page, 1), pages)
        found = s.exec(query.order_by(Depot.code, TravelTime.site_code)
                       .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
        codes = sorted({code for code, _minutes, _depot in found})
        places = {d.code: (d.name, d.lat, d.lon, False) for d in s.exec(select(Depot).where(Depot.code.in_(codes)))}
        places.update({sh.code: (sh.name, sh.lat, sh.lon, True)
                       for sh in s.exec(select(Shelter).where(Shelter.code.in_(codes)))})
    travel = planning.travel()
    rows = []
    for code, minutes, d in found:
        name, lat, lon, shelter = places.get(code, (None, None, None, False))
        estimate = None if None in (d.lat, d.lon, lat, lon) else estimate_minutes(travel, d.tier, (d.lat, d.lon),
                                                                                    (lat, lon))
        rows.append({"depot": {"code": d.code, "name": d.name, "tier": d.tier, "kind": d.kind, "key_town": d.key_town},
                     "site": code, "site_name": name, "shelter": shelter, "minutes": minutes, "estimate": estimate})
    return total, matching, page, pages, rows


def clear(eng, actor: Actor) -> int:
    """Removes every imported travel time in one transaction; returns how many there were."""
    actor.require_role(ADMIN)
    with UnitOfWork(eng) as uow:
        count = uow.session.exec(select(func.count()).select_from(TravelTime)).one()
        uow.session.exec(delete(TravelTime))
        uow.commit()
    return count
