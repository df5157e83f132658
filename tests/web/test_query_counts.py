"""Each page runs a fixed number of queries, however many rows it shows (no N+1)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import pytest
from sqlalchemy import event

from clientbase.customers import related_service
from clientbase.customers.related_schemas import NoteCreate
from tests.fixtures import create_customer

pytestmark = pytest.mark.asyncio


@contextlib.contextmanager
def counting(engine) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(conn, cursor, statement, *args) -> None:  # type: ignore[no-untyped-def]
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
            statements.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count)


async def queries(engine, user, url: str) -> int:
    with counting(engine) as statements:
        response = await user.get(url)
    assert response.status_code == 200, response.text
    return len(statements)


async def test_list_dashboard_and_profile_do_not_grow_with_rows(engine, session, sign_in, web_org):
    user = await sign_in(web_org)
    first = await create_customer(
        session, web_org, type="company", company_name="Few", assigned_to=web_org.users["sales"].id
    )
    await related_service.create_note(session, web_org.actor(), first.id, NoteCreate(content="a"))
    await session.commit()
    pages = ["/customers", "/", f"/customers/{first.id}?tab=notes"]
    pages.append(f"/customers/{first.id}?tab=history")
    few = [await queries(engine, user, url) for url in pages]
    for i in range(12):
        await create_customer(
            session, web_org, first_name="More", last_name=str(i),
            assigned_to=web_org.users["manager"].id if i % 2 else web_org.users["sales"].id,
        )  # fmt: skip
        await related_service.create_note(
            session, web_org.actor("support"), first.id, NoteCreate(content=str(i))
        )
    await session.commit()
    many = [await queries(engine, user, url) for url in pages]
    assert many == few
