"""Opening a register file and reading its sheets into plain dataclasses.

``read_register(data, filename)`` → ``Register``: every sheet of an XLSX workbook (openpyxl, read-only,
cached formula values), or the one table of a CSV file (UTF-8 with or without BOM, else GBK/GB18030, detected
without asking). A file that cannot be read at all — empty, too large, not a spreadsheet, password-protected,
an old .xls, in no known encoding, with no header row anywhere — is refused with ``RegisterRefused`` (a
``DomainError`` with a message code and parameters). Otherwise every row is either accepted (``Row``) or
rejected with all of its problems (``Rejection``); a bad row never stops the good ones.

Row numbers are those the spreadsheet shows: 1-based, title and header rows counted (a CSV's first line is
row 1)."""
import csv
import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import PurePath

from common.errors import InvalidInput
from registers import values as v
from registers.headers import REQUIRED, Column, apply_aliases, find_header, kind_of, normalise
from registers.vocab import FIELD_NAMES, english

MAX_FILE_BYTES = 20 * 1024 * 1024  # an upload: a county's registers are far smaller
MAX_ROWS = 200_000  # rows in one file, all sheets together
OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # encrypted OOXML and old .xls are OLE compound files
ENCRYPTION_STREAM = "EncryptionInfo".encode("utf-16-le")
NOT_SPREADSHEETS = (b"%PDF", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"Rar!", b"\x1f\x8b", b"7z\xbc\xaf")
TOTAL_WORDS = ("合计", "小计", "总计", "共计", "total", "subtotal", "grandtotal")
FOOTER_WORDS = ("制表人", "填表人", "填报人", "审核人", "负责人", "制表日期", "填报日期", "单位负责人")
DATE_FIELDS = ("production_date", "expiry", "received_on")
TEXT_FIELDS = ("name", "item_code", "spec", "unit", "category", "depot", "depot_code", "tier", "parent", "lot",
               "storage_mode", "partner", "shelter", "shelter_code", "address", "note", "lot_code", "town", "name_en")


class RegisterRefused(InvalidInput):
    """The file as a whole cannot be read; nothing in it is used."""

    def __init__(self, message_code: str, **params):
        super().__init__(english(message_code, params), field="file", message_code=message_code, params=params)


@dataclass
class Rejection:
    sheet: str
    row: int | None  # as the spreadsheet shows it; None for a problem of the whole sheet
    column: str | None  # the header as written; None when the sheet lacks the column
    code: str  # message code (registers.vocab.ERROR_MESSAGES)
    params: dict
    message: str  # English


@dataclass
class Row:
    row_number: int
    values: dict  # canonical field → text, int (quantity, months, capacity) or date


@dataclass
class Sheet:
    name: str
    kind: str | None  # depots / items / shelters / stock; None when no header row was found
    header_row: int | None  # the header's (first) row number
    columns: list[Column] = field(default_factory=list)
    title: str = ""  # the text of the rows above the header ("XX县应急物资储备台账")
    rows: list[Row] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    skipped: int = 0  # blank, total and signature rows

    @property
    def recognised(self) -> list[Column]:
        return [c for c in self.columns if c.field]

    @property
    def ignored(self) -> list[Column]:
        return [c for c in self.columns if not c.field]


@dataclass
class Register:
    filename: str
    format: str  # "xlsx" or "csv"
    encoding: str | None  # a CSV's: "utf-8" or "gb18030"
    sheets: list[Sheet]


def read_register(data: bytes, filename: str = "register") -> Register:
    if not data:
        raise RegisterRefused("register_empty")
    if len(data) > MAX_FILE_BYTES:
        raise RegisterRefused("register_too_large", max_mb=MAX_FILE_BYTES // (1024 * 1024),
                              size_mb=f"{len(data) / (1024 * 1024):.1f}")
    if data.startswith(OLE_SIGNATURE[:4]):
        raise RegisterRefused("register_encrypted" if ENCRYPTION_STREAM in data else "register_old_xls")
    if data.startswith(b"PK\x03\x04"):
        tables, fmt, encoding = _xlsx_tables(data), "xlsx", None
    elif data.startswith(NOT_SPREADSHEETS) or b"\x00" in data[:65536]:
        raise RegisterRefused("register_not_spreadsheet")
    else:
        text, encoding = _decode(data)
        tables, fmt = [(PurePath(filename).stem or "CSV", _csv_rows(text))], "csv"
    if sum(len(rows) for _, rows in tables) > MAX_ROWS:
        raise RegisterRefused("register_too_many_rows", max=f"{MAX_ROWS:,}")
    sheets = [read_sheet(name, rows) for name, rows in tables]
    if not any(s.kind for s in sheets):
        raise RegisterRefused("register_no_table")
    return Register(filename, fmt, encoding, sheets)


def _decode(data: bytes) -> tuple[str, str]:
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as e:
        raise RegisterRefused("register_encoding_unknown", byte=e.start) from None


def _csv_rows(text: str) -> list[tuple]:
    first = text.split("\n", 1)[0]
    delimiter = "\t" if first.count("\t") > first.count(",") else ","  # WPS "text" exports are tab-separated
    try:
        return [tuple(row) for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
    except csv.Error as e:
        raise RegisterRefused("register_unreadable", problem=str(e)) from None


def _xlsx_tables(data: bytes) -> list[tuple[str, list[tuple]]]:
    """Every worksheet's rows from A1 (empty cells as None), read by calamine (Rust, ~10× faster than openpyxl on a
    100,000-row register); a workbook calamine cannot read is read again by openpyxl, whose errors make the
    refusals."""
    tables = _calamine_tables(data)
    return tables if tables is not None else _openpyxl_tables(data)


def _counted(total: int, more: int) -> int:
    """Rows read so far; a file past ``MAX_ROWS`` is refused as soon as it gets there."""
    if total + more > MAX_ROWS:
        raise RegisterRefused("register_too_many_rows", max=f"{MAX_ROWS:,}")
    return total + more


def _cell(value):
    """A calamine cell as openpyxl gives it: None when empty, a whole number as an int (calamine reads every
    number as a float)."""
    if value == "":
        return None
    if type(value) is float and value.is_integer():
        return int(value)
    return value


def _calamine_tables(data: bytes) -> list[tuple[str, list[tuple]]] | None:
    try:
        from python_calamine import CalamineWorkbook

        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        tables, total = [], 0
        for meta in workbook.sheets_metadata:
            if not str(meta.typ).lower().endswith("worksheet"):  # chart and dialog sheets hold no table
                continue
            rows = [tuple(map(_cell, row))
                    for row in workbook.get_sheet_by_name(meta.name).to_python(skip_empty_area=False)]
            total = _counted(total, len(rows))
            tables.append((meta.name, rows))
        return tables
    except RegisterRefused:
        raise
    except Exception:  # calamine's errors, or a workbook it reads otherwise: openpyxl decides
        return None


def _openpyxl_tables(data: bytes) -> list[tuple[str, list[tuple]]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError) as e:  # a zip that is not a workbook (a .docx, an archive)
        raise RegisterRefused("register_not_spreadsheet") from e
    except Exception as e:  # openpyxl's own errors and broken XML
        raise RegisterRefused("register_unreadable", problem=type(e).__name__) from e
    try:
        tables, total = [], 0
        for sheet in workbook.worksheets:
            rows = []
            for row in sheet.iter_rows(values_only=True):  # read-only fills skipped rows with empty ones
                rows.append(tuple(row))
                total = _counted(total, 1)
            tables.append((sheet.title, rows))
        return tables
    except RegisterRefused:
        raise
    except Exception as e:
        raise RegisterRefused("register_unreadable", problem=type(e).__name__) from e
    finally:
        workbook.close()


def _is_total_or_footer(row: tuple) -> bool:
    """合计/小计/总计 (or "本页小计", "Total:") in one of the first three filled cells, or a signature line
    (制表人：…) in the first."""
    cells = [c for c in row if c is not None and c != ""][:3]
    words = [normalise(c) for c in cells if isinstance(c, str)]
    if any(w.startswith(TOTAL_WORDS) or w.endswith(TOTAL_WORDS[:4]) for w in words):
        return True
    return bool(words) and isinstance(cells[0], str) and words[0].startswith(FOOTER_WORDS)


def read_sheet(name: str, rows: list[tuple]) -> Sheet:
    """One sheet's rows (tuples of cell values, the sheet's row 1 first) read into a ``Sheet``."""
    found = find_header(rows)
    if found is None:
        return Sheet(name, None, None)
    start, height, columns = found
    kind = kind_of({c.field for c in columns if c.field})
    if kind:
        apply_aliases(kind, columns)
    recognised = [c for c in columns if c.field]
    title = " ".join(v.text(c) for row in rows[:start] for c in row if not v.is_blank(c))
    sheet = Sheet(name, kind, start + 1, columns, title)
    if kind is None:
        return sheet
    have = {c.field for c in recognised}
    missing = [f for f in REQUIRED[kind] if f not in have]
    if missing:
        for f in missing:
            params = {"field": str(FIELD_NAMES[f])}
            sheet.rejected.append(Rejection(name, None, None, "sheet_column_missing", params,
                                            english("sheet_column_missing", params)))
        return sheet
    for index in range(start + height, len(rows)):
        row = rows[index]
        cells = {c.field: (row[c.index] if c.index < len(row) else None) for c in recognised}
        if all(v.is_blank(x) for x in cells.values()) or _is_total_or_footer(row):
            sheet.skipped += 1
            continue
        if _repeats_header(row, recognised):  # a header printed again on each page
            sheet.skipped += 1
            continue
        values, problems = read_row(kind, cells, recognised)
        number = index + 1
        if problems:
            sheet.rejected += [Rejection(name, number, column, code, params, english(code, params))
                               for column, code, params in problems]
        else:
            sheet.rows.append(Row(number, values))
    return sheet


def _repeats_header(row: tuple, recognised: list[Column]) -> bool:
    return all(c.index < len(row) and normalise(row[c.index]) == normalise(c.header) for c in recognised)


def read_row(kind: str, cells: dict, columns: list[Column]) -> tuple[dict, list[tuple[str | None, str, dict]]]:
    """(values by canonical field, [(column as written, message code, params)]) of one row."""
    header = {c.field: c.header for c in columns}
    values, problems = {}, []

    def read(field_name, parse):
        try:
            return parse(cells[field_name])
        except v.BadValue as e:
            problems.append((header[field_name], e.code, e.params))
            return None

    for f in TEXT_FIELDS:
        if f in cells and not v.is_blank(cells[f]):
            values[f] = re.sub(r"\s+", " ", v.text(cells[f]))
    for f in REQUIRED[kind]:
        if f == "name" and "item_code" in values:  # an item named by its code alone
            continue
        if f not in values and (f != "quantity" or v.is_blank(cells.get(f))):
            problems.append((header[f], "row_value_missing", {"column": header[f]}))
    if "quantity" in cells and not v.is_blank(cells["quantity"]):
        parsed = read("quantity", lambda x: v.parse_quantity(x, values.get("unit", "")))
        if parsed is not None:
            values["quantity"] = parsed[0]
            if parsed[1] and "unit" not in values:
                values["unit"] = parsed[1]
    for f in ("capacity",):
        if f in cells and not v.is_blank(cells[f]):
            number = read(f, v.parse_whole)
            if number is not None:
                values[f] = number
    for f in DATE_FIELDS:
        if f in cells and not v.is_blank(cells[f]):
            d = read(f, v.parse_date)
            if d is not None:
                values[f] = d
    for f in ("lat", "lon", "unit_price"):
        if f in cells and not v.is_blank(cells[f]):
            values[f] = v.text(cells[f])  # checked where they are stored (ranges, decimals)
    if "shelf_life_months" in cells and not v.is_blank(cells["shelf_life_months"]):
        months = read("shelf_life_months", v.parse_months)
        if months is not None:
            values["shelf_life_months"] = months
            _expiry_from_shelf_life(values, months, header, problems)
    return values, problems


def _expiry_from_shelf_life(values: dict, months: int, header: dict, problems: list) -> None:
    produced: date | None = values.get("production_date")
    if produced is None:
        if "production_date" not in header or not any(c == header["production_date"] for c, _, _ in problems):
            problems.append((header["shelf_life_months"], "row_months_without_production", {}))
        return
    computed = v.add_months(produced, months)
    given = values.get("expiry")
    if given is not None and given != computed:
        problems.append((header["expiry"], "row_expiry_disagrees",
                         {"given": given.isoformat(), "computed": computed.isoformat()}))
    else:
        values["expiry"] = computed


def raw_tables(data: bytes, filename: str = "register") -> list[tuple[str, list[tuple]]]:
    """The cells of each sheet (or of the CSV's one table) as the file has them, row 1 first: what a rejected
    row's report shows of it. Refuses what ``read_register`` refuses to open."""
    if data.startswith(b"PK\x03\x04"):
        return _xlsx_tables(data)
    if data.startswith(OLE_SIGNATURE[:4]) or data.startswith(NOT_SPREADSHEETS) or b"\x00" in data[:65536]:
        raise RegisterRefused("register_not_spreadsheet")
    return [(PurePath(filename).stem or "CSV", _csv_rows(_decode(data)[0]))]
