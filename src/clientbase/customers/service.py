"""Customer profiles: create (with contacts and addresses), read, update, delete, restore."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Row
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from clientbase.audit import service as audit
from clientbase.auth import users
from clientbase.auth.actor import Actor
from clientbase.auth.permissions import Permission
from clientbase.core.concurrency import check_version
from clientbase.core.errors import (
    Conflict,
    FieldError,
    NotFound,
    PermissionDenied,
    ValidationFailed,
    VersionConflict,
)
from clientbase.core.pagination import Page, decode_cursor, encode_cursor
from clientbase.core.sorting import SortSpec
from clientbase.customers import custom_fields, related_service, search_index
from clientbase.customers.listing_repository import (
    TYPO_CANDIDATES,
    CustomerFilter,
    CustomerListRepository,
    SearchTerms,
)
from clientbase.customers.metric_order import METRIC_SORTS
from clientbase.customers.models import Address, Contact, Customer
from clientbase.customers.presenters import event_snapshot
from clientbase.customers.repository import UNIQUE_FIELDS, CustomerRepository
from clientbase.customers.rules import derived_name, normalize_phones, profile_errors
from clientbase.customers.schemas import (
    CustomerCreate,
    CustomerFields,
    CustomerReplace,
    CustomerUpdate,
)
from clientbase.db.base import utcnow
from clientbase.events import service as events
from clientbase.metrics import service as metrics
from clientbase.search import dictionary, fuzzy
from clientbase.search.words import letter_runs
from clientbase.segments import upkeep
from clientbase.tenancy import service as tenancy

PROFILE_FIELDS = tuple(CustomerFields.model_fields)
NESTED = {"contacts", "addresses", "business_ids", "version"}
MONEY_LIMIT = Decimal(10) ** 12  # Numeric(14, 2): what a cursor's amount can be
CENT = Decimal("0.01")
NOT_NULL = ("type", "status", "is_active", "tags", "current_balance", "custom_fields")


def snapshot(customer: Customer) -> dict[str, Any]:
    return {name: getattr(customer, name) for name in PROFILE_FIELDS}


def _repo(session: AsyncSession, actor: Actor) -> CustomerRepository:
    return CustomerRepository(session, actor.organization_id)


async def get_customer(
    session: AsyncSession, actor: Actor, customer_id: uuid.UUID, *, include_deleted: bool = False
) -> Customer:
    actor.require(Permission.CUSTOMERS_READ)
    customer = await _repo(session, actor).get_visible(
        actor, customer_id, include_deleted=include_deleted
    )
    if customer is None:
        raise NotFound("Customer not found.")
    return customer


async def get_customer_detail(
    session: AsyncSession, actor: Actor, customer_id: uuid.UUID, *, include_deleted: bool = False
) -> tuple[Customer, list[Contact], list[Address], list[uuid.UUID]]:
    customer = await get_customer(session, actor, customer_id, include_deleted=include_deleted)
    contacts, addresses = await related_service.contacts_and_addresses(session, actor, customer.id)
    business_ids = await tenancy.customer_business_ids(session, actor, customer.id)
    return customer, contacts, addresses, business_ids


async def list_customers(
    session: AsyncSession,
    actor: Actor,
    flt: CustomerFilter,
    *,
    sort: SortSpec,
    limit: int,
    cursor: str | None = None,
    page: int | None = None,
    include_total: bool = True,
) -> Page[Row[Any]]:
    """Keyset pages in the chosen sort; with a search, relevance order (exact email, phone
    or national id first, then name prefix, then substring) among the first 1,000 matches,
    and a typo-tolerant pass when nothing matched as typed. Items are plain customer rows
    with their metrics joined (read_repository.with_metrics), not ORM objects."""
    actor.require(Permission.CUSTOMERS_READ)
    repo = CustomerListRepository(session, actor.organization_id)
    if flt.search is not None:
        return await _search(
            repo, actor, flt, limit=limit, cursor=cursor, page=page, include_total=include_total
        )
    after = _decode_keyset(cursor, sort) if cursor else None
    offset = (page - 1) * limit if page and not cursor else None
    rows = await repo.keyset_page(
        actor, flt, sort=sort, after=after, limit=limit + 1, offset=offset
    )
    next_cursor = None
    if len(rows) > limit:
        last = rows[limit - 1]
        next_cursor = encode_cursor([sort.token, _sort_value(last, sort.field), str(last.id)])
    whole = len(rows) if after is None and not offset and len(rows) <= limit else None
    total, estimated = (
        await repo.count(actor, flt, whole_result=whole) if include_total else (None, False)
    )
    return Page(
        items=rows[:limit], next_cursor=next_cursor, total=total, total_is_estimate=estimated
    )


async def _search(
    repo: CustomerListRepository,
    actor: Actor,
    flt: CustomerFilter,
    *,
    limit: int,
    cursor: str | None,
    page: int | None,
    include_total: bool,
) -> Page[Row[Any]]:
    assert flt.search is not None
    offset = (page - 1) * limit if page else 0
    if cursor:
        raw = decode_cursor(cursor)
        if len(raw) != 2 or raw[0] != "search" or not isinstance(raw[1], int) or raw[1] < 0:
            raise ValidationFailed.on("cursor", "belongs to another listing")
        offset = raw[1]
    rows, matched = await repo.search_page(actor, flt, limit=limit + 1, offset=offset)
    next_cursor = encode_cursor(["search", offset + limit]) if len(rows) > limit else None
    rows = rows[:limit]
    total, estimated = (
        await repo.search_total(actor, flt, matched) if include_total else (None, False)
    )
    if offset == 0 and not rows and not flt.search.has_identifier:
        unsearched = CustomerFilter(**{**flt.__dict__, "search": None})
        close, more = await _typo_matches(repo, actor, unsearched, flt.search)
        rows = await repo.with_ids(actor, unsearched, close[:limit])
        if total is not None:
            total, estimated = total + len(close), estimated or more
    return Page(items=rows, next_cursor=next_cursor, total=total, total_is_estimate=estimated)


async def _typo_matches(
    repo: CustomerListRepository, actor: Actor, flt: CustomerFilter, terms: SearchTerms
) -> tuple[list[uuid.UUID], bool]:
    """Ids of the customers close enough to every query word, closest first, and whether
    there may be more than were scored. The words are looked up as the dictionary files
    them (letter runs: `Jean-Peirre` is `jean` and `peirre`): one it holds is taken as typed,
    an unknown one stands for its corrections (its words within one edit); when that finds
    nobody, every word also stands for its corrections. Candidates are scored against the
    query as typed."""
    runs = list(dict.fromkeys(run for word in terms.words for run in letter_runs(word)))
    proposals = await dictionary.close_words(repo.session, actor.organization_id, runs)
    if not any(p.corrections for p in proposals.values()):
        return [], False
    likely = [[w] if p.known or not p.corrections else p.corrections for w, p in proposals.items()]
    candidates = await repo.typo_candidates(actor, flt, likely)
    if not candidates:
        every = [[w, *p.corrections] for w, p in proposals.items()]
        if every != likely:
            candidates = await repo.typo_candidates(actor, flt, every)
    scores = fuzzy.closeness(terms.words, [c.search_text for c in candidates])
    scored = [
        (-score, candidate.name, str(candidate.id), candidate.id)
        for candidate, score in zip(candidates, scores, strict=True)
        if score is not None
    ]
    return [entry[-1] for entry in sorted(scored)], len(candidates) >= TYPO_CANDIDATES


def _decode_keyset(cursor: str, sort: SortSpec) -> list[Any]:
    raw = decode_cursor(cursor)
    if len(raw) != 3 or raw[0] != sort.token:
        raise ValidationFailed.on("cursor", "belongs to another sort order")
    try:
        return [_cursor_value(sort.field, raw[1]), uuid.UUID(str(raw[2]))]
    except ValueError as exc:
        raise ValidationFailed.on("cursor", "is not a cursor this service issued") from exc


def _sort_value(customer: Row[Any], field: str) -> Any:
    metric = METRIC_SORTS.get(field)
    value = metric.value_of(customer) if metric else getattr(customer, field)
    if field == "rating":
        return value or 0
    if isinstance(value, Decimal):
        return str(value)  # exact: a float would not find the row again
    return value.isoformat() if hasattr(value, "isoformat") else value


def _cursor_value(field: str, raw: Any) -> Any:
    """The cursor's sort value as its column takes it; anything a cursor this service
    issued could not hold is a 422 naming `cursor`, never a value that fails in SQL."""
    if field == "last_order_at" and raw is None:  # never bought: the lowest position
        return None
    try:
        value = _typed_cursor_value(field, raw)
    except (TypeError, ValueError, ArithmeticError, OverflowError) as exc:
        raise ValidationFailed.on("cursor", "is not a cursor this service issued") from exc
    if value is None:
        raise ValidationFailed.on("cursor", "is not a cursor this service issued")
    return value


def _typed_cursor_value(field: str, raw: Any) -> Any:
    """None, or an exception, where the raw value is not one this field's cursors hold."""
    if field in ("created_at", "updated_at", "last_order_at"):
        moment = datetime.fromisoformat(raw)
        # As stored (UTC): a time at the edge of the calendar would overflow in SQL.
        return moment.astimezone(UTC) if moment.tzinfo is not None else None
    if field in ("total_spent", "lifetime_value"):
        amount = Decimal(raw) if type(raw) is str else None
        if amount is None or not amount.is_finite() or abs(amount) >= MONEY_LIMIT:
            return None
        cents = amount.quantize(CENT)
        return cents if cents == amount else None  # more decimal places: not ours
    expected = {"rating": int, "order_count": int, "name": str}.get(field)
    if expected is not None and type(raw) is not expected:  # a forged value would reach SQL
        return None
    if expected is int and not -(2**31) <= raw < 2**31:  # an INTEGER column's range
        return None
    return raw


async def metrics_for(
    session: AsyncSession, actor: Actor, customer_ids: list[uuid.UUID]
) -> dict[uuid.UUID, Any]:
    """The computed metrics of these customers (absent: no purchase history yet)."""
    return await metrics.for_customers(session, actor, customer_ids)


async def existing_customer_ids(
    session: AsyncSession, actor: Actor, ids: list[uuid.UUID]
) -> set[uuid.UUID]:
    """Which of these ids are customers the actor can see (not deleted)."""
    actor.require(Permission.CUSTOMERS_READ)
    return await _repo(session, actor).visible_ids(actor, ids)


async def counts(session: AsyncSession, actor: Actor, by: str) -> dict[str, int]:
    actor.require(Permission.CUSTOMERS_READ)
    if by not in ("status", "type"):
        raise ValidationFailed.on("by", "must be status or type")
    return await _repo(session, actor).counts_by(actor, by)


async def _check_references(
    session: AsyncSession, actor: Actor, values: dict[str, Any], *, self_id: uuid.UUID | None
) -> None:
    assigned = values.get("assigned_to")
    if assigned is not None:
        if actor.sees_assigned_only and assigned != actor.user_id:
            raise PermissionDenied("Sales reps may assign customers only to themselves.")
        if assigned not in await users.assignable_user_ids(session, actor, [assigned]):
            raise ValidationFailed.on("assigned_to", "is not an active user of this organization")
    referrer = values.get("referred_by")
    if referrer is not None:
        if referrer == self_id:
            raise ValidationFailed.on("referred_by", "a customer cannot refer themselves")
        if not await _repo(session, actor).exists(referrer):
            raise ValidationFailed.on("referred_by", "is not a customer of this organization")


async def _raise_if_taken(
    repo: CustomerRepository, values: dict[str, Any], *, exclude_id: uuid.UUID | None = None
) -> None:
    conflicts = await repo.find_conflicts(
        {f: values.get(f) for f in UNIQUE_FIELDS}, exclude_id=exclude_id
    )
    if conflicts:
        field, existing = conflicts[0]
        raise Conflict(
            f"Another customer already has this {field}.",
            errors=[FieldError(f, f"is already used by customer {cid}") for f, cid in conflicts],
            existing_id=existing,
            field=field,
        )


async def _flush_unique(
    session: AsyncSession,
    repo: CustomerRepository,
    values: dict[str, Any],
    exclude_id: uuid.UUID | None = None,
) -> None:
    """Flush; a unique violation that slipped past the check (a race) is still a 409."""
    try:
        async with session.begin_nested():
            await session.flush()
    except IntegrityError:
        await _raise_if_taken(repo, values, exclude_id=exclude_id)
        raise
    except StaleDataError as exc:
        raise VersionConflict("The customer changed while saving; reload and try again.") from exc


async def prepare_profile(
    session: AsyncSession,
    actor: Actor,
    values: dict[str, Any],
    *,
    region: str,
    current_custom: dict[str, Any] | None,
    self_id: uuid.UUID | None,
    check_custom: bool = True,
) -> dict[str, Any]:
    """Normalise and check a complete profile dict in place; raises one 422 with every error."""
    errors = normalize_phones(values, ("phone",), region)
    if not values.get("name"):
        values["name"] = derived_name(values)
    errors += profile_errors(values)
    if errors:
        raise ValidationFailed("; ".join(f"{e.field}: {e.message}" for e in errors), errors=errors)
    if check_custom:
        values["custom_fields"] = await custom_fields.validate_values(
            session, actor, values.get("custom_fields") or {}, current=current_custom
        )
    await _check_references(session, actor, values, self_id=self_id)
    return values


async def create_customer(session: AsyncSession, actor: Actor, data: CustomerCreate) -> Customer:
    actor.require(Permission.CUSTOMERS_WRITE)
    region = await tenancy.phone_region(session, actor.organization_id)
    values = data.model_dump(exclude=NESTED)
    if actor.sees_assigned_only and values.get("assigned_to") is None:
        values["assigned_to"] = actor.user_id
    nested_errors = related_service.check_nested(data, region)
    try:
        await prepare_profile(
            session, actor, values, region=region, current_custom=None, self_id=None
        )
    except ValidationFailed as exc:
        exc.errors += nested_errors
        raise
    if nested_errors:
        raise ValidationFailed(
            "; ".join(f"{e.field}: {e.message}" for e in nested_errors), errors=nested_errors
        )
    repo = _repo(session, actor)
    await _raise_if_taken(repo, values)
    business_ids = await tenancy.resolve_business_ids(
        session, actor, data.business_ids, field="business_ids"
    )
    values["current_balance"] = values.get("current_balance") or 0
    customer = repo.add(Customer(**values, created_by=actor.id, updated_by=actor.id))
    search_index.apply(
        customer,
        [
            search_index.contact_name(c.first_name, c.middle_name, c.last_name)
            for c in data.contacts
        ],
    )
    await _flush_unique(session, repo, values)
    search_index.sync_dictionary(session, customer)
    related_service.add_nested(session, actor, customer.id, data)
    tenancy.join_businesses(session, actor, customer.id, business_ids)
    await session.flush()
    audit.record(
        session,
        actor,
        action="customer.created",
        entity_type="customer",
        entity_id=customer.id,
        customer_id=customer.id,
        changes=audit.diff({}, snapshot(customer)),
    )
    events.emit(
        session,
        actor,
        "customer.created",
        aggregate_type="customer",
        aggregate_id=customer.id,
        payload={"customer": event_snapshot(customer)},
    )
    await upkeep.customers_changed(session, actor, [customer.id])
    return customer


async def get_for_write(session: AsyncSession, actor: Actor, customer_id: uuid.UUID) -> Customer:
    actor.require(Permission.CUSTOMERS_WRITE)
    return await get_customer(session, actor, customer_id)


async def update_customer(
    session: AsyncSession,
    actor: Actor,
    customer_id: uuid.UUID,
    data: CustomerUpdate | CustomerReplace,
    *,
    if_match: str | None = None,
) -> Customer:
    customer = await get_for_write(session, actor, customer_id)
    check_version(customer.version, data.version, if_match)
    replace = isinstance(data, CustomerReplace)
    if replace:
        if data.contacts or data.addresses or data.business_ids:
            raise ValidationFailed.on(
                "contacts",
                "PUT replaces the profile only; use the contacts and addresses endpoints",
            )
        changes = data.model_dump(exclude=NESTED)
        if changes["current_balance"] is None:  # left out: back to its default, as on create
            changes["current_balance"] = 0
    else:
        changes = data.model_dump(exclude_unset=True, exclude=NESTED)
    before = snapshot(customer)
    merged = {**before, **changes}
    if "name" not in changes and before["name"] == derived_name(before):
        merged["name"] = None  # a derived display name follows the name parts
    if before["is_active"] and merged.get("is_active") is False:
        await _refuse_deactivation_with_open_orders(session, actor, customer.id)
    nulls = [f for f in NOT_NULL if f in changes and changes[f] is None]
    if nulls:
        raise ValidationFailed(errors=[FieldError(f, "may not be null") for f in nulls])
    region = await tenancy.phone_region(session, actor.organization_id)
    await prepare_profile(
        session,
        actor,
        merged,
        region=region,
        self_id=customer.id,
        current_custom=None if replace else before["custom_fields"],
        check_custom=replace or "custom_fields" in changes,
    )
    repo = _repo(session, actor)
    await _raise_if_taken(repo, merged, exclude_id=customer.id)
    delta = audit.diff(before, merged)
    if not delta:
        return customer
    for name in PROFILE_FIELDS:
        setattr(customer, name, merged[name])
    customer.updated_by = actor.id
    await search_index.refresh(session, customer)
    await _flush_unique(session, repo, merged, exclude_id=customer.id)
    search_index.sync_dictionary(session, customer)
    _record_update(session, actor, customer, before, delta)
    await upkeep.customers_changed(session, actor, [customer.id])
    return customer


async def _refuse_deactivation_with_open_orders(
    session: AsyncSession, actor: Actor, customer_id: uuid.UUID
) -> None:
    from clientbase.transactions import service as transactions  # they depend on customers

    if await transactions.has_open_orders(session, actor, customer_id):
        raise Conflict(
            "The customer has pending or processing orders; finish or cancel them first.",
            errors=[FieldError("is_active", "cannot deactivate with open orders")],
        )


def _record_update(
    session: AsyncSession,
    actor: Actor,
    customer: Customer,
    before: dict[str, Any],
    delta: dict[str, Any],
) -> None:
    audit.record(
        session,
        actor,
        action="customer.updated",
        entity_type="customer",
        entity_id=customer.id,
        customer_id=customer.id,
        changes=delta,
    )
    payload = {"customer": event_snapshot(customer), "changed_fields": sorted(delta)}
    events.emit(
        session,
        actor,
        "customer.updated",
        aggregate_type="customer",
        aggregate_id=customer.id,
        payload=payload,
    )
    if "status" in delta:
        events.emit(
            session,
            actor,
            "customer.status_changed",
            aggregate_type="customer",
            aggregate_id=customer.id,
            payload={"customer_id": customer.id, "from": before["status"], "to": customer.status},
        )
    if "assigned_to" in delta:
        events.emit(
            session,
            actor,
            "customer.assigned",
            aggregate_type="customer",
            aggregate_id=customer.id,
            payload={
                "customer_id": customer.id,
                "from": before["assigned_to"],
                "to": customer.assigned_to,
            },
        )


async def set_status(
    session: AsyncSession, actor: Actor, customer_id: uuid.UUID, status: str
) -> Customer:
    """A status change decided by the system (deal won), not an edit of a form."""
    return await update_customer(
        session, actor, customer_id, CustomerUpdate(status=status), if_match="*"
    )


async def apply_payment(
    session: AsyncSession, actor: Actor, customer_id: uuid.UUID, amount: Decimal
) -> Decimal:
    """An invoice was paid: the customer's outstanding balance goes down by the amount."""
    customer = await get_for_write(session, actor, customer_id)
    balance = customer.current_balance - amount
    await update_customer(
        session, actor, customer_id, CustomerUpdate(current_balance=balance), if_match="*"
    )
    return balance


async def delete_customer(
    session: AsyncSession, actor: Actor, customer_id: uuid.UUID, *, if_match: str | None = None
) -> Customer:
    actor.require(Permission.CUSTOMERS_DELETE)
    customer = await get_customer(session, actor, customer_id)
    if if_match is not None:
        check_version(customer.version, None, if_match)
    customer.deleted_at = utcnow()
    customer.updated_by = actor.id
    await session.flush()
    audit.record(
        session,
        actor,
        action="customer.deleted",
        entity_type="customer",
        entity_id=customer.id,
        customer_id=customer.id,
        changes={"deleted_at": {"old": None, "new": customer.deleted_at.isoformat()}},
    )
    events.emit(
        session,
        actor,
        "customer.deleted",
        aggregate_type="customer",
        aggregate_id=customer.id,
        payload={"customer_id": customer.id},
    )
    await upkeep.customers_changed(session, actor, [customer.id])
    return customer


async def restore_customer(session: AsyncSession, actor: Actor, customer_id: uuid.UUID) -> Customer:
    actor.require(Permission.CUSTOMERS_DELETE)
    customer = await get_customer(session, actor, customer_id, include_deleted=True)
    if customer.deleted_at is None:
        raise Conflict("The customer is not deleted.")
    if customer.anonymized_at is not None:
        raise Conflict("An anonymized customer cannot be restored.")
    deleted_at = customer.deleted_at
    customer.deleted_at = None
    customer.updated_by = actor.id
    await session.flush()
    audit.record(
        session,
        actor,
        action="customer.restored",
        entity_type="customer",
        entity_id=customer.id,
        customer_id=customer.id,
        changes={"deleted_at": {"old": deleted_at.isoformat(), "new": None}},
    )
    events.emit(
        session,
        actor,
        "customer.restored",
        aggregate_type="customer",
        aggregate_id=customer.id,
        payload={"customer": event_snapshot(customer)},
    )
    await upkeep.customers_changed(session, actor, [customer.id])
    return customer


async def history(
    session: AsyncSession,
    actor: Actor,
    customer_id: uuid.UUID,
    *,
    limit: int,
    cursor: str | None = None,
) -> Page[Any]:
    await get_customer(session, actor, customer_id, include_deleted=True)
    return await audit.list_entries(
        session, actor, limit=limit, cursor=cursor, customer_id=customer_id
    )
