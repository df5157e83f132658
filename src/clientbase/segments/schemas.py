"""Segment criteria: the JSON shape S6 shows, parsed into typed rule trees.

    {"operator": "AND", "rules": [
      {"field": "total_spent", "operator": "greater_than", "value": 1000,
       "timeframe": "last_365_days"},
      {"operator": "OR", "rules": [...]}]}

Parsing checks every rule against the organization's field catalogue and reports all
problems at once, each under the rule's own path (`criteria.rules[2].rules[0].value`)."""

from __future__ import annotations

import difflib
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Union

from clientbase.core.errors import FieldError, ValidationFailed
from clientbase.core.schemas import unsafe_text_reason
from clientbase.segments.fields import (
    ALL_OPERATORS,
    TIMEFRAMES,
    Catalogue,
    Field,
    Kind,
    deferred_reason,
)

MAX_DEPTH = 5  # groups nested inside the root
MAX_RULES = 100
MAX_VALUES = 1000
MAX_TEXT = 500
MAX_NUMBER = Decimal("1e15")
MAX_DAYS = 36_500
RULE_KEYS = {"field", "operator", "value", "timeframe"}
GROUP_KEYS = {"operator", "rules"}


@dataclass(frozen=True)
class Rule:
    field: Field
    operator: str
    value: Any  # typed: Decimal, int, float, bool, date, datetime, UUID, str, list, tuple
    timeframe: str | None
    path: str
    raw: dict[str, Any]


@dataclass(frozen=True)
class Group:
    operator: str  # AND | OR
    rules: tuple[Node, ...]
    path: str


Node = Union[Rule, Group]  # noqa: UP007 - a runtime alias used before the classes resolve


class _Invalid(ValueError):
    pass


def parse_criteria(raw: Any, catalogue: Catalogue, *, path: str = "criteria") -> Group:
    """The typed tree, or ValidationFailed listing every problem under its path."""
    errors: list[FieldError] = []
    counter = [0]
    root = _node(raw, catalogue, path, 0, errors, counter)
    if not isinstance(root, Group) and not errors:
        errors.append(FieldError(path, "must be a group: {operator: AND|OR, rules: [...]}"))
    if counter[0] > MAX_RULES:
        errors.append(FieldError(path, f"has {counter[0]} rules; at most {MAX_RULES} allowed"))
    if errors:
        shown = "; ".join(f"{e.field}: {e.message}" for e in errors[:5])
        raise ValidationFailed(shown, errors=errors[:100])
    assert isinstance(root, Group)
    return root


def _node(
    raw: Any,
    catalogue: Catalogue,
    path: str,
    depth: int,
    errors: list[FieldError],
    counter: list[int],
) -> Node | None:
    if not isinstance(raw, dict):
        errors.append(FieldError(path, "must be an object: a rule or a group"))
        return None
    if "rules" in raw or ("field" not in raw and "operator" in raw):
        return _group(raw, catalogue, path, depth, errors, counter)
    counter[0] += 1
    return _rule(raw, catalogue, path, errors)


def _group(
    raw: dict[str, Any],
    catalogue: Catalogue,
    path: str,
    depth: int,
    errors: list[FieldError],
    counter: list[int],
) -> Group | None:
    for key in sorted(set(raw) - GROUP_KEYS):
        errors.append(FieldError(f"{path}.{key}", "is not a key of a group (operator, rules)"))
    operator = raw.get("operator")
    ok = isinstance(operator, str) and operator.upper() in ("AND", "OR")
    if not ok:
        errors.append(FieldError(f"{path}.operator", "must be AND or OR"))
    if depth > MAX_DEPTH:
        errors.append(FieldError(path, f"groups nest at most {MAX_DEPTH} levels deep"))
        return None
    rules = raw.get("rules")
    if not isinstance(rules, list) or not rules:
        errors.append(FieldError(f"{path}.rules", "must be a non-empty list of rules or groups"))
        return None
    children = [
        _node(item, catalogue, f"{path}.rules[{i}]", depth + 1, errors, counter)
        for i, item in enumerate(rules[: MAX_RULES + 1])
    ]
    if not ok or any(c is None for c in children):
        return None
    return Group(str(operator).upper(), tuple(c for c in children if c is not None), path)


def _rule(
    raw: dict[str, Any], catalogue: Catalogue, path: str, errors: list[FieldError]
) -> Rule | None:
    before = len(errors)
    for key in sorted(set(raw) - RULE_KEYS):
        errors.append(
            FieldError(
                f"{path}.{key}", "is not a key of a rule (field, operator, value, timeframe)"
            )
        )
    name = raw.get("field")
    field = catalogue.get(name) if isinstance(name, str) else None
    if field is None:
        errors.append(FieldError(f"{path}.field", _unknown_field(name, catalogue)))
    operator = raw.get("operator")
    if not isinstance(operator, str) or operator not in ALL_OPERATORS:
        errors.append(FieldError(f"{path}.operator", f"must be one of {', '.join(ALL_OPERATORS)}"))
        operator = None
    elif field is not None and operator not in field.operators:
        errors.append(
            FieldError(
                f"{path}.operator",
                f"{operator} does not fit {field.name} ({field.kind.value}); "
                f"use one of {', '.join(field.operators)}",
            )
        )
        operator = None
    timeframe = raw.get("timeframe")
    if timeframe is not None and field is not None:
        if not field.timeframe:
            errors.append(FieldError(f"{path}.timeframe", f"{field.name} takes no timeframe"))
        elif timeframe not in TIMEFRAMES:
            errors.append(
                FieldError(f"{path}.timeframe", f"must be one of {', '.join(TIMEFRAMES)}")
            )
    value = None
    if field is not None and operator is not None:
        try:
            value = coerce_value(field, operator, raw.get("value"), "value" in raw)
        except _Invalid as exc:
            errors.append(FieldError(f"{path}.value", str(exc)))
    if len(errors) > before or field is None or operator is None:
        return None
    stored = {"field": field.name, "operator": operator}
    if "value" in raw and raw["value"] is not None:
        stored["value"] = raw["value"]
    if timeframe is not None:
        stored["timeframe"] = timeframe
    return Rule(field, operator, value, timeframe, path, stored)


def _unknown_field(name: Any, catalogue: Catalogue) -> str:
    if not isinstance(name, str) or not name:
        return "is required: the field the rule tests"
    reason = deferred_reason(name)
    if reason:
        return f"{name} {reason}"
    if name.startswith("custom_fields."):
        return f"{name} is not a custom field of this organization"
    close = difflib.get_close_matches(name, catalogue.names(), n=1)
    hint = f"; did you mean {close[0]}?" if close else ""
    return f"unknown field {name!r}{hint}"


def coerce_value(field: Field, operator: str, value: Any, given: bool) -> Any:
    if operator in ("is_set", "is_not_set"):
        if value is not None:
            raise _Invalid(f"{operator} takes no value")
        return None
    if value is None:
        raise _Invalid(f"{operator} needs a value")
    if operator in ("within_last_days", "not_within_last_days"):
        return _days(value)
    if operator in ("in", "not_in"):
        if not isinstance(value, list) or not value:
            raise _Invalid(f"{operator} needs a non-empty list")
        if len(value) > MAX_VALUES:
            raise _Invalid(f"at most {MAX_VALUES} values")
        items = []
        for i, item in enumerate(value):
            try:
                items.append(_scalar(field, item))
            except _Invalid as exc:
                raise _Invalid(f"[{i}] {exc}") from None
        return tuple(dict.fromkeys(items))
    if operator == "between":
        if not isinstance(value, list) or len(value) != 2:
            raise _Invalid("between needs a list of two values [from, to]")
        low, high = _scalar(field, value[0]), _scalar(field, value[1])
        if _order_key(low) > _order_key(high):
            raise _Invalid("between needs from <= to")
        return (low, high)
    return _scalar(field, value)


def _order_key(value: Any) -> Any:
    if isinstance(value, datetime):
        return (value, 1)
    if isinstance(value, date):  # a whole day: compare by its start
        return (datetime(value.year, value.month, value.day, tzinfo=UTC), 0)
    return value


def _days(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_DAYS:
        raise _Invalid(f"must be a whole number of days from 0 to {MAX_DAYS}")
    return value


def _scalar(field: Field, value: Any) -> Any:
    kind = field.kind
    if kind in (Kind.STRING, Kind.ENUM, Kind.LIST, Kind.PURCHASE):
        if not isinstance(value, str) or not value.strip():
            raise _Invalid("must be non-empty text")
        if len(value) > MAX_TEXT or unsafe_text_reason(value):
            raise _Invalid(unsafe_text_reason(value) or f"must be at most {MAX_TEXT} characters")
        if field.options and value not in field.options:
            raise _Invalid(f"must be one of {', '.join(field.options)}")
        return value
    if kind == Kind.BOOLEAN:
        if not isinstance(value, bool):
            raise _Invalid("must be true or false")
        return value
    if kind in (Kind.INTEGER, Kind.NUMBER, Kind.FLOAT):
        return _number(kind, value)
    if kind == Kind.UUID:
        try:
            return uuid.UUID(str(value)) if isinstance(value, str) else _fail("must be an id")
        except ValueError:
            raise _Invalid("must be an id (UUID)") from None
    return _moment(kind, value)


def _fail(message: str) -> Any:
    raise _Invalid(message)


def _number(kind: Kind, value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise _Invalid("must be a number")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise _Invalid("must be a number") from None
    if not number.is_finite() or abs(number) >= MAX_NUMBER:
        raise _Invalid("must be a finite number below 10^15")
    if kind == Kind.INTEGER:
        if number != number.to_integral_value():
            raise _Invalid("must be a whole number")
        return int(number)
    return float(number) if kind == Kind.FLOAT else number


def _moment(kind: Kind, value: Any) -> date | datetime:
    if not isinstance(value, str):
        raise _Invalid(
            "must be a date (YYYY-MM-DD)" + (" or a datetime" if kind == Kind.DATETIME else "")
        )
    text = value.strip()
    if len(text) == 10:
        try:
            return date.fromisoformat(text)
        except ValueError:
            raise _Invalid("must be a real date (YYYY-MM-DD)") from None
    if kind == Kind.DATE:
        raise _Invalid("must be a date (YYYY-MM-DD)")
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise _Invalid("must be a date (YYYY-MM-DD) or an ISO 8601 datetime") from None
    if moment.tzinfo is None:
        raise _Invalid("a datetime must include a timezone, e.g. 2026-01-01T00:00:00Z")
    return moment.astimezone(UTC)


def to_json(node: Node) -> dict[str, Any]:
    """The stored (normalised) form of a parsed tree."""
    if isinstance(node, Rule):
        return dict(node.raw)
    return {"operator": node.operator, "rules": [to_json(child) for child in node.rules]}


def rules_of(node: Node) -> list[Rule]:
    if isinstance(node, Rule):
        return [node]
    return [rule for child in node.rules for rule in rules_of(child)]
