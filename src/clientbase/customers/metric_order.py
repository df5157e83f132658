"""The customer list in the order of a purchase metric (`sort=total_spent`, `order_count`,
`last_order_at`, `lifetime_value`), read from index ranges instead of sorting the tenant.

Metrics live in customer_metrics, one row per customer who ever had a purchase; a customer
without a row shows the metric's *unset* value (0, or a null last_order_at). Ordering the
LEFT JOIN by coalesce(value, 0) sorts every customer of the organization (hundreds of ms
at 1,000,000), so the order is read as consecutive segments, ascending:

  below  a row with a value under the unset one (a negative total: none today), and
  above  a row with a value over it: both by (value, customer id), a range of the metric's
         (organization_id, <metric>, customer_id) index of customer_metrics joined to
         customers;
  unset  between them, everyone showing the unset value - no row, or a row holding 0 or
         null - by customer id: the organization's customers in id order without a
         metrics row showing another value.

Descending reverses both the segments and the order inside each. So the whole list is in
(value, id) order with a null last_order_at as the lowest value, like a 0 total: customers
who never bought come first ascending and last descending, in every metric sort. The
keyset cursor (value, id) says which segment it stands in; a page reads from there, one
statement per segment (page_parts), and stops when it is full, so a first or deep page
reads one or two index ranges and never starts a segment it does not need. Each statement
picks the page's ids and then reads their rows by id (part_rows)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from enum import IntEnum
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, exists, tuple_

from clientbase.customers.models import Customer
from clientbase.customers.read_repository import METRICS_PREFIX, with_metrics
from clientbase.metrics.models import CustomerMetrics


class Segment(IntEnum):
    BELOW = 0
    UNSET = 1
    ABOVE = 2


@dataclass(frozen=True)
class MetricSort:
    column: Any  # the customer_metrics column ordered by
    unset: Any  # what a customer without a metrics row shows; None sorts lowest

    @property
    def segments(self) -> tuple[Segment, ...]:
        """In ascending order; nothing is below null."""
        return (Segment.UNSET, Segment.ABOVE) if self.unset is None else tuple(Segment)

    def segment_of(self, value: Any) -> Segment:
        if value is None or value == self.unset:
            return Segment.UNSET
        if self.unset is None or value > self.unset:
            return Segment.ABOVE
        return Segment.BELOW

    def value_of(self, row: Row[Any]) -> Any:
        """A page row's position in this order (the unset value without a metrics row)."""
        value = row._mapping[METRICS_PREFIX + self.column.key]
        return self.unset if value is None else value


# A customer's metrics row, in its own organization (both tables lead with it).
_METRICS_OF_CUSTOMER = (CustomerMetrics.customer_id == Customer.id) & (
    CustomerMetrics.organization_id == Customer.organization_id
)
ZERO = Decimal("0.00")
METRIC_SORTS: dict[str, MetricSort] = {
    "total_spent": MetricSort(CustomerMetrics.total_spent, ZERO),
    "order_count": MetricSort(CustomerMetrics.order_count, 0),
    "last_order_at": MetricSort(CustomerMetrics.last_order_at, None),
    # lifetime_value always equals total_spent (both are the sum of completed purchases,
    # metrics/repository.py), so it is ordered by total_spent and that column's index: a
    # second index holding the same numbers is not kept.
    "lifetime_value": MetricSort(CustomerMetrics.total_spent, ZERO),
}


@dataclass(frozen=True)
class Part:
    """A segment read by one statement, past the cursor (value, id) when it holds it."""

    segment: Segment
    after: list[Any] | None = None


def page_parts(metric: MetricSort, *, descending: bool, after: list[Any] | None) -> list[Part]:
    """What a page reads, in page order: the cursor's segment past the cursor, then the
    segments after it."""
    order = list(reversed(metric.segments) if descending else metric.segments)
    if after is None:
        return [Part(segment) for segment in order]
    start = metric.segment_of(after[0])
    return [Part(start, after), *(Part(segment) for segment in order[order.index(start) + 1 :])]


def part_ids(
    base: Select[Any],
    organization_id: uuid.UUID,
    metric: MetricSort,
    part: Part,
    *,
    descending: bool,
) -> Select[Any]:
    """The ids of one part's customers among `base`'s, in page order (with `value`, the
    metric, outside the unset segment); `part_rows` reads the page's rows by these ids."""
    column, after = metric.column, part.after
    if part.segment is Segment.UNSET:
        # No metrics row showing another value: an anti-join, which PostgreSQL estimates
        # from its statistics (half of the customers), where a filter on the LEFT JOIN
        # (coalesce(value, 0) = 0, value IS NULL) was taken to keep a handful of rows and
        # planned as a join of the whole tenant, a sort, and JIT compilation.
        other = column.is_not(None) if metric.unset is None else column != metric.unset
        shown = [_METRICS_OF_CUSTOMER, other]
        where = []
        if after is not None:
            where.append(_past(Customer.id, after[1], descending))
            # The same bound on the metrics key, which PostgreSQL does not infer: a merge
            # anti-join would otherwise read the metrics from the first customer on.
            shown.append(_past(CustomerMetrics.customer_id, after[1], descending))
        where.append(~exists().where(*shown))
        keys: tuple[Any, ...] = (Customer.id,)
        stmt = base.with_only_columns(Customer.id)
    else:
        where = [CustomerMetrics.organization_id == organization_id]
        # Ties by the metrics row's customer id (the customer's id), the index's last column.
        keys = (column, CustomerMetrics.customer_id)
        if metric.unset is None:
            where.append(column.is_not(None))
        else:
            above = part.segment is Segment.ABOVE
            where.append(column > metric.unset if above else column < metric.unset)
        if after is not None:
            # A row value: one index range on both databases (as in keyset_page).
            last = tuple_(*after, types=[column.type, CustomerMetrics.customer_id.type])
            where.append(_past(tuple_(*keys), last, descending))
        stmt = base.with_only_columns(Customer.id, column.label("value")).join(
            CustomerMetrics, _METRICS_OF_CUSTOMER
        )
    return stmt.where(*where).order_by(*_ordered(keys, descending))


def part_rows(scope: Select[Any], ids: Select[Any], *, descending: bool) -> Select[Any]:
    """The page rows (customers with metrics) of these ids (`part_ids`, limited), in their
    order: looked up one by one, where joining a part's whole range of customers to their
    metrics let PostgreSQL merge-join from the first metrics row on, past every page
    before the cursor."""
    page = ids.subquery("metric_page")
    keys = (page.c.value, page.c.id) if "value" in page.c else (page.c.id,)
    return with_metrics(scope.where(Customer.id == page.c.id)).order_by(*_ordered(keys, descending))


def _ordered(keys: tuple[Any, ...], descending: bool) -> list[Any]:
    return [key.desc() for key in keys] if descending else list(keys)


def _past(column: Any, value: Any, descending: bool) -> ColumnElement[bool]:
    return column < value if descending else column > value  # type: ignore[no-any-return]
