"""What the audit pages and the audit API share: reading the filters from a query string, running a
report, and answering with JSON, CSV, XLSX or PDF."""
import os
import re
import tempfile
from datetime import date
from urllib.parse import quote
from zoneinfo import ZoneInfo

from flask import Response, current_app, request, stream_with_context

from accounts import security
from audit import documents, exports, movements, reports
from audit.reports import Filters
from common.actor import Actor
from common.errors import InvalidInput
from common.web import engine, request_now, request_today
from inventory.integrity import take_seal

REPORTS = ("expiry", "rotation", "sufficiency", "stock-card", "ledger", "write-offs")
PAGE_LEDGER_LINES = 200
PAGE_REPORT_ROWS = 500  # rows of a report's main table on its page (the totals count every row; exports hold all)
API_LEDGER_LIMIT = 1000
MAX_API_LEDGER_LIMIT = 10000
XLSX_CHUNK = 256 * 1024
MIME = {"csv": "text/csv; charset=utf-8",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "pdf": "application/pdf"}


# ---------------------------------------------------------------- reading the query string


def _text(args, name: str) -> str | None:
    value = (args.get(name) or "").strip()
    return value or None


def _date(args, name: str) -> date | None:
    raw = _text(args, name)
    if raw is None:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise InvalidInput(f"{name} must be a date as YYYY-MM-DD, got {raw!r}", field=name)


def _flag(args, name: str) -> bool:
    raw = (args.get(name) or "").strip().lower()
    if raw in ("", "0", "false", "no", "off"):
        return False
    if raw in ("1", "true", "yes", "on"):
        return True
    raise InvalidInput(f"{name} must be 1 or 0, got {raw!r}", field=name)


def _int(args, name: str, minimum: int = 1) -> int | None:
    raw = _text(args, name)
    if raw is None:
        return None
    if not re.fullmatch(r"-?\d+", raw) or int(raw) < minimum:
        raise InvalidInput(f"{name} must be a whole number of {minimum} or more, got {raw!r}", field=name)
    return int(raw)


def _number(args, name: str) -> float | None:
    raw = _text(args, name)
    if raw is None:
        return None
    try:
        return float(raw.rstrip("%"))
    except ValueError:
        raise InvalidInput(f"{name} must be a number, got {raw!r}", field=name)


def parse_filters(args) -> Filters:
    return reports.check_filters(Filters(depot=_text(args, "depot"), subtree=_flag(args, "subtree"),
                                         tier=_text(args, "tier"), category=_text(args, "category"),
                                         item=_text(args, "item"), start=_date(args, "start"), end=_date(args, "end")))


def parse_windows(args):
    raw = _text(args, "windows")
    if raw is None:
        return None
    parts = [p for p in re.split(r"[,，\s]+", raw) if p]
    if not all(re.fullmatch(r"-?\d+", p) for p in parts):
        raise InvalidInput(f"windows are whole numbers of days separated by commas, got {raw!r}", field="windows")
    return [int(p) for p in parts]


def tz() -> str:
    return current_app.config["TIMEZONE"]


# ---------------------------------------------------------------- running a report


def run(name: str, args, actor: Actor, *, full: bool = True) -> dict:
    """The report's plain result for the query string. ``full=False`` (pages): the ledger's first lines, and
    the first ``PAGE_REPORT_ROWS`` rows of the expiry, rotation and write-off lists (their totals count all)."""
    f = parse_filters(args)
    eng, today = engine(), request_today()
    rows = None if full else PAGE_REPORT_ROWS
    if name == "expiry":
        return reports.expiry(eng, actor, today, f, windows=parse_windows(args), limit=rows)
    if name == "rotation":
        return reports.rotation(eng, actor, today, f, now=request_now(), limit=rows)
    if name == "sufficiency":
        return reports.sufficiency(eng, actor, today, f, share_percent=_number(args, "share"),
                                   people=_int(args, "people"))
    if name == "stock-card":
        lot = _text(args, "lot")
        if lot or not (f.depot or f.item):
            return reports.lot_card(eng, actor, today, lot, f, tz())
        return reports.item_card(eng, actor, today, f.depot, f.item, f, tz())
    if name == "write-offs":
        return reports.write_offs(eng, actor, today, f, tz(), limit=rows)
    if name == "ledger":
        limit = PAGE_LEDGER_LINES if not full else min(_int(args, "limit") or API_LEDGER_LIMIT, MAX_API_LEDGER_LIMIT)
        return movements.ledger(eng, actor, today, f, tz(), limit=limit)
    raise InvalidInput(f"no report {name}; reports: {', '.join(REPORTS)}", field="report")


BUILDERS = {"expiry": documents.expiry, "rotation": documents.rotation, "sufficiency": documents.sufficiency,
            "stock-card": documents.stock_card, "write-offs": documents.write_offs}


def meta(actor: Actor, seal: dict | None) -> dict:
    return {"generated_at": request_now().astimezone(ZoneInfo(tz())), "seal": seal}


def document(name: str, args, actor: Actor, fmt: str) -> exports.Document:
    """The report as a document for an export; the ledger streams (its rows are read while sending).
    Every export archives a seal of the ledger as it stands (printed on XLSX and PDF; the CSV sends it in
    the X-Ledger-Seal header), so an auditor can later check that nothing below it was changed."""
    if fmt not in exports.FORMATS:
        raise InvalidInput(f"format must be one of json, {', '.join(exports.FORMATS)}, got {fmt!r}", field="format")
    if name == "ledger":
        f = parse_filters(args)
        query = movements.LedgerQuery(engine(), actor, f, tz())
        count = query.count()
        if fmt == "pdf":
            exports.require_pdf(count)
        params = reports._params(f, request_today())
        return documents.ledger(query, params, meta(actor, _export_seal(name, fmt, actor)), count)
    if fmt == "pdf":
        exports.require_pdf(None)
    result = run(name, args, actor)
    return BUILDERS[name](result, meta(actor, _export_seal(name, fmt, actor)))


def _export_seal(name: str, fmt: str, actor: Actor) -> dict:
    return take_seal(engine(), "export", actor.username, request_now(), note=f"{name}.{fmt}")


def check(name: str, args, fmt: str, actor: Actor) -> str | None:
    """Refuses, before any work, what an export of the report could not do: a bad filter (422 naming it), a
    bad ``encoding`` (400), a PDF the server cannot print or that would be too long. Returns the CSV encoding."""
    if name not in REPORTS:
        raise InvalidInput(f"no report {name}; reports: {', '.join(REPORTS)}", field="report")
    if fmt not in exports.FORMATS:
        raise InvalidInput(f"format must be one of {', '.join(exports.FORMATS)}, got {fmt!r}", field="format")
    encoding = exports.check_encoding(args.get("encoding")) if fmt == "csv" else None
    f = parse_filters(args)
    if name == "expiry":
        parse_windows(args)
    if name == "sufficiency":
        _number(args, "share"), _int(args, "people")
    if fmt == "pdf":
        exports.require_pdf(movements.LedgerQuery(engine(), actor, f, tz()).count() if name == "ledger" else None)
    return encoding


def export(name: str, args, actor: Actor, fmt: str) -> Response:
    """The file in the answer, made while the request waits (scripts, the API, pages without JavaScript; the
    report page runs exports in the background instead, ``audit.jobs``)."""
    encoding = check(name, args, fmt, actor)
    doc = document(name, args, actor, fmt)
    record_export(actor, name, fmt, args)
    if fmt == "csv":
        return csv_response(doc, encoding)
    if fmt == "xlsx":
        return xlsx_response(doc)
    return pdf_response(doc)


def record_export(actor: Actor, report: str, fmt: str, args, how: str = "direct") -> None:
    """Every export is in the security log: who, which report, in which format, with which filters."""
    from audit.jobs import filters_query

    security.record_security_event(engine(), "export", username=actor.username, at=request_now(),
                                   message=("report_export", {"report": report, "format": fmt, "how": how,
                                                             "filters": filters_query(args) or "none"}))


def total_rows(doc: exports.Document) -> int | None:
    counts = [t.count for t in doc.tables]
    return None if None in counts else sum(counts)


def write_file(doc: exports.Document, fmt: str, path: str, encoding: str | None = None, progress=None) -> None:
    """Writes the export to ``path``. ``progress(done, total, stage)`` hears how far it got: rows written
    (CSV, XLSX; stage ``rows``), or for a PDF rows laid out into pages (``layout``), then pages written
    (``pages``)."""
    total = total_rows(doc)
    if fmt == "csv":
        tell = None if progress is None else (lambda done: progress(done, total, "rows"))
        with open(path, "wb") as f:
            for chunk in exports.csv_chunks(doc, tz(), encoding or "utf-8", progress=tell):
                f.write(chunk)
        return
    if fmt == "xlsx":
        tell = None if progress is None else (lambda done: progress(done, total, "rows"))
        written = exports.write_xlsx(doc, path, tz(), progress=tell)
        if progress is not None:
            progress(written, total if total is not None else written, "rows")
        return
    body = pdf_bytes(doc, progress)
    with open(path, "wb") as f:
        f.write(body)


def _disposition(doc: exports.Document, fmt: str) -> dict:
    name = exports.file_name(doc, fmt)
    return {"Content-Disposition": disposition(name), "Cache-Control": "no-store"}


def disposition(name: str) -> str:
    return f"attachment; filename=\"{name}\"; filename*=UTF-8''{quote(name)}"


def csv_response(doc: exports.Document, encoding: str = "utf-8") -> Response:
    headers = _disposition(doc, "csv")
    total = total_rows(doc)
    if total is not None:
        headers["X-Total-Rows"] = str(total)
    if doc.seal is not None:
        headers["X-Ledger-Seal"] = doc.seal["text"]
    return Response(stream_with_context(exports.csv_chunks(doc, tz(), encoding)), headers=headers,
                    content_type=exports.CSV_MIME[encoding])


def xlsx_response(doc: exports.Document) -> Response:
    """Written to a temporary file (constant memory for the ledger), then sent with its length; the file is
    removed once sent."""
    fd, path = tempfile.mkstemp(prefix="reliefdepot-", suffix=".xlsx")
    os.close(fd)
    try:
        exports.write_xlsx(doc, path, tz())
        size = os.path.getsize(path)
    except BaseException:
        os.unlink(path)
        raise

    def chunks():
        try:
            with open(path, "rb") as f:
                while chunk := f.read(XLSX_CHUNK):
                    yield chunk
        finally:
            if os.path.exists(path):
                os.unlink(path)

    response = Response(chunks(), mimetype=MIME["xlsx"], headers={**_disposition(doc, "xlsx"),
                                                                  "Content-Length": str(size)})
    response.call_on_close(lambda: os.path.exists(path) and os.unlink(path))
    return response


def file_response(path: str, name: str, mime: str) -> Response:
    """A kept export file, sent in chunks with its length."""
    def chunks():
        with open(path, "rb") as f:
            while chunk := f.read(XLSX_CHUNK):
                yield chunk

    return Response(chunks(), content_type=mime, headers={"Content-Disposition": disposition(name),
                                                          "Cache-Control": "no-store",
                                                          "Content-Length": str(os.path.getsize(path))})


def pdf_bytes(doc: exports.Document, progress=None) -> bytes:
    """The PDF (``audit.pdf``: ReportLab tables cut page by page), its progress real: rows laid out as the
    pages fill, then pages written."""
    from audit import pdf

    exports.require_pdf(None)
    tables = [exports.limited_rows(table) for table in doc.tables]
    return pdf.render(doc, tables, tz=tz(), locale=doc.locale or exports.current_locale(), progress=progress)


def pdf_response(doc: exports.Document) -> Response:
    body = pdf_bytes(doc)
    return Response(body, mimetype=MIME["pdf"], headers={**_disposition(doc, "pdf"), "Content-Length": str(len(body))})


# ---------------------------------------------------------------- JSON


def jsonable(value):
    """Dates and times as ISO text (Flask would write HTTP dates), everything else as it is."""
    if isinstance(value, dict):
        return {k: jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [jsonable(v) for v in value]
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value
