"""Tenant-scoped repository base: every statement starts from the organization filter."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any, Generic, TypeVar

from sqlalchemy import ColumnElement, Select, Text, any_, bindparam, cast, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from clientbase.db.base import Base

M = TypeVar("M", bound=Base)
SQLITE_IN_CHUNK = 1000


def one_of(column: Any, values: Sequence[Any], dialect: str) -> list[ColumnElement[bool]]:
    """`column IN values` as the conditions of as few statements as the database allows:
    on PostgreSQL one `= ANY(array)` with a single parameter (10,000 values as `IN` took
    ten statements, each building and binding 1,000 placeholders), on SQLite `IN` lists
    of up to 1,000 values."""
    if not values:
        return []
    if dialect == "postgresql":
        array = bindparam(None, list(values), type_=ARRAY(column.type))
        return [column == any_(array)]
    return [
        column.in_(values[start : start + SQLITE_IN_CHUNK])
        for start in range(0, len(values), SQLITE_IN_CHUNK)
    ]


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
