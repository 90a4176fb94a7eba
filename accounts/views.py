"""Log in and out, and one's devices and tokens (HTML forms with CSRF tokens)."""
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from accounts import admin, login_protection, passwords, security, services, totp
from accounts.auth import SessionUser, bearer_token, end_stale_session, login_required_page, require_actor, start_session
from common.actor import ADMIN
from common.errors import DomainError
from common.http import translated_message
from common.web import engine, request_now

bp = Blueprint("accounts", __name__)


class LoginForm(FlaskForm):
    username = StringField("username", validators=[DataRequired(), Length(max=64)])
    password = PasswordField("password", validators=[DataRequired(), Length(max=200)])


def _safe_next(target: str | None) -> str:
    if target and urlsplit(target).netloc == "" and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("inventory.depot_tree")


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        try:
            actor = login_with_password(form.username.data, form.password.data, via="page")
        except login_protection.LoginRefused:
            # the same words whether the user is unknown, the password wrong or the account or address locked
            flash(_("Wrong username or password, or too many failed attempts: try again later."), "error")
            status = 401
        else:
            need = totp.after_password(engine(), actor)
            if need == "code":  # the second factor before the login (accounts/totp_views.py)
                session["totp_pending"] = {"user_id": actor.user_id, "next": _safe_next(request.args.get("next")),
                                           "since": request_now().isoformat(), "tries": 0}
                return redirect(url_for("accounts.login_code"))
            return finish_login(actor, _safe_next(request.args.get("next")), enrol=need == "enrol")
    elif request.method == "POST":
        status = 422
    return render_template("login.html", form=form), status


def finish_login(actor, next_url: str, enrol: bool = False):
    """The session begins: after the password, or after the password and the second factor."""
    session.pop("totp_pending", None)
    login_user(SessionUser(actor, services.session_id(engine(), actor)))
    start_session(actor)
    if enrol:  # the role requires a second factor the user has not set up: every page sends them to set it up
        session["totp_enrol"] = True
    if actor.must_change_password:
        return redirect(url_for("accounts.change_password", next=next_url))
    if enrol:
        return redirect(url_for("accounts.totp_setup", next=next_url))
    return redirect(next_url)


def login_with_password(username: str, password: str, via: str):
    """The login page's and the token endpoint's one way in (accounts.login_protection.login with the app's settings)."""
    config = current_app.config
    return login_protection.login(engine(), username, password, request.remote_addr or "?", login_protection.login_rules(config),
                          request_now(), demo=config["DEMO"], via=via,
                          password_max_age=passwords.password_rules(config).max_age)


# ---------------------------------------------------------------- one's own password

# What a user whose password was reset may still open before changing it.
OPEN_WHILE_MUST_CHANGE = {"accounts.change_password", "accounts.logout", "accounts.login", "static"}
# ... and one whose role requires a second factor they have not set up yet.
OPEN_WHILE_ENROLLING = OPEN_WHILE_MUST_CHANGE | {"accounts.totp_setup"}


bp.before_app_request(end_stale_session)  # first: a stale login ends before anything reads it


@bp.before_app_request
def _must_change_password():
    """A user whose password is new (first login), was reset by an administrator or is older than the maximum age
    is sent to change it from every page first (the JSON API with a token is not a login and is left alone; with a
    login session it answers 403: accounts.auth.api_guard)."""
    if request.endpoint in OPEN_WHILE_MUST_CHANGE or request.path.startswith("/api/") or bearer_token():
        return None
    if current_user.is_authenticated and current_user.actor.must_change_password:
        return redirect(url_for("accounts.change_password", next=request.full_path.rstrip("?")))
    if (session.get("totp_enrol") and current_user.is_authenticated
            and request.endpoint not in OPEN_WHILE_ENROLLING):
        return redirect(url_for("accounts.totp_setup", next=request.full_path.rstrip("?")))
    return None


class PasswordForm(FlaskForm):
    current = PasswordField("current", validators=[DataRequired(), Length(max=200)])
    password = PasswordField("password", validators=[DataRequired(), Length(max=200)])
    confirm = PasswordField("confirm", validators=[DataRequired(), EqualTo("password", message=_l("The two new passwords differ."))])


@bp.route("/account/password", methods=["GET", "POST"])
@login_required_page
def change_password():
    """The signed-in user's own password; the page every other page sends them to after a reset."""
    actor = require_actor()
    form, status = PasswordForm(), 200
    if request.method == "POST":
        if form.validate():
            try:
                admin.change_own_password(engine(), actor, form.current.data, form.password.data,
                                          passwords.password_rules(current_app.config), now=request_now())
            except DomainError as e:
                field = getattr(form, e.field or "", None)
                if field is None:
                    raise
                field.errors = list(field.errors) + [translated_message(e.message_code, e.params, e.message)]
            else:
                flash(_("Your password is changed."), "success")
                return redirect(_safe_next(request.args.get("next")))
        status = 422
    return render_template("account_password.html", form=form, must_change=actor.must_change_password,
                           rules=passwords.password_rules(current_app.config)), status


@bp.route("/logout", methods=["POST"])
def logout():
    if current_user.is_authenticated:
        security.record_security_event(engine(), "logout", username=current_user.actor.username, at=request_now())
        if session.get("sid"):
            login_protection.close_session(engine(), session.pop("sid"), request_now())
    logout_user()
    session.pop("totp_enrol", None)
    return redirect(url_for("accounts.login"))


# ---------------------------------------------------------------- devices and tokens (a lost phone)


def _tokens_url(username: str | None):
    return url_for("accounts.tokens", username=username) if username else url_for("accounts.tokens")


@bp.route("/account/tokens")
@login_required_page
def tokens():
    """The signed-in user's live tokens, each with a revoke button; administrators also every user's
    (``?username=`` for one user's)."""
    actor = require_actor()
    wanted = (request.args.get("username") or "").strip()[:64] if actor.role == ADMIN else ""
    return render_template(
        "account_tokens.html", own=services.list_tokens(engine(), actor, actor.username),
        everyone=services.list_tokens(engine(), actor, wanted or None) if actor.role == ADMIN else None,
        username_filter=wanted)


@bp.route("/account/tokens/<int:token_id>/revoke", methods=["POST"])
@login_required_page
def revoke_token(token_id: int):
    """One token revoked (the form's CSRF token is checked by CSRFProtect before this runs); someone
    else's only by an administrator (else the error page, 403, nothing changed)."""
    actor = require_actor()
    token = services.revoke_token_id(engine(), actor, token_id, now=request_now())
    if token["revoked_now"]:
        flash(_("Token “%(name)s” of %(username)s is revoked; it no longer works.", name=token["name"],
                username=token["username"]), "success")
    else:
        flash(_("Token “%(name)s” of %(username)s was already revoked.", name=token["name"],
                username=token["username"]), "success")
    back = (request.form.get("username") or "").strip()[:64] if actor.role == ADMIN else ""
    return redirect(_tokens_url(back))


@bp.route("/account/sign-out-everywhere", methods=["POST"])
@login_required_page
def sign_out_everywhere():
    """Every login of a user ended in every browser and all their tokens revoked: one's own (then back to
    the login page), or anyone's for an administrator (``username`` in the form)."""
    actor = require_actor()
    username = (request.form.get("username") or "").strip()[:64] or actor.username
    revoked = services.sign_out_everywhere(engine(), actor, username, now=request_now())
    if username == actor.username:
        logout_user()
        flash(_("You are signed out on every device; %(n)s tokens were revoked.", n=revoked), "success")
        return redirect(url_for("accounts.login"))
    flash(_("%(username)s is signed out on every device; %(n)s tokens were revoked.", username=username,
            n=revoked), "success")
    return redirect(_tokens_url(username))
