"""Pages of write-off requests under /write-offs: the list (pending first, with the approval forms for
administrators and withdrawal for the requester), the request form with its photo, and the photo.

Thin: every rule is in ``inventory.writeoffs.service``; a refusal becomes an error page in ``common.http``.
"""
import math

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from accounts.auth import login_required_page, require_actor
from common.actor import ADMIN, KEEPER
from common.errors import InvalidInput
from common.inputs import page_number
from common.web import engine, request_now, request_today
from inventory import queries
from inventory.models import WRITE_OFF_REQUEST_REASONS, WRITE_OFF_STATUSES
from inventory.writeoffs import service

bp = Blueprint("writeoffs", __name__)

PAGE_SIZE = 50


@bp.route("/write-offs")
@login_required_page
def index():
    actor = require_actor()
    status = request.args.get("status") or None
    if status is not None and status not in WRITE_OFF_STATUSES:
        raise InvalidInput(f"status must be one of {', '.join(WRITE_OFF_STATUSES)}, got {status!r}", field="status")
    mine = request.args.get("mine") == "1"
    page = page_number(request.args.get("page", "").strip(), error=InvalidInput, most=10 ** 6)
    found = service.list_requests(engine(), actor, status=status, lot=request.args.get("lot") or None, mine=mine,
                                  limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    return render_template("writeoffs.html", requests=found["requests"], total=found["total"], status=status,
                           mine=mine, lot=request.args.get("lot") or None, page=page,
                           pages=max(1, math.ceil(found["total"] / PAGE_SIZE)), statuses=WRITE_OFF_STATUSES,
                           may_request=actor.role in (ADMIN, KEEPER), decides=actor.role == ADMIN)


@bp.route("/write-offs/new", methods=["GET", "POST"])
@login_required_page
def new():
    actor = require_actor()
    if request.method == "GET":
        lot_code = request.args.get("lot") or ""
        lot = queries.get_lot(engine(), actor, lot_code, request_today()) if lot_code else None
        return render_template("writeoff_new.html", lot=lot, lot_code=lot_code, reasons=WRITE_OFF_REQUEST_REASONS,
                               limit_mb=service.PHOTO_MAX_BYTES // 2 ** 20)
    form = request.form
    quantity = form.get("quantity", "").strip()
    if not quantity.isdigit() or len(quantity) > 10:
        raise InvalidInput(f"quantity must be a whole number greater than 0, got {quantity!r}", field="quantity",
                           message_code="quantity_not_positive", params={"value": quantity})
    upload = request.files.get("photo")
    photo = upload.read(service.PHOTO_MAX_BYTES + 1) if upload and upload.filename else None
    created = service.request(engine(), actor, request_now(), service.NewRequest(
        lot=form.get("lot", "").strip(), quantity=int(quantity), reason=form.get("reason", ""),
        note=form.get("note", "").strip() or None, photo=photo))
    flash(_("Write-off request %(ref)s for %(quantity)s of lot %(lot)s sent; it waits for an administrator's "
            "approval.", ref=created["reference"], quantity=created["quantity"], lot=created["lot"]), "success")
    return redirect(url_for("writeoffs.index", mine=1))


@bp.post("/write-offs/<int:request_id>/approve")
@login_required_page
def approve(request_id: int):
    done = service.approve(engine(), require_actor(), request_now(), request_today(), request_id,
                           request.form.get("document_no", ""))
    flash(_("%(ref)s approved under %(doc)s: %(quantity)s written off lot %(lot)s.", ref=done["reference"],
            doc=done["document_no"], quantity=done["quantity"], lot=done["lot"]), "success")
    return _back()


@bp.post("/write-offs/<int:request_id>/reject")
@login_required_page
def reject(request_id: int):
    done = service.reject(engine(), require_actor(), request_now(), request_id, request.form.get("reason", ""))
    flash(_("%(ref)s rejected.", ref=done["reference"]), "success")
    return _back()


@bp.post("/write-offs/<int:request_id>/withdraw")
@login_required_page
def withdraw(request_id: int):
    done = service.withdraw(engine(), require_actor(), request_now(), request_id)
    flash(_("%(ref)s withdrawn.", ref=done["reference"]), "success")
    return _back()


@bp.route("/write-offs/<int:request_id>/photo")
@login_required_page
def photo(request_id: int):
    content_type, data = service.get_photo(engine(), require_actor(), request_id)
    return Response(data, mimetype=content_type, headers={"Cache-Control": "private, max-age=3600",
                                                          "X-Content-Type-Options": "nosniff"})


def _back():
    target = request.form.get("next") or ""
    if not target.startswith("/write-offs"):
        target = url_for("writeoffs.index")
    return redirect(target)


