"""Field normalisation shared by customers and contacts: email, phone, country, language."""

from __future__ import annotations

import phonenumbers
import pycountry
from email_validator import EmailNotValidError, validate_email

TAG_MAX_LENGTH = 50
MAX_TAGS = 50


def normalize_email(value: str) -> str:
    try:
        result = validate_email(value, check_deliverability=False)
    except EmailNotValidError as exc:
        raise ValueError(f"is not a valid email address: {exc}") from exc
    return result.normalized.lower()


def normalize_phone(value: str, region: str | None) -> str:
    """Any common way of writing a number -> E.164, or ValueError saying what is wrong."""
    try:
        parsed = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException as exc:
        raise ValueError(f"is not a phone number ({exc._msg})") from exc
    if not phonenumbers.is_valid_number(parsed):
        raise ValueError("is not a valid phone number for its country")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def normalize_country(value: str) -> str:
    code = value.strip().upper()
    if len(code) != 2 or pycountry.countries.get(alpha_2=code) is None:
        raise ValueError("must be an ISO 3166-1 alpha-2 country code, such as KZ")
    return code


def normalize_language(value: str) -> str:
    code = value.strip().lower()
    if len(code) != 2 or pycountry.languages.get(alpha_2=code) is None:
        raise ValueError("must be an ISO 639-1 language code, such as kk, ru or en")
    return code


def normalize_tags(values: list[str]) -> list[str]:
    seen: dict[str, None] = {}
    for raw in values:
        tag = " ".join(raw.split())
        if not tag:
            raise ValueError("tags must not be blank")
        if len(tag) > TAG_MAX_LENGTH:
            raise ValueError(f"each tag must be at most {TAG_MAX_LENGTH} characters")
        seen.setdefault(tag.lower(), None)
    if len(seen) > MAX_TAGS:
        raise ValueError(f"at most {MAX_TAGS} tags")
    return list(seen)
