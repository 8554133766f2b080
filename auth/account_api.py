"""JSON API of one's own account: recovery, two-factor sign-in, re-authentication, sessions."""

from flask import current_app, request
from flask_babel import gettext as _
from flask_login import current_user
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from auth import proof, recovery, sessions, totp
from core.extensions import db, limiter
from roles.access import authenticated, public

blp = Blueprint(
    "Account", __name__, url_prefix="/api/v1",
    description="Password recovery, two-factor sign-in, re-authentication, own sessions",
)


def _me():
    return current_user._get_current_object()


def recovery_address_key() -> str:
    """Rate-limit key of a recovery request: the e-mail address asked about."""
    data = request.get_json(silent=True) if request.is_json else request.form
    if not hasattr(data, "get"):
        data = {}  # a JSON array or scalar: the schema refuses it with a 422 afterwards
    email = str(data.get("email") or "").strip().lower()[:254]
    return f"recovery:{email}"


def _per_source():
    return current_app.config["RECOVERY_RATE_LIMIT_PER_SOURCE"]


def _per_address():
    return current_app.config["RECOVERY_RATE_LIMIT_PER_ADDRESS"]


class RecoveryRequest(Schema):
    email = fields.String(required=True, validate=validate.Length(max=254))


class RecoveryAnswer(Schema):
    message = fields.String()


class RecoveryConfirm(Schema):
    email = fields.String(required=True, validate=validate.Length(max=254))
    code = fields.String(required=True, validate=validate.Length(max=20))
    new_password = fields.String(required=True, load_only=True,
                                 validate=validate.Length(max=1024))


class TotpEnrolment(Schema):
    secret = fields.String()
    otpauth_uri = fields.String()


class CodeIn(Schema):
    code = fields.String(required=True, validate=validate.Length(max=20))


class RecoveryCodes(Schema):
    recovery_codes = fields.List(fields.String())


class TotpDisable(Schema):
    password = fields.String(required=True, load_only=True, validate=validate.Length(max=1024))
    code = fields.String(required=True, validate=validate.Length(max=20))


class ReauthIn(Schema):
    password = fields.String(required=True, load_only=True, validate=validate.Length(max=1024))
    otp = fields.String(validate=validate.Length(max=20))
    recovery_code = fields.String(validate=validate.Length(max=20))


class SessionOut(Schema):
    id = fields.String()
    kind = fields.String(metadata={"description": "browser | api_token"})
    device = fields.String()
    ip = fields.String()
    started_at = fields.DateTime()
    last_seen_at = fields.DateTime()
    current = fields.Boolean()


class EndedOut(Schema):
    ended = fields.Integer()


class EmailChangeIn(Schema):
    new_email = fields.String(required=True, validate=validate.Length(max=254))


class EmailOut(Schema):
    email = fields.String()
    pending_email = fields.String(allow_none=True)


class CompanySecurity(Schema):
    require_admin_2fa = fields.Boolean(required=True)


@blp.route("/auth/recovery", methods=["POST"])
@limiter.limit(_per_source, methods=["POST"])
@limiter.limit(_per_address, key_func=recovery_address_key, methods=["POST"])
@blp.arguments(RecoveryRequest)
@blp.response(202, RecoveryAnswer)
@public
def request_recovery(data):
    """Send a 6-digit code to the address if it has an account; the answer is always the same."""
    recovery.request_recovery(data["email"])
    db.session.commit()
    return {"message": _("If an account uses this address, a code is on its way to it.")}


@blp.route("/auth/recovery/confirm", methods=["POST"])
@limiter.limit(_per_source, methods=["POST"])
@blp.arguments(RecoveryConfirm)
@blp.response(204)
@public
def confirm_recovery(data):
    """Set a new password with the code; every session and token of the user ends."""
    recovery.confirm_recovery(data["email"], data["code"], data["new_password"])
    db.session.commit()
    return None


@blp.route("/me/totp", methods=["POST"])
@blp.response(201, TotpEnrolment)
@authenticated
def start_totp():
    """Start two-factor set-up: a new secret and its otpauth:// URI (needs re-authentication)."""
    enrolment = totp.begin_enrolment(_me())
    db.session.commit()
    return enrolment


@blp.route("/me/totp/confirm", methods=["POST"])
@blp.arguments(CodeIn)
@blp.response(200, RecoveryCodes)
@authenticated
def confirm_totp(data):
    """Turn two-factor sign-in on with a first code; the 10 recovery codes are shown once."""
    codes = totp.confirm_enrolment(_me(), data["code"])
    db.session.commit()
    return {"recovery_codes": codes}


@blp.route("/me/totp", methods=["DELETE"])
@blp.arguments(TotpDisable)
@blp.response(204)
@authenticated
def disable_totp(data):
    """Turn two-factor sign-in off (password and a current code, re-authentication)."""
    totp.disable(_me(), data["password"], data["code"])
    db.session.commit()
    return None


@blp.route("/me/reauth", methods=["POST"])
@limiter.limit(_per_source, methods=["POST"])
@blp.arguments(ReauthIn)
@blp.response(204)
@authenticated
def reauthenticate(data):
    """Prove the password (and code) again: sensitive changes are allowed for 10 minutes."""
    proof.reauthenticate(_me(), data["password"], data.get("otp"), data.get("recovery_code"))
    db.session.commit()
    return None


@blp.route("/me/sessions", methods=["GET"])
@blp.response(200, SessionOut(many=True))
@authenticated
def list_sessions():
    """The caller's browser sessions and API tokens, the current one marked."""
    return sessions.list_own_sessions(_me())


@blp.route("/me/sessions", methods=["DELETE"])
@blp.response(200, EndedOut)
@authenticated
def end_other_sessions():
    """End every session and token of the caller except the current one."""
    ended = sessions.end_other_sessions(_me())
    db.session.commit()
    return {"ended": ended}


@blp.route("/me/sessions/<string:session_id>", methods=["DELETE"])
@blp.response(204)
@authenticated
def end_session(session_id):
    """End one of the caller's own sessions or tokens (anyone else's id: 404)."""
    sessions.end_own_session(_me(), session_id)
    db.session.commit()
    return None


@blp.route("/me/email", methods=["GET"])
@blp.response(200, EmailOut)
@authenticated
def get_email():
    """The caller's e-mail address and a change waiting for its code."""
    me = _me()
    return {"email": me.email, "pending_email": recovery.pending_email_change(me)}


@blp.route("/me/email", methods=["POST"])
@blp.arguments(EmailChangeIn)
@blp.response(202, EmailOut)
@authenticated
def request_email_change(data):
    """Send a code to the new address; nothing changes until it is confirmed."""
    me = _me()
    recovery.request_email_change(me, data["new_email"])
    db.session.commit()
    return {"email": me.email, "pending_email": recovery.pending_email_change(me)}


@blp.route("/me/email/confirm", methods=["POST"])
@blp.arguments(CodeIn)
@blp.response(200, EmailOut)
@authenticated
def confirm_email_change(data):
    """Apply the e-mail change with the code sent to the new address."""
    me = recovery.confirm_email_change(_me(), data["code"])
    db.session.commit()
    return {"email": me.email, "pending_email": None}


@blp.route("/company/security", methods=["GET"])
@blp.response(200, CompanySecurity)
@authenticated
def get_company_security():
    """The company's sign-in rules."""
    return {"require_admin_2fa": totp.company_requires_admin_2fa(_me().company_id)}


@blp.route("/company/security", methods=["PUT"])
@blp.arguments(CompanySecurity)
@blp.response(200, CompanySecurity)
@authenticated
def set_company_security(data):
    """Require two-factor sign-in for the company's administrators (global administrator only)."""
    policy = totp.set_company_requirement(_me(), data["require_admin_2fa"])
    db.session.commit()
    return {"require_admin_2fa": policy.require_admin_2fa}
