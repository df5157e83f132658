"""Gamma-Gamma spend model: likelihood, conditional expectation, fit, independence check."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import quad
from scipy.stats import gamma as gamma_dist

from clientbase.analytics.clv import GammaGammaParams, gamma_gamma
from clientbase.analytics.clv.simulate import simulate_spend

from .simulated import CDNOW_GG

OTHER = GammaGammaParams(p=2.0, q=5.0, v=300.0)


def posterior_integral(params: GammaGammaParams, x: int, m: float, power: int) -> float:
    """Integral over nu ~ Gamma(q, rate v) of f(m | nu, x) * (p / nu)^power, where
    x m ~ Gamma(p x, rate nu), so f(m | nu) = x * Gamma(px, rate nu).pdf(x m)."""
    p, q, v = params.p, params.q, params.v

    def integrand(nu: float) -> float:
        prior = gamma_dist.pdf(nu, q, scale=1 / v)
        return x * gamma_dist.pdf(x * m, p * x, scale=1 / nu) * prior * (p / nu) ** power

    mean_nu = q / v
    pieces = [(0, mean_nu / 10), (mean_nu / 10, mean_nu * 10), (mean_nu * 10, np.inf)]
    return sum(quad(integrand, lo, hi, epsabs=0, epsrel=1e-11, limit=200)[0] for lo, hi in pieces)


CASES = [(1, 10.0), (1, 80.0), (3, 35.5), (10, 12.0), (25, 60.0)]


@pytest.mark.parametrize("params", [CDNOW_GG, OTHER])
@pytest.mark.parametrize(("x", "m"), CASES)
def test_log_likelihood_equals_the_integral_over_nu(
    params: GammaGammaParams, x: int, m: float
) -> None:
    expected = np.log(posterior_integral(params, x, m, 0))
    assert float(gamma_gamma.log_likelihood_individual(params, x, m)) == pytest.approx(
        expected, rel=1e-8
    )


@pytest.mark.parametrize("params", [CDNOW_GG, OTHER])
@pytest.mark.parametrize(("x", "m"), CASES)
def test_conditional_expected_spend_is_the_posterior_mean(
    params: GammaGammaParams, x: int, m: float
) -> None:
    """E[p / nu | x, m] by integration = p (v + x m) / (p x + q - 1)."""
    expected = posterior_integral(params, x, m, 1) / posterior_integral(params, x, m, 0)
    got = float(gamma_gamma.conditional_expected_spend(params, x, m))
    assert got == pytest.approx(expected, rel=1e-8)
    p, q, v = params.p, params.q, params.v
    assert got == pytest.approx(p * (v + x * m) / (p * x + q - 1), rel=1e-12)


def test_customers_without_repeat_purchases_get_the_population_mean() -> None:
    spend = gamma_gamma.conditional_expected_spend(CDNOW_GG, [0, 0], [0.0, 99.0])
    assert spend.tolist() == pytest.approx([CDNOW_GG.population_mean_spend] * 2)
    assert CDNOW_GG.population_mean_spend == pytest.approx(6.25 * 15.44 / 2.74)
    assert GammaGammaParams(1.0, 0.5, 1.0).population_mean_spend == float("inf")


def simulated_spend(params: GammaGammaParams, n: int, seed: int):
    rng = np.random.default_rng(seed)
    x = 1 + rng.poisson(2.0, n)
    customer = np.repeat(np.arange(n), x)
    amounts = simulate_spend(params, customer, n, rng)
    m = np.bincount(customer, weights=amounts) / x
    return x, m


@pytest.mark.parametrize(("params", "seed"), [(CDNOW_GG, 1), (OTHER, 2)])
def test_fit_recovers_the_parameters_of_simulated_spend(
    params: GammaGammaParams, seed: int
) -> None:
    x, m = simulated_spend(params, 10_000, seed)
    result = gamma_gamma.fit(np.append(x, 0), np.append(m, 0.0))  # one x = 0 left out
    got = result.params
    assert result.converged
    assert (result.n_customers, result.n_excluded) == (10_000, 1)
    assert got.p == pytest.approx(params.p, rel=0.15)
    assert got.q == pytest.approx(params.q, rel=0.15)
    assert got.v == pytest.approx(params.v, rel=0.25)
    assert got.population_mean_spend == pytest.approx(params.population_mean_spend, rel=0.03)
    lr = 2 * (result.log_likelihood - gamma_gamma.log_likelihood(params, x, m))
    assert 0 <= lr < 16.27  # chi-square, 3 degrees of freedom, 99.9 %


def test_fit_is_currency_scale_equivariant() -> None:
    x, m = simulated_spend(CDNOW_GG, 3_000, 3)
    base = gamma_gamma.fit(x, m).params
    scaled = gamma_gamma.fit(x, m * 1_000).params  # e.g. the same spend in tenge
    assert scaled.p == pytest.approx(base.p, rel=1e-5)
    assert scaled.q == pytest.approx(base.q, rel=1e-5)
    assert scaled.v == pytest.approx(base.v * 1_000, rel=1e-5)


def test_frequency_monetary_correlation_is_reported() -> None:
    x, m = simulated_spend(CDNOW_GG, 5_000, 4)
    independent = gamma_gamma.fit(x, m)
    assert abs(independent.frequency_monetary_correlation) < 0.05
    assert not independent.strongly_correlated
    dependent = gamma_gamma.fit(x, m * x)  # heavy buyers spend more per purchase
    assert dependent.frequency_monetary_correlation > 0.3
    assert dependent.strongly_correlated
    r = np.corrcoef(x, m * x)[0, 1]
    assert dependent.frequency_monetary_correlation == pytest.approx(r)


def test_fit_needs_repeat_customers() -> None:
    with pytest.raises(ValueError):
        gamma_gamma.fit([0, 0, 1], [0.0, 0.0, 5.0])
