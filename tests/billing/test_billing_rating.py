"""Rating by hand-checked cases: package boundaries, month edges, tariff change mid-month,
roaming, pro-rated fees."""

from datetime import UTC, date, datetime
from decimal import Decimal as D

from corp.billing import rating
from corp.billing.rating import Segment, Terms, Usage

START = Terms("start", D("300"), minutes=10, sms=2, mb=100, minute_price=D("2.50"),
              sms_price=D("1.90"), mb_price=D("0.50"))
MAX = Terms("max", D("1200"), minutes=3000, sms=1000, mb=40_000, minute_price=D("1.50"),
            sms_price=D("1.00"), mb_price=D("0.30"))


def at(day, hour=12, month=11, year=2026):
    return datetime(year, month, day, hour, tzinfo=UTC)


def whole(terms=START, period="2026-11"):
    return rating.segments_for(period, [], terms)


def test_package_first_then_per_unit_and_a_call_crossing_the_boundary_is_split():
    records = [
        Usage(at(1), "call", 7 * 60),  # 7 min from the package (3 left)
        Usage(at(2), "call", 4 * 60 + 1),  # 5 started minutes: 3 package + 2 × 2.50
        Usage(at(3), "call", 59),  # 1 minute × 2.50
        Usage(at(4), "call", 600, direction="in"),  # incoming at home: free
    ]
    out = rating.rate_month("2026-11", whole(), records)
    assert [r.amount for r in out.rated] == [D("0.00"), D("5.00"), D("2.50"), D("0.00")]
    assert [r.from_package for r in out.rated] == [7, 3, 0, 0]
    assert out.by_kind["calls"] == D("7.50")
    assert out.by_kind["tariff_fee"] == D("300.00")
    assert out.total == D("307.50")


def test_sms_and_data_packages_and_started_megabytes():
    records = [Usage(at(1), "sms", 1), Usage(at(1, 13), "sms", 1), Usage(at(1, 14), "sms", 1),
               Usage(at(1, 15), "sms", 1, direction="in"),
               Usage(at(2), "data", 99 * 1024 + 1),  # 100 started MB: the whole package
               Usage(at(3), "data", 1)]  # 1 started MB beyond it
    out = rating.rate_month("2026-11", whole(), records)
    assert out.by_kind["sms"] == D("1.90")
    assert out.by_kind["data"] == D("0.50")
    assert out.totals["mb"] == 101


def test_records_are_rated_in_time_order_whatever_order_they_arrive_in():
    late = Usage(at(20), "call", 600)
    early = Usage(at(2), "call", 600)
    out = rating.rate_month("2026-11", whole(), [late, early])
    # The early call used the package; the late one pays: 10 × 2.50.
    assert [r.amount for r in out.rated] == [D("0.00"), D("25.00")]


def test_month_edges_usage_outside_the_month_is_not_in_its_segments():
    segments = whole()
    assert segments == [Segment(date(2026, 11, 1), date(2026, 12, 1), START)]
    assert rating.parse_period("2026-12") == (date(2026, 12, 1), date(2027, 1, 1))
    assert rating.days_in_month(date(2028, 2, 1)) == 29


def test_tariff_change_mid_month_splits_fee_and_package():
    # Change to MAX on 16 November: 15 days of START, 15 days of MAX (30-day month).
    segments = rating.segments_for("2026-11", [(at(16, 9), MAX)], START)
    assert [(s.start.day, s.end.day, s.terms.code) for s in segments] == [
        (1, 16, "start"), (16, 1, "max")]
    assert rating.segment_fee(segments[0]) == D("150.00")
    assert rating.segment_fee(segments[1]) == D("600.00")
    assert rating.segment_package(segments[0]) == {"minutes": 5, "sms": 1, "mb": 50}
    records = [Usage(at(10), "call", 6 * 60),  # 5 from START's half package + 1 × 2.50
               Usage(at(20), "call", 6 * 60)]  # MAX's package
    out = rating.rate_month("2026-11", segments, records)
    assert [r.amount for r in out.rated] == [D("2.50"), D("0.00")]
    assert out.by_kind["tariff_fee"] == D("750.00")


def test_change_before_the_month_means_the_new_tariff_all_month():
    segments = rating.segments_for("2026-11", [(at(20, month=10), MAX)], START)
    assert [s.terms.code for s in segments] == ["max"]


def test_activation_mid_month_pro_rates_the_fee():
    segments = rating.segments_for("2026-11", [], START, active_from=date(2026, 11, 21))
    assert rating.segment_fee(segments[0]) == D("100.00")  # 10 of 30 days
    # 31-day month, 1 day: 300 / 31 = 9.677… → 9.68
    one_day = rating.segments_for("2026-12", [], START, active_from=date(2026, 12, 31))
    assert rating.segment_fee(one_day[0]) == D("9.68")


def test_roaming_never_uses_the_package_and_charges_both_call_directions():
    records = [Usage(at(5), "call", 61, country="TR"),  # 2 min × 49
               Usage(at(5, 13), "call", 30, direction="in", country="TR"),  # 1 min × 49
               Usage(at(5, 14), "sms", 1, country="TR"),  # 19
               Usage(at(5, 15), "sms", 1, direction="in", country="TR"),  # free
               Usage(at(5, 16), "data", 2048, country="BY"),  # 2 MB × 3
               Usage(at(6), "call", 60, country="RU")]  # home: from the package
    out = rating.rate_month("2026-11", whole(), records)
    assert out.by_kind["roaming"] == D("98.00") + D("49.00") + D("19.00") + D("6.00")
    assert out.by_kind["calls"] == D("0.00")
    assert out.package_used["minutes"] == 1
    # An unlisted country pays the rest-of-world price.
    assert rating.roaming_prices(None, "ZZ")[0] == D("99.00")


def test_service_fees_pro_rated_on_connection_and_one_off_in_its_month():
    services = [(D("300"), D("0"), date(2026, 11, 11), None),  # 20 of 30 days → 200
                (D("200"), D("500"), date(2026, 10, 3), None),  # whole month, one-off earlier
                (D("90"), D("0"), date(2026, 1, 1), date(2026, 11, 6))]  # 5 days → 15
    out = rating.rate_month("2026-11", whole(), [], services)
    assert out.by_kind["service_fee"] == D("200.00") + D("200.00") + D("15.00")
    assert out.by_kind["one_off_fee"] == D("0.00")
    october = rating.rate_month("2026-10", whole(period="2026-10"), [], services[1:2])
    assert october.by_kind["one_off_fee"] == D("500.00")
    # 29 of 31 days of 200 = 187.096… → 187.10
    assert october.by_kind["service_fee"] == D("187.10")
