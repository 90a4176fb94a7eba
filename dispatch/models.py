"""Tables of the dispatch work: response levels, norms, floors, shelters, incidents, travel times, plans."""
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from common.db import UTCDateTime, utcnow

LEVELS = ("I", "II", "III", "IV")  # I is the most severe
INCIDENT_TYPES = ("flood", "earthquake", "forest_fire", "geological_hazard", "other")
NORM_BASES = ("person", "household", "site")


class ResponseLevel(SQLModel, table=True):
    __tablename__ = "response_level"

    level: str = Field(primary_key=True, max_length=3)
    min_people: int  # displaced people from which this level is suggested
    time_target_minutes: int  # supplies must arrive within this
    floor_draw: float  # share of each depot's reserve floor that may be drawn: 1 all, 0.5 half, 0 none
    mutual_aid: bool  # town stations may supply villages of other towns


class NormVersion(SQLModel, table=True):
    """Norms are never edited in place: a change makes a new version, and a plan names the one it used."""

    __tablename__ = "norm_version"

    id: int | None = Field(default=None, primary_key=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_by: int | None = Field(default=None, foreign_key="user_account.id")
    note: str | None = Field(default=None, max_length=200)


class Norm(SQLModel, table=True):
    __table_args__ = (sa.UniqueConstraint("version_id", "item_id", name="uq_norm_version_item"),)

    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="norm_version.id", index=True)
    item_id: int = Field(foreign_key="item.id")
    basis: str = Field(max_length=16)  # person, household or site
    quantity: float  # per person / household / site (per day when per_day)
    per_day: bool = False
    incident_types: str = Field(default="all", max_length=100)  # "all" or "flood|earthquake"
    levels: str = Field(default="I|II|III|IV", max_length=16)
    source: str | None = Field(default=None, max_length=300)


class ReserveFloor(SQLModel, table=True):
    """Units of an item a depot keeps for its own area, whatever a plan wants."""

    __tablename__ = "reserve_floor"

    depot_id: int = Field(foreign_key="depot.id", primary_key=True)
    item_id: int = Field(foreign_key="item.id", primary_key=True)
    quantity: int


class Shelter(SQLModel, table=True):
    """A place displaced people are sheltered (避难场所) that is not a depot."""

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True, index=True)
    name: str = Field(max_length=100)
    town_id: int = Field(foreign_key="depot.id")  # the town station whose area it is in
    lat: float
    lon: float
    capacity: int | None = None
    address: str | None = Field(default=None, max_length=200)


class Setting(SQLModel, table=True):
    """Administrator-editable planning settings (travel speeds, vehicle capacity…), JSON values."""

    key: str = Field(primary_key=True, max_length=64)
    value: str


class TravelTime(SQLModel, table=True):
    """Imported road-network minutes that override the estimate from coordinates."""

    __tablename__ = "travel_time"
    __table_args__ = (sa.UniqueConstraint("depot_id", "site_code", name="uq_travel_depot_site"),)

    id: int | None = Field(default=None, primary_key=True)
    depot_id: int = Field(foreign_key="depot.id")
    site_code: str = Field(max_length=32)
    minutes: int


class Incident(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    type: str = Field(max_length=24)
    title: str = Field(max_length=200)
    level: str = Field(max_length=3)
    suggested_level: str | None = Field(default=None, max_length=3)
    level_reason: str | None = Field(default=None, max_length=500)  # why the declared level (changes: LevelChange)
    declared_at: datetime = Field(sa_type=UTCDateTime)
    days: int = 3  # days of consumables to plan for
    created_by: int = Field(foreign_key="user_account.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class AffectedSite(SQLModel, table=True):
    __tablename__ = "affected_site"
    __table_args__ = (sa.UniqueConstraint("incident_id", "site_code", name="uq_affected_incident_site"),)

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    site_code: str = Field(max_length=32)  # a village point's depot code or a shelter's code
    people: int


class LevelChange(SQLModel, table=True):
    """A change of an incident's response level: from, to, why, who and when. The declaration's own level
    and reason stay on the incident; each later change keeps its reason here."""

    __tablename__ = "level_change"

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    from_level: str = Field(max_length=3)
    to_level: str = Field(max_length=3)
    reason: str = Field(max_length=500)
    user_id: int = Field(foreign_key="user_account.id", index=True)
    username: str = Field(max_length=64)  # as the account was named when it acted: the history reads alone
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)  # the request's clock


class Plan(SQLModel, table=True):
    """A problem and the plan solved from it, stored together so any plan can be re-run and audited."""

    id: int | None = Field(default=None, primary_key=True)
    incident_id: int = Field(foreign_key="incident.id", index=True)
    norm_version_id: int | None = Field(default=None, foreign_key="norm_version.id")
    problem: str = Field(sa_type=sa.Text)  # JSON, allocation-problem/1, its lots as columns (stored_problem)
    plan: str = Field(sa_type=sa.Text)  # JSON, allocation-plan/1
    objective: int = Field(sa_type=sa.BigInteger)
    created_by: int = Field(foreign_key="user_account.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # a dispatcher's adjustment of another plan (same problem): who and when are created_by/created_at
    adjusted_from_id: int | None = Field(default=None, foreign_key="plan.id", index=True)
    adjustment_reason: str | None = Field(default=None, max_length=500)
    adjustments: str | None = Field(default=None, sa_type=sa.Text)  # JSON, the adjustments as sent
