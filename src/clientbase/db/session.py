"""Engine, sessions and the transaction boundary (request or job commits, services never do)."""

from __future__ import annotations

import re
import weakref
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import structlog
from fastapi import Request
from sqlalchemy import event
from sqlalchemy.exc import DisconnectionError, OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import Session, SessionTransaction

from clientbase.core.errors import ClientbaseError
from clientbase.db.url import async_url

log = structlog.get_logger(__name__)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # pysqlite's own transaction handling breaks SAVEPOINT; we emit BEGIN ourselves.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _sqlite_begin(conn: Any) -> None:
    # Writers take the lock up front (IMMEDIATE): a deferred transaction that read first
    # and then writes can fail at once with SQLITE_BUSY when another writer committed
    # meanwhile, which busy_timeout cannot wait out. Other transactions stay deferred; a
    # read-only session's statements run each in its own (see _read_options).
    options = conn.get_execution_options()
    if options.get(READ_ONLY_OPTION):
        return
    conn.exec_driver_sql("BEGIN IMMEDIATE" if options.get(WRITE_OPTION) else "BEGIN")


WRITE_OPTION = "clientbase_writes"
READ_ONLY_OPTION = "clientbase_read_only"
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# What a read-only session may send: queries without a data-modifying part, and savepoints
# (SQLite's begin a transaction). A net for programming errors, not a security boundary:
# every statement is the application's own, and a function that writes can still hide in a
# SELECT.
_QUERY_HEADS = ("SELECT", "WITH", "VALUES", "EXPLAIN", "SHOW", "TABLE", "PRAGMA")
_TRANSACTION_HEADS = ("BEGIN", "SAVEPOINT", "RELEASE", "ROLLBACK")
_LEADING = re.compile(r"(?:\s+|\(|/\*.*?\*/|--[^\n]*\n?)*", re.DOTALL)
_WRITES = re.compile(r"\b(?:INSERT|UPDATE|DELETE|MERGE|TRUNCATE|COPY)\b", re.IGNORECASE)


def is_read_statement(statement: str) -> bool:
    body = _LEADING.sub("", statement, count=1)  # leading blanks, comments, parentheses
    head = body[:9].upper()
    if head.startswith(_TRANSACTION_HEADS):
        return True
    if not head.startswith(_QUERY_HEADS):
        return False
    if head.startswith("PRAGMA"):
        return "=" not in body
    return _WRITES.search(body) is None


def _read_options(dialect: str) -> dict[str, Any]:
    """A read request's session: it sends no BEGIN or COMMIT, so each statement is its own
    transaction with its own snapshot, as under PostgreSQL's READ COMMITTED inside one.
    That saves two round trips on PostgreSQL and two thread hops on SQLite (a list request:
    -12% and -17%). Nothing it runs may write."""
    options: dict[str, Any] = {READ_ONLY_OPTION: True}
    if dialect == "postgresql":
        options["isolation_level"] = "AUTOCOMMIT"
    return options


class WriteInReadRequest(RuntimeError):
    """A safe-method request tried to write through its read-only session."""


def _refuse_writes(
    conn: Any, _cursor: Any, statement: str, _params: Any, context: Any, _many: bool
) -> None:
    if not conn.get_execution_options().get(READ_ONLY_OPTION):
        return
    compiled_write = context is not None and (
        context.isinsert or context.isupdate or context.isdelete
    )
    if compiled_write or not is_read_statement(statement):
        raise WriteInReadRequest(f"a read-only session may not run: {statement[:80]}")


def create_engine(
    url: str,
    *,
    echo: bool = False,
    pool_size: int = 10,
    max_overflow: int = 0,
    pool_timeout: float = 10.0,
    pre_ping: bool = False,
) -> AsyncEngine:
    target = async_url(url)
    if target.get_backend_name() == "sqlite":
        if target.database and target.database != ":memory:":
            Path(target.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(target, echo=echo, connect_args={"timeout": 30})
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "begin", _sqlite_begin)
        event.listen(engine.sync_engine, "before_cursor_execute", _refuse_writes)
        return engine
    engine = create_async_engine(
        target,
        echo=echo,
        pool_size=pool_size,
        max_overflow=max_overflow,
        pool_timeout=pool_timeout,  # then 503: waiting longer rarely ends better
        pool_recycle=1800,
        pool_pre_ping=pre_ping,
    )
    event.listen(engine.sync_engine, "checkout", _discard_if_closed)
    event.listen(engine.sync_engine, "before_cursor_execute", _refuse_writes)
    return engine


def _discard_if_closed(_dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    """A pooled connection the server has closed (a restart, an idle timeout) is replaced
    before use. asyncpg notices the closed socket by itself, so this costs no round trip;
    SQLAlchemy's pool_pre_ping costs three on asyncpg (BEGIN, a ping, ROLLBACK), on every
    request. A connection lost without the server saying so (behind a proxy, a silent
    network drop) still fails its first statement, after which SQLAlchemy replaces the
    whole pool: such deployments set CLIENTBASE_DB_PRE_PING=true."""
    if record.driver_connection.is_closed():
        raise DisconnectionError("the server closed this pooled connection")


def dialect_name(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


class ClientbaseSession(Session):
    """Runs the registered commit hooks (audit chain, outbox numbering) inside the
    transaction, just before it commits, so they share its fate."""

    commit_hooks: list[Callable[[Session], None]] = []
    pending_keys: list[str] = []


def register_commit_hook(hook: Callable[[Session], None], pending_key: str) -> None:
    if hook not in ClientbaseSession.commit_hooks:
        ClientbaseSession.commit_hooks.append(hook)
        ClientbaseSession.pending_keys.append(pending_key)


@event.listens_for(ClientbaseSession, "before_commit")
def _run_commit_hooks(session: Session) -> None:
    """At the transaction's commit, not at a savepoint's release (which fires this event
    too): sealing there took the heads' locks early and put what was pended before the
    savepoint inside it, where rolling the savepoint back undid it."""
    if session.in_nested_transaction():
        return
    for hook in ClientbaseSession.commit_hooks:
        hook(session)


MARKS_KEY = "pending_marks"


@event.listens_for(ClientbaseSession, "after_transaction_create")
def _mark_pending(session: Session, transaction: SessionTransaction) -> None:
    """Where each pending list stood when a savepoint began."""
    if transaction.nested:
        marks = session.info.setdefault(MARKS_KEY, weakref.WeakKeyDictionary())
        marks[transaction] = {
            key: len(session.info.get(key, ())) for key in ClientbaseSession.pending_keys
        }


@event.listens_for(ClientbaseSession, "after_soft_rollback")
def _drop_pending(session: Session, previous_transaction: SessionTransaction) -> None:
    """A rolled-back savepoint drops only what was appended inside it (the failed item
    of a bulk request keeps the others' audit entries and events); a rolled-back
    transaction drops everything."""
    if previous_transaction.nested:
        marks = session.info.get(MARKS_KEY, {}).get(previous_transaction, {})
        for key, length in marks.items():
            del session.info.get(key, [])[length:]
    elif previous_transaction.parent is None:
        for key in ClientbaseSession.pending_keys:
            session.info.pop(key, None)


def create_sessionmaker(engine: AsyncEngine | Any) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(
        engine, expire_on_commit=False, autoflush=False, sync_session_class=ClientbaseSession
    )


class Database:
    """Owned by the app (app.state.db) and by CLI commands."""

    def __init__(self, url: str, *, pre_ping: bool = False, **engine_options: Any) -> None:
        """`engine_options`: create_engine's (echo, pool_size, max_overflow, pool_timeout)."""
        self.url = url
        self.pre_ping = pre_ping
        self.engine = create_engine(url, pre_ping=pre_ping, **engine_options)
        self.sessionmaker = create_sessionmaker(
            self.engine.execution_options(**{WRITE_OPTION: True})
        )
        self.read_sessionmaker = create_sessionmaker(
            self.engine.execution_options(**_read_options(self.engine.dialect.name))
        )

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    async def refresh_statistics(self) -> None:
        """SQLite plans without statistics until ANALYZE has run, and without them it walks
        a tenant's every row through the organization index instead of looking up the few
        full-text matches (a search: 33 ms against 10 ms at 20,000 customers). A bounded
        ANALYZE (a sample per index) at start and nightly keeps them; PostgreSQL's
        autovacuum does this by itself."""
        if self.dialect != "sqlite":
            return
        try:
            async with self.engine.begin() as conn:
                await conn.exec_driver_sql("PRAGMA analysis_limit = 1000")
                await conn.exec_driver_sql("ANALYZE")
        except OperationalError as exc:  # busy: the plans keep yesterday's statistics
            log.warning("db.statistics_not_refreshed", error=str(exc))

    async def dispose(self) -> None:
        await self.engine.dispose()


@asynccontextmanager
async def session_scope(db: Database, *, writes: bool = True) -> AsyncIterator[AsyncSession]:
    """One transaction for a CLI command, job or request: commit on success, roll back on
    error. `writes=False` (safe methods) lets SQLite readers run beside a writer."""
    maker = db.sessionmaker if writes else db.read_sessionmaker
    async with maker() as session:
        try:
            yield session
            await session.commit()
        except ClientbaseError as exc:
            if exc.keeps_changes:
                await session.commit()
            else:
                await session.rollback()
            raise
        except BaseException:
            await session.rollback()
            raise


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """The request's one transaction; used with Depends(scope="function") so the
    commit happens before the response is sent and a failed commit is an error response."""
    writes = request.method not in READ_METHODS
    async with session_scope(request.app.state.db, writes=writes) as session:
        yield session
