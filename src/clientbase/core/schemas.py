"""Base classes and field types shared by every request and response schema."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, StringConstraints, field_validator


def unsafe_text_reason(value: str) -> str | None:
    """NUL bytes and unpaired surrogates are refused the same way on every database."""
    if "\x00" in value:
        return "must not contain NUL bytes"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "must be valid Unicode text (no unpaired surrogates)"
    return None


def reject_unsafe(value: Any) -> Any:
    if isinstance(value, str):
        reason = unsafe_text_reason(value)
        if reason:
            raise ValueError(reason)
    elif isinstance(value, dict):
        for key, item in value.items():
            reject_unsafe(key)
            reject_unsafe(item)
    elif isinstance(value, list | tuple):
        for item in value:
            reject_unsafe(item)
    return value


class InputModel(BaseModel):
    """Request bodies: unknown fields are refused, strings trimmed and checked."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="before")
    @classmethod
    def _safe_text(cls, value: Any) -> Any:
        return reject_unsafe(value)


class OutputModel(BaseModel):
    model_config = ConfigDict(from_attributes=True)


def _none_if_blank(value: str | None) -> str | None:
    return value or None


def Text(max_length: int, min_length: int = 0) -> Any:  # noqa: N802 - reads as a type
    return Annotated[str, StringConstraints(min_length=min_length, max_length=max_length)]


def OptionalText(max_length: int) -> Any:  # noqa: N802 - reads as a type
    return Annotated[
        str | None, StringConstraints(max_length=max_length), AfterValidator(_none_if_blank)
    ]
