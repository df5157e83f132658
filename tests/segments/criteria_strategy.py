"""Hypothesis strategies for valid criteria over every field and operator, with typed
values drawn near the values the random populations hold (so edges get hit)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from hypothesis import strategies as st

from clientbase.segments.fields import TIMEFRAMES, Catalogue, Field, Kind
from tests.segments.world import BRANDS, CATEGORIES, SKUS, TAGS, WORDS

STRINGS = [w for w in WORDS if w] + ["Retail", "website", "ALMATY", "kz", "545", "mail", "p1"]
PURCHASES = {
    "category": [c for c in CATEGORIES if c] + ["toys"],
    "sku": [*SKUS, "S9"],
    "brand": [b for b in BRANDS if b] + ["adidas"],
}
QUARTER_VALUES = st.integers(-40, 2000).map(lambda n: n / 4)
INTS = {
    "rating": st.integers(0, 11),
    "order_count": st.integers(0, 5),
    "lead_score": st.integers(0, 100),
    "age": st.integers(0, 85),
    "days_since_last_order": st.integers(-2, 420),
}


def scalar(f: Field, now: datetime, users: list[str]) -> st.SearchStrategy[Any]:
    kind = f.kind
    if kind in (Kind.ENUM,):
        return st.sampled_from(list(f.options))
    if kind == Kind.STRING:
        return st.sampled_from(STRINGS)
    if kind == Kind.INTEGER:
        return INTS.get(f.name, st.integers(0, 10))
    if kind == Kind.NUMBER:
        return QUARTER_VALUES
    if kind == Kind.FLOAT:
        return st.sampled_from([0.0, 0.25, 0.5, 0.75, 1.0])
    if kind == Kind.BOOLEAN:
        return st.booleans()
    if kind == Kind.UUID:
        return st.sampled_from(users)
    if kind == Kind.LIST:
        return st.sampled_from(list(f.options) or [*TAGS, "VIP", "Promo"])
    if kind == Kind.PURCHASE:
        return st.sampled_from(PURCHASES[f.column])
    hours = st.integers(-420 * 24, 40 * 24).map(lambda h: now + timedelta(hours=h))
    days = hours.map(lambda m: m.date().isoformat())
    if kind == Kind.DATE:
        if f.name == "date_of_birth":
            return st.dates(min_value=now.date().replace(year=1940), max_value=now.date()).map(
                lambda d: d.isoformat()
            )
        return days
    return st.one_of(days, hours.map(lambda m: m.isoformat()))


def value_for(f: Field, operator: str, now: datetime, users: list[str]) -> st.SearchStrategy:
    one = scalar(f, now, users)
    if operator in ("is_set", "is_not_set"):
        return st.none()
    if operator in ("within_last_days", "not_within_last_days"):
        return st.integers(0, 400)
    if operator in ("in", "not_in"):
        return st.lists(one, min_size=1, max_size=3)
    if operator == "between":
        return st.tuples(one, one).map(lambda pair: sorted(pair, key=_order)).map(list)
    return one


def _order(value: Any) -> Any:
    if isinstance(value, str) and len(value) > 10:  # an ISO datetime: compare as a moment
        return datetime.fromisoformat(value)
    if isinstance(value, str) and len(value) == 10 and value[4] == "-":
        return datetime.fromisoformat(value + "T00:00:00+00:00")
    return value


@st.composite
def rule(draw: Any, catalogue: Catalogue, now: datetime, users: list[str]) -> dict[str, Any]:
    name = draw(st.sampled_from(catalogue.names()))
    f = catalogue.get(name)
    assert f is not None
    operator = draw(st.sampled_from(list(f.operators)))
    out: dict[str, Any] = {"field": name, "operator": operator}
    value = draw(value_for(f, operator, now, users))
    if value is not None:
        out["value"] = value
    if f.timeframe:
        timeframe = draw(st.sampled_from([None, *TIMEFRAMES]))
        if timeframe:
            out["timeframe"] = timeframe
    return out


def criteria(catalogue: Catalogue, now: datetime, users: list[str]) -> st.SearchStrategy:
    leaf = rule(catalogue, now, users)
    tree = st.recursive(
        leaf,
        lambda children: st.fixed_dictionaries(
            {
                "operator": st.sampled_from(["AND", "OR"]),
                "rules": st.lists(children, min_size=1, max_size=3),
            }
        ),
        max_leaves=6,
    )
    return st.fixed_dictionaries(
        {
            "operator": st.sampled_from(["AND", "OR"]),
            "rules": st.lists(tree, min_size=1, max_size=3),
        }
    )
