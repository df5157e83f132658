"""Per-organization custom field definitions and the typed values customers carry."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator
from sqlalchemy.ext.asyncio import AsyncSession

from clientbase.audit import service as audit
from clientbase.auth.actor import Actor
from clientbase.auth.permissions import Permission
from clientbase.core.concurrency import check_version
from clientbase.core.errors import Conflict, FieldError, NotFound, ValidationFailed
from clientbase.core.schemas import InputModel, OptionalText, OutputModel, Text
from clientbase.customers.models import CustomFieldDefinition
from clientbase.customers.repository import CustomFieldRepository

FieldType = Literal["text", "number", "date", "boolean", "select", "multiselect"]
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,63}$")
TEXT_MAX = 1000


class CustomFieldCreate(InputModel):
    key: Text(64, 1)
    label: Text(200, 1)
    type: FieldType
    options: list[Text(100, 1)] = Field(default_factory=list, max_length=200)
    required: bool = False

    @field_validator("key")
    @classmethod
    def _key(cls, value: str) -> str:
        if not KEY_PATTERN.match(value):
            raise ValueError("must start with a letter and use only a-z, 0-9 and _")
        return value

    @model_validator(mode="after")
    def _options_fit_type(self) -> CustomFieldCreate:
        if self.type in ("select", "multiselect") and not self.options:
            raise ValueError("options: select and multiselect fields need at least one option")
        if self.type not in ("select", "multiselect") and self.options:
            raise ValueError("options: only select and multiselect fields take options")
        return self


class CustomFieldUpdate(InputModel):
    label: OptionalText(200) = None
    options: list[Text(100, 1)] | None = Field(default=None, max_length=200)
    required: bool | None = None
    is_active: bool | None = None
    version: int | None = Field(default=None, ge=1)


class CustomFieldRead(OutputModel):
    id: uuid.UUID
    key: str
    label: str
    type: str
    options: list[str]
    required: bool
    is_active: bool
    version: int
    created_at: datetime


def _coerce(defn: CustomFieldDefinition, value: Any) -> Any:
    kind = defn.type
    if kind == "text":
        if not isinstance(value, str) or len(value) > TEXT_MAX:
            raise ValueError(f"must be text of at most {TEXT_MAX} characters")
        return value
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ValueError("must be a number")
        try:
            number = Decimal(str(value))
        except InvalidOperation as exc:
            raise ValueError("must be a number") from exc
        if not number.is_finite():
            raise ValueError("must be a finite number")
        return str(number)
    if kind == "date":
        if isinstance(value, str):
            try:
                return date.fromisoformat(value).isoformat()
            except ValueError:
                pass
        raise ValueError("must be a date (YYYY-MM-DD)")
    if kind == "boolean":
        if not isinstance(value, bool):
            raise ValueError("must be true or false")
        return value
    if kind == "select":
        if value not in defn.options:
            raise ValueError(f"must be one of {', '.join(defn.options)}")
        return value
    if not isinstance(value, list) or any(v not in defn.options for v in value):
        raise ValueError(f"must be a list of options from {', '.join(defn.options)}")
    return list(dict.fromkeys(value))


async def validate_values(
    session: AsyncSession,
    actor: Actor,
    values: dict[str, Any],
    *,
    current: dict[str, Any] | None = None,
    field: str = "custom_fields",
) -> dict[str, Any]:
    """Merge `values` over `current` (null removes a key), check every value against its
    definition and the required ones; returns the stored form or raises one 422 with all errors."""
    definitions = {
        d.key: d for d in await CustomFieldRepository(session, actor.organization_id).list()
    }
    merged = dict(current or {})
    errors: list[FieldError] = []
    for key, value in values.items():
        defn = definitions.get(key)
        if defn is None or not defn.is_active:
            errors.append(
                FieldError(f"{field}.{key}", "is not a custom field of this organization")
            )
            continue
        if value is None:
            merged.pop(key, None)
            continue
        try:
            merged[key] = _coerce(defn, value)
        except ValueError as exc:
            errors.append(FieldError(f"{field}.{key}", str(exc)))
    for key, defn in definitions.items():
        if defn.is_active and defn.required and merged.get(key) in (None, "", []):
            errors.append(FieldError(f"{field}.{key}", "is required"))
    if errors:
        raise ValidationFailed("; ".join(f"{e.field}: {e.message}" for e in errors), errors=errors)
    return merged


async def list_definitions(session: AsyncSession, actor: Actor) -> list[CustomFieldDefinition]:
    actor.require(Permission.CUSTOMERS_READ)
    return await CustomFieldRepository(session, actor.organization_id).list()


async def create_definition(
    session: AsyncSession, actor: Actor, data: CustomFieldCreate
) -> CustomFieldDefinition:
    actor.require(Permission.SETTINGS_MANAGE)
    repo = CustomFieldRepository(session, actor.organization_id)
    if await repo.by_key(data.key):
        raise Conflict(f"A custom field with key {data.key!r} already exists.")
    defn = repo.add(CustomFieldDefinition(**data.model_dump()))
    await repo.flush()
    audit.record(
        session,
        actor,
        action="custom_field.created",
        entity_type="custom_field",
        entity_id=defn.id,
        changes=audit.diff({}, data.model_dump()),
    )
    return defn


async def update_definition(
    session: AsyncSession,
    actor: Actor,
    definition_id: uuid.UUID,
    data: CustomFieldUpdate,
    *,
    if_match: str | None = None,
) -> CustomFieldDefinition:
    actor.require(Permission.SETTINGS_MANAGE)
    repo = CustomFieldRepository(session, actor.organization_id)
    defn = await repo.get(definition_id)
    if defn is None:
        raise NotFound("Custom field not found.")
    check_version(defn.version, data.version, if_match)
    changes = data.model_dump(exclude_unset=True, exclude={"version"})
    if "options" in changes and defn.type not in ("select", "multiselect") and changes["options"]:
        raise ValidationFailed.on("options", "only select and multiselect fields take options")
    before = {k: getattr(defn, k) for k in changes}
    for name, value in changes.items():
        if value is not None:
            setattr(defn, name, value)
    await repo.flush()
    audit.record(
        session,
        actor,
        action="custom_field.updated",
        entity_type="custom_field",
        entity_id=defn.id,
        changes=audit.diff(before, {k: getattr(defn, k) for k in changes}),
    )
    return defn
