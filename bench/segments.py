"""Segments scenario: recompute times for one dynamic segment (first materialisation and
no change), 100 segments, one customer's incremental refresh, preview and explain.

Builds its own database (never the harness's): `clientbase demo` customers, then synthetic
completed transactions with items written set-based, then exact metrics.

    .venv/bin/python -m bench.segments --db postgres --customers 100000 --orders 10
    .venv/bin/python -m bench.segments --db sqlite --customers 20000 --reuse

Results: bench/results/<date>-segments-<db>-<customers>.json (machine noted)."""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select, text

import clientbase.db.registry  # noqa: F401 - models and commit hooks
from bench import machine
from bench.database import DATA, Target, drop, loaded_customers, recreate
from clientbase.auth.actor import Actor
from clientbase.cli.bootstrap import prepare_database
from clientbase.config import Settings
from clientbase.customers.models import Customer
from clientbase.db.session import Database, session_scope
from clientbase.demo import service as demo
from clientbase.demo.repository import DemoRepository
from clientbase.metrics import service as metrics
from clientbase.segments import lifecycle, membership_service, service
from clientbase.segments.api_schemas import PreviewRequest, SegmentCreate
from clientbase.segments.recalculate import recalculate_all, recalculate_segment
from clientbase.segments.repository import SegmentRepository
from clientbase.tenancy.models import Organization

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
ONE = {
    "operator": "AND",
    "rules": [
        {
            "field": "total_spent",
            "operator": "greater_than",
            "value": 300,
            "timeframe": "last_365_days",
        },
        {
            "operator": "OR",
            "rules": [
                {"field": "city", "operator": "equals", "value": "Almaty"},
                {"field": "purchased_category", "operator": "contains", "value": "electronics"},
                {"field": "status", "operator": "in", "value": ["active", "prospect"]},
            ],
        },
    ],
}
PREVIEW_REQUESTS = 20
EXPLAIN_SAMPLE = 100  # customers, one explain request each
INCREMENTAL_SAMPLE = 20  # of them, one refresh each
CATEGORIES = ("electronics", "books", "toys", "garden", "food", "beauty", "sport", "home")


def variants(n: int) -> list[dict[str, Any]]:
    """n different, realistic criteria: profile, metric, window, purchase and JSON rules."""
    out = []
    for i in range(n):
        kind = i % 5
        if kind == 0:
            rule = {"field": "total_spent", "operator": "greater_than", "value": 50 * (i + 1)}
        elif kind == 1:
            rule = {
                "field": "order_count",
                "operator": "greater_or_equal",
                "value": 1 + i % 7,
                "timeframe": ("last_30_days", "last_90_days", "last_365_days")[i % 3],
            }
        elif kind == 2:
            rule = {
                "field": "purchased_category",
                "operator": "contains",
                "value": CATEGORIES[i % 8],
            }
        elif kind == 3:
            rule = {"field": "last_order_at", "operator": "within_last_days", "value": 10 + i}
        else:
            rule = {
                "field": "tags",
                "operator": "contains",
                "value": ("vip", "b2b", "wholesale")[i % 3],
            }
        status = {"field": "status", "operator": "not_equals", "value": "blocked"}
        out.append({"operator": "AND", "rules": [rule, status]})
    return out


class SegmentsTarget(Target):
    """A database of this scenario's own: never the harness's clientbase_bench_<n>."""

    @property
    def name(self) -> str:
        return f"clientbase_segbench_{self.customers}"

    @property
    def sqlite_path(self) -> Path:
        return DATA / f"{self.name}.db"


def target(db: str, customers: int, postgres_url: str) -> SegmentsTarget:
    name = f"clientbase_segbench_{customers}"
    if db == "postgres":
        from sqlalchemy.engine import make_url

        url = make_url(postgres_url).set(database=name).render_as_string(False)
        return SegmentsTarget("postgresql", customers, url, postgres_url)
    return SegmentsTarget("sqlite", customers, f"sqlite:///{DATA / (name + '.db')}")


async def build(t: Target, orders_per_customer: int, seed: int) -> dict[str, Any]:
    """Resumable: customers when they are missing, then transactions when there are none."""
    started = time.perf_counter()
    out: dict[str, Any] = {}
    if await loaded_customers(t) < t.customers:
        await recreate(t)
        settings = Settings(database_url=t.url, auto_migrate=True, secret_key="x" * 48)
        await prepare_database(Database(t.url), settings)
        loaded = await demo.run(
            Database(t.url), organization="Default", customers=t.customers, seed=seed
        )
        out["demo_seconds"] = round(loaded.seconds, 1)
    db = Database(t.url)
    try:
        async with session_scope(db) as session:
            org = (await session.execute(select(Organization.id))).scalars().first()
            have = (await session.execute(text("SELECT count(*) FROM transactions"))).scalar()
        if not have:
            tx_started = time.perf_counter()
            async with session_scope(db) as session:
                indexes = DemoRepository(session, org)
                restore = await indexes.suspend_indexes(["transaction_items", "transactions"])
                await _transactions(session, t.dialect, orders_per_customer)
                await indexes.restore_indexes(restore)
            out["transactions_seconds"] = round(time.perf_counter() - tx_started, 1)
        metrics_started = time.perf_counter()
        async with session_scope(db) as session:
            await metrics.recompute_organization(session, org)
        out["metrics_seconds"] = round(time.perf_counter() - metrics_started, 1)
        windows_started = time.perf_counter()
        async with session_scope(db) as session:
            await metrics.refresh_windows(session, org, full=True)
        out["windows_seconds"] = round(time.perf_counter() - windows_started, 1)
        if t.dialect == "postgresql":
            async with db.engine.connect() as conn:
                await conn.execution_options(isolation_level="AUTOCOMMIT")
                await conn.execute(text("VACUUM (ANALYZE)"))
        out["total_seconds"] = round(time.perf_counter() - started, 1)
        return out
    finally:
        await db.dispose()


async def _transactions(session: Any, dialect: str, per_customer: int) -> None:
    """~per_customer completed orders per customer (0..2x), over two years, 1-3 items each."""
    if dialect == "postgresql":
        await session.execute(
            text(
                """
            INSERT INTO transactions (id, organization_id, external_id, customer_id, business_id,
                occurred_at, status, amount, currency, created_at, updated_at, version)
            SELECT gen_random_uuid(), c.organization_id, 'bench-' || c.id || '-' || g,
                   c.id, m.business_id,
                   now() - (random() * interval '730 days'),
                   CASE WHEN random() < 0.9 THEN 'completed' ELSE 'refunded' END,
                   round((5 + random() * 300)::numeric, 2), 'KZT', now(), now(), 1
            FROM customers c
            JOIN memberships m ON m.customer_id = c.id
            CROSS JOIN LATERAL generate_series(1, abs(hashtext(c.id::text)) % (2 * :k + 1)) g
            """
            ),
            {"k": per_customer},
        )
        await session.execute(
            text(
                """
            INSERT INTO transaction_items (organization_id, transaction_id, sku, name, category,
                brand, quantity, unit_price, customer_id, occurred_at, counted)
            SELECT t.organization_id, t.id, 'SKU-' || (random() * 500)::int, NULL,
                   (ARRAY['electronics','books','toys','garden','food','beauty','sport','home'])
                       [1 + (random() * 7)::int],
                   'brand-' || (random() * 20)::int, 1, t.amount, t.customer_id, t.occurred_at,
                   t.status = 'completed'
            FROM transactions t
            """
            )
        )
        return
    await session.execute(
        text(
            """
        WITH RECURSIVE n(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM n WHERE g < :k * 2)
        INSERT INTO transactions (id, organization_id, external_id, customer_id, business_id,
            occurred_at, status, amount, currency, created_at, updated_at, version)
        SELECT lower(hex(randomblob(16))), c.organization_id, 'bench-' || c.id || '-' || n.g,
               c.id, m.business_id,
               datetime('now', '-' || (abs(random()) % 730) || ' days'),
               CASE WHEN abs(random()) % 10 < 9 THEN 'completed' ELSE 'refunded' END,
               round(5 + (abs(random()) % 30000) / 100.0, 2), 'KZT',
               datetime('now'), datetime('now'), 1
        FROM customers c JOIN memberships m ON m.customer_id = c.id JOIN n
        WHERE n.g <= abs(random()) % (2 * :k + 1)
        """
        ),
        {"k": per_customer},
    )
    await session.execute(
        text(
            """
        INSERT INTO transaction_items (organization_id, transaction_id, sku, category, brand,
            quantity, unit_price, customer_id, occurred_at, counted)
        SELECT organization_id, id, 'SKU-' || (abs(random()) % 500),
               CASE abs(random()) % 8 WHEN 0 THEN 'electronics' WHEN 1 THEN 'books'
                    WHEN 2 THEN 'toys' WHEN 3 THEN 'garden' WHEN 4 THEN 'food'
                    WHEN 5 THEN 'beauty' WHEN 6 THEN 'sport' ELSE 'home' END,
               'brand-' || (abs(random()) % 20), 1, amount, customer_id, occurred_at,
               status = 'completed'
        FROM transactions
        """
        )
    )


async def timed(db: Database, fn: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    async with session_scope(db) as session:
        result = await fn(session)
    return time.perf_counter() - started, result


async def measure(t: Target, segments: int) -> dict[str, Any]:
    db = Database(t.url)
    try:
        org, sample = await _organization_and_sample(db)
        actor = Actor.system(org, label="bench")
        out = await measure_one(db, actor, sample)
        name = f"bench-{uuid.uuid4().hex[:6]}"

        async def create_many(session: Any) -> None:
            for i, criteria in enumerate(variants(segments - 1)):
                await service.create_segment(
                    session, actor, SegmentCreate(name=f"{name}-{i}", criteria=criteria)
                )

        await timed(db, create_many)
        many_first, m1 = await timed(db, lambda s: recalculate_all(s, actor))
        many_again, m2 = await timed(db, lambda s: recalculate_all(s, actor))
        out["all_segments"] = {
            "segments": m1["segments"],
            "first_materialisation_s": round(many_first, 2),
            "memberships_written": m1["entered"],
            "no_change_s": round(many_again, 2),
            "no_change_entered_left": [m2["entered"], m2["left"]],
        }
        life, lr = await timed(db, lambda s: lifecycle.recalculate_lifecycle(s, actor))
        out["lifecycle_first_s"] = round(life, 2)
        out["lifecycle_result"] = lr
        out["incremental_one_customer_s"] = await measure_incremental(
            db, actor, sample[:INCREMENTAL_SAMPLE]
        )
    finally:
        await db.dispose()
    return out


async def _organization_and_sample(db: Database) -> tuple[Any, list[Any]]:
    async with session_scope(db) as session:
        org = (await session.execute(select(Organization.id))).scalars().first()
        sample = list(
            (
                await session.execute(
                    select(Customer.id)
                    .where(Customer.organization_id == org)
                    .order_by(Customer.id)
                    .limit(EXPLAIN_SAMPLE)
                )
            ).scalars()
        )
    return org, sample


async def measure_one(
    db: Database, actor: Actor, sample: list[Any], *, keep: bool = True
) -> dict[str, Any]:
    """One new segment: first materialisation, no change, preview and explain. A rerun
    (keep=False) deletes it afterwards, so later runs find the same segments as before."""
    out: dict[str, Any] = {}
    async with session_scope(db) as session:
        out["transactions"] = (
            await session.execute(text("SELECT count(*) FROM transactions"))
        ).scalar()
    name = f"bench-{uuid.uuid4().hex[:6]}"

    async def create_one(session: Any) -> Any:
        segment, _ = await service.create_segment(
            session, actor, SegmentCreate(name=name, criteria=ONE)
        )
        return segment.id

    _, sid = await timed(db, create_one)
    try:
        await _measure_segment(db, actor, sid, sample, out)
    finally:
        if not keep:
            await timed(db, lambda s: service.delete_segment(s, actor, sid))
    return out


async def _measure_segment(
    db: Database, actor: Actor, sid: Any, sample: list[Any], out: dict[str, Any]
) -> None:
    first, r1 = await timed(db, lambda s: recalculate_segment(s, actor, sid))
    again, r2 = await timed(db, lambda s: recalculate_segment(s, actor, sid))
    out["one_segment"] = {
        "first_materialisation_s": round(first, 3),
        "members": r1["member_count"],
        "no_change_s": round(again, 3),
        "no_change_entered_left": [r2["entered"], r2["left"]],
    }
    preview = []
    for _ in range(PREVIEW_REQUESTS):
        seconds, _count = await timed(
            db, lambda s: service.preview(s, actor, PreviewRequest(criteria=ONE))
        )
        preview.append(seconds)
    preview.sort()
    out["preview_count_s"] = {
        "requests": len(preview),
        "median": round(statistics.median(preview), 3),
        "p95": round(preview[int(0.95 * (len(preview) - 1))], 3),
        "max": round(preview[-1], 3),
    }
    # The process's first explain also builds its statements (20-45 ms once): reported
    # apart, then one request per customer of the sample.
    first_explain, _ = await timed(db, lambda s: service.explain(s, actor, sid, sample[0]))
    explain = []
    for cid in sample:
        seconds, _ = await timed(db, lambda s, c=cid: service.explain(s, actor, sid, c))
        explain.append(seconds)
    explain.sort()
    out["explain_s"] = {
        "requests": len(explain),
        "first": round(first_explain, 4),
        "median": round(statistics.median(explain), 4),
        "p95": round(explain[int(0.95 * (len(explain) - 1))], 4),
    }


async def measure_incremental(db: Database, actor: Actor, sample: list[Any]) -> dict[str, Any]:
    """One customer's refresh against every dynamic segment there is, for each customer
    of the sample; the first also builds the segments' queries (once per process)."""
    async with session_scope(db) as session:
        segments = len(await SegmentRepository(session, actor.organization_id).dynamic_rules())
    refresh = []
    for cid in sample:
        seconds, _ = await timed(
            db, lambda s, c=cid: membership_service.refresh_for_customers(s, actor, [c])
        )
        refresh.append(seconds)
    refresh.sort()
    return {
        "segments": segments,
        "median": round(statistics.median(refresh), 4),
        "p95": round(refresh[int(0.95 * (len(refresh) - 1))], 4),
    }


async def remeasure_incremental(t: Target) -> dict[str, Any]:
    """`--only incremental` on a loaded database: the refresh alone, against the segments
    an earlier run created, for the same sample of customers."""
    db = Database(t.url)
    try:
        org, sample = await _organization_and_sample(db)
        return await measure_incremental(
            db, Actor.system(org, label="bench"), sample[:INCREMENTAL_SAMPLE]
        )
    finally:
        await db.dispose()


async def main(args: argparse.Namespace) -> None:
    t = target(args.db, args.customers, args.postgres_url)
    if args.only in ("incremental", "one"):
        await rerun(t, args)
        return
    if not args.reuse:
        await drop(t)
    built = await build(t, args.orders, args.seed)
    print("loaded", built, flush=True)
    if args.only == "build":
        return
    result = {
        "scenario": "segments",
        "date": datetime.now(UTC).date().isoformat(),
        "database": t.dialect,
        "customers": args.customers,
        "orders_per_customer": args.orders,
        "load": built,
        "machine": await machine.facts(args.postgres_url if args.db == "postgres" else None),
        "results": await measure(t, args.segments),
        "targets": {
            "one_segment_no_change_s": 5,
            "one_segment_first_s": 8,
            "hundred_segments_s": 300,
            "incremental_one_customer_s": 0.05,
            "preview_p95_s": 2,
            "explain_p95_s": 0.05,
            "at": "1,000,000 customers, 10,000,000 transactions (PostgreSQL)",
        },
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{result['date']}-segments-{t.label}-{args.customers}.json"
    if path.exists():  # a second full run the same day keeps the first one's figures
        previous = json.loads(path.read_text())
        result["earlier_runs"] = [*previous.pop("earlier_runs", []), previous]
    path.write_text(json.dumps(result, indent=2, default=str))
    print(json.dumps(result["results"], indent=2, default=str))
    print("written", path)
    if args.drop:
        await drop(t)


async def rerun(t: Target, args: argparse.Namespace) -> None:
    """Measure one part again (`--only incremental` or `one`) on the loaded database. The
    full run's figures in today's result file stay as they were; each rerun is appended
    under `reruns.<part>` with its own machine facts and transaction count."""
    path = (
        RESULTS / f"{datetime.now(UTC).date().isoformat()}-segments-{t.label}-{args.customers}.json"
    )
    result = json.loads(path.read_text())
    before = machine.load_average()
    if args.only == "incremental":
        new = {"incremental_one_customer_s": await remeasure_incremental(t)}
    else:
        db = Database(t.url)
        try:
            org, sample = await _organization_and_sample(db)
            new = await measure_one(db, Actor.system(org, label="bench"), sample, keep=False)
        finally:
            await db.dispose()
    facts = await machine.facts(args.postgres_url if args.db == "postgres" else None)
    runs = result.setdefault("reruns", {}).get(args.only)
    if not isinstance(runs, list):  # the first reruns were recorded as a single entry
        runs = [runs] if runs else []
    runs.append(
        {
            **facts,
            "load_average_before": before,
            "load_average_after": machine.load_average(),
            "results": new,
        }
    )
    result["reruns"][args.only] = runs
    path.write_text(json.dumps(result, indent=2, default=str))
    print(json.dumps(new, indent=2, default=str), "written", path)


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="postgres")
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--orders", type=int, default=10, help="mean orders per customer")
    parser.add_argument("--segments", type=int, default=100)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument(
        "--reuse", action="store_true", help="keep what a previous run loaded (resumes a load)"
    )
    parser.add_argument("--drop", action="store_true", help="drop the database afterwards")
    parser.add_argument(
        "--only",
        choices=("build", "incremental", "one"),
        help="only load the database, or remeasure one part on a loaded database (one: "
        "the single segment's recalculations, preview and explain)",
    )
    parser.add_argument("--postgres-url", default="postgresql://postgres@127.0.0.1:5432/postgres")
    asyncio.run(main(parser.parse_args()))


if __name__ == "__main__":
    cli()
