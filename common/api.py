"""The flask-smorest Blueprint every API module uses: a malformed JSON body is a 422 like any bad field,
a body that is not JSON where JSON is expected a 415. (Text, depth and size checks: common.inputs.)"""
import flask_smorest
from webargs import core
from webargs.flaskparser import FlaskParser, abort, is_json_request


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
