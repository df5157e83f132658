"""Keyset cursors and the page shape every list returns."""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query

from clientbase.core.errors import ValidationFailed

T = TypeVar("T")
MAX_LIMIT = 100
DEFAULT_LIMIT = 25

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="Page size, at most 100.")]


@dataclass
class Page(Generic[T]):
    items: list[T]
    next_cursor: str | None = None
    total: int | None = None
    total_is_estimate: bool = False


def encode_cursor(values: list[Any]) -> str:
    raw = json.dumps(values, separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise ValidationFailed.on("cursor", "is not a cursor this service issued") from exc
    if not isinstance(values, list) or not values:
        raise ValidationFailed.on("cursor", "is not a cursor this service issued")
    return values
