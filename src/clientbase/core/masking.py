"""How personal data is shown to people who may not see it in full, and in the audit log."""

from __future__ import annotations

from typing import Any


def mask_email(value: str | None) -> str | None:
    if not value or "@" not in value:
        return value
    local, domain = value.split("@", 1)
    return f"{local[:1]}***@{domain}"


def mask_phone(value: str | None) -> str | None:
    if not value or len(value) < 6:
        return value
    return value[:4] + "*" * (len(value) - 6) + value[-2:]


def mask_national_id(value: str | None) -> str | None:
    if not value:
        return value
    return "*" * (len(value) - 4) + value[-4:]


def mask_date(value: Any) -> str | None:
    return None if value is None else "****-**-**"


PII_MASKS = {
    "email": mask_email,
    "phone": mask_phone,
    "mobile": mask_phone,
    "contact_phone": mask_phone,
    "iin": mask_national_id,
    "bin": mask_national_id,
    "date_of_birth": mask_date,
}


def mask_field(field: str, value: Any) -> Any:
    mask = PII_MASKS.get(field)
    return mask(value) if mask else value
