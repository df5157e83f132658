"""BG/NBD model of repeat purchases (Fader, Hardie & Lee 2005, Marketing Science 24(2)).

Model: while alive, a customer buys as a Poisson process with rate lambda ~ Gamma(r, alpha)
(shape r, rate alpha); after every purchase the customer drops out with probability
p ~ Beta(a, b). Data per customer: x repeat purchases, t_x the time of the last one and T the
time observed, all measured from the first purchase (see :mod:`.summary`).

Individual log-likelihood (FHL 2005, eq. 6)::

    L = B(a, b+x)/B(a, b) * G(r+x) a^r / (G(r) (alpha+T)^(r+x))
        + [x > 0] B(a+1, b+x-1)/B(a, b) * G(r+x) alpha^r / (G(r) (alpha+t_x)^(r+x))

evaluated in logs with ``gammaln``/``betaln`` and a log-sum-exp of the two terms. The first
term is the probability of the data *and* being alive at T, which gives P(alive) (FHL 2005,
eq. 13; Fader, Hardie & Lee 2008 note "Computing P(alive) using the BG/NBD model")::

    P(alive | x, t_x, T) = 1 / (1 + [x > 0] a/(b+x-1) * ((alpha+T)/(alpha+t_x))^(r+x))

which is exactly 1 for x = 0: in this model a customer can only drop out right after a
purchase, so one who has made no repeat purchase is certainly still alive.

All functions are vectorised over customers (numpy broadcasting).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import OptimizeResult, minimize
from scipy.special import betaln, digamma, expit, gammaln

from clientbase.analytics.clv.hypergeometric import expected_purchases_alive
from clientbase.analytics.clv.numerics import dot as _dot

FloatArray = NDArray[np.float64]
_LOG_BOUNDS = (-12.0, 12.0)  # each parameter in [6e-6, 1.6e5]
_GRAD_TOL = 1e-5  # max |gradient| of the mean log-likelihood accepted as converged
_AGREE = 1e-10  # relative difference of two optima taken as the same optimum
_SUBSAMPLE_ABOVE = 50_000  # distinct rows; above this, search starting points on a subsample
_SUBSAMPLE_SIZE = 20_000


@dataclass(frozen=True, slots=True)
class BGNBDParams:
    """BG/NBD parameters: r, alpha (purchase-rate Gamma), a, b (dropout Beta); alpha in weeks."""

    r: float
    alpha: float
    a: float
    b: float

    def __post_init__(self) -> None:
        for name in ("r", "alpha", "a", "b"):
            value = getattr(self, name)
            if not (np.isfinite(value) and value > 0):
                raise ValueError(f"BG/NBD parameter {name} must be positive and finite: {value}")

    def as_dict(self) -> dict[str, float]:
        return {"r": self.r, "alpha": self.alpha, "a": self.a, "b": self.b}


@dataclass(frozen=True, slots=True)
class BGNBDFit:
    """Result of :func:`fit`: the maximum-likelihood parameters and how the fit went."""

    params: BGNBDParams
    log_likelihood: float
    converged: bool
    n_customers: int
    message: str
    starts: int


def broadcast_columns(
    x: ArrayLike, t_x: ArrayLike, T: ArrayLike
) -> tuple[FloatArray, FloatArray, FloatArray]:
    xa, ta, Ta = np.broadcast_arrays(
        np.asarray(x, dtype=np.float64),
        np.asarray(t_x, dtype=np.float64),
        np.asarray(T, dtype=np.float64),
    )
    return xa, ta, Ta


def log_likelihood_individual(
    params: BGNBDParams, x: ArrayLike, t_x: ArrayLike, T: ArrayLike
) -> FloatArray:
    """Log-likelihood of each customer's (x, t_x, T) (FHL 2005, eq. 6), vectorised."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    xa, ta, Ta = broadcast_columns(x, t_x, T)
    repeat = xa > 0
    common = gammaln(r + xa) - gammaln(r) + r * np.log(alpha) - betaln(a, b)
    term1 = betaln(a, b + xa) - (r + xa) * np.log(alpha + Ta)
    b_minus = np.where(repeat, b + xa - 1.0, 1.0)
    term2 = np.where(repeat, betaln(a + 1.0, b_minus) - (r + xa) * np.log(alpha + ta), -np.inf)
    return np.asarray(common + np.logaddexp(term1, term2), dtype=np.float64)


def log_likelihood(
    params: BGNBDParams,
    x: ArrayLike,
    t_x: ArrayLike,
    T: ArrayLike,
    weights: ArrayLike | None = None,
) -> float:
    """Total log-likelihood of a sample (optionally with a count/weight per row)."""
    ll = log_likelihood_individual(params, x, t_x, T)
    if weights is None:
        return float(ll.sum())
    return float(np.dot(np.asarray(weights, dtype=np.float64), ll))


def p_alive(params: BGNBDParams, x: ArrayLike, t_x: ArrayLike, T: ArrayLike) -> FloatArray:
    """P(alive at T | x, t_x, T) (FHL 2005, eq. 13); exactly 1 where x = 0."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    xa, ta, Ta = broadcast_columns(x, t_x, T)
    repeat = xa > 0
    b_minus = np.where(repeat, b + xa - 1.0, 1.0)
    log_odds_dead = (
        np.log(a) - np.log(b_minus) + (r + xa) * (np.log(alpha + Ta) - np.log(alpha + ta))
    )
    return np.asarray(np.where(repeat, expit(-log_odds_dead), 1.0), dtype=np.float64)


def conditional_expected_purchases(
    params: BGNBDParams, t: ArrayLike, x: ArrayLike, t_x: ArrayLike, T: ArrayLike
) -> FloatArray:
    """E[Y(t) | x, t_x, T]: expected purchases in (T, T + t] (FHL 2005, eq. 10).

    ``E = P(alive) * (a+b+x-1)/(a-1) * [1 - ((alpha+T)/(alpha+T+t))^(r+x)
    * 2F1(r+x, b+x; a+b+x-1; t/(alpha+T+t))]``; the bracket is evaluated in the Euler-
    transformed form of :mod:`.hypergeometric`, which stays finite for large x and t.
    """
    xa, ta, Ta = broadcast_columns(x, t_x, T)
    alive = p_alive(params, xa, ta, Ta)
    return np.asarray(alive * expected_purchases_alive(params, t, xa, Ta), dtype=np.float64)


def expected_purchases(params: BGNBDParams, t: ArrayLike) -> FloatArray:
    """Unconditional E[X(t)]: repeat purchases of a new customer in (0, t] (FHL 2005, eq. 9)."""
    ta = np.asarray(t, dtype=np.float64)
    return np.asarray(expected_purchases_alive(params, ta, 0.0, 0.0), dtype=np.float64)


# -- maximum likelihood -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Data:
    """Distinct (x, t_x, T) rows with their counts, and the distinct values of each column."""

    weight: FloatArray
    total_weight: float
    x_values: FloatArray
    x_index: NDArray[np.intp]
    t_values: FloatArray
    t_index: NDArray[np.intp]
    T_values: FloatArray
    T_index: NDArray[np.intp]


def _prepare(x: FloatArray, t_x: FloatArray, T: FloatArray, weights: FloatArray) -> _Data:
    order = np.lexsort((T, t_x, x))
    xs, ts, Ts, ws = x[order], t_x[order], T[order], weights[order]
    new = np.ones(xs.size, dtype=bool)
    new[1:] = (xs[1:] != xs[:-1]) | (ts[1:] != ts[:-1]) | (Ts[1:] != Ts[:-1])
    starts = np.flatnonzero(new)
    xs, ts, Ts = xs[starts], ts[starts], Ts[starts]
    ws = np.add.reduceat(ws, starts) if ws.size else ws
    x_values, x_index = np.unique(xs, return_inverse=True)
    t_values, t_index = np.unique(ts, return_inverse=True)
    T_values, T_index = np.unique(Ts, return_inverse=True)
    return _Data(ws, float(ws.sum()), x_values, x_index, t_values, t_index, T_values, T_index)


def _negative_mean_ll(theta: FloatArray, d: _Data) -> tuple[float, FloatArray]:
    """Mean negative log-likelihood over customers and its gradient in log-parameters."""
    r, alpha, a, b = np.exp(theta)
    xv = d.x_values
    repeat_v = xv > 0
    b_minus = np.where(repeat_v, b + xv - 1.0, 1.0)
    # per distinct x
    lg = gammaln(r + xv) - gammaln(r) + r * np.log(alpha) - betaln(a, b)
    bl1 = betaln(a, b + xv)
    bl2 = np.where(repeat_v, betaln(a + 1.0, b_minus), -np.inf)
    psi_ab = digamma(a + b)
    psi_abx = digamma(a + b + xv)
    dr_x = digamma(r + xv) - digamma(r) + np.log(alpha)
    da_x = psi_ab - psi_abx
    db_x = psi_ab - psi_abx - digamma(b)
    psi_bx = digamma(b + xv)
    psi_bx1 = np.where(repeat_v, digamma(b_minus), 0.0)
    # per distinct row
    ix = d.x_index
    X = xv[ix]
    log_aT = np.log(alpha + d.T_values)[d.T_index]
    log_at = np.log(alpha + d.t_values)[d.t_index]
    t1 = bl1[ix] - (r + X) * log_aT
    t2 = bl2[ix] - (r + X) * log_at
    ls = np.logaddexp(t1, t2)
    w1 = np.exp(t1 - ls)
    w2 = np.exp(t2 - ls)
    ll = lg[ix] + ls
    w = d.weight
    dr = dr_x[ix] - w1 * log_aT - w2 * log_at
    dalpha = r / alpha - (r + X) * (
        w1 / (alpha + d.T_values[d.T_index]) + w2 / (alpha + d.t_values[d.t_index])
    )
    da = da_x[ix] + w2 / a
    db = db_x[ix] + w1 * psi_bx[ix] + w2 * psi_bx1[ix]
    grad = np.array([_dot(w, dr) * r, _dot(w, dalpha) * alpha, _dot(w, da) * a, _dot(w, db) * b])
    n = d.total_weight
    return -_dot(w, ll) / n, -grad / n


def _starting_points(d: _Data) -> list[tuple[float, float, float, float]]:
    x_mean = _dot(d.weight, d.x_values[d.x_index]) / d.total_weight
    T_mean = _dot(d.weight, d.T_values[d.T_index]) / d.total_weight
    rate = max(x_mean, 0.01) / max(T_mean, 1.0)  # purchases per week, roughly
    return [
        (1.0, 1.0 / rate, 1.0, 1.0),
        (0.25, 0.25 / rate, 0.8, 2.5),
        (2.0, 2.0 / rate, 2.0, 5.0),
        (0.5, 0.5 / rate, 0.3, 1.0),
    ]


def _minimize(d: _Data, start: tuple[float, ...]) -> OptimizeResult:
    theta0 = np.clip(np.log(np.asarray(start, dtype=np.float64)), *_LOG_BOUNDS)
    return minimize(
        _negative_mean_ll,
        theta0,
        args=(d,),
        jac=True,
        method="L-BFGS-B",
        bounds=[_LOG_BOUNDS] * 4,
        options={"maxiter": 1000, "ftol": 1e-14, "gtol": 1e-9},
    )


def _multistart(
    d: _Data, points: list[tuple[float, float, float, float]]
) -> tuple[OptimizeResult | None, int]:
    """Best optimum over the starting points, stopping once two starts agree."""
    best = None
    tried = 0
    for start in points:
        tried += 1
        res = _minimize(d, start)
        if not np.isfinite(res.fun):
            continue
        same = best is not None and abs(res.fun - best.fun) <= _AGREE * abs(best.fun)
        if best is None or res.fun < best.fun:
            best = res
        if same and res.success:
            break  # two starts reached the same optimum: the others would too
    return best, tried


def _converged(res: OptimizeResult) -> bool:
    grad_max = float(np.max(np.abs(res.jac)))
    return bool((res.success or grad_max < _GRAD_TOL) and np.all(np.isfinite(res.x)))


def fit(
    x: ArrayLike,
    t_x: ArrayLike,
    T: ArrayLike,
    weights: ArrayLike | None = None,
    starts: list[tuple[float, float, float, float]] | None = None,
) -> BGNBDFit:
    """Maximum-likelihood BG/NBD fit.

    Minimises the mean negative log-likelihood over log-parameters with L-BFGS-B and the
    analytic gradient, from several starting points (stopping once two of them reach the
    same optimum), and keeps the best optimum. Identical (x, t_x, T) rows are collapsed into
    counts first, so the cost grows with the number of distinct rows, not of customers.
    With more than 50,000 distinct rows the starting points are first tried on a fixed
    random subsample of 20,000 customers and the best optimum there starts a single run on
    all the data (the multi-start on all the data is the fallback if that run fails).
    ``converged`` is True when the optimiser reported success or the gradient at the optimum
    is below tolerance. ``weights`` (optional) are row counts.
    """
    xa, ta, Ta = broadcast_columns(x, t_x, T)
    xa, ta, Ta = xa.ravel(), ta.ravel(), Ta.ravel()
    wa = np.ones_like(xa) if weights is None else np.asarray(weights, dtype=np.float64).ravel()
    if xa.size == 0:
        raise ValueError("cannot fit BG/NBD to no customers")
    if np.any(xa < 0) or np.any(ta < 0) or np.any(ta > Ta) or np.any(xa != np.round(xa)):
        raise ValueError("need integer x >= 0 and 0 <= t_x <= T")
    d = _prepare(xa, ta, Ta, wa)
    points = starts if starts is not None else _starting_points(d)
    best, tried = None, 0
    if starts is None and d.weight.size > _SUBSAMPLE_ABOVE:
        pick = np.random.default_rng(0).choice(xa.size, _SUBSAMPLE_SIZE, replace=False)
        sub = _prepare(xa[pick], ta[pick], Ta[pick], wa[pick])
        sub_best, tried = _multistart(sub, _starting_points(sub))
        if sub_best is not None:
            res = _minimize(d, tuple(np.exp(sub_best.x)))
            tried += 1
            if np.isfinite(res.fun) and _converged(res):
                best = res
    if best is None:
        best, more = _multistart(d, points)
        tried += more
    if best is None:
        raise ValueError("BG/NBD log-likelihood is not finite at any starting point")
    grad_max = float(np.max(np.abs(best.jac)))
    r, alpha, a, b = (float(v) for v in np.exp(best.x))
    params = BGNBDParams(r, alpha, a, b)
    return BGNBDFit(
        params=params,
        log_likelihood=log_likelihood(params, xa, ta, Ta, wa),
        converged=_converged(best),
        n_customers=int(round(d.total_weight)),
        message=f"{best.message} (max |gradient| {grad_max:.2e})",
        starts=tried,
    )
