"""Customer lifetime value: BG/NBD for repeat purchases, Gamma-Gamma for spend (SPEC S5).

Pure computation (numpy/scipy; no database, no web): purchase records in, a fitted model and
per-customer predictions out. Time is measured in weeks from each customer's first purchase;
money enters and leaves as Decimal.

    model = fit_business(records, as_of=date(2025, 1, 1), holdout_end=date(2025, 6, 30))
    model.as_dict()          # {"model": "bg_nbd", "params": {...}, "holdout": {...}, ...}
    scores = predict(model)  # p_alive, expected purchases/spend, predicted CLV per customer
"""

from clientbase.analytics.clv.bgnbd import BGNBDFit, BGNBDParams
from clientbase.analytics.clv.clv import (
    DEFAULT_HORIZON_WEEKS,
    MIN_CUSTOMERS,
    MIN_REPEAT_CUSTOMERS,
    MODEL_VERSION,
    TIME_UNIT,
    CLVModel,
    CLVPredictions,
    CustomerCLV,
    HoldoutComparison,
    fit_business,
    fit_daily,
    fit_summary,
    next_purchase_date,
    predict,
    predicted_clv,
)
from clientbase.analytics.clv.gamma_gamma import GammaGammaFit, GammaGammaParams
from clientbase.analytics.clv.summary import (
    CustomerRFM,
    DailyPurchases,
    PurchaseRecord,
    RFMSummary,
    summarize,
)

__all__ = [
    "DEFAULT_HORIZON_WEEKS",
    "MIN_CUSTOMERS",
    "MIN_REPEAT_CUSTOMERS",
    "MODEL_VERSION",
    "TIME_UNIT",
    "BGNBDFit",
    "BGNBDParams",
    "CLVModel",
    "CLVPredictions",
    "CustomerCLV",
    "CustomerRFM",
    "DailyPurchases",
    "GammaGammaFit",
    "GammaGammaParams",
    "HoldoutComparison",
    "PurchaseRecord",
    "RFMSummary",
    "fit_business",
    "fit_daily",
    "fit_summary",
    "next_purchase_date",
    "predict",
    "predicted_clv",
    "summarize",
]
