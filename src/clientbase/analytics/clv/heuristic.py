"""The seeds' rule of thumb, kept only as the documented fallback for too little data.

Seed 000 (the ERP customers module) computes ``LTV = AOV x purchase frequency x expected
lifetime`` with frequency = orders per month since the first purchase (at least one month).
Here, per customer:

* AOV = total spend / purchase days (purchases on one day are one transaction, as in the
  models);
* purchase frequency = purchase days per week since the first purchase, the elapsed time
  floored at 30 days as the seed floors it at one month;
* expected lifetime = the forecast horizon (the seed's status-and-rating lifetime table needs
  profile fields this pure module does not see, and a horizon-bounded CLV cannot use more).

It has no notion of churn (no P(alive)) and overstates new customers; results computed with
it are flagged ``model="heuristic_fallback"`` with a ``reason``.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

from clientbase.analytics.clv.summary import RFMSummary

FloatArray = NDArray[np.float64]
MIN_ELAPSED_WEEKS = 30.0 / 7.0


def purchase_rate(summary: RFMSummary) -> FloatArray:
    """Purchase days per week since the first purchase (elapsed time floored at 30 days)."""
    days = summary.frequency.astype(np.float64) + 1.0
    return np.asarray(days / np.maximum(summary.T, MIN_ELAPSED_WEEKS), dtype=np.float64)


def average_order_value(summary: RFMSummary) -> FloatArray:
    """Total spend per purchase day, in currency units."""
    days = summary.frequency.astype(np.float64) + 1.0
    return np.asarray(summary.total_spend_cents / 100.0 / days, dtype=np.float64)
