"""Request and response shapes for customer profiles."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, Field, HttpUrl, field_validator

from clientbase.core.schemas import InputModel, OptionalText, OutputModel, Text
from clientbase.customers.identifiers import check_bin, check_iin
from clientbase.customers.related_schemas import (
    AddressCreate,
    AddressRead,
    ContactCreate,
    ContactRead,
)
from clientbase.customers.validation import (
    normalize_email,
    normalize_language,
    normalize_tags,
)

CustomerType = Literal["individual", "company", "enterprise"]
CustomerStatus = Literal["lead", "prospect", "active", "inactive", "churned", "blocked"]
CompanySize = Literal["1-10", "11-50", "51-200", "201-500", "500+"]
Gender = Literal["male", "female", "other", "unspecified"]
MoneyIn = Annotated[Decimal, Field(max_digits=14, decimal_places=2)]


def _iin(value: str | None) -> str | None:
    if value is None:
        return None
    result = check_iin(value)
    if not result.valid:
        raise ValueError("; ".join(result.errors))
    return value


def _bin(value: str | None) -> str | None:
    if value is None:
        return None
    result = check_bin(value)
    if not result.valid:
        raise ValueError("; ".join(result.errors))
    return value


def _email(value: str | None) -> str | None:
    return normalize_email(value) if value else None


def _language(value: str | None) -> str | None:
    return normalize_language(value) if value else None


def _website(value: str | None) -> str | None:
    return str(HttpUrl(value)) if value else None


Email = Annotated[str | None, Field(max_length=320), AfterValidator(_email)]
Iin = Annotated[str | None, AfterValidator(_iin)]
Bin = Annotated[str | None, AfterValidator(_bin)]
Language = Annotated[str | None, AfterValidator(_language)]
Website = Annotated[str | None, Field(max_length=500), AfterValidator(_website)]
Tags = Annotated[list[str], AfterValidator(normalize_tags)]
LeadSource = OptionalText(100)


class CustomerFields(InputModel):
    """Writable profile fields, all optional: PATCH sends any subset."""

    type: CustomerType | None = None
    status: CustomerStatus | None = None
    is_active: bool | None = None
    name: OptionalText(300) = None
    first_name: OptionalText(100) = None
    middle_name: OptionalText(100) = None
    last_name: OptionalText(100) = None
    company_name: OptionalText(300) = None
    date_of_birth: date | None = None
    gender: Gender | None = None
    preferred_language: Language = None
    website: Website = None
    email: Email = None
    phone: OptionalText(40) = None
    telegram_chat_id: OptionalText(64) = None
    iin: Iin = None
    bin: Bin = None
    company_size: CompanySize | None = None
    industry: OptionalText(100) = None
    lead_source: LeadSource = None
    credit_limit: MoneyIn | None = Field(default=None, ge=0)
    current_balance: MoneyIn | None = None
    rating: int | None = Field(default=None, ge=1, le=10)
    assigned_to: uuid.UUID | None = None
    referred_by: uuid.UUID | None = None
    tags: Tags | None = None
    custom_fields: dict[str, Any] | None = None
    last_contact_at: AwareDatetime | None = None
    next_follow_up_at: AwareDatetime | None = None
    last_activity_at: AwareDatetime | None = None

    @field_validator("date_of_birth")
    @classmethod
    def _plausible_birth_date(cls, value: date | None) -> date | None:
        if value is not None and not date(1850, 1, 1) <= value <= date.today():
            raise ValueError("must be a past date after 1850-01-01")
        return value


class CustomerCreate(CustomerFields):
    type: CustomerType = "individual"
    status: CustomerStatus = "lead"
    is_active: bool = True
    tags: Tags = Field(default_factory=list)
    custom_fields: dict[str, Any] = Field(default_factory=dict)
    contacts: list[ContactCreate] = Field(default_factory=list, max_length=50)
    addresses: list[AddressCreate] = Field(default_factory=list, max_length=50)
    business_ids: list[uuid.UUID] | None = Field(default=None, max_length=50)


class CustomerUpdate(CustomerFields):
    """PATCH: only the fields sent change. `version` (or If-Match) is required."""

    version: int | None = Field(default=None, ge=1)


class CustomerReplace(CustomerCreate):
    """PUT: the whole profile; fields left out return to their defaults."""

    version: int | None = Field(default=None, ge=1)


class CustomerRead(OutputModel):
    id: uuid.UUID
    type: str
    status: str
    is_active: bool
    name: str
    first_name: str | None
    middle_name: str | None
    last_name: str | None
    company_name: str | None
    date_of_birth: date | str | None
    gender: str | None
    preferred_language: str | None
    website: str | None
    email: str | None
    phone: str | None
    telegram_chat_id: str | None
    iin: str | None
    bin: str | None
    company_size: str | None
    industry: str | None
    lead_source: str | None
    credit_limit: Decimal | None
    current_balance: Decimal
    rating: int | None
    assigned_to: uuid.UUID | None
    referred_by: uuid.UUID | None
    tags: list[str]
    custom_fields: dict[str, Any]
    last_contact_at: datetime | None
    next_follow_up_at: datetime | None
    last_activity_at: datetime | None
    # Computed by the transactions/analytics domain; zero or null until it has data.
    total_spent: Decimal = Decimal("0.00")
    order_count: int = 0
    average_order_value: Decimal = Decimal("0.00")
    first_order_at: datetime | None = None
    last_order_at: datetime | None = None
    days_since_last_order: int | None = None
    lifetime_value: Decimal = Decimal("0.00")
    predicted_ltv: Decimal | None = None
    churn_risk: float | None = None
    rfm_score: str | None = None
    engagement_score: float | None = None
    lead_score: int | None = None
    segment: str | None = None
    version: int
    created_at: datetime
    updated_at: datetime
    created_by: uuid.UUID | None
    updated_by: uuid.UUID | None
    deleted_at: datetime | None
    anonymized_at: datetime | None


class CustomerDetail(CustomerRead):
    contacts: list[ContactRead] = Field(default_factory=list)
    addresses: list[AddressRead] = Field(default_factory=list)
    business_ids: list[uuid.UUID] = Field(default_factory=list)


class CustomerPage(OutputModel):
    items: list[CustomerRead]
    next_cursor: str | None
    total: int | None
    total_is_estimate: bool = False


class IdentifierCheckRead(OutputModel):
    value: str
    valid: bool
    errors: list[str]
    details: dict[str, str]


class IdentifierCheckRequest(InputModel):
    value: Text(64, 1)
    date_of_birth: date | None = None
