"""Organizations and businesses at the service level."""

from __future__ import annotations

import uuid

import pytest

from clientbase.auth.actor import Actor
from clientbase.core.errors import Conflict, ValidationFailed
from clientbase.tenancy import service as tenancy


async def test_an_organization_is_created_with_its_default_business_and_audited(session):
    name = f"Org {uuid.uuid4().hex[:6]}"
    org = await tenancy.create_organization(session, name=name)
    await session.commit()
    system = Actor.system(org.id)
    assert [b.name for b in await tenancy.list_businesses(session, system)] == ["Main"]
    assert await tenancy.phone_region(session, org.id) == "KZ"
    from clientbase.audit import service as audit

    entries = (await audit.list_entries(session, system, limit=10)).items
    assert [e.action for e in entries] == ["organization.created"]


async def test_organization_names_are_unique(session):
    name = f"Org {uuid.uuid4().hex[:6]}"
    first = await tenancy.create_organization(session, name=name)
    with pytest.raises(Conflict):
        await tenancy.create_organization(session, name=name)
    again = await tenancy.get_or_create_organization(session, name=name)
    assert again.id == first.id


async def test_business_ids_resolve_to_the_default_or_must_all_exist(session, org, other_org):
    actor = org.actor()
    default = await tenancy.resolve_business_ids(session, actor, None, field="business_ids")
    assert len(default) == 1
    foreign = await tenancy.resolve_business_ids(
        session, other_org.actor(), None, field="business_ids"
    )
    with pytest.raises(ValidationFailed) as caught:
        await tenancy.resolve_business_ids(session, actor, foreign, field="business_ids")
    assert [e.field for e in caught.value.errors] == ["business_ids"]
