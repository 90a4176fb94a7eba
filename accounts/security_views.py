"""The security log page (安全审计): auditors and administrators read the security events, filtered by time,
user, kind and outcome, a page at a time, and export them as CSV (the export itself is an event)."""
import csv
import io
from datetime import date, datetime, time, timedelta
from urllib.parse import quote
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, current_app, render_template, request

from accounts import security, security_details
from accounts.auth import login_required_page, require_actor
from accounts.vocab import SECURITY_KINDS, SECURITY_OUTCOMES
from common.actor import ADMIN, AUDITOR
from common.errors import BadQuery, Forbidden
from common.inputs import page_number
from common.web import engine, request_now

bp = Blueprint("security_log", __name__)

PER_PAGE = 50
CSV_MAX = 100_000


def _day(name: str) -> date | None:
    raw = (request.args.get(name) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise BadQuery(f"{name} must be a date like 2026-12-05", field=name) from None


def _filters() -> dict:
    kind = (request.args.get("kind") or "").strip()
    outcome = (request.args.get("outcome") or "").strip()
    if kind and kind not in security.KINDS:
        raise BadQuery(f"kind must be one of {', '.join(security.KINDS)}", field="kind")
    if outcome and outcome not in security.OUTCOMES:
        raise BadQuery(f"outcome must be one of {', '.join(security.OUTCOMES)}", field="outcome")
    return {"from": _day("from"), "to": _day("to"), "username": (request.args.get("username") or "").strip()[:64],
            "kind": kind, "outcome": outcome}


def _query(f: dict) -> dict:
    tz = ZoneInfo(current_app.config["TIMEZONE"])
    return {"since": datetime.combine(f["from"], time(), tz) if f["from"] else None,
            "until": datetime.combine(f["to"] + timedelta(days=1), time(), tz) if f["to"] else None,
            "username": f["username"] or None, "kind": f["kind"] or None, "outcome": f["outcome"] or None}


@bp.route("/security-log")
@login_required_page
def events():
    actor = require_actor()
    if actor.role not in (ADMIN, AUDITOR):
        raise Forbidden("only auditors and administrators read the security log")
    f = _filters()
    if request.args.get("format") == "csv":
        return _csv(actor, f)
    page = page_number((request.args.get("page") or "").strip())
    rows, total = security.events(engine(), **_query(f), offset=(page - 1) * PER_PAGE, limit=PER_PAGE)
    for r in rows:
        r["shown"] = security_details.shown(r)
    pages = max((total + PER_PAGE - 1) // PER_PAGE, 1)
    return render_template("security_log.html", rows=rows, total=total, page=page, pages=pages, filters=f,
                           kinds=SECURITY_KINDS, outcomes=SECURITY_OUTCOMES)


def _csv(actor, f: dict) -> Response:
    rows, total = security.events(engine(), **_query(f), limit=CSV_MAX)
    shown = {k: str(v) for k, v in f.items() if v}
    security.record_security_event(engine(), "export", username=actor.username, at=request_now(),
                                   message=("security_log_export", {
                                       "rows": len(rows),
                                       "filters": ", ".join(f"{k}={v}" for k, v in shown.items()) or "none"}))
    tz = ZoneInfo(current_app.config["TIMEZONE"])
    out = io.StringIO()
    writer = csv.writer(out)
    # detail as recorded (English), then as the page shows it; the message's code and values are what the hash
    # covers besides
    writer.writerow(["id", "at", "kind", "outcome", "username", "address", "detail", "detail_shown", "detail_code",
                     "detail_params", "hash"])
    for r in rows:
        writer.writerow([r["id"], r["at"].astimezone(tz).isoformat(timespec="seconds"), r["kind"], r["outcome"],
                         r["username"] or "", r["address"] or "", r["detail"] or "", security_details.shown(r) or "",
                         r["detail_code"] or "", r["detail_params"] or "", r["hash"]])
    name = f"security-log-{request_now().astimezone(tz):%Y%m%d-%H%M}.csv"
    return Response("\ufeff" + out.getvalue(), content_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f"attachment; filename=\"{name}\"; filename*=UTF-8''{quote(name)}", "Cache-Control": "no-store",
                             "X-Total-Rows": str(total)})
