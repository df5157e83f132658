"""Every query on segments and memberships, starting from the organization."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    ColumnElement,
    MetaData,
    Select,
    String,
    Table,
    Text,
    Uuid,
    and_,
    case,
    cast,
    delete,
    except_,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    type_coerce,
    update,
)
from sqlalchemy.schema import CreateTable, DropTable

from clientbase.auth.actor import Actor
from clientbase.auth.permissions import LEAD_STATUSES
from clientbase.customers.models import Customer
from clientbase.db.base import JSONType
from clientbase.db.repository import TenantRepository
from clientbase.db.session import dialect_name
from clientbase.segments.models import (
    LifecycleSettings,
    Segment,
    SegmentMembership,
    SegmentMembershipHistory,
)

M, H = SegmentMembership, SegmentMembershipHistory


def visible_condition(actor: Actor) -> ColumnElement[bool] | None:
    """The customers an actor may see (the customers domain's rule: sales reps see their
    own customers and unassigned leads)."""
    if not actor.sees_assigned_only:
        return None
    return or_(
        Customer.assigned_to == actor.user_id,
        and_(Customer.assigned_to.is_(None), Customer.status.in_(LEAD_STATUSES)),
    )


class SegmentRepository(TenantRepository[Segment]):
    model = Segment

    @property
    def dialect(self) -> str:
        return dialect_name(self.session)

    async def page(
        self,
        *,
        after: tuple[str, uuid.UUID] | None,
        limit: int,
        type_: str | None = None,
        is_system: bool | None = None,
        business_id: uuid.UUID | None = None,
    ) -> list[Segment]:
        stmt = self.scoped()
        if type_:
            stmt = stmt.where(Segment.type == type_)
        if is_system is not None:
            stmt = stmt.where(Segment.is_system.is_(is_system))
        if business_id is not None:
            stmt = stmt.where(Segment.business_id == business_id)
        if after is not None:
            name, last_id = after
            stmt = stmt.where(
                or_(Segment.name > name, and_(Segment.name == name, Segment.id > last_id))
            )
        stmt = stmt.order_by(Segment.name, Segment.id).limit(limit)
        return list((await self.session.execute(stmt)).scalars())

    async def name_taken(self, name: str, exclude: uuid.UUID | None = None) -> bool:
        stmt = self.scoped(Segment.id).where(func.lower(Segment.name) == name.lower())
        if exclude is not None:
            stmt = stmt.where(Segment.id != exclude)
        return (await self.session.execute(stmt)).first() is not None

    async def analytical(self) -> None:
        """For this transaction only, on PostgreSQL: JIT off (it compiled these wide one-off
        queries for longer than they ran: 1.2 s of 2.6 s at 100,000 customers) and room to
        hash a purchase subquery's customers (a few hundred thousand ids at 1,000,000
        customers; with the default 4 MB the planner re-scans the list for every customer)."""
        if self.dialect == "postgresql":
            await self.session.execute(text("SET LOCAL jit = off"))
            await self.session.execute(text("SET LOCAL work_mem = '128MB'"))

    async def probes(self) -> None:
        """For this transaction, on PostgreSQL: the incremental refresh's statements are a
        few index probes per segment for a few customers. A parallel plan spent ~6 ms of a
        batch's 9 starting its workers, and planning each batch again another ~5 ms; with
        neither, one customer against 107 segments at 1,000,000 customers went from a
        median of 54 ms to 24 ms (p95 57 -> 29 ms)."""
        if self.dialect == "postgresql":
            await self.session.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))
            await self.session.execute(text("SET LOCAL plan_cache_mode = force_generic_plan"))

    async def lock(self, segment_id: uuid.UUID) -> Segment | None:
        """The segment, locked for this transaction (one recalculation at a time)."""
        stmt = (
            self.scoped().where(Segment.id == segment_id).execution_options(populate_existing=True)
        )
        if self.dialect == "postgresql":
            stmt = stmt.with_for_update()
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def dynamic(self) -> list[Segment]:
        stmt = self.scoped().where(Segment.type == "dynamic").order_by(Segment.id)
        return list((await self.session.execute(stmt)).scalars())

    async def dynamic_rules(self) -> list[Any]:
        """id, name, business_id and criteria of the dynamic segments, as plain rows (the
        incremental refresh reads these on every change; no ORM objects to build)."""
        stmt = (
            select(Segment.id, Segment.name, Segment.business_id, Segment.criteria)
            .where(Segment.organization_id == self.organization_id, Segment.type == "dynamic")
            .order_by(Segment.id)
        )
        return list(await self.session.execute(stmt))

    async def many(self, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Segment]:
        stmt = self.scoped().where(Segment.id.in_(list(ids)))
        return {s.id: s for s in (await self.session.execute(stmt)).scalars()}

    async def lifecycle(self, business_id: uuid.UUID) -> dict[str, Segment]:
        stmt = self.scoped().where(
            Segment.business_id == business_id, Segment.lifecycle.is_not(None)
        )
        return {s.lifecycle: s for s in (await self.session.execute(stmt)).scalars()}  # type: ignore[misc]

    async def add_counts(self, deltas: dict[uuid.UUID, int]) -> None:
        for segment_id, delta in sorted(deltas.items()):  # id order, like the locks
            if delta:
                await self.session.execute(
                    update(Segment)
                    .where(
                        Segment.organization_id == self.organization_id, Segment.id == segment_id
                    )
                    .values(member_count=Segment.member_count + delta)
                    .execution_options(synchronize_session="fetch")
                )

    async def settings(self, business_id: uuid.UUID) -> LifecycleSettings | None:
        stmt = select(LifecycleSettings).where(
            LifecycleSettings.organization_id == self.organization_id,
            LifecycleSettings.business_id == business_id,
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    # -- memberships -----------------------------------------------------------------
    def members_query(self, segment_id: uuid.UUID, actor: Actor) -> Select[Any]:
        stmt = (
            select(Customer, M.added_at, M.source)
            .join(M, and_(M.customer_id == Customer.id, M.organization_id == self.organization_id))
            .where(
                Customer.organization_id == self.organization_id,
                M.segment_id == segment_id,
                Customer.deleted_at.is_(None),
            )
        )
        visible = visible_condition(actor)
        return stmt if visible is None else stmt.where(visible)

    async def members_page(
        self, segment_id: uuid.UUID, actor: Actor, *, after: uuid.UUID | None, limit: int
    ) -> list[Any]:
        stmt = self.members_query(segment_id, actor)
        if after is not None:
            stmt = stmt.where(M.customer_id > after)
        stmt = stmt.order_by(M.customer_id).limit(limit)
        return list(await self.session.execute(stmt))

    async def count_members(self, segment_id: uuid.UUID, actor: Actor) -> int:
        stmt = self.members_query(segment_id, actor).with_only_columns(func.count())
        return int((await self.session.execute(stmt)).scalar_one())

    async def memberships_of(self, customer_id: uuid.UUID) -> list[tuple[Segment, Any]]:
        stmt = (
            select(Segment, M)
            .join(M, M.segment_id == Segment.id)
            .where(
                Segment.organization_id == self.organization_id,
                M.organization_id == self.organization_id,
                M.customer_id == customer_id,
            )
            .order_by(Segment.name)
        )
        return [(row[0], row[1]) for row in await self.session.execute(stmt)]

    async def current(
        self, customer_ids: Sequence[uuid.UUID], segment_ids: Sequence[uuid.UUID]
    ) -> set[tuple[uuid.UUID, uuid.UUID]]:
        """The customers' memberships of these segments: read by customer (the index), the
        segments picked in Python (a list of every segment's id only slowed the planner)."""
        if not customer_ids or not segment_ids:
            return set()
        stmt = select(M.segment_id, M.customer_id).where(
            M.organization_id == self.organization_id, M.customer_id.in_(list(customer_ids))
        )
        wanted = set(segment_ids)
        return {(row[0], row[1]) for row in await self.session.execute(stmt) if row[0] in wanted}

    async def is_member(self, segment_id: uuid.UUID, customer_id: uuid.UUID) -> Any:
        stmt = select(M).where(
            M.organization_id == self.organization_id,
            M.segment_id == segment_id,
            M.customer_id == customer_id,
        )
        return (await self.session.execute(stmt)).scalar_one_or_none()

    async def add_members(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            await self.session.execute(
                insert(M), [{"organization_id": self.organization_id, **r} for r in rows]
            )

    async def remove_members(self, pairs: list[tuple[uuid.UUID, uuid.UUID]]) -> None:
        for segment_id, customer_id in pairs:
            await self.session.execute(
                delete(M).where(
                    M.organization_id == self.organization_id,
                    M.segment_id == segment_id,
                    M.customer_id == customer_id,
                )
            )

    async def history_page(
        self,
        *,
        segment_id: uuid.UUID | None = None,
        customer_id: uuid.UUID | None = None,
        before: int | None,
        limit: int,
    ) -> list[Any]:
        stmt = (
            select(H, Segment.name)
            .join(Segment, Segment.id == H.segment_id)
            .where(H.organization_id == self.organization_id)
        )
        if segment_id is not None:
            stmt = stmt.where(H.segment_id == segment_id)
        if customer_id is not None:
            stmt = stmt.where(H.customer_id == customer_id)
        if before is not None:
            stmt = stmt.where(H.id < before)
        return list(await self.session.execute(stmt.order_by(H.id.desc()).limit(limit)))

    # -- set-based recalculation -----------------------------------------------------
    # A segment's memberships are read by segment_id alone: the segment was read and locked
    # through the organization's scope, all its memberships are the organization's, and the
    # primary key (segment_id, customer_id) is the index to read them by. With
    # organization_id as well, a planner on statistics older than the memberships ANDed the
    # whole organization's (organization_id, customer_id) index into every read (86 of 98 ms
    # of one anti-join at 100,000 customers).
    async def materialise(self, target: Select[Any]) -> Table:
        """The target's customer ids in a temporary table of this run (dropped by
        `drop_temporary`; a failed run's rollback takes it with it): the target query runs
        once, and who enters and who leaves are both read from it."""
        # The target lists each customer once. PostgreSQL hashes it for both differences
        # (a key on 620,000 random ids cost ~1 s to build); SQLite looks ids up in it.
        table = Table(
            f"segment_target_{uuid.uuid4().hex[:16]}",
            MetaData(),
            Column("customer_id", Uuid(), nullable=False, primary_key=self.dialect == "sqlite"),
            prefixes=["TEMPORARY"],
        )
        await self.session.execute(CreateTable(table))
        await self.session.execute(insert(table).from_select(["customer_id"], target))
        if self.dialect == "postgresql":  # autovacuum never sees temporary tables
            await self.session.execute(text(f"ANALYZE {table.name}"))
        return table

    async def drop_temporary(self, table: Table) -> None:
        await self.session.execute(DropTable(table))

    async def changes(self, segment_id: uuid.UUID, target: Table) -> tuple[Table, int, int]:
        """Who enters (target customers not yet members) and who leaves (members no longer
        in the target), in a temporary table of this run: memberships follow it now, the
        history (the events) is written from it at commit (`history_writer`)."""
        table = Table(
            f"segment_changes_{uuid.uuid4().hex[:16]}",
            MetaData(),
            Column("customer_id", Uuid(), nullable=False),
            Column("action", String(10), nullable=False),
            prefixes=["TEMPORARY"],
        )
        await self.session.execute(CreateTable(table))
        # EXCEPT, not NOT EXISTS: a set operation is hashed or sorted whatever the planner
        # believes. Just after a first materialisation the memberships' statistics still
        # said "empty", and PostgreSQL's anti-join became a nested loop that scanned the
        # 624,000-row target for each of the 624,000 members (cancelled after 11 minutes).
        members = select(M.customer_id).where(M.segment_id == segment_id)
        targeted = select(target.c.customer_id)
        counts = []
        for action, difference in (
            ("entered", except_(targeted, members)),
            ("left", except_(members, targeted)),
        ):
            rows = difference.subquery()
            done = await self.session.execute(
                insert(table).from_select(
                    ["customer_id", "action"], select(rows.c.customer_id, literal(action))
                )
            )
            counts.append(int(done.rowcount or 0))
        return table, counts[0], counts[1]

    async def apply_changes(
        self, segment_id: uuid.UUID, changes: Table, at: datetime, *, entered: int, left: int
    ) -> None:
        """Make memberships follow a run's changes. New members go in customer order: both
        of the table's indexes then grow at one end instead of at random places."""
        if entered:
            rows = (
                select(
                    literal(self.organization_id),
                    literal(segment_id),
                    changes.c.customer_id,
                    literal(at, M.__table__.c.added_at.type),
                    literal("rule"),
                )
                .where(changes.c.action == "entered")
                .order_by(changes.c.customer_id)
            )
            columns = ["organization_id", "segment_id", "customer_id", "added_at", "source"]
            await self.session.execute(insert(M).from_select(columns, rows))
        if left:
            leaving = select(changes.c.customer_id).where(changes.c.action == "left")
            if self.dialect == "postgresql":  # one join of the run's leavers (DELETE ... USING)
                gone = leaving.subquery("leavers")
                stmt = delete(M).where(
                    M.segment_id == segment_id, M.customer_id == gone.c.customer_id
                )
            else:
                stmt = delete(M).where(M.segment_id == segment_id, M.customer_id.in_(leaving))
            await self.session.execute(stmt)

    def history_writer(
        self,
        segment: Segment,
        changes: Table,
        at: datetime,
        reason: str,
        request_id: str | None,
    ) -> Any:
        """The commit-time writer of a run's history rows, numbered in the feed from
        after_seq (see `events.emit_sequenced`); it drops the run's changes table."""
        organization_id, segment_id, name = self.organization_id, segment.id, segment.name

        def write(session: Any, after_seq: int) -> int:
            numbered = select(
                literal(organization_id).label("organization_id"),
                literal(segment_id).label("segment_id"),
                changes.c.customer_id,
                changes.c.action,
                literal(reason, String()).label("reason"),
                literal(at, H.__table__.c.at.type).label("at"),
                (
                    literal(after_seq, BigInteger())
                    + func.row_number().over(order_by=(changes.c.action, changes.c.customer_id))
                ).label("seq"),
                literal(name, H.__table__.c.segment_name.type).label("segment_name"),
                literal(request_id, H.__table__.c.request_id.type).label("request_id"),
            )
            columns = [c.name for c in numbered.selected_columns]
            done = session.execute(insert(H).from_select(columns, numbered))
            session.execute(DropTable(changes))
            return int(done.rowcount or 0)

        return write

    @staticmethod
    def rows_writer(rows: list[dict[str, Any]]) -> Any:
        """The commit-time writer of known history rows (a few customers' changes)."""

        def write(session: Any, after_seq: int) -> int:
            numbered = [{**row, "seq": after_seq + n} for n, row in enumerate(rows, 1)]
            session.execute(insert(H), numbered)
            return len(numbered)

        return write

    async def delete_memberships(self, segment_id: uuid.UUID) -> None:
        """No foreign key cascades from the segment. Its history stays: it is the feed's
        record of the membership events already numbered and perhaps delivered."""
        await self.session.execute(
            delete(M).where(M.organization_id == self.organization_id, M.segment_id == segment_id)
        )

    async def lock_for_members(self, segment_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
        """Names of those of these segments that still exist, held until commit with FOR KEY SHARE
        (what the foreign key took, once per statement instead of per row), in id order so
        two writers never wait on each other crosswise. A recalculation in flight
        (FOR UPDATE) is waited for; a segment being deleted is waited for and then absent;
        edits of the segment and other writers of its members are not held up."""
        if not segment_ids:
            return {}
        stmt = (
            select(Segment.id, Segment.name)
            .where(
                Segment.organization_id == self.organization_id,
                Segment.id.in_(sorted(segment_ids)),
            )
            .order_by(Segment.id)
        )
        if self.dialect == "postgresql":
            stmt = stmt.with_for_update(read=True, key_share=True)
        return {row.id: row.name for row in await self.session.execute(stmt)}

    async def lock_all(self, segment_ids: Sequence[uuid.UUID]) -> None:
        """FOR UPDATE, in id order: for a transaction that recalculates several segments
        (the lifecycle ones), so it never holds one while waiting for another."""
        if self.dialect != "postgresql" or not segment_ids:
            return
        stmt = (
            select(Segment.id)
            .where(
                Segment.organization_id == self.organization_id,
                Segment.id.in_(sorted(segment_ids)),
            )
            .order_by(Segment.id)
            .with_for_update()
        )
        await self.session.execute(stmt)

    async def count_all(self, segment_id: uuid.UUID) -> int:
        stmt = (
            select(func.count())
            .select_from(M)
            .where(M.organization_id == self.organization_id, M.segment_id == segment_id)
        )
        return int((await self.session.execute(stmt)).scalar_one())


def _json_object(dialect: str, pairs: dict[str, Any]) -> Any:
    args: list[Any] = []
    for key, value in pairs.items():
        args += [literal(key, String()), value]
    if dialect == "postgresql":
        return func.jsonb_build_object(*args)
    return func.json_object(*args)


def _uuid_text(dialect: str, column: Any) -> Any:
    """A UUID column as its canonical text (SQLite stores 32 hex digits)."""
    if dialect == "postgresql":
        return cast(column, Text)
    parts = [
        func.substr(column, start, length)
        for start, length in ((1, 8), (9, 4), (13, 4), (17, 4), (21, 12))
    ]
    out = parts[0]
    for part in parts[1:]:
        out = out.op("||")("-").op("||")(part)
    return func.lower(out)


def membership_events(
    dialect: str,
    organization_id: uuid.UUID,
    after_seq: int,
    event_type: str | None,
    customer_id: uuid.UUID | None,
) -> Select[Any] | None:
    """The feed's segment.assigned / segment.unassigned events past the cursor: the
    history rows numbered in the feed, shaped as the outbox's feed columns. The payload is
    what it was at commit, whatever became of the segment since."""
    actions = {"segment.assigned": "entered", "segment.unassigned": "left"}
    if event_type and event_type not in actions:
        return None
    payload = _json_object(
        dialect,
        {
            "segment_id": _uuid_text(dialect, H.segment_id),
            "segment_name": H.segment_name,
            "customer_id": _uuid_text(dialect, H.customer_id),
            "reason": H.reason,
        },
    )
    event = case((H.action == "entered", "segment.assigned"), else_="segment.unassigned")
    stmt = select(
        H.seq.label("seq"),
        event.label("event_type"),
        literal("customer", String()).label("aggregate_type"),
        H.customer_id.label("aggregate_id"),
        type_coerce(payload, JSONType).label("payload"),
        H.at.label("occurred_at"),
        H.request_id.label("request_id"),
    ).where(H.organization_id == organization_id, H.seq > after_seq)
    if event_type:
        stmt = stmt.where(H.action == actions[event_type])
    if customer_id is not None:
        stmt = stmt.where(H.customer_id == customer_id)
    return stmt
