"""Tenant-scoped repository base: every statement starts from the organization filter."""

from __future__ import annotations

import uuid
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, Text, cast, select
from sqlalchemy.ext.asyncio import AsyncSession

from clientbase.db.base import Base

M = TypeVar("M", bound=Base)


class TenantRepository(Generic[M]):
    model: type[M]

    def __init__(self, session: AsyncSession, organization_id: uuid.UUID) -> None:
        self.session = session
        self.organization_id = organization_id

    def scoped(self, *entities: Any, index_key: bool = True) -> Select[Any]:
        stmt = select(*(entities or (self.model,)))
        return stmt.where(self.tenant_condition(index_key=index_key))

    def tenant_condition(self, *, index_key: bool = True) -> ColumnElement[bool]:
        """The organization filter. `index_key=False` (PostgreSQL only) states the same filter
        in a form no index can take as a key, so a composite index is scanned by its other
        columns and the filter applies to the rows found (see CustomerListRepository)."""
        column = self.model.organization_id  # type: ignore[attr-defined]
        if index_key:
            return column == self.organization_id  # type: ignore[no-any-return]
        if self.session.get_bind().dialect.name != "postgresql":
            # SQLite stores a UUID as 32 hex digits: the text form would match nothing.
            raise ValueError("the unkeyed organization filter is PostgreSQL's")
        return cast(column, Text) == str(self.organization_id)

    async def get(self, id_: uuid.UUID, *options: Any) -> M | None:
        stmt = self.scoped().where(self.model.id == id_)  # type: ignore[attr-defined]
        if options:
            stmt = stmt.options(*options)
        return (await self.session.execute(stmt)).scalar_one_or_none()

    def add(self, obj: M) -> M:
        if getattr(obj, "organization_id", None) is None:
            obj.organization_id = self.organization_id  # type: ignore[attr-defined]
        elif obj.organization_id != self.organization_id:  # type: ignore[attr-defined]
            raise ValueError("object belongs to another organization")
        self.session.add(obj)
        return obj

    async def flush(self) -> None:
        await self.session.flush()
