"""The scanning page (/scan), its service worker (/sw.js) and the front-end files it runs on
(/static/vendor/…, installed by npm).

The page itself holds no stock logic: it reads lots through GET /api/v1/lots/<code>, records every
action through POST /api/v1/ledger with an Idempotency-Key (a write-off as a request through
POST /api/v1/write-offs, a count of a lot in an open count session through POST /api/v1/counts/<id>/lines,
a transfer order's picks, shipping and receipt through /api/v1/orders/<code>/…, a return of durable equipment and
its inspection through /api/v1/incidents/<id>/returns and /api/v1/returns/<id>/inspect),
and authenticates queued actions with a
device token (POST /api/v1/tokens/device) kept in the phone's IndexedDB. See static/js/scan*.js.
"""
import hashlib
import json
import logging
from pathlib import Path

from flask import Blueprint, current_app, render_template, url_for
from flask_babel import get_locale

from accounts.auth import login_required_page, require_actor
from common.actor import ADMIN, KEEPER
from common.web import engine
from inventory import queries, vocab
from inventory.models import WRITE_OFF_REQUEST_REASONS
from labels import payloads
from scan import vendor

bp = Blueprint("scan", __name__)
log = logging.getLogger(__name__)

STATIC = Path(__file__).resolve().parent.parent / "static"
SW_SOURCE = STATIC / "js" / "sw.js"
# What the service worker keeps for offline use besides the page itself (paths under /static/).
OFFLINE_STATIC = ("js/scan.js", "js/scan-codes.js", "js/scan-store.js", "js/scan-outbox.js", "js/scan-camera.js",
                  "js/scan-lots.js", "js/scan-fefo.js", "js/scan-format.js", "js/scan-picking.js", "js/scan-counts.js",
                  "js/scan-orders.js", "js/scan-returns.js", "css/app.css", "css/scan.css", "favicon.svg")


@bp.record_once
def _check_at_start(state) -> None:
    """Says at start-up, in the log, when the scanner's files are not installed (the rest of the app works
    without them; tests/integration/test_scan_page.py fails on it)."""
    try:
        vendor.check()
    except vendor.VendorFilesMissing as e:
        log.error("the scanning page cannot scan: %s", e)


@bp.route("/scan")
@login_required_page
def page():
    actor = require_actor()
    english = str(get_locale()) == "en"
    return render_template(
        "scan.html", config=_page_config(actor), vendor_missing=vendor.missing(),
        reasons=[(r, vocab.label("reason", r)) for r in WRITE_OFF_REQUEST_REASONS],
        units_en=vocab.UNITS_EN if english else {},
        # every message code the app's blueprints registered (the stock rules', the count sessions'…)
        messages={code: str(message) for code, message in current_app.extensions.get("error_messages", {}).items()})


def _page_config(actor) -> dict:
    changes = actor.role in (ADMIN, KEEPER)
    depots = queries.list_depots(engine(), actor) if changes else []
    order_page = "orders.order" in current_app.view_functions
    return {
        "user": actor.username,
        "role": actor.role,
        "canChange": changes,
        "depots": [{"code": d["code"], "name": d["name"]} for d in depots],
        "keeps": actor.role == KEEPER,
        "base": _base_or_none(),
        "urls": {
            "lot": "/api/v1/lots/", "lots": "/api/v1/lots", "depot": "/api/v1/depots/", "ledger": "/api/v1/ledger",
            "writeOffs": "/api/v1/write-offs",
            "deviceToken": "/api/v1/tokens/device", "counts": "/api/v1/counts",
            "countPage": url_for("counts.session", count_id=0)[:-1], "me": "/api/v1/me", "card": url_for("inventory.lot", code="X")[:-1],
            "orderPage": url_for("orders.order", code="X")[:-1] if order_page else None,
            "orders": "/api/v1/orders",
            "returnsWorklist": "/api/v1/returns/worklist", "returns": "/api/v1/returns/", "incidents": "/api/v1/incidents/",
            "sw": url_for("scan.service_worker"), "scope": url_for("scan.page"),
            "barcodeDetector": url_for("scan.vendor_file", name="barcode-detector.js"),
            "wasm": url_for("scan.vendor_file", name="zxing_reader.wasm"),
            "jsqr": url_for("scan.vendor_file", name="jsQR.js"),
        },
    }


def _base_or_none() -> str | None:
    try:
        return payloads.normalise_base(current_app.config["BASE_URL"])
    except ValueError:
        return None


@bp.route("/static/vendor/<name>")
def vendor_file(name: str):
    """Front-end files from npm. Public like the rest of /static/: they hold nothing of anyone's."""
    return vendor.send(vendor.path(name), name)


@bp.route("/sw.js")
def service_worker():
    """The service worker that keeps the scanning page, its scripts, styles and the decoder for offline
    use. Served from the root so it may control /scan; its first line names the files and a version that
    changes with any of them, so a changed file installs a new worker and a fresh cache. Public: it
    holds no data, only file names."""
    files = [url_for("scan.page")] + [url_for("static", filename=f) for f in OFFLINE_STATIC] + \
        [url_for("scan.vendor_file", name=n) for n in vendor.FILES]
    digest = hashlib.sha256(SW_SOURCE.read_bytes())
    for f in [STATIC / f for f in OFFLINE_STATIC] + [vendor.path(n) for n in vendor.FILES]:
        stat = f.stat() if f.is_file() else None
        digest.update(f"{f}:{stat.st_mtime_ns if stat else 0}:{stat.st_size if stat else 0}".encode())
    head = (f"const VERSION = {json.dumps(digest.hexdigest()[:16])};\n"
            f"const PAGE = {json.dumps(url_for('scan.page'))};\n"
            f"const PRECACHE = {json.dumps(files)};\n")
    response = current_app.response_class(head + SW_SOURCE.read_text(), mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    response.headers["Service-Worker-Allowed"] = url_for("scan.page")
    return response
