"""User accounts, their browser sessions and API tokens."""

from sqlalchemy import Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.db import UTCDateTime, utcnow
from core.extensions import db


class User(db.Model):
    """A company user, or operator staff (no company) administering the platform."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int | None] = mapped_column(ForeignKey("companies.id"), index=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    is_operator_staff: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # An issued (temporary) password must be replaced before anything else is allowed.
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    password_changed_at = mapped_column(UTCDateTime, default=utcnow)
    last_login_at = mapped_column(UTCDateTime, nullable=True)
    locale: Mapped[str | None] = mapped_column(String(5))
    created_at = mapped_column(UTCDateTime, default=utcnow)

    company = relationship("Company")

    # Flask-Login protocol; the session identifier, not the user id, is what the cookie holds.
    is_anonymous = False

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return self.active

    def get_id(self) -> str:
        return str(self.id)


class UserSession(db.Model):
    """A browser session, kept server-side so logout and password change really end it."""

    __tablename__ = "user_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at = mapped_column(UTCDateTime, default=utcnow)
    revoked_at = mapped_column(UTCDateTime, nullable=True)
    ip: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(300), default="")
    # "Browser on OS" from the user agent: shown in the sessions list, compared for new devices.
    device: Mapped[str] = mapped_column(String(120), default="")
    # Last time the user proved who they are in this session (sign-in or re-authentication).
    reauth_at = mapped_column(UTCDateTime, nullable=True)

    user = relationship("User")


class ApiToken(db.Model):
    """A bearer token for the JSON API; only its SHA-256 digest is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at = mapped_column(UTCDateTime, default=utcnow)
    expires_at = mapped_column(UTCDateTime)
    revoked_at = mapped_column(UTCDateTime, nullable=True)
    last_seen_at = mapped_column(UTCDateTime, nullable=True)
    ip: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(300), default="")
    device: Mapped[str] = mapped_column(String(120), default="")
    reauth_at = mapped_column(UTCDateTime, nullable=True)

    user = relationship("User")


class LoginThrottle(db.Model):
    """Consecutive failed sign-ins per e-mail *and source address*, kept whether or not the
    account exists: a stranger elsewhere who guesses wrong locks only themselves out."""

    __tablename__ = "login_throttles"

    email: Mapped[str] = mapped_column(String(254), primary_key=True)
    source: Mapped[str] = mapped_column(String(64), primary_key=True, default="")
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locks: Mapped[int] = mapped_column(Integer, default=0)  # each lock lasts twice the last
    locked_until = mapped_column(UTCDateTime, nullable=True)
    updated_at = mapped_column(UTCDateTime, default=utcnow, index=True)


class LoginAccountThrottle(db.Model):
    """Failed sign-ins per e-mail from *any* source within a window (slow guessing spread
    over many addresses). Once too many, the account is locked for every browser or client
    without a known-device cookie of that user (``auth.devices``); the real user's known
    devices pass (still limited per source by ``LoginThrottle``)."""

    __tablename__ = "login_account_throttles"

    email: Mapped[str] = mapped_column(String(254), primary_key=True)
    window_started_at = mapped_column(UTCDateTime, default=utcnow)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locks: Mapped[int] = mapped_column(Integer, default=0)  # each lock lasts twice the last
    locked_until = mapped_column(UTCDateTime, nullable=True)
    updated_at = mapped_column(UTCDateTime, default=utcnow, index=True)


class OneTimeCode(db.Model):
    """A 6-digit code sent by e-mail (password recovery, e-mail change); only its HMAC is kept.

    A code works once, until ``expires_at``, and is voided after too many wrong tries or when
    a newer code of the same purpose is requested.
    """

    __tablename__ = "one_time_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    purpose: Mapped[str] = mapped_column(String(20))  # recovery | email_change
    code_hash: Mapped[str] = mapped_column(String(64))
    # For an e-mail change: the new address the code was sent to.
    target: Mapped[str] = mapped_column(String(254), default="")
    created_at = mapped_column(UTCDateTime, default=utcnow)
    expires_at = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    used_at = mapped_column(UTCDateTime, nullable=True)
    voided_at = mapped_column(UTCDateTime, nullable=True)


class TotpCredential(db.Model):
    """A user's TOTP authenticator: the secret encrypted at rest, confirmed once enrolled."""

    __tablename__ = "totp_credentials"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    secret_encrypted: Mapped[str] = mapped_column(String(255))
    created_at = mapped_column(UTCDateTime, default=utcnow)
    confirmed_at = mapped_column(UTCDateTime, nullable=True)
    # The 30-second step of the last accepted code: a code is never accepted twice.
    last_used_step: Mapped[int] = mapped_column(Integer, default=0)
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_until = mapped_column(UTCDateTime, nullable=True)


class RecoveryCode(db.Model):
    """A single-use code that replaces the authenticator's code; only its HMAC is kept."""

    __tablename__ = "totp_recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    used_at = mapped_column(UTCDateTime, nullable=True)


class CompanySecurityPolicy(db.Model):
    """A company's sign-in rules set by its global administrator."""

    __tablename__ = "company_security_policies"

    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id"), primary_key=True)
    require_admin_2fa: Mapped[bool] = mapped_column(Boolean, default=False)
    updated_at = mapped_column(UTCDateTime, default=utcnow)
