"""Job kinds and their handlers. A handler gets its own session and the job, reports
progress, and returns a JSON result; it must be safe to run again from the start."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from clientbase.jobs.models import Job

Progress = Callable[[float], Awaitable[None]]
Handler = Callable[[AsyncSession, Job, Progress], Awaitable[dict[str, Any]]]
HANDLERS: dict[str, Handler] = {}


def job(kind: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        HANDLERS[kind] = handler
        return handler

    return register
