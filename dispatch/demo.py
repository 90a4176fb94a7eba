"""The dispatch side of the demo county: default levels and norms, reserve floors, a few shelters."""
import random

from sqlmodel import select

from accounts.models import User
from common.db import UnitOfWork
from dispatch.models import ReserveFloor
from dispatch.settings import add_shelter, load_defaults
from inventory.models import Depot, Item

FLOOR_ITEMS = {"LV-0101": 10, "LV-0201": 30, "LV-1001": 20}  # what each town station keeps for its own area
SHELTERS = [  # code, name, town, capacity
    ("S-T01-1", "城关镇中学避难场所", "T01", 1500),
    ("S-T02-1", "龙泉镇文化广场", "T02", 800),
    ("S-T03-1", "玉龙镇小学避难场所", "T03", 600),
    ("S-T04-1", "青山镇体育场", "T04", 1200),
]


def load_dispatch_demo(engine) -> None:
    with UnitOfWork(engine) as uow:
        load_dispatch_demo_in(uow)
        uow.commit()


def load_dispatch_demo_in(uow) -> None:
    """Default levels and norms, floors at the town stations and four shelters, in the caller's transaction."""
    rng = random.Random(7)
    s = uow.session
    admin = s.exec(select(User).where(User.username == "admin")).one()
    load_defaults(uow, admin.id)
    items = dict(s.exec(select(Item.code, Item.id)).all())
    towns = s.exec(select(Depot).where(Depot.tier == "town").order_by(Depot.code)).all()
    for town in towns:
        for code, quantity in FLOOR_ITEMS.items():
            s.add(ReserveFloor(depot_id=town.id, item_id=items[code], quantity=quantity))
    by_code = {t.code: t for t in towns}
    for code, name, town, capacity in SHELTERS:
        t = by_code[town]
        add_shelter(uow, code, name, town, round(t.lat + rng.uniform(-0.02, 0.02), 5),
                    round(t.lon + rng.uniform(-0.02, 0.02), 5), capacity, t.name.removesuffix("应急物资储备站"))
