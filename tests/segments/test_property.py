"""The compiled SQL selects exactly the customers the independent Python evaluator
selects: random populations (profiles, addresses, custom fields, metrics, transactions with
items, two businesses) and, for each, many random nested criteria over every field and
operator, with and without a business scope; and the same query built at another time, run
with this time's clock parameters. Runs on SQLite and PostgreSQL (--db)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clientbase.core.errors import ValidationFailed
from clientbase.db.session import dialect_name
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
            CHECKED.append(1)
    finally:
        await savepoint.rollback()


@pytest.mark.filterwarnings("ignore::pytest.PytestWarning")
def test_many_criteria_were_checked():
    """Runs after the property test in this module: thousands of criteria compared."""
    assert len(CHECKED) >= 2000, len(CHECKED)
