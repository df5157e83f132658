"""The audit hash chain: verified when intact, tampering found and located."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select, update

from clientbase.audit import service as audit
from clientbase.audit.models import AuditEntry, AuditHead
from clientbase.customers import service as customers
from clientbase.customers.schemas import CustomerUpdate
from tests.fixtures import create_customer


async def build_history(session, org) -> int:
    """A few changes; returns the number of entries in the organization's chain."""
    customer = await create_customer(session, org, email="chain@example.com")
    await customers.update_customer(
        session, org.actor(), customer.id, CustomerUpdate(industry="Retail", version=1)
    )
    await session.commit()
    await customers.delete_customer(session, org.actor("manager"), customer.id)
    await session.commit()
    head = await session.get(AuditHead, org.id)
    return head.seq


async def tamper(session, statement) -> None:
    await session.execute(statement)
    await session.commit()
    session.expire_all()


async def test_a_fresh_chain_verifies(session, org):
    count = await build_history(session, org)
    report = await audit.verify_chain(session, org.id)
    assert report.ok and report.entries == count and report.first_bad_seq is None
    seqs = (
        (
            await session.execute(
                select(AuditEntry.seq)
                .where(AuditEntry.organization_id == org.id)
                .order_by(AuditEntry.seq)
            )
        )
        .scalars()
        .all()
    )
    assert seqs == list(range(1, count + 1))


async def test_each_entry_links_to_the_one_before(session, org):
    await build_history(session, org)
    entries = (
        (
            await session.execute(
                select(AuditEntry)
                .where(AuditEntry.organization_id == org.id)
                .order_by(AuditEntry.seq)
            )
        )
        .scalars()
        .all()
    )
    assert entries[0].prev_hash == "0" * 64
    for before, after in zip(entries, entries[1:], strict=False):
        assert after.prev_hash == before.hash
    assert len({e.hash for e in entries}) == len(entries)


@pytest.mark.parametrize(
    "column", ["changes", "action", "actor_label", "occurred_at", "request_id", "entity_id"]
)
async def test_editing_any_recorded_value_is_detected_at_its_seq(session, org, column):
    count = await build_history(session, org)
    target = count - 1
    entry = (
        await session.execute(
            select(AuditEntry).where(AuditEntry.organization_id == org.id, AuditEntry.seq == target)
        )
    ).scalar_one()
    forged = {
        "changes": {"industry": {"old": None, "new": "Forged"}},
        "action": "customer.viewed",
        "actor_label": "someone-else@example.com",
        "occurred_at": entry.occurred_at.replace(year=2001),
        "request_id": "forged-request",
        "entity_id": None,
    }[column]
    await tamper(
        session,
        update(AuditEntry).where(AuditEntry.id == entry.id).values({column: forged}),
    )
    report = await audit.verify_chain(session, org.id)
    assert not report.ok
    assert report.first_bad_seq == target and report.reason == "hash mismatch"


async def test_rehashing_a_forged_entry_still_breaks_the_next_link(session, org):
    from clientbase.audit.chain import entry_hash

    count = await build_history(session, org)
    entry = (
        await session.execute(
            select(AuditEntry).where(AuditEntry.organization_id == org.id, AuditEntry.seq == 2)
        )
    ).scalar_one()
    row = {c: getattr(entry, c) for c in AuditEntry.__table__.columns.keys()}  # noqa: SIM118
    row["changes"] = {"forged": {"old": None, "new": True}}
    await tamper(
        session,
        update(AuditEntry)
        .where(AuditEntry.id == entry.id)
        .values(changes=row["changes"], hash=entry_hash(entry.prev_hash, row)),
    )
    report = await audit.verify_chain(session, org.id)
    assert not report.ok and report.first_bad_seq == 3 < count


async def test_a_deleted_entry_is_detected(session, org):
    count = await build_history(session, org)
    await tamper(
        session,
        delete(AuditEntry).where(AuditEntry.organization_id == org.id, AuditEntry.seq == 2),
    )
    report = await audit.verify_chain(session, org.id)
    assert not report.ok and report.first_bad_seq == 3 and report.reason == "sequence gap"
    assert count > 3


async def test_deleting_the_newest_entries_is_detected(session, org):
    count = await build_history(session, org)
    await tamper(
        session,
        delete(AuditEntry).where(AuditEntry.organization_id == org.id, AuditEntry.seq == count),
    )
    report = await audit.verify_chain(session, org.id)
    assert not report.ok and report.first_bad_seq == count
    assert report.reason == "entries missing at the end"


async def test_one_organization_tampered_leaves_the_other_verified(session, org, other_org):
    await build_history(session, org)
    await build_history(session, other_org)
    await tamper(
        session,
        update(AuditEntry)
        .where(AuditEntry.organization_id == org.id, AuditEntry.seq == 1)
        .values(actor_label="x"),
    )
    assert not (await audit.verify_chain(session, org.id)).ok
    assert (await audit.verify_chain(session, other_org.id)).ok


async def test_a_rolled_back_change_leaves_no_entry_and_no_gap(session, org):
    count = await build_history(session, org)
    customer = await create_customer(session, org)
    await customers.update_customer(
        session, org.actor(), customer.id, CustomerUpdate(industry="Lost", version=1)
    )
    await session.rollback()
    head = await session.get(AuditHead, org.id)
    assert head.seq == count + 1  # only the committed create
    assert (await audit.verify_chain(session, org.id)).ok


def test_diff_masks_personal_data_and_skips_unchanged_fields():
    changes = audit.diff(
        {"email": "dana@example.com", "phone": "+77012345678", "iin": "900101300007", "city": "A"},
        {"email": "new@example.com", "phone": "+77019998877", "iin": None, "city": "A"},
    )
    assert changes == {
        "email": {"old": "d***@example.com", "new": "n***@example.com"},
        "phone": {"old": "+770******78", "new": "+770******77"},
        "iin": {"old": "********0007", "new": None},
    }
