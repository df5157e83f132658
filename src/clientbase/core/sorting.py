"""Sort parameters checked against a whitelist: `name`, `-created_at`."""

from __future__ import annotations

from dataclasses import dataclass

from clientbase.core.errors import ValidationFailed


@dataclass(frozen=True)
class SortSpec:
    field: str
    descending: bool

    @property
    def token(self) -> str:
        return ("-" if self.descending else "") + self.field


def parse_sort(value: str | None, allowed: tuple[str, ...], default: str) -> SortSpec:
    raw = (value or default).strip()
    descending = raw.startswith("-")
    field = raw[1:] if descending else raw
    if field not in allowed:
        raise ValidationFailed.on(
            "sort", f"must be one of {', '.join(allowed)} (prefix - for descending)"
        )
    return SortSpec(field, descending)
