"""The flask-smorest Api and Blueprint every API module uses, and what the OpenAPI document says of errors.

A malformed JSON body is a 422 like any bad field, a body that is not JSON where JSON is expected a 415
(text, depth and size checks: common.inputs). Every error answer has the shape common.http writes
(``ErrorSchema``), and each operation lists the error statuses it can answer, so a client that validates
answers against the document accepts every error the server sends:

- every operation: 400 (a JSON body nested too deep; a browser session's write without its CSRF token),
  401 (no or an unknown token; a wrong password for POST /tokens), 413 (a body over the size limit),
  422 (a NUL character or a lone surrogate anywhere in the request; a bad argument) and 500;
- every operation with a documented request body: 415 (not that content type);
- and what each view names with ``@blp.errors(...)``: 403, 404, 409 where its services raise them.
"""
from copy import deepcopy
from decimal import Decimal
from http import HTTPStatus

import flask_smorest
from marshmallow import INCLUDE, Schema, fields
from marshmallow.fields import Dict, Int, List, Nested, Str
from webargs import core
from webargs.flaskparser import FlaskParser, abort, is_json_request


class ProblemSchema(Schema):
    class Meta:
        unknown = INCLUDE

    line = fields.Int(metadata={"description": "the line or row it is about (a CSV file's header is row 1)"})
    field = fields.Str(metadata={"description": "the field, as the error's own field names it (row 3.depot, "
                                               "sites[2].site)"})
    column = fields.Str(metadata={"description": "the column or the part of the line"})
    value = fields.Raw(metadata={"description": "the value refused"})
    code = fields.Str(metadata={"description": "the kind of error, as the error's code"})
    message = fields.Str(required=True, metadata={"description": "why, in English"})
    message_code = Str(metadata={"description": "a stable name of the message (pages translate it)"})
    params = Dict(metadata={"description": "the plain values the message names"})


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
    problems = List(Nested(ProblemSchema), metadata={
        "description": "where a list of lines was refused (a CSV file, typed lines, a JSON list): every bad line's "
                       "problem, at most 100 (common.errors.Problems); nothing was saved"})
    problems_more = Int(metadata={"description": "how many more problems there were than listed"})


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
    def _raw_load_json(self, req):
        if is_json_request(req):
            return super()._raw_load_json(req)
        if req.content_length or req.mimetype:
            abort(415, message=f"a JSON body is expected (Content-Type: application/json), not "
                               f"{req.mimetype or 'a body without a Content-Type'}")
        return core.missing

    def _handle_invalid_json_error(self, error, req, *args, **kwargs):
        abort(422, messages={"json": {"body": [f"the body is not valid JSON ({error})"]}}, exc=error)


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
    def _prepare_errors_doc(doc, doc_info, **kwargs):
        statuses = {400, 401, 413, 422, 500, *doc_info.get("errors", ())}
        if "requestBody" in doc:
            statuses.add(415)
        responses = doc.setdefault("responses", {})
        for status in sorted(statuses):
            responses.setdefault(str(status), HTTPStatus(status).name)  # a component response with ErrorSchema
        return doc
