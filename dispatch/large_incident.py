"""A large incident on the demo county, to measure and look at the incident page at scale: a level I flood
response for 200,000 displaced people at 45 sites (41 village points, the first of each town's villages
then the second, and the 4 shelters), planned. Used by ``scripts/incident_weight.py``."""
from datetime import datetime, timezone

from sqlmodel import Session, select

from accounts.models import User
from accounts.services import actor_for
from dispatch import incidents, planning
from dispatch.models import Incident
from inventory.models import Depot

TITLE = "大规模转移演示 200,000 人"
PEOPLE = 200_000
SITES = 45


def large_sites(villages: list[str], shelters: list[str], people: int = PEOPLE, count: int = SITES) -> list[dict]:
    """``count`` sites sharing ``people`` (the remainder to the first sites): the shelters, then villages
    taken one per town in turn (village codes are "<town>-V<nn>")."""
    by_town: dict[str, list[str]] = {}
    for code in sorted(villages):
        by_town.setdefault(code.rsplit("-", 1)[0], []).append(code)
    chosen = list(shelters)[:count]
    rank = 0
    while len(chosen) < count and any(len(v) > rank for v in by_town.values()):
        chosen += [v[rank] for _, v in sorted(by_town.items()) if len(v) > rank][:count - len(chosen)]
        rank += 1
    share, rest = divmod(people, len(chosen))
    return [{"site": code, "people": share + (1 if i < rest else 0)} for i, code in enumerate(chosen)]


def ensure_large_incident(engine, now: datetime | None = None) -> int:
    """The large incident's id, declared and planned by the demo dispatcher when it is not there yet."""
    now = now or datetime.now(timezone.utc)
    with Session(engine) as s:
        found = s.exec(select(Incident.id).where(Incident.title == TITLE)).first()
        if found is not None:
            return found
        dispatcher = actor_for(s, s.exec(select(User).where(User.username == "dispatcher")).one())
        villages = list(s.exec(select(Depot.code).where(Depot.tier == "village")).all())
    from dispatch.settings import list_shelters

    shelters = [row["code"] for row in list_shelters(engine)]
    incident_id = incidents.declare(engine, dispatcher, type="flood", title=TITLE, declared_at=now,
                                    sites=large_sites(villages, shelters), level="I", level_reason="演示：大规模转移")
    planning.plan_incident(engine, dispatcher, incident_id, now, "Asia/Shanghai")
    return incident_id
