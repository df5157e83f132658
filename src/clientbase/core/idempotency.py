"""`Idempotency-Key` on POST: the same key and body replays the first response."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

from fastapi import Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import ForeignKey, String, delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from clientbase.core.errors import Conflict, ValidationFailed
from clientbase.db.base import Base, utcnow

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 200


class IdempotencyRecord(Base):
    __tablename__ = "idempotency_keys"

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(MAX_KEY_LENGTH), primary_key=True)
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(500))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int]
    response_body: Mapped[Any] = mapped_column(Base.type_annotation_map[dict[str, Any]])
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def _request_hash(method: str, path: str, body: bytes) -> str:
    try:
        canonical = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":"))
    except ValueError:
        canonical = body.decode("utf-8", "replace")
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


def _encoded(body: Any) -> Any:
    """JSON-ready data; a response model dumps itself in pydantic's core, several times
    faster than jsonable_encoder on a bulk answer's 10,000 rows."""
    if isinstance(body, BaseModel):
        return body.model_dump(mode="json")
    return jsonable_encoder(body)


async def run_idempotent(
    request: Request,
    session: AsyncSession,
    organization_id: uuid.UUID,
    ttl_hours: int,
    produce: Callable[[], Awaitable[tuple[int, Any]]],
) -> JSONResponse:
    """Run `produce` once per key; a retry with the same key and body gets the stored answer."""
    key = request.headers.get(HEADER)
    if key is None:
        status, body = await produce()
        return JSONResponse(_encoded(body), status_code=status)
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise ValidationFailed.on(HEADER, f"must be 1-{MAX_KEY_LENGTH} printable characters")
    digest = _request_hash(request.method, request.url.path, await request.body())
    pk = (organization_id, key)
    stored = await session.get(IdempotencyRecord, pk)
    if stored is not None and stored.created_at < utcnow() - timedelta(hours=ttl_hours):
        await session.execute(
            delete(IdempotencyRecord).where(
                IdempotencyRecord.organization_id == organization_id, IdempotencyRecord.key == key
            )
        )
        session.expunge(stored)
        stored = None
    if stored is not None:
        if stored.request_hash != digest:
            raise ValidationFailed.on(
                HEADER, "was already used with a different request; use a new key"
            )
        return JSONResponse(
            stored.response_body,
            status_code=stored.status_code,
            headers={"Idempotent-Replayed": "true"},
        )
    status, body = await produce()
    encoded = _encoded(body)
    session.add(
        IdempotencyRecord(
            organization_id=organization_id,
            key=key,
            method=request.method,
            path=request.url.path,
            request_hash=digest,
            status_code=status,
            response_body=encoded,
        )
    )
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError as exc:
        raise Conflict("A request with this Idempotency-Key is already being processed.") from exc
    return JSONResponse(encoded, status_code=status)


async def purge_expired(session: AsyncSession, ttl_hours: int) -> int:
    cutoff = utcnow() - timedelta(hours=ttl_hours)
    result = await session.execute(
        delete(IdempotencyRecord).where(IdempotencyRecord.created_at < cutoff)
    )
    return result.rowcount or 0
