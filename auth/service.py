"""Signing in and out: credentials, lockout, server-side sessions, API tokens, passwords."""

import hashlib
import math
import secrets
from functools import cache

from flask import current_app, has_request_context, request
from flask_babel import gettext as _
from sqlalchemy import bindparam, delete, or_, select, update
from sqlalchemy.orm.attributes import set_committed_value

from auth import known_device, totp
from auth.devices import describe_device
from auth.models import (
    ApiToken,
    CompanySecurityPolicy,
    LoginAccountThrottle,
    LoginThrottle,
    User,
    UserSession,
)
from auth.passwords import check_password_policy, hash_password, needs_rehash, verify_password
from core import audit, security_log
from core.db import utcnow
from core.errors import InvalidInput, TooManyAttempts, Unauthorized
from core.extensions import db
from corp.models import Company
from roles import access

# A hash to verify against when the e-mail is unknown, so both paths cost the same time.
_DUMMY_HASH = None


def normalize_email(email: str) -> str:
    """E-mails compare case-insensitively and without surrounding spaces."""
    return (email or "").strip().lower()


def _dummy_hash() -> str:
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = hash_password(secrets.token_hex(16))
    return _DUMMY_HASH


def _source() -> str:
    return (request.remote_addr or "")[:64] if has_request_context() else ""


def _throttle(email: str, source: str) -> LoginThrottle | None:
    return db.session.get(LoginThrottle, (email, source))


def _minutes_left(throttle: LoginThrottle | LoginAccountThrottle | None, now) -> int | None:
    """Minutes the (e-mail, source) pair, or the account, stays locked, or None."""
    if throttle and throttle.locked_until and throttle.locked_until > now:
        return max(math.ceil((throttle.locked_until - now).total_seconds() / 60), 1)
    return None


def _purge_quiet(model, now) -> None:
    """Remove counters quiet for LOGIN_THROTTLE_RETENTION and not locked (bounded growth)."""
    db.session.execute(delete(model).where(
        model.updated_at < now - current_app.config["LOGIN_THROTTLE_RETENTION"],
        or_(model.locked_until.is_(None), model.locked_until < now)))


def _failure(row, limit: int, now):
    """One more failure on a throttle row; at ``limit`` the row locks for
    LOGIN_LOCK_DURATION, each further lock twice as long (capped at LOGIN_LOCK_MAX).
    Returns the lock's duration when this failure locked it, else None."""
    config = current_app.config
    row.failures = (row.failures or 0) + 1
    row.updated_at = now
    if row.failures < limit:
        return None
    row.failures = 0
    row.locks = (row.locks or 0) + 1
    duration = min(config["LOGIN_LOCK_DURATION"] * 2 ** (row.locks - 1), config["LOGIN_LOCK_MAX"])
    row.locked_until = now + duration
    return duration


def _count_failure(email: str, source: str, now) -> LoginThrottle:
    """One more wrong password from ``source`` for ``email``; the fifth locks that pair."""
    _purge_quiet(LoginThrottle, now)
    throttle = _throttle(email, source)
    if throttle is None:
        throttle = LoginThrottle(email=email, source=source, failures=0, locks=0)
        db.session.add(throttle)
    duration = _failure(throttle, current_app.config["LOGIN_MAX_FAILURES"], now)
    if duration is not None:
        security_log.record("auth.locked", email=email, status=401,
                            detail=f"locked for {int(duration.total_seconds() // 60)} min")
    return throttle


def _count_account_failure(email: str, user: User | None, now) -> LoginAccountThrottle:
    """One more wrong password for ``email`` from a device not known to be the user's, from
    any source: LOGIN_ACCOUNT_MAX_FAILURES of them within LOGIN_ACCOUNT_WINDOW lock the
    account for such devices (growing like the per-source lock). Audited and in the
    platform's security log."""
    config = current_app.config
    _purge_quiet(LoginAccountThrottle, now)
    row = db.session.get(LoginAccountThrottle, email)
    if row is None:
        row = LoginAccountThrottle(email=email, window_started_at=now, failures=0, locks=0)
        db.session.add(row)
    if row.window_started_at is None or row.window_started_at < now - config[
            "LOGIN_ACCOUNT_WINDOW"]:
        row.window_started_at, row.failures = now, 0
    duration = _failure(row, config["LOGIN_ACCOUNT_MAX_FAILURES"], now)
    if duration is not None:
        row.window_started_at = now
        detail = f"account-wide, locked for {int(duration.total_seconds() // 60)} min"
        security_log.record("auth.account_locked", email=email, status=401, detail=detail)
        audit.record("auth.account_locked", actor=user,
                     company_id=user.company_id if user else None, object_type="user",
                     object_id=user.id if user else "", outcome="denied",
                     detail=f"{email}: {detail}")
    return row


def clear_account_lock(email: str) -> None:
    """The real user proved themselves another way (password recovery by e-mail code)."""
    db.session.execute(delete(LoginAccountThrottle).where(
        LoginAccountThrottle.email == normalize_email(email)))


def authenticate(email: str, password: str) -> User:
    """Check credentials with lockout; raise Unauthorized with a message that reveals nothing.

    Failures are counted per e-mail and source address whether or not an account exists, so
    the answers for an unknown address and a known one are the same, including the lock
    after too many (OWASP ASVS V6.3: brute force is stopped, yet a stranger cannot lock the
    real user out from elsewhere; locks grow longer for whoever keeps trying).

    Slow guessing spread over many addresses meets an account-wide guard as well
    (``_count_account_failure``): once it locks, only devices with the user's known-device
    cookie (``auth.known_device``, set after a successful sign-in) may still try, each
    still limited per source.
    """
    email = normalize_email(email)
    now = utcnow()
    source = _source()
    minutes = _minutes_left(_throttle(email, source), now)
    if minutes is not None:
        security_log.record("auth.attempt_during_lock", email=email, status=401)
        raise Unauthorized(_locked_message(minutes), code="locked")
    user = db.session.scalar(select(User).where(User.email == email))
    known = known_device.is_known(user)
    if not known:
        minutes = _minutes_left(db.session.get(LoginAccountThrottle, email), now)
        if minutes is not None:
            security_log.record("auth.attempt_during_lock", email=email, status=401,
                                detail="account-wide lock, unknown device")
            raise Unauthorized(_locked_message(minutes), code="locked")
    ok = verify_password(user.password_hash if user else _dummy_hash(), password or "")
    if not ok or user is None or not user.active:
        throttle = _count_failure(email, source, now)
        account = None if known else _count_account_failure(email, user, now)
        audit.record(
            "auth.login_failed",
            actor=user,
            company_id=user.company_id if user else None,
            outcome="denied",
            detail=email,
        )
        db.session.commit()  # the count must survive the refusal's rollback
        minutes = _minutes_left(throttle, now) or _minutes_left(account, now)
        if minutes is not None:
            raise Unauthorized(_locked_message(minutes), code="locked")
        raise Unauthorized(_("Wrong e-mail or password."), code="invalid_credentials")
    throttle = _throttle(email, source)
    if throttle is not None:
        db.session.delete(throttle)
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = now
    return user


def _locked_message(minutes: int) -> str:
    return _(
        "Too many failed sign-in attempts: sign-in for this e-mail is locked for "
        "%(minutes)d minutes.",
        minutes=minutes,
    )


def start_session(user: User, *, ip: str = "", user_agent: str = "") -> UserSession:
    """Open a new server-side browser session for the user."""
    session = UserSession(
        id=secrets.token_urlsafe(32),
        user_id=user.id,
        ip=ip[:64],
        user_agent=(user_agent or "")[:300],
        device=describe_device(user_agent),
        reauth_at=utcnow(),  # signing in proves the password (and code) just now
    )
    db.session.add(session)
    audit.record("auth.login", actor=user, object_type="user", object_id=user.id)
    known_device.remember(user)
    return session


def load_session(session_id: str | None) -> User | None:
    """The user of a live browser session, ending it if idle or too old."""
    if not session_id:
        return None
    found = db.session.execute(_session_identity(), {"session_id": session_id}).first()
    if found is None:
        return None
    row, user = found[0], _identity_of(found)
    if row.revoked_at is not None:
        return None
    now = utcnow()
    config = current_app.config
    if (
        now - row.last_seen_at > config["SESSION_IDLE_TIMEOUT"]
        or now - row.created_at > config["SESSION_ABSOLUTE_LIFETIME"]
    ):
        row.revoked_at = now
        # Its own transaction: the session ends whether or not this request commits.
        db.session.commit()
        return None
    if not user.active:
        return None
    # Touch at most once a minute: an idle timeout of 20 minutes needs no finer clock.
    if (now - row.last_seen_at).total_seconds() > 60:
        row.last_seen_at = now
        # Its own transaction: reading pages commit nothing, yet their activity counts.
        db.session.commit()
    return user


def _with_identity(query, user_id_column):
    """``query`` (a session or token row) with, in the same round trip, what every
    authenticated request asks next: the user, the company's policy version (the Casbin
    cache key, read once per request) and whether the company requires 2FA of its
    administrators. One query where there were four (token, user, 2FA rule, version)."""
    return (
        query.add_columns(User, Company.policy_version, CompanySecurityPolicy.require_admin_2fa)
        .join(User, User.id == user_id_column)
        .outerjoin(Company, Company.id == User.company_id)
        .outerjoin(CompanySecurityPolicy, CompanySecurityPolicy.company_id == User.company_id)
    )


# Built once (they never change): constructing a statement costs more than running it.
@cache
def _session_identity():
    # Pages also show the user's company (``base.html``): the row comes along, and
    # ``user.company`` is then found in the session without a query of its own.
    return _with_identity(select(UserSession), UserSession.user_id).add_columns(Company).where(
        UserSession.id == bindparam("session_id"))


@cache
def _token_identity():
    return _with_identity(select(ApiToken), ApiToken.user_id).where(
        ApiToken.token_hash == bindparam("token_hash"))


def _identity_of(found) -> User:
    """The user of a ``_with_identity`` row, its company's facts noted for this request."""
    _row, user, policy_version, require_admin_2fa, *company = found
    if company:  # held by the user (the session's identity map keeps no strong reference)
        set_committed_value(user, "company", company[0])
    if user.company_id is not None and has_request_context():
        access.note_policy_version(user.company_id, policy_version or 0)
        totp.note_company_requirement(user.company_id, bool(require_admin_2fa))
    return user


def end_session(session_id: str | None, user: User | None) -> None:
    """Log out: the session id stops working on the server, whatever the cookie says."""
    if session_id:
        db.session.execute(
            update(UserSession)
            .where(UserSession.id == session_id, UserSession.revoked_at.is_(None))
            .values(revoked_at=utcnow())
        )
    if user is not None:
        audit.record("auth.logout", actor=user, object_type="user", object_id=user.id)


def revoke_all(user: User, *, keep_session: str | None = None) -> None:
    """End every session and API token of the user (disable, password change)."""
    now = utcnow()
    query = update(UserSession).where(
        UserSession.user_id == user.id, UserSession.revoked_at.is_(None)
    )
    if keep_session:
        query = query.where(UserSession.id != keep_session)
    db.session.execute(query.values(revoked_at=now))
    db.session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(user: User, *, ip: str = "", user_agent: str = "") -> tuple[str, ApiToken]:
    """Create an API bearer token; the plain token is returned once and never stored."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    row = ApiToken(
        user_id=user.id,
        token_hash=_digest(token),
        expires_at=now + current_app.config["API_TOKEN_LIFETIME"],
        ip=(ip or "")[:64],
        user_agent=(user_agent or "")[:300],
        device=describe_device(user_agent),
        reauth_at=now,
        last_seen_at=now,
    )
    db.session.add(row)
    audit.record("auth.token_issued", actor=user, object_type="user", object_id=user.id)
    known_device.remember(user)
    return token, row


def load_token(token: str | None) -> User | None:
    """The user of a valid, unexpired, unrevoked API token (one indexed query, see
    ``_with_identity``)."""
    if not token:
        return None
    found = db.session.execute(_token_identity(), {"token_hash": _digest(token)}).first()
    if found is None:
        return None
    row, user = found[0], _identity_of(found)
    now = utcnow()
    if row.revoked_at is not None or row.expires_at <= now:
        return None
    if not user.active:
        return None
    # Shown in the user's sessions list; touched at most once a minute.
    if row.last_seen_at is None or (now - row.last_seen_at).total_seconds() > 60:
        row.last_seen_at = now
        db.session.commit()
    return user


def change_password(
    user: User, current_password: str, new_password: str, *, keep_session: str | None = None
) -> None:
    """Replace the user's password after checking the current one and the policy.

    Wrong current passwords count toward the same lock as sign-in (per e-mail and source),
    are audited, and reach the security log: no unlimited guessing through this door."""
    now, source = utcnow(), _source()
    minutes = _minutes_left(_throttle(user.email, source), now)
    if minutes is not None:
        security_log.record("auth.attempt_during_lock", actor=user, status=429,
                            detail="password change")
        raise TooManyAttempts(_locked_message(minutes), code="locked")
    if not verify_password(user.password_hash, current_password or ""):
        throttle = _count_failure(user.email, source, now)
        audit.record("auth.password_change_failed", actor=user, object_type="user",
                     object_id=user.id, outcome="denied")
        security_log.record("auth.password_change_failed", actor=user, status=422)
        db.session.commit()  # the count must survive the refusal's rollback
        minutes = _minutes_left(throttle, now)
        if minutes is not None:
            raise TooManyAttempts(_locked_message(minutes), code="locked")
        raise InvalidInput({"current_password": _("The current password is wrong.")})
    problems = check_password_policy(new_password or "", email=user.email)
    if verify_password(user.password_hash, new_password or ""):
        problems.append(_("The new password must differ from the current one."))
    if problems:
        raise InvalidInput({"new_password": [_(p) for p in problems]})
    user.password_hash = hash_password(new_password)
    user.must_change_password = False
    user.password_changed_at = utcnow()
    revoke_all(user, keep_session=keep_session)
    audit.record("auth.password_changed", actor=user, object_type="user", object_id=user.id)
