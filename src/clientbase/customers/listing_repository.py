"""The customer list: filters, keyset and search pages, counts (organization-scoped SQL)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Row,
    Select,
    and_,
    case,
    exists,
    func,
    literal_column,
    or_,
    select,
    text,
    tuple_,
)
from sqlalchemy.dialects.postgresql import array as pg_array
from sqlalchemy.orm import aliased

from clientbase.auth.actor import Actor
from clientbase.core.sorting import SortSpec
from clientbase.core.ttl_cache import TtlCache
from clientbase.customers.metric_order import METRIC_SORTS, page_parts, part_ids, part_rows
from clientbase.customers.models import Address, Customer
from clientbase.customers.read_repository import with_metrics
from clientbase.customers.repository import CustomerRepository
from clientbase.db.session import dialect_name
from clientbase.search import backend
from clientbase.segments.models import SegmentMembership
from clientbase.tenancy.models import Membership

SORT_COLUMNS: dict[str, Any] = {
    "created_at": Customer.created_at,
    "updated_at": Customer.updated_at,
    "name": Customer.name,
    "rating": func.coalesce(Customer.rating, 0),
}
# Sorts by a purchase metric (customer_metrics): see metric_order.
SORTABLE = (*SORT_COLUMNS, *METRIC_SORTS)
EXACT_COUNT_BELOW = 2_000
# A big result's estimated total is kept this long per organization, viewer and filter:
# paging through a million customers need not re-count on every page (two statements, a
# third of the list's cost), and the answer says it is an estimate.
ESTIMATE_SECONDS = 30.0
_estimates: TtlCache[int] = TtlCache(ESTIMATE_SECONDS, max_entries=4096)
# What the typo pass scores a candidate by.
_TYPO_COLUMNS: tuple[Any, ...] = (Customer.id, Customer.name, Customer.search_text)
# Relevance ranking sorts at most this many matches; search pages stop there. Counting
# them in the same statement makes a search's total exact wherever a count would be.
SEARCH_CANDIDATES = EXACT_COUNT_BELOW
# The typo pass scores at most this many customers that have a close word for each query word.
TYPO_CANDIDATES = 300
# On PostgreSQL the trigram index leads with the organization, so a search intersects the
# tenant's whole posting list with its words' lists: for a tenant holding most of the
# customers that is the most of the work (a common name fragment at 1,000,000: a 5-7 ms
# index scan, 11-18 ms in all, against 1-2 ms and 4-5 ms scanning by the words alone). A
# tenant holding at least this share of the table (by the planner's statistics) searches by
# the words and filters the rows found by organization; smaller tenants keep the key.
UNKEYED_SEARCH_SHARE = 0.5
_tenant_shares: TtlCache[float] = TtlCache(300.0, max_entries=4096)
_TENANT_SHARE = text(
    "SELECT f.freq FROM pg_stats s,"
    " unnest(s.most_common_vals::text::uuid[], s.most_common_freqs) AS f(value, freq)"
    " WHERE s.schemaname = current_schema() AND s.tablename = 'customers'"
    " AND s.attname = 'organization_id' AND f.value = :organization_id"
)


@dataclass
class CustomFieldFilter:
    key: str
    type: str
    value: Any


@dataclass
class SearchTerms:
    text: str  # normalised, as stored in search_text
    words: list[str]

    @property
    def has_identifier(self) -> bool:
        return bool(self.email or self.phone or self.national_id)

    email: str | None = None
    phone: str | None = None
    national_id: str | None = None


@dataclass
class CustomerFilter:
    search: SearchTerms | None = None
    type: str | None = None
    status: list[str] = field(default_factory=list)
    is_active: bool | None = None
    industry: str | None = None
    lead_source: str | None = None
    city: str | None = None
    country: str | None = None
    business_id: uuid.UUID | None = None
    segment_id: uuid.UUID | None = None
    assigned_to: uuid.UUID | None = None
    unassigned: bool = False
    tags: list[str] = field(default_factory=list)
    tags_match: str = "any"
    created_from: datetime | None = None
    created_to: datetime | None = None
    custom: list[CustomFieldFilter] = field(default_factory=list)
    include_deleted: bool = False
    only_deleted: bool = False


class CustomerListRepository(CustomerRepository):
    """Pages answer plain rows of the customers table plus their metrics (`with_metrics`),
    executed on the connection: ORM loading of a page cost more than its SQL."""

    @property
    def dialect(self) -> str:
        return dialect_name(self.session)

    search_index_key = True  # see UNKEYED_SEARCH_SHARE; set by plan_search

    async def _rows(self, stmt: Select[Any]) -> list[Row[Any]]:
        return list((await (await self.session.connection()).execute(stmt)).all())

    async def plan_search(self) -> None:
        """Decides, once per tenant every few minutes, whether this tenant's searches scan
        the trigram index with or without the organization key."""
        if self.dialect != "postgresql":
            return
        share = _tenant_shares.get(self.organization_id)
        if share is None:
            found = await self.session.execute(
                _TENANT_SHARE, {"organization_id": self.organization_id}
            )
            share = float(found.scalar() or 0.0)
            _tenant_shares.put(self.organization_id, share)
        self.search_index_key = share < UNKEYED_SEARCH_SHARE

    def filtered(
        self, actor: Actor, flt: CustomerFilter, *, index_key: bool | None = None
    ) -> Select[Any]:
        """`index_key`: whether the organization filter may key an index; by default it
        may, except in a search of the trigram index planned without it (plan_search). A
        whole phone number is looked up in its unique index, which needs the key."""
        if index_key is None:
            trigram = flt.search is not None and flt.search.phone is None
            index_key = not trigram or self.search_index_key
        stmt = self.visible(
            actor, include_deleted=flt.include_deleted or flt.only_deleted, index_key=index_key
        )
        if flt.only_deleted:
            stmt = stmt.where(Customer.deleted_at.is_not(None))
        return stmt.where(*self._conditions(flt))

    def _conditions(self, flt: CustomerFilter) -> list[ColumnElement[bool]]:
        c: list[ColumnElement[bool]] = []
        if flt.type:
            c.append(Customer.type == flt.type)
        if flt.status:
            c.append(Customer.status.in_(flt.status))
        if flt.is_active is not None:
            c.append(Customer.is_active.is_(flt.is_active))
        if flt.industry:
            c.append(func.lower(Customer.industry) == flt.industry.lower())
        if flt.lead_source:
            c.append(Customer.lead_source == flt.lead_source)
        if flt.assigned_to is not None:
            c.append(Customer.assigned_to == flt.assigned_to)
        if flt.unassigned:
            c.append(Customer.assigned_to.is_(None))
        if flt.created_from is not None:
            c.append(Customer.created_at >= flt.created_from)
        if flt.created_to is not None:
            c.append(Customer.created_at < flt.created_to)
        if flt.city or flt.country:
            c.append(self._address_condition(flt.city, flt.country))
        if flt.business_id is not None:
            c.append(
                exists().where(
                    Membership.organization_id == self.organization_id,
                    Membership.customer_id == Customer.id,
                    Membership.business_id == flt.business_id,
                )
            )
        if flt.segment_id is not None:
            c.append(
                exists().where(
                    SegmentMembership.organization_id == self.organization_id,
                    SegmentMembership.segment_id == flt.segment_id,
                    SegmentMembership.customer_id == Customer.id,
                )
            )
        if flt.tags:
            c.append(self._tags_condition(flt.tags, flt.tags_match))
        c.extend(self._custom_condition(f) for f in flt.custom)
        if flt.search:
            c.append(self._search_condition(flt.search))
        return c

    def _address_condition(self, city: str | None, country: str | None) -> ColumnElement[bool]:
        where = [
            Address.organization_id == self.organization_id,
            Address.customer_id == Customer.id,
        ]
        if city:
            where.append(func.lower(Address.city) == city.lower())
        if country:
            where.append(Address.country == country.upper())
        return exists().where(*where)

    def _tags_condition(self, tags: list[str], match: str) -> ColumnElement[bool]:
        if self.dialect == "postgresql":
            return Customer.tags.op("?|" if match == "any" else "?&")(pg_array(tags))  # type: ignore[no-any-return]
        each = [self._json_array_has(Customer.tags, tag) for tag in tags]
        return or_(*each) if match == "any" else and_(*each)

    @staticmethod
    def _json_array_has(column: Any, value: Any) -> ColumnElement[bool]:
        items = func.json_each(column).table_valued("value")
        return select(1).select_from(items).where(items.c.value == value).exists()

    def _custom_condition(self, flt: CustomFieldFilter) -> ColumnElement[bool]:
        element = Customer.custom_fields[flt.key]
        if flt.type == "boolean":
            return element.as_boolean() == flt.value  # type: ignore[no-any-return]
        if flt.type == "multiselect":
            if self.dialect == "postgresql":
                return Customer.custom_fields.contains({flt.key: [flt.value]})  # type: ignore[no-any-return]
            return self._json_array_has(
                func.json_extract(Customer.custom_fields, f"$.{flt.key}"), flt.value
            )
        return element.as_string() == str(flt.value)  # type: ignore[no-any-return]

    @staticmethod
    def _exact_condition(terms: SearchTerms, model: Any = Customer) -> ColumnElement[bool] | None:
        options = []
        if terms.email:
            options.append(model.email == terms.email)
        if terms.phone:
            options.append(model.phone == terms.phone)
        if terms.national_id:
            options += [model.iin == terms.national_id, model.bin == terms.national_id]
        return or_(*options) if options else None

    def _search_condition(self, terms: SearchTerms) -> ColumnElement[bool]:
        exact = self._exact_condition(terms)
        if terms.phone is not None and exact is not None:
            return exact  # a whole phone number: its normalised form is the answer
        substring = backend.substring_condition(
            self.dialect, Customer.search_text, [[w] for w in terms.words]
        )
        if exact is None:
            return substring
        if self.dialect == "sqlite":
            # Both sides as rowid sets, so SQLite drives from the FTS and unique indexes
            # instead of walking the organization's rows.
            inner = aliased(Customer, name="exact_hit")
            exact_rows = select(literal_column("exact_hit.rowid")).where(
                inner.organization_id == self.organization_id, self._exact_condition(terms, inner)
            )
            return or_(literal_column("customers.rowid").in_(exact_rows), substring)
        return or_(exact, substring)

    def _relevance(self, terms: SearchTerms) -> Any:
        exact = self._exact_condition(terms)
        prefix = Customer.search_text.like(backend.like_pattern(terms.text)[1:], escape="\\")
        whens = [(exact, 0)] if exact is not None else []
        return case(*whens, (prefix, 1), else_=2)

    async def keyset_page(
        self,
        actor: Actor,
        flt: CustomerFilter,
        *,
        sort: SortSpec,
        after: list[Any] | None,
        limit: int,
        offset: int | None,
    ) -> list[Row[Any]]:
        if sort.field in METRIC_SORTS:
            return await self._metric_page(
                actor, flt, sort=sort, after=after, limit=limit, offset=offset
            )
        column = SORT_COLUMNS[sort.field]
        stmt = self.filtered(actor, flt)
        if after is not None:
            # A row-value comparison is an index range on both databases; the equivalent
            # OR of two conditions made PostgreSQL filter every row before the cursor.
            position = tuple_(column, Customer.id)
            last = tuple_(*after, types=[column.type, Customer.id.type])
            stmt = stmt.where(position < last if sort.descending else position > last)
        order = (column.desc(), Customer.id.desc()) if sort.descending else (column, Customer.id)
        stmt = stmt.order_by(*order).limit(limit)
        if offset:
            stmt = stmt.offset(offset)
        return await self._rows(with_metrics(stmt))

    async def _metric_page(
        self,
        actor: Actor,
        flt: CustomerFilter,
        *,
        sort: SortSpec,
        after: list[Any] | None,
        limit: int,
        offset: int | None,
    ) -> list[Row[Any]]:
        """keyset_page in a metric's order: metric_order's parts from the cursor on, one
        statement each, until the page is full. A page number skips `offset` rows across
        parts: a part that ends before them is counted."""
        metric = METRIC_SORTS[sort.field]
        rows: list[Row[Any]] = []
        skip = offset or 0
        base = self.filtered(actor, flt)
        for part in page_parts(metric, descending=sort.descending, after=after):
            ids = part_ids(base, self.organization_id, metric, part, descending=sort.descending)
            page = ids.limit(limit - len(rows)).offset(skip or None)
            found = await self._rows(part_rows(self.scoped(), page, descending=sort.descending))
            if not found and skip:
                skip -= await self._count_rows(ids, cap=skip)
                continue
            rows += found
            skip = 0
            if len(rows) >= limit:
                break
        return rows

    async def _count_rows(self, stmt: Select[Any], *, cap: int) -> int:
        """How many rows the statement gives, counting no further than `cap`."""
        capped = stmt.order_by(None).limit(cap)
        return int((await self._rows(select(func.count()).select_from(capped.subquery())))[0][0])

    async def search_page(
        self, actor: Actor, flt: CustomerFilter, *, limit: int, offset: int
    ) -> tuple[list[Row[Any]], int | None]:
        """A page of the matches ranked by relevance, and how many matches there are up to
        SEARCH_CANDIDATES + 1, counted in the same statement from the ranked candidates
        (None when the page is past the end). Only the page's rows are read with their
        metrics."""
        assert flt.search is not None
        if offset >= SEARCH_CANDIDATES:
            return [], None
        await self.plan_search()
        rank = self._relevance(flt.search).label("rank")
        matches = (
            self.filtered(actor, flt)
            .with_only_columns(Customer.id, Customer.name, rank)
            .limit(SEARCH_CANDIDATES + 1)
            .cte("search_matches")
        )
        order = (matches.c.rank, matches.c.name, matches.c.id)
        page = (
            select(matches)
            .order_by(*order)
            .limit(min(limit, SEARCH_CANDIDATES - offset))
            .offset(offset)
            .subquery("search_page")
        )
        matched = select(func.count()).select_from(matches).scalar_subquery()
        stmt = (
            with_metrics(self.scoped().where(Customer.id == page.c.id))
            .add_columns(matched.label("matched"))
            .order_by(page.c.rank, page.c.name, page.c.id)
        )
        rows = await self._rows(stmt)
        if rows:
            return rows, rows[0].matched
        return rows, 0 if offset == 0 else None

    async def typo_candidates(
        self, actor: Actor, flt: CustomerFilter, groups: list[list[str]]
    ) -> list[Row[Any]]:
        """(id, name, search_text), only what the typo scoring reads, of up to
        TYPO_CANDIDATES customers with a word of each group (a query word or one of its
        corrections); `with_ids` then loads the few shown. Unordered: the scoring ranks
        them, and an order here could make PostgreSQL walk the name index for rare words."""
        await self.plan_search()
        condition = backend.substring_condition(self.dialect, Customer.search_text, groups)
        stmt = self.filtered(actor, flt, index_key=self.search_index_key).where(condition)
        stmt = stmt.with_only_columns(*_TYPO_COLUMNS)
        return await self._rows(stmt.limit(TYPO_CANDIDATES))

    async def with_ids(
        self, actor: Actor, flt: CustomerFilter, ids: list[uuid.UUID]
    ) -> list[Row[Any]]:
        """Page rows (with metrics) of these customers among the filter's, in `ids` order."""
        if not ids:
            return []
        rows = await self._rows(with_metrics(self.filtered(actor, flt).where(Customer.id.in_(ids))))
        by_id = {row.id: row for row in rows}
        return [by_id[i] for i in ids if i in by_id]

    async def count(
        self,
        actor: Actor,
        flt: CustomerFilter,
        *,
        whole_result: int | None = None,
        more_than: int | None = None,
    ) -> tuple[int, bool]:
        """(total, is_estimate). Exact while the result is small. Beyond EXACT_COUNT_BELOW
        rows PostgreSQL gives its planner's estimate (an exact count of a million rows costs
        50-85 ms) and SQLite, which has no estimate, a lower bound: both flagged, and kept
        for ESTIMATE_SECONDS.
        `whole_result`: a first page already held every row, so no statement is needed.
        `more_than`: the caller counted past EXACT_COUNT_BELOW already, so only the estimate
        is asked for."""
        if whole_result is not None and whole_result <= EXACT_COUNT_BELOW:
            return whole_result, False
        viewer = (actor.sees_assigned_only, actor.user_id if actor.sees_assigned_only else None)
        key = (self.organization_id, viewer, repr(flt))
        estimate = _estimates.get(key)
        if estimate is not None:
            return estimate, True
        if more_than is not None and more_than > EXACT_COUNT_BELOW:
            exact = more_than
        else:
            exact = await self._count_capped(actor, flt, EXACT_COUNT_BELOW)
        if exact <= EXACT_COUNT_BELOW:
            return exact, False
        estimate = exact
        if self.dialect == "postgresql":
            estimate = max(await self._planner_rows(actor, flt), exact)
        _estimates.put(key, estimate)
        return estimate, True

    async def search_total(
        self, actor: Actor, flt: CustomerFilter, matched: int | None
    ) -> tuple[int, bool]:
        """A search's total from the matches its page counted (`search_page`)."""
        if matched is not None and matched <= EXACT_COUNT_BELOW:
            return matched, False
        return await self.count(actor, flt, more_than=matched)

    async def _count_capped(self, actor: Actor, flt: CustomerFilter, cap: int) -> int:
        query = self.filtered(actor, flt).with_only_columns(Customer.id)
        return await self._count_rows(query, cap=cap + 1)

    async def _planner_rows(self, actor: Actor, flt: CustomerFilter) -> int:
        # Keyed: the planner cannot estimate the unkeyed filter's selectivity.
        query = self.filtered(actor, flt, index_key=True).with_only_columns(Customer.id)
        compiled = query.compile(
            dialect=self.session.get_bind().dialect, compile_kwargs={"literal_binds": True}
        )
        plan = (await self.session.execute(text(f"EXPLAIN (FORMAT JSON) {compiled}"))).scalar_one()
        plan = json.loads(plan) if isinstance(plan, str) else plan
        return int(plan[0]["Plan"]["Plan Rows"])
