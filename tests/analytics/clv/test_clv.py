"""CLV predictions, the per-business fit with its holdout check, and the documented fallback."""

from __future__ import annotations

import dataclasses
import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import numpy as np
import pytest

from clientbase.analytics.clv import (
    BGNBDFit,
    CLVModel,
    DailyPurchases,
    PurchaseRecord,
    bgnbd,
    clv,
    fit_business,
    fit_daily,
    gamma_gamma,
    next_purchase_date,
    predict,
    predicted_clv,
)
from clientbase.analytics.clv.simulate import simulate_bgnbd, simulate_spend

from .simulated import CDNOW_BG, CDNOW_GG, simulate_business

ISSUE_KEYS = {
    "model", "params", "time_unit", "gamma_gamma", "as_of", "n_customers",
    "n_repeat_customers", "log_likelihood", "holdout",
}  # fmt: skip


@pytest.fixture(scope="module")
def business():
    return simulate_business(8_000, seed=42, holdout_days=273)


@pytest.fixture(scope="module")
def model(business) -> CLVModel:
    return fit_business(business.records, business.as_of, business.holdout_end)


def test_fit_business_recovers_the_generating_parameters(model: CLVModel) -> None:
    """8,000 simulated customers, 39-week calibration, purchases rounded to calendar days
    like real data. Merging same-day purchases (about 2 % of them here) shifts the fit a
    little (alpha up by ~5 % at these parameters), hence the wider tolerances than in the
    continuous-time recovery test of test_bgnbd."""
    assert model.model == "bg_nbd" and model.reason is None
    bg, gg = model.params, model.gamma_gamma
    assert bg is not None and gg is not None
    assert bg.r == pytest.approx(CDNOW_BG.r, rel=0.10)
    assert bg.alpha == pytest.approx(CDNOW_BG.alpha, rel=0.20)
    assert bg.a == pytest.approx(CDNOW_BG.a, rel=0.35)
    assert bg.b == pytest.approx(CDNOW_BG.b, rel=0.40)
    assert gg.p == pytest.approx(CDNOW_GG.p, rel=0.25)
    assert gg.q == pytest.approx(CDNOW_GG.q, rel=0.20)
    assert gg.v == pytest.approx(CDNOW_GG.v, rel=0.30)
    assert abs(model.frequency_monetary_correlation) < 0.1


def test_model_body_has_what_the_clv_endpoint_returns(model: CLVModel, business) -> None:
    body = model.as_dict()
    assert set(body) >= ISSUE_KEYS
    assert body["model"] == "bg_nbd" and body["time_unit"] == "week"
    assert set(body["params"]) == {"r", "alpha", "a", "b"}
    assert set(body["gamma_gamma"]) == {"p", "q", "v"}
    assert body["as_of"] == business.as_of.isoformat()
    assert body["n_customers"] == 8_000
    assert 0 < body["n_repeat_customers"] < 8_000
    assert body["log_likelihood"] < 0
    assert body["reason"] is None


def test_holdout_compares_predicted_and_actual_repeat_purchases(model: CLVModel, business):
    holdout = model.holdout
    assert holdout is not None
    assert (holdout.start, holdout.end, holdout.weeks) == (business.as_of, business.holdout_end, 39)
    daily = DailyPurchases.from_records(business.records)
    actual = daily.purchase_days_between(model.summary, business.as_of, business.holdout_end)
    assert holdout.actual_total == int(actual.sum()) > 0
    predicted = predict(model, horizon_weeks=39.0).expected_purchases
    assert holdout.predicted_total == pytest.approx(predicted.sum())
    assert holdout.mae == pytest.approx(np.abs(predicted - actual).mean())
    # data drawn from the model: the forecast is right in total
    assert holdout.predicted_total == pytest.approx(holdout.actual_total, rel=0.10)
    assert holdout.as_dict()["actual_total"] == holdout.actual_total


def test_no_holdout_without_purchases_after_as_of(business) -> None:
    calibration_only = [r for r in business.records if r.occurred_at.date() <= business.as_of]
    model = fit_business(calibration_only, business.as_of, business.holdout_end)
    assert model.model == "bg_nbd" and model.holdout is None
    assert fit_business(business.records, business.as_of).holdout is None


def test_predictions_combine_both_models(model: CLVModel) -> None:
    s = model.summary
    scores = predict(model)
    bg, gg = model.params, model.gamma_gamma
    expected = bgnbd.conditional_expected_purchases(bg, 52.0, s.frequency, s.recency, s.T)
    spend = gamma_gamma.conditional_expected_spend(gg, s.frequency, s.monetary_value)
    assert scores.expected_purchases == pytest.approx(expected, rel=1e-12)
    assert scores.expected_spend == pytest.approx(spend, rel=1e-12)
    assert scores.predicted_clv == pytest.approx(expected * spend, rel=1e-12)
    assert scores.p_alive == pytest.approx(bgnbd.p_alive(bg, s.frequency, s.recency, s.T))
    direct = predicted_clv(bg, gg, s.frequency, s.recency, s.T, s.monetary_value)
    assert direct == pytest.approx(scores.predicted_clv, rel=1e-12)
    i = int(np.argmax(s.frequency))
    row = scores.customer(i)
    assert row.customer == s.customers[i]
    assert row.predicted_clv == Decimal(str(round(float(scores.predicted_clv[i]), 2)))
    assert row.predicted_clv.as_tuple().exponent == -2
    assert row.historical_clv == s.customer(i).total_spend
    assert row.next_purchase_date == s.as_of + timedelta(
        days=round(52 * 7 / float(scores.expected_purchases[i]))
    )


def test_discounted_clv_sums_discounted_weekly_increments(model: CLVModel) -> None:
    s = model.summary
    bg, gg = model.params, model.gamma_gamma
    rows = slice(0, 50)
    args = (s.frequency[rows], s.recency[rows], s.T[rows], s.monetary_value[rows])
    d = 0.01
    got = predicted_clv(bg, gg, *args, horizon_weeks=10.5, discount_rate=d)
    spend = gamma_gamma.conditional_expected_spend(gg, args[0], args[3])
    manual = np.zeros(50)
    previous = np.zeros(50)
    for k, end in enumerate([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 10.5], start=1):
        current = bgnbd.conditional_expected_purchases(bg, end, *args[:3])
        manual += (current - previous) / (1 + d) ** k
        previous = current
    assert got == pytest.approx(manual * spend, rel=1e-10)
    undiscounted = predicted_clv(bg, gg, *args, horizon_weeks=10.5)
    assert np.all(got < undiscounted)
    assert predicted_clv(bg, gg, *args, horizon_weeks=10.5, discount_rate=1e-15) == pytest.approx(
        undiscounted, rel=1e-9
    )
    scores = predict(model, discount_rate=d)
    assert np.all(scores.predicted_clv <= predict(model).predicted_clv + 1e-9)


def test_next_purchase_date() -> None:
    as_of = date(2025, 1, 1)
    assert next_purchase_date(as_of, 52, 2.0) == date(2025, 7, 2)  # 182 days
    assert next_purchase_date(as_of, 52, 1000.0) == date(2025, 1, 2)  # at least a day
    assert next_purchase_date(as_of, 52, 0.0) is None
    assert next_purchase_date(as_of, 52, 1e-12) is None  # beyond year 9999
    assert next_purchase_date(as_of, 52, float("nan")) is None


# -- the fallback --------------------------------------------------------------------------


def records_for(n_customers: int, repeaters: int) -> list[PurchaseRecord]:
    start = datetime(2025, 1, 1, 10, tzinfo=UTC)
    records = []
    for c in range(n_customers):
        records.append(PurchaseRecord(c, start + timedelta(days=c % 30), Decimal("20.00")))
        if c < repeaters:
            records.append(PurchaseRecord(c, start + timedelta(days=40), Decimal("30.00")))
    return records


def test_tiny_data_falls_back_to_the_seed_heuristic_and_says_why() -> None:
    as_of = date(2025, 3, 1)
    model = fit_business(records_for(5, 2), as_of)
    assert model.model == "heuristic_fallback"
    assert "5 customers (< 50)" in model.reason
    assert "AOV x purchase frequency x expected lifetime" in model.reason
    body = model.as_dict()
    assert body["params"] is None and body["gamma_gamma"] is None
    assert body["log_likelihood"] is None
    assert (body["n_customers"], body["n_repeat_customers"]) == (5, 2)
    scores = predict(model)
    row = scores.customer(0)  # bought 2025-01-01 (20.00) and 2025-02-10 (30.00)
    assert row.p_alive is None
    weeks = (as_of - date(2025, 1, 1)).days / 7
    assert row.expected_purchases == pytest.approx(2 / weeks * 52)
    assert row.expected_spend == Decimal("25.00")
    assert row.predicted_clv == Decimal(str(round(25 * 2 / weeks * 52, 2)))
    assert row.historical_clv == Decimal("50.00")


def test_few_repeat_customers_fall_back() -> None:
    model = fit_business(records_for(80, 3), date(2025, 3, 1))
    assert model.model == "heuristic_fallback"
    assert "3 repeat customers (< 10)" in model.reason


def test_fit_that_does_not_converge_falls_back(monkeypatch, business) -> None:
    real_fit = bgnbd.fit

    def not_converged(*args, **kwargs) -> BGNBDFit:
        return dataclasses.replace(real_fit(*args, **kwargs), converged=False, message="ABNORMAL")

    monkeypatch.setattr(bgnbd, "fit", not_converged)
    model = fit_business(business.records[:3000], business.as_of)
    assert model.model == "heuristic_fallback"
    assert "did not converge: ABNORMAL" in model.reason


def test_no_purchases_at_all() -> None:
    model = fit_business([], date(2025, 1, 1), date(2025, 6, 1))
    assert model.model == "heuristic_fallback" and model.n_customers == 0
    assert model.holdout is None and model.data_from is None
    assert len(predict(model)) == 0


def test_fallback_holdout_uses_the_heuristic_rate() -> None:
    records = records_for(5, 2)
    model = fit_business(records, date(2025, 2, 1), date(2025, 3, 1))
    assert model.model == "heuristic_fallback"
    assert model.holdout is not None and model.holdout.actual_total == 2


def test_business_parameters_score_one_customer() -> None:
    """How the service scores a single customer: its own summary, the business's fit."""
    one = fit_business(records_for(1, 1), date(2025, 3, 1), min_customers=10**9)
    scored = dataclasses.replace(one, model="bg_nbd", params=CDNOW_BG, gamma_gamma=CDNOW_GG)
    row = predict(scored).customer(0)
    assert row.p_alive == pytest.approx(float(bgnbd.p_alive(CDNOW_BG, 1, 40 / 7, 59 / 7)))
    assert row.expected_purchases == pytest.approx(
        float(bgnbd.conditional_expected_purchases(CDNOW_BG, 52, 1, 40 / 7, 59 / 7))
    )


def test_fit_daily_takes_aggregated_columns(business) -> None:
    daily = DailyPurchases.from_records(business.records)
    again = DailyPurchases.from_arrays(daily.customers, daily.code, daily.day, daily.cents)
    a = fit_daily(again, business.as_of)
    b = fit_business(business.records, business.as_of)
    assert a.params == b.params and a.gamma_gamma == b.gamma_gamma


def test_fit_and_predictions_for_100k_customers_are_vectorised() -> None:
    """Timing is printed (run with -s), never asserted."""
    rng = np.random.default_rng(5)
    n = 100_000
    first = rng.integers(0, 3 * 365, n)
    sim = simulate_bgnbd(CDNOW_BG, (3 * 365 - first) / 7.0, rng)
    day = 738_000 + first[sim.customer] + np.floor(sim.time * 7).astype(np.int64)
    cents = np.round(simulate_spend(CDNOW_GG, sim.customer, n, rng) * 100).astype(np.int64)
    start = time.perf_counter()
    daily = DailyPurchases.from_arrays(tuple(range(n)), sim.customer, day, np.maximum(cents, 1))
    model = fit_daily(daily, date.fromordinal(738_000 + 3 * 365))
    fitted = time.perf_counter()
    scores = predict(model)
    done = time.perf_counter()
    print(
        f"\n{n} customers / {day.size} purchases: aggregate+summary+fit {fitted - start:.2f} s,"
        f" predict {done - fitted:.2f} s"
    )
    assert model.model == "bg_nbd"
    assert scores.predicted_clv.shape == (n,) and np.all(np.isfinite(scores.predicted_clv))


def test_module_constants() -> None:
    assert clv.MIN_CUSTOMERS == 50 and clv.MIN_REPEAT_CUSTOMERS == 10
    assert clv.DEFAULT_HORIZON_WEEKS == 52.0 and clv.TIME_UNIT == "week"
