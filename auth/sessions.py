"""A user's own sign-ins: browser sessions and API tokens, listed and ended by their owner."""

import hashlib
import re
from datetime import UTC, datetime

from flask import current_app, g, has_request_context, request, session
from flask_babel import gettext as _
from sqlalchemy import select, update

from auth.devices import describe_device
from auth.mails import deliver_after_response, user_locale
from auth.models import ApiToken, UserSession
from core import audit
from core.db import utcnow
from core.errors import NotFound
from core.extensions import db


def session_public_id(session_id: str) -> str:
    """The id shown for a browser session: never the cookie's secret value itself."""
    return "s-" + hashlib.sha256(session_id.encode()).hexdigest()[:20]


def token_public_id(token: ApiToken) -> str:
    return f"t-{token.id}"


def _bearer_digest() -> str | None:
    header = request.headers.get("Authorization", "")
    if header.lower().startswith("bearer "):
        return hashlib.sha256(header[7:].strip().encode()).hexdigest()
    return None


def current_credential():
    """The UserSession or ApiToken row this request is authenticated by (None outside one)."""
    if not has_request_context():
        return None
    via = g.get("auth_via")
    if via == "session" and session.get("sid"):
        return db.session.get(UserSession, session["sid"])
    if via == "token":
        digest = _bearer_digest()
        if digest:
            return db.session.scalar(select(ApiToken).where(ApiToken.token_hash == digest))
    return None


def _live_sessions(user):
    now = utcnow()
    return db.session.scalars(
        select(UserSession)
        .where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
        .order_by(UserSession.created_at.desc())
    ).all(), db.session.scalars(
        select(ApiToken)
        .where(
            ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None), ApiToken.expires_at > now
        )
        .order_by(ApiToken.created_at.desc())
    ).all()


def list_own_sessions(user) -> list[dict]:
    """The user's live browser sessions and API tokens, newest first, the current one marked."""
    current = current_credential()
    now = utcnow()
    idle = current_app.config["SESSION_IDLE_TIMEOUT"]
    lifetime = current_app.config["SESSION_ABSOLUTE_LIFETIME"]
    browser_sessions, tokens = _live_sessions(user)
    rows = []
    for row in browser_sessions:
        if now - row.last_seen_at > idle or now - row.created_at > lifetime:
            continue  # ended by inactivity, even if nobody has come back to notice yet
        rows.append({
            "id": session_public_id(row.id),
            "kind": "browser",
            "device": row.device or describe_device(row.user_agent),
            "ip": row.ip,
            "started_at": row.created_at,
            "last_seen_at": row.last_seen_at,
            "current": current is row,
        })
    for row in tokens:
        rows.append({
            "id": token_public_id(row),
            "kind": "api_token",
            "device": row.device or describe_device(row.user_agent),
            "ip": row.ip,
            "started_at": row.created_at,
            "last_seen_at": row.last_seen_at or row.created_at,
            "current": current is row,
        })
    rows.sort(key=lambda r: r["started_at"], reverse=True)
    return rows


def end_own_session(user, public_id: str) -> None:
    """End one of the user's own sessions or tokens; any other id (another user's) is 404."""
    now = utcnow()
    target = None
    if re.fullmatch(r"t-\d{1,18}", public_id or ""):
        target = db.session.scalar(
            select(ApiToken).where(
                ApiToken.id == int(public_id[2:]), ApiToken.user_id == user.id,
                ApiToken.revoked_at.is_(None),
            )
        )
    elif re.fullmatch(r"s-[0-9a-f]{20}", public_id or ""):
        browser_sessions, _tokens = _live_sessions(user)
        target = next((s for s in browser_sessions if session_public_id(s.id) == public_id), None)
    if target is None:
        raise NotFound(_("No such session."))
    target.revoked_at = now
    audit.record("auth.session_ended", actor=user, object_type="user", object_id=user.id,
                 detail=public_id)
    db.session.flush()


def end_other_sessions(user) -> int:
    """End every session and token of the user except the one making this request."""
    current = current_credential()
    now = utcnow()
    sessions_query = update(UserSession).where(
        UserSession.user_id == user.id, UserSession.revoked_at.is_(None)
    )
    tokens_query = update(ApiToken).where(ApiToken.user_id == user.id,
                                          ApiToken.revoked_at.is_(None))
    if isinstance(current, UserSession):
        sessions_query = sessions_query.where(UserSession.id != current.id)
    if isinstance(current, ApiToken):
        tokens_query = tokens_query.where(ApiToken.id != current.id)
    ended = db.session.execute(sessions_query.values(revoked_at=now)).rowcount
    ended += db.session.execute(tokens_query.values(revoked_at=now)).rowcount
    audit.record("auth.sessions_ended", actor=user, object_type="user", object_id=user.id,
                 detail=f"others: {ended}")
    db.session.flush()
    return ended


def _device_key(device: str) -> str:
    # Browser and system without versions: an update is not a new device.
    return re.sub(r"\s+\d+", "", device or "").strip().casefold()


def is_new_device(user, device: str, *, exclude=None) -> bool:
    """Whether the user has signed in before, but never from this kind of device."""
    earlier = [
        d for (d,) in db.session.execute(
            select(UserSession.device).where(
                UserSession.user_id == user.id,
                UserSession.id != (exclude.id if isinstance(exclude, UserSession) else ""),
            )
        )
    ] + [
        d for (d,) in db.session.execute(
            select(ApiToken.device).where(
                ApiToken.user_id == user.id,
                ApiToken.id != (exclude.id if isinstance(exclude, ApiToken) else -1),
            )
        )
    ]
    if not earlier:
        return False  # the very first sign-in: nothing to compare with, nothing to warn of
    key = _device_key(device)
    return all(_device_key(d) != key for d in earlier)


def notify_new_device(user, credential) -> bool:
    """E-mail the user when this sign-in comes from a device not seen before."""
    if not is_new_device(user, credential.device, exclude=credential):
        return False
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M")
    audit.record("auth.new_device", actor=user, object_type="user", object_id=user.id,
                 detail=f"{credential.device} {credential.ip}")
    deliver_after_response(user.email, "new_device", user_locale(user),
                           name=user.name or user.email, email=user.email,
                      device=credential.device, ip=credential.ip, when=when)
    return True
