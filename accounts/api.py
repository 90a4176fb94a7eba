"""Tokens for phones and scripts, and who am I."""
from common.api import Blueprint
from marshmallow import Schema, fields, validate

from accounts import services
from accounts.auth import NotAuthenticated, bearer_token, require_actor
from common.errors import InvalidInput
from common.web import engine

blp = Blueprint("accounts_api", __name__, url_prefix="/api/v1", description="Tokens and the current user")


class TokenRequest(Schema):
    username = fields.Str(required=True, validate=validate.Length(min=1, max=64))
    password = fields.Str(required=True, validate=validate.Length(min=1, max=200))
    name = fields.Str(load_default="api", validate=validate.Length(min=1, max=100),
                      metadata={"description": "what the token is for, e.g. the phone's name"})


class TokenSchema(Schema):
    token = fields.Str(metadata={"description": "send as Authorization: Bearer <token>; shown only once"})


class MeSchema(Schema):
    username = fields.Str()
    role = fields.Str()
    depots = fields.List(fields.Str(), metadata={"description": "depot codes kept (keepers)"})


@blp.route("/tokens", methods=["POST"])
@blp.arguments(TokenRequest)
@blp.response(201, TokenSchema)
def create_token(data):
    """Exchange a username and password for a bearer token"""
    actor = services.authenticate(engine(), data["username"], data["password"])
    if actor is None:
        raise NotAuthenticated("wrong username or password", field="password")
    return {"token": services.issue_token(engine(), actor.user_id, data["name"])}


@blp.route("/tokens/current", methods=["DELETE"])
@blp.response(204)
def revoke_current_token():
    """Revoke the bearer token this request was sent with"""
    actor = require_actor()
    token = bearer_token()
    if token is None:
        raise InvalidInput("send the token to revoke as Authorization: Bearer <token>", field="Authorization")
    services.revoke_token(engine(), actor, token)


@blp.route("/me")
@blp.response(200, MeSchema)
def me():
    """Who the token or session belongs to"""
    actor = require_actor()
    return {"username": actor.username, "role": actor.role, "depots": services.depot_codes(engine(), actor)}
