"""The same criteria evaluated in plain Python on one customer's facts: used by explain
(each rule with the customer's value and pass/fail) and, as an independent oracle, by the
property test that checks the compiled SQL.

Facts (see `facts.load_facts`):
    profile        {column: value} of the customer row (incl. deleted_at, anonymized_at)
    custom_fields  the stored custom field document
    addresses      [{city, region, country}]
    metrics        {column: value} of customer_metrics, or None without a row
    transactions   [{status, occurred_at, amount, business_id, items: [{category, sku, brand}]}]
    business_ids   the businesses the customer belongs to
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

from clientbase.core.jsonable import jsonable
from clientbase.segments.fields import NEGATIONS, TIMEFRAMES, Kind, Source
from clientbase.segments.schemas import Group, Node, Rule
from clientbase.transactions.models import COUNTED_STATUS

MISSING = None


@dataclass
class Evaluator:
    now: datetime
    business_id: uuid.UUID | None = None

    def in_population(self, facts: dict[str, Any]) -> bool:
        profile = facts["profile"]
        if profile.get("deleted_at") is not None or profile.get("anonymized_at") is not None:
            return False
        return self.business_id is None or self.business_id in set(facts["business_ids"])

    def matches(self, node: Node, facts: dict[str, Any]) -> bool:
        return self.in_population(facts) and bool(self.trace(node, facts)["passed"])

    def trace(self, node: Node, facts: dict[str, Any]) -> dict[str, Any]:
        if isinstance(node, Group):
            children = [self.trace(child, facts) for child in node.rules]
            results = [c["passed"] for c in children]
            passed = all(results) if node.operator == "AND" else any(results)
            return {
                "path": node.path,
                "operator": node.operator,
                "passed": passed,
                "rules": children,
            }
        actual = self.value(node, facts)
        return {
            "path": node.path,
            **node.raw,
            "actual": jsonable(_shown(actual)),
            "passed": self.test(node, actual),
        }

    # -- values ----------------------------------------------------------------------
    def value(self, rule: Rule, facts: dict[str, Any]) -> Any:
        f = rule.field
        if f.source == Source.PROFILE:
            return facts["profile"].get(f.column)
        if f.source == Source.AGE:
            dob = facts["profile"].get("date_of_birth")
            if dob is None:
                return None
            today = self.now.date()
            return today.year - dob.year - ((today.month, today.day) < (dob.month, dob.day))
        if f.source == Source.ADDRESS:
            return [a.get(f.column) for a in facts["addresses"] if a.get(f.column) is not None]
        if f.source == Source.CUSTOM:
            return _custom(f.kind, facts["custom_fields"].get(f.column))
        if f.source == Source.PURCHASE:
            return sorted(
                {
                    item[f.column]
                    for t in self._orders(facts, rule.timeframe)
                    for item in t["items"]
                    if item.get(f.column) is not None
                }
            )
        return self._metric(rule, facts)

    def _orders(self, facts: dict[str, Any], timeframe: str | None) -> list[dict[str, Any]]:
        days = TIMEFRAMES.get(timeframe or "lifetime")
        start = self.now - timedelta(days=days) if days is not None else None
        return [
            t
            for t in facts["transactions"]
            if t["status"] == COUNTED_STATUS
            and (self.business_id is None or t["business_id"] == self.business_id)
            and (start is None or t["occurred_at"] >= start)
        ]

    def _metric(self, rule: Rule, facts: dict[str, Any]) -> Any:
        name = rule.field.name
        if rule.timeframe is None:
            m = facts["metrics"] or {}
            total, count = m.get("total_spent") or Decimal(0), m.get("order_count") or 0
            first, last = m.get("first_order_at"), m.get("last_order_at")
        else:
            orders = self._orders(facts, rule.timeframe)
            total = sum((Decimal(t["amount"]) for t in orders), Decimal(0))
            count = len(orders)
            first = min((t["occurred_at"] for t in orders), default=None)
            last = max((t["occurred_at"] for t in orders), default=None)
        if name == "total_spent":
            return total
        if name == "order_count":
            return count
        if name == "average_order_value":
            return Fraction(total) / count if count else None
        if name == "first_order_at":
            return first
        if name == "last_order_at":
            return last
        if name == "days_since_last_order":
            return (self.now - last).days if last is not None else None
        value = (facts["metrics"] or {}).get(rule.field.column)
        if value is None and name == "lifetime_value":
            return Decimal(0)
        return value

    # -- tests -----------------------------------------------------------------------
    def test(self, rule: Rule, actual: Any) -> bool:
        op = rule.operator
        if op in NEGATIONS:
            return not self._positive(rule, NEGATIONS[op], actual)
        return self._positive(rule, op, actual)

    def _positive(self, rule: Rule, op: str, actual: Any) -> bool:
        kind, value = rule.field.kind, rule.value
        if rule.field.source == Source.ADDRESS:
            return any(self._scalar(kind, op, value, item) for item in actual)
        if kind in (Kind.LIST, Kind.PURCHASE):
            items = set(actual or [])
            if op == "is_set":
                return bool(items)
            wanted = value if op == "in" else (value,)
            if rule.field.source == Source.PROFILE:  # tags are stored lower-cased
                wanted = tuple(v.lower() for v in wanted)
            return any(v in items for v in wanted)
        return self._scalar(kind, op, value, actual)

    def _scalar(self, kind: Kind, op: str, value: Any, actual: Any) -> bool:
        if actual is None:
            return False
        if op == "is_set":
            return actual != "" if kind == Kind.STRING else True
        if kind == Kind.STRING:
            text = str(actual).lower()
            if op == "contains":
                return value.lower() in text
            return text in {v.lower() for v in (value if op == "in" else (value,))}
        actual = _comparable(kind, actual)
        if op == "within_last_days":
            if kind == Kind.DATE:
                today = self.now.date()
                return today - timedelta(days=value) <= actual <= today
            return self.now - timedelta(days=value) <= actual <= self.now
        if kind == Kind.DATETIME:
            return _moment(op, value, actual)
        return _ordered(op, value, actual, lambda v: _comparable(kind, v))


def _ordered(op: str, value: Any, actual: Any, norm: Any) -> bool:
    if op == "in":
        return any(actual == norm(v) for v in value)
    if op == "equals":
        return bool(actual == norm(value))
    if op == "between":
        return bool(norm(value[0]) <= actual <= norm(value[1]))
    target = norm(value)
    return {
        "greater_than": actual > target,
        "greater_or_equal": actual >= target,
        "less_than": actual < target,
        "less_or_equal": actual <= target,
    }[op]


def _moment(op: str, value: Any, actual: datetime) -> bool:
    values = value if op == "between" else (value,)
    if all(isinstance(v, date) and not isinstance(v, datetime) for v in values):
        return _ordered(op, value, actual.astimezone(UTC).date(), lambda v: v)
    start = lambda v: v if isinstance(v, datetime) else datetime(v.year, v.month, v.day, tzinfo=UTC)  # noqa: E731
    return _ordered(op, value, actual, start)


def _comparable(kind: Kind, value: Any) -> Any:
    if kind == Kind.NUMBER:
        return value if isinstance(value, Fraction) else Fraction(Decimal(str(value)))
    if kind == Kind.FLOAT:
        return float(value)
    if kind == Kind.UUID and not isinstance(value, uuid.UUID):
        return uuid.UUID(str(value))
    return value


def _custom(kind: Kind, stored: Any) -> Any:
    """Stored custom values as their typed value (None when absent or unreadable)."""
    if stored is None:
        return None
    try:
        if kind == Kind.NUMBER:
            return Decimal(str(stored))
        if kind == Kind.DATE:
            return date.fromisoformat(str(stored))
    except (InvalidOperation, ValueError):
        return None
    if kind == Kind.BOOLEAN:
        return stored if isinstance(stored, bool) else None
    if kind == Kind.LIST:
        return list(stored) if isinstance(stored, list) else []
    return stored if isinstance(stored, str) else str(stored)


def _shown(value: Any) -> Any:
    if isinstance(value, Fraction):
        return (Decimal(value.numerator) / Decimal(value.denominator)).quantize(Decimal("0.01"))
    return value
