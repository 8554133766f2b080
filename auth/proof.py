"""Proving one's identity again: the password and, with two-factor sign-in, a code.

This renews the proof that ``auth.reauth.require_recent_auth`` asks for. It sits above
``auth.totp`` (which it uses to check the code), while the requirement itself sits below it,
so that two-factor enrolment can require a recent proof without an import cycle.
"""

from flask_babel import gettext as _

from auth import totp
from auth.models import User
from auth.passwords import verify_password
from auth.sessions import current_credential
from core import audit
from core.db import utcnow
from core.errors import InvalidInput, Unauthorized


def reauthenticate(user: User, password: str, otp: str | None = None,
                   recovery_code: str | None = None) -> None:
    """Check the password and, with two-factor sign-in, a code; renew the credential's proof."""
    if not verify_password(user.password_hash, password or ""):
        audit.record_refusal("auth.reauth_failed", actor=user, object_type="user",
                             object_id=str(user.id), detail="password")
        raise InvalidInput({"password": _("The password is wrong.")})
    if totp.is_enabled(user):
        totp.check_second_factor(user, otp, recovery_code)
    credential = current_credential()
    if credential is None:
        raise Unauthorized(_("Sign in first: send a valid bearer token."))
    credential.reauth_at = utcnow()
    audit.record("auth.reauthenticated", actor=user, object_type="user", object_id=user.id)
