"""A stocked county with an incident and a plan written by hand, for the transfer-order tests.

    C1 (keeper_c1)  TENT-C1 100 (no expiry) · W-OLD 40 (2026-09-01) · W-NEW 60 (2027-06-30) · W-MID 30 (2027-01-31)
    T1 (keeper)     TENT-T1 20
    shelter S-1 in T1's area

The plan sends (orders come out sorted by source, then destination):
    DO-<i>-1  C1 → S-1     TENT 10
    DO-<i>-2  C1 → T1-V1   TENT 30 (TENT-C1) · WATER 50 (W-OLD 40, W-NEW 10)
    DO-<i>-3  C1 → T2-V1   WATER 20 (W-NEW)
    DO-<i>-4  T1 → T1-V1   TENT 5 (TENT-T1)
"""
import json
from dataclasses import dataclass
from datetime import date

from sqlmodel import Session, select

from accounts.models import User
from accounts.services import actor_for, add_user, issue_token
from common.db import UnitOfWork
from dispatch.models import Incident, Plan
from dispatch.settings import add_shelter
from tests.integration.helpers import NOW, TODAY, new_lot

TRANSFERS = [
    {"from": "C1", "to": "T1-V1", "item": "TENT", "lot": "TENT-C1", "quantity": 30, "minutes": 40},
    {"from": "C1", "to": "T1-V1", "item": "WATER", "lot": "W-NEW", "quantity": 10, "minutes": 40},
    {"from": "C1", "to": "T1-V1", "item": "WATER", "lot": "W-OLD", "quantity": 40, "minutes": 40},
    {"from": "C1", "to": "S-1", "item": "TENT", "lot": "TENT-C1", "quantity": 10, "minutes": 35},
    {"from": "C1", "to": "T2-V1", "item": "WATER", "lot": "W-NEW", "quantity": 20, "minutes": 50},
    {"from": "T1", "to": "T1-V1", "item": "TENT", "lot": "TENT-T1", "quantity": 5, "minutes": 10},
]


@dataclass
class Stocked:
    county: object
    keeper_c1: object
    incident: int
    plan: int

    def code(self, n: int) -> str:
        return f"DO-{self.incident}-{n}"


def add_keeper(engine, county, name: str, depots: list[str]):
    with UnitOfWork(engine) as uow:
        user = add_user(uow, name, f"{name}-pass", "keeper", depots=depots)
        uow.commit()
        actor = actor_for(uow.session, uow.session.exec(select(User).where(User.id == user.id)).one())
    county.tokens[name] = issue_token(engine, actor.user_id, "test")
    return actor


def stock_county(engine, county) -> None:
    admin = county.admin
    new_lot(engine, admin, depot="C1", item="TENT", quantity=100, expires_on=None, code="TENT-C1")
    new_lot(engine, admin, depot="C1", item="WATER", quantity=40, expires_on=date(2026, 9, 1), code="W-OLD")
    new_lot(engine, admin, depot="C1", item="WATER", quantity=60, expires_on=date(2027, 6, 30), code="W-NEW")
    new_lot(engine, admin, depot="C1", item="WATER", quantity=30, expires_on=date(2027, 1, 31), code="W-MID")
    new_lot(engine, admin, depot="T1", item="TENT", quantity=20, expires_on=None, code="TENT-T1")
    with UnitOfWork(engine) as uow:
        add_shelter(uow, "S-1", "玉龙镇小学避难场所", "T1", 29.2, 105.4, 600)
        uow.commit()


def add_plan(engine, county, transfers=TRANSFERS, incident: int | None = None) -> tuple[int, int]:
    """An incident (unless given) and a stored plan with these lot-level transfers; returns their ids."""
    with UnitOfWork(engine) as uow:
        s = uow.session
        if incident is None:
            row = Incident(type="flood", title="7·15 洪涝灾害", level="II", declared_at=NOW,
                           created_by=county.dispatcher.user_id, created_at=NOW)
            s.add(row)
            s.flush()
            incident = row.id
        plan = Plan(incident_id=incident, norm_version_id=None, problem="{}", objective=0,
                    plan=json.dumps({"format": "allocation-plan/1", "status": "optimal", "objective": 0,
                                     "transfers": transfers}), created_by=county.dispatcher.user_id, created_at=NOW)
        s.add(plan)
        s.flush()
        ids = (incident, plan.id)
        uow.commit()
    return ids


def make_stocked(engine, county) -> Stocked:
    stock_county(engine, county)
    keeper_c1 = add_keeper(engine, county, "keeper_c1", ["C1"])
    incident, plan = add_plan(engine, county)
    return Stocked(county=county, keeper_c1=keeper_c1, incident=incident, plan=plan)


def lot_balance(engine, code: str) -> int | None:
    from inventory.models import Lot

    with Session(engine) as s:
        return s.exec(select(Lot.quantity).where(Lot.code == code)).first()


__all__ = ["NOW", "TODAY", "Stocked", "add_keeper", "add_plan", "make_stocked", "lot_balance", "stock_county"]
