"""Turning errors into HTTP answers, in one place, for the JSON API and the HTML pages alike."""
import logging

from flask import Flask, current_app, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import HTTPException

from common.errors import DomainError

log = logging.getLogger(__name__)


def wants_json() -> bool:
    return request.path.startswith("/api/")


def error_body(status: int, code: str, message: str, field: str | None = None, fields: dict | None = None,
               **details) -> dict:
    error = {"status": status, "code": code, "message": message}
    if field:
        error["field"] = field
    if fields:
        error["fields"] = fields
    error.update({k: v for k, v in details.items() if v is not None})
    return {"error": error}


def translated_message(message_code: str | None, params: dict | None, default: str) -> str:
    """A domain error's message in the page's language: the template registered for its message code
    (``app.extensions["error_messages"]``, code → lazy gettext string with %(name)s parameters, filled
    in by the blueprints that raise them) with the error's parameters; else the English default."""
    template = current_app.extensions.get("error_messages", {}).get(message_code) if message_code else None
    if template is None:
        return default
    try:
        return str(template) % (params or {})
    except (KeyError, TypeError, ValueError):
        return default


def _answer(status: int, body: dict, headers=None):
    if wants_json():
        return jsonify(body), status, headers or {}
    error = body["error"]
    error = {**error, "message": translated_message(error.get("message_code"), error.get("params"), error["message"])}
    if error.get("problems"):  # every bad line of a list (common.errors.Problems), each in the page's language
        error["problems"] = [translated_message(p.get("message_code"), p.get("params"), p["message"])
                             for p in error["problems"]]
    return render_template("error.html", error=error), status, headers or {}


# The web server's own answers (werkzeug's English descriptions), as a page says them: message code http_<status>.
HTTP_MESSAGES = {
    "http_400": _l("The request could not be read."),
    "http_403": _l("You may not open this page."),
    "http_404": _l("There is no such page or record."),
    "http_405": _l("This address does not take this kind of request."),
    "http_413": _l("What was sent is too large."),
    "http_429": _l("Too many requests at once: wait a moment and try again."),
}


def register_error_handlers(app: Flask) -> None:
    app.extensions.setdefault("error_messages", {}).update(HTTP_MESSAGES)

    @app.errorhandler(DomainError)
    def domain_error(e: DomainError):
        return _answer(e.status, error_body(e.status, e.code, e.message, e.field, message_code=e.message_code,
                                            params=e.params or None, **e.details))

    @app.errorhandler(CSRFError)
    def csrf_error(e: CSRFError):
        return _answer(400, error_body(400, "csrf", f"the form's security token is missing or stale: {e.description}",
                                       message_code="csrf_stale"))

    @app.errorhandler(HTTPException)
    def http_error(e: HTTPException):
        fields = None
        message = e.description or e.name
        data = getattr(e, "data", None) or {}
        # flask-smorest / webargs put field-level messages here: {"json": {"quantity": ["..."]}}
        messages = data.get("messages") or data.get("errors")
        if messages:
            fields = _flatten(messages)
            message = "; ".join(f"{k}: {v}" for k, v in fields.items())
        elif data.get("message"):
            message = data["message"]
        headers = {k: v for k, v in e.get_headers() if k != "Content-Type"}
        # a page says the server's own answers (werkzeug's English text) in its language; field messages stay
        code = f"http_{e.code}" if fields is None and not data.get("message") else None
        return _answer(e.code, error_body(e.code, e.name.lower().replace(" ", "_"), message, fields=fields,
                                          message_code=code), headers)

    if not app.testing:  # in tests a bug should fail loudly with its traceback

        @app.errorhandler(Exception)
        def unexpected(e: Exception):
            log.exception("unexpected error on %s %s", request.method, request.path)
            return _answer(500, error_body(500, "internal", "an unexpected error; nothing was saved",
                                           message_code="http_500"))


def _flatten(messages, prefix: str = "") -> dict[str, str]:
    """{"json": {"new_lot": {"item": ["Missing data"]}}} → {"new_lot.item": "Missing data"}"""
    flat: dict[str, str] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            if not prefix and key in ("json", "query", "form", "headers", "files"):
                flat.update(_flatten(value, ""))
            else:
                flat.update(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        flat[prefix or "_schema"] = " ".join(messages)
    elif isinstance(messages, list):
        for i, value in enumerate(messages):
            flat.update(_flatten(value, f"{prefix}[{i}]"))
    else:
        flat[prefix or "_schema"] = str(messages)
    return flat
