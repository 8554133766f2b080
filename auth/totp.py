"""Two-factor sign-in with TOTP (RFC 6238, ``pyotp``): enrolment, checks, recovery codes.

A code is accepted for the current 30-second step or one step either side (clock drift),
and never twice: the step of the last accepted code is kept, and only later steps pass.
Wrong codes are counted on the credential; after ``OTP_MAX_FAILURES`` in a row the code
check is locked for ``LOGIN_LOCK_DURATION``, so six digits cannot be guessed.
"""

import secrets
import time

import pyotp
from flask import current_app, g, has_request_context
from flask_babel import gettext as _
from sqlalchemy import delete, select

from auth.crypto import code_digest, decrypt_secret, encrypt_secret, same_digest
from auth.models import CompanySecurityPolicy, RecoveryCode, TotpCredential, User
from auth.passwords import verify_password
from auth.reauth import require_recent_auth
from core import audit
from core.db import utcnow
from core.errors import Conflict, InvalidInput, PermissionDenied, Unauthorized
from core.extensions import db
from roles.access import is_global_admin, scopes

RECOVERY_CODE_COUNT = 10
OTP_MAX_FAILURES = 5
ISSUER = "Virtual Manager"


class OtpRequired(Unauthorized):
    """The password was right; the sign-in also needs the authenticator's (or a recovery) code."""

    code = "otp_required"


def credential_of(user: User) -> TotpCredential | None:
    return db.session.get(TotpCredential, user.id)


def is_enabled(user: User) -> bool:
    """Whether sign-in asks this user for a code."""
    row = credential_of(user)
    return row is not None and row.confirmed_at is not None


def begin_enrolment(user: User) -> dict:
    """A new secret for the user's authenticator app (replacing an unconfirmed one)."""
    if is_enabled(user):
        raise Conflict(_("Two-factor sign-in is already on; turn it off first to change it."))
    require_recent_auth(user, "totp.enable")
    secret = pyotp.random_base32()
    row = credential_of(user)
    if row is None:
        row = TotpCredential(user_id=user.id)
        db.session.add(row)
    row.secret_encrypted = encrypt_secret(secret)
    row.created_at = utcnow()
    row.confirmed_at = None
    row.last_used_step = 0
    row.failures = 0
    row.locked_until = None
    audit.record("auth.totp_enrolment_started", actor=user, object_type="user", object_id=user.id)
    db.session.flush()
    return {"secret": secret, "otpauth_uri": provisioning_uri(user, secret)}


def provisioning_uri(user: User, secret: str) -> str:
    """The otpauth:// URI an authenticator app reads from the QR code."""
    issuer = current_app.config.get("OTP_ISSUER") or ISSUER
    return pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=issuer)


def pending_secret(user: User) -> str | None:
    """The secret of an enrolment started but not yet confirmed (to show it again)."""
    row = credential_of(user)
    if row is None or row.confirmed_at is not None:
        return None
    return decrypt_secret(row.secret_encrypted)


def confirm_enrolment(user: User, code: str) -> list[str]:
    """Turn two-factor sign-in on with a first code; return the 10 recovery codes (shown once)."""
    row = credential_of(user)
    if row is None or row.confirmed_at is not None:
        raise Conflict(_("Start the set-up first: there is no authenticator waiting for a code."))
    require_recent_auth(user, "totp.enable")
    if not _check_code(user, row, code):
        raise InvalidInput({"code": _("The code is wrong or has expired.")})
    row.confirmed_at = utcnow()
    codes = _new_recovery_codes(user)
    audit.record("auth.totp_enabled", actor=user, object_type="user", object_id=user.id)
    db.session.flush()
    return codes


def _new_recovery_codes(user: User) -> list[str]:
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = []
    for _i in range(RECOVERY_CODE_COUNT):
        raw = secrets.token_hex(5).upper()  # 10 hex characters, 40 bits
        code = f"{raw[:5]}-{raw[5:]}"
        codes.append(code)
        db.session.add(RecoveryCode(user_id=user.id, code_hash=code_digest("recovery", code)))
    return codes


def disable(user: User, password: str, code: str) -> None:
    """Turn two-factor sign-in off: needs the password and a current code (or a recovery code)."""
    row = credential_of(user)
    if row is None or row.confirmed_at is None:
        raise Conflict(_("Two-factor sign-in is not on."))
    require_recent_auth(user, "totp.disable")
    if not verify_password(user.password_hash, password or ""):
        audit.record_refusal("auth.totp_disable_failed", actor=user, detail="password")
        raise InvalidInput({"password": _("The password is wrong.")})
    if not (_check_code(user, row, code) or _use_recovery_code(user, code)):
        raise InvalidInput({"code": _("The code is wrong or has expired.")})
    db.session.delete(row)
    db.session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    audit.record("auth.totp_disabled", actor=user, object_type="user", object_id=user.id)
    db.session.flush()


def check_second_factor(user: User, otp: str | None, recovery_code: str | None = None) -> str:
    """Check the code given at sign-in; return "otp" or "recovery_code", else raise 401."""
    row = credential_of(user)
    if row is None or row.confirmed_at is None:
        return ""
    if not (otp or "").strip() and not (recovery_code or "").strip():
        raise OtpRequired(_("Enter the code from your authenticator app."))
    _check_not_locked(row)
    if (otp or "").strip() and _check_code(user, row, otp):
        return "otp"
    if (recovery_code or "").strip() and _use_recovery_code(user, recovery_code):
        return "recovery_code"
    raise Unauthorized(_("The code is wrong or has expired."), code="invalid_otp")


def _check_not_locked(row: TotpCredential) -> None:
    if row.locked_until and row.locked_until > utcnow():
        minutes = int((row.locked_until - utcnow()).total_seconds() // 60) + 1
        raise Unauthorized(
            _("Too many wrong codes: try again in %(minutes)d minutes.", minutes=minutes),
            code="locked",
        )


def _check_code(user: User, row: TotpCredential, code: str | None) -> bool:
    """Verify a TOTP code against the ±1 step window, refusing replays; count failures."""
    _check_not_locked(row)
    code = "".join((code or "").split())
    secret = decrypt_secret(row.secret_encrypted)
    if secret and code.isdigit() and len(code) == 6:
        totp = pyotp.TOTP(secret)
        now = time.time()
        step_now = totp.timecode(now)
        for offset in (-1, 0, 1):
            step = step_now + offset
            if step > (row.last_used_step or 0) and same_digest(
                totp.at(now, counter_offset=offset), code
            ):
                row.last_used_step = step
                row.failures = 0
                return True
    _count_failure(user, row)
    return False


def _count_failure(user: User, row: TotpCredential) -> None:
    """Count a wrong code; the count is committed at once so the error's rollback keeps it."""
    row.failures = (row.failures or 0) + 1
    limit = current_app.config.get("OTP_MAX_FAILURES", OTP_MAX_FAILURES)
    if row.failures >= limit:
        row.failures = 0
        row.locked_until = utcnow() + current_app.config["LOGIN_LOCK_DURATION"]
    audit.record("auth.otp_failed", actor=user, object_type="user", object_id=user.id,
                 outcome="denied")
    db.session.commit()


def _use_recovery_code(user: User, code: str | None) -> bool:
    """Spend one unused recovery code; each works once."""
    if not (code or "").strip():
        return False
    digest = code_digest("recovery", code)
    for row in db.session.scalars(
        select(RecoveryCode).where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))
    ):
        if same_digest(row.code_hash, digest):
            row.used_at = utcnow()
            audit.record("auth.recovery_code_used", actor=user, object_type="user",
                         object_id=user.id)
            return True
    return False


def remaining_recovery_codes(user: User) -> int:
    return len(db.session.scalars(
        select(RecoveryCode.id).where(RecoveryCode.user_id == user.id,
                                      RecoveryCode.used_at.is_(None))
    ).all())


# --- the company's requirement ----------------------------------------------------------------


def company_requires_admin_2fa(company_id: int | None) -> bool:
    if company_id is None:
        return False
    noted = g.get("admin_2fa_required", {}) if has_request_context() else {}
    if company_id in noted:
        return noted[company_id]
    policy = db.session.get(CompanySecurityPolicy, company_id)
    return bool(policy and policy.require_admin_2fa)


def note_company_requirement(company_id: int, required: bool) -> None:
    """The company's rule as read with the signed-in user at the start of this request
    (``auth.service`` loads both in one query): the check on every request asks no more."""
    g.setdefault("admin_2fa_required", {})[company_id] = required


def is_administrator(user: User) -> bool:
    """Administrators for the 2FA rule: holders of ``users.manage`` anywhere (global admins too)."""
    return user.company_id is not None and bool(scopes(user, "users.manage"))


def enrolment_required(user: User) -> bool:
    """Whether the user must set up two-factor sign-in before doing anything else."""
    # Cheapest first: most companies don't require it, and this runs on every request.
    if not company_requires_admin_2fa(user.company_id):
        return False
    return is_administrator(user) and not is_enabled(user)


def set_company_requirement(actor: User, required: bool) -> CompanySecurityPolicy:
    """The company's global administrator requires (or stops requiring) 2FA for administrators."""
    if not isinstance(required, bool):
        raise InvalidInput({"require_admin_2fa": _("Must be true or false.")})
    if actor.company_id is None or not is_global_admin(actor):
        audit.record_refusal("company.security_policy", actor=actor,
                             detail="not a global administrator")
        raise PermissionDenied(_("Only the company's global administrator may change this."))
    policy = db.session.get(CompanySecurityPolicy, actor.company_id)
    if policy is None:
        policy = CompanySecurityPolicy(company_id=actor.company_id, require_admin_2fa=False)
        db.session.add(policy)
    before = {"require_admin_2fa": bool(policy.require_admin_2fa)}
    policy.require_admin_2fa = required
    policy.updated_at = utcnow()
    if has_request_context():  # the rest of this request sees the new rule
        note_company_requirement(actor.company_id, required)
    audit.record("company.security_policy", actor=actor, object_type="company",
                 object_id=actor.company_id, before=before,
                 after={"require_admin_2fa": required})
    db.session.flush()
    return policy
