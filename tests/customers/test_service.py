"""The customers service called directly: transactions, lost updates, no-op updates,
custom field validation and role masking in presenters."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, update

from clientbase.audit.models import AuditHead
from clientbase.core.errors import NotFound, ValidationFailed, VersionConflict
from clientbase.customers import custom_fields
from clientbase.customers import service as customers
from clientbase.customers.custom_fields import CustomFieldCreate
from clientbase.customers.models import Address, Contact, Customer
from clientbase.customers.presenters import present_customer
from clientbase.customers.schemas import CustomerCreate, CustomerUpdate
from tests.fixtures import IIN_MALE_1990, create_customer


async def count(session, model, org) -> int:
    stmt = select(func.count()).select_from(model).where(model.organization_id == org.id)
    return (await session.execute(stmt)).scalar_one()


async def test_a_nested_create_is_all_or_nothing(session, org):
    data = CustomerCreate(
        type="company",
        name="Nested LLP",
        contacts=[
            {"first_name": "Ok", "phone": "+7 701 111 22 33"},
            {"first_name": "Bad", "phone": "12"},
        ],
        addresses=[{"type": "office", "country": "KZ"}],
    )
    with pytest.raises(ValidationFailed) as caught:
        await customers.create_customer(session, org.actor(), data)
    assert [e.field for e in caught.value.errors] == ["contacts[1].phone"]
    await session.rollback()
    assert [await count(session, m, org) for m in (Customer, Contact, Address)] == [0, 0, 0]


async def test_a_concurrent_write_is_never_lost(session, org):
    """Another transaction bumped the row after we read it: our write must fail, not
    overwrite it, even though the version we hold looked current."""
    customer = await create_customer(session, org, industry="Mine")
    customer_id = customer.id
    await session.execute(
        update(Customer.__table__)
        .where(Customer.__table__.c.id == customer_id)
        .values(version=2, industry="Theirs")
    )
    await session.commit()  # the other writer commits; our loaded row still says version 1
    with pytest.raises(VersionConflict):
        await customers.update_customer(
            session, org.actor(), customer_id, CustomerUpdate(industry="Ours", version=1)
        )
    await session.rollback()
    stored = (
        await session.execute(select(Customer.industry).where(Customer.id == customer_id))
    ).scalar_one()
    assert stored == "Theirs"


async def test_an_update_that_changes_nothing_keeps_the_version_and_writes_no_entry(session, org):
    customer = await create_customer(session, org, industry="Retail", email="same@example.com")
    head = (await session.get(AuditHead, org.id)).seq
    same = await customers.update_customer(
        session,
        org.actor(),
        customer.id,
        CustomerUpdate(industry="Retail", email="SAME@example.com", version=1),
    )
    await session.commit()
    assert same.version == 1
    await session.refresh(await session.get(AuditHead, org.id))
    assert (await session.get(AuditHead, org.id)).seq == head


async def test_a_deleted_customer_cannot_be_updated_or_deleted_again(session, org):
    customer = await create_customer(session, org)
    await customers.delete_customer(session, org.actor(), customer.id)
    await session.commit()
    with pytest.raises(NotFound):
        await customers.update_customer(
            session, org.actor(), customer.id, CustomerUpdate(industry="X", version=1)
        )
    with pytest.raises(NotFound):
        await customers.delete_customer(session, org.actor(), customer.id)
    restored = await customers.restore_customer(session, org.actor(), customer.id)
    assert restored.deleted_at is None


async def test_custom_field_values_are_checked_all_at_once(session, org):
    actor = org.actor()
    for key, kind, options in (("n", "number", []), ("d", "date", []), ("s", "select", ["a"])):
        await custom_fields.create_definition(
            session, actor, CustomFieldCreate(key=key, label=key, type=kind, options=options)
        )
    with pytest.raises(ValidationFailed) as caught:
        await custom_fields.validate_values(
            session, actor, {"n": "x", "d": "tomorrow", "s": "b", "zz": 1}
        )
    assert sorted(e.field for e in caught.value.errors) == [
        "custom_fields.d",
        "custom_fields.n",
        "custom_fields.s",
        "custom_fields.zz",
    ]
    merged = await custom_fields.validate_values(
        session, actor, {"n": 1.5, "d": None}, current={"d": "2024-01-01", "s": "a"}
    )
    assert merged == {"n": "1.5", "s": "a"}


@pytest.mark.parametrize(
    ("role", "masked"), [("admin", False), ("sales", False), ("support", True)]
)
async def test_presenters_mask_by_role(session, org, role, masked):
    customer = await create_customer(session, org, iin=IIN_MALE_1990, date_of_birth="1990-01-01")
    shown = present_customer(customer, org.actor(role))
    if masked:
        assert (shown.iin, shown.date_of_birth) == ("********0007", "****-**-**")
    else:
        assert shown.iin == IIN_MALE_1990 and str(shown.date_of_birth) == "1990-01-01"
    assert customer.iin == IIN_MALE_1990  # masking never touches the stored row
