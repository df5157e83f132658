"""Bulk create, update and delete: valid items are applied, invalid ones reported by index."""

from __future__ import annotations

import uuid
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from clientbase.auth.actor import Actor
from clientbase.auth.permissions import Permission
from clientbase.core.errors import ClientbaseError, validation_errors
from clientbase.customers import service
from clientbase.customers.bulk_schemas import (
    BulkCreate,
    BulkCreateResult,
    BulkDelete,
    BulkDeleteResult,
    BulkItemDone,
    BulkItemError,
    BulkUpdate,
    BulkUpdateResult,
)
from clientbase.customers.schemas import CustomerCreate, CustomerUpdate
from clientbase.segments import upkeep


def _service_errors(exc: ClientbaseError) -> list[dict[str, str]]:
    errors = [e.as_dict() for e in exc.errors]
    if not errors:
        errors = [{"field": str(exc.extra.get("field", "")), "message": exc.detail}]
    for error in errors:
        if "existing_id" in exc.extra:
            error["existing_id"] = str(exc.extra["existing_id"])
    return errors


async def bulk_create(session: AsyncSession, actor: Actor, data: BulkCreate) -> BulkCreateResult:
    actor.require(Permission.CUSTOMERS_WRITE)
    created, errors = [], []
    async with upkeep.batched(session, actor):
        for index, raw in enumerate(data.items):
            try:
                item = CustomerCreate.model_validate(raw)
            except ValidationError as exc:
                errors.append(BulkItemError(index=index, errors=validation_errors(exc.errors())))
                continue
            try:
                async with session.begin_nested():
                    customer = await service.create_customer(session, actor, item)
            except ClientbaseError as exc:
                errors.append(BulkItemError(index=index, errors=_service_errors(exc)))
                continue
            created.append(BulkItemDone(index=index, id=customer.id))
    return BulkCreateResult(created=created, errors=errors)


async def bulk_update(session: AsyncSession, actor: Actor, data: BulkUpdate) -> BulkUpdateResult:
    actor.require(Permission.CUSTOMERS_WRITE)
    updated, errors = [], []
    async with upkeep.batched(session, actor):
        for index, customer_id in enumerate(data.ids):
            try:
                async with session.begin_nested():
                    customer = await service.get_for_write(session, actor, customer_id)
                    patch = _patch_for(customer.tags, customer.version, data)
                    await service.update_customer(session, actor, customer_id, patch)
            except ClientbaseError as exc:
                errors.append(
                    BulkItemError(index=index, id=customer_id, errors=_service_errors(exc))
                )
                continue
            updated.append(BulkItemDone(index=index, id=customer_id))
    return BulkUpdateResult(updated=updated, errors=errors)


def _patch_for(tags: list[str], version: int, data: BulkUpdate) -> CustomerUpdate:
    values: dict[str, Any] = {"version": version}
    if "status" in data.model_fields_set and data.status is not None:
        values["status"] = data.status
    if "assigned_to" in data.model_fields_set:
        values["assigned_to"] = data.assigned_to
    if data.add_tags or data.remove_tags:
        removed = set(data.remove_tags)
        values["tags"] = [t for t in dict.fromkeys([*tags, *data.add_tags]) if t not in removed]
    return CustomerUpdate.model_validate(values)


async def bulk_delete(session: AsyncSession, actor: Actor, data: BulkDelete) -> BulkDeleteResult:
    actor.require(Permission.CUSTOMERS_DELETE)
    deleted, errors = [], []
    seen: set[uuid.UUID] = set()
    async with upkeep.batched(session, actor):
        for index, customer_id in enumerate(data.ids):  # indexes refer to the request's list
            if customer_id in seen:
                continue
            seen.add(customer_id)
            try:
                async with session.begin_nested():
                    await service.delete_customer(session, actor, customer_id)
            except ClientbaseError as exc:
                errors.append(
                    BulkItemError(index=index, id=customer_id, errors=_service_errors(exc))
                )
                continue
            deleted.append(BulkItemDone(index=index, id=uuid.UUID(str(customer_id))))
    return BulkDeleteResult(deleted=deleted, errors=errors)
