"""JSON API of sign-in: tokens, the current user, password change."""

from flask import current_app, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from auth import service, sessions, totp
from core.extensions import db, limiter
from roles.access import authenticated, public
from roles.service import describe_user_access

blp = Blueprint("Auth", __name__, url_prefix="/api/v1", description="Sign-in and the current user")


class TokenRequest(Schema):
    email = fields.String(required=True)
    password = fields.String(required=True, load_only=True)
    otp = fields.String(load_only=True, metadata={
        "description": "the authenticator's code, for users with two-factor sign-in"})
    recovery_code = fields.String(load_only=True, metadata={
        "description": "a single-use recovery code instead of the authenticator's code"})


class TokenResponse(Schema):
    token = fields.String()
    expires_at = fields.DateTime()


class _Ref(Schema):
    id = fields.Integer()
    name = fields.String()


class _AssignmentOut(Schema):
    id = fields.Integer()
    user_id = fields.Integer()
    role = fields.Nested(Schema.from_dict({"id": fields.Integer(), "name": fields.String(),
                                           "key": fields.String(allow_none=True)},
                                          name="MeRole"))
    node = fields.Nested(Schema.from_dict({"id": fields.Integer(), "name": fields.String(),
                                           "path": fields.String()}, name="MeNode"),
                         allow_none=True, metadata={"description": "null: the whole company"})
    scope = fields.String()


class MeOut(Schema):
    id = fields.Integer()
    email = fields.String()
    name = fields.String()
    active = fields.Boolean()
    is_operator_staff = fields.Boolean()
    must_change_password = fields.Boolean()
    company = fields.Nested(_Ref, allow_none=True, metadata={"description": "null for staff"})
    assignments = fields.List(fields.Nested(_AssignmentOut))
    permissions = fields.List(fields.String(), metadata={
        "description": "permission names held on at least one scope"})


class PasswordChangeRequest(Schema):
    current_password = fields.String(required=True)
    new_password = fields.String(required=True)


def _rate():
    return current_app.config["LOGIN_RATE_LIMIT"]


@blp.route("/auth/token", methods=["POST"])
@limiter.limit(_rate)
@blp.arguments(TokenRequest)
@blp.response(201, TokenResponse)
@public
def create_token(data):
    """Exchange e-mail and password for a bearer token (same lockout as the sign-in page)."""
    user = service.authenticate(data["email"], data["password"])
    # With two-factor sign-in: 401 {"code": "otp_required"} until a code comes along.
    totp.check_second_factor(user, data.get("otp"), data.get("recovery_code"))
    token, row = service.issue_token(
        user, ip=request.remote_addr or "", user_agent=request.user_agent.string
    )
    db.session.flush()
    sessions.notify_new_device(user, row)
    db.session.commit()
    return {"token": token, "expires_at": row.expires_at}


@blp.route("/me", methods=["GET"])
@blp.response(200, MeOut)
@authenticated
def me():
    """The signed-in user, the company, the role assignments and the permission names."""
    return describe_user_access(current_user._get_current_object())


@blp.route("/me/password", methods=["POST"])
@limiter.limit(_rate)
@blp.arguments(PasswordChangeRequest)
@blp.response(204)
@authenticated
def change_password(data):
    """Change the password; every token of the user, this one too, stops working."""
    service.change_password(
        current_user._get_current_object(), data["current_password"], data["new_password"]
    )
    db.session.commit()
    return None


__all__ = ["blp", "_"]
