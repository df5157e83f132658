"""Plain-language insights on one customer's analytics, each with a recommended action."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

HIGH_VALUE_CLV = Decimal("1000")
CHURN_RISK_HIGH = 0.7
CREDIT_NEAR_LIMIT = 0.8
WIN_BACK_DAYS = 180


def _insight(code: str, title: str, action: str) -> dict[str, str]:
    return {"code": code, "title": title, "recommended_action": action}


def insights_for(a: dict[str, Any]) -> list[dict[str, str]]:
    out = []
    predicted = Decimal(a.get("predicted_clv") or "0")
    churn = a.get("churn_risk")
    orders = a.get("order_count") or 0
    recency = a.get("recency_days")
    if predicted >= HIGH_VALUE_CLV:
        out.append(
            _insight(
                "high_value",
                f"Predicted to spend {predicted} in the next 12 months",
                "Assign an account manager and offer priority service",
            )
        )
    if churn is not None and churn >= CHURN_RISK_HIGH and orders >= 2:
        out.append(
            _insight(
                "churn_risk",
                f"Churn risk {churn:.0%}: buying pattern has stopped",
                "Reach out personally with a retention offer this week",
            )
        )
    if orders >= 5 and (churn is None or churn < 0.3):
        out.append(
            _insight(
                "loyal",
                f"Loyal: {orders} purchases and still active",
                "Invite to the loyalty programme or a referral offer",
            )
        )
    if recency is not None and recency >= WIN_BACK_DAYS:
        out.append(
            _insight(
                "win_back",
                f"No purchase for {recency} days",
                "Send a win-back campaign with a time-limited incentive",
            )
        )
    utilization = (a.get("credit") or {}).get("utilization")
    if utilization is not None and utilization >= CREDIT_NEAR_LIMIT:
        out.append(
            _insight(
                "credit_limit_near",
                f"Credit {utilization:.0%} used",
                "Review the credit limit or ask for payment before new orders",
            )
        )
    if orders == 0:
        out.append(
            _insight(
                "no_purchases",
                "No purchases yet",
                "Follow up on the lead and propose a first order",
            )
        )
    return out
