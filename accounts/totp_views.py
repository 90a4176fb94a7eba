"""The pages of the second factor (``accounts.totp``): the code asked after the password (/login/code) and
one's own set-up (/account/totp). On the ``accounts`` blueprint; registered by importing this module (app.py)."""
from datetime import datetime, timedelta

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from sqlmodel import Session
from wtforms import StringField
from wtforms.validators import DataRequired, Length

from accounts import services, totp
from accounts.auth import login_required_page, require_actor
from accounts.models import User
from accounts.views import _safe_next, bp, finish_login
from common.errors import DomainError
from common.http import translated_message
from common.web import engine, request_now

PENDING_MINUTES = 5  # the password is good for this long while the code is awaited
MAX_TRIES = 5  # wrong codes before the password must be given again


class CodeForm(FlaskForm):
    code = StringField("code", validators=[DataRequired(), Length(max=32)])


def _pending_actor():
    """The user whose password was right and whose code is awaited, or None (none, too old, deactivated)."""
    pending = session.get("totp_pending")
    if not pending:
        return None, None
    since = datetime.fromisoformat(pending["since"])
    if request_now() - since > timedelta(minutes=PENDING_MINUTES):
        session.pop("totp_pending", None)
        return None, None
    with Session(engine()) as s:
        user = s.get(User, pending["user_id"])
        if user is None or not user.active:
            return None, None
        return services.actor_for(s, user), pending


@bp.route("/login/code", methods=["GET", "POST"])
def login_code():
    actor, pending = _pending_actor()
    if actor is None:
        flash(_("Log in again: the password was given too long ago."), "error")
        return redirect(url_for("accounts.login"))
    form, status = CodeForm(), 200
    if request.method == "POST":
        if form.validate():
            used = totp.check_and_record(engine(), actor, form.code.data, request_now(), via="page")
            if used:
                if used == "recovery":
                    left = totp.status(engine(), actor.user_id)["recovery_codes_left"]
                    flash(_("You logged in with a recovery code; %(n)s are left. Lost your phone? Ask an "
                            "administrator to reset your two-step verification.", n=left), "info")
                return finish_login(actor, _safe_next(pending.get("next")))
            pending["tries"] = pending.get("tries", 0) + 1
            if pending["tries"] >= MAX_TRIES:
                session.pop("totp_pending", None)
                flash(_("Too many wrong codes: log in again."), "error")
                return redirect(url_for("accounts.login"))
            session["totp_pending"] = pending
            form.code.errors = [_("The code is wrong or was already used: type the code your app shows now.")]
            status = 401
        else:
            status = 422
    return render_template("login_code.html", form=form), status


@bp.route("/account/totp", methods=["GET", "POST"])
@login_required_page
def totp_setup():
    """One's own second factor: set it up (QR code and secret, confirmed with a code), see how many recovery
    codes are left. A user whose role requires it is sent here after the password until it is on."""
    actor = require_actor()
    eng = engine()
    form, status, recovery = CodeForm(), 200, None
    if request.method == "POST":
        if request.form.get("action") == "begin":  # (the CSRF token is checked by CSRFProtect for every form)
            try:
                totp.begin(eng, actor, request_now())
            except DomainError as e:
                flash(translated_message(e.message_code, e.params, e.message), "error")
            return redirect(url_for("accounts.totp_setup", next=request.args.get("next")))
        if form.validate():
            try:
                recovery = totp.confirm(eng, actor, form.code.data, request_now())
            except DomainError as e:
                if e.field != "code":
                    raise
                form.code.errors = [translated_message(e.message_code, e.params, e.message)]
                status = 422
            else:
                session.pop("totp_enrol", None)
        else:
            status = 422
    state = totp.status(eng, actor.user_id)
    secret = totp.pending_secret(eng, actor)
    uri = totp.provisioning_uri(secret, actor.username) if secret else None
    return render_template("account_totp.html", state=state, secret=secret, qr=totp.qr_data_uri(uri) if uri else None,
                           form=CodeForm(formdata=None) if recovery else form, recovery=recovery,
                           required=actor.role in totp.required_roles(eng), enrolling=bool(session.get("totp_enrol")),
                           next_url=_safe_next(request.args.get("next"))), status
