"""Who is asking: a login session (pages) or a bearer token (phones and scripts)."""
from functools import wraps

from flask import current_app, g, request
from flask_login import LoginManager, UserMixin, current_user
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


class SessionUser(UserMixin):
    def __init__(self, actor: Actor, session_id: str):
        self.actor = actor
        self.id = session_id  # "<user id>.<session epoch>": see services.sign_out_everywhere


@login_manager.user_loader
def _load(session_id: str):
    actor = services.actor_for_session(current_app.extensions["engine"], session_id)
    return SessionUser(actor, session_id) if actor else None


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
    require_actor()
    if not g.via_token and request.method not in ("GET", "HEAD", "OPTIONS"):
        csrf.protect()


def login_required_page(view):
    @wraps(view)
    def wrapper(*args, **kwargs):
        if current_actor() is None:
            return login_manager.unauthorized()
        return view(*args, **kwargs)

    return wrapper
