"""Importing registers: the dry run and the commit (issue #12). Plain values in; the commit is one transaction.

``dry_run(engine, files, depot=None)`` reads each file (``reader.read_register``) and checks every accepted row
against the database and against the rows before it (sheets of depots first, then items, then stock, whatever
their order in the workbook; files in the order given): a report per file and sheet with the rows accepted, the
units of stock accepted, what would be created (depots, items, lots) and every rejected row — the reader's
rejections and those found here (an item or depot the database does not know, with the closest names; a depot
that breaks the tier rules; a lot already imported; …). ``commit(engine, files, actor, depot=None)`` plans the same
way inside one transaction and writes exactly the rows the plan accepts: depots and items through
``inventory.catalog``, each stock row as a new lot with one ``receive`` ledger line whose reference is the
file's ``IMP-<first 10 hex of its SHA-256>`` (the note names the file and the 批号), so a stock card says where
each unit came from.

``files`` is a list of (file name, bytes). ``depot`` (a code or a name) is the depot of stock rows that name none.
``progress(rows done, rows in all)``, when given, is called after each sheet (the command's progress line).

Codes: a depot or item the register gives no code gets one by a plain rule — the county depot ``C<n>``, a town
station ``T<n>``, a village point ``<its town's code>-V<n>``, an item ``I<nnnn>``, each with the smallest number
not yet taken — and later files find it by name. A new item's English name is its Chinese name until edited;
its category is 生活类 (living) when the register gives none.

A repeat creates nothing: depots and items are found by code or name, and each lot is keyed by the file, sheet
and row (``IMP-<hash>-<sheet>-<row>``), so a row already imported is reported as such and skipped; a file imported
again after the rows it lacked were fixed in the catalog brings in just those. Each committed file is recorded
in ``register_import`` (hash, who, when, file name, counts).

Names an administrator matched by hand (``registers.aliases``, table ``name_alias``) are read with the catalog: a
depot or item name that matches nothing exactly finds the code chosen for it, and an item name chosen as "create"
makes a new item from the stock row. Rejected unknown names carry their closest names and, in ``closest_codes``,
those names' codes (what the page offers to choose from).

Lots imported are received on the day of the import (an opening balance); stock already expired on that day is
rejected, as the receiving of a delivery refuses it.
"""
import hashlib
import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from types import SimpleNamespace

from sqlmodel import Session, select

from common import clock
from common.actor import ADMIN, Actor
from common.errors import DomainError
from common.limits import MAX_UNIT_PRICE
from inventory import services as stock
from inventory.catalog import PARENT_TIER, DepotFields, ItemFields, add_depot, add_item
from inventory.codes import CODE_PATTERN
from inventory.models import Depot, Item, Lot
from registers import master
from registers.headers import normalise
from registers.models import NameAlias, RegisterImport
from registers.names import closest
from registers.reader import RegisterRefused, read_register
from registers.vocab import english

KIND_ORDER = {"depots": 0, "items": 1, "shelters": 2, "stock": 3}
TIER_WORDS = {
    "county": ("county", "县", "县级", "县级库", "县级储备库", "一级"),
    "town": ("town", "乡", "镇", "乡镇", "乡镇级", "镇级", "乡级", "街道", "二级"),
    "village": ("village", "村", "村级", "社区", "村(社区)", "三级"),
}
CATEGORY_WORDS = {
    "living": ("living", "生活", "生活类", "生活保障", "生活保障类", "救灾生活类"),
    "flood": ("flood", "防汛", "防汛抗旱", "防汛类", "防汛抗旱类"),
    "forest_fire": ("forest_fire", "森林防火", "森林草原防火", "森林防灭火", "森林防火类"),
    "fire_rescue": ("fire_rescue", "消防", "消防救援", "消防类"),
    "earthquake_rescue": ("earthquake_rescue", "地震", "地震救援", "抗震救灾", "地震类"),
    "geological_hazard": ("geological_hazard", "地质灾害", "地灾", "地质灾害类"),
    "work_safety_rescue": ("work_safety_rescue", "安全生产", "安全生产救援", "安全生产类"),
    "communications": ("communications", "通信", "通讯", "应急通信", "通信类"),
}
STORAGE_WORDS = {
    "physical": ("physical", "实物", "实物储备", "自储", "库存"),
    "agreement": ("agreement", "协议", "协议储备", "协议代储", "代储"),
    "capacity": ("capacity", "产能", "产能储备", "生产能力储备"),
}
_CODE = re.compile(CODE_PATTERN)
PROGRESS_ROWS = 2000  # ``progress`` is called after each sheet and every this many rows
COUNTY_TZ = "Asia/Shanghai"  # the day of an import when the caller (the command passes TIMEZONE) gives none


def _word_map(words: dict) -> dict:
    return {normalise(w): key for key, names in words.items() for w in names}


_TIERS, _CATEGORIES, _STORAGE = _word_map(TIER_WORDS), _word_map(CATEGORY_WORDS), _word_map(STORAGE_WORDS)


def reference_of(data: bytes) -> tuple[str, str]:
    """(SHA-256 hex, ``IMP-<first 10 hex>``) of a file."""
    digest = hashlib.sha256(data).hexdigest()
    return digest, f"IMP-{digest[:10]}"


# ---------------------------------------------------------------- the plan


@dataclass
class NewStock:
    lot: stock.NewLot
    quantity: int
    note: str


@dataclass
class SheetPlan:
    sheet: str
    kind: str
    index: int  # the sheet's place in the file, 1-based
    accepted: int = 0
    units: int = 0
    unchanged: int = 0  # depots and items already in the database with these values
    rejected: list[dict] = field(default_factory=list)  # {"row", "column", "code", "params", "message"}
    depots: list[DepotFields] = field(default_factory=list)
    items: list[ItemFields] = field(default_factory=list)
    lots: list[NewStock] = field(default_factory=list)
    shelters: list[master.ShelterFields] = field(default_factory=list)
    changes: list[master.Change] = field(default_factory=list)  # depots, items, shelters found and edited

    def reject(self, row: int | None, column: str | None, code: str, **params) -> None:
        self.rejected.append({"row": row, "column": column, "code": code, "params": params,
                              "message": english(code, params)})


@dataclass
class FilePlan:
    file: str
    sha256: str
    reference: str
    sheets: list[SheetPlan]


class _Catalog:
    """Depots and items as the database holds them, and as the plan so far would add them."""

    renames = 0  # bumped by an edit that renames a depot or item (the name indexes are then rebuilt)
    _indexes: dict | None = None

    def __init__(self, s: Session):
        self.depots = {}  # code → SimpleNamespace(code, name, tier, kind, parent)
        rows = s.exec(select(Depot)).all()
        by_id = {d.id: d.code for d in rows}
        for d in rows:
            self.depots[d.code] = SimpleNamespace(code=d.code, name=d.name, tier=d.tier, kind=d.kind,
                                                  parent=by_id.get(d.parent_id), closed=d.closed_at is not None)
        self.items = {i.code: SimpleNamespace(code=i.code, name=i.name_zh, unit=i.unit) for i in s.exec(select(Item))}
        self.lots = {code: (item, depot, expires, quantity) for code, item, depot, expires, quantity in s.exec(
            select(Lot.code, Item.code, Depot.code, Lot.expires_on, Lot.quantity).join(Item, Item.id == Lot.item_id)
            .join(Depot, Depot.id == Lot.depot_id))}
        # names matched by hand (registers.aliases): (kind, normalised name) → a code, or None = create the item
        self.aliases = {(a.kind, a.key): a.target for a in s.exec(select(NameAlias))}
        self.master = master.load(s)  # attributes compared by edits, and the shelters

    def _named(self, kind: str) -> dict:
        """Normalised name → the depots (or items) of that name, in the catalog's order: one dict lookup a row
        instead of a scan normalising every name (a 100,000-row register, issue #12)."""
        pool = self.depots if kind == "depots" else self.items
        key = (len(pool), self.renames)
        if self._indexes is None:
            self._indexes = {}
        cached = self._indexes.get(kind)
        if cached is None or cached[0] != key:
            index = {}
            for x in pool.values():
                index.setdefault(normalise(x.name), []).append(x)
            cached = self._indexes[kind] = (key, index)
        return cached[1]

    def depot(self, text: str | None) -> SimpleNamespace | None:
        if not text:
            return None
        if text in self.depots:
            return self.depots[text]
        key = normalise(text)
        found = self._named("depots").get(key)
        if not found and self.aliases.get(("depot", key)):
            return self.depots.get(self.aliases[("depot", key)])
        return found[0] if found else None

    def item(self, code: str | None, name: str | None, spec: str | None) -> SimpleNamespace | None:
        if code and code in self.items:
            return self.items[code]
        if code:
            return None
        keys = [normalise(_full_name(name, spec))] + ([normalise(name)] if spec else [])
        for key in keys:
            found = self._named("items").get(key, [])
            if len(found) == 1:
                return found[0]
        for key in keys:
            if self.aliases.get(("item", key)):
                return self.items.get(self.aliases[("item", key)])
        return None

    def creates_item(self, name: str | None, spec: str | None) -> bool:
        """Whether an administrator chose to create a new item for this name (an alias with no code)."""
        key = ("item", normalise(_full_name(name, spec)))
        return key in self.aliases and self.aliases[key] is None

    def next_depot_code(self, tier: str, parent: str | None) -> str:
        prefix = {"county": "C", "town": "T"}.get(tier) or f"{parent}-V"
        n = 1
        while f"{prefix}{n}" in self.depots:
            n += 1
        return f"{prefix}{n}"

    def next_item_code(self) -> str:
        n = 1
        while f"I{n:04d}" in self.items:
            n += 1
        return f"I{n:04d}"


def _full_name(name: str, spec: str | None) -> str:
    return f"{name}（{spec}）" if spec else name


def _candidates(name: str, entries) -> dict:
    """The closest names to ``name`` among ``entries`` (names, or namespaces with a code and a name): the names
    joined for the message, the names as a list and, for entries with codes, the code of each name."""
    entries = list(entries)
    codes = {}
    for e in entries:
        if not isinstance(e, str):
            codes.setdefault(e.name, e.code)
    found = [c.name for c in closest(name, [e if isinstance(e, str) else e.name for e in entries])]
    out = {"candidates": "、".join(found) if found else "—", "closest": found}
    if codes:
        out["closest_codes"] = [codes[n] for n in found]
    return out


def _plan(s: Session, files, depot: str | None, today: date, progress=None) -> list[FilePlan]:
    catalog = _Catalog(s)
    default_depot = None
    if depot:
        default_depot = catalog.depot(depot.strip())
        if default_depot is None:
            raise RegisterRefused("import_depot_unknown", depot=depot,
                                  candidates=_candidates(depot, catalog.depots.values())
                                  ["candidates"])
    plans, done = [], 0
    registers = [(filename, data, read_register(data, filename)) for filename, data in files]  # refuse first
    total = sum(len(sh.rows) + len(sh.rejected) for _, _, r in registers for sh in r.sheets)
    for filename, data, register in registers:
        digest, reference = reference_of(data)
        sheets = [SheetPlan(sh.name, sh.kind, n + 1) for n, sh in enumerate(register.sheets) if sh.kind]
        read = [sh for sh in register.sheets if sh.kind]
        for plan, sheet in sorted(zip(sheets, read), key=lambda p: KIND_ORDER[p[0].kind]):
            for r in sheet.rejected:
                plan.rejected.append({"row": r.row, "column": r.column, "code": r.code, "params": r.params,
                                      "message": r.message})
            header = {c.field: c.header for c in sheet.columns if c.field}
            for row in sheet.rows:
                before = len(plan.rejected)
                if plan.kind == "depots":
                    _depot_row(plan, catalog, row.row_number, row.values, header)
                elif plan.kind == "items":
                    _item_row(plan, catalog, row.row_number, row.values, header)
                elif plan.kind == "shelters":
                    master.shelter_row(plan, catalog, row.row_number, row.values, header)
                else:
                    _stock_row(plan, catalog, row.row_number, row.values, header, default_depot, reference,
                               filename, today)
                if len(plan.rejected) == before:
                    plan.accepted += 1
                if progress and row.row_number % PROGRESS_ROWS == 0:  # within a long sheet too (the page's bar)
                    progress(min(done + row.row_number, total), total)
            done += len(sheet.rows) + len(sheet.rejected)
            if progress:
                progress(done, total)
            plan.rejected.sort(key=lambda r: (r["row"] or 0))
        plans.append(FilePlan(filename, digest, reference, sheets))
    return plans


def _text(values: dict, name: str, limit: int, plan: SheetPlan, row: int, header: dict) -> str | None:
    value = values.get(name)
    if value is not None and len(value) > limit:
        plan.reject(row, header.get(name), "import_text_too_long", max=limit)
        return None
    return value


def _depot_row(plan: SheetPlan, catalog: _Catalog, row: int, values: dict, header: dict) -> None:
    name = _text(values, "depot", 100, plan, row, header)
    code = values.get("depot_code")
    if name is None:
        return
    tier = None
    if values.get("tier"):
        tier = _TIERS.get(normalise(values["tier"]))
        if tier is None:
            plan.reject(row, header.get("tier"), "import_tier_unknown", value=values["tier"])
            return
    parent = None
    if values.get("parent"):
        parent = catalog.depot(values["parent"])
        if parent is None:
            plan.reject(row, header.get("parent"), "import_depot_unknown", depot=values["parent"],
                        **_candidates(values["parent"], catalog.depots.values()))
            return
    existing = catalog.depot(code) if code else catalog.depot(name)
    if existing is not None:
        if (tier and tier != existing.tier) or (parent and parent.code != existing.parent):
            plan.reject(row, header.get("tier") if tier and tier != existing.tier else header.get("parent"),
                        "import_depot_differs", depot=existing.name, code=existing.code,
                        tier=existing.tier, parent=existing.parent or "—")
        elif not master.depot_edits(plan, catalog, existing, values, header, row, by_code=bool(code)):
            plan.unchanged += 1
        return
    if tier is None:
        tier = {None: None, "county": "town", "town": "village"}.get(parent.tier if parent else None)
        if tier is None:
            plan.reject(row, header.get("tier"), "import_tier_missing", depot=name)
            return
    wanted = PARENT_TIER[tier]
    if (wanted is None) != (parent is None) or (parent is not None and parent.tier != wanted) or \
            (tier == "village" and parent is not None and parent.kind == "transfer_station"):
        plan.reject(row, header.get("parent") or header.get("tier"), "import_tier_rule", depot=name, tier=tier,
                    parent=parent.name if parent else "—")
        return
    if parent is not None and parent.closed:
        plan.reject(row, header.get("parent"), "import_parent_closed", parent=parent.name)
        return
    if code:
        if len(code) > 32 or not _CODE.fullmatch(code):
            plan.reject(row, header.get("depot_code"), "import_code_bad", code=code)
            return
    else:
        code = catalog.next_depot_code(tier, parent.code if parent else None)
    lat = _coordinate(plan, row, values, header, "lat", 90)
    lon = _coordinate(plan, row, values, header, "lon", 180)
    address = _text(values, "address", 200, plan, row, header)
    if lat is False or lon is False or (values.get("address") and address is None):
        return
    plan.depots.append(DepotFields(code=code, name=name, tier=tier, parent=parent.code if parent else None,
                                   lat=lat, lon=lon, address=address))
    catalog.depots[code] = SimpleNamespace(code=code, name=name, tier=tier, kind="station",
                                           parent=parent.code if parent else None, closed=False)


def _coordinate(plan, row, values, header, name, limit):
    if not values.get(name):
        return None
    try:
        number = float(values[name])
        if not -limit <= number <= limit:
            raise ValueError
        return number
    except ValueError:
        plan.reject(row, header.get(name), "import_coordinate_bad", value=values[name], max=limit)
        return False


def _item_row(plan: SheetPlan, catalog: _Catalog, row: int, values: dict, header: dict) -> None:
    name, spec, code = values.get("name"), values.get("spec"), values.get("item_code")
    existing = catalog.item(code, name, spec)
    unit = values.get("unit")
    if existing is not None:
        if unit and normalise(unit) != normalise(existing.unit):
            plan.reject(row, header.get("unit"), "import_item_differs", item=existing.name, code=existing.code,
                        unit=existing.unit)
        elif not master.item_edits(plan, catalog, existing, values, header, row, by_code=bool(code)):
            plan.unchanged += 1
        return
    full = _full_name(name, spec)
    if len(full) > 100:
        plan.reject(row, header.get("name"), "import_text_too_long", max=100)
        return
    if not unit:
        plan.reject(row, header.get("unit"), "import_unit_missing", item=full)
        return
    if len(unit) > 16:
        plan.reject(row, header.get("unit"), "import_text_too_long", max=16)
        return
    category = "living"
    if values.get("category"):
        category = _CATEGORIES.get(normalise(values["category"]))
        if category is None:
            plan.reject(row, header.get("category"), "import_category_unknown", value=values["category"])
            return
    if code:
        if len(code) > 32 or not _CODE.fullmatch(code):
            plan.reject(row, header.get("item_code"), "import_code_bad", code=code)
            return
    else:
        code = catalog.next_item_code()
    name_en = _text(values, "name_en", 100, plan, row, header)
    if values.get("name_en") and name_en is None:
        return
    plan.items.append(ItemFields(code=code, name_zh=full, name_en=name_en or full, category=category, unit=unit))
    catalog.items[code] = SimpleNamespace(code=code, name=full, unit=unit)


def _stock_row(plan: SheetPlan, catalog: _Catalog, row: int, values: dict, header: dict, default_depot,
               reference: str, filename: str, today: date) -> None:
    name, spec, code = values.get("name"), values.get("spec"), values.get("item_code")
    item = catalog.item(code, name, spec)
    if item is None and not code and catalog.creates_item(name, spec):
        _item_row(plan, catalog, row, values, header)  # an administrator chose "create a new item" for this name
        item = catalog.item(None, name, spec)
        if item is None:
            return  # the item could not be made (no unit, …): rejected by _item_row
    if item is None:
        shown = code if code and not name else _full_name(name, spec)
        plan.reject(row, header.get("item_code" if code and not name else "name"), "import_item_unknown",
                    item=shown, **_candidates(shown, catalog.items.values()))
        return
    if values.get("depot_code") or values.get("depot"):
        written = values.get("depot_code") or values.get("depot")
        depot = catalog.depot(values.get("depot_code")) or catalog.depot(values.get("depot"))
        if depot is None:
            plan.reject(row, header.get("depot_code" if values.get("depot_code") else "depot"),
                        "import_depot_unknown", depot=written, **_candidates(written, catalog.depots.values()))
            return
    elif default_depot is not None:
        depot = default_depot
    else:
        plan.reject(row, None, "import_depot_missing")
        return
    if depot.closed:
        plan.reject(row, header.get("depot"), "import_depot_closed", depot=depot.name)
        return
    if values.get("unit") and normalise(values["unit"]) != normalise(item.unit):
        plan.reject(row, header.get("unit") or header.get("quantity"), "import_unit_differs", unit=values["unit"],
                    item=item.name, item_unit=item.unit)
        return
    quantity = values["quantity"]
    if quantity == 0:
        plan.reject(row, header.get("quantity"), "import_quantity_zero")
        return
    mode = "physical"
    if values.get("storage_mode"):
        mode = _STORAGE.get(normalise(values["storage_mode"]))
        if mode is None:
            plan.reject(row, header.get("storage_mode"), "import_storage_mode_unknown", value=values["storage_mode"])
            return
    partner = values.get("partner")
    if mode != "physical" and not partner:
        plan.reject(row, header.get("storage_mode"), "import_partner_missing")
        return
    if partner and len(partner) > 100:
        plan.reject(row, header.get("partner"), "import_text_too_long", max=100)
        return
    price = None
    if values.get("unit_price"):
        try:
            amount = Decimal(values["unit_price"].replace(",", ""))
            if not (amount.is_finite() and 0 <= amount <= MAX_UNIT_PRICE
                    and amount == amount.quantize(Decimal("0.01"))):
                raise InvalidOperation
            price = int(amount * 100)
        except (InvalidOperation, ValueError):
            plan.reject(row, header.get("unit_price"), "import_price_bad", value=values["unit_price"],
                        max=f"{MAX_UNIT_PRICE:,}")
            return
    expires, received = values.get("expiry"), values.get("received_on") or today
    if values.get("lot_code") and master.lot_named(plan, catalog, row, values, header, item, depot, expires):
        return
    if received > today or (expires is not None and expires < received):
        plan.reject(row, header.get("received_on"), "import_received_bad", received=received.isoformat(),
                    expires=expires.isoformat() if expires else "—")
        return
    if expires is not None and expires < today and not values.get("lot_code"):
        plan.reject(row, header.get("expiry") or header.get("shelf_life_months"), "import_expired",
                    date=expires.isoformat())
        return
    lot_code = values.get("lot_code") or f"{reference}-{plan.index}-{row}"
    if lot_code in catalog.lots:
        same = catalog.lots[lot_code][:3] == (item.code, depot.code, expires)
        plan.reject(row, None, "import_row_imported" if same else "import_lot_differs", lot=lot_code)
        return
    catalog.lots[lot_code] = (item.code, depot.code, expires, quantity)
    note = filename if not values.get("lot") else f"{filename} · 批号 {values['lot']}"
    plan.lots.append(NewStock(stock.NewLot(item=item.code, depot=depot.code, received_on=received, expires_on=expires,
                                           code=lot_code, storage_mode=mode,
                                           partner=partner if mode != "physical" else None, source="purchase",
                                           unit_price_cents=price), quantity, note[:500]))
    plan.units += quantity


# ---------------------------------------------------------------- the use cases


def report(plans: list[FilePlan]) -> dict:
    """The report of a plan, as plain values (the command's --json keeps a part of it)."""
    return {"files": [{
        "file": p.file, "sha256": p.sha256, "reference": p.reference,
        "sheets": [{"sheet": sh.sheet, "kind": sh.kind, "accepted": sh.accepted, "units": sh.units,
                    "unchanged": sh.unchanged,
                    "creates": {"depots": [{"code": d.code, "name": d.name, "tier": d.tier, "parent": d.parent}
                                           for d in sh.depots],
                                "items": [{"code": i.code, "name": i.name_zh, "unit": i.unit} for i in sh.items],
                                "lots": [{"code": n.lot.code, "item": n.lot.item, "depot": n.lot.depot,
                                          "quantity": n.quantity,
                                          "expires_on": n.lot.expires_on.isoformat() if n.lot.expires_on else None}
                                         for n in sh.lots],
                                "shelters": [{"code": x.code, "name": x.name, "town": x.town} for x in sh.shelters]},
                    "changes": [{"kind": c.kind, "code": c.code, "changes": c.changes} for c in sh.changes],
                    "rejected": sh.rejected} for sh in p.sheets]} for p in plans]}


def fingerprint(full: dict) -> str:
    """A digest of what a report accepts (files, and per sheet the rows accepted and everything created): the
    page's commit passes the dry run's as ``expected``, so it writes exactly what the person saw or nothing."""
    accepted = [[f["sha256"], [[sh["sheet"], sh["accepted"], sh["units"], sh["creates"]] for sh in f["sheets"]]]
                for f in full["files"]]
    return hashlib.sha256(json.dumps(accepted, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


class PlanChanged(DomainError):
    status = 409
    code = "import_plan_changed"


def dry_run(engine, files, depot: str | None = None, today: date | None = None, progress=None) -> dict:
    """What ``commit`` would do with these files; writes nothing. Raises ``RegisterRefused`` for a file that
    cannot be read at all (or a ``depot`` nobody knows)."""
    with Session(engine) as s:
        return report(_plan(s, files, depot, today or clock.local_today(clock.now(), COUNTY_TZ), progress))


def commit(engine, files, actor: Actor, depot: str | None = None, now: datetime | None = None,
           today: date | None = None, progress=None, expected: str | None = None) -> dict:
    """Writes exactly the rows the dry run accepts, in one transaction; answers the report of what it wrote.
    With ``expected`` (a dry run's ``fingerprint``) it writes nothing and raises ``PlanChanged`` when the plan
    is no longer that dry run's (the database or the remembered names changed meanwhile)."""
    actor.require_role(ADMIN)
    now = now or clock.now()
    today = today or clock.local_today(now, COUNTY_TZ)
    files = list(files)

    def body(uow):
        plans = _plan(uow.session, files, depot, today, progress)
        if expected is not None and fingerprint(report(plans)) != expected:
            raise PlanChanged("the import would now differ from its dry run; run the dry run again",
                              message_code="import_plan_changed")
        for p in plans:
            counts = {"depots": 0, "items": 0, "lots": 0, "units": 0, "rejected": 0}
            for sh in sorted(p.sheets, key=lambda sh: KIND_ORDER[sh.kind]):
                for f in sh.depots:
                    add_depot(uow, f)
                for f in sh.items:
                    add_item(uow, f)
                master.apply(uow, sh)
                ctx = stock.Context(actor=actor, now=now, today=today, reference=p.reference)
                stock.receive_new_lots(uow, ctx, [(new.lot, new.quantity, new.note) for new in sh.lots])
                counts["depots"] += len(sh.depots)
                counts["items"] += len(sh.items)
                counts["lots"] += len(sh.lots)
                counts["units"] += sh.units
                counts["rejected"] += len(sh.rejected)
            uow.session.add(RegisterImport(sha256=p.sha256, reference=p.reference, filename=p.file[:200],
                                           imported_by=actor.user_id, imported_at=now, **counts))
        uow.session.flush()
        return report(plans)

    return stock.in_transaction(engine, body)


def imports_of(engine, sha256: str) -> list[dict]:
    """The commits of a file, oldest first."""
    with Session(engine) as s:
        rows = s.exec(select(RegisterImport).where(RegisterImport.sha256 == sha256).order_by(RegisterImport.id))
        return [r.model_dump() for r in rows]
