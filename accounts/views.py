"""Log in and out (HTML forms with CSRF tokens)."""
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_user, logout_user
from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from accounts import services
from accounts.auth import SessionUser
from common.web import engine

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
            login_user(SessionUser(actor), remember=True)
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
