"""Keeping memberships equal to what the rules say, set-based.

Full recalculation of one segment (on demand, nightly, after a criteria change):
  0. INSERT INTO <target table> SELECT <target>             (the target query runs once)
  1. INSERT INTO <changes table> the target customers not yet members (who enters)
     and the members no longer in the target (who leaves)
  2. INSERT INTO memberships ... SELECT who enters; DELETE who leaves
  3. at commit, under the feed's head lock: INSERT INTO history ... SELECT <changes>,
     each row numbered in the event feed (a history row is its segment.assigned /
     segment.unassigned event).
Nothing is written when nothing changed. The segment row is locked for the run.

Incremental refresh for a few customers evaluates every dynamic segment restricted to
those ids (one UNION ALL query per batch of segments) and applies the difference."""

from __future__ import annotations

import json
import uuid
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, Uuid, cast, literal, union_all, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from clientbase.audit import service as audit
from clientbase.auth.actor import Actor
from clientbase.core.errors import ClientbaseError, NotFound
from clientbase.customers import custom_fields
from clientbase.db.base import utcnow
from clientbase.db.session import dialect_name
from clientbase.events import service as events
from clientbase.metrics import service as metrics
from clientbase.segments.compiler import CUSTOMER_IDS, Compiler, Scope
from clientbase.segments.fields import Catalogue, CustomDefinition
from clientbase.segments.models import Segment
from clientbase.segments.predicates import Clock
from clientbase.segments.repository import SegmentRepository
from clientbase.segments.schemas import Group, parse_criteria
from clientbase.tenancy import service as tenancy

SEGMENTS_PER_QUERY = 20
REFRESH_CHUNK = 100


async def catalogue(session: AsyncSession, actor: Actor) -> Catalogue:
    definitions = await custom_fields.list_definitions(session, actor)
    return Catalogue(
        [CustomDefinition(d.key, d.type, d.label, tuple(d.options)) for d in definitions]
    )


async def effective_business(
    session: AsyncSession,
    organization_id: uuid.UUID,
    business_id: uuid.UUID | None,
    business_count: int | None = None,
) -> uuid.UUID | None:
    """An organization with a single business: its segments cover the whole organization
    (same customers, same transactions), which lets lifetime metrics use customer_metrics."""
    if business_id is None:
        return None
    if business_count is None:
        business_count = len(await tenancy.organization_business_ids(session, organization_id))
    return None if business_count <= 1 else business_id


async def scope_for(
    session: AsyncSession,
    segment: Segment | None,
    organization_id: uuid.UUID,
    *,
    now: datetime,
    business_id: uuid.UUID | None = None,
    customer_ids: list[uuid.UUID] | None = None,
    business_count: int | None = None,
) -> Scope:
    business = segment.business_id if segment is not None else business_id
    return Scope(
        organization_id=organization_id,
        now=now,
        dialect=dialect_name(session),
        business_id=await effective_business(session, organization_id, business, business_count),
        customer_ids=customer_ids,
        windows_as_of=(
            await metrics.windows_as_of(session, organization_id) if customer_ids is None else None
        ),
    )


async def recalculate_segment(
    session: AsyncSession,
    actor: Actor,
    segment_id: uuid.UUID,
    *,
    now: datetime | None = None,
    reason: str = "recalculation",
    tree: Group | None = None,
) -> dict[str, Any]:
    repo = SegmentRepository(session, actor.organization_id)
    await repo.analytical()
    segment = await repo.lock(segment_id)
    if segment is None:
        raise NotFound("Segment not found.")
    at = utcnow()
    now = now or at
    if segment.type != "dynamic" or not segment.criteria:
        return _result(segment, 0, 0)
    if tree is None:
        tree = parse_criteria(segment.criteria, await catalogue(session, actor))
    scope = await scope_for(session, segment, actor.organization_id, now=now)
    target = await repo.materialise(Compiler(scope).select_ids(tree))
    changes, entered, left = await repo.changes(segment.id, target)
    await repo.drop_temporary(target)
    if entered or left:
        await repo.apply_changes(segment.id, changes, at, entered=entered, left=left)
        write = repo.history_writer(segment, changes, at, reason, actor.request_id)
        events.emit_sequenced(session, actor.organization_id, write)
    else:
        await repo.drop_temporary(changes)
    count = segment.member_count + entered - left
    await _store_counts(session, segment, count, at)
    if entered or left:
        audit.record(
            session,
            actor,
            action="segment.recalculated",
            entity_type="segment",
            entity_id=segment.id,
            changes={"entered": entered, "left": left, "member_count": count, "reason": reason},
        )
    return _result(segment, entered, left)


async def _store_counts(session: AsyncSession, segment: Segment, count: int, at: datetime) -> None:
    """member_count and last_calculated_at are bookkeeping: no version bump, so a user's
    edit in flight does not conflict with a recalculation."""
    await session.execute(
        update(Segment)
        .where(Segment.organization_id == segment.organization_id, Segment.id == segment.id)
        .values(member_count=count, last_calculated_at=at)
        .execution_options(synchronize_session=False)
    )
    set_committed_value(segment, "member_count", count)
    set_committed_value(segment, "last_calculated_at", at)


def _result(segment: Segment, entered: int, left: int) -> dict[str, Any]:
    return {
        "segment_id": str(segment.id),
        "entered": entered,
        "left": left,
        "member_count": segment.member_count,
    }


async def recalculate_all(
    session: AsyncSession, actor: Actor, *, now: datetime | None = None, progress: Any = None
) -> dict[str, Any]:
    """Every custom dynamic segment of the organization (lifecycle: `lifecycle.py`), each
    in a transaction of its own: committed as soon as it is done, so no transaction holds
    every segment's memberships, history and events at once. A run that stops halfway
    (a crash, a restart) is simply run again: a recalculation writes the difference, so the
    segments already done find nothing to change and nothing is counted twice. A segment
    deleted while the run goes on is skipped. The purchase windows are brought up to date
    first (a commit of their own), so the segments read them rather than transactions."""
    windows = await metrics.refresh_windows(session, actor.organization_id)
    await session.commit()
    repo = SegmentRepository(session, actor.organization_id)
    segments = [s for s in await repo.dynamic() if not s.is_system]
    fields = await catalogue(session, actor)
    results, failed, skipped = [], {}, 0
    for n, segment in enumerate(segments):
        try:
            tree = parse_criteria(segment.criteria, fields)
        except ClientbaseError as exc:  # e.g. a custom field that no longer exists
            failed[str(segment.id)] = exc.detail
            continue
        try:
            result = await recalculate_segment(session, actor, segment.id, now=now, tree=tree)
        except NotFound:
            skipped += 1
        else:
            results.append(result)
        await session.commit()
        if progress is not None:
            await progress((n + 1) / max(1, len(segments)))
    out: dict[str, Any] = {
        "segments": len(results),
        "entered": sum(r["entered"] for r in results),
        "left": sum(r["left"] for r in results),
        "failed": failed,
        "windows": windows,
    }
    if skipped:
        out["skipped"] = skipped
    return out


@dataclass(frozen=True)
class Branch:
    """One segment's query restricted to some customers, built once: it runs for other
    customers at another time with its clock's values and `CUSTOMER_IDS` as parameters."""

    select: Select[Any]
    clock: Clock


_BRANCHES: OrderedDict[tuple[Any, ...], Branch | None] = OrderedDict()
_BATCHES: OrderedDict[tuple[Any, ...], tuple[Any, list[Clock]]] = OrderedDict()
CACHED_BRANCHES = 1024  # about 25 kB each
CACHED_BATCHES = 64  # a batch keeps its branches


def _cached(cache: OrderedDict[Any, Any], key: Any, limit: int, build: Any, *args: Any) -> Any:
    """cache[key], built by build(*args) when missing; the least recently used go first."""
    if key in cache:
        cache.move_to_end(key)
        return cache[key]
    value = cache[key] = build(*args)
    while len(cache) > limit:
        cache.popitem(last=False)
    return value


def _branch_key(segment: Segment, fields: Catalogue, scope: Scope) -> tuple[Any, ...]:
    """Everything the built query depends on but the time and the customer ids."""
    criteria = json.dumps(segment.criteria, sort_keys=True, default=str)
    return (
        scope.dialect,
        scope.organization_id,
        segment.id,
        scope.business_id,
        fields.signature,
        criteria,
    )


def _build_branch(segment: Segment, fields: Catalogue, scope: Scope) -> Branch | None:
    try:
        tree = parse_criteria(segment.criteria, fields)
    except ClientbaseError:  # e.g. a custom field that no longer exists
        return None
    label = cast(literal(segment.id, Uuid()), Uuid()).label("segment_id")
    return Branch(Compiler(scope).select_ids(tree, label), scope.clock)


def _build_batch(
    keys: list[tuple[Any, ...]], branches: dict[Any, tuple[Segment, Scope]], fields: Catalogue
) -> tuple[Any, list[Clock]]:
    """The UNION ALL of a batch of segments' branches (None when none compiles)."""
    built = []
    for key in keys:
        segment, scope = branches[key]
        branch = _cached(_BRANCHES, key, CACHED_BRANCHES, _build_branch, segment, fields, scope)
        if branch is not None:
            built.append(branch)
    if not built:
        return None, []
    return union_all(*(b.select for b in built)), [b.clock for b in built]


async def refresh_for_customers(
    session: AsyncSession,
    actor: Actor,
    customer_ids: Iterable[uuid.UUID],
    *,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Re-evaluate every dynamic segment for these customers only (after a profile edit,
    a transaction, a merge) and apply the difference; returns what changed.

    A bulk change's job passes up to 10,000 customers: they go REFRESH_CHUNK at a time,
    since every branch of a batch repeats the ids (SQLite allows 32,766 bound values in
    a statement: 20 segments, each naming the ids a few times, at 10,000 ids were far over)."""
    ids = sorted(set(customer_ids))
    now = now or utcnow()
    entered = left = 0
    segments: set[str] = set()
    customers: set[str] = set()
    for start in range(0, len(ids), REFRESH_CHUNK):
        done = await _refresh_chunk(session, actor, ids[start : start + REFRESH_CHUNK], now)
        entered, left = entered + done["entered"], left + done["left"]
        segments.update(done["segments"])
        customers.update(done["customers"])
    if not ids:
        return {"entered": 0, "left": 0, "segments": [], "customers": []}
    return {
        "entered": entered,
        "left": left,
        "segments": sorted(segments),
        "customers": sorted(customers),
    }


async def _refresh_chunk(
    session: AsyncSession, actor: Actor, ids: list[uuid.UUID], now: datetime
) -> dict[str, Any]:
    """refresh_for_customers for at most REFRESH_CHUNK customers.

    Building a segment's query costs far more than running it for a few customers (about
    1 ms of Python each, against a few index probes), so each segment's query is built once
    per process (per criteria, custom fields and business scope) and the UNION ALL of a
    batch once per set of segments; a run passes the time and the ids as parameters."""
    repo = SegmentRepository(session, actor.organization_id)
    segments = await repo.dynamic_rules() if ids else []
    if not segments:
        return {"entered": 0, "left": 0, "segments": [], "customers": []}
    await session.flush()
    fields = await catalogue(session, actor)
    businesses = len(await tenancy.organization_business_ids(session, actor.organization_id))
    desired: set[tuple[uuid.UUID, uuid.UUID]] = set()
    analytical = False
    for start in range(0, len(segments), SEGMENTS_PER_QUERY):
        keys, branches = [], {}
        for segment in segments[start : start + SEGMENTS_PER_QUERY]:
            scope = await scope_for(
                session,
                segment,
                actor.organization_id,
                now=now,
                customer_ids=ids,
                business_count=businesses,
            )
            key = _branch_key(segment, fields, scope)
            keys.append(key)
            branches[key] = (segment, scope)

        query, clocks = _cached(
            _BATCHES, tuple(keys), CACHED_BATCHES, _build_batch, keys, branches, fields
        )
        if query is None:
            continue
        params: dict[str, Any] = {CUSTOMER_IDS: ids}
        for clock in clocks:
            params.update(clock.values(now))
        if not analytical:
            await repo.analytical()
            await repo.probes()
            analytical = True
        rows = await session.execute(query, params)
        desired |= {(row[1], row[0]) for row in rows}
    by_id = {s.id: s for s in segments}
    current = await repo.current(ids, list(by_id))
    applied = await apply_changes(
        session, actor, entered=desired - current, left=current - desired, reason="refresh"
    )
    return applied.summary()


@dataclass(frozen=True)
class Applied:
    """The (segment_id, customer_id) pairs a change really wrote."""

    entered: set[tuple[uuid.UUID, uuid.UUID]]
    left: set[tuple[uuid.UUID, uuid.UUID]]

    def summary(self) -> dict[str, Any]:
        changed = self.entered | self.left
        return {
            "entered": len(self.entered),
            "left": len(self.left),
            "segments": sorted({str(s) for s, _ in changed}),
            "customers": sorted({str(c) for _, c in changed}),
        }


async def apply_changes(
    session: AsyncSession,
    actor: Actor,
    *,
    entered: set[tuple[uuid.UUID, uuid.UUID]],
    left: set[tuple[uuid.UUID, uuid.UUID]],
    reason: str,
    source: str = "rule",
) -> Applied:
    """Write a known (small) difference: memberships now; history rows (the events) at
    commit, numbered in the feed; counts.

    The segments are locked first and their memberships of these customers read again:
    a recalculation that committed meanwhile may have made some of the changes already
    (entering twice would break the primary key, leaving twice would count twice), and a
    segment deleted meanwhile takes no change."""
    repo = SegmentRepository(session, actor.organization_id)
    at = utcnow()
    names = await repo.lock_for_members(sorted({s for s, _ in entered | left}))
    current = await repo.current(sorted({c for _, c in entered | left}), list(names))
    entered = {pair for pair in entered if pair[0] in names and pair not in current}
    left = {pair for pair in left if pair[0] in names and pair in current}
    await repo.add_members(
        [
            {"segment_id": s, "customer_id": c, "added_at": at, "source": source}
            for s, c in sorted(entered)
        ]
    )
    await repo.remove_members(sorted(left))
    history = [
        {
            "organization_id": actor.organization_id,
            "segment_id": s,
            "customer_id": c,
            "action": action,
            "reason": reason,
            "at": at,
            "segment_name": names[s],
            "request_id": actor.request_id,
        }
        for action, pairs in (("entered", entered), ("left", left))
        for s, c in sorted(pairs)
    ]
    if history:
        events.emit_sequenced(session, actor.organization_id, repo.rows_writer(history))
    deltas: dict[uuid.UUID, int] = {}
    for pairs, sign in ((entered, 1), (left, -1)):
        for segment_id, _customer in pairs:
            deltas[segment_id] = deltas.get(segment_id, 0) + sign
    await repo.add_counts(deltas)
    return Applied(entered, left)
