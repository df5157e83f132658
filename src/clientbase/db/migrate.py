"""Run Alembic migrations from the service, the CLI and the tests."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command, op
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from clientbase.search.ddl import is_managed

MIGRATIONS = Path(__file__).resolve().parents[3] / "migrations"


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    return config


def include_object(obj: Any, name: str | None, kind: str, reflected: bool, other: Any) -> bool:
    """What Alembic compares with the models: all but the search objects the search
    module creates per database (search.ddl)."""
    return not is_managed(name)


def _upgrade(connection: Connection, config: Config) -> None:
    config.attributes["connection"] = connection
    command.upgrade(config, "head")


async def upgrade_to_head(engine: AsyncEngine) -> None:
    config = alembic_config()
    async with engine.begin() as conn:
        await conn.run_sync(_upgrade, config)


def _pending(connection: Connection) -> bool:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    return MigrationContext.configure(connection).get_current_revision() != head


async def is_up_to_date(engine: AsyncEngine) -> bool:
    async with engine.connect() as conn:
        return not await conn.run_sync(_pending)


@contextmanager
def batch_alter(table: str) -> Iterator[Any]:
    """For migrations: op.batch_alter_table. On SQLite it rebuilds the table, reflecting it
    and the tables it refers to; the customers table's expression indexes cannot be
    reflected (and are not copied: only this table is rebuilt), which SQLAlchemy reports as
    a warning."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based")
        with op.batch_alter_table(table) as batch_op:
            yield batch_op
