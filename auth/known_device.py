"""The known-device cookie (OWASP ASVS 5.0 V6.3.1).

After a successful sign-in (page or ``POST /api/v1/auth/token``) the browser or client gets
a signed cookie naming the user and a fingerprint of their current password. A sign-in
that brings it skips the *account-wide* guard against slow guessing spread over many
addresses (``auth.service``), never the lock per e-mail and source: an attacker elsewhere
can make the account refuse unknown devices, but not the real user's own browser. A new
password (change or recovery) changes the fingerprint, so every older cookie stops
counting. The cookie holds up to five users of one browser, each with its own age.
"""

import hashlib
import time

from flask import after_this_request, current_app, has_request_context, request
from itsdangerous import BadSignature, URLSafeSerializer

COOKIE = "vm_device"
_SALT = "known-device"
_MAX_USERS = 5


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt=_SALT)


def _fingerprint(user) -> str:
    return hashlib.sha256((user.password_hash or "").encode()).hexdigest()[:16]


def _entries() -> list[list]:
    """The cookie's unexpired ``[user id, fingerprint, issued]`` entries (none if forged)."""
    if not has_request_context() or not request.cookies.get(COOKIE):
        return []
    try:
        entries = _serializer().loads(request.cookies[COOKIE])
    except BadSignature:
        return []
    oldest = time.time() - current_app.config["LOGIN_KNOWN_DEVICE_LIFETIME"].total_seconds()
    return [e for e in entries if isinstance(e, list) and len(e) == 3
            and isinstance(e[2], int | float) and e[2] >= oldest][-_MAX_USERS:]


def is_known(user) -> bool:
    """Whether this request comes from a device the user has signed in from successfully."""
    if user is None:
        return False
    fingerprint = _fingerprint(user)
    return any(e[0] == user.id and e[1] == fingerprint for e in _entries())


def remember(user) -> None:
    """After a successful sign-in: (re)issue the cookie with this user in it."""
    if not has_request_context():
        return
    entries = [e for e in _entries() if e[0] != user.id]
    entries.append([user.id, _fingerprint(user), int(time.time())])
    value = _serializer().dumps(entries[-_MAX_USERS:])
    config = current_app.config

    @after_this_request
    def _set(response):
        response.set_cookie(
            COOKIE, value, max_age=int(config["LOGIN_KNOWN_DEVICE_LIFETIME"].total_seconds()),
            httponly=True, secure=bool(config.get("SESSION_COOKIE_SECURE")), samesite="Lax",
            path="/")
        return response
