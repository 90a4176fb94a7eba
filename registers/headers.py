"""Header rows found by name, not position: the canonical fields, the names offices give them (Chinese or
English, full- or half-width, with or without spaces), a title row or several above the table, a merged
two-row header ("有效期" over "生产日期 | 有效期至"), and the kind of sheet the recognised columns make."""
import re
import unicodedata
from dataclasses import dataclass

# canonical field → the names a register writes for it (compared after ``normalise``)
VARIANTS: dict[str, tuple[str, ...]] = {
    "name": ("物资名称", "品名", "名称", "物品名称", "物资品名", "物资", "品名规格", "item", "itemname", "name"),
    "item_code": ("物资编码", "物资代码", "物资编号", "品名编码", "itemcode", "sku"),
    "name_en": ("英文名称", "英文名", "englishname", "nameen", "itemnameinenglish"),
    "spec": ("规格型号", "规格", "型号", "规格/型号", "规格及型号", "spec", "specification", "model"),
    "unit": ("计量单位", "单位", "unit", "uom"),
    "category": ("物资类别", "类别", "物资分类", "分类", "category"),
    "quantity": ("数量", "库存数量", "库存", "实存数量", "储备数量", "现有数量", "结存数量", "账面数量", "quantity",
                 "qty", "stock"),
    "production_date": ("生产日期", "生产时间", "出厂日期", "productiondate", "produced", "manufacturedate"),
    "expiry": ("有效期至", "失效日期", "到期日期", "到期时间", "有效期截止", "有效期止", "截止日期", "过期日期",
               "expiry", "expirydate", "expires", "bestbefore"),
    "shelf_life_months": ("保质期(月)", "保质期(个月)", "保质期", "保质期月数", "保质月数", "shelflife",
                          "shelflife(months)", "shelflifemonths"),
    "depot": ("存放地点", "储备库", "库点", "仓库", "储备点", "储备库点", "存放库点", "库点名称", "仓库名称",
              "储备库名称", "储备单位", "depot", "warehouse", "depotname"),
    "depot_code": ("库点编码", "库点代码", "仓库编码", "储备库编码", "depotcode"),
    "tier": ("级别", "层级", "库点级别", "储备库级别", "tier", "level"),
    "parent": ("上级库点", "上级储备库", "上级单位", "所属上级", "上级", "parent", "parentdepot"),
    "lot": ("批号", "批次号", "批次", "生产批号", "lot", "lotno", "lotnumber", "batch"),
    "lot_code": ("批次编码", "库存批次编码", "批次代码", "lotcode", "stocklotcode"),  # ReliefDepot's own lot code
    "received_on": ("入库日期", "入库时间", "receivedon", "received", "receiveddate"),
    "storage_mode": ("储备方式", "储存方式", "储备形式", "storagemode"),
    "partner": ("代储单位", "协议单位", "协议储备单位", "代储企业", "partner", "partnerenterprise"),
    "shelter": ("避难场所", "安置点", "避难场所名称", "安置点名称", "shelter", "sheltername"),
    "shelter_code": ("避难场所编码", "安置点编码", "sheltercode"),
    "town": ("所属乡镇", "所在乡镇", "所属乡镇(街道)", "乡镇(街道)", "town", "townstation"),
    "capacity": ("容纳人数", "可容纳人数", "容量(人)", "capacity"),
    "address": ("地址", "详细地址", "address"),
    "lat": ("纬度", "lat", "latitude"),
    "lon": ("经度", "lon", "lng", "longitude"),
    "unit_price": ("单价", "单价(元)", "unitprice", "price"),
    "note": ("备注", "说明", "note", "notes", "remark", "remarks"),
    "code": ("编码", "代码", "编号", "code"),  # whose code it is follows from the sheet's kind (``ALIASES``)
}

# generic names read as the kind's own field: a depot sheet's 名称 is the depot's name, its 编码 the depot's code
ALIASES = {"stock": {"code": "item_code"}, "items": {"code": "item_code"},
           "depots": {"name": "depot", "code": "depot_code"}, "shelters": {"name": "shelter", "code": "shelter_code"}}

# the fields a row of each kind must fill, and the fields that tell a kind apart
REQUIRED = {"stock": ("name", "quantity"), "items": ("name",), "depots": ("depot",), "shelters": ("shelter",)}
HEADER_SCAN_ROWS = 30  # a header row is looked for this far down a sheet (title rows, notes above the table)

_SPACES = re.compile(r"[\s\u3000]+")
_TRAILING_NOTE = re.compile(r"\([^()]*\)$")


def normalise(text) -> str:
    """Full-width to half-width (NFKC: （）→(), ＡＢ→ab, １２→12), no spaces, lower case, 【】 as ()."""
    text = unicodedata.normalize("NFKC", str(text if text is not None else ""))
    text = text.replace("【", "(").replace("】", ")").replace("〔", "(").replace("〕", ")")
    return _SPACES.sub("", text).lower().strip("*:：")


_LOOKUP = {normalise(v): field for field, names in VARIANTS.items() for v in names}


def field_of(text) -> str | None:
    """The canonical field a header cell names, or None. A trailing note in brackets ("数量(顶)", "单价(元)")
    is dropped when the whole name is not known, except on a shelf life, whose bracket names the unit."""
    key = normalise(text)
    if not key:
        return None
    if key in _LOOKUP:
        return _LOOKUP[key]
    base = _TRAILING_NOTE.sub("", key)
    field = _LOOKUP.get(base) if base != key else None
    return None if field == "shelf_life_months" else field


@dataclass
class Column:
    index: int  # 0-based position in the row
    header: str  # as written (the child's name under a merged parent)
    field: str | None  # canonical field, None when ignored
    parent: str | None = None  # the merged cell above, in a two-row header


def kind_of(fields: set[str]) -> str | None:
    """depots / shelters / stock / items, from the recognised fields; None when they make no table."""
    if "quantity" in fields and ("name" in fields or "item_code" in fields):
        return "stock"
    if "tier" in fields or "parent" in fields or ("depot" in fields and not fields & {"name", "quantity"}):
        return "depots"
    if "shelter" in fields or "capacity" in fields:
        return "shelters"
    if "name" in fields or "item_code" in fields:
        return "items"
    if "quantity" in fields:
        return "stock"
    return None


def apply_aliases(kind: str, columns: list[Column]) -> None:
    """Generic columns (名称, 编码) renamed to the kind's own field, unless the sheet names that field too."""
    have = {c.field for c in columns}
    for c in columns:
        target = ALIASES.get(kind, {}).get(c.field)
        if target and target not in have:
            c.field = target
        elif c.field == "code":
            c.field = None


def _text(value) -> str:
    return "" if value is None else str(value).strip()


def _score(row: tuple) -> int:
    return len({f for f in (field_of(c) for c in row if isinstance(c, str)) if f})


def find_header(rows: list[tuple]) -> tuple[int, int, list[Column]] | None:
    """(index of the header's first row, rows it takes: 1 or 2, its columns) among the first rows of a sheet,
    or None. The header row is the first row naming at least two canonical fields with the most of them;
    a row under it whose cells are names (not data) under a merged parent makes it a two-row header."""
    best = None
    for i, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        score = _score(row)
        if score >= 2 and (best is None or score > best[1]):
            best = (i, score)
    if best is None:
        return None
    top = rows[best[0]]
    below = rows[best[0] + 1] if best[0] + 1 < len(rows) else ()
    if _is_sub_header(top, below):
        return best[0], 2, _two_row_columns(top, below)
    columns = [Column(i, _text(c), field_of(c)) for i, c in enumerate(top) if _text(c)]
    return best[0], 1, _first_of_each(columns)


def _is_sub_header(top: tuple, below: tuple) -> bool:
    """A merged two-row header: the row below holds only text, at least one of it a known name, and at least
    one of its cells sits under an empty cell of the top row (the rest of a merged parent) or under a parent
    that names no field by itself ("有效期", "库存情况")."""
    cells = [(i, c) for i, c in enumerate(below) if _text(c)]
    if not cells or not all(isinstance(c, str) for _, c in cells):
        return False
    if not any(field_of(c) for _, c in cells):
        return False
    if any(_text(c) and field_of(c) and i < len(top) and field_of(top[i]) == field_of(c) for i, c in cells):
        return False  # a data row repeating the header's words is not a sub-header
    parents = _filled_parents(top, {i for i, _ in cells})
    return any(not _text(top[i] if i < len(top) else None) or field_of(parents.get(i)) is None for i, _ in cells)


def _filled_parents(top: tuple, children: set[int]) -> dict[int, str]:
    """Each column's parent text, a merged parent carried right over the empty cells that have children."""
    parents, current = {}, None
    for i in range(max(len(top), max(children, default=-1) + 1)):
        value = _text(top[i] if i < len(top) else None)
        if value:
            current = value
        elif i not in children:
            current = None
        parents[i] = current if value or i in children else None
    return parents


def _two_row_columns(top: tuple, below: tuple) -> list[Column]:
    children = {i: _text(c) for i, c in enumerate(below) if _text(c)}
    parents = _filled_parents(top, set(children))
    columns = []
    for i in range(max(len(top), len(below))):
        parent, child = parents.get(i), children.get(i)
        if child:
            field = field_of(child) or field_of(f"{parent}{child}") or field_of(parent)
            columns.append(Column(i, child, field, parent))
        elif parent:
            columns.append(Column(i, parent, field_of(parent)))
    return _first_of_each(columns)


def _first_of_each(columns: list[Column]) -> list[Column]:
    """A field named by two columns is read from the first; the other is reported as ignored."""
    seen = set()
    for c in columns:
        if c.field in seen:
            c.field = None
        elif c.field:
            seen.add(c.field)
    return columns
