"""Request and response bodies of the segments API. Criteria travel as plain JSON and are
parsed by `schemas.parse_criteria`, which names each problem by its rule path."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import Field, field_validator

from clientbase.core.schemas import InputModel, OptionalText, OutputModel, Text

COLOR = re.compile(r"^#[0-9A-Fa-f]{6}$")
CRITERIA_DOC = (
    "Nested groups {operator: AND|OR, rules: [...]} of rules {field, operator, value, "
    "timeframe}; GET /api/v1/segments/fields lists fields, operators and timeframes."
)
CRITERIA_EXAMPLE = {
    "operator": "AND",
    "rules": [
        {
            "field": "total_spent",
            "operator": "greater_than",
            "value": 1000,
            "timeframe": "last_365_days",
        },
        {
            "operator": "OR",
            "rules": [
                {"field": "city", "operator": "equals", "value": "Almaty"},
                {"field": "tags", "operator": "contains", "value": "premium"},
            ],
        },
    ],
}
Criteria = dict[str, Any]


def _color(value: str | None) -> str | None:
    if value is not None and not COLOR.match(value):
        raise ValueError("must be a hex colour like #1E88E5")
    return value


class SegmentCreate(InputModel):
    name: Text(100, 1)
    description: OptionalText(2000) = None
    color_code: str | None = None
    business_id: uuid.UUID | None = None
    type: Literal["dynamic", "static"] = "dynamic"
    criteria: Criteria | None = Field(
        default=None, description=CRITERIA_DOC, examples=[CRITERIA_EXAMPLE]
    )

    _check_color = field_validator("color_code")(_color)


class SegmentUpdate(InputModel):
    name: OptionalText(100) = None
    description: OptionalText(2000) = None
    color_code: str | None = None
    criteria: Criteria | None = Field(default=None, description=CRITERIA_DOC)
    version: int | None = Field(default=None, ge=1)

    _check_color = field_validator("color_code")(_color)


class SegmentRead(OutputModel):
    id: uuid.UUID
    name: str
    description: str | None
    color_code: str | None
    business_id: uuid.UUID | None
    type: str
    criteria: Criteria | None
    is_system: bool
    lifecycle: str | None
    member_count: int
    last_calculated_at: datetime | None
    version: int
    created_at: datetime
    updated_at: datetime
    recalculation_job_id: uuid.UUID | None = None


class SegmentPage(OutputModel):
    items: list[SegmentRead]
    next_cursor: str | None = None


class PreviewRequest(InputModel):
    criteria: Criteria = Field(description=CRITERIA_DOC, examples=[CRITERIA_EXAMPLE])
    business_id: uuid.UUID | None = None


class CustomerBrief(OutputModel):
    id: uuid.UUID
    name: str
    type: str
    status: str
    email: str | None = None


class PreviewRead(OutputModel):
    count: int
    sample: list[CustomerBrief]
    evaluated_at: datetime


class MemberRead(CustomerBrief):
    added_at: datetime
    source: str


class MemberPage(OutputModel):
    items: list[MemberRead]
    next_cursor: str | None = None
    total: int | None = None


class AssignRequest(InputModel):
    segment_ids: list[uuid.UUID] = Field(max_length=500)


class CustomerSegmentRead(OutputModel):
    segment_id: uuid.UUID
    name: str
    type: str
    color_code: str | None
    is_system: bool
    lifecycle: str | None
    source: str
    added_at: datetime


class HistoryRead(OutputModel):
    id: int
    segment_id: uuid.UUID
    segment_name: str
    customer_id: uuid.UUID
    action: str
    reason: str
    at: datetime


class HistoryPage(OutputModel):
    items: list[HistoryRead]
    next_cursor: str | None = None


class JobAccepted(OutputModel):
    job_id: uuid.UUID
    status: str


class LifecycleUpdate(InputModel):
    business_id: uuid.UUID
    thresholds: dict[str, int] = Field(description="Keys of GET /segments/lifecycle defaults")
    version: int | None = Field(default=None, ge=1)

    @field_validator("thresholds")
    @classmethod
    def _non_negative(cls, value: dict[str, int]) -> dict[str, int]:
        bad = [k for k, v in value.items() if v < 0]
        if bad:
            raise ValueError(f"thresholds must not be negative: {', '.join(sorted(bad))}")
        return value
