"""A company's charges for one month, read from what the operator knows: the lines, their
tariff history (done tariff changes), their services, and the usage records it rated.

Usage records are rated when they arrive (``rate_line_month``); the month's charges sum
their amounts in SQL and add the fees computed by ``corp.billing.rating``.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from flask import current_app, g
from sqlalchemy import and_, case, delete, func, insert, select

from core.extensions import db
from corp.billing import rating
from corp.billing.rating import Terms, Usage
from corp.models import Line, LineMonthlyUsage, LineService, Service, Tariff, UsageRecord
from corp.operations.models import Operation


def terms_of(tariff: Tariff) -> Terms:
    """A tariff row as rating terms."""
    return Terms(code=tariff.code, name=tariff.name, monthly_fee=Decimal(tariff.monthly_fee),
                 minutes=tariff.included_minutes, sms=tariff.included_sms, mb=tariff.included_mb,
                 minute_price=Decimal(tariff.minute_price or 0),
                 sms_price=Decimal(tariff.sms_price or 0), mb_price=Decimal(tariff.mb_price or 0))


def catalogue_terms() -> dict[str, Terms]:
    """Every tariff's terms by code."""
    return {t.code: terms_of(t) for t in db.session.scalars(select(Tariff))}


def roaming_table() -> dict:
    return current_app.config.get("BILLING_ROAMING_PRICES") or rating.DEFAULT_ROAMING_PRICES


def _utc(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


@dataclass
class LineHistory:
    """What decides a line's fees in a month besides its current state."""

    start_code: str | None = None
    changes: list = None  # [(datetime, code)] inside the month
    terminated_on: date | None = None
    removed_services: list = None  # [(service_code, date)] inside the month


def histories(line_ids, period: str) -> dict[int, LineHistory]:
    """Done tariff changes, permanent blocks and service removals from the month's start on."""
    start, end = rating.parse_period(period)
    result: dict[int, LineHistory] = defaultdict(lambda: LineHistory(None, [], None, []))
    if not line_ids:
        return result
    rows = db.session.execute(
        select(Operation.line_id, Operation.type, Operation.finished_at, Operation.before,
               Operation.after, Operation.params)
        .where(Operation.line_id.in_(line_ids), Operation.status == "done",
               Operation.type.in_(("tariff_change", "block", "service_remove")),
               Operation.finished_at >= _utc(start))
        .order_by(Operation.finished_at, Operation.id)
    ).all()
    for line_id, kind, finished, before, after, params in rows:
        history = result[line_id]
        day = finished.date()
        if kind == "tariff_change":
            if history.start_code is None:
                history.start_code = (before or {}).get("tariff")
            if day < end:
                history.changes.append((finished, (after or {}).get("tariff")))
        elif kind == "block" and (params or {}).get("kind") == "permanent":
            history.terminated_on = day
        elif kind == "service_remove" and day < end:
            history.removed_services.append(((params or {}).get("service_code"), day))
    return result


def _services_by_line(line_ids) -> dict[int, list]:
    rows = db.session.execute(
        select(LineService.line_id, LineService.connected_at, Service.code, Service.monthly_fee,
               Service.one_off_fee)
        .join(Service, Service.id == LineService.service_id)
        .where(LineService.line_id.in_(line_ids))
    ).all()
    out = defaultdict(list)
    for line_id, connected_at, code, monthly, one_off in rows:
        out[line_id].append((code, Decimal(monthly), Decimal(one_off), connected_at.date()))
    return out


def _usage_sums(line_ids, period: str) -> dict[int, dict]:
    """Per line: amounts by kind (roaming apart) and units, summed in SQL."""
    start, end = rating.parse_period(period)
    roaming = and_(UsageRecord.country.isnot(None), UsageRecord.country != rating.HOME)
    kind = case((roaming, "roaming"), else_=UsageRecord.kind)
    units = case(
        (UsageRecord.kind == "call", (UsageRecord.quantity + 59) / 60),
        (UsageRecord.kind == "data", (UsageRecord.quantity + 1023) / 1024),
        else_=UsageRecord.quantity)
    rows = db.session.execute(
        select(UsageRecord.line_id, kind, UsageRecord.kind, func.sum(UsageRecord.amount),
               func.sum(units), func.count())
        .where(UsageRecord.line_id.in_(line_ids), UsageRecord.occurred_at >= _utc(start),
               UsageRecord.occurred_at < _utc(end))
        .group_by(UsageRecord.line_id, kind, UsageRecord.kind)
    ).all()
    out = defaultdict(lambda: {"calls": Decimal("0.00"), "sms": Decimal("0.00"),
                               "data": Decimal("0.00"), "roaming": Decimal("0.00"),
                               "minutes": 0, "sms_count": 0, "mb": 0, "usage_count": 0})
    names = {"call": "calls", "sms": "sms", "data": "data", "roaming": "roaming"}
    unit_names = {"call": "minutes", "sms": "sms_count", "data": "mb"}
    for line_id, charge_kind, usage_kind, amount, unit_sum, count in rows:
        sums = out[line_id]
        sums[names[charge_kind]] += Decimal(amount or 0)
        sums[unit_names[usage_kind]] += int(unit_sum or 0)
        sums["usage_count"] += int(count)
    return out


def line_segments(line, period: str, history: LineHistory, terms: dict[str, Terms],
                  current_code: str, cut: date | None = None) -> list[rating.Segment]:
    """The line's tariff segments of the month (ending before ``cut`` if given)."""
    start_code = history.start_code or current_code
    changes = [(when, terms[code]) for when, code in history.changes if code in terms]
    until = history.terminated_on
    if line.status == "terminated" and until is None:
        until = line.activated_on  # terminated before the operator kept its history
    if cut is not None:
        until = min(until, cut) if until is not None else cut
    return rating.segments_for(period, changes, terms.get(start_code, terms[current_code]),
                               active_from=line.activated_on, active_until=until)


def month_charges(line_rows, period: str, until: date | None = None) -> dict[int, dict]:
    """Per line (rows with id, status, activated_on, tariff_id): charges by kind, total, units.

    Amounts are ₽ with VAT, rounded to kopecks; ``total`` is the sum of the kinds. With
    ``until`` (a month still open) fees count only the days before it: what has accrued so
    far; usage is what has been rated so far."""
    line_ids = [row.id for row in line_rows]
    terms = catalogue_terms()
    code_of = dict(db.session.execute(select(Tariff.id, Tariff.code)).all())
    result = {}
    for chunk_start in range(0, len(line_ids), 5000):
        chunk = line_rows[chunk_start:chunk_start + 5000]
        ids = [row.id for row in chunk]
        hist = histories(ids, period)
        services = _services_by_line(ids)
        usage = _usage_sums(ids, period)
        for row in chunk:
            history = hist[row.id]
            segments = line_segments(row, period, history, terms, code_of[row.tariff_id],
                                     cut=until)
            removed = dict(history.removed_services)
            service_terms = [(monthly, one_off, connected, until)
                             for _code, monthly, one_off, connected in services.get(row.id, ())]
            # Services removed this month were connected until their removal.
            catalogue = _service_catalogue()
            for code, day in removed.items():
                if code in catalogue:
                    monthly, _one_off = catalogue[code]
                    service_terms.append((monthly, Decimal(0), date(1970, 1, 1),
                                          min(day, until) if until else day))
            if not segments:
                service_terms = []
            fees = rating.rate_month(period, segments, [], service_terms)
            sums = usage[row.id]
            charges = {
                "tariff_fee": fees.by_kind["tariff_fee"],
                "service_fee": fees.by_kind["service_fee"],
                "one_off_fee": fees.by_kind["one_off_fee"],
                "calls": sums["calls"], "sms": sums["sms"], "data": sums["data"],
                "roaming": sums["roaming"],
            }
            charges["total"] = sum(charges.values(), Decimal("0.00"))
            charges.update(minutes=sums["minutes"], sms_count=sums["sms_count"], mb=sums["mb"],
                           usage_count=sums["usage_count"])
            result[row.id] = charges
    return result


_SERVICE_CACHE_KEY = "billing_service_catalogue"


def _service_catalogue() -> dict:
    cache = g.get(_SERVICE_CACHE_KEY)
    if cache is None:
        cache = {s.code: (Decimal(s.monthly_fee), Decimal(s.one_off_fee))
                 for s in db.session.scalars(select(Service))}
        setattr(g, _SERVICE_CACHE_KEY, cache)
    return cache


def tariff_segments_for_line(line: Line, period: str) -> list[rating.Segment]:
    """One line's segments of a month (for re-rating its usage)."""
    terms = catalogue_terms()
    return line_segments(line, period, histories([line.id], period)[line.id], terms,
                         line.tariff.code)


def usage_of(record) -> Usage:
    return Usage(occurred_at=record.occurred_at, kind=record.kind, quantity=record.quantity,
                 direction=record.direction or "out", country=record.country)


def rate_line_month(line: Line, period: str) -> rating.MonthCharges:
    """Rate (again) every usage record of a line's month by the tariff in force at its time,
    store each record's amount and the month's totals (no commit)."""
    start, end = rating.parse_period(period)
    records = db.session.scalars(
        select(UsageRecord).where(UsageRecord.line_id == line.id,
                                  UsageRecord.occurred_at >= _utc(start),
                                  UsageRecord.occurred_at < _utc(end))
        .order_by(UsageRecord.occurred_at, UsageRecord.id)
    ).all()
    segments = tariff_segments_for_line(line, period)
    charges = rating.rate_month(period, segments, [usage_of(r) for r in records],
                                roaming_table=roaming_table())
    # rate_month sorts by time (stable): the records are already in that order.
    for record, rated in zip(records, charges.rated, strict=True):
        if record.amount != rated.amount:
            record.amount = rated.amount
    usage_total = sum((r.amount for r in charges.rated), Decimal("0.00"))
    db.session.execute(delete(LineMonthlyUsage).where(LineMonthlyUsage.line_id == line.id,
                                                      LineMonthlyUsage.period == period))
    db.session.execute(insert(LineMonthlyUsage), [{
        "line_id": line.id, "period": period, "minutes": charges.totals["minutes"],
        "sms": charges.totals["sms"], "mb": charges.totals["mb"], "amount": usage_total}])
    db.session.flush()
    return charges
