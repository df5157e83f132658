"""Gamma-Gamma model of spend per transaction (Fader & Hardie 2013, "The Gamma-Gamma Model of
Monetary Value", following Colombo & Jiang 1999).

Model: a customer's transaction values are z ~ Gamma(p, nu) (shape p, rate nu, so the
customer's mean spend is zeta = p / nu), and nu ~ Gamma(q, v) across customers (the note calls
the rate gamma; ``v`` here as in most software). Given x transactions with mean m, x m is
Gamma(p x, nu), so the marginal density of m is (note, eq. 3)::

    f(m | p, q, v; x) = G(p x + q) / (G(p x) G(q)) * v^q m^(p x - 1) x^(p x) / (v + m x)^(p x + q)

The posterior of nu is Gamma(p x + q, v + m x); since E[zeta | nu] = p / nu and
E[1/nu] = (v + m x) / (p x + q - 1), the conditional expected average transaction value is
(note, eq. 5)::

    E[Z | p, q, v, m, x] = p (v + x m) / (p x + q - 1)
                         = (q - 1)/(p x + q - 1) * p v/(q - 1) + p x/(p x + q - 1) * m,

a weighted mean of the population mean p v / (q - 1) (which needs q > 1) and the customer's
own mean m. A customer with x = 0 gets the population mean.

The model assumes spend is independent of the purchase process; :func:`fit` reports the
Pearson correlation between x and m over the fitted customers so that this can be checked
(|r| well below 0.3 is the usual comfort zone).
Following the note (and the CDNOW example), x and m are the **repeat** transactions: x >= 1
customers only, m the mean of the repeat purchase days.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import minimize
from scipy.special import digamma, gammaln

from clientbase.analytics.clv.numerics import dot as _dot

FloatArray = NDArray[np.float64]
_LOG_BOUNDS = (-12.0, 12.0)
_GRAD_TOL = 1e-5
_AGREE = 1e-10  # relative difference of two optima taken as the same optimum
STRONG_CORRELATION = 0.3


@dataclass(frozen=True, slots=True)
class GammaGammaParams:
    """Gamma-Gamma parameters p, q, v (v is the note's gamma; money units)."""

    p: float
    q: float
    v: float

    def __post_init__(self) -> None:
        for name in ("p", "q", "v"):
            value = getattr(self, name)
            if not (np.isfinite(value) and value > 0):
                raise ValueError(f"Gamma-Gamma parameter {name} must be positive: {value}")

    def as_dict(self) -> dict[str, float]:
        return {"p": self.p, "q": self.q, "v": self.v}

    @property
    def population_mean_spend(self) -> float:
        """E[Z] = p v / (q - 1) over all customers; infinite when q <= 1."""
        return self.p * self.v / (self.q - 1.0) if self.q > 1.0 else float("inf")


@dataclass(frozen=True, slots=True)
class GammaGammaFit:
    """Result of :func:`fit`."""

    params: GammaGammaParams
    log_likelihood: float
    converged: bool
    n_customers: int
    n_excluded: int
    frequency_monetary_correlation: float
    message: str

    @property
    def strongly_correlated(self) -> bool:
        """True when |Pearson r(x, m)| >= 0.3: the independence assumption is doubtful."""
        return bool(abs(self.frequency_monetary_correlation) >= STRONG_CORRELATION)


def _usable(x: ArrayLike, m: ArrayLike) -> tuple[FloatArray, FloatArray, int]:
    xa, ma = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(m, dtype=np.float64))
    xa, ma = xa.ravel(), ma.ravel()
    keep = (xa >= 1) & (ma > 0) & np.isfinite(ma)
    return xa[keep], ma[keep], int(xa.size - np.count_nonzero(keep))


def log_likelihood_individual(params: GammaGammaParams, x: ArrayLike, m: ArrayLike) -> FloatArray:
    """log f(m | p, q, v; x) per customer (x >= 1, m > 0), vectorised."""
    p, q, v = params.p, params.q, params.v
    xa, ma = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(m, dtype=np.float64))
    px = p * xa
    return np.asarray(
        gammaln(px + q)
        - gammaln(px)
        - gammaln(q)
        + q * np.log(v)
        + (px - 1.0) * np.log(ma)
        + px * np.log(xa)
        - (px + q) * np.log(v + ma * xa),
        dtype=np.float64,
    )


def log_likelihood(params: GammaGammaParams, x: ArrayLike, m: ArrayLike) -> float:
    """Total log-likelihood over customers with x >= 1 and m > 0 (others are skipped)."""
    xa, ma, _ = _usable(x, m)
    return float(log_likelihood_individual(params, xa, ma).sum())


def conditional_expected_spend(params: GammaGammaParams, x: ArrayLike, m: ArrayLike) -> FloatArray:
    """E[Z | x, m] = p (v + x m) / (p x + q - 1); the population mean p v/(q-1) where x = 0."""
    p, q, v = params.p, params.q, params.v
    xa, ma = np.broadcast_arrays(np.asarray(x, dtype=np.float64), np.asarray(m, dtype=np.float64))
    mm = np.where(xa > 0, ma, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = p * (v + xa * mm) / (p * xa + q - 1.0)
    return np.asarray(np.where(p * xa + q - 1.0 > 0, value, np.inf), dtype=np.float64)


def frequency_monetary_correlation(x: ArrayLike, m: ArrayLike) -> float:
    """Pearson r between frequency and monetary value over x >= 1, m > 0 (nan if undefined)."""
    xa, ma, _ = _usable(x, m)
    if xa.size < 2 or np.ptp(xa) == 0 or np.ptp(ma) == 0:
        return float("nan")
    return float(np.corrcoef(xa, ma)[0, 1])


@dataclass(frozen=True, slots=True)
class _Data:
    """Sufficient pieces of the sample: per distinct x its count, and the constant sums."""

    x: FloatArray
    mx: FloatArray
    x_values: FloatArray
    x_counts: FloatArray
    n: int
    constant_p: float  # sum x log m + sum x log x
    constant: float  # -sum log m


def _prepare(x: FloatArray, m: FloatArray) -> _Data:
    x_values, x_counts = np.unique(x, return_counts=True)
    log_m = np.log(m)
    return _Data(
        x=x,
        mx=m * x,
        x_values=x_values,
        x_counts=x_counts.astype(np.float64),
        n=int(x.size),
        constant_p=_dot(x, log_m) + _dot(x, np.log(x)),
        constant=float(-log_m.sum()),
    )


def _negative_mean_ll(theta: FloatArray, d: _Data) -> tuple[float, FloatArray]:
    """Mean negative log-likelihood and its gradient in log-parameters; the x-only terms are
    computed once per distinct x, so each customer costs one log and one division."""
    p, q, v = np.exp(theta)
    pxv = p * d.x_values
    c = d.x_counts
    denom = v + d.mx
    log_denom = np.log(denom)
    inv_denom = 1.0 / denom
    s_x_log = _dot(d.x, log_denom)
    s_log = float(log_denom.sum())
    ll = (
        _dot(c, gammaln(pxv + q) - gammaln(pxv))
        - d.n * gammaln(q)
        + d.n * q * np.log(v)
        + p * d.constant_p
        + d.constant
        - p * s_x_log
        - q * s_log
    )
    psi_pxq = digamma(pxv + q)
    dp = _dot(c, d.x_values * (psi_pxq - digamma(pxv))) + d.constant_p - s_x_log
    dq = _dot(c, psi_pxq) - d.n * digamma(q) + d.n * np.log(v) - s_log
    dv = d.n * q / v - p * _dot(d.x, inv_denom) - q * float(inv_denom.sum())
    grad = np.array([dp * p, dq * q, dv * v])
    return float(-ll / d.n), -grad / d.n


def fit(x: ArrayLike, m: ArrayLike) -> GammaGammaFit:
    """Maximum-likelihood fit of p, q, v on the customers with x >= 1 and m > 0.

    L-BFGS-B over log-parameters with the analytic gradient, on spend divided by its mean
    (the fit is scale-equivariant: only v carries the currency unit), from three starting
    points (stopping once two agree); the best optimum is kept. ``n_excluded`` counts the
    customers left out (x = 0 or m <= 0).
    """
    xa, ma, excluded = _usable(x, m)
    if xa.size < 2:
        raise ValueError("Gamma-Gamma needs at least two customers with repeat purchases")
    # v scales with the currency unit (p and q do not): fit on m / mean(m), then scale v back.
    scale = float(ma.mean())
    d = _prepare(xa, ma / scale)
    starts = [(1.0, 1.0, 1.0), (2.0, 3.0, 2.0), (5.0, 4.0, 3.0)]
    best = None
    for start in starts:
        res = minimize(
            _negative_mean_ll,
            np.clip(np.log(np.asarray(start)), *_LOG_BOUNDS),
            args=(d,),
            jac=True,
            method="L-BFGS-B",
            bounds=[_LOG_BOUNDS] * 3,
            options={"maxiter": 1000, "ftol": 1e-14, "gtol": 1e-9},
        )
        if not np.isfinite(res.fun):
            continue
        same = best is not None and abs(res.fun - best.fun) <= _AGREE * abs(best.fun)
        if best is None or res.fun < best.fun:
            best = res
        if same and res.success:
            break  # two starts reached the same optimum: the third would too
    if best is None:
        raise ValueError("Gamma-Gamma log-likelihood is not finite at any starting point")
    grad_max = float(np.max(np.abs(best.jac)))
    p, q, v = (float(val) for val in np.exp(best.x))
    params = GammaGammaParams(p, q, v * scale)
    return GammaGammaFit(
        params=params,
        log_likelihood=float(log_likelihood_individual(params, xa, ma).sum()),
        converged=bool(best.success or grad_max < _GRAD_TOL),
        n_customers=int(xa.size),
        n_excluded=excluded,
        frequency_monetary_correlation=frequency_monetary_correlation(xa, ma),
        message=f"{best.message} (max |gradient| {grad_max:.2e})",
    )
