"""The published CDNOW figures, reproduced from the raw transactions of the 1/10th sample.

Fader, Hardie & Lee (2005), "Counting Your Customers the Easy Way" (Marketing Science 24(2)):
2,357 customers who first bought in the first 12 weeks of 1997, a 39-week calibration period
1997-01-01 .. 1997-09-30, BG/NBD estimates r = 0.243, alpha = 4.414, a = 0.793, b = 2.426,
log-likelihood -9582.4. Fader, Hardie & Lee (2005), "Implementing the BG/NBD model for
customer base analysis in Excel": E[Y(39) | x = 2, t_x = 30.43, T = 38.86] = 1.226 for
customer 0001 at those estimates.
Fader & Hardie (2013), "The Gamma-Gamma Model of Monetary Value": p = 6.25, q = 3.74,
v = 15.44 on the 946 customers with repeat purchases (m = mean of the repeat transactions).
"""

from __future__ import annotations

import gzip
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from clientbase.analytics.clv import (
    BGNBDParams,
    PurchaseRecord,
    RFMSummary,
    bgnbd,
    fit_business,
    gamma_gamma,
    summarize,
)

DATA = Path(__file__).parent / "data" / "cdnow_sample.txt.gz"
AS_OF = date(1997, 9, 30)
HOLDOUT_END = date(1998, 6, 30)
PUBLISHED = BGNBDParams(r=0.243, alpha=4.414, a=0.793, b=2.426)


@pytest.fixture(scope="module")
def records() -> list[PurchaseRecord]:
    out = []
    with gzip.open(DATA, "rt") as lines:
        for line in lines:
            _, customer, day, _, amount = line.split()
            at = datetime.strptime(day, "%Y%m%d").replace(tzinfo=UTC)
            out.append(PurchaseRecord(int(customer), at, Decimal(amount)))
    return out


@pytest.fixture(scope="module")
def summary(records: list[PurchaseRecord]) -> RFMSummary:
    return summarize(records, AS_OF)


def test_summary_reproduces_the_published_calibration_data(summary: RFMSummary) -> None:
    """Totals of the paper's summary file (x, t_x, T to 2 decimals; zbar to the cent)."""
    assert len(summary) == 2357
    assert summary.n_repeat_customers == 946
    assert int(summary.frequency.sum()) == 2457
    assert round(sum(round(v, 2) for v in summary.recency.tolist()), 2) == 16135.52
    assert round(sum(round(v, 2) for v in summary.T.tolist()), 2) == 77111.21
    zbar = sum(summary.customer(i).monetary_value for i in range(len(summary)))
    assert zbar == Decimal("33184.31")
    first = summary.customer(summary.index()[1])
    assert (first.frequency, round(first.recency, 2), round(first.T, 2)) == (2, 30.43, 38.86)
    assert first.monetary_value == Decimal("22.35")
    heavy = summary.customer(summary.index()[157])
    assert (heavy.frequency, round(heavy.recency, 2), round(heavy.T, 2)) == (29, 37.71, 38.0)


def test_log_likelihood_at_the_published_estimates(summary: RFMSummary) -> None:
    ll = bgnbd.log_likelihood(PUBLISHED, summary.frequency, summary.recency, summary.T)
    assert ll == pytest.approx(-9582.4, abs=0.1)


def test_bgnbd_fit_matches_the_paper(summary: RFMSummary) -> None:
    result = bgnbd.fit(summary.frequency, summary.recency, summary.T)
    got = result.params
    assert result.converged
    assert (round(got.r, 3), round(got.alpha, 3), round(got.a, 3), round(got.b, 3)) == (
        0.243,
        4.414,
        0.793,
        2.426,
    )
    assert round(result.log_likelihood, 1) == -9582.4


def test_conditional_expectation_matches_the_worked_example() -> None:
    value = float(bgnbd.conditional_expected_purchases(PUBLISHED, 39.0, 2, 30.43, 38.86))
    assert round(value, 3) == 1.226


def test_gamma_gamma_fit_matches_the_note(summary: RFMSummary) -> None:
    result = gamma_gamma.fit(summary.frequency, summary.monetary_value)
    got = result.params
    assert result.converged and result.n_customers == 946
    assert (round(got.p, 2), round(got.q, 2), round(got.v, 2)) == (6.25, 3.74, 15.44)
    assert result.frequency_monetary_correlation == pytest.approx(0.11, abs=0.01)


def test_fit_business_end_to_end_with_the_holdout_period(records: list[PurchaseRecord]) -> None:
    model = fit_business(records, AS_OF, HOLDOUT_END)
    assert model.model == "bg_nbd"
    assert model.params is not None and round(model.params.r, 3) == 0.243
    assert model.n_customers == 2357 and model.n_repeat_customers == 946
    holdout = model.holdout
    assert holdout is not None and holdout.weeks == 39.0
    repeat_days = {
        (r.customer, r.occurred_at.date())
        for r in records
        if AS_OF < r.occurred_at.date() <= HOLDOUT_END
    }
    assert holdout.actual_total == len(repeat_days)
    assert 0 < holdout.mae < 2
