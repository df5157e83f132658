"""How customers are shown: masking by role, and the snapshot events carry."""

from __future__ import annotations

from typing import Any

from clientbase.auth.actor import Actor
from clientbase.core.masking import mask_date, mask_national_id
from clientbase.customers.models import Address, Contact, Customer
from clientbase.customers.related_schemas import AddressRead, ContactRead
from clientbase.customers.schemas import CustomerDetail, CustomerRead
from clientbase.metrics.models import CustomerMetrics
from clientbase.metrics.service import read_fields

SENSITIVE = ("iin", "bin", "date_of_birth")


def present_customer(
    customer: Customer, actor: Actor, metrics: CustomerMetrics | None = None
) -> CustomerRead:
    read = CustomerRead.model_validate(customer).model_copy(update=read_fields(metrics))
    return _masked(read, actor)


def present_detail(
    customer: Customer,
    actor: Actor,
    contacts: list[Contact],
    addresses: list[Address],
    business_ids: list[Any],
    metrics: CustomerMetrics | None = None,
) -> CustomerDetail:
    detail = CustomerDetail.model_validate(customer).model_copy(update=read_fields(metrics))
    detail.contacts = [ContactRead.model_validate(c) for c in contacts]
    detail.addresses = [AddressRead.model_validate(a) for a in addresses]
    detail.business_ids = list(business_ids)
    return _masked(detail, actor)


def _masked(read: CustomerRead, actor: Actor) -> Any:
    if actor.sees_pii:
        return read
    return read.model_copy(
        update={
            "iin": mask_national_id(read.iin),
            "bin": mask_national_id(read.bin),
            "date_of_birth": mask_date(read.date_of_birth),
        }
    )


def event_snapshot(customer: Customer) -> dict[str, Any]:
    """What events carry: the profile without national ids and birth date."""
    return CustomerRead.model_validate(customer).model_dump(mode="json", exclude=set(SENSITIVE))
