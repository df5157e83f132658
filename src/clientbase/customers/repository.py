"""Every query on customers and their contacts, addresses and notes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select, update
from sqlalchemy.dialects.postgresql import array as pg_array

from clientbase.auth.actor import Actor
from clientbase.auth.permissions import LEAD_STATUSES
from clientbase.core.sorting import SortSpec
from clientbase.customers.models import (
    Address,
    Contact,
    Customer,
    CustomFieldDefinition,
    Note,
)
from clientbase.db.repository import TenantRepository
from clientbase.db.session import dialect_name

UNIQUE_FIELDS = ("email", "phone", "iin", "bin")
SORT_COLUMNS: dict[str, Any] = {
    "created_at": Customer.created_at,
    "updated_at": Customer.updated_at,
    "name": Customer.name,
    "rating": func.coalesce(Customer.rating, 0),
}


def like_pattern(text: str) -> str:
    """Substring pattern where the user's % and _ match themselves."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped.lower()}%"


@dataclass
class CustomerFilter:
    search: str | None = None
    phone_search: str | None = None
    type: str | None = None
    status: list[str] = field(default_factory=list)
    is_active: bool | None = None
    industry: str | None = None
    lead_source: str | None = None
    assigned_to: uuid.UUID | None = None
    unassigned: bool = False
    tags: list[str] = field(default_factory=list)
    tags_match: str = "any"
    include_deleted: bool = False
    only_deleted: bool = False


class CustomerRepository(TenantRepository[Customer]):
    model = Customer

    def visible(self, actor: Actor, *, include_deleted: bool = False) -> Select[Any]:
        stmt = self.scoped()
        if not include_deleted:
            stmt = stmt.where(Customer.deleted_at.is_(None))
        if actor.sees_assigned_only:
            stmt = stmt.where(
                or_(
                    Customer.assigned_to == actor.user_id,
                    and_(Customer.assigned_to.is_(None), Customer.status.in_(LEAD_STATUSES)),
                )
            )
        return stmt

    async def get_visible(
        self, actor: Actor, customer_id: uuid.UUID, *, include_deleted: bool = False
    ) -> Customer | None:
        stmt = self.visible(actor, include_deleted=include_deleted).where(
            Customer.id == customer_id
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def get_many_visible(
        self, actor: Actor, ids: list[uuid.UUID], *, include_deleted: bool = False
    ) -> dict[uuid.UUID, Customer]:
        stmt = self.visible(actor, include_deleted=include_deleted).where(Customer.id.in_(ids))
        return {c.id: c for c in (await self.session.execute(stmt)).scalars()}

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

    def _filtered(self, actor: Actor, flt: CustomerFilter) -> Select[Any]:
        stmt = self.visible(actor, include_deleted=flt.include_deleted or flt.only_deleted)
        if flt.only_deleted:
            stmt = stmt.where(Customer.deleted_at.is_not(None))
        conditions: list[ColumnElement[bool]] = []
        if flt.type:
            conditions.append(Customer.type == flt.type)
        if flt.status:
            conditions.append(Customer.status.in_(flt.status))
        if flt.is_active is not None:
            conditions.append(Customer.is_active.is_(flt.is_active))
        if flt.industry:
            conditions.append(func.lower(Customer.industry) == flt.industry.lower())
        if flt.lead_source:
            conditions.append(Customer.lead_source == flt.lead_source)
        if flt.assigned_to is not None:
            conditions.append(Customer.assigned_to == flt.assigned_to)
        if flt.unassigned:
            conditions.append(Customer.assigned_to.is_(None))
        if flt.tags:
            conditions.append(self._tags_condition(flt.tags, flt.tags_match))
        if flt.search:
            conditions.append(self._search_condition(flt.search, flt.phone_search))
        return stmt.where(*conditions)

    def _tags_condition(self, tags: list[str], match: str) -> ColumnElement[bool]:
        if dialect_name(self.session) == "postgresql":
            op = "?|" if match == "any" else "?&"
            return Customer.tags.op(op)(pg_array(tags))  # type: ignore[no-any-return]
        each = [
            select(1)
            .select_from(func.json_each(Customer.tags).table_valued("value"))
            .where(func.json_each(Customer.tags).table_valued("value").c.value == tag)
            .exists()
            for tag in tags
        ]
        return or_(*each) if match == "any" else and_(*each)

    def _search_condition(self, text: str, phone: str | None) -> ColumnElement[bool]:
        pattern = like_pattern(text)
        options = [
            func.lower(Customer.name).like(pattern, escape="\\"),
            func.lower(Customer.company_name).like(pattern, escape="\\"),
            Customer.email.like(pattern, escape="\\"),
            Customer.iin == text,
            Customer.bin == text,
        ]
        digits = "".join(ch for ch in text if ch.isdigit())
        if len(digits) >= 4:
            options.append(Customer.phone.like(f"%{digits}%"))
        if phone:
            options.append(Customer.phone == phone)
        return or_(*options)

    async def list_page(
        self,
        actor: Actor,
        flt: CustomerFilter,
        *,
        sort: SortSpec,
        after: list[Any] | None,
        limit: int,
        offset: int | None,
    ) -> list[Customer]:
        column = SORT_COLUMNS[sort.field]
        stmt = self._filtered(actor, flt)
        if after is not None:
            value, last_id = after
            if sort.descending:
                stmt = stmt.where(or_(column < value, and_(column == value, Customer.id < last_id)))
            else:
                stmt = stmt.where(or_(column > value, and_(column == value, Customer.id > last_id)))
        order = (column.desc(), Customer.id.desc()) if sort.descending else (column, Customer.id)
        stmt = stmt.order_by(*order).limit(limit)
        if offset:
            stmt = stmt.offset(offset)
        return list((await self.session.execute(stmt)).scalars())

    async def count(self, actor: Actor, flt: CustomerFilter) -> int:
        stmt = self._filtered(actor, flt).with_only_columns(func.count(Customer.id))
        return (await self.session.execute(stmt)).scalar_one()

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
