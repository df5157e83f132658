"""Profile rules that span fields: names, identifiers per type, phone normalisation."""

from __future__ import annotations

from typing import Any

from clientbase.core.errors import FieldError
from clientbase.customers.identifiers import check_iin
from clientbase.customers.validation import normalize_phone

PERSON_TYPES = ("individual",)


def derived_name(values: dict[str, Any]) -> str | None:
    if values.get("type") in PERSON_TYPES:
        parts = [values.get("first_name"), values.get("middle_name"), values.get("last_name")]
        joined = " ".join(p for p in parts if p)
        return joined or None
    return values.get("company_name") or None


def normalize_phones(
    values: dict[str, Any], fields: tuple[str, ...], region: str, prefix: str = ""
) -> list[FieldError]:
    errors = []
    for name in fields:
        raw = values.get(name)
        if raw:
            try:
                values[name] = normalize_phone(raw, region)
            except ValueError as exc:
                errors.append(FieldError(prefix + name, str(exc)))
    return errors


def profile_errors(values: dict[str, Any]) -> list[FieldError]:
    """Checks on the complete (merged) profile."""
    errors = []
    kind = values.get("type")
    if not values.get("name"):
        what = "first_name/last_name" if kind in PERSON_TYPES else "company_name"
        errors.append(FieldError("name", f"is required (or give {what})"))
    if values.get("iin") and kind not in PERSON_TYPES:
        errors.append(FieldError("iin", "only individuals have an IIN; companies use bin"))
    if values.get("bin") and kind in PERSON_TYPES:
        errors.append(FieldError("bin", "only companies have a BIN; individuals use iin"))
    if values.get("iin") and values.get("date_of_birth") and kind in PERSON_TYPES:
        check = check_iin(values["iin"], date_of_birth=values["date_of_birth"])
        errors += [FieldError("date_of_birth", e) for e in check.errors if "date_of_birth" in e]
    return errors
