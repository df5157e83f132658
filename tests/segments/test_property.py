"""The compiled SQL selects exactly the customers the independent Python evaluator
selects: random populations (profiles, addresses, custom fields, metrics, transactions with
items, two businesses) and, for each, many random nested criteria over every field and
operator, with and without a business scope; and the same query built at another time, run
with this time's clock parameters. Runs on SQLite and PostgreSQL (--db)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import update

from clientbase.core.errors import ValidationFailed
from clientbase.db.session import dialect_name
from clientbase.metrics import service as metrics
from clientbase.metrics import windows
from clientbase.metrics.models import PurchaseWindow
from clientbase.segments.compiler import Compiler, Scope
from clientbase.segments.evaluator import Evaluator
from clientbase.segments.fields import Catalogue
from clientbase.segments.schemas import parse_criteria
from tests.segments import criteria_strategy, world

pytestmark = pytest.mark.asyncio
CRITERIA_PER_POPULATION = 30
CATALOGUE = Catalogue(list(world.CUSTOM))
CHECKED: list[int] = []


@pytest.fixture
async def prepared(session, org):
    return await world.prepare(session, org)


@st.composite
def scenario(draw, users):
    now = draw(st.sampled_from(world.NOWS))
    people = draw(st.lists(world.customer(now, len(users)), min_size=3, max_size=8))
    trees = draw(
        st.lists(
            st.tuples(
                criteria_strategy.criteria(CATALOGUE, now, [str(u) for u in users]),
                st.sampled_from([None, 0, 1]),
            ),
            min_size=CRITERIA_PER_POPULATION,
            max_size=CRITERIA_PER_POPULATION,
        )
    )
    return now, people, trees


@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)
@given(data=st.data())
async def test_sql_equals_evaluator(session, org, prepared, data):
    w = prepared
    now, people, trees = data.draw(scenario(w.users))
    savepoint = await session.begin_nested()
    try:
        facts = await world.load(session, w, people)
        dialect = dialect_name(session)
        windows_as_of = await refresh_windows_before(session, w, now, sorted(facts), data)
        for raw, business in trees:
            try:
                tree = parse_criteria(raw, CATALOGUE)
            except ValidationFailed:  # nested deeper than allowed: not this test's business
                continue
            business_id = None if business is None else w.businesses[business]
            scope = Scope(w.organization_id, now, dialect, business_id=business_id)
            got = set((await session.execute(Compiler(scope).select_ids(tree))).scalars())
            evaluator = Evaluator(now=now, business_id=business_id)
            expected = {cid for cid, f in facts.items() if evaluator.matches(tree, f)}
            assert got == expected, (raw, business, got ^ expected)
            # Built at another time, run with this time's clock values (the incremental
            # refresh reuses its built queries): the same customers.
            other = world.NOWS[(world.NOWS.index(now) + 1) % len(world.NOWS)]
            stale = Scope(w.organization_id, other, dialect, business_id=business_id)
            statement = Compiler(stale).select_ids(tree)
            moved = set((await session.execute(statement, stale.clock.values(now))).scalars())
            assert moved == expected, (raw, business, other, moved ^ expected)
            # Read from the purchase windows where they hold (whole-organization scope).
            summarised = Scope(
                w.organization_id,
                now,
                dialect,
                business_id=business_id,
                windows_as_of=windows_as_of,
            )
            statement = Compiler(summarised).select_ids(tree)
            listed = list((await session.execute(statement)).scalars())
            assert len(listed) == len(set(listed)), raw  # each customer once
            windowed = set(listed)
            assert windowed == expected, (raw, business, windows_as_of, windowed ^ expected)
            CHECKED.append(1)
    finally:
        await savepoint.rollback()


async def refresh_windows_before(session, w, now, customer_ids, data):
    """Purchase windows as a live organization has them: built some days before `now`,
    some customers flagged by later transactions, sometimes a later refresh of the flagged
    and expired ones, and flags set again after it."""
    built = now - timedelta(days=data.draw(st.sampled_from([0, 3, 45, 120, 400])))
    await metrics.refresh_windows(session, w.organization_id, now=built, full=True)
    flag = st.lists(st.sampled_from(customer_ids), unique=True)
    await outdate(session, w, data.draw(flag))
    if data.draw(st.booleans()):
        built += (now - built) * data.draw(st.sampled_from([0.0, 0.5, 1.0]))
        refreshed = await metrics.refresh_windows(session, w.organization_id, now=built)
        assert refreshed["full"] is False
        await outdate(session, w, data.draw(flag))
    return built


async def outdate(session, w, customer_ids):
    """What a transaction after the refresh leaves: the customer flagged, its stored
    windows no longer its purchases (here: visibly wrong, so reading them would show)."""
    await windows.mark_stale(session, w.organization_id, customer_ids)
    await session.execute(
        update(PurchaseWindow)
        .where(PurchaseWindow.customer_id.in_(customer_ids))
        .values(total=PurchaseWindow.total + 500, orders=PurchaseWindow.orders + 3)
    )


@pytest.mark.filterwarnings("ignore::pytest.PytestWarning")
def test_many_criteria_were_checked():
    """Runs after the property test in this module: thousands of criteria compared."""
    assert len(CHECKED) >= 2000, len(CHECKED)
