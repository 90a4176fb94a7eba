"""A deterministic demo county shaped like the published plans: 1 county depot, 20 town stations
(6 of them key towns), 305 village points, the 45-item catalog, about 90,000 units in lots whose
expiries run from already expired through near expiry to years ahead, and one account per role.

Every unit enters through the ledger (a receipt line per lot), followed by a few issues, transfers,
counts and write-offs so the stock cards have a history, and a few write-off requests of the demo keeper
waiting for the administrator's approval.
"""
import csv
import random
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path

from sqlmodel import select

from accounts.services import actor_for, add_user
from common.actor import ADMIN, AUDITOR, DISPATCHER, KEEPER
from common.db import UnitOfWork
from inventory import ledger
from inventory.catalog import DepotFields, ItemFields, add_depot, add_item
from inventory.models import Depot, Item, Lot, WriteOffRequest
from inventory.services import Context, NewLot, _write, receive_in

CATALOG = Path(__file__).resolve().parent.parent / "data" / "catalog.csv"
SEED = 2026

TOWNS = ["城关镇", "龙泉镇", "玉龙镇", "青山镇", "白沙镇", "石桥镇", "河口镇", "新场镇", "太平镇", "永安镇",
         "金山镇", "清水镇", "双河镇", "高坪镇", "柳树镇", "长滩镇", "观音镇", "黄桷镇", "三溪镇", "东岳镇"]
KEY_TOWNS = 6  # the first six towns, along the river, are key towns (重点镇)
VILLAGE_FIRST = "桃李杏梨枣柏松竹梅兰荷菊枫槐柳桂"
VILLAGE_SECOND = "园湾坪沟坝岭村桥塘溪"
COUNTY_CENTRE = (29.15, 105.38)

DEMO_USERS = [  # username, password, role, depots kept — documented in the README
    ("admin", "demo-admin-2026", ADMIN, []),
    ("dispatcher", "demo-dispatch-2026", DISPATCHER, []),
    ("keeper", "demo-keeper-2026", KEEPER, ["T01", "T01-V01", "T01-V02"]),
    ("keeper2", "demo-keeper-2026", KEEPER, ["T02"]),
    ("auditor", "demo-audit-2026", AUDITOR, []),
]

VILLAGE_ITEMS = ["LV-0201", "LV-1001", "LV-1301", "FL-0301", "PP-0201"]
TOWN_ITEMS = ["LV-0101", "LV-0201", "LV-0202", "LV-0301", "LV-1001", "LV-1101", "LV-1301", "FL-0101", "CM-0401"]
SMALL4 = ["PP-0101", "PP-0201", "PP-0301", "FL-0301"]
BIG3 = ["CM-0101", "FL-0901", "FL-0801"]


def county_quantity(weight_kg: float, rng: random.Random) -> int:
    """Heavier equipment is held in fewer units."""
    for limit, low, high in ((100, 4, 12), (40, 20, 60), (10, 60, 180), (2, 250, 700)):
        if weight_kg >= limit:
            return rng.randint(low, high)
    return rng.randint(600, 1500)


def load_demo(engine, today: date) -> dict:
    with UnitOfWork(engine) as uow:
        load_demo_in(uow, today)
        uow.commit()
    return summary(engine)


def load_demo_in(uow, today: date) -> None:
    """The demo county's depots, catalog, users and stock, inside the caller's transaction."""
    rng = random.Random(SEED)
    now = datetime.combine(today, time(9, 0), tzinfo=timezone(timedelta(hours=8)))
    s = uow.session
    depots = _depots(uow, rng)
    items = {i.code: i for i in (add_item(uow, f) for f in read_catalog())}
    for username, password, role, kept in DEMO_USERS:
        add_user(uow, username, password, role, display_name=username, depots=kept)
    s.flush()
    from accounts.models import User
    admin = actor_for(s, s.exec(select(User).where(User.username == "admin")).one())
    counter = iter(range(1, 10**6))

    def receipt(depot: Depot, item: Item, quantity: int, mode="physical", partner=None, source="purchase"):
        received, expires = _dates(item, today, rng)
        price = rng.choice([None, round(item.weight_kg * rng.randint(8, 40) * 100)])
        new = NewLot(item=item.code, depot=depot.code, received_on=received, expires_on=expires,
                     code=f"L{next(counter):06d}", storage_mode=mode, partner=partner, source=source,
                     unit_price_cents=price)
        when = datetime.combine(received, time(10, 0), tzinfo=now.tzinfo)
        ctx = Context(actor=admin, now=min(when, now), today=today, note="期初入库")
        return receive_in(uow, ctx, quantity, new_lot=new)

    county, towns, villages = depots
    for item in items.values():
        for _ in range(rng.randint(2, 4)):
            receipt(county, item, county_quantity(item.weight_kg, rng))
    receipt(county, items["LV-1001"], 800, "agreement", "县城百货超市（协议储备）")
    receipt(county, items["LV-1101"], 600, "agreement", "县城百货超市（协议储备）")
    receipt(county, items["LV-1301"], 200, "agreement", "仁和大药房（代储）")
    receipt(county, items["LV-0201"], 1000, "capacity", "县被服厂（产能储备）")
    receipt(county, items["LV-0401"], 300, source="donation")
    for town in towns:
        for code in TOWN_ITEMS:
            receipt(town, items[code], rng.randint(40, 160))
        for code in (BIG3 if town.key_town else SMALL4):
            receipt(town, items[code], rng.randint(2, 6) if code in BIG3 else rng.randint(20, 60))
    for village in villages:
        for code in rng.sample(VILLAGE_ITEMS, 3):
            receipt(village, items[code], rng.randint(5, 30))
    _history(uow, admin, now, today, rng)
    _write_off_requests(uow, now)


def _depots(uow, rng: random.Random):
    lat0, lon0 = COUNTY_CENTRE
    county = add_depot(uow, DepotFields(code="C01", name="县级应急物资储备库", tier="county", lat=lat0, lon=lon0,
                                        address="县城工业园区储备路1号", keeper_name="王建国",
                                        keeper_phone="0832-6612345"))
    towns, villages, used = [], [], set()
    for t, town_name in enumerate(TOWNS, start=1):
        tlat, tlon = lat0 + rng.uniform(-0.35, 0.35), lon0 + rng.uniform(-0.4, 0.4)
        town = add_depot(uow, DepotFields(
            code=f"T{t:02d}", name=f"{town_name}应急物资储备站", tier="town", parent="C01",
            lat=round(tlat, 5), lon=round(tlon, 5), address=f"{town_name}人民政府院内",
            keeper_name=f"{town_name[0]}站长", keeper_phone=f"1380832{t:04d}", key_town=t <= KEY_TOWNS))
        towns.append(town)
        for v in range(1, 16 + (1 if t <= 5 else 0)):  # 5 towns × 16 + 15 towns × 15 = 305
            name = _village_name(rng, used)
            villages.append(add_depot(uow, DepotFields(
                code=f"T{t:02d}-V{v:02d}", name=f"{name}村应急物资储备点", tier="village", parent=town.code,
                lat=round(tlat + rng.uniform(-0.06, 0.06), 5), lon=round(tlon + rng.uniform(-0.06, 0.06), 5),
                address=f"{town_name}{name}村村委会", keeper_name=f"{name}村文书", keeper_phone=None)))
    return county, towns, villages


def _village_name(rng: random.Random, used: set) -> str:
    while True:
        name = rng.choice(VILLAGE_FIRST) + rng.choice(VILLAGE_FIRST + VILLAGE_SECOND) + rng.choice(VILLAGE_SECOND)
        if name not in used:
            used.add(name)
            return name


def _dates(item: Item, today: date, rng: random.Random) -> tuple[date, date | None]:
    if item.shelf_life_days is None:
        return today - timedelta(days=rng.randint(30, 1500)), None
    # From a little past its shelf life (already expired) to freshly received.
    age = rng.randint(0, int(item.shelf_life_days * 1.08))
    received = today - timedelta(days=age)
    return received, received + timedelta(days=item.shelf_life_days)


def _history(uow, admin, now: datetime, today: date, rng: random.Random) -> None:
    """A few weeks of work on a sample of lots, so the stock cards and the ledger have something to show."""
    s = uow.session
    lots = s.exec(select(Lot).order_by(Lot.id)).all()
    for n, lot in enumerate(rng.sample(lots, 60)):
        when = now - timedelta(days=30 - n // 2, hours=rng.randint(0, 6))
        ctx = Context(actor=admin, now=when, today=when.date(), note="日常管理", reference=f"DEMO-{n:03d}")
        state = ledger.LotState(lot.code, lot.quantity, lot.expires_on)
        if lot.expires_on is not None and lot.expires_on < today:
            change = ledger.write_off(state, lot.quantity, "expired")
        elif n % 3 == 0:
            change = ledger.count(state, max(0, lot.quantity - rng.randint(0, 2)))
        elif lot.quantity >= 4:
            change = ledger.issue(state, rng.randint(1, lot.quantity // 4), ctx.today)
        else:
            continue
        _write(uow, ctx, lot, change)


def _write_off_requests(uow, now: datetime) -> None:
    """The demo keeper has asked to write off a few units found damaged or missing at the depots they keep:
    pending requests (报损申请) for the administrator to approve or reject on /write-offs."""
    from accounts.models import KeeperDepot, User

    s = uow.session
    keeper = s.exec(select(User).where(User.username == "keeper")).one()
    kept = select(KeeperDepot.depot_id).where(KeeperDepot.user_id == keeper.id)
    lots = s.exec(select(Lot).where(Lot.depot_id.in_(kept), Lot.quantity >= 4).order_by(Lot.id).limit(2)).all()
    for n, (lot, reason, note) in enumerate(zip(lots, ("damaged", "lost"), ("库房漏雨，受潮损坏", "盘点时发现短少"))):
        s.add(WriteOffRequest(lot_id=lot.id, depot_id=lot.depot_id, quantity=n + 1, reason=reason, note=note,
                              status="pending", requested_by=keeper.id, requested_at=now - timedelta(hours=2 - n)))
    s.flush()


def read_catalog(path: Path = CATALOG) -> list[ItemFields]:
    with open(path, newline="", encoding="utf-8") as f:
        return [ItemFields(
            code=r["code"], name_zh=r["name_zh"], name_en=r["name_en"], category=r["category"], unit=r["unit"],
            weight_kg=float(r["weight_kg"] or 0), volume_m3=float(r["volume_m3"] or 0),
            shelf_life_days=int(r["shelf_life_days"]) if r["shelf_life_days"] else None,
            rotation_lead_days=int(r["rotation_lead_days"]) if r["rotation_lead_days"] else None,
            priority=int(r["priority"]), kit=r["kit"] or None,
            durable=r.get("durable", "") in ("1", "true", "yes")) for r in csv.DictReader(f)]


def summary(engine) -> dict:
    import sqlalchemy as sa
    from sqlmodel import Session

    with Session(engine) as s:
        return {
            "depots": s.exec(select(sa.func.count(Depot.id))).one(),
            "items": s.exec(select(sa.func.count(Item.id))).one(),
            "lots": s.exec(select(sa.func.count(Lot.id))).one(),
            "units": s.exec(select(sa.func.coalesce(sa.func.sum(Lot.quantity), 0))).one(),
        }


def is_empty(engine) -> bool:
    return summary(engine)["depots"] == 0
