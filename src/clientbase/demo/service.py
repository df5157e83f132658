"""Load demo customers into an organization: sales users, custom field definitions, then
customers with contacts, addresses, notes and memberships in bulk, one audit entry."""

from __future__ import annotations

import asyncio
import secrets
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from time import perf_counter

from sqlalchemy.ext.asyncio import AsyncSession

from clientbase.audit import service as audit
from clientbase.auth import users
from clientbase.auth.actor import Actor
from clientbase.auth.permissions import Role
from clientbase.auth.schemas import UserCreate
from clientbase.core.errors import Conflict
from clientbase.customers import custom_fields
from clientbase.db.base import utcnow
from clientbase.db.session import Database, session_scope
from clientbase.demo.addresses import ADDRESS_COLUMNS
from clientbase.demo.generator import (
    CHANNELS,
    CONTACT_COLUMNS,
    CUSTOM_FIELDS,
    CUSTOMER_COLUMNS,
    MEMBERSHIP_COLUMNS,
    NOTE_COLUMNS,
    Chunk,
    Context,
    Generator,
)
from clientbase.demo.names import ascii_slug
from clientbase.demo.purchases import ITEM_COLUMNS, TRANSACTION_COLUMNS
from clientbase.demo.repository import DemoRepository
from clientbase.metrics import service as metrics
from clientbase.search import dictionary
from clientbase.tenancy import service as tenancy

CHUNK_SIZE = 20_000
# A load at least this big that at least doubles the customers table drops the tables'
# indexes first and builds them again at the end, instead of growing them row by row.
REBUILD_INDEXES_FROM = 50_000
TABLES = ("customers", "memberships", "contacts", "addresses", "notes")
PURCHASE_TABLES = ("transactions", "transaction_items")
MAX_TRANSACTIONS_PER_CUSTOMER = 1000
DEMO_USERS = (
    ("aigerim.saparova", "Әйгерім Сапарова", Role.SALES),
    ("daniyar.bekov", "Данияр Беков", Role.SALES),
    ("olga.kim", "Ольга Ким", Role.SALES),
    ("john.miller", "John Miller", Role.SALES),
    ("tran.minh", "Trần Minh", Role.MANAGER),
)


@dataclass
class DemoResult:
    organization: str
    customers: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    new_users: list[str] = field(default_factory=list)
    password: str | None = None  # of the new users, shown once
    phases: dict[str, float] = field(default_factory=dict)  # seconds per step

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())

    def per_second(self, count: int) -> float:
        return count / self.seconds if self.seconds else 0.0


async def _assignees(session: AsyncSession, actor: Actor, org_name: str, result: DemoResult):  # type: ignore[no-untyped-def]
    """The organization's active sales people and managers; demo ones when it has none."""
    found = []
    for role in (Role.SALES, Role.MANAGER):
        rows, _ = await users.list_users(
            session, actor, limit=100, offset=0, role=role, is_active=True
        )
        found += rows
    if any(u.role == Role.SALES for u in found):
        return [u.id for u in found]
    password = secrets.token_urlsafe(12)
    domain = f"{ascii_slug(org_name)[:30] or 'demo'}.example.com"
    for login, full_name, role in DEMO_USERS:
        data = UserCreate(
            email=f"{login}@{domain}", password=password, full_name=full_name, role=role
        )
        try:
            user = await users.create_user(session, actor, data)
        except Conflict:  # the address is used in another organization
            email = f"{login}.{actor.organization_id.hex[:8]}@{domain}"
            data = data.model_copy(update={"email": email})
            user = await users.create_user(session, actor, data)
        found.append(user)
        result.new_users.append(user.email)
    result.password = password
    return [u.id for u in found]


async def _custom_fields(session: AsyncSession, actor: Actor) -> dict[str, str]:
    """Creates the demo's definitions the organization lacks; returns the keys it may fill
    (those whose existing definition has the type and options the demo writes)."""
    existing = {d.key: d for d in await custom_fields.list_definitions(session, actor)}
    for key, label, kind, options in CUSTOM_FIELDS:
        if key not in existing:
            data = custom_fields.CustomFieldCreate(key=key, label=label, type=kind, options=options)
            existing[key] = await custom_fields.create_definition(session, actor, data)
    usable = {}
    for key, _, kind, _ in CUSTOM_FIELDS:
        d = existing[key]
        if d.is_active and d.type == kind and (kind != "select" or set(CHANNELS) <= set(d.options)):
            usable[key] = kind
    return usable


async def load_demo(
    session: AsyncSession,
    *,
    organization: str,
    customers: int,
    seed: int = 1,
    transactions_per_customer: float = 0,
    chunk_size: int = CHUNK_SIZE,
    now: datetime | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> DemoResult:
    """Everything in the session's transaction; the caller commits. With
    `transactions_per_customer` K > 0 the customers also get purchase histories (K on
    average, skewed), then the organization's metrics are recomputed in full."""
    if not 0 <= transactions_per_customer <= MAX_TRANSACTIONS_PER_CUSTOMER:
        raise ValueError(
            f"transactions per customer must be between 0 and {MAX_TRANSACTIONS_PER_CUSTOMER}"
        )
    started = perf_counter()
    tables = TABLES + (PURCHASE_TABLES if transactions_per_customer else ())
    result = DemoResult(organization=organization, rows=dict.fromkeys(tables, 0))
    org = await tenancy.get_or_create_organization(session, name=organization)
    actor = Actor.system(org.id, label="demo")
    businesses = await tenancy.resolve_business_ids(session, actor, None, field="business_ids")
    user_ids = await _assignees(session, actor, organization, result)
    fields = await _custom_fields(session, actor)
    await session.flush()
    repo = DemoRepository(session, org.id)
    existing = await repo.customer_count()
    ctx = Context(
        organization_id=org.id,
        business_id=businesses[0] if businesses else None,
        user_ids=user_ids,
        custom_fields=fields,
        now=now or utcnow(),
        first_serial=existing,
        taken=await repo.taken_identifiers() if existing else set(),
        transactions_per_customer=transactions_per_customer,
        currency=await tenancy.currency(session, org.id),
    )
    if transactions_per_customer and ctx.business_id is None:
        raise ValueError("the organization has no business for the purchases to belong to")
    rebuild: list[str] = []
    if customers >= REBUILD_INDEXES_FROM and customers >= await repo.table_size("customers"):
        rebuild = await repo.suspend_indexes(TABLES)
    expected = customers * transactions_per_customer
    if expected >= REBUILD_INDEXES_FROM and expected >= await repo.table_size("transactions"):
        rebuild += await repo.suspend_indexes(PURCHASE_TABLES)
    result.phases["setup"] = perf_counter() - started
    words = await _fill(repo, Generator(ctx, seed), customers, chunk_size, result, progress)
    dictionary.pend(session, org.id, words)  # filed at commit
    mark = perf_counter()
    await repo.restore_indexes(rebuild)
    result.phases["indexes"] = perf_counter() - mark
    mark = perf_counter()
    await repo.analyze(tables)
    result.phases["analyze"] = perf_counter() - mark
    if transactions_per_customer:
        mark = perf_counter()
        await metrics.recompute_organization(session, org.id)
        await metrics.refresh_windows(session, org.id, full=True)
        await repo.analyze(("customer_metrics", "customer_purchase_windows"))
        result.phases["metrics"] = perf_counter() - mark
    result.customers = result.rows["customers"]
    audit.record(
        session,
        actor,
        action="demo.loaded",
        entity_type="organization",
        entity_id=org.id,
        changes={**result.rows, "seed": seed},
    )
    result.seconds = perf_counter() - started
    return result


async def _fill(
    repo: DemoRepository,
    generator: Generator,
    customers: int,
    chunk_size: int,
    result: DemoResult,
    progress: Callable[[int, int], None] | None,
) -> set[str]:
    """The next chunk is generated in a thread while the database takes the current one.
    A short GIL switch interval keeps the driver's I/O from queueing behind the generator.
    Returns the words of the search texts written, for the search dictionary."""
    mark, switch = perf_counter(), sys.getswitchinterval()
    words: set[str] = set()
    sys.setswitchinterval(0.0005)
    try:
        remaining = customers
        upcoming: asyncio.Future[Chunk] | None = asyncio.ensure_future(
            asyncio.to_thread(generator.chunk, min(chunk_size, remaining))
        )
        while upcoming is not None:
            chunk = await upcoming
            remaining -= len(chunk.customers)
            upcoming = None
            if remaining > 0:
                size = min(chunk_size, remaining)
                upcoming = asyncio.ensure_future(asyncio.to_thread(generator.chunk, size))
            await _write(repo, chunk, result)
            words |= chunk.words
            if progress is not None:
                progress(customers - remaining, customers)
    finally:
        sys.setswitchinterval(switch)
    result.phases["rows"] = perf_counter() - mark
    return words


async def _write(repo: DemoRepository, chunk: Chunk, result: DemoResult) -> None:
    for table, columns, rows in (
        ("customers", CUSTOMER_COLUMNS, chunk.customers),
        ("memberships", MEMBERSHIP_COLUMNS, chunk.memberships),
        ("contacts", CONTACT_COLUMNS, chunk.contacts),
        ("addresses", ADDRESS_COLUMNS, chunk.addresses),
        ("notes", NOTE_COLUMNS, chunk.notes),
        ("transactions", TRANSACTION_COLUMNS, chunk.transactions),
        ("transaction_items", ITEM_COLUMNS, chunk.items),
    ):
        await repo.insert(table, columns, rows)
        if rows:
            result.rows[table] += len(rows)


async def run(
    db: Database,
    *,
    organization: str,
    customers: int,
    seed: int,
    transactions_per_customer: float = 0,
    progress: Callable[[int, int], None] | None = None,
) -> DemoResult:
    """The CLI's entry: one transaction, committed when everything is in."""
    try:
        started = perf_counter()
        async with session_scope(db) as session:
            result = await load_demo(
                session, organization=organization, customers=customers, seed=seed,
                transactions_per_customer=transactions_per_customer, progress=progress,
            )  # fmt: skip
        result.seconds = perf_counter() - started  # including the commit
        return result
    finally:
        await db.dispose()
