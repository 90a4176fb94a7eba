"""Tokens for phones and scripts, and who am I."""
from flask import g
from marshmallow import Schema, fields, validate

from accounts import services, totp
from accounts.auth import NotAuthenticated, bearer_token, require_actor
from common.api import Blueprint
from common.errors import Forbidden, InvalidInput
from common.web import engine, request_now

blp = Blueprint("accounts_api", __name__, url_prefix="/api/v1", description="Tokens and the current user")


class TokenRequest(Schema):
    username = fields.Str(required=True, validate=validate.Length(min=1, max=64))
    password = fields.Str(required=True, validate=validate.Length(min=1, max=200))
    name = fields.Str(load_default="api", validate=validate.Length(min=1, max=100),
                      metadata={"description": "what the token is for, e.g. the phone's name"})
    totp = fields.Str(load_default=None, validate=validate.Length(max=32),
                      metadata={"description": "the 6-digit code of the authenticator app (or a recovery code); "
                                               "required when the account has two-step verification"})


class TokenSchema(Schema):
    token = fields.Str(metadata={"description": "send as Authorization: Bearer <token>; shown only once"})


class MeSchema(Schema):
    username = fields.Str()
    role = fields.Str()
    depots = fields.List(fields.Str(), metadata={"description": "depot codes kept (keepers)"})


@blp.route("/tokens", methods=["POST"])
@blp.doc(security=[])  # public: the password is the credential
@blp.arguments(TokenRequest)
@blp.response(201, TokenSchema)
@blp.errors(403)
def create_token(data):
    """Exchange a username and password (and a TOTP code, where the account has one) for a bearer token

    Repeated failures lock the account and the source address for a while, as on the login page; the answer
    (401) is the same for an unknown user, a wrong password and a lock. A password that must be changed first
    (new, reset or too old) is answered 403 until it is changed on the change-password page.

    401 with `field` `totp` when the account has two-step verification and the code is missing, wrong or
    already used; 403 (`message_code` `totp_enrolment_required`) when the account's role requires two-step
    verification that the user has not set up yet (on the page /account/totp)."""
    from accounts.auth import PasswordChangeRequired
    from accounts.views import login_with_password

    actor = login_with_password(data["username"], data["password"], via="token")
    if actor.must_change_password:
        raise PasswordChangeRequired()
    need = totp.after_password(engine(), actor)
    if need == "enrol":
        raise Forbidden("this account's role requires two-step verification: set it up at /account/totp first",
                        field="totp", message_code="totp_enrolment_required")
    if need == "code":
        if not data.get("totp"):
            raise NotAuthenticated("this account has two-step verification: send the app's code as totp",
                                   field="totp", message_code="totp_missing")
        if not totp.check_and_record(engine(), actor, data["totp"], request_now(), via="token"):
            raise NotAuthenticated("the totp code is wrong or was already used", field="totp",
                                   message_code="totp_wrong")
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
@blp.errors(403)
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
@blp.errors(422)
def revoke_current_token():
    """Revoke the bearer token this request was sent with"""
    actor = require_actor()
    token = bearer_token()
    if token is None:
        raise InvalidInput("send the token to revoke as Authorization: Bearer <token>", field="Authorization")
    services.revoke_token(engine(), actor, token)


class TokenListQuery(Schema):
    username = fields.Str(validate=validate.Length(min=1, max=64),
                          metadata={"description": "only this user's tokens (administrators; others may name "
                                                   "only themselves)"})


class TokenInfoSchema(Schema):
    id = fields.Int(metadata={"description": "what DELETE /api/v1/tokens/{token_id} takes"})
    name = fields.Str(metadata={"description": "the name given when it was issued (`device: <id>` for the "
                                               "scanning page's device tokens)"})
    kind = fields.Str(metadata={"description": "`device` (the scanning page on a phone) or `api`"})
    device = fields.Str(allow_none=True, metadata={"description": "the device id of a device token"})
    username = fields.Str(metadata={"description": "whose token it is"})
    created_at = fields.DateTime()
    last_used_at = fields.DateTime(allow_none=True, metadata={
        "description": "when it was last sent, to within an hour (written at most once an hour); null if "
                       "not used since this was recorded"})


@blp.route("/tokens", methods=["GET"])
@blp.arguments(TokenListQuery, location="query")
@blp.response(200, TokenInfoSchema(many=True))
@blp.errors(403, 404)
def list_tokens(args):
    """Live (not revoked) tokens: one's own; administrators every user's (?username= for one user's)

    Never the tokens themselves nor their hashes. A lost phone's token is found here (kind `device`,
    when it was issued and last used) and revoked with DELETE /api/v1/tokens/{token_id}."""
    return services.list_tokens(engine(), require_actor(), args.get("username"))


@blp.route("/tokens/<int:token_id>", methods=["DELETE"])
@blp.response(204)
@blp.errors(403, 404)
def revoke_token(token_id):
    """Revoke a token by its id: one's own, or anyone's (administrators)

    It stops working at once, on every request that sends it. Revoking a token already revoked changes
    nothing and is answered the same; someone else's token is a 403 for anyone but an administrator."""
    services.revoke_token_id(engine(), require_actor(), token_id, now=request_now())


@blp.route("/me")
@blp.response(200, MeSchema)
def me():
    """Who the token or session belongs to"""
    actor = require_actor()
    return {"username": actor.username, "role": actor.role, "depots": services.depot_codes(engine(), actor)}
