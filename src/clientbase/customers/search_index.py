"""Keeps customers.search_text current (profile fields plus the names of its contacts),
and the organization's search dictionary (search.dictionary) in step with it."""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from clientbase.customers.models import Customer
from clientbase.customers.repository import ContactRepository, CustomerRepository
from clientbase.search import dictionary
from clientbase.search.text import customer_search_text
from clientbase.search.words import dictionary_words


def contact_name(first: str | None, middle: str | None, last: str | None) -> str:
    return " ".join(p for p in (first, middle, last) if p)


def apply(customer: Customer, contact_names: Iterable[str]) -> None:
    customer.search_text = customer_search_text(
        name=customer.name,
        company_name=customer.company_name,
        first_name=customer.first_name,
        last_name=customer.last_name,
        email=customer.email,
        phone=customer.phone,
        iin=customer.iin,
        bin=customer.bin,
        contact_names=contact_names,
    )


async def _contact_names(session: AsyncSession, customer: Customer) -> list[str]:
    contacts = await ContactRepository(session, customer.organization_id).for_customer(customer.id)
    return [contact_name(c.first_name, c.middle_name, c.last_name) for c in contacts]


async def refresh(session: AsyncSession, customer: Customer) -> None:
    """Within a profile update (which bumps the version anyway)."""
    apply(customer, await _contact_names(session, customer))


async def refresh_after_contact_change(session: AsyncSession, customer: Customer) -> None:
    """A contact changed: the profile's search text follows without bumping its version,
    so an edit of the profile in progress elsewhere is not made stale by it."""
    before = customer.search_text
    apply(customer, await _contact_names(session, customer))
    if customer.search_text != before:
        await CustomerRepository(session, customer.organization_id).write_search_text(
            customer.id, customer.search_text
        )
        sync_dictionary(session, customer)
    set_committed_value(customer, "search_text", customer.search_text)


def sync_dictionary(session: AsyncSession, customer: Customer) -> None:
    """Every word of the customer's search text is filed at commit unless the dictionary
    holds it: a word lost from the dictionary comes back with the next write of a profile
    that has it. Words a text lost are left for the nightly rebuild."""
    dictionary.pend(session, customer.organization_id, dictionary_words([customer.search_text]))


async def rebuild_dictionary(session: AsyncSession, organization_id: uuid.UUID) -> tuple[int, int]:
    """The organization's search dictionary made again from its stored search texts
    (nightly, and `clientbase recalculate search`): (words filed, words dropped)."""
    words: set[str] = set()
    async for text in CustomerRepository(session, organization_id).search_texts():
        words |= dictionary_words((text,))
    return await dictionary.replace_all(session, organization_id, words)
