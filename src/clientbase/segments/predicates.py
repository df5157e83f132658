"""Operator semantics as SQL, for a value expression that may be NULL.

Every predicate built here is two-valued (TRUE or FALSE, never NULL): a missing value
fails every positive test, and a negative operator is NOT of its positive twin. That keeps
AND/OR/NOT in SQL identical to the in-Python evaluator."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import (
    Boolean,
    ColumnElement,
    Date,
    Float,
    Integer,
    Numeric,
    String,
    and_,
    bindparam,
    false,
    func,
    literal,
    not_,
    or_,
    true,
)
from sqlalchemy.types import TypeEngine, Uuid

from clientbase.db.base import UTCDateTime
from clientbase.segments.fields import NEGATIONS, Kind

BIND_TYPES: dict[Kind, TypeEngine[Any]] = {
    Kind.STRING: String(),
    Kind.ENUM: String(),
    Kind.INTEGER: Integer(),
    Kind.NUMBER: Numeric(30, 10),
    Kind.FLOAT: Float(),
    Kind.BOOLEAN: Boolean(),
    Kind.DATE: Date(),
    Kind.DATETIME: UTCDateTime(),
    Kind.UUID: Uuid(),
}


def bind(kind: Kind, value: Any) -> ColumnElement[Any]:
    return literal(value, BIND_TYPES[kind])


class Clock:
    """`now` and every moment a rule derives from it, as bind parameters named after how
    they derive from `now` (30 days back, today, 40 years back). A statement built at one
    time runs at another with `values(later)` as its parameters: the incremental refresh
    keeps its compiled statements and passes only the time and the customer ids."""

    def __init__(self, now: datetime) -> None:
        self.now = now
        self.derived: dict[str, Callable[[datetime], Any]] = {}

    def _param(self, key: str, kind: Kind, derive: Callable[[datetime], Any]) -> Any:
        self.derived[key] = derive
        return bindparam(key, derive(self.now), type_=BIND_TYPES[kind])

    def moment(self, back: timedelta = timedelta(0)) -> ColumnElement[Any]:
        """now - back (a datetime)."""
        return self._param(
            f"clock_at_{_name(back // timedelta(microseconds=1))}",
            Kind.DATETIME,
            lambda now: now - back,
        )

    def day(self, back_days: int = 0) -> ColumnElement[Any]:
        """today - back_days (a date)."""
        return self._param(
            f"clock_day_{_name(back_days)}",
            Kind.DATE,
            lambda now: now.date() - timedelta(days=back_days),
        )

    def years_back(self, years: int) -> ColumnElement[Any]:
        """today moved back `years` years (29 February: the 28th in common years)."""
        return self._param(
            f"clock_years_{_name(years)}",
            Kind.DATE,
            lambda now: shifted_years(now.date(), years),
        )

    def values(self, now: datetime) -> dict[str, Any]:
        """The parameters that move a statement built with this clock to `now`."""
        return {key: derive(now) for key, derive in self.derived.items()}


def _name(n: Any) -> str:
    return str(n).replace("-", "n").replace(".", "_")


def day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def positive(operator: str) -> tuple[str, bool]:
    """(the positive operator, whether the rule negates it)."""
    if operator in NEGATIONS:
        return NEGATIONS[operator], True
    return operator, False


def negate_if(condition: ColumnElement[bool], negated: bool) -> ColumnElement[bool]:
    return not_(condition) if negated else condition


def like_contains(expr: ColumnElement[Any], needle: str) -> ColumnElement[bool]:
    escaped = needle.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return func.lower(expr).like(f"%{escaped}%", escape="\\")


def scalar(
    kind: Kind, expr: ColumnElement[Any], operator: str, value: Any, *, clock: Clock
) -> ColumnElement[bool]:
    """A rule on a single (nullable) value."""
    op, negated = positive(operator)
    return negate_if(and_(expr.is_not(None), _test(kind, expr, op, value, clock)), negated)


def _test(
    kind: Kind, expr: ColumnElement[Any], op: str, value: Any, clock: Clock
) -> ColumnElement[bool]:
    if op == "is_set":
        return expr != "" if kind == Kind.STRING else true()
    if kind == Kind.STRING:
        if op == "contains":
            return like_contains(expr, value)
        values = value if op == "in" else (value,)
        return func.lower(expr).in_([v.lower() for v in values])
    if op == "in":
        return expr.in_([bind(kind, v) for v in value])
    if op == "within_last_days":
        if kind == Kind.DATE:
            return and_(expr >= clock.day(value), expr <= clock.day(0))
        return and_(expr >= clock.moment(timedelta(days=value)), expr <= clock.moment())
    if kind == Kind.DATETIME:
        return _moment(expr, op, value)
    return ordered(expr, op, value, lambda v: bind(kind, v))


def ordered(expr: Any, op: str, value: Any, wrap: Any) -> ColumnElement[bool]:
    if op == "equals":
        return expr == wrap(value)  # type: ignore[no-any-return]
    if op == "between":
        return and_(expr >= wrap(value[0]), expr <= wrap(value[1]))
    return {
        "greater_than": lambda: expr > wrap(value),
        "greater_or_equal": lambda: expr >= wrap(value),
        "less_than": lambda: expr < wrap(value),
        "less_or_equal": lambda: expr <= wrap(value),
    }[op]()


def day_bounds(op: str, value: Any) -> tuple[datetime | None, datetime | None]:
    """A date on a datetime field means the whole UTC day: [from, to) per operator."""
    if op == "between":
        low, high = (day_bounds("equals", v) for v in value)
        return low[0], high[1]
    start = day_start(value)
    end = start + timedelta(days=1)
    return {
        "equals": (start, end),
        "greater_than": (end, None),
        "greater_or_equal": (start, None),
        "less_than": (None, start),
        "less_or_equal": (None, end),
    }[op]


def _moment(expr: ColumnElement[Any], op: str, value: Any) -> ColumnElement[bool]:
    values = value if op == "between" else (value,)
    if not any(isinstance(v, datetime) for v in values):
        low, high = day_bounds(op, value)
        parts = []
        if low is not None:
            parts.append(expr >= bind(Kind.DATETIME, low))
        if high is not None:
            parts.append(expr < bind(Kind.DATETIME, high))
        return and_(*parts)
    as_moment = [v if isinstance(v, datetime) else day_start(v) for v in values]
    return ordered(expr, op, as_moment if op == "between" else as_moment[0], _dt)


def _dt(value: datetime) -> ColumnElement[Any]:
    return bind(Kind.DATETIME, value)


def shifted_years(day: date, years: int) -> date:
    """`day` moved back `years` years; 29 February becomes the 28th in common years."""
    year = day.year - years
    try:
        return day.replace(year=year)
    except ValueError:
        return day.replace(year=year, day=28)


def age(dob: ColumnElement[Any], operator: str, value: Any, *, clock: Clock) -> ColumnElement[bool]:
    """Age in whole years as date_of_birth ranges: age >= N <=> dob <= today - N years."""
    return _whole_units(dob, operator, value, clock.years_back)


def days_since(
    last: ColumnElement[Any], operator: str, value: Any, *, clock: Clock
) -> ColumnElement[bool]:
    """Whole days since `last` (floored) as ranges of `last`: days >= N <=> last <= now - N."""
    return _whole_units(last, operator, value, lambda n: clock.moment(timedelta(days=n)))


def _whole_units(
    column: ColumnElement[Any],
    operator: str,
    value: Any,
    edge: Callable[[int], ColumnElement[Any]],
) -> ColumnElement[bool]:
    """A count of whole units elapsed since `column` (years of age, days since), compared as
    ranges of the column itself so its index stays usable: units >= N <=> column <= edge(N)."""
    op, negated = positive(operator)

    def at_least(n: int) -> ColumnElement[bool]:
        return column <= edge(n)

    def exactly(n: int) -> ColumnElement[bool]:
        return and_(column <= edge(n), column > edge(n + 1))

    if op == "is_set":
        test: ColumnElement[bool] = true()
    elif op == "in":
        test = or_(*(exactly(n) for n in value))
    elif op == "between":
        test = and_(column <= edge(value[0]), column > edge(value[1] + 1))
    else:
        test = {
            "equals": lambda: exactly(value),
            "greater_than": lambda: at_least(value + 1),
            "greater_or_equal": lambda: at_least(value),
            "less_than": lambda: not_(at_least(value)),
            "less_or_equal": lambda: not_(at_least(value + 1)),
        }[op]()
    return negate_if(and_(column.is_not(None), test), negated)


def average(
    total: ColumnElement[Any],
    count: ColumnElement[Any],
    operator: str,
    value: Any,
    *,
    money: Any,
) -> ColumnElement[bool]:
    """total / count compared without division: total op v * count (count > 0)."""
    op, negated = positive(operator)
    if op == "is_set":
        test: ColumnElement[bool] = true()
    elif op == "in":
        test = or_(*(money(total) == money(bind(Kind.NUMBER, v) * count) for v in value))
    else:
        test = ordered(money(total), op, value, lambda v: money(bind(Kind.NUMBER, v) * count))
    return negate_if(and_(count > 0, test), negated)


def never() -> ColumnElement[bool]:
    return false()
