"""The flask-smorest Api and Blueprint every API module uses, and what the OpenAPI document says of errors.

A malformed JSON body is a 422 like any bad field. Every error answer has the shape common.http writes
(``ErrorSchema``), and each operation lists the error statuses it can answer, so a client that validates
answers against the document accepts every error the server sends:

- every operation: 401 (no or an unknown token; a wrong password for POST /tokens) and 500;
- every POST, PUT, PATCH or DELETE: 400 (a browser session without its CSRF token);
- every operation with a documented request body: 413 (too large) and 415 (not that content type);
- every operation with documented arguments: 422 (flask-smorest adds it);
- and what each view names with ``@blp.errors(...)``: 403, 404, 409, 422 where its services raise them.
"""
from copy import deepcopy
from decimal import Decimal
from http import HTTPStatus

import flask_smorest
from marshmallow import INCLUDE, Schema, fields
from marshmallow.fields import Dict, Str
from webargs.flaskparser import FlaskParser, abort


class ErrorDetailSchema(Schema):
    class Meta:
        unknown = INCLUDE  # a domain error may carry more details (e.g. the lot's quantity)

    status = fields.Int(required=True, metadata={"description": "the HTTP status, again"})
    code = fields.Str(required=True, metadata={
        "description": "the kind of error: not_authenticated, forbidden, not_your_depot, read_only, not_found, "
                       "invalid, insufficient_stock, unprocessable_entity, conflict, …"})
    message = fields.Str(required=True, metadata={"description": "what went wrong, in English"})
    field = fields.Str(metadata={"description": "the field the error is about"})
    fields = Dict(keys=Str(), values=Str(),  # named like the key it documents; fields.* are taken above
                  metadata={"description": "field path → reason, for each field that was refused"})
    message_code = Str(metadata={"description": "a stable name of the message (pages translate it)"})
    params = Dict(metadata={"description": "the plain values the message names"})


class ErrorSchema(Schema):
    error = fields.Nested(ErrorDetailSchema, required=True)


def _decimal_bounds_as_numbers(converter, field, ret, **kwargs) -> dict:
    """apispec writes a Decimal field's Range bounds as the field serialises them (Decimal("0.00"),
    which JSON carries as the string "0.00"); the document needs numbers."""
    return {k: float(ret[k]) for k in ("minimum", "maximum") if isinstance(ret.get(k), Decimal)}


class Api(flask_smorest.Api):
    ERROR_SCHEMA = ErrorSchema
    DEFAULT_ERROR_RESPONSE_NAME = None  # each operation lists its own error statuses (see above)

    def _init_spec(self, *args, **kwargs):
        super()._init_spec(*args, **kwargs)
        self.ma_plugin.converter.add_attribute_function(_decimal_bounds_as_numbers)


class _Parser(FlaskParser):
    def _handle_invalid_json_error(self, error, req, *args, **kwargs):
        abort(422, messages={"json": {"body": [f"the body is not valid JSON ({error})"]}}, exc=error)


_WRITES = ("post", "put", "patch", "delete")


class Blueprint(flask_smorest.Blueprint):
    """Every API blueprint checks who is asking before any view runs (accounts.auth.api_guard)."""

    ARGUMENTS_PARSER = _Parser()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from accounts.auth import api_guard

        self.before_request(api_guard)
        self._prepare_doc_cbks.append(self._prepare_errors_doc)

    @staticmethod
    def errors(*statuses: int):
        """Documents error statuses a view answers beyond those every operation may answer."""

        def decorator(func):
            func._apidoc = deepcopy(getattr(func, "_apidoc", {}))
            func._apidoc.setdefault("errors", []).extend(statuses)
            return func

        return decorator

    @staticmethod
    def _prepare_errors_doc(doc, doc_info, *, method, **kwargs):
        statuses = {401, 500, *doc_info.get("errors", ())}
        if method in _WRITES:
            statuses.add(400)
        if "requestBody" in doc:
            statuses |= {413, 415}
        responses = doc.setdefault("responses", {})
        for status in sorted(statuses):
            responses.setdefault(str(status), HTTPStatus(status).name)  # a component response with ErrorSchema
        return doc
