"""The register workbook: the template to fill in and the export of all master data and stock, in one layout that
``registers.reader`` reads back (issue #12).

One sheet per kind — 储备库 (depots), 物资 (items), 避难场所 (shelters), 库存 (stock) — under a header row in
Chinese (or English, ``lang="en"``), each header cell carrying a note that explains the column, with drop-down
lists for tier, category, unit and storage mode. ``template(lang, units)`` is the empty workbook;
``export(engine, lang)`` the same workbook filled: every depot (parents before children), item and shelter, and
every lot holding stock (its code, item, depot, balance, received and expiry dates, storage mode, partner, unit
price). Imported again (``registers.importing``), the rows found by code are edited, the rest created, and a lot
already in stock under its code is not received twice (``registers.master``).
"""
import io
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlmodel import Session, select

# (field, Chinese header, English header): the headers are names the reader knows (registers.headers.VARIANTS)
SHEETS = {
    "depots": [("depot_code", "库点编码", "Depot code"), ("depot", "库点名称", "Depot"), ("tier", "级别", "Tier"),
               ("parent", "上级库点", "Parent depot"), ("address", "地址", "Address"), ("lat", "纬度", "Latitude"),
               ("lon", "经度", "Longitude")],
    "items": [("item_code", "物资编码", "Item code"), ("name", "物资名称", "Item name"),
              ("name_en", "英文名称", "English name"), ("category", "物资类别", "Category"),
              ("unit", "计量单位", "Unit")],
    "shelters": [("shelter_code", "避难场所编码", "Shelter code"), ("shelter", "避难场所名称", "Shelter"),
                 ("town", "所属乡镇", "Town"), ("lat", "纬度", "Latitude"), ("lon", "经度", "Longitude"),
                 ("capacity", "容纳人数", "Capacity (people)"), ("address", "地址", "Address")],
    "stock": [("lot_code", "批次编码", "Lot code"), ("item_code", "物资编码", "Item code"),
              ("name", "物资名称", "Item name"), ("unit", "计量单位", "Unit"), ("quantity", "数量", "Quantity"),
              ("depot_code", "库点编码", "Depot code"), ("depot", "存放地点", "Depot"),
              ("received_on", "入库日期", "Received on"), ("expiry", "有效期至", "Expiry date"),
              ("storage_mode", "储备方式", "Storage mode"), ("partner", "代储单位", "Partner enterprise"),
              ("unit_price", "单价(元)", "Unit price"), ("lot", "批号", "Lot number")],
}
SHEET_TITLES = {"depots": ("储备库", "Depots"), "items": ("物资", "Items"), "shelters": ("避难场所", "Shelters"),
                "stock": ("库存", "Stock")}
# the values the drop-down lists offer, each one a word registers.importing reads back
WORDS = {
    "tier": {"county": "县级", "town": "乡镇", "village": "村级"},
    "category": {"living": "生活类", "flood": "防汛抗旱", "forest_fire": "森林防灭火", "fire_rescue": "消防救援",
                 "earthquake_rescue": "地震救援", "geological_hazard": "地质灾害",
                 "work_safety_rescue": "安全生产救援", "communications": "通信类"},
    "storage_mode": {"physical": "实物储备", "agreement": "协议储备", "capacity": "产能储备"},
}
UNITS = ("个", "件", "套", "台", "顶", "床", "张", "箱", "袋", "桶", "瓶", "双", "把", "部", "只", "条", "块", "卷", "米",
         "千克", "吨")
NOTES = {
    "depot_code": _l("The depot's code. Leave it empty for a new depot: it gets one (C1, T1, T1-V1…). A row with "
                     "a code changes that depot's name, address and coordinates."),
    "depot": _l("The depot's name, such as 城关镇应急物资储备站."),
    "tier": _l("County, town or village (县级, 乡镇, 村级). Tier and parent are not changed by an import."),
    "parent": _l("The code or name of the depot above: a town station under the county depot, a village point "
                 "under a town station."),
    "address": _l("Address, at most 200 characters."),
    "lat": _l("Latitude in degrees, such as 29.15."),
    "lon": _l("Longitude in degrees, such as 105.38."),
    "item_code": _l("The item's code. Leave it empty for a new item: it gets one (I0001…). A row with a code "
                    "changes that item's names and category."),
    "name": _l("The item's name as the catalog writes it; on the stock sheet the item code, when given, wins."),
    "name_en": _l("The name shown on English pages; the Chinese name when empty."),
    "category": _l("The category, from the list (生活类, 防汛抗旱…)."),
    "unit": _l("The unit it is counted in (顶, 床, 箱…). The unit of an existing item is not changed by an import."),
    "shelter_code": _l("The shelter's code. Leave it empty for a new shelter: it gets one (S-T01-1…)."),
    "shelter": _l("The shelter's name, such as 城关镇中学避难场所."),
    "town": _l("The town it belongs to: the town station's code or name, or the town's name (城关镇)."),
    "capacity": _l("How many people it shelters."),
    "lot_code": _l("The stock lot's code. A lot already in stock under this code is not received again; leave it "
                   "empty for new stock (each row becomes a lot)."),
    "quantity": _l("The quantity in stock, a whole number."),
    "received_on": _l("The day it was received; today when empty."),
    "expiry": _l("Expiry date, such as 2028-06-30; empty for goods that do not expire."),
    "storage_mode": _l("Physical, agreement or capacity stock (实物储备, 协议储备, 产能储备)."),
    "partner": _l("The partner enterprise holding agreement or capacity stock."),
    "unit_price": _l("Unit price in yuan, at most two decimals."),
    "lot": _l("The maker's batch number (批号), kept in the receipt's note."),
}
STOCK_NOTES = {"depot_code": _l("The code of the depot holding the stock."),
               "depot": _l("The name of the depot holding the stock.")}
MAX_LIST_CHARS = 250  # Excel's limit for an inline drop-down list is 255 characters


def _headers(kind: str, lang: str) -> list[str]:
    return [zh if lang == "zh" else en for _, zh, en in SHEETS[kind]]


def _word(key: str, value: str, lang: str) -> str:
    return WORDS[key][value] if lang == "zh" else value


def _list_validation(values, strict: bool):
    from openpyxl.worksheet.datavalidation import DataValidation

    text, kept = "", []
    for v in values:
        if len(text) + len(v) + 1 > MAX_LIST_CHARS:
            break
        kept.append(v)
        text = ",".join(kept)
    dv = DataValidation(type="list", formula1=f'"{text}"', allow_blank=True)
    dv.showErrorMessage = strict  # a unit not on the list may still be typed
    return dv


def _workbook(lang: str, units) -> "openpyxl.Workbook":  # noqa: F821
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook()
    wb.remove(wb.active)
    lists = {"tier": [_word("tier", t, lang) for t in WORDS["tier"]],
             "category": [_word("category", c, lang) for c in WORDS["category"]],
             "storage_mode": [_word("storage_mode", m, lang) for m in WORDS["storage_mode"]],
             "unit": list(dict.fromkeys([*units, *UNITS]))}
    for kind, columns in SHEETS.items():
        ws = wb.create_sheet(SHEET_TITLES[kind][0 if lang == "zh" else 1])
        ws.append(_headers(kind, lang))
        ws.freeze_panes = "A2"
        for n, (name, _zh, _en) in enumerate(columns, start=1):
            cell = ws.cell(row=1, column=n)
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor="DDEBF7")
            note = (STOCK_NOTES.get(name) if kind == "stock" else None) or NOTES[name]
            cell.comment = Comment(str(note), "ReliefDepot", width=300, height=120)
            letter = get_column_letter(n)
            ws.column_dimensions[letter].width = 24 if name in ("depot", "name", "shelter", "address", "partner",
                                                                "name_en") else 14
            if name in lists:
                dv = _list_validation(lists[name], strict=name != "unit")
                ws.add_data_validation(dv)
                dv.add(f"{letter}2:{letter}5000")
    return wb


def _bytes(wb) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def template(lang: str = "zh", units=()) -> bytes:
    """The empty workbook to fill in."""
    return _bytes(_workbook(lang, units))


def rows_of(engine, lang: str = "zh") -> dict[str, list[list]]:
    """The rows of each sheet of an export (the headers not included), as plain values."""
    from dispatch.models import Shelter
    from inventory.models import Depot, Item, Lot

    order = {"county": 0, "town": 1, "village": 2}
    with Session(engine) as s:
        depots = s.exec(select(Depot)).all()
        code_of = {d.id: d.code for d in depots}
        name_of = {d.id: d.name for d in depots}
        items = s.exec(select(Item).order_by(Item.code)).all()
        item_of = {i.id: i for i in items}
        shelters = s.exec(select(Shelter).order_by(Shelter.code)).all()
        lots = s.exec(select(Lot).where(Lot.quantity > 0)).all()
    rows = {
        "depots": [[d.code, d.name, _word("tier", d.tier, lang), code_of.get(d.parent_id), d.address, d.lat, d.lon]
                   for d in sorted(depots, key=lambda d: (order[d.tier], d.code))],
        "items": [[i.code, i.name_zh, i.name_en, _word("category", i.category, lang), i.unit] for i in items],
        "shelters": [[x.code, x.name, code_of[x.town_id], x.lat, x.lon, x.capacity, x.address] for x in shelters],
        "stock": [[lot.code, item_of[lot.item_id].code, item_of[lot.item_id].name_zh, item_of[lot.item_id].unit,
                   lot.quantity, code_of[lot.depot_id], name_of[lot.depot_id], lot.received_on, lot.expires_on,
                   _word("storage_mode", lot.storage_mode, lang), lot.partner,
                   None if lot.unit_price_cents is None else lot.unit_price_cents / 100, None]
                  for lot in sorted(lots, key=lambda lot: (code_of[lot.depot_id], item_of[lot.item_id].code,
                                                           lot.code))],
    }
    return rows


def export(engine, lang: str = "zh") -> bytes:
    """All depots, items, shelters and stock in the template's layout."""
    with Session(engine) as s:
        from inventory.models import Item

        units = sorted(set(s.exec(select(Item.unit)).all()))
    wb = _workbook(lang, units)
    for kind, rows in rows_of(engine, lang).items():
        ws = wb[SHEET_TITLES[kind][0 if lang == "zh" else 1]]
        for row in rows:
            ws.append(row)
            for cell in ws[ws.max_row]:
                if isinstance(cell.value, date):
                    cell.number_format = "yyyy-mm-dd"
    return _bytes(wb)
