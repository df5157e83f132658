"""The field catalogue segment rules may use: each field's value kind, where its value
comes from, which operators fit it and whether it takes a timeframe.

The same catalogue drives validation (schemas), SQL compilation (compiler), the
in-Python evaluator and the rule builder (`GET /api/v1/segments/fields`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from clientbase.customers.models import CUSTOMER_STATUSES, CUSTOMER_TYPES


class Kind(StrEnum):
    STRING = "string"  # free text, compared case-insensitively
    ENUM = "enum"  # one of `options`, compared exactly
    INTEGER = "integer"
    NUMBER = "number"  # decimal (money, custom numbers): exact arithmetic
    FLOAT = "float"  # scores stored as floating point
    BOOLEAN = "boolean"
    DATE = "date"
    DATETIME = "datetime"
    UUID = "uuid"
    LIST = "list"  # a set of strings (tags, multiselect): membership operators
    PURCHASE = "purchase"  # what was bought in completed transactions


class Source(StrEnum):
    PROFILE = "profile"  # a column of customers
    AGE = "age"  # derived from date_of_birth
    ADDRESS = "address"  # any of the customer's addresses
    CUSTOM = "custom"  # custom_fields.<key>
    METRIC = "metric"  # customer_metrics (or the transaction window with a timeframe)
    PURCHASE = "purchase"  # transaction items


SCALAR_COMPARE = ("equals", "not_equals", "in", "not_in")
PRESENCE = ("is_set", "is_not_set")
ORDERED = ("greater_than", "greater_or_equal", "less_than", "less_or_equal", "between")
RELATIVE = ("within_last_days", "not_within_last_days")
MEMBERSHIP = ("contains", "not_contains", "in", "not_in")

OPERATORS: dict[Kind, tuple[str, ...]] = {
    Kind.STRING: (*SCALAR_COMPARE, "contains", "not_contains", *PRESENCE),
    Kind.ENUM: (*SCALAR_COMPARE, *PRESENCE),
    Kind.INTEGER: (*SCALAR_COMPARE, *ORDERED, *PRESENCE),
    Kind.NUMBER: (*SCALAR_COMPARE, *ORDERED, *PRESENCE),
    Kind.FLOAT: ("equals", "not_equals", *ORDERED, *PRESENCE),
    Kind.BOOLEAN: ("equals", "not_equals", *PRESENCE),
    Kind.DATE: ("equals", "not_equals", *ORDERED, *RELATIVE, *PRESENCE),
    Kind.DATETIME: ("equals", "not_equals", *ORDERED, *RELATIVE, *PRESENCE),
    Kind.UUID: (*SCALAR_COMPARE, *PRESENCE),
    Kind.LIST: (*MEMBERSHIP, *PRESENCE),
    Kind.PURCHASE: MEMBERSHIP,
}
ALL_OPERATORS = (
    "equals",
    "not_equals",
    "greater_than",
    "greater_or_equal",
    "less_than",
    "less_or_equal",
    "between",
    "in",
    "not_in",
    "contains",
    "not_contains",
    "is_set",
    "is_not_set",
    "within_last_days",
    "not_within_last_days",
)
# A negative operator is exactly the complement of its positive twin (a missing value
# fails the positive test, so it passes the negative one).
NEGATIONS = {
    "not_equals": "equals",
    "not_in": "in",
    "not_contains": "contains",
    "is_not_set": "is_set",
    "not_within_last_days": "within_last_days",
}
TIMEFRAMES = {"last_30_days": 30, "last_90_days": 90, "last_365_days": 365, "lifetime": None}


@dataclass(frozen=True)
class Field:
    name: str
    kind: Kind
    source: Source
    label: str
    column: str = ""  # the column (profile, address, metric, item) or custom field key
    options: tuple[str, ...] = ()
    timeframe: bool = False  # accepts a timeframe (computed from transactions in the window)
    group: str = "profile"
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def operators(self) -> tuple[str, ...]:
        return OPERATORS[self.kind]


def _p(name: str, kind: Kind, label: str, **kw: Any) -> Field:
    return Field(name, kind, Source.PROFILE, label, column=kw.pop("column", name), **kw)


def _m(name: str, kind: Kind, label: str, *, timeframe: bool = False) -> Field:
    return Field(name, kind, Source.METRIC, label, name, timeframe=timeframe, group="metrics")


LIFECYCLE_KEYS = ("vip", "loyal", "promising", "new", "at_risk", "dormant", "lost")
COMPANY_SIZES = ("1-10", "11-50", "51-200", "201-500", "500+")

STATIC_FIELDS: tuple[Field, ...] = (
    _p("type", Kind.ENUM, "Type", options=CUSTOMER_TYPES),
    _p("status", Kind.ENUM, "Status", options=CUSTOMER_STATUSES),
    _p("is_active", Kind.BOOLEAN, "Account active"),
    _p("name", Kind.STRING, "Name"),
    _p("email", Kind.STRING, "Email"),
    _p("phone", Kind.STRING, "Phone"),
    _p("gender", Kind.STRING, "Gender"),
    _p("preferred_language", Kind.STRING, "Preferred language"),
    _p("company_size", Kind.ENUM, "Company size", options=COMPANY_SIZES),
    _p("industry", Kind.STRING, "Industry"),
    _p("lead_source", Kind.STRING, "Lead source"),
    _p("assigned_to", Kind.UUID, "Assigned to"),
    _p("rating", Kind.INTEGER, "Rating"),
    _p("credit_limit", Kind.NUMBER, "Credit limit"),
    _p("current_balance", Kind.NUMBER, "Current balance"),
    _p("tags", Kind.LIST, "Tags"),
    _p("created_at", Kind.DATETIME, "Created"),
    _p("last_contact_at", Kind.DATETIME, "Last contact"),
    _p("last_activity_at", Kind.DATETIME, "Last activity"),
    _p("next_follow_up_at", Kind.DATETIME, "Next follow-up"),
    _p("date_of_birth", Kind.DATE, "Date of birth"),
    Field("age", Kind.INTEGER, Source.AGE, "Age", "date_of_birth"),
    Field("city", Kind.STRING, Source.ADDRESS, "City (any address)", "city", group="address"),
    Field("region", Kind.STRING, Source.ADDRESS, "Region (any address)", "region", group="address"),
    Field(
        "country", Kind.STRING, Source.ADDRESS, "Country (any address)", "country", group="address"
    ),
    _m("total_spent", Kind.NUMBER, "Total spent", timeframe=True),
    _m("order_count", Kind.INTEGER, "Orders", timeframe=True),
    _m("average_order_value", Kind.NUMBER, "Average order value", timeframe=True),
    _m("first_order_at", Kind.DATETIME, "First order", timeframe=True),
    _m("last_order_at", Kind.DATETIME, "Last order", timeframe=True),
    _m("days_since_last_order", Kind.INTEGER, "Days since last order", timeframe=True),
    # The historical CLV is the total spent (metrics.repository): rules read that column
    # and its index, which lifetime_value has no copy of.
    Field(
        "lifetime_value",
        Kind.NUMBER,
        Source.METRIC,
        "Lifetime value (historical CLV)",
        "total_spent",
        group="metrics",
    ),
    _m("predicted_ltv", Kind.NUMBER, "Predicted CLV"),
    _m("churn_risk", Kind.FLOAT, "Churn risk (0-1)"),
    _m("engagement_score", Kind.FLOAT, "Engagement score (0-1)"),
    _m("rfm_score", Kind.STRING, "RFM score"),
    _m("lead_score", Kind.INTEGER, "Lead score"),
    Field(
        "lifecycle_segment",
        Kind.ENUM,
        Source.METRIC,
        "Lifecycle segment",
        "segment",
        options=LIFECYCLE_KEYS,
        group="metrics",
    ),
    Field(
        "purchased_category",
        Kind.PURCHASE,
        Source.PURCHASE,
        "Bought in category",
        "category",
        timeframe=True,
        group="purchases",
    ),
    Field(
        "purchased_sku",
        Kind.PURCHASE,
        Source.PURCHASE,
        "Bought product (SKU)",
        "sku",
        timeframe=True,
        group="purchases",
    ),
    Field(
        "purchased_brand",
        Kind.PURCHASE,
        Source.PURCHASE,
        "Bought brand",
        "brand",
        timeframe=True,
        group="purchases",
    ),
)
BY_NAME = {f.name: f for f in STATIC_FIELDS}

# Fields S6 names whose data does not exist yet: refused with a reason, not "unknown".
LOYALTY = "arrives with loyalty tiers (S7) and cannot be used in rules yet"
PREFERENCES = "arrives with communication preferences (S8) and cannot be used in rules yet"
DEFERRED: dict[str, str] = {
    "loyalty_tier": LOYALTY,
    "tier": LOYALTY,
    "points_balance": LOYALTY,
    "lifetime_points": LOYALTY,
    **{
        name: PREFERENCES
        for name in (
            "consent",
            "email_consent",
            "sms_consent",
            "push_consent",
            "whatsapp_consent",
            "telegram_consent",
            "marketing_consent",
            "email_opt_in",
            "sms_opt_in",
            "do_not_contact",
        )
    },
}
DEFERRED_PREFIXES = {"consent.": PREFERENCES, "preferences.": PREFERENCES, "loyalty.": LOYALTY}

CUSTOM_PREFIX = "custom_fields."
CUSTOM_KINDS = {
    "text": Kind.STRING,
    "number": Kind.NUMBER,
    "date": Kind.DATE,
    "boolean": Kind.BOOLEAN,
    "select": Kind.ENUM,
    "multiselect": Kind.LIST,
}


@dataclass(frozen=True)
class CustomDefinition:
    """What the catalogue needs of a custom field definition."""

    key: str
    type: str
    label: str = ""
    options: tuple[str, ...] = ()


class Catalogue:
    """The fields of one organization: the fixed ones plus its custom field definitions."""

    def __init__(self, custom: list[CustomDefinition] | None = None) -> None:
        self.custom = {
            d.key: Field(
                CUSTOM_PREFIX + d.key,
                CUSTOM_KINDS[d.type],
                Source.CUSTOM,
                d.label or d.key,
                d.key,
                options=tuple(d.options),
                group="custom_fields",
            )
            for d in custom or []
            if d.type in CUSTOM_KINDS
        }

    @property
    def signature(self) -> tuple[Any, ...]:
        """What parsing and compiling criteria read of the custom fields (a cache key)."""
        return tuple((key, f.kind, f.options) for key, f in sorted(self.custom.items()))

    def get(self, name: str) -> Field | None:
        if name.startswith(CUSTOM_PREFIX):
            return self.custom.get(name[len(CUSTOM_PREFIX) :])
        return BY_NAME.get(name)

    def names(self) -> list[str]:
        return [*BY_NAME, *(f.name for f in self.custom.values())]

    def describe(self) -> list[dict[str, Any]]:
        """The rule builder's view: per field its type, operators, options and timeframes."""
        return [
            {
                "field": f.name,
                "label": f.label,
                "group": f.group,
                "type": f.kind.value,
                "operators": list(f.operators),
                "options": list(f.options),
                "timeframes": list(TIMEFRAMES) if f.timeframe else [],
            }
            for f in (*STATIC_FIELDS, *self.custom.values())
        ]


def deferred_reason(name: str) -> str | None:
    if name in DEFERRED:
        return DEFERRED[name]
    for prefix, reason in DEFERRED_PREFIXES.items():
        if name.startswith(prefix):
            return reason
    return None
