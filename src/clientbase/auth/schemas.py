"""Shapes for tokens, users and API keys."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, AwareDatetime, Field

from clientbase.auth.passwords import MIN_PASSWORD_LENGTH
from clientbase.auth.permissions import Permission, Role
from clientbase.core.schemas import InputModel, OptionalText, OutputModel, Text
from clientbase.customers.validation import normalize_email

UserEmail = Annotated[str, Field(max_length=320), AfterValidator(normalize_email)]
Password = Annotated[str, Field(min_length=MIN_PASSWORD_LENGTH, max_length=256)]


class TokenRead(OutputModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


class UserCreate(InputModel):
    email: UserEmail
    password: Password
    full_name: Text(200) = ""
    role: Role = Role.VIEWER


class UserUpdate(InputModel):
    full_name: OptionalText(200) = None
    role: Role | None = None
    is_active: bool | None = None
    password: Password | None = None
    version: int | None = Field(default=None, ge=1)


class UserRead(OutputModel):
    id: uuid.UUID
    email: str
    full_name: str
    role: Role
    is_active: bool
    last_login_at: datetime | None
    version: int
    created_at: datetime
    updated_at: datetime


class UserPage(OutputModel):
    items: list[UserRead]
    total: int
    next_cursor: str | None = None


class ApiKeyCreate(InputModel):
    name: Text(200, 1)
    role: Role = Role.VIEWER
    scopes: list[Permission] | None = None
    expires_at: AwareDatetime | None = None


class ApiKeyRead(OutputModel):
    id: uuid.UUID
    name: str
    prefix: str
    role: Role
    scopes: list[str]
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiKeyCreated(ApiKeyRead):
    key: str = Field(description="The secret key. Shown once; store it now.")
