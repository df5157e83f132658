"""Contacts, addresses and notes of a customer: nested create and their own CRUD."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from clientbase.audit import service as audit
from clientbase.auth.actor import Actor
from clientbase.auth.permissions import Permission
from clientbase.core.concurrency import check_version
from clientbase.core.errors import FieldError, NotFound, PermissionDenied, ValidationFailed
from clientbase.core.pagination import Page, decode_cursor, encode_cursor
from clientbase.customers import search_index
from clientbase.customers.models import Address, Contact, Customer, Note
from clientbase.customers.related_schemas import (
    AddressCreate,
    AddressUpdate,
    ContactCreate,
    ContactUpdate,
    NoteCreate,
    NoteUpdate,
)
from clientbase.customers.repository import (
    AddressRepository,
    ContactRepository,
    CustomerRepository,
    NoteRepository,
)
from clientbase.customers.rules import normalize_phones
from clientbase.segments import upkeep
from clientbase.tenancy import service as tenancy

CONTACT_PHONES = ("phone", "mobile", "whatsapp")
ADDRESS_PHONES = ("contact_phone",)


def _fail(errors: list[FieldError]) -> ValidationFailed:
    return ValidationFailed("; ".join(f"{e.field}: {e.message}" for e in errors), errors=errors)


def check_nested(data: Any, region: str) -> list[FieldError]:
    """Normalise phones of nested contacts/addresses in place; at most one primary each."""
    errors: list[FieldError] = []
    primaries = [i for i, c in enumerate(data.contacts) if c.is_primary]
    for i in primaries[1:]:
        errors.append(FieldError(f"contacts[{i}].is_primary", "only one contact may be primary"))
    for i, contact in enumerate(data.contacts):
        values = contact.__dict__
        errors += normalize_phones(values, CONTACT_PHONES, region, prefix=f"contacts[{i}].")
    seen_types: set[str] = set()
    for i, address in enumerate(data.addresses):
        if address.is_primary:
            if address.type in seen_types:
                errors.append(
                    FieldError(
                        f"addresses[{i}].is_primary",
                        f"only one {address.type} address may be primary",
                    )
                )
            seen_types.add(address.type)
        errors += normalize_phones(
            address.__dict__, ADDRESS_PHONES, region, prefix=f"addresses[{i}]."
        )
    return errors


def add_nested(session: AsyncSession, actor: Actor, customer_id: uuid.UUID, data: Any) -> None:
    contacts = ContactRepository(session, actor.organization_id)
    for contact in data.contacts:
        contacts.add(Contact(customer_id=customer_id, **contact.model_dump()))
    addresses = AddressRepository(session, actor.organization_id)
    for address in data.addresses:
        addresses.add(Address(customer_id=customer_id, **address.model_dump()))


async def contacts_and_addresses(
    session: AsyncSession, actor: Actor, customer_id: uuid.UUID
) -> tuple[list[Contact], list[Address]]:
    org = actor.organization_id
    return (
        await ContactRepository(session, org).for_customer(customer_id),
        await AddressRepository(session, org).for_customer(customer_id),
    )


async def _customer(
    session: AsyncSession, actor: Actor, customer_id: uuid.UUID, permission: Permission
) -> Customer:
    actor.require(permission)
    customer = await CustomerRepository(session, actor.organization_id).get_visible(
        actor, customer_id
    )
    if customer is None:
        raise NotFound("Customer not found.")
    return customer


def _snapshot(obj: Any, fields: tuple[str, ...]) -> dict[str, Any]:
    return {name: getattr(obj, name) for name in fields}


def _audit(
    session: AsyncSession, actor: Actor, action: str, obj: Any, changes: dict[str, Any]
) -> None:
    kind = action.split(".")[0]
    audit.record(
        session,
        actor,
        action=action,
        entity_type=kind,
        entity_id=obj.id,
        customer_id=obj.customer_id,
        changes=changes,
    )


# Contacts ---------------------------------------------------------------------------------

CONTACT_FIELDS = tuple(ContactCreate.model_fields)


async def list_contacts(
    session: AsyncSession, actor: Actor, customer_id: uuid.UUID
) -> list[Contact]:
    await _customer(session, actor, customer_id, Permission.CUSTOMERS_READ)
    return await ContactRepository(session, actor.organization_id).for_customer(customer_id)


async def create_contact(
    session: AsyncSession, actor: Actor, customer_id: uuid.UUID, data: ContactCreate
) -> Contact:
    customer = await _customer(session, actor, customer_id, Permission.CUSTOMERS_WRITE)
    values = data.model_dump()
    region = await tenancy.phone_region(session, actor.organization_id)
    errors = normalize_phones(values, CONTACT_PHONES, region)
    if errors:
        raise _fail(errors)
    repo = ContactRepository(session, actor.organization_id)
    if values["is_primary"]:
        await repo.clear_primary(customer_id, keep=None)
    contact = repo.add(Contact(customer_id=customer_id, **values))
    await repo.flush()
    await search_index.refresh_after_contact_change(session, customer)
    _audit(
        session,
        actor,
        "contact.created",
        contact,
        audit.diff({}, _snapshot(contact, CONTACT_FIELDS)),
    )
    return contact


async def update_contact(
    session: AsyncSession,
    actor: Actor,
    customer_id: uuid.UUID,
    contact_id: uuid.UUID,
    data: ContactUpdate,
    *,
    if_match: str | None = None,
) -> Contact:
    customer = await _customer(session, actor, customer_id, Permission.CUSTOMERS_WRITE)
    repo = ContactRepository(session, actor.organization_id)
    contact = await repo.get_for_customer(customer_id, contact_id)
    if contact is None:
        raise NotFound("Contact not found.")
    check_version(contact.version, data.version, if_match)
    changes = data.model_dump(exclude_unset=True, exclude={"version"})
    if "first_name" in changes and not changes["first_name"]:
        raise ValidationFailed.on("first_name", "is required")
    region = await tenancy.phone_region(session, actor.organization_id)
    errors = normalize_phones(changes, CONTACT_PHONES, region)
    if errors:
        raise _fail(errors)
    before = _snapshot(contact, CONTACT_FIELDS)
    if changes.get("is_primary"):
        await repo.clear_primary(customer_id, keep=contact.id)
    for name, value in changes.items():
        if value is not None or name not in ("is_primary", "is_decision_maker", "is_active"):
            setattr(contact, name, value)
    await repo.flush()
    delta = audit.diff(before, _snapshot(contact, CONTACT_FIELDS))
    if delta:
        _audit(session, actor, "contact.updated", contact, delta)
        await search_index.refresh_after_contact_change(session, customer)
    return contact


async def delete_contact(
    session: AsyncSession, actor: Actor, customer_id: uuid.UUID, contact_id: uuid.UUID
) -> None:
    customer = await _customer(session, actor, customer_id, Permission.CUSTOMERS_WRITE)
    repo = ContactRepository(session, actor.organization_id)
    contact = await repo.get_for_customer(customer_id, contact_id)
    if contact is None:
        raise NotFound("Contact not found.")
    _audit(
        session,
        actor,
        "contact.deleted",
        contact,
        audit.diff(_snapshot(contact, CONTACT_FIELDS), {}),
    )
    await session.delete(contact)
    await session.flush()
    await search_index.refresh_after_contact_change(session, customer)


# Addresses --------------------------------------------------------------------------------

ADDRESS_FIELDS = tuple(AddressCreate.model_fields)


async def list_addresses(
    session: AsyncSession, actor: Actor, customer_id: uuid.UUID
) -> list[Address]:
    await _customer(session, actor, customer_id, Permission.CUSTOMERS_READ)
    return await AddressRepository(session, actor.organization_id).for_customer(customer_id)


async def create_address(
    session: AsyncSession, actor: Actor, customer_id: uuid.UUID, data: AddressCreate
) -> Address:
    await _customer(session, actor, customer_id, Permission.CUSTOMERS_WRITE)
    values = data.model_dump()
    region = await tenancy.phone_region(session, actor.organization_id)
    errors = normalize_phones(values, ADDRESS_PHONES, region)
    if errors:
        raise _fail(errors)
    repo = AddressRepository(session, actor.organization_id)
    if values["is_primary"]:
        await repo.clear_primary(customer_id, values["type"], keep=None)
    address = repo.add(Address(customer_id=customer_id, **values))
    await repo.flush()
    _audit(
        session,
        actor,
        "address.created",
        address,
        audit.diff({}, _snapshot(address, ADDRESS_FIELDS)),
    )
    await upkeep.customers_changed(session, actor, [customer_id])
    return address


async def update_address(
    session: AsyncSession,
    actor: Actor,
    customer_id: uuid.UUID,
    address_id: uuid.UUID,
    data: AddressUpdate,
    *,
    if_match: str | None = None,
) -> Address:
    await _customer(session, actor, customer_id, Permission.CUSTOMERS_WRITE)
    repo = AddressRepository(session, actor.organization_id)
    address = await repo.get_for_customer(customer_id, address_id)
    if address is None:
        raise NotFound("Address not found.")
    check_version(address.version, data.version, if_match)
    changes = data.model_dump(exclude_unset=True, exclude={"version"})
    for required in ("type", "country", "is_primary"):
        if required in changes and changes[required] is None:
            raise ValidationFailed.on(required, "may not be null")
    region = await tenancy.phone_region(session, actor.organization_id)
    errors = normalize_phones(changes, ADDRESS_PHONES, region)
    if errors:
        raise _fail(errors)
    before = _snapshot(address, ADDRESS_FIELDS)
    new_type = changes.get("type", address.type)
    if changes.get("is_primary", address.is_primary):
        await repo.clear_primary(customer_id, new_type, keep=address.id)
    for name, value in changes.items():
        setattr(address, name, value)
    await repo.flush()
    delta = audit.diff(before, _snapshot(address, ADDRESS_FIELDS))
    if delta:
        _audit(session, actor, "address.updated", address, delta)
        await upkeep.customers_changed(session, actor, [customer_id])
    return address


async def delete_address(
    session: AsyncSession, actor: Actor, customer_id: uuid.UUID, address_id: uuid.UUID
) -> None:
    await _customer(session, actor, customer_id, Permission.CUSTOMERS_WRITE)
    repo = AddressRepository(session, actor.organization_id)
    address = await repo.get_for_customer(customer_id, address_id)
    if address is None:
        raise NotFound("Address not found.")
    _audit(
        session,
        actor,
        "address.deleted",
        address,
        audit.diff(_snapshot(address, ADDRESS_FIELDS), {}),
    )
    await session.delete(address)
    await session.flush()
    await upkeep.customers_changed(session, actor, [customer_id])


# Notes ------------------------------------------------------------------------------------

NOTE_FIELDS = tuple(NoteCreate.model_fields)


async def list_notes(
    session: AsyncSession,
    actor: Actor,
    customer_id: uuid.UUID,
    *,
    limit: int,
    cursor: str | None = None,
) -> Page[Note]:
    await _customer(session, actor, customer_id, Permission.CUSTOMERS_READ)
    after = None
    if cursor:
        raw = decode_cursor(cursor)
        try:
            after = [bool(raw[0]), datetime.fromisoformat(raw[1]), uuid.UUID(raw[2])]
        except (IndexError, TypeError, ValueError) as exc:
            raise ValidationFailed.on("cursor", "is not a cursor this service issued") from exc
    rows = await NoteRepository(session, actor.organization_id).for_customer(
        customer_id, limit=limit + 1, after=after
    )
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = encode_cursor([last.pinned, last.created_at.isoformat(), str(last.id)])
    return Page(items=rows[:limit], next_cursor=next_cursor)


async def create_note(
    session: AsyncSession, actor: Actor, customer_id: uuid.UUID, data: NoteCreate
) -> Note:
    await _customer(session, actor, customer_id, Permission.NOTES_WRITE)
    repo = NoteRepository(session, actor.organization_id)
    note = repo.add(Note(customer_id=customer_id, author_id=actor.user_id, **data.model_dump()))
    await repo.flush()
    _audit(session, actor, "note.created", note, audit.diff({}, _snapshot(note, NOTE_FIELDS)))
    return note


async def _note_for_change(
    session: AsyncSession, actor: Actor, customer_id: uuid.UUID, note_id: uuid.UUID
) -> Note:
    await _customer(session, actor, customer_id, Permission.NOTES_WRITE)
    note = await NoteRepository(session, actor.organization_id).get_for_customer(
        customer_id, note_id
    )
    if note is None:
        raise NotFound("Note not found.")
    # Support staff and sales edit their own notes; managers and admins any note.
    if note.author_id != actor.user_id and not actor.can(Permission.CUSTOMERS_DELETE):
        raise PermissionDenied("Only the note's author or a manager may change it.")
    return note


async def update_note(
    session: AsyncSession,
    actor: Actor,
    customer_id: uuid.UUID,
    note_id: uuid.UUID,
    data: NoteUpdate,
    *,
    if_match: str | None = None,
) -> Note:
    note = await _note_for_change(session, actor, customer_id, note_id)
    check_version(note.version, data.version, if_match)
    changes = data.model_dump(exclude_unset=True, exclude={"version"})
    nulls = [
        f
        for f in ("content", "type", "priority", "is_internal", "tags", "pinned")
        if f in changes and changes[f] is None
    ]
    if nulls:
        raise _fail([FieldError(f, "may not be null") for f in nulls])
    before = _snapshot(note, NOTE_FIELDS)
    for name, value in changes.items():
        setattr(note, name, value)
    await session.flush()
    delta = audit.diff(before, _snapshot(note, NOTE_FIELDS))
    if delta:
        _audit(session, actor, "note.updated", note, delta)
    return note


async def delete_note(
    session: AsyncSession, actor: Actor, customer_id: uuid.UUID, note_id: uuid.UUID
) -> None:
    note = await _note_for_change(session, actor, customer_id, note_id)
    _audit(session, actor, "note.deleted", note, audit.diff(_snapshot(note, NOTE_FIELDS), {}))
    await session.delete(note)
    await session.flush()
