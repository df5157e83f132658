"""Queries on saved views."""

from __future__ import annotations

import uuid

from sqlalchemy import or_

from clientbase.db.repository import TenantRepository
from clientbase.saved_views.models import SavedView


class SavedViewRepository(TenantRepository[SavedView]):
    model = SavedView

    async def visible_to(self, user_id: uuid.UUID) -> list[SavedView]:
        stmt = self.scoped().where(or_(SavedView.owner_id == user_id, SavedView.shared.is_(True)))
        stmt = stmt.order_by(SavedView.name, SavedView.id)
        return list((await self.session.execute(stmt)).scalars())

    async def get_visible(self, view_id: uuid.UUID, user_id: uuid.UUID) -> SavedView | None:
        stmt = self.scoped().where(
            SavedView.id == view_id, or_(SavedView.owner_id == user_id, SavedView.shared.is_(True))
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def name_taken(
        self, owner_id: uuid.UUID, name: str, exclude: uuid.UUID | None = None
    ) -> bool:
        stmt = self.scoped(SavedView.id).where(
            SavedView.owner_id == owner_id, SavedView.name == name
        )
        if exclude is not None:
            stmt = stmt.where(SavedView.id != exclude)
        return (await self.session.execute(stmt)).first() is not None
