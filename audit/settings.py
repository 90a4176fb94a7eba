"""The auditor's report settings, administrator-editable, with defaults a county plan would start from.

Stored as JSON values under keys ``audit.<name>`` in the planning settings table (``dispatch.models.Setting``),
which keeps one place for a county's configuration; dispatch reads only its own keys there.
"""
import json
from dataclasses import asdict, dataclass, field, fields

from sqlmodel import Session, select

from common.actor import ADMIN, Actor
from common.db import UnitOfWork
from common.errors import InvalidInput
from dispatch.models import Setting

PREFIX = "audit."
MAX_WINDOWS = 6


@dataclass(frozen=True)
class AuditSettings:
    # Expiry report: lots expiring within each of these many days (临期 windows).
    expiry_windows: tuple[int, ...] = (30, 60, 90)
    # Reserve sufficiency: the county target covers this share (percent) of the people a level III response
    # would resettle ("50% of the people needing urgent resettlement under level III", one county's plan) ...
    reserve_share_percent: float = 50.0
    # ... taken as the largest level III response (one fewer than level II's threshold) unless set here.
    reserve_people: int | None = None
    # Days of per-day consumables (water, food) the target holds; None: the planning setting `days`.
    reserve_days: int | None = None
    # Kit quantities per town station (its villages' stock counts too): key towns hold the three big items
    # (satellite phone, generator, drainage pump), other towns the four small items (helmet, flashlight,
    # rain gear, life jacket) for a town emergency team of about 20.
    kit_quantities: dict = field(default_factory=lambda: {"big3": 1, "small4": 20})
    # Rotation: a move to a depot that issues the item more is suggested only with this many days left,
    # and issue counts are taken over this many days back.
    rotation_move_min_days: int = 30
    rotation_issue_lookback_days: int = 365


def check_windows(windows) -> tuple[int, ...]:
    try:
        values = tuple(int(w) for w in windows)
    except (TypeError, ValueError):
        raise InvalidInput("windows are whole numbers of days, e.g. 30,60,90", field="windows")
    if not values:
        raise InvalidInput("give at least one expiry window", field="windows")
    if any(w < 1 for w in values):
        raise InvalidInput("an expiry window of zero days (or fewer) covers nothing; use 1 or more", field="windows")
    if list(values) != sorted(set(values)):
        raise InvalidInput("expiry windows must be different and in increasing order, e.g. 30,60,90", field="windows")
    if len(values) > MAX_WINDOWS or values[-1] > 3660:
        raise InvalidInput(f"at most {MAX_WINDOWS} windows of up to 3660 days", field="windows")
    return values


def check_settings(s: AuditSettings) -> AuditSettings:
    windows = check_windows(s.expiry_windows)
    if not 0 < s.reserve_share_percent <= 100:
        raise InvalidInput("reserve_share_percent is a percentage above 0 and up to 100", field="reserve_share_percent")
    if s.reserve_people is not None and s.reserve_people < 1:
        raise InvalidInput("reserve_people must be 1 or more (or empty: the level III threshold)", field="reserve_people")
    if s.reserve_days is not None and s.reserve_days < 1:
        raise InvalidInput("reserve_days must be 1 or more (or empty: the planning days)", field="reserve_days")
    kits = dict(s.kit_quantities or {})
    if set(kits) - {"big3", "small4"} or any(not isinstance(v, int) or v < 0 for v in kits.values()):
        raise InvalidInput("kit_quantities maps big3 / small4 to whole numbers of 0 or more", field="kit_quantities")
    if s.rotation_move_min_days < 0 or s.rotation_issue_lookback_days < 1:
        raise InvalidInput("rotation days must be 0 or more (lookback 1 or more)", field="rotation_move_min_days")
    return AuditSettings(**{**asdict(s), "expiry_windows": windows, "kit_quantities": {"big3": 1, "small4": 20, **kits}})


def load(session: Session) -> AuditSettings:
    rows = session.exec(select(Setting).where(Setting.key.startswith(PREFIX))).all()
    known = {f.name for f in fields(AuditSettings)}
    stored = {row.key[len(PREFIX):]: json.loads(row.value) for row in rows}
    values = {k: v for k, v in stored.items() if k in known}
    if "expiry_windows" in values:
        values["expiry_windows"] = tuple(values["expiry_windows"])
    return AuditSettings(**values)


def read(engine) -> dict:
    with Session(engine) as s:
        return as_dict(load(s))


def as_dict(s: AuditSettings) -> dict:
    return {**asdict(s), "expiry_windows": list(s.expiry_windows)}


def update(engine, actor: Actor, changes: dict) -> dict:
    """Administrators change the report settings; auditors and everyone else get a 403."""
    actor.require_role(ADMIN)
    known = {f.name for f in fields(AuditSettings)}
    unknown = set(changes) - known
    if unknown:
        raise InvalidInput(f"unknown setting {sorted(unknown)[0]}", field=sorted(unknown)[0])
    with UnitOfWork(engine) as uow:
        merged = check_settings(AuditSettings(**{**asdict(load(uow.session)), **changes}))
        for key in changes:
            value = getattr(merged, key)
            row = uow.session.get(Setting, PREFIX + key) or Setting(key=PREFIX + key, value="")
            row.value = json.dumps(list(value) if isinstance(value, tuple) else value)
            uow.session.add(row)
        uow.commit()
        return as_dict(merged)
