"""Tests for corp.validators: table-driven known values plus Hypothesis checksum properties."""

import contextlib
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from corp import validators as v
from corp.validators import ValidationError


def digit_strings(n: int):
    return st.text(alphabet="0123456789", min_size=n, max_size=n)


def raises(message: str):
    """Expect a ValidationError carrying exactly this message constant."""
    return pytest.raises(ValidationError, match=f"^{re.escape(message)}$")


# --- MSISDN ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("+7 (916) 123-45-67", "9161234567"),
        ("8 916 123 45 67", "9161234567"),
        ("9161234567", "9161234567"),
        ("79161234567", "9161234567"),
        ("+79161234567", "9161234567"),
        ("89161234567", "9161234567"),
        ("8(916)123-45-67", "9161234567"),
        ("+7-916-123-45-67", "9161234567"),
        ("7 916 123 45 67", "9161234567"),
        ("  +7 916 123 45 67\n", "9161234567"),
        ("+7\u00a0916\u00a0123-45-67", "9161234567"),  # non-breaking spaces from copy-paste
        ("(903) 000-00-01", "9030000001"),
        ("+7 999 999 99 99", "9999999999"),
    ],
)
def test_normalize_msisdn_accepts(text, expected):
    assert v.normalize_msisdn(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (None, v.MSISDN_REQUIRED),
        ("", v.MSISDN_REQUIRED),
        ("   ", v.MSISDN_REQUIRED),
        (9161234567, v.NOT_TEXT),
        ("8 (495) 123-45-67", v.MSISDN_NOT_MOBILE),  # Moscow landline
        ("+7 812 123-45-67", v.MSISDN_NOT_MOBILE),  # St Petersburg landline
        ("8 800 555-35-35", v.MSISDN_NOT_MOBILE),  # toll-free
        ("+7 701 123 4567", v.MSISDN_NOT_MOBILE),  # Kazakhstan shares +7
        ("+44 20 7946 0958", v.MSISDN_NOT_RUSSIAN),
        ("+380 50 123 4567", v.MSISDN_NOT_RUSSIAN),
        ("916123456", v.MSISDN_WRONG_LENGTH),
        ("+7 916 123 45 678", v.MSISDN_WRONG_LENGTH),
        ("+7 916 CALL ME1", v.MSISDN_BAD_CHARACTERS),  # no vanity letters
        ("abc", v.MSISDN_BAD_CHARACTERS),
        ("+7 916 123 45 6x", v.MSISDN_BAD_CHARACTERS),
        ("++79161234567", v.MSISDN_BAD_CHARACTERS),
        ("9161234567+", v.MSISDN_BAD_CHARACTERS),
        ("+7 916 123-45-67 доб. 12", v.MSISDN_BAD_CHARACTERS),
        ("+7 ９１６ １２３ ４５ ６７", v.MSISDN_BAD_CHARACTERS),  # full-width digits
        ("9" * 41, v.MSISDN_BAD_CHARACTERS),  # absurdly long input never reaches the parser
        ("+8 916 123 45 67", v.MSISDN_UNREADABLE),
        ("+7", v.MSISDN_UNREADABLE),
        ("()", v.MSISDN_UNREADABLE),
        ("+", v.MSISDN_BAD_CHARACTERS),
    ],
)
def test_normalize_msisdn_rejects(text, message):
    with raises(message):
        v.normalize_msisdn(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("9161234567", "+7 916 123-45-67"),
        ("9030000001", "+7 903 000-00-01"),
        ("+79991112233", "+7 999 111-22-33"),  # any accepted notation formats too
    ],
)
def test_format_msisdn(text, expected):
    assert v.format_msisdn(text) == expected


@pytest.mark.parametrize("text", ["4951234567", "", "12", None])
def test_format_msisdn_rejects_non_mobile(text):
    with pytest.raises(ValidationError):
        v.format_msisdn(text)


@given(digit_strings(9))
def test_msisdn_every_notation_round_trips(rest):
    msisdn = "9" + rest
    for text in (msisdn, "+7" + msisdn, "8" + msisdn, "7" + msisdn, v.format_msisdn(msisdn)):
        assert v.normalize_msisdn(text) == msisdn


# --- ICCID / Luhn ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payload", "check"),
    [
        ("7992739871", "3"),  # the textbook Luhn example
        ("411111111111111", "1"),  # Visa test card 4111 1111 1111 1111
        ("37828224631000", "5"),  # Amex test card 3782 822463 10005
        ("555555555555444", "4"),  # Mastercard test card 5555 5555 5555 4444
        ("8901410321111851072", "0"),  # the ICCID example used on Wikipedia
        ("0", "0"),
    ],
)
def test_luhn_check_digit_known_values(payload, check):
    assert v.luhn_check_digit(payload) == check


@pytest.mark.parametrize("bad", ["", "12a4", None, 1234, "１２３"])
def test_luhn_check_digit_rejects_non_digits(bad):
    with pytest.raises(ValueError):
        v.luhn_check_digit(bad)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("89014103211118510720", "89014103211118510720"),
        ("8970101234567890123", "8970101234567890123"),  # 19-digit form
        ("  8901 4103 2111 1851 0720 ", "89014103211118510720"),  # grouped as on the SIM carrier
    ],
)
def test_validate_iccid_accepts(text, expected):
    assert v.validate_iccid(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (None, v.ICCID_REQUIRED),
        (" ", v.ICCID_REQUIRED),
        ("89014103211118510721", v.ICCID_CHECKSUM),
        ("89014103211118510702", v.ICCID_CHECKSUM),  # adjacent digits swapped
        ("897010123456789012", v.ICCID_FORMAT),  # 18 digits
        ("890141032111185107200", v.ICCID_FORMAT),  # 21 digits
        ("8901410321111851072F", v.ICCID_FORMAT),
        ("8901-4103-2111-1851-0720", v.ICCID_FORMAT),
    ],
)
def test_validate_iccid_rejects(text, message):
    with raises(message):
        v.validate_iccid(text)


@given(st.one_of(digit_strings(18), digit_strings(19)))
def test_iccid_built_with_luhn_validates(prefix):
    iccid = prefix + v.luhn_check_digit(prefix)
    assert v.validate_iccid(iccid) == iccid


@given(digit_strings(19), st.data())
def test_iccid_any_single_digit_change_is_caught(prefix, data):
    iccid = prefix + v.luhn_check_digit(prefix)
    position = data.draw(st.integers(0, len(iccid) - 1))
    replacement = data.draw(st.sampled_from([d for d in "0123456789" if d != iccid[position]]))
    broken = iccid[:position] + replacement + iccid[position + 1 :]
    with raises(v.ICCID_CHECKSUM):
        v.validate_iccid(broken)


# --- Billing account number -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [("123456789012", "123456789012"), (" 000000000001\t", "000000000001")],
)
def test_validate_billing_account_number_accepts(text, expected):
    assert v.validate_billing_account_number(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (None, v.BAN_REQUIRED),
        ("", v.BAN_REQUIRED),
        ("12345678901", v.BAN_FORMAT),
        ("1234567890123", v.BAN_FORMAT),
        ("12345678901a", v.BAN_FORMAT),
        ("123456 789012", v.BAN_FORMAT),
        ("１２３４５６７８９０１２", v.BAN_FORMAT),  # full-width digits are not ASCII digits
        ("١٢٣٤٥٦٧٨٩٠١٢", v.BAN_FORMAT),  # neither are Arabic-Indic ones
    ],
)
def test_validate_billing_account_number_rejects(text, message):
    with raises(message):
        v.validate_billing_account_number(text)


# --- INN ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "inn",
    [
        "7707083893",  # Sberbank
        "7736207543",  # Yandex
        "7740000076",  # MTS
        "7713076301",  # VimpelCom (Beeline)
        "7812014560",  # MegaFon
        "7707049388",  # Rostelecom
        "500100732259",  # individual, the usual documentation example
    ],
)
def test_validate_inn_accepts_real_numbers(inn):
    assert v.validate_inn(inn) == inn
    assert v.validate_inn(f"  {inn} ") == inn


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (None, v.INN_REQUIRED),
        ("", v.INN_REQUIRED),
        ("7707083894", v.INN_CHECKSUM),
        ("7707083839", v.INN_CHECKSUM),
        ("500100732258", v.INN_CHECKSUM),  # second check digit wrong
        ("500100732269", v.INN_CHECKSUM),  # first check digit wrong
        ("770708389", v.INN_FORMAT),
        ("77070838931", v.INN_FORMAT),  # 11 digits is neither kind
        ("5001007322590", v.INN_FORMAT),
        ("7707O83893", v.INN_FORMAT),  # letter O for zero
        ("7707 083893", v.INN_FORMAT),
        (7707083893, v.NOT_TEXT),
    ],
)
def test_validate_inn_rejects(text, message):
    with raises(message):
        v.validate_inn(text)


@pytest.mark.parametrize(
    ("first", "check"),
    [("770708389", "3"), ("773620754", "3"), ("5001007322", "59")],
)
def test_inn_check_digits_known_values(first, check):
    assert v.inn_check_digits(first) == check


@pytest.mark.parametrize("bad", ["77070838", "77070838931", "77070838a", "", None])
def test_inn_check_digits_rejects_wrong_prefix(bad):
    with pytest.raises(ValueError):
        v.inn_check_digits(bad)


@given(st.one_of(digit_strings(9), digit_strings(10)))
def test_generated_inn_validates_and_only_its_check_digit_does(first):
    inn = first + v.inn_check_digits(first)
    assert v.validate_inn(inn) == inn
    for other in "0123456789":
        if other != inn[-1]:
            with raises(v.INN_CHECKSUM):
                v.validate_inn(inn[:-1] + other)


# --- KPP ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("773601001", "773601001"),  # Sberbank
        ("997750001", "997750001"),  # largest-taxpayer registration
        ("7736AB001", "7736AB001"),
        (" 7736ab001 ", "7736AB001"),
    ],
)
def test_validate_kpp_accepts(text, expected):
    assert v.validate_kpp(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (None, v.KPP_REQUIRED),
        ("", v.KPP_REQUIRED),
        ("77360100", v.KPP_FORMAT),
        ("7736010011", v.KPP_FORMAT),
        ("A73601001", v.KPP_FORMAT),  # letters only allowed in positions 5-6
        ("77360100A", v.KPP_FORMAT),
        ("7736АБ001", v.KPP_FORMAT),  # Cyrillic letters are not allowed
        ("7736-01001", v.KPP_FORMAT),
    ],
)
def test_validate_kpp_rejects(text, message):
    with raises(message):
        v.validate_kpp(text)


# --- OGRN / OGRNIP --------------------------------------------------------------------------


REAL_OGRNS = [
    "1027700132195",  # Sberbank
    "1027700229193",  # Yandex
    "1027700149124",  # MTS
    "1027809169585",  # MegaFon
    "1027700166636",  # VimpelCom (Beeline)
]
REAL_OGRNIPS = ["304500116000157"]  # the usual documentation example


@pytest.mark.parametrize("ogrn", REAL_OGRNS)
def test_validate_ogrn_accepts_real_numbers(ogrn):
    assert v.validate_ogrn(f" {ogrn} ") == ogrn
    assert v.validate_ogrn_any(ogrn) == ogrn


@pytest.mark.parametrize("ogrnip", REAL_OGRNIPS)
def test_validate_ogrnip_accepts_real_numbers(ogrnip):
    assert v.validate_ogrnip(f" {ogrnip} ") == ogrnip
    assert v.validate_ogrn_any(ogrnip) == ogrnip


@pytest.mark.parametrize(
    ("func", "text", "message"),
    [
        (v.validate_ogrn, None, v.OGRN_REQUIRED),
        (v.validate_ogrn, "", v.OGRN_REQUIRED),
        (v.validate_ogrn, "1027700132196", v.OGRN_CHECKSUM),
        (v.validate_ogrn, "102770013219", v.OGRN_FORMAT),
        (v.validate_ogrn, "10277001321950", v.OGRN_FORMAT),
        (v.validate_ogrn, "304500116000157", v.OGRN_FORMAT),  # an OGRNIP is not an OGRN
        (v.validate_ogrn, "102770013219X", v.OGRN_FORMAT),
        (v.validate_ogrnip, None, v.OGRNIP_REQUIRED),
        (v.validate_ogrnip, "304500116000158", v.OGRNIP_CHECKSUM),
        (v.validate_ogrnip, "30450011600015", v.OGRNIP_FORMAT),
        (v.validate_ogrnip, "1027700132195", v.OGRNIP_FORMAT),
        (v.validate_ogrn_any, None, v.OGRN_REQUIRED),
        (v.validate_ogrn_any, "1027700132196", v.OGRN_CHECKSUM),
        (v.validate_ogrn_any, "304500116000158", v.OGRNIP_CHECKSUM),
        (v.validate_ogrn_any, "10277001321950", v.OGRN_ANY_FORMAT),
        (v.validate_ogrn_any, "102770013219", v.OGRN_ANY_FORMAT),
    ],
)
def test_ogrn_validators_reject(func, text, message):
    with raises(message):
        func(text)


def test_ogrn_check_digit_helpers_known_values():
    assert v.ogrn_check_digit("102770013219") == "5"
    assert v.ogrnip_check_digit("30450011600015") == "7"


@pytest.mark.parametrize(
    ("func", "bad"),
    [
        (v.ogrn_check_digit, "10277001321"),
        (v.ogrn_check_digit, "1027700132195"),
        (v.ogrnip_check_digit, "3045001160001"),
        (v.ogrnip_check_digit, "3045001160001x"),
    ],
)
def test_ogrn_check_digit_helpers_reject_wrong_prefix(func, bad):
    with pytest.raises(ValueError):
        func(bad)


@given(digit_strings(12))
def test_generated_ogrn_validates(first12):
    ogrn = first12 + v.ogrn_check_digit(first12)
    assert v.validate_ogrn(ogrn) == ogrn
    assert v.validate_ogrn_any(ogrn) == ogrn


@given(digit_strings(14))
def test_generated_ogrnip_validates(first14):
    ogrnip = first14 + v.ogrnip_check_digit(first14)
    assert v.validate_ogrnip(ogrnip) == ogrnip
    assert v.validate_ogrn_any(ogrnip) == ogrnip


# --- BIK and bank accounts ------------------------------------------------------------------

SBERBANK_BIK = "044525225"
# Yandex LLC's published settlement account at Sberbank: a real, independently issued pair.
YANDEX_ACCOUNT = "40702810438000034726"


@pytest.mark.parametrize(
    ("text", "expected"),
    [(SBERBANK_BIK, SBERBANK_BIK), (" 044525974 ", "044525974"), ("123456789", "123456789")],
)
def test_validate_bik_accepts(text, expected):
    assert v.validate_bik(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (None, v.BIK_REQUIRED),
        ("", v.BIK_REQUIRED),
        ("04452522", v.BIK_FORMAT),
        ("0445252250", v.BIK_FORMAT),
        ("04452522X", v.BIK_FORMAT),
    ],
)
def test_validate_bik_rejects(text, message):
    with raises(message):
        v.validate_bik(text)


@pytest.mark.parametrize(
    ("account", "bik", "expected"),
    [
        (YANDEX_ACCOUNT, SBERBANK_BIK, YANDEX_ACCOUNT),
        ("4070 2810 4380 0003 4726", f" {SBERBANK_BIK} ", YANDEX_ACCOUNT),
        (" 40702810438000034726\n", SBERBANK_BIK, YANDEX_ACCOUNT),
    ],
)
def test_validate_bank_account_accepts(account, bik, expected):
    assert v.validate_bank_account(account, bik) == expected


@pytest.mark.parametrize(
    ("account", "bik", "message"),
    [
        (None, SBERBANK_BIK, v.ACCOUNT_REQUIRED),
        ("", SBERBANK_BIK, v.ACCOUNT_REQUIRED),
        ("40702810438000034727", SBERBANK_BIK, v.ACCOUNT_CHECKSUM),
        (YANDEX_ACCOUNT, "044525974", v.ACCOUNT_CHECKSUM),  # same account, another bank
        ("4070281043800003472", SBERBANK_BIK, v.ACCOUNT_FORMAT),
        ("407028104380000347260", SBERBANK_BIK, v.ACCOUNT_FORMAT),
        ("4070281043800003472X", SBERBANK_BIK, v.ACCOUNT_FORMAT),
        (YANDEX_ACCOUNT, None, v.BIK_REQUIRED),
        (YANDEX_ACCOUNT, "04452522", v.BIK_FORMAT),
    ],
)
def test_validate_bank_account_rejects(account, bik, message):
    with raises(message):
        v.validate_bank_account(account, bik)


@pytest.mark.parametrize(
    ("account", "bik", "ok"),
    [
        (YANDEX_ACCOUNT, SBERBANK_BIK, True),
        ("40702810538000034726", SBERBANK_BIK, False),
        (YANDEX_ACCOUNT, "04452522", False),
        ("4070281043800003472", SBERBANK_BIK, False),
        (None, SBERBANK_BIK, False),
        (YANDEX_ACCOUNT, None, False),
    ],
)
def test_bank_account_key_ok(account, bik, ok):
    assert v.bank_account_key_ok(account, bik) is ok


def test_make_bank_account_rebuilds_a_real_key():
    placeholder = YANDEX_ACCOUNT[:8] + "0" + YANDEX_ACCOUNT[9:]
    assert v.bank_account_key_digit(placeholder, SBERBANK_BIK) == YANDEX_ACCOUNT[8]
    assert v.make_bank_account(placeholder, SBERBANK_BIK) == YANDEX_ACCOUNT


@pytest.mark.parametrize(
    ("account", "bik"),
    [("4070281043800003472", SBERBANK_BIK), (YANDEX_ACCOUNT, "04452522"), (None, SBERBANK_BIK)],
)
def test_make_bank_account_rejects_malformed_input(account, bik):
    with pytest.raises(ValueError):
        v.make_bank_account(account, bik)


@given(digit_strings(20), digit_strings(9), st.data())
def test_generated_bank_account_validates_and_catches_any_single_digit_change(account, bik, data):
    account = v.make_bank_account(account, bik)
    assert v.validate_bank_account(account, bik) == account
    # Weights 7, 1 and 3 are all coprime with 10, so every single-digit change moves the sum.
    position = data.draw(st.integers(0, 19))
    replacement = data.draw(st.sampled_from([d for d in "0123456789" if d != account[position]]))
    broken = account[:position] + replacement + account[position + 1 :]
    assert not v.bank_account_key_ok(broken, bik)


# --- Cross-cutting ----------------------------------------------------------------------------

SINGLE_ARGUMENT_VALIDATORS = [
    v.normalize_msisdn,
    v.validate_iccid,
    v.validate_billing_account_number,
    v.validate_inn,
    v.validate_kpp,
    v.validate_ogrn,
    v.validate_ogrnip,
    v.validate_ogrn_any,
    v.validate_bik,
]


@pytest.mark.parametrize("func", SINGLE_ARGUMENT_VALIDATORS)
@given(text=st.text(max_size=40))
def test_validators_only_ever_raise_validation_error(func, text):
    try:
        result = func(text)
    except ValidationError as exc:
        assert exc.message == str(exc)
    else:
        assert result == result.strip() and result


@given(account=st.text(max_size=30), bik=st.text(max_size=12))
def test_validate_bank_account_only_ever_raises_validation_error(account, bik):
    # Anything but ValidationError (TypeError, IndexError, ...) escapes and fails the test.
    with contextlib.suppress(ValidationError):
        v.validate_bank_account(account, bik)


def test_message_constants_are_sentences():
    messages = {
        name: value
        for name, value in vars(v).items()
        if name.isupper() and isinstance(value, str) and not name.startswith("_")
    }
    assert len(messages) >= 25
    for name, value in messages.items():
        assert value[0].isupper() and value.endswith("."), name


def test_validation_error_is_a_value_error():
    assert issubclass(ValidationError, ValueError)
    assert ValidationError(v.INN_FORMAT).message == v.INN_FORMAT
