"""Shelter sheets, and edits of the depots, items and shelters a register finds by code (issue #12, the round trip).

``importing`` plans each row; this module holds the parts of the plan that an exported workbook needs on top of
an office's register:

- **Shelters** (避难场所): code optional, name, the town station it belongs to (its code, its name, or the town's
  own name — "城关镇" finds "城关镇应急物资储备站"), latitude and longitude, capacity and address. A shelter is
  found by code, else by name; a new one without a code gets ``S-<town code>-<n>`` (the demo's rule), the
  smallest n taken by no shelter and no depot.
- **Edits**: a depot, item or shelter found by its code whose name or attributes the row writes otherwise is
  changed (depots: name, address, coordinates; items: Chinese and English name, category; shelters: all but the
  code). Found by name, only the attributes change. Tier, parent and unit never change by import (rejected, as
  before): they are kept from the pages, under the tier rules and the ledger.
- **Lots named by code** (批次编码, the column an export writes): a lot already in the database under that code
  is not received again — the row is unchanged when it holds the same item, depot and expiry date and the same
  balance, and rejected otherwise (an import never rewrites a balance: a count does). Such a row may carry
  expired stock (the stock is there and must be written off through the ledger, not dropped from the books)
  and its received date (入库日期).
"""
import re
from dataclasses import dataclass
from types import SimpleNamespace

from sqlmodel import select

from inventory.codes import CODE_PATTERN
from inventory.models import Depot, Item

_CODE = re.compile(CODE_PATTERN)
LOT_CODE_MAX = 48


@dataclass
class ShelterFields:
    code: str
    name: str
    town: str  # the town station's code
    lat: float
    lon: float
    capacity: int | None = None
    address: str | None = None


@dataclass
class Change:
    kind: str  # depot / item / shelter
    code: str
    changes: dict  # field → new value (a shelter's town as its town station's code)


def load(s) -> SimpleNamespace:
    """What the plan compares beyond ``importing._Catalog``: depots' and items' attributes, the shelters."""
    from dispatch.models import Shelter

    depots = {d.code: SimpleNamespace(lat=d.lat, lon=d.lon, address=d.address) for d in s.exec(select(Depot))}
    items = {i.code: SimpleNamespace(name_en=i.name_en, category=i.category) for i in s.exec(select(Item))}
    towns = dict(s.exec(select(Depot.id, Depot.code)).all())
    shelters = {x.code: SimpleNamespace(code=x.code, name=x.name, town=towns.get(x.town_id), lat=x.lat, lon=x.lon,
                                        capacity=x.capacity, address=x.address) for x in s.exec(select(Shelter))}
    return SimpleNamespace(depots=depots, items=items, shelters=shelters)


# ---------------------------------------------------------------- edits of depots and items found


def depot_edits(plan, catalog, existing, values: dict, header: dict, row: int, by_code: bool) -> bool:
    """Plans the changes a depot row found in the catalog makes; True when there are any (or the row was
    rejected), False when the depot is unchanged."""
    from registers import importing as core

    before = len(plan.rejected)
    known = catalog.master.depots.setdefault(existing.code, SimpleNamespace(lat=None, lon=None, address=None))
    changes = {}
    name = core._text(values, "depot", 100, plan, row, header)
    if by_code and name and name != existing.name:
        changes["name"] = name
    for key, limit in (("lat", 90), ("lon", 180)):
        number = core._coordinate(plan, row, values, header, key, limit)
        if number not in (None, False) and number != getattr(known, key):
            changes[key] = number
    address = core._text(values, "address", 200, plan, row, header)
    if address and address != known.address:
        changes["address"] = address
    if len(plan.rejected) > before:
        return True
    if not changes:
        return False
    plan.changes.append(Change("depot", existing.code, changes))
    existing.name = changes.get("name", existing.name)
    catalog.renames += 1
    for key in ("lat", "lon", "address"):
        setattr(known, key, changes.get(key, getattr(known, key)))
    return True


def item_edits(plan, catalog, existing, values: dict, header: dict, row: int, by_code: bool) -> bool:
    from registers import importing as core

    known = catalog.master.items.setdefault(existing.code, SimpleNamespace(name_en=existing.name, category=None))
    changes = {}
    if by_code and values.get("name"):
        full = core._full_name(values["name"], values.get("spec"))
        if len(full) > 100:
            plan.reject(row, header.get("name"), "import_text_too_long", max=100)
            return True
        if full != existing.name:
            changes["name_zh"] = full
    if values.get("name_en") and values["name_en"] != known.name_en:
        if len(values["name_en"]) > 100:
            plan.reject(row, header.get("name_en"), "import_text_too_long", max=100)
            return True
        changes["name_en"] = values["name_en"]
    if values.get("category"):
        category = core._CATEGORIES.get(core.normalise(values["category"]))
        if category is None:
            plan.reject(row, header.get("category"), "import_category_unknown", value=values["category"])
            return True
        if category != known.category:
            changes["category"] = category
    if not changes:
        return False
    plan.changes.append(Change("item", existing.code, changes))
    existing.name = changes.get("name_zh", existing.name)
    catalog.renames += 1
    known.name_en, known.category = changes.get("name_en", known.name_en), changes.get("category", known.category)
    return True


# ---------------------------------------------------------------- shelters


def _town(catalog, text: str):
    """The town station a shelter row names: by code or name, or the one town whose name starts with it."""
    found = catalog.depot(text)
    if found is not None:
        return found if found.tier == "town" else None
    from registers.headers import normalise

    key = normalise(text)
    towns = [d for d in catalog.depots.values() if d.tier == "town" and normalise(d.name).startswith(key)]
    return towns[0] if len(towns) == 1 else None


def _shelter(catalog, code: str | None, name: str):
    shelters = catalog.master.shelters
    if code:
        return shelters.get(code)
    from registers.headers import normalise

    key = normalise(name)
    found = [x for x in shelters.values() if normalise(x.name) == key]
    return found[0] if len(found) == 1 else None


def next_shelter_code(catalog, town: str) -> str:
    n = 1
    while f"S-{town}-{n}" in catalog.master.shelters or f"S-{town}-{n}" in catalog.depots:
        n += 1
    return f"S-{town}-{n}"


def shelter_row(plan, catalog, row: int, values: dict, header: dict) -> None:
    """One row of a shelters sheet: a new shelter, changes to one found, or a rejection."""
    from registers import importing as core

    before = len(plan.rejected)
    name = core._text(values, "shelter", 100, plan, row, header)
    code = values.get("shelter_code")
    town = None
    if values.get("town"):
        town = _town(catalog, values["town"])
        if town is None:
            towns = [d.name for d in catalog.depots.values() if d.tier == "town"]
            plan.reject(row, header.get("town"), "import_town_unknown", town=values["town"],
                        **core._candidates(values["town"], towns))
    lat = core._coordinate(plan, row, values, header, "lat", 90)
    lon = core._coordinate(plan, row, values, header, "lon", 180)
    address = core._text(values, "address", 200, plan, row, header)
    capacity = values.get("capacity")
    if len(plan.rejected) > before or name is None:
        return
    existing = _shelter(catalog, code, name)
    if existing is not None:
        wanted = {"name": name if code else None, "town": town.code if town else None, "lat": lat, "lon": lon,
                  "capacity": capacity, "address": address}
        changes = {k: v for k, v in wanted.items() if v is not None and v != getattr(existing, k)}
        if changes:
            plan.changes.append(Change("shelter", existing.code, changes))
            for k, v in changes.items():
                setattr(existing, k, v)
        else:
            plan.unchanged += 1
        return
    if town is None:
        plan.reject(row, header.get("town"), "import_shelter_town_missing", shelter=name)
        return
    if lat is None or lon is None:
        plan.reject(row, header.get("lat") or header.get("lon"), "import_shelter_place_missing", shelter=name)
        return
    if code:
        if len(code) > 32 or not _CODE.fullmatch(code):
            plan.reject(row, header.get("shelter_code"), "import_code_bad", code=code)
            return
        if code in catalog.depots:
            plan.reject(row, header.get("shelter_code"), "import_shelter_code_taken", code=code)
            return
    else:
        code = next_shelter_code(catalog, town.code)
    plan.shelters.append(ShelterFields(code, name, town.code, lat, lon, capacity, address))
    catalog.master.shelters[code] = SimpleNamespace(code=code, name=name, town=town.code, lat=lat, lon=lon,
                                                    capacity=capacity, address=address)


# ---------------------------------------------------------------- lots named by code


def lot_named(plan, catalog, row: int, values: dict, header: dict, item, depot, expires) -> bool:
    """A stock row naming a lot code: True when the row is done with (unchanged, or rejected), False when the
    lot is new and the row goes on to be received."""
    code = values["lot_code"]
    if len(code) > LOT_CODE_MAX or not _CODE.fullmatch(code):
        plan.reject(row, header.get("lot_code"), "import_code_bad", code=code)
        return True
    held = catalog.lots.get(code)
    if held is None:
        return False
    if held[:3] != (item.code, depot.code, expires):
        plan.reject(row, header.get("lot_code"), "import_lot_differs", lot=code)
    elif len(held) > 3 and held[3] != values["quantity"]:
        plan.reject(row, header.get("quantity"), "import_lot_balance_differs", lot=code, held=held[3],
                    quantity=values["quantity"])
    else:
        plan.unchanged += 1
    return True


# ---------------------------------------------------------------- the commit


def apply(uow, plan) -> None:
    """Writes a sheet's new shelters and its changes, inside the import's transaction."""
    from dispatch.models import Shelter
    from dispatch.settings import add_shelter
    from inventory.catalog import _check_coordinates

    s = uow.session
    for f in plan.shelters:
        add_shelter(uow, f.code, f.name, f.town, f.lat, f.lon, f.capacity, f.address)
    for c in plan.changes:
        if c.kind == "depot":
            row = s.exec(select(Depot).where(Depot.code == c.code)).one()
        elif c.kind == "item":
            row = s.exec(select(Item).where(Item.code == c.code)).one()
        else:
            row = s.exec(select(Shelter).where(Shelter.code == c.code)).one()
        for key, value in c.changes.items():
            if key == "town":
                key, value = "town_id", s.exec(select(Depot.id).where(Depot.code == value)).one()
            setattr(row, key, value)
        if c.kind == "depot":
            _check_coordinates(row.lat, row.lon)
        s.add(row)
    s.flush()
