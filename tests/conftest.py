"""Test harness: a migrated database per run (SQLite by default, PostgreSQL with
--db=postgres), one rolled-back transaction per test, and an ASGI client on the real app."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager

import asyncpg
import pytest
from httpx import ASGITransport, AsyncClient
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

import clientbase.db.registry  # noqa: F401
from clientbase.app import create_app
from clientbase.auth import passwords
from clientbase.auth import users as user_admin
from clientbase.config import Settings
from clientbase.core.errors import ClientbaseError
from clientbase.db.migrate import upgrade_to_head
from clientbase.db.session import ClientbaseSession, Database, get_session

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--db", choices=("sqlite", "postgres"), default="sqlite", help="database the suite runs on"
    )


def pytest_report_header(config: pytest.Config) -> str:
    return f"clientbase database: {config.getoption('--db')}"


@pytest.fixture(scope="session", autouse=True)
def _hash_each_password_once() -> Iterator[None]:
    """argon2 costs ~0.2 s a hash and every test creates five users with one password:
    hash each distinct password once (still a real argon2id hash, verified for real)."""
    cache: dict[str, str] = {}

    def hash_once(password: str) -> str:
        if password not in cache:
            cache[password] = passwords.hash_password(password)
        return cache[password]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(user_admin, "hash_password", hash_once)
        yield


@pytest.fixture(scope="session")
def dialect(pytestconfig: pytest.Config) -> str:
    return str(pytestconfig.getoption("--db"))


@pytest.fixture(scope="session")
async def database_url(
    dialect: str, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    if dialect == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        return
    admin_url = make_url(os.environ.get("CLIENTBASE_TEST_POSTGRES_URL", DEFAULT_POSTGRES))
    name = f"clientbase_test_{uuid.uuid4().hex[:12]}"
    dsn = admin_url.set(drivername="postgresql").render_as_string(hide_password=False)
    admin = await asyncpg.connect(dsn)  # fails loudly: the PostgreSQL suite is never skipped
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    yield admin_url.set(database=name).render_as_string(hide_password=False)
    admin = await asyncpg.connect(dsn)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.fixture(scope="session")
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        secret_key="test-signing-key-that-is-long-enough-0123456789",
        auto_migrate=False,
        login_max_failures=5,
        environment="test",
    )


@pytest.fixture(scope="session")
async def database(settings: Settings) -> AsyncIterator[Database]:
    db = Database(settings.database_url)
    await upgrade_to_head(db.engine)
    yield db
    await db.dispose()


@pytest.fixture(scope="session")
def engine(database: Database) -> AsyncEngine:
    return database.engine


@pytest.fixture
async def session(engine: AsyncEngine) -> AsyncIterator[AsyncSession]:
    """Everything a test writes is rolled back; service commits become savepoint releases."""
    async with engine.connect() as conn:
        outer = await conn.begin()
        session = AsyncSession(
            bind=conn,
            join_transaction_mode="create_savepoint",
            expire_on_commit=False,
            autoflush=False,
            sync_session_class=ClientbaseSession,
        )
        try:
            yield session
        finally:
            await session.close()
            await outer.rollback()


@pytest.fixture
def app(settings: Settings, database: Database, session: AsyncSession):  # type: ignore[no-untyped-def]
    application = create_app(settings, database=database)

    async def test_session() -> AsyncIterator[AsyncSession]:
        try:
            yield session
            await session.commit()
        except ClientbaseError as exc:
            await (session.commit() if exc.keeps_changes else session.rollback())
            raise
        except BaseException:
            await session.rollback()
            raise

    @asynccontextmanager
    async def side_transaction() -> AsyncIterator[AsyncSession]:
        async with session.begin_nested():
            yield session

    application.dependency_overrides[get_session] = test_session
    application.state.side_transaction = side_transaction
    return application


@pytest.fixture
async def client(app) -> AsyncIterator[AsyncClient]:  # type: ignore[no-untyped-def]
    transport = ASGITransport(app=app, raise_app_exceptions=False)
    async with AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


@pytest.fixture
async def org(session: AsyncSession, settings: Settings):  # type: ignore[no-untyped-def]
    """An organization with one user per role (see tests.fixtures.make_org)."""
    from tests.fixtures import make_org

    return await make_org(session, settings)


@pytest.fixture
async def other_org(session: AsyncSession, settings: Settings):  # type: ignore[no-untyped-def]
    """A second, unrelated organization."""
    from tests.fixtures import make_org

    return await make_org(session, settings)
