"""What the audit pages and the audit API share: reading the filters from a query string, running a
report, and answering with JSON, CSV, XLSX or PDF."""
import json
import os
import re
import tempfile
from datetime import date
from urllib.parse import quote
from zoneinfo import ZoneInfo

from flask import Response, current_app, render_template, request, stream_with_context

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


def export(name: str, args, actor: Actor, fmt: str, progress_token: str | None = None) -> Response:
    doc = document(name, args, actor, fmt)
    if fmt == "csv":
        return csv_response(doc)
    if fmt == "xlsx":
        return xlsx_response(doc, Progress(actor, progress_token) if progress_token else None)
    return pdf_response(doc)


# ---------------------------------------------------------------- progress of an XLSX being written


class Progress:
    """How far an XLSX export has got, for the page that asked for it: a small JSON file under the instance
    folder (one per user and page-chosen token), so a poll answered by any worker of the server reads it.
    The CSV needs none: it streams, and the page counts its lines as they arrive."""

    TOKEN = re.compile(r"[A-Za-z0-9-]{8,64}")

    def __init__(self, actor: Actor, token: str):
        if not self.TOKEN.fullmatch(token):
            raise InvalidInput("progress must be 8 to 64 letters, digits or dashes", field="progress")
        folder = os.path.join(current_app.instance_path, "export-progress")
        os.makedirs(folder, exist_ok=True)
        self.path = os.path.join(folder, f"{actor.user_id}-{token}.json")

    def update(self, done: int, total: int | None) -> None:
        temporary = f"{self.path}.{os.getpid()}.tmp"
        with open(temporary, "w", encoding="ascii") as f:
            json.dump({"done": done, "total": total}, f)
        os.replace(temporary, self.path)

    def read(self) -> dict | None:
        try:
            with open(self.path, encoding="ascii") as f:
                return json.load(f)
        except (OSError, ValueError):
            return None

    def clear(self) -> None:
        try:
            os.unlink(self.path)
        except OSError:
            pass


def _disposition(doc: exports.Document, fmt: str) -> dict:
    name = exports.file_name(doc, fmt)
    return {"Content-Disposition": f"attachment; filename=\"{name}\"; filename*=UTF-8''{quote(name)}",
            "Cache-Control": "no-store"}


def csv_response(doc: exports.Document) -> Response:
    table = doc.tables[0]
    headers = _disposition(doc, "csv")
    if table.count is not None:
        headers["X-Total-Rows"] = str(table.count)
    if doc.seal is not None:
        headers["X-Ledger-Seal"] = doc.seal["text"]
    return Response(stream_with_context(exports.csv_chunks(table, tz())), mimetype=MIME["csv"], headers=headers)


def xlsx_response(doc: exports.Document, progress: Progress | None = None) -> Response:
    """Written to a temporary file (constant memory for the ledger; the rows written so far kept in
    ``progress`` for the page to poll), then sent with its length, so the page can show the download's
    progress too; the file is removed once sent."""
    fd, path = tempfile.mkstemp(prefix="reliefdepot-", suffix=".xlsx")
    os.close(fd)
    total = sum(t.count or 0 for t in doc.tables) or None
    try:
        if progress is not None:
            progress.update(0, total)
        exports.write_xlsx(doc, path, tz(), progress=progress and (lambda done: progress.update(done, total)))
        size = os.path.getsize(path)
    except BaseException:
        os.unlink(path)
        raise
    finally:
        if progress is not None:
            progress.clear()

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


def pdf_response(doc: exports.Document) -> Response:
    family = exports.require_pdf(None)
    tables = []
    for table in doc.tables:
        rows = exports.limited_rows(table)
        tables.append({"table": table, "rows": rows})
    html = render_template("report_pdf.html", doc=doc, tables=tables, font=family, tz=tz(),
                           cell=lambda column, value: exports.text_value(column.kind, value, tz(), grouped=True))
    body = exports.render_pdf(html, base_url=request.url_root)
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
