"""Log in and out, and one's devices and tokens (HTML forms with CSRF tokens)."""
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from accounts import services
from accounts.auth import SessionUser, login_required_page, require_actor
from common.actor import ADMIN
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
        actor = services.authenticate(engine(), form.username.data, form.password.data)
        if actor is not None:
            login_user(SessionUser(actor, services.session_id(engine(), actor)), remember=True)
            return redirect(_safe_next(request.args.get("next")))
        flash(_("Wrong username or password."), "error")
        status = 401
    elif request.method == "POST":
        status = 422
    return render_template("login.html", form=form), status


@bp.route("/logout", methods=["POST"])
def logout():
    logout_user()
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
