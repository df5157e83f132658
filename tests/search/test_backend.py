"""Groups of alternatives match literally on both databases: a correction beside a query
word full of pattern characters neither fails nor widens the match."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from clientbase.customers.models import Customer
from clientbase.search.backend import substring_condition
from tests.fixtures import create_customer, make_org


@pytest.mark.parametrize(
    ("groups", "expected"),
    [
        ([["smit(", "smith"]], ["John Smith"]),
        ([["smit(", "zzzz"]], []),
        ([["t.c", "qqqq"]], []),  # '.' is no wildcard: Atsco has no "t.c"
        ([["[a-z]+", "(?i)", "***:x", "a|b"]], []),
        ([["john", "jonh"], ["sm%th", "smith"]], ["John Smith"]),
        ([["o\\'c", "ats"], ["ltd"]], ["Atsco Ltd"]),
    ],
)
async def test_alternatives_match_literally(session, settings, dialect, groups, expected):
    org = await make_org(session, settings, "Literal Co")
    await create_customer(session, org, first_name="John", last_name="Smith")
    await create_customer(session, org, type="company", name="Atsco Ltd")
    name = session.bind.dialect.name
    stmt = select(Customer.name).where(
        Customer.organization_id == org.id,
        substring_condition(name, Customer.search_text, groups),
    )
    assert sorted((await session.execute(stmt)).scalars()) == expected
