"""Rating: what a line's usage and fees cost in one month, by the tariff in force at the time.

Pure functions on plain values (no database), so the rules are checked by hand in tests and
the same code rates the demo's usage, the month close and the tariff advice.

The rules of the embedded operator:
- a month is split into segments by tariff changes (and starts at the line's activation);
  each segment gets its tariff's monthly fee and included package pro-rated by days
  (fee rounded to kopecks, package rounded down to whole units);
- home usage consumes the segment's package first, then is charged per unit: outgoing calls
  per started minute, outgoing SMS per message, data per started megabyte of each session;
  a record that crosses the package boundary is split (the remainder is charged);
  incoming calls and SMS at home are free;
- roaming usage (a country other than RU) never uses the package: calls (both directions)
  per started minute, outgoing SMS and data per started megabyte at the country's prices;
- services: monthly fees pro-rated by the days the service was connected in the month,
  one-off fees in the month of connection.
"""

import calendar
import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from corp.billing.money import kopecks

HOME = "RU"
CHARGE_KINDS = ("tariff_fee", "service_fee", "one_off_fee", "calls", "sms", "data", "roaming")

# Roaming prices per country (per minute, per SMS, per MB), ₽ with VAT; "*" for the rest
# of the world. The setting ``BILLING_ROAMING_PRICES`` may replace it.
DEFAULT_ROAMING_PRICES = {
    "BY": ("9.00", "5.00", "3.00"),
    "KZ": ("19.00", "9.00", "15.00"),
    "TR": ("49.00", "19.00", "120.00"),
    "AE": ("79.00", "25.00", "250.00"),
    "*": ("99.00", "29.00", "350.00"),
}


@dataclass(frozen=True)
class Terms:
    """A tariff's terms: monthly fee, included package and per-unit prices (₽ with VAT)."""

    code: str
    monthly_fee: Decimal
    minutes: int
    sms: int
    mb: int
    minute_price: Decimal
    sms_price: Decimal
    mb_price: Decimal
    name: str = ""


@dataclass(frozen=True)
class Segment:
    """Part of a month under one tariff: ``start`` inclusive, ``end`` exclusive."""

    start: date
    end: date
    terms: Terms


@dataclass(frozen=True)
class Usage:
    """One usage record as the operator's switch reports it."""

    occurred_at: datetime
    kind: str  # call | sms | data
    quantity: int  # seconds | messages | kilobytes
    direction: str = "out"  # out | in
    country: str | None = None  # None or "RU" = at home


@dataclass
class Rated:
    """What one record cost and how much of it the package covered."""

    amount: Decimal
    units: int  # minutes | messages | megabytes
    from_package: int
    roaming: bool


@dataclass
class MonthCharges:
    """A line's charges for one month by kind, and the rated records."""

    by_kind: dict = field(default_factory=lambda: dict.fromkeys(CHARGE_KINDS, Decimal("0.00")))
    rated: list = field(default_factory=list)
    package_used: dict = field(default_factory=lambda: {"minutes": 0, "sms": 0, "mb": 0})
    totals: dict = field(default_factory=lambda: {"minutes": 0, "sms": 0, "mb": 0})

    @property
    def total(self) -> Decimal:
        return sum(self.by_kind.values(), Decimal("0.00"))


def parse_period(period: str) -> tuple[date, date]:
    """("YYYY-MM") → (first day, first day of the next month)."""
    try:
        year, month = (int(x) for x in period.split("-"))
        start = date(year, month, 1)
    except (ValueError, TypeError) as error:
        raise ValueError(f"bad period {period!r}") from error
    return start, next_month(start)


def next_month(day: date) -> date:
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def period_of(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def days_in_month(day: date) -> int:
    return calendar.monthrange(day.year, day.month)[1]


def segments_for(period: str, changes: list[tuple[datetime | date, Terms]], start_terms: Terms,
                 active_from: date | None = None, active_until: date | None = None
                 ) -> list[Segment]:
    """The month's tariff segments: ``start_terms`` at the month's start, then each
    ``(when, new terms)`` change inside the month from its day on; clipped to the days the
    line was in service (``active_from`` inclusive, ``active_until`` exclusive)."""
    start, end = parse_period(period)
    lo = max(start, active_from or start)
    hi = min(end, active_until or end)
    if lo >= hi:
        return []
    points = [(start, start_terms)]
    for when, terms in sorted(changes, key=lambda c: c[0]):
        day = when.date() if isinstance(when, datetime) else when
        if day < start:
            points = [(start, terms)]
        elif day < end:
            points.append((day, terms))
    segments = []
    for i, (day, terms) in enumerate(points):
        seg_end = points[i + 1][0] if i + 1 < len(points) else end
        a, b = max(day, lo), min(seg_end, hi)
        if a < b:
            segments.append(Segment(a, b, terms))
    return segments


def _share(segment: Segment) -> tuple[int, int]:
    return (segment.end - segment.start).days, days_in_month(segment.start)


def segment_fee(segment: Segment) -> Decimal:
    """The tariff's monthly fee for the segment's days."""
    days, month_days = _share(segment)
    if days == month_days:
        return kopecks(segment.terms.monthly_fee)
    return kopecks(segment.terms.monthly_fee * days / month_days)


def segment_package(segment: Segment) -> dict:
    """The segment's included package, pro-rated and rounded down to whole units."""
    days, month_days = _share(segment)
    terms = segment.terms
    return {"minutes": terms.minutes * days // month_days, "sms": terms.sms * days // month_days,
            "mb": terms.mb * days // month_days}


def _segment_at(segments: list[Segment], when: datetime) -> int | None:
    day = when.date()
    for i, segment in enumerate(segments):
        if segment.start <= day < segment.end:
            return i
    return None


def roaming_prices(table: dict | None, country: str) -> tuple[Decimal, Decimal, Decimal]:
    table = table or DEFAULT_ROAMING_PRICES
    raw = table.get(country) or table["*"]
    return tuple(Decimal(x) for x in raw)


def units_of(record: Usage) -> int:
    """Billable units: started minutes, messages, started megabytes."""
    if record.kind == "call":
        return math.ceil(record.quantity / 60) if record.quantity > 0 else 0
    if record.kind == "data":
        return math.ceil(record.quantity / 1024) if record.quantity > 0 else 0
    return record.quantity


def rate_month(period: str, segments: list[Segment], records: list[Usage],
               services: list[tuple] = (), roaming_table: dict | None = None) -> MonthCharges:
    """A line's month: tariff fees, service fees and every record rated in time order.

    ``services`` are ``(monthly_fee, one_off_fee, connected_on, disconnected_on | None)``.
    Usage outside every segment (before activation) is charged at the first segment's
    per-unit prices without a package (it does not happen in normal operation).
    """
    out = MonthCharges()
    start, end = parse_period(period)
    for segment in segments:
        out.by_kind["tariff_fee"] += segment_fee(segment)
    packages = [segment_package(s) for s in segments]
    for monthly, one_off, connected_on, disconnected_on in services:
        out.by_kind["service_fee"] += service_fee(period, monthly, connected_on, disconnected_on)
        if one_off and start <= connected_on < end:
            out.by_kind["one_off_fee"] += kopecks(one_off)
    for record in sorted(records, key=lambda r: r.occurred_at):
        rated = _rate_record(record, segments, packages, roaming_table)
        out.rated.append(rated)
        key = {"call": "minutes", "sms": "sms", "data": "mb"}[record.kind]
        out.totals[key] += rated.units
        out.package_used[key] += rated.from_package
        if rated.roaming:
            out.by_kind["roaming"] += rated.amount
        else:
            out.by_kind[{"call": "calls", "sms": "sms", "data": "data"}[record.kind]] += (
                rated.amount)
    return out


def _rate_record(record: Usage, segments, packages, roaming_table) -> Rated:
    units = units_of(record)
    roaming = bool(record.country) and record.country != HOME
    if roaming:
        minute, sms, mb = roaming_prices(roaming_table, record.country)
        if record.kind == "call":
            return Rated(kopecks(minute * units), units, 0, True)
        if record.kind == "sms":
            price = sms if record.direction == "out" else Decimal(0)
            return Rated(kopecks(price * units), units, 0, True)
        return Rated(kopecks(mb * units), units, 0, True)
    if record.kind in ("call", "sms") and record.direction != "out":
        return Rated(Decimal("0.00"), units, 0, False)
    index = _segment_at(segments, record.occurred_at)
    if index is None:
        if not segments:
            return Rated(Decimal("0.00"), units, 0, False)
        index, package = 0, {"minutes": 0, "sms": 0, "mb": 0}
    else:
        package = packages[index]
    terms = segments[index].terms
    key, price = {"call": ("minutes", terms.minute_price), "sms": ("sms", terms.sms_price),
                  "data": ("mb", terms.mb_price)}[record.kind]
    covered = min(units, package[key])
    package[key] -= covered
    return Rated(kopecks(price * (units - covered)), units, covered, False)


def service_fee(period: str, monthly: Decimal, connected_on: date,
                disconnected_on: date | None = None) -> Decimal:
    """A service's monthly fee for the days it was connected in the month."""
    start, end = parse_period(period)
    lo = max(start, connected_on)
    hi = min(end, disconnected_on or end)
    if not monthly or lo >= hi:
        return Decimal("0.00")
    days, month_days = (hi - lo).days, days_in_month(start)
    if days == month_days:
        return kopecks(monthly)
    return kopecks(Decimal(monthly) * days / month_days)


def month_days(period: str):
    """Every day of the month (for generators and tests)."""
    start, end = parse_period(period)
    day = start
    while day < end:
        yield day
        day += timedelta(days=1)
