"""The flask-smorest Blueprint every API module uses: a malformed JSON body is a 422 like any bad field."""
import flask_smorest
from webargs.flaskparser import FlaskParser, abort


class _Parser(FlaskParser):
    def _handle_invalid_json_error(self, error, req, *args, **kwargs):
        abort(422, messages={"json": {"body": [f"the body is not valid JSON ({error})"]}}, exc=error)


class Blueprint(flask_smorest.Blueprint):
    """Every API blueprint checks who is asking before any view runs (accounts.auth.api_guard)."""

    ARGUMENTS_PARSER = _Parser()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from accounts.auth import api_guard

        self.before_request(api_guard)
