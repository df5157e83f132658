"""Child rows read back from JSON as their columns give them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import JSON, Boolean, Column, Float, Integer, MetaData, Numeric, String, Table, Uuid

from clientbase.db.base import UTCDateTime
from clientbase.db.json_rows import JsonRows

TABLE = Table(
    "example",
    MetaData(),
    Column("id", Uuid),
    Column("at", UTCDateTime),
    Column("amount", Numeric(9, 6)),
    Column("flag", Boolean),
    Column("n", Integer),
    Column("name", String),
)
ROWS = JsonRows(list(TABLE.c))
ID = uuid.UUID("01a2b3c4-0000-7000-8000-000000000001")


def test_postgresql_text_decodes_to_column_values():
    text = (
        f'[["{ID}", "2026-01-02T08:04:05.5+05:00", 43.200000, true, 7, "Ann"],'
        " [null, null, null, null, null, null]]"
    )
    first, empty = ROWS.decode(text)
    assert first == {
        "id": ID,
        "at": datetime(2026, 1, 2, 3, 4, 5, 500000, tzinfo=UTC),
        "amount": Decimal("43.200000"),
        "flag": True,
        "n": 7,
        "name": "Ann",
    }
    assert str(first["amount"]) == "43.200000"
    assert first["at"].tzinfo is UTC
    assert set(empty.values()) == {None}


def test_sqlite_stored_values_decode_alike():
    text = f'[["{ID.hex}", "2026-01-02 03:04:05.500000", 76.9, 0, 7, "Ann"]]'
    (row,) = ROWS.decode(text)
    assert row["id"] == ID
    assert row["at"] == datetime(2026, 1, 2, 3, 4, 5, 500000, tzinfo=UTC)
    assert str(row["amount"]) == "76.900000"
    assert row["flag"] is False


def test_no_rows():
    assert ROWS.decode(None) == []
    assert ROWS.decode("[]") == []


@pytest.mark.parametrize("kind", [JSON(), Float()])
def test_types_the_databases_would_disagree_on_are_refused(kind):
    with pytest.raises(TypeError, match="cannot be carried"):
        JsonRows([Column("x", kind)])
