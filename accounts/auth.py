"""Who is asking: a login session (pages) or a bearer token (phones and scripts).

A login session ends after ``SESSION_IDLE_MINUTES`` without a request and ``SESSION_LIFETIME_HOURS`` after the
login (``end_stale_session``); there is no "remember me" cookie.
"""
from datetime import timedelta
from functools import wraps

from flask import current_app, flash, g, request, session
from flask_babel import gettext as _
from flask_login import LoginManager, UserMixin, current_user, logout_user
from flask_wtf.csrf import CSRFProtect

from accounts import services
from common.actor import Actor
from common.errors import DomainError
from common.web import request_now

login_manager = LoginManager()
csrf = CSRFProtect()


class NotAuthenticated(DomainError):
    status = 401
    code = "not_authenticated"


class PasswordChangeRequired(DomainError):
    status = 403
    code = "password_change_required"

    def __init__(self):
        super().__init__("change your password first (/account/password)", message_code="password_change_required")


class SessionUser(UserMixin):
    def __init__(self, actor: Actor, session_id: str):
        self.actor = actor
        self.id = session_id  # "<user id>.<session epoch>": see services.sign_out_everywhere


@login_manager.user_loader
def _load(session_id: str):
    from accounts.passwords import password_rules

    actor = services.actor_for_session(current_app.extensions["engine"], session_id, now=request_now(),
                                       max_age=password_rules(current_app.config).max_age)
    return SessionUser(actor, session_id) if actor else None


def start_session(actor) -> None:
    """Called right after login_user: when the login began and when it was last used (epoch seconds), and, while
    SESSION_MAX_PER_ACCOUNT limits the logins at once, the login's id (accounts.login_protection.open_session)."""
    from accounts.login_protection import open_session

    moment = int(request_now().timestamp())
    session["login_at"] = moment
    session["seen_at"] = moment
    session.pop("sid", None)
    limit = current_app.config["SESSION_MAX_PER_ACCOUNT"]
    if limit:
        session["sid"] = open_session(current_app.extensions["engine"], actor.user_id, actor.username, limit,
                                      timedelta(hours=current_app.config["SESSION_LIFETIME_HOURS"]), request_now())


def end_stale_session() -> None:
    """Before every request with a login session (not a bearer token): ends it when idle or too old (recorded
    in the security log, the page then sends the user to the login page with a message), else marks it used."""
    from accounts.login_protection import close_session, session_ended
    from accounts.security import record_security_event

    if "_user_id" not in session and current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies:
        session["_remember"] = "clear"  # a "remember me" cookie of an earlier version logs nobody in (and is deleted)
    if bearer_token() or request.endpoint == "static" or not current_user.is_authenticated:
        return
    now = int(request_now().timestamp())
    login_at, seen_at = session.get("login_at"), session.get("seen_at")
    if not isinstance(login_at, int) or not isinstance(seen_at, int):
        login_at, seen_at = now, now  # a session from before these marks: counted from now
        session["login_at"] = login_at
    idle = timedelta(minutes=current_app.config["SESSION_IDLE_MINUTES"]).total_seconds()
    lifetime = timedelta(hours=current_app.config["SESSION_LIFETIME_HOURS"]).total_seconds()
    why = "idle" if now - seen_at > idle else "lifetime" if now - login_at > lifetime else None
    engine = current_app.extensions["engine"]
    sid = session.get("sid")
    if why is None and sid and current_app.config["SESSION_MAX_PER_ACCOUNT"] and session_ended(engine, sid):
        why = "elsewhere"  # recorded when the newer login ended it
    if why is None:
        session["seen_at"] = now
        return
    username = current_user.actor.username
    logout_user()
    for key in ("login_at", "seen_at", "sid"):
        session.pop(key, None)
    g.pop("actor", None)
    if why != "elsewhere":
        record_security_event(engine, "timeout", username=username, message=("session_ended", {"why": why}), at=request_now())
        if sid:
            close_session(engine, sid, request_now())
    flash({"idle": _("You were away too long and have been signed out; please log in again."),
           "lifetime": _("Your login has lasted its longest allowed time; please log in again."),
           "elsewhere": _("Your account logged in on another device, beyond the logins allowed at once; "
                          "this login has ended.")}[why], "info")


def bearer_token() -> str | None:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def current_actor() -> Actor | None:
    if "actor" not in g:
        token = bearer_token()
        if token is not None:
            g.actor = services.actor_for_token(current_app.extensions["engine"], token, now=request_now())
            g.via_token = True
        else:
            g.actor = current_user.actor if current_user.is_authenticated else None
            g.via_token = False
    return g.actor


def require_actor() -> Actor:
    actor = current_actor()
    if actor is None:
        message = "the token is unknown or revoked" if bearer_token() else "log in or send Authorization: Bearer <token>"
        raise NotAuthenticated(message)
    return actor


def api_guard() -> None:
    """Before every API request: a bearer token needs no CSRF token (no cookie is involved);
    a browser session that changes something must send X-CSRFToken like any form."""
    if request.endpoint in current_app.config["PUBLIC_API_ENDPOINTS"] or request.path.startswith("/api/v1/swagger"):
        return
    actor = require_actor()
    if not g.via_token and actor.must_change_password and request.endpoint != "accounts_api.me":
        raise PasswordChangeRequired()
    if not g.via_token and request.method not in ("GET", "HEAD", "OPTIONS"):
        csrf.protect()


def login_required_page(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        if current_actor() is None:
            return login_manager.unauthorized()
        return view(*args, **kwargs)

    return wrapper
