"""The outbox: numbered at commit under the organization's head, so rolled-back work
leaves no event and no gap."""

from __future__ import annotations

import pytest

from clientbase.core.errors import ValidationFailed
from clientbase.customers import service as customers
from clientbase.customers.schemas import CustomerUpdate
from clientbase.events import service as events
from tests.fixtures import create_customer


async def pulled(session, org, after=None):
    page = await events.pull(session, org.actor(), after=after, limit=100)
    return page


async def test_rolled_back_work_leaves_no_event_and_no_gap(session, org):
    first = await create_customer(session, org)
    await customers.update_customer(
        session, org.actor(), first.id, CustomerUpdate(status="active", version=1)
    )
    await session.rollback()
    await create_customer(session, org)
    page = await pulled(session, org)
    assert [(e.seq, e.event_type) for e in page.items] == [
        (1, "customer.created"),
        (2, "customer.created"),
    ]


async def test_events_are_not_visible_before_commit(session, org):
    await create_customer(session, org)
    customer = await create_customer(session, org)
    await customers.delete_customer(session, org.actor(), customer.id)
    assert len((await pulled(session, org)).items) == 2  # pending until the commit
    await session.commit()
    page = await pulled(session, org)
    assert [e.event_type for e in page.items][-1] == "customer.deleted"


async def test_one_transaction_touching_two_organizations_numbers_each(session, org, other_org):
    await create_customer(session, org)
    await create_customer(session, other_org)
    assert [e.seq for e in (await pulled(session, org)).items] == [1]
    assert [e.seq for e in (await pulled(session, other_org)).items] == [1]


async def test_the_cursor_is_the_last_sequence_seen(session, org):
    for _ in range(3):
        await create_customer(session, org)
    page = await events.pull(session, org.actor(), after=None, limit=2)
    assert [e.seq for e in page.items] == [1, 2] and page.next_cursor == "2"
    rest = await events.pull(session, org.actor(), after=page.next_cursor, limit=2)
    assert [e.seq for e in rest.items] == [3] and rest.next_cursor == "3"
    empty = await events.pull(session, org.actor(), after="3", limit=2)
    assert empty.items == [] and empty.next_cursor == "3"


@pytest.mark.parametrize("after", ["x", "-1", "1e3", "²"])
async def test_a_bad_cursor_names_after(session, org, after):
    with pytest.raises(ValidationFailed) as caught:
        await events.pull(session, org.actor(), after=after, limit=10)
    assert [e.field for e in caught.value.errors] == ["after"]
