"""The RFM summary follows Fader, Hardie & Lee (2005) exactly: days, repeats, weeks, money."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clientbase.analytics.clv import DailyPurchases, PurchaseRecord, summarize


def at(day: str, hour: int = 12, tz: timezone = UTC) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=tz)


def test_same_day_purchases_are_one_transaction_with_the_summed_amount() -> None:
    records = [
        PurchaseRecord("a", at("2025-01-01", 9), Decimal("10.00")),
        PurchaseRecord("a", at("2025-01-01", 18), Decimal("5.50")),
        PurchaseRecord("a", at("2025-01-08", 10), Decimal("20.00")),
        PurchaseRecord("a", at("2025-01-08", 11), Decimal("4.00")),
        PurchaseRecord("a", at("2025-01-15", 10), Decimal("1.00")),
    ]
    s = summarize(records, date(2025, 1, 29))
    row = s.customer(0)
    assert row.frequency == 2  # two repeat purchase days, not four repeat purchases
    assert (row.recency, row.T) == pytest.approx((2.0, 4.0))
    assert row.monetary_value == Decimal("12.50")  # (24.00 + 1.00) / 2, first day excluded
    assert row.total_spend == Decimal("40.50")
    assert row.first_purchase == date(2025, 1, 1)
    assert row.last_purchase == date(2025, 1, 15)


def test_days_are_utc_calendar_days() -> None:
    minus5 = timezone(timedelta(hours=-5))
    plus2 = timezone(timedelta(hours=2))
    records = [
        PurchaseRecord("a", at("2025-03-01", 10), Decimal("1.00")),
        # 2025-03-02 00:30 at +02:00 is 2025-03-01 22:30 UTC: the same day
        PurchaseRecord("a", datetime(2025, 3, 2, 0, 30, tzinfo=plus2), Decimal("2.00")),
        # 2025-03-01 23:30 at -05:00 is 2025-03-02 04:30 UTC: the next day
        PurchaseRecord("a", datetime(2025, 3, 1, 23, 30, tzinfo=minus5), Decimal("4.00")),
    ]
    row = summarize(records, date(2025, 3, 8)).customer(0)
    assert row.frequency == 1
    assert (row.recency, row.T) == pytest.approx((1 / 7, 1.0))
    assert row.total_spend == Decimal("7.00")
    assert row.monetary_value == Decimal("4.00")


def test_purchases_after_as_of_are_ignored_and_as_of_is_a_whole_day() -> None:
    records = [
        PurchaseRecord("a", at("2025-01-01"), Decimal("10.00")),
        PurchaseRecord("a", datetime(2025, 1, 15, 23, 59, 59, tzinfo=UTC), Decimal("3.00")),
        PurchaseRecord("a", at("2025-01-16", 0), Decimal("100.00")),
        PurchaseRecord("b", at("2025-02-01"), Decimal("7.00")),  # first purchase after as_of
    ]
    s = summarize(records, date(2025, 1, 15))
    assert s.customers == ("a",)
    row = s.customer(0)
    assert (row.frequency, row.recency, row.T) == (1, 2.0, 2.0)
    assert row.total_spend == Decimal("13.00")


def test_one_time_buyers_have_zero_frequency_recency_and_monetary_value() -> None:
    records = [
        PurchaseRecord(1, at("2025-01-01", 8), Decimal("10.00")),
        PurchaseRecord(1, at("2025-01-01", 20), Decimal("15.00")),
        PurchaseRecord(2, at("2025-01-10"), Decimal("0.00")),
    ]
    s = summarize(records, date(2025, 1, 22))
    assert s.customers == (1, 2)
    assert s.frequency.tolist() == [0, 0]
    assert s.recency.tolist() == [0.0, 0.0]
    assert s.T.tolist() == pytest.approx([3.0, 12 / 7])
    assert s.monetary_value.tolist() == [0.0, 0.0]
    assert s.customer(0).monetary_value == Decimal("0.00")
    assert s.customer(0).total_spend == Decimal("25.00")
    assert s.n_repeat_customers == 0


def test_money_is_exact_and_rounds_half_up() -> None:
    records = [
        PurchaseRecord("a", at("2025-01-01"), Decimal("0.10")),
        PurchaseRecord("a", at("2025-01-02"), Decimal("0.01")),
        PurchaseRecord("a", at("2025-01-03"), Decimal("0.02")),
        PurchaseRecord("b", at("2025-01-01"), Decimal("99999999999.99")),
        PurchaseRecord("b", at("2025-01-02"), Decimal("0.01")),
    ]
    s = summarize(records, date(2025, 1, 3))
    assert s.customer(0).monetary_value == Decimal("0.02")  # 0.015 half-up
    assert s.customer(0).total_spend == Decimal("0.13")
    assert s.customer(1).total_spend == Decimal("100000000000.00")
    assert s.monetary_value[0] == pytest.approx(0.015)


def test_no_purchases_gives_an_empty_summary() -> None:
    s = summarize([], date(2025, 1, 1))
    assert len(s) == 0
    assert s.frequency.size == s.T.size == 0
    assert s.n_repeat_customers == 0


@pytest.mark.parametrize(
    ("occurred_at", "amount", "error"),
    [
        (datetime(2025, 1, 1, 12), Decimal("1.00"), ValueError),  # naive
        (at("2025-01-01"), 1.5, TypeError),  # float money
        (at("2025-01-01"), Decimal("-1.00"), ValueError),  # negative
        (at("2025-01-01"), Decimal("1.005"), ValueError),  # sub-cent
        (at("2025-01-01"), Decimal("NaN"), ValueError),
    ],
)
def test_bad_records_are_refused(occurred_at: datetime, amount: object, error: type) -> None:
    with pytest.raises(error):
        summarize([("a", occurred_at, amount)], date(2025, 2, 1))  # type: ignore[list-item]


def test_integer_amounts_and_trailing_zeros_are_accepted() -> None:
    records = [("a", at("2025-01-01"), 3), ("a", at("2025-01-02"), Decimal("1.500"))]
    assert summarize(records, date(2025, 1, 2)).customer(0).total_spend == Decimal("4.50")


def test_from_arrays_aggregates_like_from_records() -> None:
    records = [
        PurchaseRecord("x", at("2025-01-05", 9), Decimal("1.25")),
        PurchaseRecord("y", at("2025-01-01"), Decimal("2.00")),
        PurchaseRecord("x", at("2025-01-01"), Decimal("3.00")),
        PurchaseRecord("x", at("2025-01-05", 20), Decimal("0.75")),
    ]
    daily = DailyPurchases.from_records(records)
    again = DailyPurchases.from_arrays(
        ("x", "y"),
        [0, 1, 0, 0],
        [date(2025, 1, d).toordinal() for d in (5, 1, 1, 5)],
        [125, 200, 300, 75],
    )
    for d in (daily, again):
        assert d.code.tolist() == [0, 0, 1]
        assert d.cents.tolist() == [300, 200, 200]
    assert daily.customers == again.customers


def test_purchase_days_between_counts_holdout_days_per_calibration_customer() -> None:
    records = [
        PurchaseRecord("a", at("2025-01-01"), Decimal("1.00")),
        PurchaseRecord("a", at("2025-02-02", 8), Decimal("1.00")),
        PurchaseRecord("a", at("2025-02-02", 9), Decimal("1.00")),
        PurchaseRecord("a", at("2025-02-03"), Decimal("1.00")),
        PurchaseRecord("a", at("2025-03-03"), Decimal("1.00")),  # after the holdout
        PurchaseRecord("b", at("2025-01-10"), Decimal("1.00")),
        PurchaseRecord("c", at("2025-02-05"), Decimal("1.00")),  # new in the holdout
    ]
    daily = DailyPurchases.from_records(records)
    s = daily.summary(date(2025, 1, 31))
    assert s.customers == ("a", "b")
    counts = daily.purchase_days_between(s, date(2025, 1, 31), date(2025, 2, 28))
    assert counts.tolist() == [2, 0]


def naive_summary(records: list[PurchaseRecord], as_of: date) -> dict[str, tuple]:
    """A straightforward re-statement of the definitions, for the property test."""
    days: dict[str, dict[date, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for customer, occurred_at, amount in records:
        day = occurred_at.astimezone(UTC).date()
        if day <= as_of:
            days[customer][day] += amount
    out = {}
    for customer, by_day in days.items():
        ordered = sorted(by_day)
        repeat = [by_day[d] for d in ordered[1:]]
        x = len(repeat)
        out[customer] = (
            x,
            (ordered[-1] - ordered[0]).days / 7,
            (as_of - ordered[0]).days / 7,
            (sum(repeat, Decimal(0)) / x).quantize(Decimal("0.01"), "ROUND_HALF_UP")
            if x
            else Decimal("0.00"),
            sum(by_day.values(), Decimal(0)).quantize(Decimal("0.01")),
        )
    return out


purchases = st.lists(
    st.builds(
        PurchaseRecord,
        st.sampled_from(["a", "b", "c", "d"]),
        st.datetimes(
            min_value=datetime(2025, 1, 1),
            max_value=datetime(2025, 4, 1),
            timezones=st.sampled_from(
                [UTC, timezone(timedelta(hours=-7)), timezone(timedelta(hours=5, minutes=30))]
            ),
        ),
        st.integers(0, 50_000).map(lambda c: Decimal(c).scaleb(-2)),
    ),
    max_size=40,
)


@settings(max_examples=150, deadline=None)
@given(records=purchases, as_of=st.dates(date(2024, 12, 25), date(2025, 4, 5)))
def test_summary_matches_the_definitions(records: list[PurchaseRecord], as_of: date) -> None:
    s = summarize(records, as_of)
    expected = naive_summary(records, as_of)
    assert set(s.customers) == set(expected)
    for i, customer in enumerate(s.customers):
        row = s.customer(i)
        x, t_x, T, m, total = expected[customer]
        assert (row.frequency, row.monetary_value, row.total_spend) == (x, m, total)
        assert (row.recency, row.T) == pytest.approx((t_x, T))
        assert 0 <= row.recency <= row.T
    assert np.all(s.frequency >= 0)
