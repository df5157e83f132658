"""A sort is a whitelisted field with at most one leading '-'; anything else is a 422
problem naming `sort`."""

from __future__ import annotations

import pytest

from clientbase.core.errors import ValidationFailed
from clientbase.core.sorting import SortSpec, parse_sort

ALLOWED = ("name", "created_at")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("name", SortSpec("name", False)),
        ("-created_at", SortSpec("created_at", True)),
        (" -name ", SortSpec("name", True)),
        (None, SortSpec("created_at", True)),
    ],
)
def test_a_field_with_an_optional_minus_is_that_order(value, expected):
    assert parse_sort(value, ALLOWED, "-created_at") == expected


@pytest.mark.parametrize("value", ["--name", "+name", "-+name", "rating", "name,-created_at"])
def test_anything_else_names_sort(value):
    with pytest.raises(ValidationFailed) as caught:
        parse_sort(value, ALLOWED, "-created_at")
    assert [e.field for e in caught.value.errors] == ["sort"]
