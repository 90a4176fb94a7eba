"""Report documents turned into files: CSV (every table, UTF-8 with a BOM so Excel and WPS read Chinese, or
GBK written as GB18030 for older Excel and WPS), XLSX
(XlsxWriter: Chinese headers, frozen header row, column widths, number formats; constant memory for
big tables) and PDF (``audit.pdf``: ReportLab tables cut page by page, a TrueType CJK font embedded, page x of
y, table headers on every page, the parameters, the generation time and the ledger seal printed on it).

A ``Document`` is plain data: tables of columns and rows (tuples in column order, raw values: ints,
cents, dates, 'YYYY-MM-DD HH:MM:SS' text or aware datetimes). Rows may be a generator: CSV and XLSX
read them once, in order, so the movement ledger is never held in memory.
"""
import codecs
import csv
import glob
import io
import logging
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, time
from typing import Iterable
from zoneinfo import ZoneInfo

from common import formats
from common.errors import DomainError, InvalidInput

log = logging.getLogger(__name__)

FORMATS = ("csv", "xlsx", "pdf")
MAX_PDF_ROWS = 100_000  # a county's year of ledger lines; the setting PDF_MAX_ROWS overrides it
CSV_BATCH = 2000
PROGRESS_EVERY = 500  # XLSX rows between progress reports
CJK_FAMILIES = ("Noto Sans CJK SC", "Noto Serif CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei",
                "WenQuanYi Zen Hei", "Droid Sans Fallback")


class PdfUnavailable(DomainError):
    status = 503
    code = "pdf_unavailable"


@dataclass(frozen=True)
class Column:
    key: str
    header: str  # shown as the column's heading (a lazy translation is fine)
    # text, int, signed, money (cents), date, datetime, percent (a fraction), days (a number of days),
    # days_left (to expiry: worded "已过期 145 天"), coverage (stock ÷ target: worded "达到 72%" / "已达标")
    kind: str = "text"
    width: int = 12  # characters, for XLSX


@dataclass
class Table:
    sheet: str  # the XLSX sheet name (31 characters at most)
    title: str
    columns: list[Column]
    rows: Iterable[tuple]
    count: int | None = None  # rows, when known before reading them (progress, PDF limit)
    footer: tuple | None = None  # a totals row in column order (PDF and XLSX)
    big: bool = False  # stream it: constant-memory XLSX
    csv_body: object = None  # a callable giving the CSV lines (no header) as text, written faster than rows


@dataclass
class Document:
    slug: str  # file name stem, ASCII
    title: str
    params: list[tuple[str, str]]
    generated_at: datetime  # county-local, aware
    seal: dict | None
    tables: list[Table]
    chart_svg: str | None = None  # the page's chart (inline SVG)
    chart: dict | None = None  # the same chart's data for the PDF: title, unit_label, months, month_labels, series
    notes: list[str] = field(default_factory=list)
    locale: str | None = None  # the reader's language; None: the request's (``current_locale``)


# ---------------------------------------------------------------- values as text


def _local(value, tz: str) -> datetime:
    if isinstance(value, str):
        return datetime.fromisoformat(value)
    return value.astimezone(ZoneInfo(tz)).replace(tzinfo=None)


def current_locale() -> str:
    """The request's language (flask-babel), or the default language outside a request."""
    try:
        from flask_babel import get_locale

        return str(get_locale() or formats.DEFAULT_LOCALE)
    except (ImportError, RuntimeError):
        return formats.DEFAULT_LOCALE


def text_value(kind: str, value, tz: str = "Asia/Shanghai", grouped: bool = False, locale: str | None = None) -> str:
    """A cell as text, worded as on the pages (``common.formats``): dates 2026年7月13日, days to expiry
    已过期 145 天, coverage 已达标. Numbers are plain in CSV (a spreadsheet reads them) and grouped (1,234)
    on pages and in PDF (``grouped``)."""
    if value is None or value == "":
        return ""
    locale = locale or current_locale()
    if isinstance(value, str) and kind != "datetime":  # a label in a figures column (合计, 期末结存)
        return value
    if kind in ("int", "days"):
        return f"{value:,}" if grouped else str(value)
    if kind == "signed":  # CSV: a plain number a spreadsheet reads; PDF: +1,234 / −5
        if not grouped:
            return str(value)
        return ("+" if value > 0 else ("−" if value < 0 else "")) + f"{abs(value):,}"
    if kind == "money":
        return f"{value / 100:,.2f}" if grouped else f"{value / 100:.2f}"
    if kind == "percent":
        return formats.percent_text(value, locale, 1)
    if kind == "coverage":
        return formats.coverage_text(value, locale)
    if kind == "days_left":
        return formats.days_left_text(value, locale)
    if kind == "date":
        return formats.date_text(value, locale)
    if kind == "datetime":
        if isinstance(value, str):  # the ledger's local 'YYYY-MM-DD HH:MM:SS', or a label (期末结存)
            try:
                return formats.datetime_text(value, locale, None)
            except ValueError:
                return value
        return formats.datetime_text(_local(value, tz), locale, None)
    return str(value)


_PLAIN = ("text", "int", "days", "signed")

# CSV encodings a user may choose: UTF-8 with a BOM (Excel and WPS then read it as UTF-8), or GBK for older Excel
# and WPS, written as GB18030 — a superset of GBK that encodes every character, so no export fails on a rare one.
ENCODINGS = {"utf-8": "utf-8", "gbk": "gb18030"}
CSV_MIME = {"utf-8": "text/csv; charset=utf-8", "gbk": "text/csv; charset=gb18030"}


class BadParameter(InvalidInput):
    status = 400
    code = "bad_parameter"


def check_encoding(raw: str | None) -> str:
    """The CSV encoding asked for, exactly ``utf-8`` or ``gbk`` (``utf-8`` when the parameter is not given);
    400 naming ``encoding`` otherwise."""
    value = "utf-8" if raw is None else raw
    if value not in ENCODINGS:
        raise BadParameter(f"encoding must be utf-8 or gbk, got {raw!r}", field="encoding",
                           message_code="bad_encoding", params={"encoding": str(raw)})
    return value


def csv_text(doc: Document, tz: str = "Asia/Shanghai", progress=None) -> Iterable[str]:
    """Every table of the document as CSV text, a batch of rows at a time. One table: its header row, then
    its rows (as before). Several: each table is a section — a row with its title, its header row, its rows —
    and a blank line between sections. Totals rows are left out (a CSV is for computing). ``progress(done)``
    is told the data rows written so far after each batch."""
    sections = len(doc.tables) > 1
    locale = doc.locale or current_locale()
    done = 0
    for n, table in enumerate(doc.tables):
        lines = []
        if sections:
            if n:
                lines.append([])
            lines.append([str(table.title)])
        lines.append([str(c.header) for c in table.columns])
        yield _csv_lines(lines)
        for batch, text in _table_batches(table, tz, locale):
            done += batch
            if progress is not None:
                progress(done)
            yield text


def csv_chunks(doc, tz: str = "Asia/Shanghai", encoding: str = "utf-8", progress=None) -> Iterable[bytes]:
    """``csv_text`` as bytes in the chosen encoding (``ENCODINGS``), UTF-8 starting with its BOM. ``doc`` may
    also be a single ``Table``."""
    if isinstance(doc, Table):
        doc = Document(slug="", title="", params=[], generated_at=None, seal=None, tables=[doc])
    codec = ENCODINGS[encoding]
    start = codecs.BOM_UTF8 if codec == "utf-8" else b""
    for text in csv_text(doc, tz, progress):
        yield start + text.encode(codec)
        start = b""


def _csv_lines(rows) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue()


def _table_batches(table: Table, tz: str, locale: str) -> Iterable[tuple[int, str]]:
    """(rows in the batch, their CSV text) of a table's rows."""
    if table.csv_body is not None:  # text, one string per batch of whole lines ending in \r\n
        for text in table.csv_body():
            yield _count_lines(text), text
        return
    kinds = [c.kind for c in table.columns]
    convert = [None if k in _PLAIN else k for k in kinds]
    # Rows of plain values (text, whole numbers, times already as text, like the ledger's) go to the writer
    # as they are; the first row decides.
    plain = None
    batch = []
    for row in table.rows:
        if plain is None:
            plain = all(k in _PLAIN or (k == "datetime" and isinstance(v, (str, type(None))))
                        for k, v in zip(kinds, row))
        if not plain:
            row = [v if k is None or v is None else text_value(k, v, tz, locale=locale) for k, v in zip(convert, row)]
        batch.append(row)
        if len(batch) >= CSV_BATCH:
            yield len(batch), _csv_lines(batch)
            batch.clear()
    if batch:
        yield len(batch), _csv_lines(batch)


def _count_lines(text: str) -> int:
    """Records in a batch of CSV lines: line ends outside quoted fields (a note may hold a line break)."""
    if '"' not in text:
        return text.count("\n")
    records, quoted = 0, False
    for part in text.split('"'):
        if not quoted:
            records += part.count("\n")
        quoted = not quoted
    return records


# ---------------------------------------------------------------- XLSX


XLSX_MAX_ROWS = 1_048_576  # rows in one sheet, its header included (Excel's limit)
NUMBER_FORMATS = {"int": "#,##0", "days": "0", "signed": "+#,##0;-#,##0;0", "money": "#,##0.00",
                  "date": "yyyy-mm-dd", "datetime": "yyyy-mm-dd hh:mm:ss", "percent": "0.0%"}
# Real dates and numbers in the cells, shown as on the pages: 2026年7月13日, 已过期 145 天, 已达标.
LOCAL_FORMATS = {
    "zh": {"date": 'yyyy"年"m"月"d"日"', "datetime": 'yyyy"年"m"月"d"日" hh:mm',
           "days_left": '"还剩 "#,##0" 天";"已过期 "#,##0" 天";"今天到期"',
           "coverage": '[>=1.5]"已达标（目标的 "#,##0.0" 倍）";[>=1]"已达标";"达到 "0%'},
    "en": {"date": "d mmm yyyy", "datetime": "d mmm yyyy, hh:mm",
           "days_left": '#,##0" days left";"expired "#,##0" days ago";"expires today"',
           "coverage": '[>=1.5]"met ("#,##0.0"× the target)";[>=1]"met";0%" met"'},
}


def number_formats(locale: str | None) -> dict[str, str]:
    return {**NUMBER_FORMATS, **LOCAL_FORMATS["zh" if formats.is_zh(locale) else "en"]}


def write_xlsx(doc: Document, path: str, tz: str = "Asia/Shanghai", progress=None) -> int:
    """Writes the document to an XLSX file at ``path``: one sheet per table (header row frozen, filters on
    it), then a sheet with the report's parameters, time and seal. Returns the rows written."""
    import xlsxwriter

    big = any(t.big for t in doc.tables)
    number_format = number_formats(doc.locale or current_locale())
    workbook = xlsxwriter.Workbook(path, {"constant_memory": big, "tmpdir": tempfile.gettempdir(),
                                          "default_date_format": number_format["date"], "strings_to_numbers": False,
                                          "strings_to_formulas": False, "strings_to_urls": False})
    header = workbook.add_format({"bold": True, "bg_color": "#E8EDF3", "border": 1, "text_wrap": True,
                                  "valign": "vcenter"})
    cell_formats = {kind: workbook.add_format({"num_format": f}) for kind, f in number_format.items()}
    bold_formats = {kind: workbook.add_format({"num_format": f, "bold": True, "top": 1})
                    for kind, f in number_format.items()}
    bold = workbook.add_format({"bold": True, "top": 1})
    written = 0
    for table in doc.tables:
        written += _write_table(workbook, table, header, cell_formats, bold_formats, bold, tz, progress, written)
    from flask_babel import gettext as _

    info = workbook.add_worksheet(_("Report information")[:31])
    info.set_column(0, 0, 18)
    info.set_column(1, 1, 90)
    info.write_string(0, 0, doc.title, workbook.add_format({"bold": True, "font_size": 14}))
    for i, (name, value) in enumerate(_info_lines(doc), start=2):
        info.write_string(i, 0, str(name))
        info.write_string(i, 1, str(value))
    workbook.close()
    return written


def _new_sheet(workbook, table: Table, name: str, header):
    sheet = workbook.add_worksheet(name)
    for i, c in enumerate(table.columns):
        sheet.set_column(i, i, c.width)
    sheet.set_row(0, 30)
    for i, c in enumerate(table.columns):
        sheet.write_string(0, i, str(c.header), header)
    sheet.freeze_panes(1, 0)
    return sheet


def _write_table(workbook, table: Table, header, formats, bold_formats, bold, tz, progress, before: int) -> int:
    """One table on its sheet, continued on sheets "<name> (2)", "(3)"… past a sheet's row limit (Excel's
    1,048,576 rows, one kept for the totals); returns the rows written."""
    per_sheet = XLSX_MAX_ROWS - 2
    last = len(table.columns) - 1
    sheet = _new_sheet(workbook, table, table.sheet[:31], header)
    cells = [_cell_writer(sheet, c.kind, formats, tz) for c in table.columns]
    r = done = 0
    for row in table.rows:
        if r == per_sheet:
            sheet.autofilter(0, 0, r, last)
            sheet = _new_sheet(workbook, table, f"{table.sheet[:24]} ({done // per_sheet + 1})", header)
            cells = [_cell_writer(sheet, c.kind, formats, tz) for c in table.columns]
            r = 0
        r += 1
        done += 1
        for i, value in enumerate(row):
            if value is not None and value != "":
                cells[i](r, i, value)
        if progress is not None and done % PROGRESS_EVERY == 0:
            progress(before + done)
    if r:
        sheet.autofilter(0, 0, r, last)
    if table.footer is not None:  # totals: numbers in their columns' formats, labels (合计, 期末结存) as text
        foot = [_cell_writer(sheet, c.kind, bold_formats, tz, text_format=bold) for c in table.columns]
        for i, value in enumerate(table.footer):
            if isinstance(value, str) and value:
                sheet.write_string(r + 1, i, value, bold)
            elif value is not None and value != "":
                foot[i](r + 1, i, value)
    return done


def _info_lines(doc: Document) -> list[tuple[str, str]]:
    from flask_babel import gettext as _

    lines = list(doc.params)
    lines.append((_("Generated at"), formats.datetime_text(doc.generated_at, doc.locale or current_locale(), None)
                   + doc.generated_at.strftime(" %Z")))
    if doc.seal is not None:
        lines.append((_("Ledger seal"), doc.seal["text"]))
        lines.append((_("Ledger lines sealed"), str(doc.seal["count"])))
    lines += [("", note) for note in doc.notes]
    return lines


def _cell_writer(sheet, kind: str, formats: dict, tz: str, text_format=None):
    if kind in ("int", "days", "signed", "percent", "days_left", "coverage"):
        fmt = formats[kind]
        return lambda r, c, v: sheet.write_number(r, c, v, fmt)
    if kind == "money":
        fmt = formats["money"]
        return lambda r, c, v: sheet.write_number(r, c, v / 100, fmt)
    if kind == "date":
        fmt = formats["date"]
        return lambda r, c, v: sheet.write_datetime(r, c, datetime.combine(v, time()), fmt)
    if kind == "datetime":
        fmt = formats["datetime"]
        return lambda r, c, v: sheet.write_datetime(r, c, _local(v, tz), fmt)
    if text_format is not None:
        return lambda r, c, v: sheet.write_string(r, c, str(v), text_format)
    return lambda r, c, v: sheet.write_string(r, c, str(v))


# ---------------------------------------------------------------- PDF


_font: list = []


def cjk_font() -> str | None:
    """The family name of an installed CJK font WeasyPrint can use, or None. Checked once (at start-up)."""
    if not _font:
        _font.append(_find_cjk_font())
    return _font[0]


def _find_cjk_font() -> str | None:
    if shutil.which("fc-list"):
        try:
            listed = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True, timeout=20,
                                    check=False).stdout
        except (OSError, subprocess.SubprocessError):
            listed = ""
        families = {name.strip() for line in listed.splitlines() for name in line.split(",")}
        for family in CJK_FAMILIES:
            if family in families:
                return family
        if families:
            return sorted(families)[0]
        return None
    for pattern, family in (("/usr/share/fonts/**/NotoSansCJK*", "Noto Sans CJK SC"),
                            ("/usr/share/fonts/**/wqy-microhei*", "WenQuanYi Micro Hei")):
        if glob.glob(pattern, recursive=True):
            return family
    return None


def check_pdf_fonts() -> str | None:
    """At start-up: finds the CJK fonts — the one WeasyPrint uses (count sheets) and the TrueType one of the
    report PDFs (``audit.pdf``) — and says loudly when there is none (PDFs would print empty boxes)."""
    from audit import pdf

    family = cjk_font()
    if family is None:
        log.error("no Chinese (CJK) font is installed: PDF exports are refused until one is "
                  "(Debian: apt-get install fonts-noto-cjk fonts-wqy-microhei)")
    if pdf.table_font() is None:
        log.error("no Chinese (CJK) TrueType font is installed: report PDFs are refused until one is "
                  "(Debian: apt-get install fonts-wqy-microhei)")
    return family


def max_pdf_rows() -> int:
    """The most lines a PDF may hold: the app's ``PDF_MAX_ROWS`` setting, else ``MAX_PDF_ROWS``."""
    try:
        from flask import current_app

        configured = current_app.config.get("PDF_MAX_ROWS")
    except RuntimeError:  # outside an app
        configured = None
    return int(configured) if configured else MAX_PDF_ROWS


def require_pdf(count: int | None) -> tuple:
    """Refuses a report PDF the server cannot print (no TrueType CJK font: 503) or one longer than
    ``max_pdf_rows()`` (422 on ``format``). Returns the font (file, index, family)."""
    from audit import pdf

    font = pdf.table_font()
    if font is None:
        raise PdfUnavailable("PDF export is not available: no Chinese (CJK) TrueType font is installed on the server, "
                             "and without one Chinese prints as empty boxes; install fonts-wqy-microhei (Debian; "
                             "fonts-noto-cjk is CFF, which the PDF tables cannot embed) and restart", field="format",
                             message_code="pdf_no_font")
    limit = max_pdf_rows()
    if count is not None and count > limit:
        raise InvalidInput(f"a PDF holds at most {limit:,} lines and this report has {count:,}: narrow the "
                           "dates or the depots, or export CSV or XLSX", field="format", rows=count,
                           message_code="pdf_too_long", params={"limit": f"{limit:,}", "rows": f"{count:,}"})
    return font


def limited_rows(table: Table, limit: int | None = None) -> list[tuple]:
    """The rows of a table for a PDF, refusing (422 on ``format``) past the limit."""
    limit = limit or max_pdf_rows()
    rows = []
    for row in table.rows:
        rows.append(row)
        if len(rows) > limit:
            require_pdf(len(rows))
    return rows


def file_name(doc: Document, fmt: str) -> str:
    return f"{doc.slug}-{doc.generated_at:%Y%m%d-%H%M}.{fmt}"
