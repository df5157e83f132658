"""Optimistic concurrency: the client proves it saw the current version."""

from __future__ import annotations

from clientbase.core.errors import PreconditionFailed, PreconditionRequired, VersionConflict


def etag(version: int) -> str:
    return f'W/"{version}"'


def parse_if_match(value: str) -> int | None:
    raw = value.strip()
    if raw.startswith("W/"):
        raw = raw[2:]
    raw = raw.strip('"')
    return int(raw) if raw.isdigit() else None


def check_version(current: int, body_version: int | None, if_match: str | None) -> None:
    """Stale `version` in the body -> 409; stale If-Match -> 412; neither -> 428."""
    if if_match is not None:
        if if_match.strip() == "*":
            return
        seen = parse_if_match(if_match)
        if seen != current:
            raise PreconditionFailed(
                "The resource changed since you read it; reload and try again.",
                current_version=current,
            )
    if body_version is not None and body_version != current:
        raise VersionConflict(
            "The resource changed since you read it; reload and try again.",
            current_version=current,
        )
    if if_match is None and body_version is None:
        raise PreconditionRequired(
            "Send the current `version` in the body or an If-Match header with the ETag."
        )
