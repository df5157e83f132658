"""Saving the contact and address rows of the edit form through their own services.

The rows are checked first, then written inside the caller's savepoint; any failure
rolls the whole form back, so nothing is half-saved."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from clientbase.auth.actor import Actor
from clientbase.core.errors import ValidationFailed
from clientbase.customers import related_service as related
from clientbase.customers.related_schemas import (
    AddressCreate,
    AddressUpdate,
    ContactCreate,
    ContactUpdate,
)
from clientbase.web.customer_form import ADDRESS_INPUTS, CONTACT_INPUTS, CustomerForm, row_payload

SHAPES = {
    "contacts": (CONTACT_INPUTS, ContactCreate, ContactUpdate),
    "addresses": (ADDRESS_INPUTS, AddressCreate, AddressUpdate),
}


class RowsFailed(Exception):
    """Some rows were refused; their errors are on the form."""


@dataclass
class Row:
    group: str
    index: int
    id: uuid.UUID | None
    data: BaseModel

    @property
    def prefix(self) -> str:
        return f"{self.group}[{self.index}]."


def validate_rows(form: CustomerForm) -> list[Row]:
    rows = []
    for group, (names, create, update) in SHAPES.items():
        for index, raw in enumerate(getattr(form, group)):
            row_id = _uuid(raw.get("id"))
            model = update if row_id else create
            try:
                data = model.model_validate(row_payload(raw, names, update=row_id is not None))
            except ValidationError as exc:
                form.add_pydantic(exc, f"{group}[{index}].")
                continue
            rows.append(Row(group, index, row_id, data))
    return rows


def _uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None


async def save_rows(
    session: AsyncSession,
    actor: Actor,
    customer_id: uuid.UUID,
    form: CustomerForm,
    rows: list[Row],
) -> None:
    contacts, addresses = await related.contacts_and_addresses(session, actor, customer_id)
    kept = {row.id for row in rows if row.id}
    for contact in contacts if "contacts" in form.sent else []:
        if contact.id not in kept:
            await related.delete_contact(session, actor, customer_id, contact.id)
    for address in addresses if "addresses" in form.sent else []:
        if address.id not in kept:
            await related.delete_address(session, actor, customer_id, address.id)
    # Rows that become primary go last: making one primary clears (and re-versions) the rest.
    for row in sorted(rows, key=lambda r: bool(getattr(r.data, "is_primary", False))):
        try:
            async with session.begin_nested():
                await _save(session, actor, customer_id, row)
        except ValidationFailed as exc:
            form.add_errors(exc.errors, row.prefix)
    if any(key.startswith(("contacts[", "addresses[")) for key in form.errors):
        raise RowsFailed


async def _save(session: AsyncSession, actor: Actor, customer_id: uuid.UUID, row: Row) -> None:
    if row.group == "contacts":
        if row.id:
            await related.update_contact(session, actor, customer_id, row.id, row.data)  # type: ignore[arg-type]
        else:
            await related.create_contact(session, actor, customer_id, row.data)  # type: ignore[arg-type]
    elif row.id:
        await related.update_address(session, actor, customer_id, row.id, row.data)  # type: ignore[arg-type]
    else:
        await related.create_address(session, actor, customer_id, row.data)  # type: ignore[arg-type]
