"""Request and response shapes for contacts, addresses and notes."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from clientbase.core.schemas import InputModel, OptionalText, OutputModel, Text
from clientbase.customers.validation import normalize_country, normalize_email, normalize_tags

AddressType = Literal["billing", "shipping", "office", "warehouse", "home"]
NoteType = Literal["general", "support", "sales", "complaint", "feedback", "system"]
NotePriority = Literal["low", "medium", "high", "critical"]
NOTE_MAX_LENGTH = 5000


def _email(value: str | None) -> str | None:
    return normalize_email(value) if value else None


def _country(value: str | None) -> str | None:
    return normalize_country(value) if value is not None else None


Email = Annotated[str | None, Field(max_length=320), AfterValidator(_email)]
Country = Annotated[str | None, AfterValidator(_country)]
Latitude = Annotated[Decimal, Field(ge=-90, le=90, max_digits=9, decimal_places=6)]
Longitude = Annotated[Decimal, Field(ge=-180, le=180, max_digits=9, decimal_places=6)]


class ContactFields(InputModel):
    first_name: OptionalText(100) = None
    middle_name: OptionalText(100) = None
    last_name: OptionalText(100) = None
    position: OptionalText(150) = None
    department: OptionalText(150) = None
    email: Email = None
    phone: OptionalText(40) = None
    mobile: OptionalText(40) = None
    is_primary: bool | None = None
    is_decision_maker: bool | None = None
    linkedin: OptionalText(300) = None
    telegram: OptionalText(100) = None
    whatsapp: OptionalText(40) = None
    notes: OptionalText(5000) = None
    is_active: bool | None = None


class ContactCreate(ContactFields):
    first_name: Text(100, 1)
    is_primary: bool = False
    is_decision_maker: bool = False
    is_active: bool = True


class ContactUpdate(ContactFields):
    version: int | None = Field(default=None, ge=1)


class ContactRead(OutputModel):
    id: uuid.UUID
    customer_id: uuid.UUID
    first_name: str
    middle_name: str | None
    last_name: str | None
    position: str | None
    department: str | None
    email: str | None
    phone: str | None
    mobile: str | None
    is_primary: bool
    is_decision_maker: bool
    linkedin: str | None
    telegram: str | None
    whatsapp: str | None
    notes: str | None
    is_active: bool
    version: int
    created_at: datetime
    updated_at: datetime


class AddressFields(InputModel):
    type: AddressType | None = None
    street: OptionalText(300) = None
    building: OptionalText(50) = None
    apartment: OptionalText(50) = None
    city: OptionalText(150) = None
    region: OptionalText(150) = None
    postal_code: OptionalText(20) = None
    country: Country = None
    is_primary: bool | None = None
    contact_name: OptionalText(200) = None
    contact_phone: OptionalText(40) = None
    delivery_instructions: OptionalText(1000) = None
    latitude: Latitude | None = None
    longitude: Longitude | None = None


class AddressCreate(AddressFields):
    type: AddressType
    country: Country = Field(...)
    is_primary: bool = False


class AddressUpdate(AddressFields):
    version: int | None = Field(default=None, ge=1)


class AddressRead(OutputModel):
    id: uuid.UUID
    customer_id: uuid.UUID
    type: str
    street: str | None
    building: str | None
    apartment: str | None
    city: str | None
    region: str | None
    postal_code: str | None
    country: str
    is_primary: bool
    contact_name: str | None
    contact_phone: str | None
    delivery_instructions: str | None
    latitude: Decimal | None
    longitude: Decimal | None
    version: int
    created_at: datetime
    updated_at: datetime


NoteTags = Annotated[list[str], AfterValidator(normalize_tags)]


class NoteFields(InputModel):
    title: OptionalText(200) = None
    content: Text(NOTE_MAX_LENGTH, 1) | None = None
    type: NoteType | None = None
    priority: NotePriority | None = None
    is_internal: bool | None = None
    tags: NoteTags | None = None
    pinned: bool | None = None


class NoteCreate(NoteFields):
    content: Text(NOTE_MAX_LENGTH, 1)
    type: NoteType = "general"
    priority: NotePriority = "medium"
    is_internal: bool = True
    tags: NoteTags = Field(default_factory=list)
    pinned: bool = False


class NoteUpdate(NoteFields):
    version: int | None = Field(default=None, ge=1)


class NoteRead(OutputModel):
    id: uuid.UUID
    customer_id: uuid.UUID
    title: str | None
    content: str
    type: str
    priority: str
    is_internal: bool
    tags: list[str]
    author_id: uuid.UUID | None
    pinned: bool
    version: int
    created_at: datetime
    updated_at: datetime


class NoteList(OutputModel):
    items: list[NoteRead]
    next_cursor: str | None = None
