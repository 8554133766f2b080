"""Re-authentication: sensitive changes need the password (and code) proven in the last minutes.

The proof belongs to the credential the request comes with (a browser session or an API
token); signing in counts as one. Services of the guarded actions call
``require_recent_auth(actor)``; background jobs and commands have no interactive
credential and are not asked. Giving the proof again is ``auth.proof.reauthenticate``.
"""

from datetime import timedelta

from flask import current_app, has_request_context
from flask_babel import gettext as _

from auth.models import User
from auth.sessions import current_credential
from core import audit
from core.db import utcnow
from core.errors import Unauthorized

REAUTH_WINDOW = timedelta(minutes=10)


class ReauthRequired(Unauthorized):
    """The action needs a fresh proof of identity: ``POST /api/v1/me/reauth`` first."""

    code = "reauth_required"


def _window() -> timedelta:
    return current_app.config.get("REAUTH_WINDOW", REAUTH_WINDOW)


def recently_authenticated(user: User) -> bool:
    """Whether this request's credential proved its user within the window."""
    if not has_request_context():
        return True
    credential = current_credential()
    if credential is None or credential.user_id != user.id or credential.reauth_at is None:
        return False
    return utcnow() - credential.reauth_at <= _window()


def require_recent_auth(user: User, action: str = "") -> None:
    """Refuse (401 ``reauth_required``) unless the user proved themselves recently."""
    if not recently_authenticated(user):
        audit.record_refusal("auth.reauth_required", actor=user, detail=action)
        raise ReauthRequired(
            _("For your safety, confirm your password (and code) before this change.")
        )
