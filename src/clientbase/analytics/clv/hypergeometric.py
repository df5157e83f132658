"""The Gaussian hypergeometric part of the BG/NBD expectations, evaluated safely.

For a customer alive at T, the expected number of purchases in (T, T + t] is (FHL 2005,
eqs. 9-10, without the P(alive) factor)::

    E_alive = (a+b+x-1)/(a-1) * [1 - (1-z)^(r+x) * 2F1(r+x, b+x; a+b+x-1; z)],
    z = t / (alpha + T + t).

Written like this the 2F1 series converges slowly, and for a large x or t (z near 1) it
overflows while (1-z)^(r+x) underflows: the "#NUM!" problem of Fader & Hardie's note
"Overcoming the BG/NBD model's #NUM! error problem" (2013). Euler's transformation
2F1(A, B; C; z) = (1-z)^(C-A-B) 2F1(C-A, C-B; C; z) removes it::

    (1-z)^(r+x) 2F1(r+x, b+x; a+b+x-1; z) = (1-z)^(a-1) 2F1(a+b-1-r, a-1; a+b+x-1; z)

whose upper parameters no longer grow with x and whose series converges at z = 1 whenever
r + x + 1 > a. Remaining corner cases are handled explicitly:

* a within 1e-5 of 1 (the prefactor is 0/0): linear interpolation between a = 1 -/+ 1e-5
  (relative error below 1e-7);
* any non-finite or negative result (e.g. a+b+x-1 <= 0): the integral representation
  ``E_alive = E_p[(1/p) (1 - ((alpha+T)/(alpha+T+p t))^(r+x))]`` with p ~ Beta(a, b+x),
  integrated numerically (:func:`_by_quadrature`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import betaln, hyp2f1, log_expit

if TYPE_CHECKING:
    from clientbase.analytics.clv.bgnbd import BGNBDParams

FloatArray = NDArray[np.float64]
_A_NEAR_ONE = 1e-5
_DEDUP_MIN = 4096


def _euler_form(
    r: float, alpha: float, a: float, b: float, x: FloatArray, z: FloatArray
) -> FloatArray:
    c = a + b + x - 1.0
    with np.errstate(all="ignore"):
        bracket = 1.0 - np.power(1.0 - z, a - 1.0) * hyp2f1(a + b - 1.0 - r, a - 1.0, c, z)
        return np.asarray(c / (a - 1.0) * bracket, dtype=np.float64)


def _by_quadrature(
    r: float, alpha: float, a: float, b: float, x: float, T: float, t: float
) -> float:
    """E_alive as an integral over the dropout probability p ~ Beta(a, b + x).

    ``E_p[(1/p) (1 - ((alpha+T)/(alpha+T+p t))^(r+x))]``, by the trapezoid rule in the logit
    w = log(p / (1 - p)): there the Beta density times the Jacobian, p^a (1-p)^(b+x) / B,
    is smooth and decays exponentially on both sides (even for a or b below 1, or a sharply
    peaked density when x is large), so the rule converges geometrically; the integrand is
    bounded by t (r+x) / (alpha+T).
    """
    if t <= 0:
        return 0.0
    shape, scale, beta = r + x, alpha + T, b + x
    sd = float(np.sqrt(1.0 / a + 1.0 / beta))
    mode = float(np.log(a / beta))
    step = min(sd / 8.0, 0.1)
    lo, hi = mode - 40.0 / a - 10.0 * sd, mode + 40.0 / beta + 10.0 * sd
    w = np.linspace(lo, hi, min(int((hi - lo) / step) + 2, 400_001))
    log_p, log_q = log_expit(w), log_expit(-w)
    p = np.exp(log_p)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        g = -np.expm1(-shape * np.log1p(p * t / scale)) / p
    g = np.where(p > 1e-300, g, t * shape / scale)
    density = np.exp(a * log_p + beta * log_q - betaln(a, beta))
    return float(np.trapezoid(g * density, w))


def _unique_rows(u: FloatArray, w: FloatArray) -> tuple[FloatArray, FloatArray, NDArray[np.intp]]:
    """Distinct (u, w) pairs and, for each input row, the index of its pair."""
    order = np.lexsort((w, u))
    us, ws = u[order], w[order]
    new = np.ones(us.size, dtype=bool)
    new[1:] = (us[1:] != us[:-1]) | (ws[1:] != ws[:-1])
    inverse = np.empty(us.size, dtype=np.intp)
    inverse[order] = np.cumsum(new) - 1
    return us[new], ws[new], inverse


def _evaluate(params: BGNBDParams, x: FloatArray, z: FloatArray) -> FloatArray:
    """E_alive for flat arrays of x and z = t / (alpha + T + t)."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    if abs(a - 1.0) < _A_NEAR_ONE:
        lo = _euler_form(r, alpha, 1.0 - _A_NEAR_ONE, b, x, z)
        hi = _euler_form(r, alpha, 1.0 + _A_NEAR_ONE, b, x, z)
        values = lo + (a - (1.0 - _A_NEAR_ONE)) / (2 * _A_NEAR_ONE) * (hi - lo)
    else:
        values = _euler_form(r, alpha, a, b, x, z)
    values = np.where(z == 0.0, 0.0, values)
    for i in np.flatnonzero(~np.isfinite(values) | (values < 0)):
        # Only z enters: take T = 0 and the t with the same z.
        zi = float(z[i])
        t_equiv = np.inf if zi >= 1.0 else alpha * zi / (1.0 - zi)
        values[i] = _by_quadrature(r, alpha, a, b, float(x[i]), 0.0, t_equiv)
    return np.asarray(values, dtype=np.float64)


def expected_purchases_alive(
    params: BGNBDParams, t: ArrayLike, x: ArrayLike, T: ArrayLike
) -> FloatArray:
    """Expected purchases in (T, T + t] of a customer alive at T with x repeat purchases."""
    ta, xa, Ta = np.broadcast_arrays(
        np.asarray(t, dtype=np.float64),
        np.asarray(x, dtype=np.float64),
        np.asarray(T, dtype=np.float64),
    )
    tf, xf, Tf = ta.ravel(), xa.ravel(), Ta.ravel()
    if np.any(tf < 0):
        raise ValueError("forecast length t must be >= 0")
    z = tf / (params.alpha + Tf + tf)
    if xf.size < _DEDUP_MIN:
        return _evaluate(params, xf, z).reshape(ta.shape)
    xu, zu, inverse = _unique_rows(xf, z)
    return _evaluate(params, xu, zu)[inverse].reshape(ta.shape)


class AliveExpectation:
    """``E_alive(t)`` of fixed customers (x, T) for many forecast lengths t (e.g. the weeks of
    a discounted CLV): the distinct (x, T) pairs are found once, not once per t."""

    def __init__(self, params: BGNBDParams, x: ArrayLike, T: ArrayLike) -> None:
        xa, Ta = np.broadcast_arrays(
            np.asarray(x, dtype=np.float64), np.asarray(T, dtype=np.float64)
        )
        self._params = params
        self._shape = xa.shape
        self._x, self._T, self._inverse = _unique_rows(xa.ravel(), Ta.ravel())

    def __call__(self, t: float) -> FloatArray:
        if t < 0:
            raise ValueError("forecast length t must be >= 0")
        z = t / (self._params.alpha + self._T + t)
        return _evaluate(self._params, self._x, z)[self._inverse].reshape(self._shape)
