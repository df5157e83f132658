"""The customer form: what the browser sends, turned into the API's own shapes.

Inputs are named with the API's field paths (`email`, `contacts[0].phone`,
`custom_fields.tier`), so every error the API reports lands next to its input."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from starlette.datastructures import FormData

from clientbase.core.errors import FieldError, validation_errors
from clientbase.customers.models import Address, Contact, Customer, CustomFieldDefinition
from clientbase.customers.rules import derived_name

PERSON_FIELDS = ("first_name", "middle_name", "last_name", "date_of_birth", "gender", "iin")
COMPANY_FIELDS = ("company_name", "bin", "company_size", "industry")
COMMON_FIELDS = (
    "name", "status", "email", "phone", "telegram_chat_id", "preferred_language", "website",
    "lead_source", "credit_limit", "current_balance", "rating", "assigned_to", "next_follow_up_at",
)  # fmt: skip
SCALARS = ("type", *PERSON_FIELDS, *COMPANY_FIELDS, *COMMON_FIELDS)
# Blank means "leave as is" for these: the API refuses null for them.
NEVER_NULL = ("type", "status", "current_balance")
CONTACT_INPUTS = (
    "first_name", "last_name", "position", "department", "email", "phone", "mobile",
    "is_primary", "is_decision_maker",
)  # fmt: skip
ADDRESS_INPUTS = (
    "type", "street", "building", "apartment", "city", "region", "postal_code", "country",
    "is_primary",
)  # fmt: skip
FLAGS = ("is_primary", "is_decision_maker")
# A new row with only these filled was added and left empty: it is dropped, not an error.
ROW_DEFAULTS = ("type", "country", "is_primary", "is_decision_maker", "id", "version")
ROW_KEY = re.compile(r"^(contacts|addresses)\[(\d{1,3})\]\.(\w+)$")


@dataclass
class CustomerForm:
    values: dict[str, Any] = field(default_factory=dict)
    contacts: list[dict[str, Any]] = field(default_factory=list)
    addresses: list[dict[str, Any]] = field(default_factory=list)
    custom: dict[str, Any] = field(default_factory=dict)
    version: int | None = None
    errors: dict[str, list[str]] = field(default_factory=dict)
    # Row groups the browser sent; a hidden (disabled) group is left untouched on save.
    sent: set[str] = field(default_factory=set)

    @property
    def type(self) -> str:
        return str(self.values.get("type") or "individual")

    def add_errors(self, errors: list[dict[str, str]] | list[FieldError], prefix: str = "") -> None:
        for error in errors:
            name, message = (
                (error.field, error.message)
                if isinstance(error, FieldError)
                else (error["field"], error["message"])
            )
            self.errors.setdefault(prefix + name, []).append(message)

    def add_pydantic(self, exc: ValidationError, prefix: str = "") -> None:
        self.add_errors(validation_errors(exc.errors()), prefix)


def blank_form() -> CustomerForm:
    return CustomerForm(values={"type": "individual", "status": "lead", "is_active": True})


def from_customer(
    customer: Customer, contacts: list[Contact], addresses: list[Address]
) -> CustomerForm:
    values = {name: getattr(customer, name) for name in SCALARS}
    values["is_active"] = customer.is_active
    values["tags"] = ", ".join(customer.tags)
    if customer.name == derived_name(values):
        values["name"] = ""  # a derived name follows the name parts when they change
    if customer.next_follow_up_at:
        values["next_follow_up_at"] = customer.next_follow_up_at.strftime("%Y-%m-%dT%H:%M")
    return CustomerForm(
        values={k: "" if v is None else v for k, v in values.items()},
        contacts=[_row_of(c, CONTACT_INPUTS) for c in contacts],
        addresses=[_row_of(a, ADDRESS_INPUTS) for a in addresses],
        custom=dict(customer.custom_fields),
        version=customer.version,
    )


def _row_of(obj: Any, names: tuple[str, ...]) -> dict[str, Any]:
    row = {name: getattr(obj, name) for name in names}
    row.update(id=str(obj.id), version=obj.version)
    return {k: "" if v is None else v for k, v in row.items()}


def parse(form: FormData, definitions: list[CustomFieldDefinition]) -> CustomerForm:
    values: dict[str, Any] = {n: _text(form, n) for n in SCALARS if n in form}
    values["is_active"] = form.get("is_active") == "true"
    values["tags"] = _text(form, "tags")
    rows: dict[str, dict[int, dict[str, Any]]] = {"contacts": {}, "addresses": {}}
    for key in form:
        match = ROW_KEY.match(key)
        if match:
            group, index, name = match.group(1), int(match.group(2)), match.group(3)
            rows[group].setdefault(index, {})[name] = _text(form, key)
    custom: dict[str, Any] = {}
    for defn in definitions:
        name = f"custom_fields.{defn.key}"
        if defn.type == "multiselect":
            custom[defn.key] = [str(v) for v in form.getlist(name)]
        elif defn.type == "boolean":
            custom[defn.key] = form.get(name) == "true"
        else:
            custom[defn.key] = _text(form, name)
    version = _text(form, "version")
    return CustomerForm(
        values=values,
        contacts=_rows(rows["contacts"]),
        addresses=_rows(rows["addresses"]),
        custom=custom,
        version=int(version) if version.isdigit() else None,
        sent={group for group in rows if f"{group}_sent" in form},
    )


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _rows(by_index: dict[int, dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for index in sorted(by_index):
        row = by_index[index]
        for flag in FLAGS:
            row[flag] = row.get(flag) == "true"
        if row.get("id") or any(v for k, v in row.items() if k not in ROW_DEFAULTS):
            rows.append(row)
    return rows


def row_payload(row: dict[str, Any], names: tuple[str, ...], *, update: bool) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for name in names:
        value = row.get(name)
        if name in FLAGS:
            data[name] = bool(value)
        elif value:
            data[name] = value
        elif update and name not in ("type", "country"):
            data[name] = None
    if update and row.get("version"):
        data["version"] = int(row["version"])
    return data


def _follow_up(value: str) -> str:
    try:
        return datetime.fromisoformat(value).replace(tzinfo=UTC).isoformat()
    except ValueError:
        return value


def profile_payload(
    form: CustomerForm, definitions: list[CustomFieldDefinition], *, update: bool
) -> dict[str, Any]:
    """Create: the blanks are left out. Update: a blank clears the field (where allowed)."""
    data: dict[str, Any] = {}
    for name, value in form.values.items():
        if name in ("is_active", "tags"):
            continue
        if value:
            data[name] = _follow_up(value) if name == "next_follow_up_at" else value
        elif update and name not in NEVER_NULL:
            data[name] = None
    data["is_active"] = bool(form.values.get("is_active"))
    data["tags"] = [t.strip() for t in str(form.values.get("tags", "")).split(",") if t.strip()]
    custom = _custom_payload(form.custom, definitions, update=update)
    if custom or update:
        data["custom_fields"] = custom
    return data


def _custom_payload(
    values: dict[str, Any], definitions: list[CustomFieldDefinition], *, update: bool
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for defn in definitions:
        value = values.get(defn.key)
        if defn.type == "boolean":
            out[defn.key] = bool(value)
        elif value not in ("", [], None):
            out[defn.key] = value
        elif update:
            out[defn.key] = None  # null removes the value
    return out
