"""Shapes for saved views."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import Field, field_validator

from clientbase.core.schemas import InputModel, OptionalText, OutputModel, Text

# The customer-list parameters a view may hold; custom fields as "cf.<key>".
FILTER_KEYS = frozenset(
    {
        "search",
        "type",
        "status",
        "is_active",
        "industry",
        "lead_source",
        "city",
        "country",
        "business_id",
        "assigned_to",
        "tags",
        "tags_match",
        "created_from",
        "created_to",
        "include_deleted",
        "only_deleted",
    }
)
FilterValue = str | list[str]


def _check_filters(value: dict[str, FilterValue] | None) -> dict[str, FilterValue] | None:
    for key, item in (value or {}).items():
        if key not in FILTER_KEYS and not key.startswith("cf."):
            raise ValueError(f"filters.{key}: is not a customer list filter")
        items = item if isinstance(item, list) else [item]
        if len(items) > 50 or any(len(i) > 200 for i in items):
            raise ValueError(f"filters.{key}: at most 50 values of 200 characters")
    return value


class SavedViewCreate(InputModel):
    name: Text(100, 1)
    filters: dict[str, FilterValue] = Field(default_factory=dict, max_length=30)
    sort: OptionalText(40) = None
    shared: bool = False

    _filters = field_validator("filters")(_check_filters)


class SavedViewUpdate(InputModel):
    name: OptionalText(100) = None
    filters: dict[str, FilterValue] | None = Field(default=None, max_length=30)
    sort: OptionalText(40) = None
    shared: bool | None = None
    version: int | None = Field(default=None, ge=1)

    _filters = field_validator("filters")(_check_filters)


class SavedViewRead(OutputModel):
    id: uuid.UUID
    owner_id: uuid.UUID
    name: str
    filters: dict[str, FilterValue]
    sort: str | None
    shared: bool
    version: int
    created_at: datetime
    updated_at: datetime
