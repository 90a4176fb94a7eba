"""Tokens for phones and scripts, and who am I."""
from flask import g
from marshmallow import Schema, fields, validate

from accounts import services
from accounts.auth import NotAuthenticated, bearer_token, require_actor
from common.api import Blueprint
from common.errors import Forbidden, InvalidInput
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


class DeviceTokenRequest(Schema):
    device = fields.Str(required=True, validate=validate.Length(min=1, max=80),
                        metadata={"description": "an id the device keeps (the scanning page makes a UUID)"})


class DeviceTokenSchema(TokenSchema):
    name = fields.Str(metadata={"description": "the token's name, to find and revoke it later"})
    username = fields.Str()


@blp.route("/tokens/device", methods=["POST"])
@blp.arguments(DeviceTokenRequest)
@blp.response(201, DeviceTokenSchema)
def create_device_token(data):
    """A bearer token for this device, issued to a logged-in browser session (send X-CSRFToken)

    The scanning page keeps it on the phone and sends queued actions with it, so they still
    authenticate after the session or its CSRF token expired. It acts with the user's own rights.
    Asking again from the same device revokes the device's earlier tokens."""
    actor = require_actor()
    if g.via_token:
        raise Forbidden("device tokens are issued to a logged-in browser session, not to another token")
    token, name = services.issue_device_token(engine(), actor, data["device"])
    return {"token": token, "name": name, "username": actor.username}


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
