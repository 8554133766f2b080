"""Secrets at rest: TOTP secrets encrypted, one-time and recovery codes kept as keyed digests.

Both keys are derived from ``SECRET_KEY`` with HKDF (one ``info`` label per use), so a
database dump alone reveals neither the authenticator secrets nor the codes in flight.
``ACCOUNT_SECRETS_KEY`` may hold a separate key material when the installation wants one.
"""

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app


def _key_material() -> bytes:
    config = current_app.config
    return str(config.get("ACCOUNT_SECRETS_KEY") or config["SECRET_KEY"]).encode()


def _derive(label: str) -> bytes:
    return HKDF(
        algorithm=hashes.SHA256(), length=32, salt=b"virtual-manager", info=label.encode()
    ).derive(_key_material())


def encrypt_secret(plain: str) -> str:
    """Encrypt a TOTP secret for storage (Fernet: AES-128-CBC with HMAC-SHA256)."""
    fernet = Fernet(base64.urlsafe_b64encode(_derive("totp-secret-v1")))
    return fernet.encrypt(plain.encode()).decode()


def decrypt_secret(stored: str) -> str | None:
    """The TOTP secret, or None when it cannot be decrypted (key changed, data damaged)."""
    fernet = Fernet(base64.urlsafe_b64encode(_derive("totp-secret-v1")))
    try:
        return fernet.decrypt(stored.encode()).decode()
    except InvalidToken:
        return None


def code_digest(purpose: str, code: str) -> str:
    """Keyed digest of a short code: without the key even a 6-digit code can't be brute-forced."""
    normalized = "".join(str(code).split()).replace("-", "").upper()
    message = f"{purpose}:{normalized}".encode()
    return hmac.new(_derive("code-digest-v1"), message, hashlib.sha256).hexdigest()


def same_digest(a: str, b: str) -> bool:
    """Compare digests in constant time."""
    return hmac.compare_digest(a.encode(), b.encode())
