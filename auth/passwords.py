"""Password policy and argon2id hashing; no Flask imports so the CLI and tests can use it directly.

Policy follows NIST SP 800-63B: a length range and a common-password block list, but no
composition rules ("one digit, one capital") because those push people to predictable
patterns such as "Password1!" without adding real strength.
"""

import functools
import unicodedata
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError


def N_(message: str) -> str:
    """Mark a message for translation extraction without translating it here (no Flask here)."""
    # Babel's extractor knows ``N_`` by default; the web layer translates at display time.
    return message


MIN_LENGTH = 8
# An upper bound keeps the hashing cost and request size predictable, and 128 is far above
# any passphrase a person or password manager produces.
MAX_LENGTH = 128

PASSWORD_TOO_SHORT = N_("Password must be at least 8 characters long.")
PASSWORD_TOO_LONG = N_("Password must be at most 128 characters long.")
PASSWORD_TOO_COMMON = N_("This password is one of the most common passwords; choose another.")
PASSWORD_IS_EMAIL = N_("Password must not be your email address or the part of it before the @.")

COMMON_PASSWORDS_FILE = "common-passwords.txt"

# Library defaults are the RFC 9106 "low memory" argon2id profile (t=3, m=64 MiB, p=4):
# slow enough to make offline guessing expensive, fast enough (~0.1 s) for interactive login.
# Kept as a module attribute so tests can swap in a cheaper hasher if they need many hashes.
_hasher = PasswordHasher()


def _normalize(plain: str) -> str:
    # NFKC so the same password typed on different systems (e.g. a Cyrillic "й" as one code
    # point or as "и" + combining breve) hashes and compares identically (NIST SP 800-63B 5.1.1.2).
    return unicodedata.normalize("NFKC", plain)


def hash_password(plain: str) -> str:
    """Hash a password with argon2id for storage (salted, self-describing PHC string)."""
    if not isinstance(plain, str):
        raise TypeError("password must be a str")
    return _hasher.hash(_normalize(plain))


def verify_password(password_hash: str, plain: str) -> bool:
    """Return True if ``plain`` matches the stored hash; False on a mismatch or unusable hash."""
    # Argument order mirrors argon2's ``verify(hash, password)``.
    if not password_hash or not isinstance(plain, str):
        return False
    try:
        return _hasher.verify(password_hash, _normalize(plain))
    except (VerificationError, InvalidHashError):
        # VerifyMismatchError is a VerificationError; a corrupt or foreign hash is InvalidHashError.
        # Either way the login must simply fail rather than crash.
        return False


def needs_rehash(password_hash: str) -> bool:
    """Return True if the hash used other than today's parameters and should be redone at login."""
    try:
        return _hasher.check_needs_rehash(password_hash)
    except InvalidHashError:
        # Not an argon2 hash we understand: replacing it is the only way forward.
        return True


@functools.lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """Return the shipped block list of common passwords, case-folded, loaded once."""
    text = resources.files(__package__).joinpath(COMMON_PASSWORDS_FILE).read_text(encoding="utf-8")
    return frozenset(
        _normalize(line.strip()).casefold() for line in text.splitlines() if line.strip()
    )


def check_password_policy(plain: str, *, email: str | None = None) -> list[str]:
    """Return a proposed password's policy problems as message constants (empty list = ok)."""
    plain = _normalize(plain or "")
    problems = []
    if len(plain) < MIN_LENGTH:
        problems.append(PASSWORD_TOO_SHORT)
    elif len(plain) > MAX_LENGTH:
        problems.append(PASSWORD_TOO_LONG)

    # Compare case-insensitively and ignoring surrounding spaces: "Password1 " is as guessable
    # as "password1". A short common password gets both messages, which tells the user more.
    folded = plain.strip().casefold()
    if folded in common_passwords():
        problems.append(PASSWORD_TOO_COMMON)
    if email:
        email_folded = email.strip().casefold()
        local_part = email_folded.rpartition("@")[0] or email_folded
        if folded in (email_folded, local_part):
            problems.append(PASSWORD_IS_EMAIL)
    return problems
