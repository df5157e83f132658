"""Transactions and analytics scenario (issue 5's targets): the demo load of customers with
purchase histories through `clientbase demo --transactions-per-customer K`, the full
metrics and RFM recompute, the analytics recalculation with the CLV fit and per-customer
predictions, incremental upkeep for 10,000 touched customers, GET /customers/{id}/analytics
under 8 clients and bulk ingest through POST /api/v1/transactions/bulk, on the real server.

Builds its own database (never the harness's): clientbase_txbench_<customers>.

    .venv/bin/python -m bench.transactions --customers 1000000 --per-customer 10 --drop
    .venv/bin/python -m bench.transactions --customers 100000 --only load,analytics

Results: bench/results/<date>-transactions-<db>-<customers>.json (machine noted); a run with
--only writes <...>-<customers>-<phases>.json beside it."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import secrets
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import httpx
from sqlalchemy import select

import clientbase.db.registry  # noqa: F401 - models and commit hooks
from bench import database, machine, report
from bench.client import measure
from bench.database import DATA, Target, drop, loaded_customers, recreate
from bench.server import CLIENTBASE, Server, app_env
from clientbase.analytics import recalculate as recalculation
from clientbase.analytics import repository as analytics_repository
from clientbase.auth.actor import Actor
from clientbase.cli.bootstrap import prepare_database
from clientbase.config import Settings
from clientbase.db.session import Database, session_scope
from clientbase.metrics import service as metrics
from clientbase.tenancy import service as tenancy
from clientbase.tenancy.models import Organization

ROOT = Path(__file__).resolve().parent.parent
PHASES = ("load", "metrics", "analytics", "incremental", "endpoint", "bulk")
TARGETS = {
    "bulk_ingest_tps": (">=", 10_000),
    "load_10m_s": ("<=", 900),
    "metrics_rfm_full_s": ("<=", 60),
    "incremental_10k_s": ("<=", 2),
    "clv_1m_s": ("<=", 60),
    "clv_100k_s": ("<=", 10),
    "analytics_p95_ms": ("<=", 20),
}


def log(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", flush=True)


def target(customers: int, postgres_url: str) -> TxTarget:
    from sqlalchemy.engine import make_url

    name = f"clientbase_txbench_{customers}"
    url = make_url(postgres_url).set(database=name).render_as_string(False)
    return TxTarget("postgresql", customers, url, postgres_url)


class TxTarget(Target):
    """A database of this scenario's own: never the harness's clientbase_bench_<n>."""

    @property
    def name(self) -> str:
        return f"clientbase_txbench_{self.customers}"

    @property
    def sqlite_path(self) -> Path:
        return DATA / f"{self.name}.db"


async def load(t: TxTarget, per_customer: float, seed: int) -> dict[str, Any]:
    """Fresh database, migrated, an admin for the HTTP parts, then the demo command itself
    as a subprocess (wall clock, as an operator would see it), then VACUUM ANALYZE."""
    await recreate(t)
    settings = Settings(
        database_url=t.url, auto_migrate=True, admin_email=database.ADMIN_EMAIL,
        admin_password=secrets.token_urlsafe(16), secret_key=secrets.token_urlsafe(48),
    )  # fmt: skip
    await prepare_database(Database(t.url), settings)
    command = [
        str(Path(sys.executable).parent / "clientbase"), "demo", "--customers", str(t.customers),
        "--transactions-per-customer", str(per_customer), "--seed", str(seed),
    ]  # fmt: skip
    env = {
        **os.environ,
        "CLIENTBASE_DATABASE_URL": t.url,
        "CLIENTBASE_SECRET_KEY": secrets.token_urlsafe(48),
        "CLIENTBASE_ENVIRONMENT": "production",
    }
    log(f"running {' '.join(command[1:])}")
    started = time.perf_counter()
    done = await asyncio.to_thread(
        subprocess.run, command, env=env, cwd=ROOT, capture_output=True, text=True
    )
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"demo failed: {done.stdout}\n{done.stderr[-3000:]}")
    output = done.stdout.strip()
    log(output)
    vacuum = await database.vacuum(t)
    return {
        "command": " ".join(command[1:]),
        "wall_seconds": round(wall, 1),
        **parse_demo(output),
        "vacuum_seconds": round(vacuum, 1),
        **await _counts(t),
    }


def parse_demo(output: str) -> dict[str, Any]:
    """The demo command's own report: its seconds (including the commit) and phases."""
    phases = {}
    found = re.search(r"Phases: (.*)", output)
    if found:
        for part in found.group(1).split(", "):
            name, seconds = part.split(" ")[:2]
            phases[name] = float(seconds)
    reported = re.search(r"Loaded .* in ([0-9.]+) s", output)
    return {
        "demo_seconds": float(reported.group(1)) if reported else None,
        "phases": phases,
        "output": output,
    }


async def _counts(t: TxTarget) -> dict[str, int]:
    conn = await asyncpg.connect(t.url)
    try:
        return {
            table: int(await conn.fetchval(f"SELECT count(*) FROM {table}"))  # noqa: S608
            for table in ("customers", "transactions", "transaction_items", "customer_metrics")
        }
    finally:
        await conn.close()


async def timed(
    db: Database, fn: Callable[[Any], Awaitable[Any]], *, commit: bool = True
) -> tuple[float, Any]:
    """One transaction; seconds including the commit, or, with commit=False, up to the
    point it would commit (then rolled back, leaving the data as it was)."""
    if not commit:
        async with db.sessionmaker() as session:
            started = time.perf_counter()
            result = await fn(session)
            await session.flush()
            seconds = time.perf_counter() - started
            await session.rollback()
        return seconds, result
    started = time.perf_counter()
    async with session_scope(db) as session:
        result = await fn(session)
    return time.perf_counter() - started, result


async def organization(db: Database) -> tuple[uuid.UUID, uuid.UUID]:
    async with session_scope(db) as session:
        org = (await session.execute(select(Organization.id))).scalars().first()
        business = (await tenancy.organization_business_ids(session, org))[0]
    return org, business


async def measure_metrics(t: TxTarget, from_empty: bool) -> dict[str, Any]:
    """The full recompute when nothing changed (the nightly case), optionally into an
    emptied metrics table (the first time), and the RFM quintiles of the default business."""
    db = Database(t.url)
    try:
        org, business = await organization(db)
        unchanged, changed = await timed(db, lambda s: metrics.recompute_organization(s, org))
        log(f"metrics full recompute, nothing changed: {unchanged:.1f} s ({changed} rows)")
        first, written = None, None
        if from_empty:  # the first computation; the demo load's own "metrics" phase is one too
            conn = await asyncpg.connect(t.url)
            try:
                await conn.execute("DELETE FROM customer_metrics WHERE organization_id = $1", org)
                await conn.execute("VACUUM ANALYZE customer_metrics")
            finally:
                await conn.close()
            first, written = await timed(db, lambda s: metrics.recompute_organization(s, org))
            log(f"metrics full recompute from empty: {first:.1f} s ({written} rows)")
        until = recalculation.end_of(datetime.now(UTC).date())
        rfm, scored = await timed(
            db, lambda s: analytics_repository.write_rfm(s, org, business, until)
        )
        log(f"RFM quintiles: {rfm:.1f} s ({scored} rows)")
        return {
            "full_unchanged_s": round(unchanged, 2),
            "full_unchanged_rows": changed,
            "full_from_empty_s": None if first is None else round(first, 2),
            "full_from_empty_rows": written,
            "rfm_s": round(rfm, 2),
            "rfm_rows": scored,
            "metrics_rfm_full_s": round(unchanged + rfm, 2),
        }
    finally:
        await db.dispose()


def _timing(phases: dict[str, float], name: str, fn: Any) -> Any:
    if asyncio.iscoroutinefunction(fn):

        async def wrapped_async(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return await fn(*args, **kwargs)
            finally:
                phases[name] = phases.get(name, 0.0) + time.perf_counter() - started

        return wrapped_async

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            phases[name] = phases.get(name, 0.0) + time.perf_counter() - started

    return wrapped


async def measure_analytics(t: TxTarget) -> dict[str, Any]:
    """`clientbase recalculate analytics` in-process, each step of it timed: metrics,
    activity, purchase days read, BG/NBD + Gamma-Gamma fit, predictions, score writes, RFM.
    Scores an earlier run stored today are first made yesterday's, so every buyer's scores
    are rewritten as in a nightly run, never the no-change case of a second run on one day
    (no VACUUM: a heap-only update prunes the page's earlier versions itself)."""
    conn = await asyncpg.connect(t.url)
    try:
        await conn.execute(
            "UPDATE customer_metrics SET analytics_as_of = analytics_as_of - interval '1 day'"
            " WHERE analytics_as_of >= current_date"
        )
    finally:
        await conn.close()
    db = Database(t.url)
    phases: dict[str, float] = {}
    patched = {
        (recalculation.metrics, "recompute_organization"): "metrics",
        (recalculation.repository, "activity_counts"): "activity",
        (recalculation.repository, "purchase_days"): "purchase_days",
        (recalculation, "fit_daily"): "fit",
        (recalculation, "predict"): "predict",
        (recalculation.repository, "write_scores"): "write_scores",
        (recalculation.repository, "write_rfm"): "rfm",
        (recalculation.repository, "save_fit"): "save_fit",
    }
    originals = {key: getattr(*key) for key in patched}
    try:
        for (owner, attr), name in patched.items():
            setattr(owner, attr, _timing(phases, name, originals[(owner, attr)]))
        org, _ = await organization(db)
        day = datetime.now(UTC).date()
        seconds, result = await timed(db, lambda s: recalculation.recalculate(s, org, as_of=day))
    finally:
        for (owner, attr), original in originals.items():
            setattr(owner, attr, original)
        await db.dispose()
    rounded = {k: round(v, 2) for k, v in phases.items()}
    accounted = sum(phases.values())
    clv = seconds - phases.get("metrics", 0) - phases.get("rfm", 0) - phases.get("activity", 0)
    log(f"analytics recalculation {seconds:.1f} s: {rounded}; {result['fits']}")
    return {
        "total_s": round(seconds, 2),
        "phases_s": rounded,
        "scores_rows_and_commit_s": round(seconds - accounted, 2),
        "clv_fit_and_predictions_s": round(clv, 2),
        "fits": result["fits"],
    }


async def sample_customers(t: TxTarget, n: int, seed: int) -> list[uuid.UUID]:
    """n customers with purchases, spread over the table, the same ones for a seed."""
    conn = await asyncpg.connect(t.url)
    try:
        percent = min(100.0, n * 300 / max(t.customers, 1))
        rows = await conn.fetch(
            "SELECT customer_id FROM customer_metrics TABLESAMPLE BERNOULLI ($1) REPEATABLE ($2)"
            " WHERE order_count > 0 LIMIT $3",
            percent,
            seed,
            n,
        )
    finally:
        await conn.close()
    return [r[0] for r in rows]


async def measure_incremental(t: TxTarget, rounds: int = 3) -> dict[str, Any]:
    """The metric upkeep for 10,000 touched customers, both ways it runs: new purchases
    added to the stored numbers (each ingest: metrics.add_purchases, one purchase each), and
    a recompute from their histories (status changes: metrics.refresh, when all of their
    numbers changed and when none did). Each round is rolled back, so rounds and reruns
    see the same data."""
    db = Database(t.url)
    added_s, changed_s, unchanged_s = [], [], []
    try:
        org, _ = await organization(db)
        actor = Actor.system(org, label="bench")
        now = datetime.now(UTC)
        for n in range(rounds):
            ids = await sample_customers(t, 10_000, 100 + n)
            purchases = [
                {"customer_id": i, "status": "completed", "amount": Decimal("12.34"),
                 "occurred_at": now - timedelta(minutes=k)}
                for k, i in enumerate(ids)
            ]  # fmt: skip
            seconds, _ = await timed(
                db, lambda s, p=purchases: metrics.add_purchases(s, actor, p), commit=False
            )
            added_s.append(seconds)
            conn = await asyncpg.connect(t.url)
            try:
                await conn.execute(
                    "UPDATE customer_metrics SET total_spent = total_spent + 1 "
                    "WHERE customer_id = ANY($1::uuid[])",
                    ids,
                )
            finally:
                await conn.close()
            seconds, written = await timed(db, lambda s, i=ids: metrics.refresh(s, actor, i))
            changed_s.append(seconds)
            again, same = await timed(db, lambda s, i=ids: metrics.refresh(s, actor, i))
            unchanged_s.append(again)
            log(
                f"10,000 customers: add purchases {added_s[-1]:.2f} s, recompute {seconds:.2f} s"
                f" ({written} rows), again {again:.2f} s ({same})"
            )
    finally:
        await db.dispose()
    # The target is the ingest's upkeep: 10,000 customers touched at once is a bulk
    # ingest; a status change recomputes the one customer it touched.
    return {
        "customers": 10_000,
        "add_purchases_s": [round(v, 2) for v in added_s],
        "recompute_all_changed_s": [round(v, 2) for v in changed_s],
        "recompute_unchanged_s": [round(v, 2) for v in unchanged_s],
        "recompute_10k_s": round(statistics.median(changed_s), 2),
        "incremental_10k_s": round(statistics.median(added_s), 2),
    }


def _server(t: TxTarget, secret_key: str, workers: int) -> Server:
    env = app_env(t.url, secret_key)
    return Server(CLIENTBASE, workers=workers, env=env, name="txapp")


async def measure_endpoint(t: TxTarget, args: argparse.Namespace) -> dict[str, Any]:
    secret_key = secrets.token_urlsafe(48)
    token, _, _ = await database.credentials(t, secret_key)
    ids = await sample_customers(t, 3000, 7)
    paths = [f"/api/v1/customers/{i}/analytics" for i in ids]
    server = _server(t, secret_key, args.workers)
    server.start()
    try:
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx.AsyncClient(base_url=server.url, headers=headers, timeout=60) as http:
            (await http.get(paths[0])).raise_for_status()
        out = {}
        for concurrency in (1, args.concurrency):
            stats = await measure(
                "127.0.0.1", server.port, paths, headers=headers, concurrency=concurrency,
                max_requests=args.requests, max_seconds=args.seconds,
            )  # fmt: skip
            log(f"analytics c={concurrency}: {stats.as_dict()}")
            out[f"c{concurrency}"] = stats.as_dict()
    finally:
        server.stop()
    return {**out, "analytics_p95_ms": out[f"c{args.concurrency}"]["p95_ms"]}


def bulk_body(ids: list[uuid.UUID], run: str, start: int, size: int, rng: random.Random) -> bytes:
    now = datetime.now(UTC)
    items = []
    for i in range(start, start + size):
        lines = []
        for n in range(1 + int(rng.random() * 3)):
            lines.append(
                {
                    "sku": f"BENCH-{n}{int(rng.random() * 400)}",
                    "name": "Bench product",
                    "category": ("groceries", "home", "beauty", "electronics")[n],
                    "brand": "Bench",
                    "quantity": str(1 + int(rng.random() * 2)),
                    "unit_price": f"{int(500 + rng.random() * 20000)}.00",
                }
            )
        items.append(
            {
                "external_id": f"bench-{run}-{i}",
                "customer_id": str(ids[i % len(ids)]),
                "occurred_at": (now - timedelta(minutes=i % 10_000)).isoformat(),
                "status": "completed",
                "channel": "online",
                "items": lines,
            }
        )
    return json.dumps({"items": items}).encode()


async def measure_bulk(t: TxTarget, args: argparse.Namespace) -> dict[str, Any]:
    """POST /api/v1/transactions/bulk with 10,000 new transactions a request (distinct
    customers, 1-3 items each), `--bulk-requests` requests for each number of clients in
    `--bulk-clients`, each client posting its next request as soon as its last returned."""
    secret_key = secrets.token_urlsafe(48)
    token, _, _ = await database.credentials(t, secret_key)
    # Other customers each run, as an ingest meets them: a rerun on the same ones finds their
    # pages already written since the last checkpoint (no full-page images) and looked
    # twice as fast.
    seed = random.SystemRandom().randrange(1, 2**31)
    ids = await sample_customers(t, 50_000, seed)
    rng, run = random.Random(seed), uuid.uuid4().hex[:8]  # noqa: S311
    size, requests = 10_000, args.bulk_requests
    clients = [int(c) for c in args.bulk_clients.split(",")]
    # This server runs without autovacuum: each purchase rewrites its buyer's metrics row
    # in place of the old version, and the dead versions earlier runs left (2.7 M beside
    # 0.5 M live after a few runs) made every run slower than the one before. VACUUM
    # clears them as a production server's autovacuum would, so runs start alike.
    vacuumed = await database.vacuum(t)
    bodies = [bulk_body(ids, run, k * size, size, rng) for k in range(requests * len(clients))]
    server = _server(t, secret_key, args.workers)
    server.start()
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    out: dict[str, Any] = {
        "rows_per_request": size,
        "requests": requests,
        "sample_seed": seed,
        "vacuum_before_s": round(vacuumed, 1),
    }
    try:
        async with httpx.AsyncClient(base_url=server.url, headers=headers, timeout=600) as http:

            async def client(queue: list[bytes], latencies: list[float]) -> None:
                while queue:
                    body = queue.pop()
                    started = time.perf_counter()
                    answer = await http.post("/api/v1/transactions/bulk", content=body)
                    answer.raise_for_status()
                    parsed = answer.json()
                    if len(parsed["created"]) != size or parsed["errors"]:
                        raise RuntimeError(
                            f"bulk: {len(parsed['created'])} created, {parsed['errors'][:3]}"
                        )
                    latencies.append(time.perf_counter() - started)

            for n, count in enumerate(clients):
                queue = bodies[n * requests : (n + 1) * requests][::-1]
                latencies: list[float] = []
                started = time.perf_counter()
                await asyncio.gather(*(client(queue, latencies) for _ in range(count)))
                elapsed = time.perf_counter() - started
                out[f"clients_{count}"] = {
                    "seconds": round(elapsed, 2),
                    "tps": round(requests * size / elapsed),
                    "request_s": [round(v, 2) for v in latencies],
                }
                log(f"bulk, {count} client(s): {out[f'clients_{count}']}")
    finally:
        server.stop()
    out["bulk_ingest_tps"] = max(out[f"clients_{c}"]["tps"] for c in clients)
    return out


def judge(figures: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for name, (op, limit) in TARGETS.items():
        value = figures.get(name)
        met = None
        if value is not None:
            met = value >= limit if op == ">=" else value <= limit
        out.append({"target": name, "value": value, "limit": f"{op} {limit}", "met": met})
    return out


async def main(args: argparse.Namespace) -> dict[str, Any]:
    t = target(args.customers, args.postgres_url)
    phases = args.only.split(",") if args.only else list(PHASES)
    load_before = machine.load_average()
    facts = await machine.facts(args.postgres_url)
    result: dict[str, Any] = {
        "scenario": "transactions",
        "date": datetime.now(UTC).date().isoformat(),
        "database": t.dialect,
        "customers": args.customers,
        "transactions_per_customer": args.per_customer,
        "phases_run": phases,
    }
    if "load" in phases or await loaded_customers(t) < args.customers:
        result["load"] = await load(t, args.per_customer, args.seed)
    else:
        result["load"] = {"reused": True, **await _counts(t)}
        if args.demo_log:  # the figures of the run that loaded this database
            text = Path(args.demo_log).read_text()  # noqa: ASYNC240 - once, before timing
            command = re.search(r"running (demo .*)", text)
            result["load"].update(command=command.group(1) if command else None, **parse_demo(text))
    measured: dict[str, Any] = {}
    if "metrics" in phases:
        measured["metrics"] = await measure_metrics(t, args.from_empty)
    if "analytics" in phases:
        measured["analytics"] = await measure_analytics(t)
    if "incremental" in phases:
        measured["incremental"] = await measure_incremental(t)
    if "endpoint" in phases:
        measured["endpoint"] = await measure_endpoint(t, args)
    if "bulk" in phases:
        measured["bulk"] = await measure_bulk(t, args)
    figures: dict[str, Any] = {}
    load_s = result["load"].get("wall_seconds") or result["load"].get("demo_seconds")
    if load_s and result["load"]["transactions"] >= 9_000_000:
        figures["load_10m_s"] = load_s
    for section, key in (
        ("metrics", "metrics_rfm_full_s"),
        ("incremental", "incremental_10k_s"),
        ("endpoint", "analytics_p95_ms"),
        ("bulk", "bulk_ingest_tps"),
    ):
        if section in measured:
            figures[key] = measured[section][key]
    if "analytics" in measured:
        size = "clv_1m_s" if args.customers >= 1_000_000 else "clv_100k_s"
        if args.customers in (100_000, 1_000_000):
            figures[size] = measured["analytics"]["clv_fit_and_predictions_s"]
    result.update(
        results=measured,
        figures=figures,
        targets=judge(figures),
        machine={
            **facts,
            "load_average_before": load_before,
            "load_average_after": machine.load_average(),
        },
    )
    stem = f"{result['date']}-transactions-{t.label}-{args.customers}"
    if args.only:  # a partial run never replaces the day's full one
        stem += "-" + "-".join(phases)
    path = report.result_path(stem, result)
    path.write_text(json.dumps(result, indent=2, default=str))
    for judged in result["targets"]:
        verdict = {True: "met", False: "MISSED", None: "-"}[judged["met"]]
        log(f"{judged['target']:<22} {judged['value']!s:<10} {judged['limit']:<10} {verdict}")
    print("written", path, flush=True)
    if args.drop:
        await drop(t)
        log(f"dropped {t.name}")
    return result


def cli() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--per-customer", type=float, default=10, help="mean orders each")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--only", help=f"comma-separated subset of {','.join(PHASES)}")
    parser.add_argument("--workers", type=int, default=2, help="server processes")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--bulk-requests", type=int, default=6, help="of 10,000 rows each")
    parser.add_argument(
        "--bulk-clients", default="1,2,3", help="clients posting at once, one measure each"
    )
    parser.add_argument("--drop", action="store_true", help="drop the database afterwards")
    parser.add_argument("--demo-log", help="with --only: the log of the run that loaded it")
    parser.add_argument(
        "--from-empty",
        action="store_true",
        help="also time the metrics recompute into an emptied table (slow: a foreign-key "
        "check locks each customer row)",
    )
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "CLIENTBASE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
        ),
    )
    asyncio.run(main(parser.parse_args()))


if __name__ == "__main__":
    cli()
