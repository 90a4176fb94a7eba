"""The flask-smorest Blueprint every API module uses: a malformed JSON body is a 422 like any bad field."""
import flask_smorest
from webargs.flaskparser import FlaskParser, abort


class _Parser(FlaskParser):
    def _handle_invalid_json_error(self, error, req, *args, **kwargs):
        abort(422, messages={"json": {"body": [f"the body is not valid JSON ({error})"]}}, exc=error)


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = _Parser()
