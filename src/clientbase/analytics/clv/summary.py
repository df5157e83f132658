"""Per-customer RFM summary as the BG/NBD and Gamma-Gamma models define it.

Definitions (Fader, Hardie & Lee 2005, "Counting Your Customers the Easy Way", section 2
and the CDNOW data preparation; Fader & Hardie 2013, "The Gamma-Gamma Model of Monetary
Value"):

* Purchases are aggregated per **UTC calendar day**: several purchases by one customer on
  one day are one transaction whose amount is their sum.
* ``frequency`` x: the number of repeat purchase days, i.e. distinct purchase days after
  the first one.
* ``recency`` t_x: time from the first purchase day to the last purchase day (0 when x = 0).
* ``T``: time from the first purchase day to ``as_of``.
* Time is measured in **weeks** (days / 7, as a float).
* ``monetary_value`` m: the mean amount of the repeat purchase days (the first purchase is
  excluded), 0 when x = 0.

Only purchase days on or before ``as_of`` count; ``as_of`` is a whole calendar day.
Amounts enter as ``Decimal``, are held as exact integer cents, go to the models as floats and
come back out as ``Decimal`` quantized to 0.01.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from clientbase.analytics.clv.money import cents_to_money, ratio_to_money, to_cents

DAYS_PER_WEEK = 7.0


class PurchaseRecord(NamedTuple):
    """One completed purchase: the customer's key, when (aware datetime) and how much."""

    customer: Hashable
    occurred_at: datetime
    amount: Decimal


@dataclass(frozen=True, slots=True)
class CustomerRFM:
    """One customer's summary with money as Decimal and days as dates."""

    customer: Hashable
    frequency: int
    recency: float
    T: float
    monetary_value: Decimal
    total_spend: Decimal
    first_purchase: date
    last_purchase: date


@dataclass(frozen=True, slots=True, eq=False)
class RFMSummary:
    """Column arrays, one row per customer with at least one purchase day on or before as_of.

    Times are in weeks. ``monetary_value`` is float for the models; the exact money is in
    ``total_spend_cents`` (every purchase day up to as_of: the historical CLV) and
    ``repeat_spend_cents`` (the repeat days only). Days are proleptic ordinals
    (``date.toordinal()``).
    """

    as_of: date
    customers: tuple[Hashable, ...]
    frequency: NDArray[np.int64]
    recency: NDArray[np.float64]
    T: NDArray[np.float64]
    monetary_value: NDArray[np.float64]
    total_spend_cents: NDArray[np.int64]
    repeat_spend_cents: NDArray[np.int64]
    first_purchase_day: NDArray[np.int64]
    last_purchase_day: NDArray[np.int64]

    def __len__(self) -> int:
        return len(self.customers)

    @property
    def n_repeat_customers(self) -> int:
        return int(np.count_nonzero(self.frequency))

    def customer(self, i: int) -> CustomerRFM:
        x = int(self.frequency[i])
        return CustomerRFM(
            customer=self.customers[i],
            frequency=x,
            recency=float(self.recency[i]),
            T=float(self.T[i]),
            monetary_value=ratio_to_money(int(self.repeat_spend_cents[i]), x),
            total_spend=cents_to_money(int(self.total_spend_cents[i])),
            first_purchase=date.fromordinal(int(self.first_purchase_day[i])),
            last_purchase=date.fromordinal(int(self.last_purchase_day[i])),
        )

    def index(self) -> dict[Hashable, int]:
        """Row number of each customer key."""
        return {key: i for i, key in enumerate(self.customers)}


@dataclass(frozen=True, slots=True, eq=False)
class DailyPurchases:
    """Purchases aggregated to one row per (customer, UTC day), sorted by customer then day.

    ``customers[code]`` is the key of customer ``code``; ``cents`` is the day's total.
    Build it with :meth:`from_records` (Decimal records) or :meth:`from_arrays` (columns a
    query already produced, e.g. one row per transaction or per day).
    """

    customers: tuple[Hashable, ...]
    code: NDArray[np.int64]
    day: NDArray[np.int64]
    cents: NDArray[np.int64]

    @classmethod
    def from_records(cls, records: Iterable[tuple[Hashable, datetime, Decimal]]) -> DailyPurchases:
        """Aggregate ``(customer, occurred_at, amount)`` records; occurred_at must be aware."""
        codes: dict[Hashable, int] = {}
        code_col: list[int] = []
        day_col: list[int] = []
        cents_col: list[int] = []
        add_code, add_day, add_cents = code_col.append, day_col.append, cents_col.append
        for customer, occurred_at, amount in records:
            offset = occurred_at.utcoffset()
            if offset is None:
                raise ValueError(f"purchase time must be timezone-aware: {occurred_at!r}")
            code = codes.get(customer)
            if code is None:
                code = codes[customer] = len(codes)
            add_code(code)
            add_day((occurred_at - offset).toordinal())  # the UTC calendar day
            add_cents(to_cents(amount))
        return cls.from_arrays(tuple(codes), code_col, day_col, cents_col)

    @classmethod
    def from_arrays(
        cls,
        customers: tuple[Hashable, ...],
        code: ArrayLike,
        day: ArrayLike,
        cents: ArrayLike,
    ) -> DailyPurchases:
        """Aggregate columns (customer code, day ordinal, cents >= 0) to one row per day."""
        code_a = np.asarray(code, dtype=np.int64).ravel()
        day_a = np.asarray(day, dtype=np.int64).ravel()
        cents_a = np.asarray(cents, dtype=np.int64).ravel()
        if not (code_a.shape == day_a.shape == cents_a.shape):
            raise ValueError("code, day and cents must have the same length")
        if code_a.size and (code_a.min() < 0 or code_a.max() >= len(customers)):
            raise ValueError("customer code out of range")
        if cents_a.size and cents_a.min() < 0:
            raise ValueError("purchase amounts must be >= 0")
        order = np.lexsort((day_a, code_a))
        code_a, day_a, cents_a = code_a[order], day_a[order], cents_a[order]
        if code_a.size:
            new = np.empty(code_a.size, dtype=bool)
            new[0] = True
            new[1:] = (code_a[1:] != code_a[:-1]) | (day_a[1:] != day_a[:-1])
            starts = np.flatnonzero(new)
            code_a, day_a = code_a[starts], day_a[starts]
            cents_a = np.add.reduceat(cents_a, starts)
        return cls(tuple(customers), code_a, day_a, cents_a)

    def summary(self, as_of: date) -> RFMSummary:
        """The RFM summary of every customer with a purchase day on or before ``as_of``."""
        keep = self.day <= as_of.toordinal()
        code, day, cents = self.code[keep], self.day[keep], self.cents[keep]
        if code.size:
            first_row = np.empty(code.size, dtype=bool)
            first_row[0] = True
            first_row[1:] = code[1:] != code[:-1]
            starts = np.flatnonzero(first_row)
        else:
            starts = np.zeros(0, dtype=np.int64)
        ends = np.append(starts[1:], code.size).astype(np.int64)
        customer_codes = code[starts]
        n_days = ends - starts
        frequency = (n_days - 1).astype(np.int64)
        first = day[starts]
        last = day[ends - 1] if code.size else np.zeros(0, dtype=np.int64)
        total = np.add.reduceat(cents, starts) if code.size else np.zeros(0, dtype=np.int64)
        repeat = total - cents[starts] if code.size else np.zeros(0, dtype=np.int64)
        with np.errstate(divide="ignore", invalid="ignore"):
            monetary = np.where(frequency > 0, repeat / 100.0 / np.maximum(frequency, 1), 0.0)
        return RFMSummary(
            as_of=as_of,
            customers=tuple(self.customers[int(c)] for c in customer_codes),
            frequency=frequency,
            recency=(last - first) / DAYS_PER_WEEK,
            T=(as_of.toordinal() - first) / DAYS_PER_WEEK,
            monetary_value=monetary.astype(np.float64),
            total_spend_cents=total.astype(np.int64),
            repeat_spend_cents=repeat.astype(np.int64),
            first_purchase_day=first.astype(np.int64),
            last_purchase_day=last.astype(np.int64),
        )

    def purchase_days_between(
        self, summary: RFMSummary, start: date, end: date
    ) -> NDArray[np.int64]:
        """Purchase days in (start, end] of each customer of ``summary`` (aligned to its rows).

        These are the actual repeat transactions of a holdout period that begins after the
        calibration date ``start`` (every one of them is a repeat purchase: the customer's
        first purchase lies in the calibration period).
        """
        window = (self.day > start.toordinal()) & (self.day <= end.toordinal())
        counts_by_code = np.bincount(self.code[window], minlength=len(self.customers))
        index = {key: code for code, key in enumerate(self.customers)}
        rows = np.fromiter(
            (index[key] for key in summary.customers), dtype=np.int64, count=len(summary)
        )
        return counts_by_code[rows].astype(np.int64)


def summarize(records: Iterable[tuple[Hashable, datetime, Decimal]], as_of: date) -> RFMSummary:
    """RFM summary of ``(customer, occurred_at, amount)`` purchase records as of ``as_of``."""
    return DailyPurchases.from_records(records).summary(as_of)
