"""Purchase records drawn from the BG/NBD + Gamma-Gamma generative process, CDNOW-shaped:
customers acquired over the first 12 weeks, a 39-week calibration period ending on
``as_of`` (day 272, as 1997-01-01 -> 1997-09-30 for CDNOW), an optional holdout after it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import numpy as np

from clientbase.analytics.clv import BGNBDParams, GammaGammaParams, PurchaseRecord
from clientbase.analytics.clv.simulate import simulate_bgnbd, simulate_spend

START = datetime(2024, 1, 1, tzinfo=UTC)
AS_OF = START.date() + timedelta(days=272)
CDNOW_BG = BGNBDParams(r=0.243, alpha=4.414, a=0.793, b=2.426)
CDNOW_GG = GammaGammaParams(p=6.25, q=3.74, v=15.44)


@dataclass(frozen=True)
class Simulated:
    records: list[PurchaseRecord]
    as_of: date
    holdout_end: date | None
    alive: np.ndarray


def simulate_business(
    n: int,
    seed: int,
    *,
    bg: BGNBDParams = CDNOW_BG,
    gg: GammaGammaParams = CDNOW_GG,
    holdout_days: int = 0,
) -> Simulated:
    rng = np.random.default_rng(seed)
    first = rng.integers(0, 84, n) + rng.random(n)  # acquisition time in days, weeks 1-12
    end = 273 + holdout_days  # observation ends at the end of as_of (+ holdout)
    sim = simulate_bgnbd(bg, (end - first) / 7.0, rng)
    amounts = simulate_spend(gg, sim.customer, n, rng)
    records = []
    for customer, weeks, amount in zip(sim.customer, sim.time, amounts, strict=True):
        at = START + timedelta(days=float(first[customer] + weeks * 7.0))
        cents = max(1, round(float(amount) * 100))
        records.append(PurchaseRecord(int(customer), at, Decimal(cents).scaleb(-2)))
    holdout_end = AS_OF + timedelta(days=holdout_days) if holdout_days else None
    return Simulated(records, AS_OF, holdout_end, sim.alive)
