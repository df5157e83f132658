"""Shapes for organizations and businesses."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import phonenumbers
import pycountry
from pydantic import field_validator

from clientbase.core.schemas import InputModel, OutputModel, Text


class OrganizationRead(OutputModel):
    id: uuid.UUID
    name: str
    settings: dict[str, Any]
    created_at: datetime


class OrganizationSettingsUpdate(InputModel):
    default_phone_region: Text(2, 2) | None = None
    currency: Text(3, 3) | None = None

    @field_validator("currency")
    @classmethod
    def _currency(cls, value: str | None) -> str | None:
        if value is not None and pycountry.currencies.get(alpha_3=value.upper()) is None:
            raise ValueError("must be an ISO 4217 currency code, such as KZT")
        return value.upper() if value else None

    @field_validator("default_phone_region")
    @classmethod
    def _region(cls, value: str | None) -> str | None:

        if value is not None and value.upper() not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError("must be a region phonenumbers knows, such as KZ")
        return value.upper() if value else None


class BusinessCreate(InputModel):
    name: Text(200, 1)


class BusinessRead(OutputModel):
    id: uuid.UUID
    name: str
    is_default: bool
    created_at: datetime
