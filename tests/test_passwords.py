"""Tests for auth.passwords: argon2id hashing round trips and the NIST-style password policy."""

import unicodedata
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from hypothesis import given
from hypothesis import strategies as st

from auth import passwords as pw

GOOD_PASSWORD = "correct horse battery staple"
POLICY_MESSAGES = {
    pw.PASSWORD_TOO_SHORT,
    pw.PASSWORD_TOO_LONG,
    pw.PASSWORD_TOO_COMMON,
    pw.PASSWORD_IS_EMAIL,
}


# --- Hashing --------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def stored_hash():
    # One real (slow, ~0.1 s) argon2id hash shared by the verification tests.
    return pw.hash_password(GOOD_PASSWORD)


def test_hash_is_argon2id_and_salted(stored_hash):
    assert stored_hash.startswith("$argon2id$")
    assert GOOD_PASSWORD not in stored_hash
    assert pw.hash_password(GOOD_PASSWORD) != stored_hash  # fresh random salt every time


@pytest.mark.parametrize(
    ("candidate", "ok"),
    [
        (GOOD_PASSWORD, True),
        ("Correct horse battery staple", False),
        ("correct horse battery staple ", False),
        ("correct horse battery stapl", False),
        ("", False),
        (None, False),
        (b"correct horse battery staple", False),
    ],
)
def test_verify_password(stored_hash, candidate, ok):
    assert pw.verify_password(stored_hash, candidate) is ok


@pytest.mark.parametrize(
    "bad_hash",
    [
        "",
        None,
        "not a hash",
        "$argon2id$v=19$m=65536,t=3,p=4$broken",
        "$2b$12$abcdefghijklmnopqrstuuLQ7kJ1C8H6/7oVjR0bV2P5bhQ8F5o2W",  # a bcrypt hash
    ],
)
def test_verify_password_with_unusable_hash_is_false(bad_hash):
    assert pw.verify_password(bad_hash, GOOD_PASSWORD) is False


def test_unicode_forms_of_the_same_password_match():
    composed = "пароль-йод-2024"
    decomposed = unicodedata.normalize("NFD", composed)
    assert composed != decomposed  # "й" splits into "и" + combining breve
    assert pw.verify_password(pw.hash_password(composed), decomposed)


def test_hash_password_rejects_non_text():
    with pytest.raises(TypeError):
        pw.hash_password(None)
    with pytest.raises(TypeError):
        pw.hash_password(b"bytes")


def test_fresh_hash_needs_no_rehash(stored_hash):
    assert pw.needs_rehash(stored_hash) is False


def test_hash_with_weaker_parameters_needs_rehash():
    weak = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(GOOD_PASSWORD)
    assert pw.verify_password(weak, GOOD_PASSWORD)  # still usable for the login itself
    assert pw.needs_rehash(weak) is True


@pytest.mark.parametrize("bad_hash", ["not a hash", ""])
def test_unusable_hash_needs_rehash(bad_hash):
    assert pw.needs_rehash(bad_hash) is True


# --- Policy ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("plain", "email", "problems"),
    [
        (GOOD_PASSWORD, None, []),
        ("Tr0ub4dor&3", None, []),
        ("zxq8 vmlp", None, []),  # no composition rules: lower-case and a space are fine
        ("abcdefgz", None, []),  # near a list entry ("abcdefgh") is not on the list
        ("a" * 7 + "b", None, []),
        ("b" * 128, None, []),
        ("абвгдеёж", None, []),  # 8 Cyrillic characters count as 8
        ("", None, [pw.PASSWORD_TOO_SHORT]),
        (None, None, [pw.PASSWORD_TOO_SHORT]),
        ("xk3!vq7", None, [pw.PASSWORD_TOO_SHORT]),
        ("b" * 129, None, [pw.PASSWORD_TOO_LONG]),
        ("password", None, [pw.PASSWORD_TOO_COMMON]),
        ("PassWord", None, [pw.PASSWORD_TOO_COMMON]),
        ("password1", None, [pw.PASSWORD_TOO_COMMON]),
        ("  password1 ", None, [pw.PASSWORD_TOO_COMMON]),
        ("12345678", None, [pw.PASSWORD_TOO_COMMON]),
        ("qwertyuiop", None, [pw.PASSWORD_TOO_COMMON]),
        ("Qwerty123", None, [pw.PASSWORD_TOO_COMMON]),
        ("1q2w3e4r", None, [pw.PASSWORD_TOO_COMMON]),
        ("iloveyou", None, [pw.PASSWORD_TOO_COMMON]),
        ("1qaz2wsx", None, [pw.PASSWORD_TOO_COMMON]),
        ("P@ssw0rd", None, [pw.PASSWORD_TOO_COMMON]),
        ("йцукенгшщз", None, [pw.PASSWORD_TOO_COMMON]),
        ("ЙЦУКЕНГШЩЗ", None, [pw.PASSWORD_TOO_COMMON]),
        ("пароль123", None, [pw.PASSWORD_TOO_COMMON]),
        ("gfhjkm123", None, [pw.PASSWORD_TOO_COMMON]),  # "пароль123" typed on a Latin layout
        ("qwerty", None, [pw.PASSWORD_TOO_SHORT, pw.PASSWORD_TOO_COMMON]),
        ("ivan.petrov@example.com", "ivan.petrov@example.com", [pw.PASSWORD_IS_EMAIL]),
        ("Ivan.Petrov@Example.com", "ivan.petrov@example.com", [pw.PASSWORD_IS_EMAIL]),
        ("ivan.petrov", "ivan.petrov@example.com", [pw.PASSWORD_IS_EMAIL]),
        ("IVAN.PETROV", " Ivan.Petrov@example.com ", [pw.PASSWORD_IS_EMAIL]),
        ("ivan.petrov2", "ivan.petrov@example.com", []),
        ("example.com", "ivan.petrov@example.com", []),  # the domain alone is not refused
        ("zhora", "zhora@example.com", [pw.PASSWORD_TOO_SHORT, pw.PASSWORD_IS_EMAIL]),
        ("password", "password@example.com", [pw.PASSWORD_TOO_COMMON, pw.PASSWORD_IS_EMAIL]),
        (GOOD_PASSWORD, "", []),
    ],
)
def test_check_password_policy(plain, email, problems):
    assert pw.check_password_policy(plain, email=email) == problems


@given(st.text(max_size=200), st.one_of(st.none(), st.emails()))
def test_policy_returns_only_known_messages_and_length_rules_hold(plain, email):
    problems = pw.check_password_policy(plain, email=email)
    assert set(problems) <= POLICY_MESSAGES
    length = len(unicodedata.normalize("NFKC", plain))
    assert (pw.PASSWORD_TOO_SHORT in problems) == (length < pw.MIN_LENGTH)
    assert (pw.PASSWORD_TOO_LONG in problems) == (length > pw.MAX_LENGTH)


@given(st.sampled_from(sorted(w for w in pw.common_passwords() if len(w) >= 8)))
def test_every_long_enough_list_entry_is_refused_in_upper_case_too(word):
    assert pw.check_password_policy(word.upper()) == [pw.PASSWORD_TOO_COMMON]


# --- The shipped list -----------------------------------------------------------------------


def test_common_password_list_is_loaded_once_and_sensible():
    words = pw.common_passwords()
    assert words is pw.common_passwords()  # cached
    assert 900 <= len(words) <= 2000
    assert sum(len(w) >= pw.MIN_LENGTH for w in words) >= 300
    for expected in [
        "123456",
        "password",
        "qwerty",
        "12345678",
        "111111",
        "iloveyou",
        "qwerty123",
        "1q2w3e4r",
        "йцукен",
        "пароль",
        "qwertyuiop",
        "1qaz2wsx",
    ]:
        assert expected in words
    assert all(w and w == w.strip() and w == w.casefold() for w in words)


def test_common_password_file_has_one_unique_password_per_line():
    path = Path(pw.__file__).with_name(pw.COMMON_PASSWORDS_FILE)
    lines = path.read_text(encoding="utf-8").splitlines()
    assert all(line and line == line.strip() for line in lines)
    folded = [unicodedata.normalize("NFKC", line).casefold() for line in lines]
    assert len(folded) == len(set(folded))


def test_policy_messages_are_sentences():
    for message in POLICY_MESSAGES:
        assert message[0].isupper() and message.endswith(".")
