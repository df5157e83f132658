"""Every query on customers and their contacts, addresses and notes."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, update

from clientbase.auth.actor import Actor
from clientbase.auth.permissions import LEAD_STATUSES
from clientbase.customers.models import (
    Address,
    Contact,
    Customer,
    CustomFieldDefinition,
    Note,
)
from clientbase.db.repository import TenantRepository, one_of
from clientbase.db.session import dialect_name

UNIQUE_FIELDS = ("email", "phone", "iin", "bin")
_customers = Customer.__table__.c


def visibility_conditions(
    *, include_deleted: bool, assigned_only: bool, user_id: Any
) -> list[ColumnElement[bool]]:
    """Which customers an actor sees; `user_id` is a value or a bindparam, so prebuilt
    statements (read_repository) share this one rule."""
    conditions = []
    if not include_deleted:
        conditions.append(_customers.deleted_at.is_(None))
    if assigned_only:
        conditions.append(
            or_(
                _customers.assigned_to == user_id,
                and_(_customers.assigned_to.is_(None), _customers.status.in_(LEAD_STATUSES)),
            )
        )
    return conditions


class CustomerRepository(TenantRepository[Customer]):
    model = Customer

    def visible(
        self, actor: Actor, *, include_deleted: bool = False, index_key: bool = True
    ) -> Select[Any]:
        return self.scoped(index_key=index_key).where(
            *visibility_conditions(
                include_deleted=include_deleted,
                assigned_only=actor.sees_assigned_only,
                user_id=actor.user_id,
            )
        )

    async def get_visible(
        self, actor: Actor, customer_id: uuid.UUID, *, include_deleted: bool = False
    ) -> Customer | None:
        stmt = self.visible(actor, include_deleted=include_deleted).where(
            Customer.id == customer_id
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def visible_ids(self, actor: Actor, ids: list[uuid.UUID]) -> set[uuid.UUID]:
        """Which of these ids the actor can see (live customers): ids only, no ORM objects
        (a bulk ingest checks 10,000 at a time)."""
        found: set[uuid.UUID] = set()
        for condition in one_of(Customer.id, ids, dialect_name(self.session)):
            stmt = self.visible(actor).with_only_columns(Customer.id).where(condition)
            found.update((await self.session.execute(stmt)).scalars())
        return found

    async def exists(self, customer_id: uuid.UUID) -> bool:
        stmt = self.scoped(Customer.id).where(Customer.id == customer_id)
        return (await self.session.execute(stmt)).first() is not None

    async def find_conflicts(
        self, values: dict[str, str | None], *, exclude_id: uuid.UUID | None = None
    ) -> list[tuple[str, uuid.UUID]]:
        """Customers already holding one of these unique values: [(field, existing id)]."""
        clauses = [getattr(Customer, f) == v for f, v in values.items() if v and f in UNIQUE_FIELDS]
        if not clauses:
            return []
        stmt = self.scoped(Customer.id, *(getattr(Customer, f) for f in UNIQUE_FIELDS))
        stmt = stmt.where(or_(*clauses))
        if exclude_id is not None:
            stmt = stmt.where(Customer.id != exclude_id)
        found = []
        for row in await self.session.execute(stmt):
            for name in UNIQUE_FIELDS:
                if values.get(name) and getattr(row, name) == values[name]:
                    found.append((name, row.id))
        return found

    async def write_search_text(self, customer_id: uuid.UUID, search_text: str) -> None:
        await self.session.execute(
            update(Customer)
            .where(Customer.organization_id == self.organization_id, Customer.id == customer_id)
            .values(search_text=search_text)
            .execution_options(synchronize_session=False)
        )

    async def search_texts(self) -> AsyncIterator[str]:
        """Every customer's search text, deleted or not, streamed."""
        stmt = self.scoped(Customer.search_text).execution_options(yield_per=10_000)
        async for text in await self.session.stream_scalars(stmt):
            yield text

    async def counts_by(self, actor: Actor, column_name: str) -> dict[str, int]:
        column = getattr(Customer, column_name)
        stmt = self.visible(actor).with_only_columns(column, func.count()).group_by(column)
        return {row[0]: row[1] for row in await self.session.execute(stmt)}


class ContactRepository(TenantRepository[Contact]):
    model = Contact

    async def for_customer(self, customer_id: uuid.UUID) -> list[Contact]:
        stmt = self.scoped().where(Contact.customer_id == customer_id)
        stmt = stmt.order_by(Contact.is_primary.desc(), Contact.created_at, Contact.id)
        return list((await self.session.execute(stmt)).scalars())

    async def get_for_customer(
        self, customer_id: uuid.UUID, contact_id: uuid.UUID
    ) -> Contact | None:
        stmt = self.scoped().where(Contact.customer_id == customer_id, Contact.id == contact_id)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def clear_primary(self, customer_id: uuid.UUID, *, keep: uuid.UUID | None) -> None:
        stmt = update(Contact).where(
            Contact.organization_id == self.organization_id,
            Contact.customer_id == customer_id,
            Contact.is_primary.is_(True),
        )
        if keep is not None:
            stmt = stmt.where(Contact.id != keep)
        await self.session.execute(
            stmt.values(is_primary=False, version=Contact.version + 1).execution_options(
                synchronize_session="fetch"
            )
        )


class AddressRepository(TenantRepository[Address]):
    model = Address

    async def for_customer(self, customer_id: uuid.UUID) -> list[Address]:
        stmt = self.scoped().where(Address.customer_id == customer_id)
        stmt = stmt.order_by(Address.type, Address.is_primary.desc(), Address.created_at)
        return list((await self.session.execute(stmt)).scalars())

    async def get_for_customer(
        self, customer_id: uuid.UUID, address_id: uuid.UUID
    ) -> Address | None:
        stmt = self.scoped().where(Address.customer_id == customer_id, Address.id == address_id)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def clear_primary(
        self, customer_id: uuid.UUID, address_type: str, *, keep: uuid.UUID | None
    ) -> None:
        stmt = update(Address).where(
            Address.organization_id == self.organization_id,
            Address.customer_id == customer_id,
            Address.type == address_type,
            Address.is_primary.is_(True),
        )
        if keep is not None:
            stmt = stmt.where(Address.id != keep)
        await self.session.execute(
            stmt.values(is_primary=False, version=Address.version + 1).execution_options(
                synchronize_session="fetch"
            )
        )


class NoteRepository(TenantRepository[Note]):
    model = Note

    async def for_customer(
        self, customer_id: uuid.UUID, *, limit: int, after: list[Any] | None
    ) -> list[Note]:
        stmt = self.scoped().where(Note.customer_id == customer_id)
        if after is not None:
            pinned, created_at, last_id = after
            stmt = stmt.where(
                or_(
                    Note.pinned < pinned,
                    and_(Note.pinned == pinned, Note.created_at < created_at),
                    and_(Note.pinned == pinned, Note.created_at == created_at, Note.id < last_id),
                )
            )
        stmt = stmt.order_by(Note.pinned.desc(), Note.created_at.desc(), Note.id.desc())
        return list((await self.session.execute(stmt.limit(limit))).scalars())

    async def get_for_customer(self, customer_id: uuid.UUID, note_id: uuid.UUID) -> Note | None:
        stmt = self.scoped().where(Note.customer_id == customer_id, Note.id == note_id)
        return (await self.session.execute(stmt)).scalar_one_or_none()


class CustomFieldRepository(TenantRepository[CustomFieldDefinition]):
    model = CustomFieldDefinition

    async def list(self, *, active_only: bool = False) -> list[CustomFieldDefinition]:
        stmt = self.scoped().order_by(CustomFieldDefinition.key)
        if active_only:
            stmt = stmt.where(CustomFieldDefinition.is_active.is_(True))
        return list((await self.session.execute(stmt)).scalars())

    async def by_key(self, key: str) -> CustomFieldDefinition | None:
        stmt = self.scoped().where(CustomFieldDefinition.key == key)
        return (await self.session.execute(stmt)).scalar_one_or_none()
