"""Customer analytics (SPEC S5): metrics, RFM, engagement, churn risk and lifetime value."""
