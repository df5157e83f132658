"""Draw purchase histories from the BG/NBD and Gamma-Gamma generative processes.

Used by the tests (parameter recovery, Monte-Carlo checks) and available to the demo data
generator and benchmarks. Everything is vectorised over customers and seeded through a
``numpy.random.Generator``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from clientbase.analytics.clv.bgnbd import BGNBDParams
from clientbase.analytics.clv.gamma_gamma import GammaGammaParams


@dataclass(frozen=True, slots=True, eq=False)
class SimulatedPurchases:
    """Purchases of n customers: ``customer[i]`` bought at ``time[i]`` weeks after their first
    purchase (every customer has a purchase at time 0). ``lam`` and ``p`` are the drawn
    individual purchase rates and dropout probabilities; ``alive`` whether the customer is
    still alive at the end of their observation window."""

    customer: NDArray[np.int64]
    time: NDArray[np.float64]
    lam: NDArray[np.float64]
    p: NDArray[np.float64]
    alive: NDArray[np.bool_]


def simulate_bgnbd(
    params: BGNBDParams, observation_weeks: ArrayLike, rng: np.random.Generator
) -> SimulatedPurchases:
    """Simulate one customer per entry of ``observation_weeks`` (time observed after the first
    purchase): lambda ~ Gamma(r, rate alpha), p ~ Beta(a, b); purchases arrive as a Poisson
    process with rate lambda and after each repeat purchase the customer drops out with
    probability p (FHL 2005, assumptions i-v)."""
    horizon = np.asarray(observation_weeks, dtype=np.float64).ravel()
    n = horizon.size
    lam = rng.gamma(params.r, 1.0 / params.alpha, n)
    p = rng.beta(params.a, params.b, n)
    customers = [np.arange(n, dtype=np.int64)]
    times = [np.zeros(n)]
    alive = np.ones(n, dtype=bool)
    active = np.arange(n, dtype=np.int64)
    now = np.zeros(n)
    while active.size:
        with np.errstate(divide="ignore"):
            gaps = rng.exponential(1.0, active.size) / lam[active]
        nxt = now[active] + gaps
        bought = nxt <= horizon[active]
        active = active[bought]
        now[active] = nxt[bought]
        customers.append(active)
        times.append(now[active].copy())
        dropped = rng.random(active.size) < p[active]
        alive[active[dropped]] = False
        active = active[~dropped]
    customer = np.concatenate(customers)
    time = np.concatenate(times)
    order = np.lexsort((time, customer))
    return SimulatedPurchases(customer[order], time[order], lam, p, alive)


def simulate_spend(
    params: GammaGammaParams, customer: ArrayLike, n_customers: int, rng: np.random.Generator
) -> NDArray[np.float64]:
    """One amount per transaction: nu ~ Gamma(q, rate v) per customer, z ~ Gamma(p, rate nu)."""
    cust = np.asarray(customer, dtype=np.int64)
    nu = rng.gamma(params.q, 1.0 / params.v, n_customers)
    return rng.gamma(params.p, 1.0, cust.size) / nu[cust]
