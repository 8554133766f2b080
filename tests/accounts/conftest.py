"""Helpers of the account tests: codes from the outbox, TOTP codes, a fresh user."""

import re
import time

import pyotp
import pytest

from tests.conftest import PASSWORD


def code_from(message) -> str:
    """The 6-digit code of a code e-mail (plain-text part)."""
    text = message.get_body(("plain",)).get_content()
    match = re.search(r"\b(\d{6})\b", text)
    assert match, text
    return match.group(1)


def totp_code(secret: str, offset_steps: int = 0) -> str:
    """The authenticator's code for now (or a neighbouring 30-second step)."""
    return pyotp.TOTP(secret).at(time.time(), counter_offset=offset_steps)


@pytest.fixture
def fresh_user(app):
    """A company user of ООО «Ромашка» with the demo password and no role."""
    from auth.models import User
    from auth.passwords import hash_password
    from core.extensions import db

    counter = getattr(fresh_user, "counter", 0) + 1
    fresh_user.counter = counter
    user = User(company_id=1, email=f"fresh{counter}.{time.time_ns()}@romashka.example",
                name="Свежий Пользователь", password_hash=hash_password(PASSWORD))
    db.session.add(user)
    db.session.commit()
    return user


def enrol_totp(client, headers=None) -> tuple[str, list[str]]:
    """Turn two-factor sign-in on through the API; returns (secret, recovery codes)."""
    started = client.post("/api/v1/me/totp", headers=headers or {})
    assert started.status_code == 201, started.json
    secret = started.json["secret"]
    confirmed = client.post("/api/v1/me/totp/confirm", json={"code": totp_code(secret)},
                            headers=headers or {})
    assert confirmed.status_code == 200, confirmed.json
    return secret, confirmed.json["recovery_codes"]
