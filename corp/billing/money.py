"""Money as the documents show it: Decimal rounded to kopecks, VAT by the dated rate, words.

Prices of the operator's catalogue include VAT (as a subscriber sees them); a document
line's VAT is extracted from its gross amount and rounded to kopecks, its net amount is
the gross minus that VAT, so net + VAT = gross on every line and the document's totals are
the sums of its lines, exactly.
"""

from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from flask import current_app

KOPECK = Decimal("0.01")

# Federal Law No. 425-FZ of 28.11.2025: 22 % from 01.01.2026 (20 % before). The setting
# ``VAT_RATES`` may replace this list: (first day, rate in percent), in any order.
DEFAULT_VAT_RATES = (("2019-01-01", "20"), ("2026-01-01", "22"))


def kopecks(value) -> Decimal:
    """Round to kopecks, half up (as the documents print it)."""
    return Decimal(value).quantize(KOPECK, rounding=ROUND_HALF_UP)


def vat_rates() -> list[tuple[date, Decimal]]:
    """The dated VAT rates in force, oldest first."""
    raw = current_app.config.get("VAT_RATES") or DEFAULT_VAT_RATES
    rates = sorted((date.fromisoformat(str(d)), Decimal(str(r))) for d, r in raw)
    return rates


def vat_rate_on(day: date) -> Decimal:
    """The VAT rate (percent) in force on ``day``."""
    current = None
    for start, rate in vat_rates():
        if start <= day:
            current = rate
    if current is None:
        raise ValueError(f"no VAT rate configured for {day}")
    return current


def vat_in_gross(gross: Decimal, rate: Decimal) -> Decimal:
    """The VAT contained in a gross (VAT-inclusive) amount, rounded to kopecks."""
    return kopecks(Decimal(gross) * rate / (Decimal(100) + rate))


def split_gross(gross: Decimal, rate: Decimal) -> tuple[Decimal, Decimal]:
    """(net, VAT) of a gross amount: net + VAT == gross exactly."""
    gross = kopecks(gross)
    vat = vat_in_gross(gross, rate)
    return gross - vat, vat


def amount_in_words(amount: Decimal, lang: str = "ru") -> str:
    """«Одна тысяча двести рублей 50 копеек» — the amount in words for the documents."""
    # Imported on first use: num2words loads the converters of all its ~50 languages, and
    # only printed documents need an amount in words.
    from num2words import num2words

    amount = kopecks(amount)
    words = num2words(amount, lang=lang, to="currency", currency="RUB")
    return words[:1].upper() + words[1:]


def format_money(amount, locale: str = "ru") -> str:
    """``1 234,56 ₽`` in Russian, ``1,234.56 ₽`` otherwise."""
    amount = kopecks(amount or 0)
    sign = "-" if amount < 0 else ""
    whole, frac = f"{abs(amount):.2f}".split(".")
    groups = f"{int(whole):,}"
    nbsp = "\u00a0"
    if locale.startswith("ru"):
        return sign + groups.replace(",", nbsp) + "," + frac + nbsp + "₽"
    return sign + groups + "." + frac + nbsp + "₽"
