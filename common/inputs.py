"""What every request must be before any view reads it: checked once, here, for the JSON API and the
pages alike.

- No text may hold a NUL character (PostgreSQL cannot store one) or a lone surrogate (not Unicode
  text; it cannot be encoded as UTF-8): path parameters, query strings, form fields, headers and
  every key and string of a JSON body. 422 naming the field.
- A JSON body nested deeper than ``MAX_JSON_DEPTH`` is refused (400) before anything walks it.
- The body's size is Flask's ``MAX_CONTENT_LENGTH`` (app.py): 413, answered by ``common.http``.
"""
from flask import Flask, request
from werkzeug.exceptions import BadRequest

from common.errors import BadQuery, InvalidInput

MAX_JSON_DEPTH = 64
_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def page_number(raw: str, *, error: type[InvalidInput] = BadQuery, most: int = 999_999_999, **details) -> int:
    """The page of a list a query asks for: "" is the first; anything but a whole number from 1 to ``most`` (in
    ASCII digits, at most nine of them) raises ``error`` naming the field ``page`` (``details``: the caller's
    message code and its parameters)."""
    if not raw:
        return 1
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 9 or not 1 <= int(raw) <= most:
        raise error(f"page must be a whole number of 1 or more, got {raw!r}", field="page", **details)
    return int(raw)


def register_input_checks(app: Flask) -> None:
    app.before_request(check_request)


def check_request() -> None:
    for name, value in (request.view_args or {}).items():
        if isinstance(value, str):
            check_text(value, name)
    for name, value in request.args.items(multi=True):
        check_text(name, name)
        check_text(value, name)
    for name, value in request.headers.items():
        check_text(value, name)
    if request.mimetype in _FORM_TYPES:
        for name, value in request.form.items(multi=True):
            check_text(name, name)
            check_text(value, name)
    if request.is_json:
        _check_json_body()


def check_text(value: str, field: str) -> None:
    """Raises the 422 naming ``field`` when ``value`` holds a NUL or is not valid Unicode text."""
    problem = None
    if "\x00" in value:
        problem = "must not contain a NUL character (\\u0000)"
    else:
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            problem = "is not valid Unicode text (a lone surrogate such as \\ud800)"
    if problem:
        message = f"{field} {problem}"
        raise InvalidInput(message, field=field, fields={field: message}, message_code="text_not_allowed",
                           params={"field": field})


def _check_json_body() -> None:
    try:
        body = request.get_json(silent=True)  # malformed JSON is the API parser's 422 (common.api)
    except RecursionError:
        raise _too_deep() from None
    # Iterative, so that a body just under the parser's own limit cannot exhaust the stack here either.
    stack = [(body, "", 0)]
    while stack:
        value, path, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            raise _too_deep()
        if isinstance(value, str):
            check_text(value, path or "body")
        elif isinstance(value, dict):
            for key, inner in value.items():
                check_text(key, path or "body")
                child = f"{path}.{key}" if path else str(key)
                stack.append((inner, child, depth + 1))
        elif isinstance(value, list):
            stack.extend((inner, f"{path}[{i}]", depth + 1) for i, inner in enumerate(value))


def _too_deep() -> BadRequest:
    return BadRequest(f"the JSON body is too deeply nested (at most {MAX_JSON_DEPTH} levels)")
