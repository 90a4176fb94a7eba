"""The administrators' pages for people: the users, one user (role, depots, deactivate, reset password) and
the latest changes. Thin edges over ``accounts.admin``: administrators only (anyone else gets 403 before a
form is read; the services check the role again). A rejected form answers 422 with each message next to its
field in the page's language, and nothing stored. A temporary password is shown once, in the answer to the
POST that made it, and never again."""
import re

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from accounts import admin, login_protection, totp
from accounts.auth import login_required_page, require_actor
from accounts.vocab import CHANGE_ACTIONS, ERROR_MESSAGES
from common.actor import ADMIN, KEEPER, ROLES, Actor
from common.errors import DomainError
from common.http import translated_message
from common.web import engine, request_now
from inventory.vocab import label

bp = Blueprint("people", __name__)


@bp.record_once
def _register_messages(state):
    state.app.extensions.setdefault("error_messages", {}).update(ERROR_MESSAGES)
    state.app.jinja_env.globals["change_action"] = lambda kind, action: CHANGE_ACTIONS.get(f"{kind}.{action}", action)


def _admin() -> Actor:
    actor = require_actor()
    actor.require_role(ADMIN)
    return actor


def _role_choices():
    return [(r, label("role", r)) for r in ROLES]


def depot_codes(text: str | None) -> list[str]:
    """Depot codes as typed: separated by commas (either width), semicolons or spaces."""
    return [c for c in re.split(r"[\s,，;；、]+", text or "") if c]


class UserForm(FlaskForm):
    username = StringField("username", validators=[DataRequired(), Length(max=64)])
    display_name = StringField("display_name", validators=[Optional(), Length(max=100)])
    role = SelectField("role", choices=_role_choices, default=KEEPER)
    depots = StringField("depots", validators=[Optional(), Length(max=2000)])


class UserEditForm(FlaskForm):
    display_name = StringField("display_name", validators=[Optional(), Length(max=100)])
    role = SelectField("role", choices=_role_choices)
    depots = StringField("depots", validators=[Optional(), Length(max=2000)])


class ActionForm(FlaskForm):
    """Deactivate, reactivate or reset a password: only the CSRF token (and which)."""

    active = HiddenField("active")


def _place(e: DomainError, form: FlaskForm) -> bool:
    field = getattr(form, e.field or "", None)
    if e.status == 403 or field is None:
        return False
    field.errors = list(field.errors) + [translated_message(e.message_code, e.params, e.message)]
    return True


@bp.route("/admin/users", methods=["GET", "POST"])
@login_required_page
def users():
    actor = _admin()
    eng = engine()
    form, status, created = UserForm(), 200, None
    if request.method == "POST":
        if form.validate():
            try:
                password = admin.create_user(eng, actor, username=form.username.data,
                                             display_name=form.display_name.data, role=form.role.data,
                                             depots=depot_codes(form.depots.data), now=request_now())
            except DomainError as e:
                if not _place(e, form):
                    raise
                status = 422
            else:
                created = {"username": form.username.data.strip(), "password": password}
                status = 201
                form = UserForm(formdata=None)
        else:
            status = 422
    return render_template("admin_users.html", users=admin.list_users(eng, actor), form=form, created=created,
                           changes=admin.recent_changes(eng, actor, "user"), action_form=ActionForm(formdata=None),
                           locked=login_protection.locked(eng, login_protection.login_rules(current_app.config), request_now())), status


@bp.route("/admin/login-locks/unlock", methods=["POST"])
@login_required_page
def unlock():
    """Ends the lock of an account (``username``) or a source address (``address``) after failed logins."""
    actor = _admin()
    form = ActionForm()
    username = (request.form.get("username") or "").strip()[:64]
    address = (request.form.get("address") or "").strip()[:64]
    if not form.validate() or not (username or address):
        flash(_("The form has expired; try again."), "error")
        return redirect(url_for(".users"))
    login_protection.unlock(engine(), actor, username=username or None, address=None if username else address,
                    now=request_now())
    flash(_("%(who)s is unlocked and may try to log in again.", who=username or address), "success")
    return redirect(url_for(".users"))


@bp.route("/admin/users/<username>", methods=["GET", "POST"])
@login_required_page
def user(username: str):
    actor = _admin()
    eng = engine()
    shown = admin.get_user(eng, actor, username)
    status = 200
    if request.method == "POST":
        form = UserEditForm()
        if form.validate():
            try:
                actions = admin.update_user(eng, actor, username, display_name=form.display_name.data,
                                            role=form.role.data, depots=depot_codes(form.depots.data),
                                            now=request_now())
            except DomainError as e:
                if not _place(e, form):
                    raise
                status = 422
            else:
                flash(_("The changes to %(username)s are saved.", username=username) if actions
                      else _("Nothing was changed."), "success" if actions else "info")
                return redirect(url_for(".user", username=username))
        else:
            status = 422
    else:
        form = UserEditForm(formdata=None, display_name=shown["display_name"], role=shown["role"],
                            depots=", ".join(shown["depots"]))
    return _user_page(actor, shown, form, status=status)


def _user_page(actor: Actor, shown: dict, form=None, *, password: str | None = None, status: int = 200):
    form = form or UserEditForm(formdata=None, display_name=shown["display_name"], role=shown["role"],
                                depots=", ".join(shown["depots"]))
    return render_template("admin_user.html", shown=shown, form=form, action_form=ActionForm(formdata=None),
                           password=password, totp_state=totp.status(engine(), shown["id"]),
                           changes=admin.recent_changes(engine(), actor, "user", shown["username"])), status


@bp.route("/admin/users/<username>/active", methods=["POST"])
@login_required_page
def set_active(username: str):
    actor = _admin()
    form = ActionForm()
    if not form.validate() or form.active.data not in ("0", "1"):
        flash(_("The form has expired; try again."), "error")
        return redirect(url_for(".user", username=username))
    active = form.active.data == "1"
    try:
        changed = admin.set_active(engine(), actor, username, active, now=request_now())
    except DomainError as e:
        if e.status == 403 or e.message_code != "cannot_deactivate_self":
            raise
        flash(translated_message(e.message_code, e.params, e.message), "error")
        return redirect(url_for(".user", username=username))
    if changed:
        flash(_("%(username)s can log in again.", username=username) if active else
              _("%(username)s is deactivated: their logins ended and their tokens no longer work.", username=username),
              "success")
    return redirect(url_for(".user", username=username))


@bp.route("/admin/users/<username>/reset-password", methods=["POST"])
@login_required_page
def reset_password(username: str):
    actor = _admin()
    form = ActionForm()
    if not form.validate():
        flash(_("The form has expired; try again."), "error")
        return redirect(url_for(".user", username=username))
    password = admin.reset_password(engine(), actor, username, now=request_now())
    return _user_page(actor, admin.get_user(engine(), actor, username), password=password)


@bp.route("/admin/users/<username>/reset-totp", methods=["POST"])
@login_required_page
def reset_totp(username: str):
    """A user's two-step verification turned off (a lost phone): logged in the change log; their logins end."""
    actor = _admin()
    if not ActionForm().validate():
        flash(_("The form has expired; try again."), "error")
    elif totp.reset(engine(), actor, username, request_now()):
        flash(_("The two-step verification of %(username)s is reset; their logins have ended. They set it up "
                "again at their next login if their role requires it.", username=username), "success")
    else:
        flash(_("%(username)s has no two-step verification to reset.", username=username), "info")
    return redirect(url_for(".user", username=username))


@bp.route("/admin/security", methods=["GET", "POST"])
@login_required_page
def security_settings():
    """Which roles must use two-step verification (TOTP) to log in."""
    actor = _admin()
    eng = engine()
    form = ActionForm()
    if request.method == "POST":
        if not form.validate():
            flash(_("The form has expired; try again."), "error")
        else:
            totp.set_required_roles(eng, actor, [r for r in request.form.getlist("roles") if r in ROLES])
            flash(_("Saved. A user of a chosen role without two-step verification is asked to set it up at their "
                    "next login."), "success")
        return redirect(url_for(".security_settings"))
    return render_template("admin_security.html", roles=[(r, label("role", r)) for r in ROLES],
                           required=totp.required_roles(eng), action_form=ActionForm(formdata=None))
