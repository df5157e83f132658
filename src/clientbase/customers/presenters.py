"""How customers are shown: masking by role, and the snapshot events carry."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Row

from clientbase.auth.actor import Actor
from clientbase.core.masking import mask_date, mask_national_id
from clientbase.customers.models import Address, Contact, Customer
from clientbase.customers.read_repository import METRICS_PREFIX, CustomerDetailRows
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


def present_customer_row(row: Row[Any], actor: Actor) -> CustomerRead:
    """present_customer for a row of read_repository.with_metrics: validated from its
    mapping (missing attributes on a Row are costly), metrics through read_fields."""
    return _masked(CustomerRead.model_validate(_row_values(row)), actor)


def present_detail_row(detail: CustomerDetailRows, actor: Actor) -> CustomerDetail:
    values = _row_values(detail.customer)
    values["contacts"] = detail.contacts
    values["addresses"] = detail.addresses
    values["business_ids"] = detail.business_ids
    return _masked(CustomerDetail.model_validate(values), actor)  # type: ignore[no-any-return]


class _JoinedMetrics:
    """A row's joined metrics columns, read by attribute as read_fields reads
    CustomerMetrics, so both paths compute the response fields the same way."""

    __slots__ = ("_values",)

    def __init__(self, values: Any) -> None:
        self._values = values

    def __getattr__(self, name: str) -> Any:
        return self._values[METRICS_PREFIX + name]


def _row_values(row: Row[Any]) -> dict[str, Any]:
    values = dict(row._mapping)  # columns no schema field names are ignored
    if values[METRICS_PREFIX + "customer_id"] is not None:
        values.update(read_fields(_JoinedMetrics(values)))  # type: ignore[arg-type]
    return values


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
