"""Alembic environment: async engines, batch mode on SQLite, connection sharing for tests."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

from clientbase.config import get_settings
from clientbase.db.migrate import include_object
from clientbase.db.registry import metadata
from clientbase.db.session import create_engine

config = context.config


def run_with(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


async def run_online() -> None:
    url = config.attributes.get("database_url") or get_settings().database_url
    engine = create_engine(url)
    async with engine.connect() as connection:
        await connection.run_sync(run_with)
        await connection.commit()
    await engine.dispose()


shared = config.attributes.get("connection")
if shared is not None:
    run_with(shared)
else:
    asyncio.run(run_online())
