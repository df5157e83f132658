"""The demo loader's SQL: bulk writes on the session's own connection (so they share its
transaction), COPY on PostgreSQL and executemany on SQLite, plus the few reads it needs."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Date, Numeric, Uuid, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from clientbase.customers.models import Customer
from clientbase.db.base import Base, UTCDateTime
from clientbase.db.session import dialect_name

Row = tuple[Any, ...]


def _sqlite_uuid(value: uuid.UUID) -> str:
    return value.hex


def _sqlite_datetime(value: datetime) -> str:
    # As SQLAlchemy stores UTCDateTime on SQLite: naive UTC with microseconds.
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


def _sqlite_date(value: date) -> str:
    return value.isoformat()


def _sqlite_converter(column_type: Any) -> Callable[[Any], Any] | None:
    if isinstance(column_type, Uuid):
        return _sqlite_uuid
    if isinstance(column_type, UTCDateTime):
        return _sqlite_datetime
    if isinstance(column_type, Date):
        return _sqlite_date
    if isinstance(column_type, Numeric):
        return str
    return None  # text, integers and JSON (already serialised) go as they are


class DemoRepository:
    def __init__(self, session: AsyncSession, organization_id: uuid.UUID) -> None:
        self.session = session
        self.organization_id = organization_id
        self.dialect = dialect_name(session)
        self._driver: Any = None

    async def _connection(self) -> Any:
        """The DBAPI driver connection inside the session's transaction."""
        if self._driver is None:
            conn = await self.session.connection()
            raw = await conn.get_raw_connection()
            self._driver = raw.driver_connection
        return self._driver

    async def insert(self, table: str, columns: Sequence[str], rows: list[Row]) -> None:
        if not rows:
            return
        driver = await self._connection()
        if self.dialect == "postgresql":
            await driver.copy_records_to_table(table, records=rows, columns=list(columns))
            return
        sql_table = Base.metadata.tables[table]
        converters = [_sqlite_converter(sql_table.c[name].type) for name in columns]
        indexed = [(i, f) for i, f in enumerate(converters) if f is not None]
        converted = []
        for row in rows:
            values = list(row)
            for i, f in indexed:
                if values[i] is not None:
                    values[i] = f(values[i])
            converted.append(values)
        placeholders = ", ".join("?" for _ in columns)
        sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders})"  # noqa: S608
        await driver.executemany(sql, converted)

    async def table_size(self, table: str) -> int:
        """A table's rows, whatever the organization (PostgreSQL: the planner's estimate)."""
        driver = await self._connection()
        if self.dialect != "postgresql":
            cursor = await driver.execute(f"SELECT count(*) FROM {table}")  # noqa: S608
            return int((await cursor.fetchone())[0])
        estimate = await driver.fetchval(
            "SELECT reltuples::bigint FROM pg_class WHERE oid = $1::regclass", table
        )
        return max(int(estimate or 0), 0)

    async def suspend_indexes(self, tables: Sequence[str]) -> list[str]:
        """Drops the tables' secondary indexes and returns the statements that put them
        back; on PostgreSQL also unique constraints (unless a foreign key relies on one) and
        foreign keys. Building an index once is far cheaper than growing it row by row (the
        trigram GIN index most of all), and one anti-join checks a foreign key faster than
        a trigger per row. SQLite keeps its inline unique constraints and foreign keys.
        The tables stay locked until commit."""
        driver = await self._connection()
        if self.dialect != "postgresql":
            marks = ", ".join("?" for _ in tables)
            cursor = await driver.execute(SQLITE_INDEXES_SQL.format(marks=marks), tuple(tables))
            rows = list(await cursor.fetchall())
            for name, _ in rows:
                await driver.execute(f'DROP INDEX "{name}"')
            return [sql for _, sql in rows]
        restore: list[str] = []
        foreign_keys: list[str] = []
        for table in tables:
            for row in await driver.fetch(SUSPENDABLE_SQL, table):
                await driver.execute(row["drop_sql"])
                (foreign_keys if row["kind"] == "f" else restore).append(row["restore_sql"])
        return restore + foreign_keys

    async def restore_indexes(self, statements: list[str]) -> None:
        if not statements:
            return
        driver = await self._connection()
        if self.dialect == "postgresql":
            await driver.execute("SET LOCAL maintenance_work_mem = '512MB'")
        for statement in statements:
            await driver.execute(statement)

    async def customer_count(self) -> int:
        stmt = select(func.count()).where(Customer.organization_id == self.organization_id)
        return int((await self.session.execute(stmt)).scalar_one())

    async def taken_identifiers(self) -> set[str]:
        """Every email, phone, IIN and BIN the organization's customers already use."""
        taken: set[str] = set()
        columns = (Customer.email, Customer.phone, Customer.iin, Customer.bin)
        stmt = select(*columns).where(Customer.organization_id == self.organization_id)
        for row in await self.session.execute(stmt):
            taken.update(v for v in row if v)
        return taken

    async def analyze(self, tables: Sequence[str]) -> None:
        """Fresh PostgreSQL planner statistics for the tables just filled (autovacuum would
        get there later). SQLite is left as the application runs it, without sqlite_stat1."""
        if self.dialect == "postgresql":
            driver = await self._connection()
            await driver.execute(f"ANALYZE {', '.join(tables)}")


SQLITE_INDEXES_SQL = (
    "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
    "AND tbl_name IN ({marks})"
)
SUSPENDABLE_SQL = """
SELECT c.contype::text AS kind,
       format('ALTER TABLE %s DROP CONSTRAINT %I', c.conrelid::regclass, c.conname) AS drop_sql,
       format('ALTER TABLE %s ADD CONSTRAINT %I %s', c.conrelid::regclass, c.conname,
              pg_get_constraintdef(c.oid)) AS restore_sql
  FROM pg_constraint c
 WHERE c.conrelid = $1::regclass AND c.contype IN ('u', 'f')
   AND NOT EXISTS (
       SELECT 1 FROM pg_constraint f
        WHERE f.contype = 'f' AND f.conindid = c.conindid AND c.contype = 'u')
UNION ALL
SELECT 'i', format('DROP INDEX %s', i.indexrelid::regclass), pg_get_indexdef(i.indexrelid)
  FROM pg_index i
 WHERE i.indrelid = $1::regclass AND NOT i.indisprimary
   AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
"""
