"""Recalculation writes only the difference, records history and emits one event per
changed membership; the incremental refresh agrees with a full recalculation; static
segments change only by hand; jobs and the nightly kind run."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import delete, event, func, select, text, update

from clientbase.core.errors import NotFound
from clientbase.customers import service as customers
from clientbase.customers.models import Customer
from clientbase.customers.schemas import CustomerUpdate
from clientbase.events import service as events
from clientbase.jobs import service as jobs
from clientbase.jobs.models import Job
from clientbase.jobs.registry import HANDLERS
from clientbase.segments import membership_service as memberships
from clientbase.segments import recalculate as recalc
from clientbase.segments import service
from clientbase.segments.api_schemas import SegmentCreate, SegmentUpdate
from clientbase.segments.models import SegmentMembership, SegmentMembershipHistory
from clientbase.segments.recalculate import recalculate_segment
from clientbase.segments.repository import SegmentRepository
from clientbase.transactions import service as transactions
from clientbase.transactions.schemas import TransactionCreate
from tests.fixtures import create_customer

pytestmark = pytest.mark.asyncio
RICH = {
    "operator": "AND",
    "rules": [{"field": "rating", "operator": "greater_or_equal", "value": 8}],
}


async def events_of(session, org, event_type):
    """The organization's events of this type, as consumers pull them from the feed."""
    page = await events.pull(session, org.actor(), after=None, limit=1000, event_type=event_type)
    return page.items


async def buy_shoes(session, actor, customer_id, at):
    """A completed 150.00 purchase of one pair of shoes."""
    return await transactions.record_transaction(
        session,
        actor,
        TransactionCreate(
            external_id=f"o-{uuid.uuid4().hex[:6]}",
            customer_id=customer_id,
            amount=Decimal("150.00"),
            occurred_at=at,
            status="completed",
            items=[{"sku": "SH1", "category": "shoes", "quantity": 1, "unit_price": "150.00"}],
        ),
    )


async def history_count(session, segment_id):
    stmt = select(func.count()).where(SegmentMembershipHistory.segment_id == segment_id)
    return (await session.execute(stmt)).scalar_one()


async def test_only_the_difference_is_written(session, org):
    actor = org.actor()
    people = [await create_customer(session, org, rating=r) for r in (9, 8, 3, None)]
    segment, job = await service.create_segment(
        session, actor, SegmentCreate(name="Rated", criteria=RICH)
    )
    assert job is not None and job.kind == "segments.recalculate"
    await session.commit()

    first = await recalculate_segment(session, actor, segment.id)
    await session.commit()
    assert (first["entered"], first["left"], first["member_count"]) == (2, 0, 2)
    assigned = await events_of(session, org, "segment.assigned")
    assert sorted(e.aggregate_id for e in assigned) == sorted(p.id for p in people[:2])
    assert assigned[0].payload["segment_id"] == str(segment.id)
    assert assigned[0].payload["customer_id"] == str(assigned[0].aggregate_id)
    seqs = sorted(e.seq for e in await events_of(session, org, "segment.assigned"))
    assert seqs == list(range(seqs[0], seqs[0] + 2))

    again = await recalculate_segment(session, actor, segment.id)
    await session.commit()
    assert (again["entered"], again["left"]) == (0, 0)
    assert await history_count(session, segment.id) == 2
    assert len(await events_of(session, org, "segment.assigned")) == 2

    # Changed behind the services' back (no incremental upkeep): the recalculation finds it.
    for person, rating in ((people[0], 2), (people[2], 10)):
        await session.execute(
            update(Customer).where(Customer.id == person.id).values(rating=rating)
        )
    await session.commit()
    third = await recalculate_segment(session, actor, segment.id)
    await session.commit()
    assert (third["entered"], third["left"], third["member_count"]) == (1, 1, 2)
    left = await events_of(session, org, "segment.unassigned")
    assert [e.aggregate_id for e in left] == [people[0].id]
    assert len(await events_of(session, org, "segment.assigned")) == 3
    assert await history_count(session, segment.id) == 4
    stmt = select(SegmentMembership.customer_id).where(SegmentMembership.segment_id == segment.id)
    assert set((await session.execute(stmt)).scalars()) == {people[1].id, people[2].id}


async def test_a_profile_edit_moves_the_customer_at_once(session, org):
    actor = org.actor()
    person = await create_customer(session, org, rating=9)
    segment, _ = await service.create_segment(
        session, actor, SegmentCreate(name="Rated", criteria=RICH)
    )
    await recalculate_segment(session, actor, segment.id)
    await session.commit()

    await customers.update_customer(
        session, actor, person.id, CustomerUpdate(rating=1), if_match="*"
    )
    members = select(SegmentMembership.customer_id).where(
        SegmentMembership.segment_id == segment.id
    )
    assert list((await session.execute(members)).scalars()) == []  # same transaction
    await session.commit()
    left = await events_of(session, org, "segment.unassigned")
    assert [(e.aggregate_id, e.payload["reason"]) for e in left] == [(person.id, "refresh")]

    await customers.delete_customer(session, actor, person.id)
    await customers.restore_customer(session, actor, person.id)
    await customers.update_customer(
        session, actor, person.id, CustomerUpdate(rating=10), if_match="*"
    )
    assert list((await session.execute(members)).scalars()) == [person.id]
    assert (await recalculate_segment(session, actor, segment.id))["entered"] == 0


async def test_a_bulk_change_queues_one_refresh_for_its_customers(session, org, monkeypatch):
    from clientbase.customers import bulk
    from clientbase.customers.bulk_schemas import BulkUpdate
    from clientbase.segments import upkeep

    actor = org.actor()
    people = [await create_customer(session, org, rating=9) for _ in range(3)]
    segment, _ = await service.create_segment(
        session, actor, SegmentCreate(name="Tagged", criteria=TAGGED)
    )
    await recalculate_segment(session, actor, segment.id)
    ids = [p.id for p in people]
    await bulk.bulk_update(session, actor, BulkUpdate(ids=ids, add_tags=["vip"]))
    members = select(SegmentMembership.customer_id).where(
        SegmentMembership.segment_id == segment.id
    )
    assert set((await session.execute(members)).scalars()) == set(ids)  # inline: 3 customers

    monkeypatch.setattr(upkeep, "INLINE_LIMIT", 2)
    await bulk.bulk_update(session, actor, BulkUpdate(ids=ids, remove_tags=["vip"]))
    queued = (
        (await session.execute(select(Job).where(Job.kind == "segments.refresh_customers")))
        .scalars()
        .all()
    )
    assert len(queued) == 1 and sorted(queued[0].payload["customer_ids"]) == sorted(
        str(i) for i in ids
    )
    assert set((await session.execute(members)).scalars()) == set(ids)  # not yet
    result = await HANDLERS["segments.refresh_customers"](session, queued[0], _no_progress)
    assert result == {"customers": 3, "entered": 0, "left": 3}
    assert list((await session.execute(members)).scalars()) == []


async def _no_progress(_: float) -> None:
    return None


TAGGED = {"operator": "AND", "rules": [{"field": "tags", "operator": "contains", "value": "vip"}]}


async def test_incremental_refresh_matches_full(session, org):
    actor = org.actor()
    a = await create_customer(session, org)
    b = await create_customer(session, org)
    criteria = {
        "operator": "AND",
        "rules": [
            {
                "field": "total_spent",
                "operator": "greater_than",
                "value": 100,
                "timeframe": "last_30_days",
            },
            {"field": "purchased_category", "operator": "contains", "value": "shoes"},
        ],
    }
    segment, _ = await service.create_segment(
        session, actor, SegmentCreate(name="Shoe buyers", criteria=criteria)
    )
    await session.commit()
    assert (await recalculate_segment(session, actor, segment.id))["member_count"] == 0
    recorded = await buy_shoes(session, actor, a.id, datetime.now(UTC))
    await session.commit()  # the purchase itself moved the customer in
    assigned = await events_of(session, org, "segment.assigned")
    assert [(e.aggregate_id, e.payload["reason"]) for e in assigned] == [(a.id, "refresh")]
    full = await recalculate_segment(session, actor, segment.id)
    assert (full["entered"], full["left"], full["member_count"]) == (0, 0, 1)
    again = await memberships.refresh_for_customers(session, actor, [a.id, b.id])
    assert again["entered"] == again["left"] == 0

    await transactions.change_status(
        session, actor, recorded.transaction.id, "refunded", version=None, if_match="*"
    )
    await session.commit()
    assert [e.aggregate_id for e in await events_of(session, org, "segment.unassigned")] == [a.id]
    full = await recalculate_segment(session, actor, segment.id)
    assert (full["entered"], full["left"], full["member_count"]) == (0, 0, 0)


async def test_static_segments_change_by_hand_only(client, session, org):
    actor = org.actor()
    person = await create_customer(session, org)
    static, job = await service.create_segment(
        session, actor, SegmentCreate(name="Event guests", type="static")
    )
    assert job is None
    dynamic, _ = await service.create_segment(
        session, actor, SegmentCreate(name="Everyone", criteria=RICH)
    )
    await session.commit()
    h, url = org.headers(), f"/api/v1/customers/{person.id}/segments"
    response = await client.put(url, json={"segment_ids": [str(static.id)]}, headers=h)
    assert response.status_code == 200, response.text
    assert [(s["name"], s["source"]) for s in response.json()] == [("Event guests", "manual")]
    assert len(await events_of(session, org, "segment.assigned")) == 1
    refused = await client.put(url, json={"segment_ids": [str(dynamic.id)]}, headers=h)
    assert refused.status_code == 422 and refused.json()["errors"][0]["field"] == "segment_ids[0]"
    viewer = await client.put(url, json={"segment_ids": []}, headers=org.headers("viewer"))
    assert viewer.status_code == 403
    cleared = await client.put(url, json={"segment_ids": []}, headers=h)
    assert cleared.json() == []
    assert len(await events_of(session, org, "segment.unassigned")) == 1
    history = await client.get(f"/api/v1/segments/{static.id}/history", headers=h)
    assert [e["action"] for e in history.json()["items"]] == ["left", "entered"]
    got = await client.get(f"/api/v1/segments/{static.id}", headers=h)
    assert got.json()["member_count"] == 0
    recalc = await client.post(f"/api/v1/segments/{static.id}/recalculate", headers=h)
    assert recalc.status_code == 409


async def test_recalculate_endpoint_queues_a_job_that_runs(client, session, org):
    await create_customer(session, org, rating=9)
    h = org.headers()
    created = await client.post(
        "/api/v1/segments", json={"name": "Top rated", "criteria": RICH}, headers=h
    )
    sid = created.json()["id"]
    response = await client.post(f"/api/v1/segments/{sid}/recalculate", headers=h)
    assert response.status_code == 202, response.text
    job = await session.get(Job, uuid.UUID(response.json()["job_id"]))
    result = await HANDLERS[job.kind](session, job, _no_progress)
    assert result["entered"] == 1
    assert "segments.recalculate_all" in HANDLERS
    nightly = await jobs.enqueue(session, org.id, "segments.recalculate_all", {})
    summary = await HANDLERS[nightly.kind](session, nightly, _no_progress)
    assert summary["custom"]["segments"] == 1 and summary["lifecycle"]["businesses"] == 1
    manager = await client.post(
        f"/api/v1/segments/{sid}/recalculate", headers=org.headers("manager")
    )
    assert manager.status_code == 202
    sales = await client.post(f"/api/v1/segments/{sid}/recalculate", headers=org.headers("sales"))
    assert sales.status_code == 403


async def _no_progress(_: float) -> None:
    return None


async def members_of(session, segment_id):
    stmt = select(SegmentMembership.customer_id).where(SegmentMembership.segment_id == segment_id)
    return set((await session.execute(stmt)).scalars())


async def temporary_tables(session):
    """The temporary tables of recalculation runs (targets, changes) this session sees."""
    if session.bind.dialect.name == "sqlite":
        stmt = text("SELECT name FROM sqlite_temp_master WHERE name LIKE 'segment_%'")
    else:
        stmt = text(
            "SELECT relname FROM pg_class WHERE relpersistence = 't'"
            " AND relname LIKE 'segment_%' AND pg_table_is_visible(oid)"
        )
    return list((await session.execute(stmt)).scalars())


async def test_a_recalculation_evaluates_the_target_once(session, org):
    """Enterers and leavers together: afterwards the members are exactly the target, the
    rules' query ran once (materialised), and its temporary table is gone."""
    actor = org.actor()
    people = [await create_customer(session, org, rating=r) for r in (9, 8, 10, 3, None, 2)]
    segment, _ = await service.create_segment(
        session, actor, SegmentCreate(name="Rated", criteria=RICH)
    )
    await recalculate_segment(session, actor, segment.id)
    await session.commit()
    assert await members_of(session, segment.id) == {p.id for p in people[:3]}

    # Two leave (9 -> 1, 8 -> 2), two enter (3 -> 9, unset -> 8), one stays (10).
    for person, rating in zip(people[:5], (1, 2, 10, 9, 8), strict=True):
        await session.execute(
            update(Customer).where(Customer.id == person.id).values(rating=rating)
        )
    await session.commit()
    statements: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        statements.append(statement)

    engine = session.bind.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        result = await recalculate_segment(session, actor, segment.id)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    await session.commit()
    assert (result["entered"], result["left"], result["member_count"]) == (2, 2, 3)
    assert sum("customers.rating" in s for s in statements) == 1, statements
    expected = {people[2].id, people[3].id, people[4].id}
    assert await members_of(session, segment.id) == expected
    assert await temporary_tables(session) == []

    history = select(SegmentMembershipHistory.action, SegmentMembershipHistory.customer_id).where(
        SegmentMembershipHistory.segment_id == segment.id
    )
    rows = list(await session.execute(history))
    assert sorted(c for a, c in rows if a == "left") == sorted([people[0].id, people[1].id])
    assert len([c for a, c in rows if a == "entered"]) == 5
    assert sorted(e.aggregate_id for e in await events_of(session, org, "segment.unassigned")) == (
        sorted([people[0].id, people[1].id])
    )
    assert len(await events_of(session, org, "segment.assigned")) == 5
    got = await service.get_segment(session, actor, segment.id)
    assert got.member_count == 3

    again = await recalculate_segment(session, actor, segment.id)
    assert (again["entered"], again["left"], again["member_count"]) == (0, 0, 3)
    assert len(list(await session.execute(history))) == 7


def _rated(rating):
    return {
        "operator": "AND",
        "rules": [{"field": "rating", "operator": "greater_or_equal", "value": rating}],
    }


async def test_recalculate_all_commits_each_segment(session, org, monkeypatch):
    actor = org.actor()
    people = [await create_customer(session, org, rating=r) for r in (2, 5, 9)]
    segments = []
    for rating in (1, 4, 8):
        segment, _ = await service.create_segment(
            session, actor, SegmentCreate(name=f"Rated {rating}+", criteria=_rated(rating))
        )
        segments.append(segment)
    await session.commit()
    segments.sort(key=lambda s: s.id)  # the order recalculate_all takes them in
    expected = {
        s.id: {p.id for p in people if p.rating >= s.criteria["rules"][0]["value"]}
        for s in segments
    }
    seen: list[list[set]] = []
    real_commit = session.commit

    async def commit():  # what each commit makes durable
        seen.append([await members_of(session, s.id) for s in segments])
        await real_commit()

    monkeypatch.setattr(session, "commit", commit)
    summary = await recalc.recalculate_all(session, actor)
    monkeypatch.undo()
    windows = summary.pop("windows")
    assert summary == {"segments": 3, "entered": 6, "left": 0, "failed": {}}
    assert windows["full"] is True  # the organization's first refresh builds them all
    windows_commit, *segment_commits = seen  # the purchase windows are committed first
    assert windows_commit == [set(), set(), set()]
    assert len(segment_commits) == 3
    for n, members in enumerate(segment_commits):  # segments up to n done, later not yet
        assert members == [expected[s.id] if i <= n else set() for i, s in enumerate(segments)]


async def test_recalculate_all_rerun_after_a_crash_counts_nothing_twice(session, org, monkeypatch):
    actor = org.actor()
    people = [await create_customer(session, org, rating=r) for r in (2, 5, 9)]
    ratings = {p.id: p.rating for p in people}  # the rollback below expires the objects
    for rating in (1, 4, 8):
        await service.create_segment(
            session, actor, SegmentCreate(name=f"Rated {rating}+", criteria=_rated(rating))
        )
    await session.commit()
    real = recalc.recalculate_segment
    calls = 0

    async def crash_on_second(*args, **kwargs):
        nonlocal calls
        calls += 1
        result = await real(*args, **kwargs)
        if calls == 2:
            raise RuntimeError("worker died")  # after writing, before its commit
        return result

    monkeypatch.setattr(recalc, "recalculate_segment", crash_on_second)
    with pytest.raises(RuntimeError):
        await recalc.recalculate_all(session, actor)
    await session.rollback()  # the unfinished segment's transaction
    monkeypatch.undo()
    segments = sorted(await SegmentRepository(session, org.id).dynamic(), key=lambda s: s.id)
    counts = [await history_count(session, s.id) for s in segments]
    assert counts[0] > 0 and counts[1:] == [0, 0]  # the first one was committed

    rerun = await recalc.recalculate_all(session, actor)
    await session.commit()
    for segment in segments:
        threshold = segment.criteria["rules"][0]["value"]
        wanted = {c for c, rating in ratings.items() if rating >= threshold}
        assert await members_of(session, segment.id) == wanted
        assert await history_count(session, segment.id) == len(wanted)  # entered once each
        got = await service.get_segment(session, actor, segment.id)
        assert got.member_count == len(wanted)
    assert rerun["entered"] == 6 - counts[0]
    assert len(await events_of(session, org, "segment.assigned")) == 6


async def test_recalculate_all_skips_a_segment_deleted_meanwhile(session, org, monkeypatch):
    actor = org.actor()
    await create_customer(session, org, rating=9)
    for rating in (1, 8):
        await service.create_segment(
            session, actor, SegmentCreate(name=f"Rated {rating}+", criteria=_rated(rating))
        )
    await session.commit()
    first = sorted(await SegmentRepository(session, org.id).dynamic(), key=lambda s: s.id)[0]
    real = recalc.recalculate_segment

    async def deleted_first(session_, actor_, segment_id, **kwargs):
        if segment_id == first.id:
            raise NotFound("Segment not found.")
        return await real(session_, actor_, segment_id, **kwargs)

    monkeypatch.setattr(recalc, "recalculate_segment", deleted_first)
    summary = await recalc.recalculate_all(session, actor)
    summary.pop("windows")
    assert summary == {"segments": 1, "entered": 1, "left": 0, "failed": {}, "skipped": 1}


async def test_incremental_refresh_follows_the_clock_and_the_criteria(session, org):
    """The refresh keeps each segment's built query between runs: a later run still
    evaluates at its own time (days, ages, windows) and a changed rule is a new query."""
    from datetime import timedelta

    actor = org.actor()
    now = datetime.now(UTC).replace(microsecond=0)
    later = now + timedelta(days=12)
    birthday = later.date() - timedelta(days=5)  # turns 30 between now and later
    person = await create_customer(
        session,
        org,
        last_contact_at=now - timedelta(days=3),
        date_of_birth=birthday.replace(year=birthday.year - 30),
    )
    await buy_shoes(session, actor, person.id, now - timedelta(days=20))
    rules = {
        "contacted": {"field": "last_contact_at", "operator": "within_last_days", "value": 7},
        "thirty": {"field": "age", "operator": "greater_or_equal", "value": 30},
        "spent": {
            "field": "total_spent",
            "operator": "greater_than",
            "value": 100,
            "timeframe": "last_30_days",
        },
        "shoes": {
            "field": "purchased_category",
            "operator": "contains",
            "value": "shoes",
            "timeframe": "last_30_days",
        },
        "quiet": {"field": "days_since_last_order", "operator": "greater_than", "value": 25},
    }
    segments = {}
    for name, rule in rules.items():
        segment, _ = await service.create_segment(
            session, actor, SegmentCreate(name=name, criteria={"operator": "AND", "rules": [rule]})
        )
        segments[name] = segment
    await session.commit()

    async def member_of(at):
        await memberships.refresh_for_customers(session, actor, [person.id], now=at)
        return {n for n, s in segments.items() if person.id in await members_of(session, s.id)}

    assert await member_of(now) == {"contacted", "spent", "shoes"}
    assert await member_of(later) == {"thirty", "quiet"}
    assert await member_of(now) == {"contacted", "spent", "shoes"}
    for segment in segments.values():  # a full recalculation at that time agrees
        full = await recalculate_segment(session, actor, segment.id, now=now)
        assert (full["entered"], full["left"]) == (0, 0), segment.name

    await service.update_segment(
        session,
        actor,
        segments["contacted"].id,
        SegmentUpdate(
            criteria={
                "operator": "AND",
                "rules": [{**rules["contacted"], "operator": "not_within_last_days"}],
            }
        ),
        if_match="*",
    )
    assert await member_of(now) == {"spent", "shoes"}


async def test_a_refresh_for_thousands_of_customers_fits_the_driver(session, org):
    """A bulk ingest queues a refresh for up to 10,000 customers; each statement must stay
    within the drivers' bind-parameter limits (asyncpg and SQLite: 32,767) however many
    segments, windows and purchase rules repeat the ids."""
    actor = org.actor()
    buyer = await create_customer(session, org)
    criteria = {
        "operator": "OR",
        "rules": [
            {"field": "total_spent", "operator": "greater_than", "value": 1, "timeframe": w}
            for w in ("last_30_days", "last_90_days", "last_365_days")
        ]
        + [{"field": "purchased_category", "operator": "contains", "value": "shoes"}],
    }
    for n in range(recalc.SEGMENTS_PER_QUERY + 3):
        await service.create_segment(
            session, actor, SegmentCreate(name=f"Buyers {n}", criteria=criteria)
        )
    await buy_shoes(session, actor, buyer.id, datetime.now(UTC))
    # The purchase moved the buyer in at once; forget that so the big refresh must do it.
    await session.execute(
        delete(SegmentMembership).where(SegmentMembership.customer_id == buyer.id)
    )
    ids = [buyer.id, *(uuid.uuid4() for _ in range(9_999))]
    result = await memberships.refresh_for_customers(session, actor, ids)
    assert result["entered"] == recalc.SEGMENTS_PER_QUERY + 3


async def test_membership_events_take_their_place_in_the_feed_in_commit_order(session, org):
    """History rows are the segment events: numbered at commit between the outbox events
    emitted before and after them in the same transaction, paged and filtered as one feed."""
    actor = org.actor()
    first, second = [await create_customer(session, org, rating=r) for r in (9, 8)]
    segment, _ = await service.create_segment(
        session, actor, SegmentCreate(name="Rated", criteria=RICH)
    )
    await session.commit()
    start = (await events.pull(session, actor, after=None, limit=1000)).next_cursor
    await customers.update_customer(
        session, actor, first.id, CustomerUpdate(first_name="Before", version=1)
    )
    await recalculate_segment(session, actor, segment.id)
    await customers.update_customer(
        session, actor, second.id, CustomerUpdate(first_name="After", version=1)
    )
    await session.commit()

    feed = (await events.pull(session, actor, after=start, limit=1000)).items
    assert [(e.event_type, e.aggregate_id, e.payload.get("reason")) for e in feed] == [
        ("customer.updated", first.id, None),
        ("segment.assigned", first.id, "refresh"),  # the edit's incremental refresh
        ("segment.assigned", second.id, "recalculation"),
        ("customer.updated", second.id, None),
    ]
    assert [e.seq for e in feed] == list(range(int(start) + 1, int(start) + 5))
    assert feed[2].payload == {
        "segment_id": str(segment.id),
        "segment_name": "Rated",
        "customer_id": str(second.id),
        "reason": "recalculation",
    }
    assert feed[1].aggregate_type == "customer" and feed[1].request_id == actor.request_id

    walked, cursor = [], start
    while page := (await events.pull(session, actor, after=cursor, limit=1)).items:
        walked.append(page[0].seq)
        cursor = str(page[0].seq)
    assert walked == [e.seq for e in feed]
    mine = (await events.pull(session, actor, after=start, limit=10, aggregate_id=first.id)).items
    assert [e.event_type for e in mine] == ["customer.updated", "segment.assigned"]
    updates = await events.pull(
        session, actor, after=start, limit=10, event_type="customer.updated"
    )
    assert [e.aggregate_id for e in updates.items] == [first.id, second.id]


async def test_a_rolled_back_recalculation_leaves_nothing_and_the_next_run_does_it_all(
    session, org
):
    actor = org.actor()
    for rating in (9, 8):
        await create_customer(session, org, rating=rating)
    segment, _ = await service.create_segment(
        session, actor, SegmentCreate(name="Rated", criteria=RICH)
    )
    await session.commit()
    segment_id = segment.id  # the rollback expires the loaded segment
    head = (await events.pull(session, actor, after=None, limit=1000)).next_cursor

    await recalculate_segment(session, actor, segment_id)
    await session.rollback()
    assert await history_count(session, segment_id) == 0
    members = select(func.count()).where(SegmentMembership.segment_id == segment_id)
    assert (await session.execute(members)).scalar_one() == 0
    assert (await events.pull(session, actor, after=head, limit=10)).items == []

    again = await recalculate_segment(session, actor, segment_id)
    await session.commit()
    assert (again["entered"], again["member_count"]) == (2, 2)
    feed = (await events.pull(session, actor, after=head, limit=10)).items
    assert [e.seq for e in feed if e.event_type == "segment.assigned"] == [
        int(head) + 1,
        int(head) + 2,
    ]


async def test_deleting_a_segment_takes_its_memberships_and_keeps_its_events(session, org):
    """The feed never loses an event it numbered: a deleted or renamed segment's
    membership events stay as they were sent."""
    actor = org.actor()
    kept, _ = await service.create_segment(
        session, actor, SegmentCreate(name="Kept", criteria=RICH)
    )
    gone, _ = await service.create_segment(
        session, actor, SegmentCreate(name="Gone", criteria=RICH)
    )
    person = await create_customer(session, org, rating=9)
    await session.commit()
    for segment in (kept, gone):
        await recalculate_segment(session, actor, segment.id)
    await session.commit()
    sent = await events_of(session, org, "segment.assigned")

    await service.update_segment(
        session, actor, kept.id, SegmentUpdate(name="Kept, renamed", version=kept.version)
    )
    await service.delete_segment(session, actor, gone.id)
    await session.commit()
    stmt = select(SegmentMembership.segment_id).where(SegmentMembership.customer_id == person.id)
    assert list((await session.execute(stmt)).scalars()) == [kept.id]
    assert await history_count(session, gone.id) == 1
    again = await events_of(session, org, "segment.assigned")
    assert [(e.seq, e.payload) for e in again] == [(e.seq, e.payload) for e in sent]
    assert sorted(e.payload["segment_name"] for e in again) == ["Gone", "Kept"]
    assert [e.aggregate_id for e in await events_of(session, org, "segment.deleted")] == [gone.id]


async def test_changes_for_a_segment_deleted_meanwhile_are_dropped(session, org):
    """What the foreign key did: no membership, history or count for a segment that is
    gone by the time the change is written."""
    actor = org.actor()
    person = await create_customer(session, org)
    segment, _ = await service.create_segment(
        session, actor, SegmentCreate(name="Short-lived", type="static")
    )
    await session.commit()
    segment_id = segment.id
    await service.delete_segment(session, actor, segment_id)
    await session.commit()

    applied = await recalc.apply_changes(
        session, actor, entered={(segment_id, person.id)}, left=set(), reason="manual"
    )
    await session.commit()
    assert applied.summary() == {"entered": 0, "left": 0, "segments": [], "customers": []}
    stmt = select(func.count()).select_from(SegmentMembership)
    assert (await session.execute(stmt)).scalar_one() == 0
    assert await history_count(session, segment_id) == 0


async def test_a_change_a_recalculation_already_made_is_not_made_twice(session, org):
    """An incremental refresh computed before a recalculation committed may carry
    changes that are already there: entering twice would break the primary key, leaving
    twice would count twice."""
    actor = org.actor()
    member, outsider = [await create_customer(session, org, rating=r) for r in (9, 3)]
    segment, _ = await service.create_segment(
        session, actor, SegmentCreate(name="Rated", criteria=RICH)
    )
    await session.commit()
    await recalculate_segment(session, actor, segment.id)
    await session.commit()

    applied = await recalc.apply_changes(
        session,
        actor,
        entered={(segment.id, member.id)},
        left={(segment.id, outsider.id)},
        reason="refresh",
    )
    await session.commit()
    assert (applied.entered, applied.left) == (set(), set())
    assert await history_count(session, segment.id) == 1
    assert (await service.get_segment(session, actor, segment.id)).member_count == 1


async def test_a_run_leaves_no_temporary_table_behind(session, org):
    actor = org.actor()
    await create_customer(session, org, rating=9)
    segment, _ = await service.create_segment(
        session, actor, SegmentCreate(name="Rated", criteria=RICH)
    )
    await session.commit()
    for _ in range(2):  # with a change (history written at commit), then without
        await recalculate_segment(session, actor, segment.id)
        await session.commit()
        assert await temporary_tables(session) == []
    await recalculate_segment(session, actor, segment.id)
    await session.rollback()
    assert await temporary_tables(session) == []
