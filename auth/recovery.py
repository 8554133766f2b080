"""One-time codes by e-mail: password recovery and confirming a new e-mail address.

A code has 6 digits, is valid ``CODE_LIFETIME`` (15 minutes), works once, is voided after
``CODE_MAX_ATTEMPTS`` (5) wrong tries, and a new request voids the previous code of the
same purpose. Only a keyed digest of the code is stored.

Recovery answers the same whether or not the address belongs to an account: the same
work is done for both (a code is drawn and digested), and the e-mail is sent after the
answer has gone out (``deliver_after_response``), so neither the answer nor its timing
tells whether an account exists.
"""

import secrets
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select, update

from auth.crypto import code_digest, same_digest
from auth.mails import deliver_after_response, user_locale
from auth.models import OneTimeCode, User
from auth.passwords import check_password_policy, hash_password
from auth.reauth import require_recent_auth
from auth.service import clear_account_lock, normalize_email, revoke_all
from core import audit
from core.db import utcnow
from core.errors import Conflict, InvalidInput
from core.extensions import db
from core.validation import clean_email

CODE_LIFETIME = timedelta(minutes=15)
CODE_MAX_ATTEMPTS = 5


def _lifetime() -> timedelta:
    return current_app.config.get("ONE_TIME_CODE_LIFETIME", CODE_LIFETIME)


def _new_code() -> str:
    return f"{secrets.randbelow(1_000_000):06d}"


def _void_open_codes(user_id: int, purpose: str) -> None:
    db.session.execute(
        update(OneTimeCode)
        .where(OneTimeCode.user_id == user_id, OneTimeCode.purpose == purpose,
               OneTimeCode.used_at.is_(None), OneTimeCode.voided_at.is_(None))
        .values(voided_at=utcnow())
    )


def _issue_code(user: User, purpose: str, target: str = "") -> str:
    _void_open_codes(user.id, purpose)
    code = _new_code()
    db.session.add(OneTimeCode(
        user_id=user.id, purpose=purpose, code_hash=code_digest(purpose, code), target=target,
        expires_at=utcnow() + _lifetime(),
    ))
    return code


def _open_code(user_id: int, purpose: str) -> OneTimeCode | None:
    return db.session.scalar(
        select(OneTimeCode)
        .where(OneTimeCode.user_id == user_id, OneTimeCode.purpose == purpose,
               OneTimeCode.used_at.is_(None), OneTimeCode.voided_at.is_(None))
        .order_by(OneTimeCode.id.desc())
    )


def _spend_code(user: User, purpose: str, code: str, *, field: str = "code") -> OneTimeCode:
    """Check a code and mark it used; a wrong try is counted (and committed) before refusing."""
    row = _open_code(user.id, purpose)
    code = "".join((code or "").split())
    if row is None or row.expires_at <= utcnow():
        raise InvalidInput({field: _("The code is wrong or has expired. Request a new one.")})
    if not (code.isdigit() and len(code) == 6 and same_digest(row.code_hash,
                                                              code_digest(purpose, code))):
        row.attempts = (row.attempts or 0) + 1
        if row.attempts >= current_app.config.get("ONE_TIME_CODE_MAX_ATTEMPTS",
                                                  CODE_MAX_ATTEMPTS):
            row.voided_at = utcnow()
        audit.record(f"auth.{purpose}_code_failed", actor=user, object_type="user",
                     object_id=user.id, outcome="denied", detail=f"attempt {row.attempts}")
        # Kept through the refusal's rollback: the try counts even though the request fails.
        db.session.commit()
        raise InvalidInput({field: _("The code is wrong or has expired. Request a new one.")})
    row.used_at = utcnow()
    return row


# --- password recovery ------------------------------------------------------------------------


def request_recovery(email: str) -> None:
    """Send a recovery code if the address belongs to an active account; answer alike if not."""
    email = clean_email(email)
    if email is None:
        raise InvalidInput({"email": _("Enter a valid e-mail address.")})
    email = email.lower()  # stored addresses are lower-case (``auth.service.normalize_email``)
    user = db.session.scalar(select(User).where(User.email == email))
    code = _new_code()
    digest = code_digest("recovery", code)  # the same work for an unknown address
    if user is None or not user.active:
        audit.record("auth.recovery_requested", outcome="denied", detail=email)
        return
    _void_open_codes(user.id, "recovery")
    db.session.add(OneTimeCode(user_id=user.id, purpose="recovery", code_hash=digest,
                               expires_at=utcnow() + _lifetime()))
    audit.record("auth.recovery_requested", actor=user, object_type="user", object_id=user.id)
    db.session.flush()
    minutes = int(_lifetime().total_seconds() // 60)
    deliver_after_response(user.email, "recovery_code", user_locale(user),
                           name=user.name or user.email, email=user.email, code=code,
                           minutes=minutes)


def confirm_recovery(email: str, code: str, new_password: str) -> User:
    """Set a new password with a valid code; every session and token of the user ends."""
    email = normalize_email(email)
    errors = {}
    if not email:
        errors["email"] = _("This field is required.")
    if not (code or "").strip():
        errors["code"] = _("This field is required.")
    if not new_password:
        errors["new_password"] = _("This field is required.")
    if errors:
        raise InvalidInput(errors)
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None or not user.active:
        audit.record_refusal("auth.recovery_failed", detail=email)
        raise InvalidInput({"code": _("The code is wrong or has expired. Request a new one.")})
    problems = check_password_policy(new_password, email=user.email)
    if problems:
        raise InvalidInput({"new_password": [_(p) for p in problems]})
    _spend_code(user, "recovery", code)
    user.password_hash = hash_password(new_password)
    user.must_change_password = False
    user.password_changed_at = utcnow()
    revoke_all(user)
    clear_account_lock(user.email)  # the code by e-mail is the real user's way back in
    audit.record("auth.password_recovered", actor=user, object_type="user", object_id=user.id)
    db.session.flush()
    return user


# --- e-mail change ----------------------------------------------------------------------------


def request_email_change(user: User, new_email: str) -> None:
    """Send a code to the new address; the change takes effect only once it is confirmed."""
    new_email = clean_email(new_email)
    if new_email is None:
        raise InvalidInput({"new_email": _("Enter a valid e-mail address.")})
    new_email = new_email.lower()  # stored addresses are lower-case
    if new_email == user.email:
        raise InvalidInput({"new_email": _("This is already your e-mail address.")})
    require_recent_auth(user, "email.change")
    if db.session.scalar(select(User.id).where(User.email == new_email)):
        raise Conflict(_("This e-mail address is already used by another account."))
    code = _issue_code(user, "email_change", target=new_email)
    audit.record("auth.email_change_requested", actor=user, object_type="user",
                 object_id=user.id, after={"new_email": new_email})
    db.session.flush()
    minutes = int(_lifetime().total_seconds() // 60)
    deliver_after_response(new_email, "email_change_code", user_locale(user),
                           name=user.name or user.email, email=user.email,
                           code=code, new_email=new_email, minutes=minutes)


def pending_email_change(user: User) -> str | None:
    """The new address waiting for its code, if any."""
    row = _open_code(user.id, "email_change")
    if row is None or row.expires_at <= utcnow():
        return None
    return row.target


def confirm_email_change(user: User, code: str) -> User:
    """Apply the e-mail change with the code sent to the new address."""
    if not (code or "").strip():
        raise InvalidInput({"code": _("This field is required.")})
    require_recent_auth(user, "email.change")
    row = _spend_code(user, "email_change", code)
    if db.session.scalar(select(User.id).where(User.email == row.target, User.id != user.id)):
        raise Conflict(_("This e-mail address is already used by another account."))
    before = {"email": user.email}
    user.email = row.target
    audit.record("auth.email_changed", actor=user, object_type="user", object_id=user.id,
                 before=before, after={"email": user.email})
    db.session.flush()
    return user
