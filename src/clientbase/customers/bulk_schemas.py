"""Shapes for bulk create, update and delete."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import Field, model_validator

from clientbase.core.schemas import InputModel, OutputModel
from clientbase.customers.schemas import CustomerStatus, Tags

MAX_BULK = 1000


class BulkCreate(InputModel):
    items: list[dict[str, Any]] = Field(min_length=1, max_length=MAX_BULK)


class BulkUpdate(InputModel):
    ids: list[uuid.UUID] = Field(min_length=1, max_length=MAX_BULK)
    status: CustomerStatus | None = None
    add_tags: Tags = Field(default_factory=list)
    remove_tags: Tags = Field(default_factory=list)
    assigned_to: uuid.UUID | None = Field(
        default=None, description="Assign to this user; send null explicitly to unassign."
    )

    @model_validator(mode="after")
    def _something_to_do(self) -> BulkUpdate:
        if not ({"status", "assigned_to"} & self.model_fields_set) and not (
            self.add_tags or self.remove_tags
        ):
            raise ValueError("give at least one of status, add_tags, remove_tags, assigned_to")
        return self


class BulkDelete(InputModel):
    ids: list[uuid.UUID] = Field(min_length=1, max_length=MAX_BULK)


class BulkItemError(OutputModel):
    index: int
    id: uuid.UUID | None = None
    errors: list[dict[str, str]]


class BulkItemDone(OutputModel):
    index: int
    id: uuid.UUID


class BulkCreateResult(OutputModel):
    created: list[BulkItemDone]
    errors: list[BulkItemError]


class BulkUpdateResult(OutputModel):
    updated: list[BulkItemDone]
    errors: list[BulkItemError]


class BulkDeleteResult(OutputModel):
    deleted: list[BulkItemDone]
    errors: list[BulkItemError]
