"""Validate and normalise Russian business identifiers (MSISDN, ICCID, INN, OGRN, bank details).

Pure functions with no Flask imports, so forms, the JSON API, CLI imports and demo-data
generators all share one definition of "valid". Every ``validate_*`` / ``normalize_*``
function strips surrounding whitespace, returns the normalised value and raises
:class:`ValidationError` with one of the message constants below on bad input.
"""

import re

import phonenumbers


def N_(message: str) -> str:
    """Mark a message for translation extraction without translating it here (no Flask here)."""
    # Babel's extractor knows the ``N_`` keyword by default; the web layer translates at display
    # time with ``gettext(error.message)`` so the user's locale is applied, not the import-time one.
    return message


# --- Messages (English source strings; translated by the web layer) -------------------------

NOT_TEXT = N_("Value must be text.")

MSISDN_REQUIRED = N_("Phone number is required.")
MSISDN_BAD_CHARACTERS = N_(
    "Phone number may contain only digits, spaces, brackets, dashes and a leading +."
)
MSISDN_UNREADABLE = N_("Phone number could not be read.")
MSISDN_NOT_RUSSIAN = N_("Only Russian (+7) phone numbers are supported.")
MSISDN_WRONG_LENGTH = N_("Russian phone number must have 10 digits after +7.")
MSISDN_NOT_MOBILE = N_("Phone number must be a Russian mobile number starting with +7 9.")

ICCID_REQUIRED = N_("ICCID is required.")
ICCID_FORMAT = N_("ICCID must be 19 or 20 digits.")
ICCID_CHECKSUM = N_("ICCID check digit is wrong.")

BAN_REQUIRED = N_("Billing account number is required.")
BAN_FORMAT = N_("Billing account number must be 12 digits.")

INN_REQUIRED = N_("INN is required.")
INN_FORMAT = N_("INN must be 10 digits (company) or 12 digits (sole proprietor).")
INN_CHECKSUM = N_("INN check digit is wrong.")

KPP_REQUIRED = N_("KPP is required.")
KPP_FORMAT = N_(
    "KPP must be 9 characters: 4 digits, 2 digits or capital Latin letters, then 3 digits."
)

OGRN_REQUIRED = N_("OGRN is required.")
OGRN_FORMAT = N_("OGRN must be 13 digits.")
OGRN_CHECKSUM = N_("OGRN check digit is wrong.")
OGRNIP_REQUIRED = N_("OGRNIP is required.")
OGRNIP_FORMAT = N_("OGRNIP must be 15 digits.")
OGRNIP_CHECKSUM = N_("OGRNIP check digit is wrong.")
OGRN_ANY_FORMAT = N_("OGRN must be 13 digits (company) or OGRNIP 15 digits (sole proprietor).")

BIK_REQUIRED = N_("BIK is required.")
BIK_FORMAT = N_("BIK must be 9 digits.")

ACCOUNT_REQUIRED = N_("Bank account number is required.")
ACCOUNT_FORMAT = N_("Bank account number must be 20 digits.")
ACCOUNT_CHECKSUM = N_("Bank account number does not match the BIK (control digit is wrong).")
CORR_ACCOUNT_FORMAT = N_("A correspondent account has 20 digits starting with 301.")


class ValidationError(ValueError):
    """Raised when a value is not a valid identifier; ``message`` is an untranslated constant."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# --- Shared helpers ---------------------------------------------------------------------------

# Explicit [0-9] rather than \d / str.isdigit(): those accept Arabic-Indic, full-width and
# superscript digits, which would slip past the length checks and break int() or storage.
_DIGITS = re.compile(r"[0-9]+")
_WHITESPACE = re.compile(r"\s+")


def _clean(text, required_message: str, *, drop_inner_spaces: bool = False) -> str:
    """Strip input and reject None/empty/non-text with a clear message."""
    if text is None:
        raise ValidationError(required_message)
    if not isinstance(text, str):
        raise ValidationError(NOT_TEXT)
    text = text.strip()
    if drop_inner_spaces:
        text = _WHITESPACE.sub("", text)
    if not text:
        raise ValidationError(required_message)
    return text


def _is_digits(text: str, *lengths: int) -> bool:
    return len(text) in lengths and _DIGITS.fullmatch(text) is not None


def _require_digits(digits: str, *lengths: int) -> None:
    """Guard for the generator helpers: programmer errors, so a plain ValueError."""
    if not isinstance(digits, str) or not _is_digits(digits, *lengths):
        wanted = " or ".join(str(n) for n in lengths)
        raise ValueError(f"expected a string of {wanted} ASCII digits, got {digits!r}")


def _weighted_check(digits: str, weights: tuple[int, ...]) -> str:
    """Tax-service style check digit: weighted sum % 11 % 10."""
    return str(sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11 % 10)


# --- MSISDN (mobile numbers) --------------------------------------------------------------------

# Only what people actually type around a phone number; letters are refused up front because
# phonenumbers would otherwise silently map vanity letters ("CALL") to keypad digits.
_MSISDN_ALLOWED = re.compile(r"\+?[0-9\s()\-.]+")
# Far above any real formatting, keeps pathological input away from the parser.
_MSISDN_MAX_INPUT = 40


def normalize_msisdn(text) -> str:
    """Parse a Russian mobile number in any common notation; return 10 digits ("9161234567")."""
    text = _clean(text, MSISDN_REQUIRED)
    if len(text) > _MSISDN_MAX_INPUT or not _MSISDN_ALLOWED.fullmatch(text):
        raise ValidationError(MSISDN_BAD_CHARACTERS)
    try:
        # Region "RU" lets phonenumbers handle the domestic trunk prefix 8 and bare 10-digit input.
        number = phonenumbers.parse(text, "RU")
    except phonenumbers.NumberParseException as exc:
        raise ValidationError(MSISDN_UNREADABLE) from exc
    if number.country_code != 7:
        raise ValidationError(MSISDN_NOT_RUSSIAN)
    # A national number with leading zeros would lose them in national_number (an int).
    if number.italian_leading_zero:
        raise ValidationError(MSISDN_NOT_MOBILE)
    national = str(number.national_number)
    if len(national) != 10:
        raise ValidationError(MSISDN_WRONG_LENGTH)
    # +7 9XX is the Russian mobile range; this also excludes landlines (+7 495 ...) and
    # Kazakhstan, which shares country code 7 but uses +7 6XX/7XX.
    if not national.startswith("9"):
        raise ValidationError(MSISDN_NOT_MOBILE)
    return national


def format_msisdn(msisdn10: str) -> str:
    """Render a stored 10-digit MSISDN for display as "+7 916 123-45-67"."""
    if not (isinstance(msisdn10, str) and _is_digits(msisdn10, 10) and msisdn10.startswith("9")):
        # Fall back to full parsing so any accepted notation still formats; raises on garbage.
        msisdn10 = normalize_msisdn(msisdn10)
    d = msisdn10
    return f"+7 {d[0:3]} {d[3:6]}-{d[6:8]}-{d[8:10]}"


# --- ICCID (SIM card serial) ------------------------------------------------------------------


def luhn_check_digit(digits: str) -> str:
    """Return the Luhn check digit for ``digits`` (used to build valid ICCIDs for demo data)."""
    if not isinstance(digits, str) or not _DIGITS.fullmatch(digits):
        raise ValueError(f"expected a non-empty string of ASCII digits, got {digits!r}")
    total = 0
    # Walking right to left, the digit next to the (future) check digit is doubled first.
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def validate_iccid(text) -> str:
    """Validate a SIM ICCID (19–20 digits with a Luhn check digit); spaces anywhere are ignored."""
    # ICCIDs are printed on SIM carriers in groups of 4–5 digits, so inner spaces are common.
    iccid = _clean(text, ICCID_REQUIRED, drop_inner_spaces=True)
    if not _is_digits(iccid, 19, 20):
        raise ValidationError(ICCID_FORMAT)
    if luhn_check_digit(iccid[:-1]) != iccid[-1]:
        raise ValidationError(ICCID_CHECKSUM)
    return iccid


# --- Operator billing account -------------------------------------------------------------------


def validate_billing_account_number(text) -> str:
    """Validate an operator billing account number (exactly 12 digits)."""
    ban = _clean(text, BAN_REQUIRED)
    if not _is_digits(ban, 12):
        raise ValidationError(BAN_FORMAT)
    return ban


# --- INN (taxpayer number) ----------------------------------------------------------------------

_INN10_WEIGHTS = (2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12_WEIGHTS_1 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12_WEIGHTS_2 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)


def inn_check_digits(first_digits: str) -> str:
    """Return INN check digit(s): 1 for a 9-digit company prefix, 2 for a 10-digit personal one."""
    _require_digits(first_digits, 9, 10)
    if len(first_digits) == 9:
        return _weighted_check(first_digits, _INN10_WEIGHTS)
    first = _weighted_check(first_digits, _INN12_WEIGHTS_1)
    second = _weighted_check(first_digits + first, _INN12_WEIGHTS_2)
    return first + second


def validate_inn(text) -> str:
    """Validate an INN: 10 digits for a legal entity or 12 for an individual, with check digits."""
    inn = _clean(text, INN_REQUIRED)
    if not _is_digits(inn, 10, 12):
        raise ValidationError(INN_FORMAT)
    body_length = 9 if len(inn) == 10 else 10
    if inn_check_digits(inn[:body_length]) != inn[body_length:]:
        raise ValidationError(INN_CHECKSUM)
    return inn


# --- KPP (tax registration reason code) ---------------------------------------------------------

# Positions 5–6 are the reason code, which the Tax Service allows to be Latin capitals.
_KPP = re.compile(r"[0-9]{4}[0-9A-Z]{2}[0-9]{3}")


def validate_kpp(text) -> str:
    """Validate a KPP (9 characters; positions 5–6 may be Latin capitals), upper-cased."""
    kpp = _clean(text, KPP_REQUIRED).upper()
    if not _KPP.fullmatch(kpp):
        raise ValidationError(KPP_FORMAT)
    return kpp


# --- OGRN / OGRNIP (state registration numbers) -------------------------------------------------


def ogrn_check_digit(first12: str) -> str:
    """Return the OGRN check digit for its first 12 digits (int % 11 % 10)."""
    _require_digits(first12, 12)
    return str(int(first12) % 11 % 10)


def ogrnip_check_digit(first14: str) -> str:
    """Return the OGRNIP check digit for its first 14 digits (int % 13 % 10)."""
    _require_digits(first14, 14)
    return str(int(first14) % 13 % 10)


def validate_ogrn(text) -> str:
    """Validate a company OGRN (13 digits with check digit)."""
    ogrn = _clean(text, OGRN_REQUIRED)
    if not _is_digits(ogrn, 13):
        raise ValidationError(OGRN_FORMAT)
    if ogrn_check_digit(ogrn[:12]) != ogrn[12]:
        raise ValidationError(OGRN_CHECKSUM)
    return ogrn


def validate_ogrnip(text) -> str:
    """Validate a sole proprietor's OGRNIP (15 digits with check digit)."""
    ogrnip = _clean(text, OGRNIP_REQUIRED)
    if not _is_digits(ogrnip, 15):
        raise ValidationError(OGRNIP_FORMAT)
    if ogrnip_check_digit(ogrnip[:14]) != ogrnip[14]:
        raise ValidationError(OGRNIP_CHECKSUM)
    return ogrnip


def validate_ogrn_any(text) -> str:
    """Validate either an OGRN (13 digits) or an OGRNIP (15 digits), chosen by length."""
    value = _clean(text, OGRN_REQUIRED)
    if _is_digits(value, 13):
        return validate_ogrn(value)
    if _is_digits(value, 15):
        return validate_ogrnip(value)
    raise ValidationError(OGRN_ANY_FORMAT)


# --- Bank details -----------------------------------------------------------------------------


def validate_bik(text) -> str:
    """Validate a bank BIK (9 digits; the usual "04" prefix is not required)."""
    bik = _clean(text, BIK_REQUIRED)
    if not _is_digits(bik, 9):
        raise ValidationError(BIK_FORMAT)
    return bik


# Central Bank control-key algorithm: weights 7,1,3 repeated over BIK[-3:] + account (23 digits).
_ACCOUNT_WEIGHTS = (7, 1, 3) * 8
_ACCOUNT_KEY_INDEX = 8  # the 9th digit of the 20-digit account is the control key


def _account_sum(account: str, bik: str) -> int:
    return sum(
        int(d) * w % 10 for d, w in zip(bik[-3:] + account, _ACCOUNT_WEIGHTS[:23], strict=True)
    )


def bank_account_key_ok(account: str, bik: str) -> bool:
    """Return True if a 20-digit settlement account's control key matches the bank's BIK."""
    # Only for accounts held at a credit institution; accounts at a Bank of Russia branch
    # use a different 3-digit prefix, which corporate customers of the portal never have.
    if not (isinstance(account, str) and isinstance(bik, str)):
        return False
    if not (_is_digits(account, 20) and _is_digits(bik, 9)):
        return False
    return _account_sum(account, bik) % 10 == 0


def bank_account_key_digit(account: str, bik: str) -> str:
    """Return the control key (9th digit) a 20-digit account needs at ``bik``, ignoring its own."""
    _require_digits(account, 20)
    _require_digits(bik, 9)
    zeroed = account[:_ACCOUNT_KEY_INDEX] + "0" + account[_ACCOUNT_KEY_INDEX + 1 :]
    # The key sits under weight 3, so it must satisfy 3k ≡ -sum (mod 10); since 3 * 7 ≡ 1,
    # k ≡ -7 * sum ≡ 3 * sum (mod 10), which is the CB instruction's "lowest digit of sum, times 3".
    return str(_account_sum(zeroed, bik) % 10 * 3 % 10)


def make_bank_account(account: str, bik: str) -> str:
    """Return a 20-digit ``account`` with its 9th digit set to the right key (for demo data)."""
    key = bank_account_key_digit(account, bik)
    return account[:_ACCOUNT_KEY_INDEX] + key + account[_ACCOUNT_KEY_INDEX + 1 :]


def validate_correspondent_account(account) -> str:
    """A bank's correspondent account: 20 digits starting with 301; spaces are ignored."""
    digits = re.sub(r"\s", "", str(account or ""))
    if not re.fullmatch(r"301[0-9]{17}", digits):
        raise ValidationError(CORR_ACCOUNT_FORMAT)
    return digits


def validate_bank_account(account, bik) -> str:
    """Validate a 20-digit settlement account against its bank's BIK; inner spaces are ignored."""
    # Account numbers are commonly written in groups ("4070 2810 ..."), so inner spaces are dropped.
    account = _clean(account, ACCOUNT_REQUIRED, drop_inner_spaces=True)
    if not _is_digits(account, 20):
        raise ValidationError(ACCOUNT_FORMAT)
    bik = validate_bik(bik)
    if not bank_account_key_ok(account, bik):
        raise ValidationError(ACCOUNT_CHECKSUM)
    return account
