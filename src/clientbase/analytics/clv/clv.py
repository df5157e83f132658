"""Customer lifetime value from the fitted BG/NBD and Gamma-Gamma models.

* Predicted CLV over a horizon h (default 52 weeks) = E[Y(h) | x, t_x, T] (BG/NBD) x
  E[Z | x, m] (Gamma-Gamma). With a weekly discount rate d the purchases expected in week k,
  E[Y(k)] - E[Y(k-1)], are discounted by (1 + d)^-k (a final partial week counts as week
  ceil(h)).
* Historical CLV = total spend on or before as_of (exact, Decimal).
* Next purchase date = as_of + h / E[Y(h)] (rounded to whole days, at least one day), or None
  when no purchase is expected (or the date would fall past year 9999).

:func:`fit_business` fits both models per business. With too little data (fewer than 50
customers, fewer than 10 repeat customers) or a fit that does not converge, it returns the
documented fallback instead: the seed heuristic LTV = AOV x purchase frequency x expected
lifetime (:mod:`.heuristic`), with ``model="heuristic_fallback"`` and a ``reason``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from clientbase.analytics.clv import bgnbd, gamma_gamma, heuristic
from clientbase.analytics.clv.bgnbd import BGNBDParams
from clientbase.analytics.clv.gamma_gamma import GammaGammaParams
from clientbase.analytics.clv.hypergeometric import AliveExpectation
from clientbase.analytics.clv.money import cents_to_money, float_to_money
from clientbase.analytics.clv.summary import DAYS_PER_WEEK, DailyPurchases, RFMSummary

FloatArray = NDArray[np.float64]
ModelName = Literal["bg_nbd", "heuristic_fallback"]

TIME_UNIT = "week"
MODEL_VERSION = "bgnbd-gammagamma/1"
DEFAULT_HORIZON_WEEKS = 52.0
MIN_CUSTOMERS = 50
MIN_REPEAT_CUSTOMERS = 10


# -- predictions --------------------------------------------------------------------------


def discounted_sum(
    cumulative: Callable[[float], FloatArray], horizon_weeks: float, weekly_rate: float
) -> FloatArray:
    """sum_k (C(t_k) - C(t_{k-1})) / (1 + d)^k over weeks t_k = min(k, h), k = 1..ceil(h)."""
    if weekly_rate <= -1.0:
        raise ValueError("discount rate must be > -1")
    periods = max(1, math.ceil(horizon_weeks - 1e-9))
    previous: FloatArray | float = 0.0
    total: FloatArray | float = 0.0
    for k in range(1, periods + 1):
        current = cumulative(min(float(k), horizon_weeks))
        total = total + (current - previous) / (1.0 + weekly_rate) ** k
        previous = current
    return np.asarray(total, dtype=np.float64)


def predicted_clv(
    bg: BGNBDParams,
    gg: GammaGammaParams,
    x: ArrayLike,
    t_x: ArrayLike,
    T: ArrayLike,
    m: ArrayLike,
    horizon_weeks: float = DEFAULT_HORIZON_WEEKS,
    discount_rate: float | None = None,
) -> FloatArray:
    """Expected spend in the next ``horizon_weeks``: E[Y(h)] x E[Z | x, m], maybe discounted."""
    xa, ta, Ta = bgnbd.broadcast_columns(x, t_x, T)
    alive = bgnbd.p_alive(bg, xa, ta, Ta)
    spend = gamma_gamma.conditional_expected_spend(gg, xa, m)
    cumulative = AliveExpectation(bg, xa, Ta)
    if not discount_rate:
        purchases = alive * cumulative(horizon_weeks)
    else:
        purchases = alive * discounted_sum(cumulative, horizon_weeks, discount_rate)
    return np.asarray(purchases * spend, dtype=np.float64)


def next_purchase_date(as_of: date, horizon_weeks: float, expected: float) -> date | None:
    """as_of + horizon / expected purchases (whole days, >= 1), None when none is expected."""
    if not (expected > 0 and math.isfinite(expected)):
        return None
    days = max(1, round(horizon_weeks * DAYS_PER_WEEK / expected))
    if as_of.toordinal() + days > date.max.toordinal():
        return None
    return as_of + timedelta(days=days)


@dataclass(frozen=True, slots=True)
class CustomerCLV:
    """One customer's predictions; money as Decimal (0.01), p_alive None for the fallback."""

    customer: Hashable
    p_alive: float | None
    expected_purchases: float
    expected_spend: Decimal
    predicted_clv: Decimal
    historical_clv: Decimal
    next_purchase_date: date | None


@dataclass(frozen=True, slots=True, eq=False)
class CLVPredictions:
    """Per-customer predictions as arrays aligned with ``customers`` (money in currency
    units, float); ``customer(i)`` gives one row with Decimal money. ``p_alive`` is NaN
    under the heuristic fallback, ``expected_purchases`` is undiscounted."""

    model: ModelName
    as_of: date
    horizon_weeks: float
    discount_rate: float | None
    customers: tuple[Hashable, ...]
    p_alive: FloatArray
    expected_purchases: FloatArray
    expected_spend: FloatArray
    predicted_clv: FloatArray
    historical_clv_cents: NDArray[np.int64]

    def __len__(self) -> int:
        return len(self.customers)

    def customer(self, i: int) -> CustomerCLV:
        alive = float(self.p_alive[i])
        expected = float(self.expected_purchases[i])
        return CustomerCLV(
            customer=self.customers[i],
            p_alive=None if math.isnan(alive) else alive,
            expected_purchases=expected,
            expected_spend=float_to_money(float(self.expected_spend[i])),
            predicted_clv=float_to_money(float(self.predicted_clv[i])),
            historical_clv=cents_to_money(int(self.historical_clv_cents[i])),
            next_purchase_date=next_purchase_date(self.as_of, self.horizon_weeks, expected),
        )


# -- the per-business model ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HoldoutComparison:
    """Predicted vs actual repeat purchases of the calibration customers in (start, end]."""

    start: date
    end: date
    weeks: float
    n_customers: int
    mae: float
    predicted_total: float
    actual_total: int

    def as_dict(self) -> dict[str, object]:
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "weeks": self.weeks,
            "n_customers": self.n_customers,
            "mae": self.mae,
            "predicted_total": self.predicted_total,
            "actual_total": self.actual_total,
        }


@dataclass(frozen=True, slots=True, eq=False)
class CLVModel:
    """A business's fitted CLV model (or the flagged fallback) and the data it came from.

    ``as_dict()`` is the body of ``GET /api/v1/analytics/clv/model``; ``summary`` holds the
    calibration RFM summary so :func:`predict` can score every customer.
    """

    model: ModelName
    as_of: date
    data_from: date | None
    n_customers: int
    n_repeat_customers: int
    params: BGNBDParams | None
    gamma_gamma: GammaGammaParams | None
    log_likelihood: float | None
    gamma_gamma_log_likelihood: float | None
    frequency_monetary_correlation: float | None
    holdout: HoldoutComparison | None
    reason: str | None
    summary: RFMSummary = field(repr=False)
    time_unit: str = TIME_UNIT
    model_version: str = MODEL_VERSION

    def as_dict(self) -> dict[str, object]:
        return {
            "model": self.model,
            "model_version": self.model_version,
            "params": self.params.as_dict() if self.params else None,
            "gamma_gamma": self.gamma_gamma.as_dict() if self.gamma_gamma else None,
            "time_unit": self.time_unit,
            "as_of": self.as_of.isoformat(),
            "data_from": self.data_from.isoformat() if self.data_from else None,
            "n_customers": self.n_customers,
            "n_repeat_customers": self.n_repeat_customers,
            "log_likelihood": self.log_likelihood,
            "gamma_gamma_log_likelihood": self.gamma_gamma_log_likelihood,
            "frequency_monetary_correlation": self.frequency_monetary_correlation,
            "holdout": self.holdout.as_dict() if self.holdout else None,
            "reason": self.reason,
        }


def _fallback(summary: RFMSummary, reason: str) -> CLVModel:
    first = int(summary.first_purchase_day.min()) if len(summary) else None
    return CLVModel(
        model="heuristic_fallback",
        as_of=summary.as_of,
        data_from=date.fromordinal(first) if first is not None else None,
        n_customers=len(summary),
        n_repeat_customers=summary.n_repeat_customers,
        params=None,
        gamma_gamma=None,
        log_likelihood=None,
        gamma_gamma_log_likelihood=None,
        frequency_monetary_correlation=None,
        holdout=None,
        reason=f"{reason}; using the heuristic LTV = AOV x purchase frequency x expected lifetime",
        summary=summary,
    )


def fit_summary(
    summary: RFMSummary,
    *,
    min_customers: int = MIN_CUSTOMERS,
    min_repeat_customers: int = MIN_REPEAT_CUSTOMERS,
) -> CLVModel:
    """Fit BG/NBD and Gamma-Gamma to a calibration summary, or fall back (with a reason)."""
    n, n_repeat = len(summary), summary.n_repeat_customers
    if n < min_customers:
        return _fallback(summary, f"too little data: {n} customers (< {min_customers})")
    if n_repeat < min_repeat_customers:
        return _fallback(
            summary, f"too little data: {n_repeat} repeat customers (< {min_repeat_customers})"
        )
    try:
        bg_fit = bgnbd.fit(summary.frequency, summary.recency, summary.T)
    except ValueError as exc:
        return _fallback(summary, f"BG/NBD fit failed: {exc}")
    if not bg_fit.converged:
        return _fallback(summary, f"BG/NBD fit did not converge: {bg_fit.message}")
    try:
        gg_fit = gamma_gamma.fit(summary.frequency, summary.monetary_value)
    except ValueError as exc:
        return _fallback(summary, f"Gamma-Gamma fit failed: {exc}")
    if not gg_fit.converged:
        return _fallback(summary, f"Gamma-Gamma fit did not converge: {gg_fit.message}")
    if gg_fit.params.q <= 1.0:
        return _fallback(summary, f"Gamma-Gamma q = {gg_fit.params.q:.3g} <= 1: no mean spend")
    return CLVModel(
        model="bg_nbd",
        as_of=summary.as_of,
        data_from=date.fromordinal(int(summary.first_purchase_day.min())),
        n_customers=n,
        n_repeat_customers=n_repeat,
        params=bg_fit.params,
        gamma_gamma=gg_fit.params,
        log_likelihood=bg_fit.log_likelihood,
        gamma_gamma_log_likelihood=gg_fit.log_likelihood,
        frequency_monetary_correlation=gg_fit.frequency_monetary_correlation,
        holdout=None,
        reason=None,
        summary=summary,
    )


def predict(
    model: CLVModel,
    summary: RFMSummary | None = None,
    *,
    horizon_weeks: float = DEFAULT_HORIZON_WEEKS,
    discount_rate: float | None = None,
) -> CLVPredictions:
    """Score every customer of ``summary`` (default: the model's calibration summary)."""
    s = model.summary if summary is None else summary
    if horizon_weeks < 0:
        raise ValueError("horizon must be >= 0 weeks")
    if model.model == "bg_nbd" and model.params is not None and model.gamma_gamma is not None:
        bg, x, T = model.params, s.frequency.astype(np.float64), s.T
        alive = bgnbd.p_alive(bg, x, s.recency, T)
        cumulative = AliveExpectation(bg, x, T)
        expected = alive * cumulative(horizon_weeks)
        spend = gamma_gamma.conditional_expected_spend(model.gamma_gamma, x, s.monetary_value)
        if discount_rate:
            purchases = alive * discounted_sum(cumulative, horizon_weeks, discount_rate)
        else:
            purchases = expected
    else:
        alive = np.full(len(s), np.nan)
        rate = heuristic.purchase_rate(s)
        expected = rate * horizon_weeks
        spend = heuristic.average_order_value(s)
        if discount_rate:
            purchases = discounted_sum(lambda t: rate * t, horizon_weeks, discount_rate)
        else:
            purchases = expected
    return CLVPredictions(
        model=model.model,
        as_of=s.as_of,
        horizon_weeks=horizon_weeks,
        discount_rate=discount_rate,
        customers=s.customers,
        p_alive=np.asarray(alive, dtype=np.float64),
        expected_purchases=np.asarray(expected, dtype=np.float64),
        expected_spend=np.asarray(spend, dtype=np.float64),
        predicted_clv=np.asarray(purchases * spend, dtype=np.float64),
        historical_clv_cents=s.total_spend_cents,
    )


def fit_daily(
    daily: DailyPurchases,
    as_of: date,
    holdout_end: date | None = None,
    *,
    min_customers: int = MIN_CUSTOMERS,
    min_repeat_customers: int = MIN_REPEAT_CUSTOMERS,
) -> CLVModel:
    """:func:`fit_business` on already aggregated purchase days."""
    summary = daily.summary(as_of)
    model = fit_summary(
        summary, min_customers=min_customers, min_repeat_customers=min_repeat_customers
    )
    if holdout_end is None or holdout_end <= as_of:
        return model
    in_window = (daily.day > as_of.toordinal()) & (daily.day <= holdout_end.toordinal())
    if not in_window.any() or len(summary) == 0:
        return model
    weeks = (holdout_end - as_of).days / DAYS_PER_WEEK
    actual = daily.purchase_days_between(summary, as_of, holdout_end)
    predicted = predict(model, summary, horizon_weeks=weeks).expected_purchases
    holdout = HoldoutComparison(
        start=as_of,
        end=holdout_end,
        weeks=weeks,
        n_customers=len(summary),
        mae=float(np.mean(np.abs(predicted - actual))),
        predicted_total=float(predicted.sum()),
        actual_total=int(actual.sum()),
    )
    return replace(model, holdout=holdout)


def fit_business(
    records: Iterable[tuple[Hashable, datetime, Decimal]],
    as_of: date,
    holdout_end: date | None = None,
    *,
    min_customers: int = MIN_CUSTOMERS,
    min_repeat_customers: int = MIN_REPEAT_CUSTOMERS,
) -> CLVModel:
    """Fit one business's CLV model on its purchases up to ``as_of``.

    ``records`` are ``(customer, occurred_at, amount)`` completed purchases (aware datetimes,
    Decimal amounts). When ``holdout_end`` is given and purchases exist in (as_of,
    holdout_end], the result carries a holdout comparison: per-customer MAE between
    predicted and actual repeat purchases in that window, and the predicted and actual totals.
    """
    return fit_daily(
        DailyPurchases.from_records(records),
        as_of,
        holdout_end,
        min_customers=min_customers,
        min_repeat_customers=min_repeat_customers,
    )
