"""BG/NBD: likelihood, P(alive), expectations and the fit, each against an independent
computation (numerical integration over lambda and p, or simulation of the model)."""

from __future__ import annotations

import time

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.optimize import approx_fprime
from scipy.special import betaln, hyp2f1
from scipy.special import gamma as gamma_fn

from clientbase.analytics.clv import BGNBDParams, bgnbd
from clientbase.analytics.clv.hypergeometric import AliveExpectation, _by_quadrature
from clientbase.analytics.clv.simulate import simulate_bgnbd

from .simulated import CDNOW_BG

OTHER = BGNBDParams(r=1.3, alpha=8.0, a=2.5, b=4.0)  # a > 1, r > 1: a different regime
CASES = [(0, 0.0, 39.0), (1, 5.0, 30.0), (2, 30.43, 38.86), (5, 35.0, 38.0), (12, 20.0, 60.0)]


# -- independent integrals: E over lambda ~ Gamma(r, alpha), p ~ Beta(a, b) --------------


def lambda_moment(params: BGNBDParams, x: int, s: float) -> float:
    """E[lambda^x exp(-lambda s)] by quadrature (Gamma density written out)."""
    r, alpha = params.r, params.alpha
    norm = alpha**r / gamma_fn(r)

    def f(lam: float) -> float:
        return lam**x * np.exp(-(alpha + s) * lam) * norm

    head, _ = quad(f, 0, 1, weight="alg", wvar=(r - 1, 0), epsabs=0, epsrel=1e-12, limit=200)
    tail, _ = quad(lambda lam: f(lam) * lam ** (r - 1), 1, np.inf, epsabs=0, epsrel=1e-12)
    return head + tail


def p_moment(params: BGNBDParams, k: int, j: int) -> float:
    """E[p^k (1-p)^j] by quadrature (Beta density written out)."""
    a, b = params.a, params.b
    norm = gamma_fn(a + b) / (gamma_fn(a) * gamma_fn(b))
    value, _ = quad(lambda p: norm, 0, 1, weight="alg", wvar=(a - 1 + k, b - 1 + j), epsabs=0)
    return value


def likelihood_parts(params: BGNBDParams, x: int, t_x: float, T: float) -> tuple[float, float]:
    """(P(data, alive at T), P(data, dropped out)) from the individual-level likelihood
    (1-p)^x lambda^x e^(-lambda T) + [x>0] p (1-p)^(x-1) lambda^x e^(-lambda t_x)."""
    alive = p_moment(params, 0, x) * lambda_moment(params, x, T)
    dead = p_moment(params, 1, x - 1) * lambda_moment(params, x, t_x) if x > 0 else 0.0
    return alive, dead


@pytest.mark.parametrize("params", [CDNOW_BG, OTHER])
@pytest.mark.parametrize(("x", "t_x", "T"), CASES)
def test_log_likelihood_equals_the_integrated_individual_likelihood(
    params: BGNBDParams, x: int, t_x: float, T: float
) -> None:
    alive, dead = likelihood_parts(params, x, t_x, T)
    ll = bgnbd.log_likelihood_individual(params, x, t_x, T)
    assert float(ll) == pytest.approx(np.log(alive + dead), rel=1e-9)


@pytest.mark.parametrize("params", [CDNOW_BG, OTHER])
@pytest.mark.parametrize(("x", "t_x", "T"), CASES)
def test_p_alive_closed_form_equals_the_posterior_integral(
    params: BGNBDParams, x: int, t_x: float, T: float
) -> None:
    alive, dead = likelihood_parts(params, x, t_x, T)
    assert float(bgnbd.p_alive(params, x, t_x, T)) == pytest.approx(
        alive / (alive + dead), rel=1e-9
    )


def test_p_alive_is_one_without_repeat_purchases() -> None:
    """FHL 2005: dropout happens only right after a purchase, so x = 0 means alive."""
    T = np.linspace(0.0, 500.0, 101)
    for params in (CDNOW_BG, OTHER):
        assert np.all(bgnbd.p_alive(params, 0, 0.0, T) == 1.0)
    assert np.all(bgnbd.p_alive(CDNOW_BG, [1, 3], 0.0, 400.0) < 0.05)  # long silent: dead


def test_p_alive_is_calibrated_on_simulated_customers() -> None:
    """Brute force: among simulated customers grouped by what is observed, the mean P(alive)
    matches the share actually alive (and every x = 0 customer is alive)."""
    rng = np.random.default_rng(20240601)
    n = 200_000
    T = rng.uniform(20.0, 40.0, n)
    sim = simulate_bgnbd(CDNOW_BG, T, rng)
    x = np.bincount(sim.customer, minlength=n) - 1
    t_x = np.zeros(n)
    np.maximum.at(t_x, sim.customer, sim.time)
    prob = bgnbd.p_alive(CDNOW_BG, x, t_x, T)
    assert np.all(sim.alive[x == 0])
    gap = (T - t_x) / T
    checked = 0
    for xs in ([1], [2], [3, 4], list(range(5, 1000))):
        for lo, hi in ((0.0, 0.2), (0.2, 0.5), (0.5, 1.01)):
            group = np.isin(x, xs) & (gap >= lo) & (gap < hi)
            if group.sum() < 500:
                continue
            share = sim.alive[group].mean()
            se = np.sqrt(share * (1 - share) / group.sum()) + 1e-3
            assert abs(prob[group].mean() - share) < 4 * se, (xs, lo, hi)
            checked += 1
    assert checked >= 9


# -- E[Y(t) | x, t_x, T] -----------------------------------------------------------------


def raw_formula(params: BGNBDParams, t: float, x: float, t_x: float, T: float) -> float:
    """FHL 2005 eq. 10 written literally (fine for moderate arguments)."""
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    z = t / (alpha + T + t)
    head = (a + b + x - 1) / (a - 1)
    bracket = 1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * hyp2f1(
        r + x, b + x, a + b + x - 1, z
    )
    alive_odds = a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x) if x > 0 else 0.0
    return float(head * bracket / (1 + alive_odds))


@pytest.mark.parametrize("params", [CDNOW_BG, OTHER])
@pytest.mark.parametrize(("x", "t_x", "T"), CASES)
@pytest.mark.parametrize("t", [1.0, 39.0, 52.0])
def test_conditional_expectation_equals_the_paper_formula_for_moderate_arguments(
    params: BGNBDParams, x: int, t_x: float, T: float, t: float
) -> None:
    got = float(bgnbd.conditional_expected_purchases(params, t, x, t_x, T))
    assert got == pytest.approx(raw_formula(params, t, x, t_x, T), rel=1e-9)


def simulate_future(lam: np.ndarray, p: np.ndarray, t: float, rng: np.random.Generator):
    """Purchases in (0, t] of customers alive at 0 (drop out after each purchase w.p. p)."""
    count = np.zeros(lam.size)
    now = np.zeros(lam.size)
    active = np.arange(lam.size)
    while active.size:
        now[active] += rng.exponential(1.0, active.size) / lam[active]
        active = active[now[active] <= t]
        count[active] += 1
        active = active[rng.random(active.size) >= p[active]]
    return count


@pytest.mark.parametrize(
    ("x", "t_x", "T", "t"),
    [(0, 0.0, 39.0, 39.0), (2, 30.43, 38.86, 39.0), (1, 5.0, 30.0, 20.0), (5, 35.0, 38.0, 52.0)],
)
def test_conditional_expectation_matches_monte_carlo_from_the_posterior(
    x: int, t_x: float, T: float, t: float
) -> None:
    """Draw (lambda, p) from the prior, weight by the likelihood of (x, t_x, T) split into
    'alive at T' and 'dropped out', and simulate the alive ones' next t weeks."""
    rng = np.random.default_rng(1000 + x)
    n = 400_000
    P = CDNOW_BG
    lam = rng.gamma(P.r, 1 / P.alpha, n)
    p = rng.beta(P.a, P.b, n)
    w_alive = (1 - p) ** x * lam**x * np.exp(-lam * T)
    w_dead = p * (1 - p) ** (x - 1) * lam**x * np.exp(-lam * t_x) if x > 0 else 0.0
    w = w_alive + w_dead
    h = np.where(w > 0, w_alive / np.where(w > 0, w, 1), 0) * simulate_future(lam, p, t, rng)
    estimate = float(w @ h / w.sum())
    se = float(np.sqrt(np.sum(w**2 * (h - estimate) ** 2)) / w.sum())
    assert w.sum() ** 2 / np.sum(w**2) > 5_000  # enough effective draws
    got = float(bgnbd.conditional_expected_purchases(P, t, x, t_x, T))
    assert abs(got - estimate) < 4 * se + 1e-3, (got, estimate, se)


@pytest.mark.parametrize(
    "params",
    [CDNOW_BG, OTHER, BGNBDParams(0.5, 2.0, 1.0, 3.0), BGNBDParams(0.3, 3.0, 0.2, 0.4)],
)
@pytest.mark.parametrize("x", [0, 1, 10, 100, 1000])
@pytest.mark.parametrize("T", [0.0, 10.0, 200.0])
@pytest.mark.parametrize("t", [0.5, 52.0, 520.0, 5200.0])
def test_alive_expectation_is_stable_for_large_arguments(
    params: BGNBDParams, x: int, T: float, t: float
) -> None:
    """The Euler-transformed 2F1 against the integral over p, far beyond where the literal
    formula's 2F1 overflows (x = 1000, t = 5200 weeks); a = 1 exactly and a + b < 1
    (2F1 with a negative third parameter when x = 0) included."""
    got = float(AliveExpectation(params, x, T)(t))
    expected = _by_quadrature(params.r, params.alpha, params.a, params.b, x, T, t)
    assert np.isfinite(got)
    assert got == pytest.approx(expected, rel=1e-7)


def test_the_quadrature_reference_is_itself_accurate() -> None:
    """Against a brute-force 2,000,001-point trapezoid in log p for a peaked posterior."""
    r, alpha, a, b, x, T, t = 1.3, 8.0, 2.5, 4.0, 1000, 0.0, 5200.0
    log_p = np.linspace(np.log(1e-300), 0.0, 2_000_001)
    p = np.exp(log_p)
    g = -np.expm1(-(r + x) * np.log1p(p * t / (alpha + T))) / p
    log_density = (
        (a - 1) * log_p + (b + x - 1) * np.log1p(-np.minimum(p, 1 - 1e-16)) - betaln(a, b + x)
    )
    brute = float(np.trapezoid(g * np.exp(log_density) * p, log_p))
    assert _by_quadrature(r, alpha, a, b, x, T, t) == pytest.approx(brute, rel=1e-9)


def test_unconditional_expectation_matches_simulation_and_the_x0_case() -> None:
    rng = np.random.default_rng(7)
    n = 200_000
    for t in (39.0, 78.0):
        sim = simulate_bgnbd(CDNOW_BG, np.full(n, t), rng)
        counts = np.bincount(sim.customer, minlength=n) - 1
        expected = float(bgnbd.expected_purchases(CDNOW_BG, t))
        assert abs(expected - counts.mean()) < 4 * counts.std() / np.sqrt(n)
        assert expected == pytest.approx(
            float(bgnbd.conditional_expected_purchases(CDNOW_BG, t, 0, 0.0, 0.0)), rel=1e-12
        )
    assert np.all(np.diff(bgnbd.expected_purchases(CDNOW_BG, np.linspace(0, 100, 11))) > 0)
    assert float(bgnbd.expected_purchases(CDNOW_BG, 0.0)) == 0.0


# -- the fit -----------------------------------------------------------------------------


def test_gradient_is_the_derivative_of_the_log_likelihood() -> None:
    rng = np.random.default_rng(3)
    T = rng.uniform(5, 40, 3000)
    sim = simulate_bgnbd(OTHER, T, rng)
    x = (np.bincount(sim.customer, minlength=T.size) - 1).astype(float)
    t_x = np.zeros(T.size)
    np.maximum.at(t_x, sim.customer, sim.time)
    data = bgnbd._prepare(x, t_x, T, np.ones(T.size))
    for theta in (np.log([0.243, 4.414, 0.793, 2.426]), np.log([2.0, 1.0, 3.0, 0.5])):
        _, grad = bgnbd._negative_mean_ll(theta, data)
        numeric = approx_fprime(theta, lambda th: bgnbd._negative_mean_ll(th, data)[0], 1e-7)
        assert grad == pytest.approx(numeric, rel=1e-4, abs=1e-6)
        value = bgnbd._negative_mean_ll(theta, data)[0]
        params = BGNBDParams(*np.exp(theta))
        assert -value * T.size == pytest.approx(bgnbd.log_likelihood(params, x, t_x, T))


def test_fit_recovers_the_parameters_of_simulated_customers() -> None:
    """20,000 customers drawn with the CDNOW parameters, observed 27-39 weeks (continuous
    time, no day rounding): the MLE is within a few standard errors, and the true parameters
    are not rejected by a likelihood-ratio test."""
    rng = np.random.default_rng(20050101)
    n = 20_000
    T = rng.integers(27 * 7, 39 * 7 + 1, n) / 7.0
    sim = simulate_bgnbd(CDNOW_BG, T, rng)
    x = np.bincount(sim.customer, minlength=n) - 1
    t_x = np.zeros(n)
    np.maximum.at(t_x, sim.customer, sim.time)
    result = bgnbd.fit(x, t_x, T)
    got, true = result.params, CDNOW_BG
    assert result.converged
    assert result.n_customers == n
    assert got.r == pytest.approx(true.r, rel=0.05)
    assert got.alpha == pytest.approx(true.alpha, rel=0.12)
    assert got.a == pytest.approx(true.a, rel=0.30)
    assert got.b == pytest.approx(true.b, rel=0.35)
    lr = 2 * (result.log_likelihood - bgnbd.log_likelihood(true, x, t_x, T))
    assert 0 <= lr < 18.47  # chi-square, 4 degrees of freedom, 99.9 %


def test_large_fits_search_starting_points_on_a_subsample_and_reach_the_same_optimum() -> None:
    rng = np.random.default_rng(99)
    n = 60_000  # continuous times: every row distinct, above the subsample threshold
    T = rng.uniform(10.0, 100.0, n)
    sim = simulate_bgnbd(OTHER, T, rng)
    x = np.bincount(sim.customer, minlength=n) - 1
    t_x = np.zeros(n)
    np.maximum.at(t_x, sim.customer, sim.time)
    quick = bgnbd.fit(x, t_x, T)
    full = bgnbd.fit(x, t_x, T, starts=[(1.0, 1.0, 1.0, 1.0), (0.5, 5.0, 0.5, 2.0)])
    assert quick.converged and full.converged
    assert quick.log_likelihood == pytest.approx(full.log_likelihood, rel=1e-9, abs=1e-6)
    for name in ("r", "alpha", "a", "b"):
        assert getattr(quick.params, name) == pytest.approx(getattr(full.params, name), rel=1e-4)


def test_fit_refuses_impossible_data() -> None:
    with pytest.raises(ValueError):
        bgnbd.fit([1], [5.0], [4.0])
    with pytest.raises(ValueError):
        bgnbd.fit([], [], [])
    with pytest.raises(ValueError):
        BGNBDParams(r=0.0, alpha=1.0, a=1.0, b=1.0)


def test_predictions_are_vectorised_over_100k_customers() -> None:
    rng = np.random.default_rng(11)
    n = 100_000
    T = rng.integers(1, 156 * 7, n) / 7.0
    x = rng.poisson(2.0, n)
    t_x = np.where(x > 0, rng.uniform(0, 1, n) * T, 0.0)
    start = time.perf_counter()
    alive = bgnbd.p_alive(CDNOW_BG, x, t_x, T)
    expected = bgnbd.conditional_expected_purchases(CDNOW_BG, 52.0, x, t_x, T)
    elapsed = time.perf_counter() - start
    print(f"\nP(alive) + E[Y(52)] for {n} customers: {elapsed:.3f} s")
    assert alive.shape == expected.shape == (n,)
    assert np.all(np.isfinite(expected)) and np.all((alive >= 0) & (alive <= 1))
    sample = rng.choice(n, 20, replace=False)
    for i in sample:
        assert expected[i] == pytest.approx(
            float(bgnbd.conditional_expected_purchases(CDNOW_BG, 52.0, x[i], t_x[i], T[i])),
            rel=1e-12,
        )


def test_the_literal_formula_breaks_down_where_the_transformed_one_does_not() -> None:
    """x = 1000 repeat purchases, 100 years ahead: (1-z)^(r+x) underflows to 0 and the
    literal 2F1 overflows to inf, so eq. 10 as printed gives nan."""
    with np.errstate(all="ignore"):
        literal = raw_formula(CDNOW_BG, 5200.0, 1000, 100.0, 100.0)
    ours = float(bgnbd.conditional_expected_purchases(CDNOW_BG, 5200.0, 1000, 100.0, 100.0))
    assert not np.isfinite(literal)
    assert np.isfinite(ours) and ours > 0
