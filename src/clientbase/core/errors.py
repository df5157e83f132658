"""The one error family services raise; `core.problem` renders it as RFC 9457."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FieldError:
    field: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "message": self.message}


class ClientbaseError(Exception):
    status = 400
    title = "Bad request"
    slug = "bad-request"
    # An error whose bookkeeping must survive it (a failed sign-in counts toward the lockout).
    keeps_changes = False

    def __init__(
        self,
        detail: str | None = None,
        *,
        errors: list[FieldError] | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.errors = errors or []
        self.headers = headers or {}
        self.extra = extra


class ValidationFailed(ClientbaseError):
    status = 422
    title = "Validation failed"
    slug = "validation-failed"

    @classmethod
    def on(cls, field: str, message: str) -> ValidationFailed:
        return cls(f"{field}: {message}", errors=[FieldError(field, message)])


class Unauthorized(ClientbaseError):
    status = 401
    title = "Not authenticated"
    slug = "unauthorized"

    def __init__(self, detail: str | None = None, **kw: Any) -> None:
        kw.setdefault("headers", {"WWW-Authenticate": "Bearer"})
        super().__init__(detail, **kw)


class SignInFailed(Unauthorized):
    keeps_changes = True


class PermissionDenied(ClientbaseError):
    status = 403
    title = "Permission denied"
    slug = "permission-denied"


class NotFound(ClientbaseError):
    status = 404
    title = "Not found"
    slug = "not-found"


class Conflict(ClientbaseError):
    status = 409
    title = "Conflict"
    slug = "conflict"


class VersionConflict(Conflict):
    title = "Version conflict"
    slug = "version-conflict"


class PreconditionFailed(ClientbaseError):
    status = 412
    title = "Precondition failed"
    slug = "precondition-failed"


class PreconditionRequired(ClientbaseError):
    status = 428
    title = "Precondition required"
    slug = "precondition-required"


class PayloadTooLarge(ClientbaseError):
    status = 413
    title = "Payload too large"
    slug = "payload-too-large"


class TooManyRequests(ClientbaseError):
    status = 429
    title = "Too many requests"
    slug = "too-many-requests"


def field_path(loc: tuple[Any, ...] | list[Any]) -> str:
    """('body', 'contacts', 0, 'email') -> 'contacts[0].email'."""
    parts = list(loc)
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        parts = parts[1:]
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif str(part).startswith(("function-after", "function-before", "function-wrap")):
            continue
        else:
            out += ("." if out else "") + str(part)
    return out or "body"


def clean_message(msg: str) -> str:
    for prefix in ("Value error, ", "Assertion failed, "):
        if msg.startswith(prefix):
            return msg[len(prefix) :]
    return msg


def validation_errors(raw: Iterable[Any]) -> list[dict[str, str]]:
    """Pydantic's error list as [{field, message}] with API field paths."""
    out = []
    for error in raw:
        field, message = field_path(error.get("loc", ())), clean_message(error.get("msg", ""))
        named = _NAMED_MESSAGE.match(message)
        # A model-level check names its field; a field-level one may name a path inside it.
        if named and (field == "body" or named.group(1).startswith(field + ".")):
            field, message = named.group(1), named.group(2)
        out.append({"field": field, "message": message})
    return out


_NAMED_MESSAGE = re.compile(r"^([a-z_][a-z0-9_.\[\]]*): (.+)$", re.DOTALL)
