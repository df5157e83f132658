"""Child rows fetched inside their parent's statement as one JSON array column, so a parent
and its children cost one round trip. JSON loses column types; `decode` gives each value
back as the column itself would (UUID, aware UTC datetime, date, Decimal at the column's
scale, bool, int, text), on PostgreSQL (json_agg) and SQLite (json_group_array) alike.
Columns of other types (JSON, floats) are refused: the two databases would disagree on
them. The order of the aggregated rows is not defined: callers sort."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, FromClause, Numeric, Text, cast, func, select
from sqlalchemy.sql.elements import KeyedColumnElement

Decoder = Callable[[Any], Any]


def _utc(value: str) -> datetime:
    # PostgreSQL writes "2026-01-02T03:04:05.6+00:00"; SQLite keeps UTC as "2026-01-02 03:04:05.6".
    parsed = datetime.fromisoformat(value)
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _decimal(scale: int | None) -> Decoder:
    exponent = Decimal(1).scaleb(-scale) if scale is not None else None

    def decode(value: Any) -> Decimal:
        number = Decimal(value)
        return number.quantize(exponent) if exponent is not None else number

    return decode


def _decoder(column: KeyedColumnElement[Any]) -> Decoder | None:
    stored = getattr(column.type, "impl_instance", column.type)  # a TypeDecorator's own type
    kind = stored.python_type
    if kind is datetime:
        return _utc
    if kind is date:
        return date.fromisoformat
    if kind is uuid.UUID:
        return uuid.UUID
    if kind is bool:
        return bool
    if kind is Decimal:
        return _decimal(stored.scale if isinstance(stored, Numeric) else None)
    if kind in (int, str):
        return None
    raise TypeError(f"{column} ({stored}) cannot be carried in JSON rows")


class JsonRows:
    """`columns` aggregated per parent by `rows_of` and read back by `decode` as mappings
    keyed by `names` (the column names by default)."""

    def __init__(
        self, columns: Sequence[KeyedColumnElement[Any]], names: Sequence[str] = ()
    ) -> None:
        self.names = list(names) or [str(column.key) for column in columns]
        self.columns = list(columns)
        self.decoders = [_decoder(column) for column in columns]

    def rows_of(
        self, dialect: str, *where: ColumnElement[bool], source: FromClause | None = None
    ) -> ColumnElement[Any]:
        """A scalar subquery: a JSON array with one array of values per matching row (of
        `source`, a join, when the columns come from several tables)."""
        aggregate: ColumnElement[Any]
        if dialect == "postgresql":  # as text: the driver would read numbers as floats
            aggregate = cast(func.json_agg(func.json_build_array(*self.columns)), Text)
        else:
            aggregate = func.json_group_array(func.json_array(*self.columns))
        stmt = select(aggregate) if source is None else select(aggregate).select_from(source)
        return stmt.where(*where).scalar_subquery()

    def decode(self, text: str | None) -> list[dict[str, Any]]:
        if not text:
            return []
        rows = []
        for values in json.loads(text, parse_float=Decimal):
            row = {}
            for name, decoder, value in zip(self.names, self.decoders, values, strict=True):
                row[name] = decoder(value) if decoder is not None and value is not None else value
            rows.append(row)
        return rows
