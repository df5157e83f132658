"""Saved views: each user keeps named filter sets; shared ones are visible to colleagues
but only their owner changes them."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from clientbase.auth.actor import Actor
from clientbase.auth.permissions import Permission
from clientbase.core.concurrency import check_version
from clientbase.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from clientbase.core.sorting import parse_sort
from clientbase.customers.query import SORTABLE
from clientbase.saved_views.models import SavedView
from clientbase.saved_views.repository import SavedViewRepository
from clientbase.saved_views.schemas import SavedViewCreate, SavedViewUpdate


def _owner(actor: Actor) -> uuid.UUID:
    actor.require(Permission.CUSTOMERS_READ)
    if actor.user_id is None:
        raise PermissionDenied("Saved views belong to users; API keys have none.")
    return actor.user_id


def _check_sort(sort: str | None) -> None:
    if sort:
        parse_sort(sort, SORTABLE, sort)


async def list_views(session: AsyncSession, actor: Actor) -> list[SavedView]:
    return await SavedViewRepository(session, actor.organization_id).visible_to(_owner(actor))


async def get_view(session: AsyncSession, actor: Actor, view_id: uuid.UUID) -> SavedView:
    view = await SavedViewRepository(session, actor.organization_id).get_visible(
        view_id, _owner(actor)
    )
    if view is None:
        raise NotFound("Saved view not found.")
    return view


async def create_view(session: AsyncSession, actor: Actor, data: SavedViewCreate) -> SavedView:
    owner = _owner(actor)
    _check_sort(data.sort)
    repo = SavedViewRepository(session, actor.organization_id)
    if await repo.name_taken(owner, data.name):
        raise Conflict(f"You already have a view named {data.name!r}.")
    view = repo.add(SavedView(owner_id=owner, **data.model_dump()))
    await repo.flush()
    return view


async def _own_view(session: AsyncSession, actor: Actor, view_id: uuid.UUID) -> SavedView:
    view = await get_view(session, actor, view_id)
    if view.owner_id != actor.user_id:
        raise PermissionDenied("Only the owner of a shared view may change it.")
    return view


async def update_view(
    session: AsyncSession,
    actor: Actor,
    view_id: uuid.UUID,
    data: SavedViewUpdate,
    *,
    if_match: str | None = None,
) -> SavedView:
    view = await _own_view(session, actor, view_id)
    check_version(view.version, data.version, if_match)
    changes = data.model_dump(exclude_unset=True, exclude={"version"})
    if "name" in changes and not changes["name"]:
        raise ValidationFailed.on("name", "is required")
    _check_sort(changes.get("sort"))
    repo = SavedViewRepository(session, actor.organization_id)
    if changes.get("name") and await repo.name_taken(view.owner_id, changes["name"], view.id):
        raise Conflict(f"You already have a view named {changes['name']!r}.")
    for name, value in changes.items():
        if value is not None or name == "sort":
            setattr(view, name, value)
    await repo.flush()
    return view


async def delete_view(session: AsyncSession, actor: Actor, view_id: uuid.UUID) -> None:
    view = await _own_view(session, actor, view_id)
    await session.delete(view)
    await session.flush()
