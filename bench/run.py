"""Run the benchmark: `python -m bench.run --db postgres --customers 1000000` (see --help).

Fresh database (or --reuse) -> migrate -> demo load (timed) -> admin API key -> the real
server (uvicorn, --workers, production settings, no access log) -> concurrent clients per
operation -> the same operations' SQL timed in the database -> a raw driver endpoint for
comparison -> bench/results/<date>-<db>-<n>.json and the table in docs/performance.md."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import time
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from bench import database, explain, machine, report, scenarios
from bench.client import Stats, measure
from bench.server import CLIENTBASE, Server, app_env
from clientbase.search.text import normalize

DEFAULT_POSTGRES = os.environ.get(
    "CLIENTBASE_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
SIZES = {"postgres": 1_000_000, "sqlite": 100_000}


def arguments() -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__)
    p.add_argument("--db", choices=("postgres", "sqlite"), default="postgres")
    p.add_argument("--customers", type=int, help="default 1,000,000 (postgres) / 100,000")
    p.add_argument("--concurrency", type=int, default=8, help="clients per operation")
    p.add_argument("--workers", type=int, default=2, help="server processes")
    p.add_argument("--throughput-clients", type=int, default=64)
    p.add_argument("--requests", type=int, default=3000, help="at most, per operation")
    p.add_argument("--seconds", type=float, default=15, help="at most, per operation")
    p.add_argument("--reuse", action="store_true", help="keep a database already loaded")
    p.add_argument("--drop", action="store_true", help="drop the database when done")
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--postgres-url", default=DEFAULT_POSTGRES, help="server admin URL")
    p.add_argument("--no-write", action="store_true", help="print only; no result file")
    p.add_argument(
        "--wait-quiet",
        type=float,
        default=0,
        metavar="SECONDS",
        help="first wait up to this long for the 1-minute load average to fall "
        "below half the cores (the machine may be shared)",
    )
    return p.parse_args()


def log(message: str) -> None:
    print(f"[{datetime.now():%H:%M:%S}] {message}", flush=True)


async def prepare(args: argparse.Namespace, t: database.Target) -> dict[str, Any]:
    if args.reuse and await database.loaded_customers(t) == t.customers:
        log(f"reusing {t.url} ({t.customers:,} customers)")
        return {**database.load_facts(t), "reused": True}
    log(f"creating {t.url}")
    await database.recreate(t)
    migrated = database.migrate(t)
    log(f"migrated in {migrated:.1f} s; loading {t.customers:,} customers")
    loaded = await database.load(t, args.seed)
    log(f"loaded in {loaded['seconds']} s {loaded['phases']}")
    vacuumed = await database.vacuum(t)
    log(f"vacuumed in {vacuumed:.1f} s")
    facts = {**loaded, "migrate_seconds": round(migrated, 2), "vacuum_seconds": round(vacuumed, 2)}
    database.save_load_facts(t, {**facts, "load_average": machine.load_average()})
    return facts


async def run_ops(
    server: Server, ops: dict[str, list[str]], headers: dict[str, str], args: argparse.Namespace
) -> dict[str, Stats]:
    out = {}
    for name, paths in ops.items():
        concurrency = 1 if name.endswith("_c1") else args.concurrency
        stats = await measure(
            "127.0.0.1", server.port, paths, headers=headers, concurrency=concurrency,
            max_requests=args.requests, max_seconds=args.seconds,
        )  # fmt: skip
        log(f"{name:<22} {_line(stats)}")
        out[name] = stats
    return out


def _line(s: Stats) -> str:
    return (f"c={s.concurrency:<3} n={s.requests:<6} err={s.errors:<3} {s.rps:8.0f} req/s  "
            f"p50 {s.p50_ms:7.2f}  p95 {s.p95_ms:7.2f}  p99 {s.p99_ms:7.2f} ms")  # fmt: skip


async def measure_app(
    args: argparse.Namespace,
    t: database.Target,
    secret_key: str,
    credentials: tuple[str, str, str],
    samples: list[dict[str, Any]],
) -> tuple[dict[str, Any], dict[str, list[str]], Any]:
    env = app_env(t.url, secret_key)
    token, api_key, _ = credentials
    headers = {"Authorization": f"Bearer {token}"}
    server = Server(CLIENTBASE, workers=args.workers, env=env, name="app")
    server.start()
    try:
        deep, depth = scenarios.deep_cursor_path(server.url, headers)
        log(f"deep keyset page after {depth:,} rows")
        ops = scenarios.operations(samples, deep)
        ops["get_by_id_c1"] = ops["get_by_id"]
        ops["list_first_no_total"] = [ops["list_first"][0] + "&include_total=false"]
        ops["list_no_total_c1"] = ops["list_first_no_total"]
        ops["search_name_no_total_c1"] = [p + "&include_total=false" for p in ops["search_name"]]
        results = await run_ops(server, ops, headers, args)
        with_key = {"Authorization": f"Bearer {api_key}"}
        results["get_by_id_api_key"] = await measure(
            "127.0.0.1", server.port, ops["get_by_id"], headers=with_key,
            concurrency=args.concurrency, max_requests=args.requests, max_seconds=args.seconds,
        )  # fmt: skip
        log(f"{'get_by_id_api_key':<22} {_line(results['get_by_id_api_key'])}")
        results["list_throughput"] = await measure(
            "127.0.0.1", server.port, ops["list_first"], headers=headers,
            concurrency=args.throughput_clients, max_requests=50_000, max_seconds=args.seconds,
        )  # fmt: skip
        log(f"{'list_throughput':<22} {_line(results['list_throughput'])}")
        memory = server.memory()
    finally:
        server.stop()
    return {"ops": results, "memory": memory, "deep_rows": depth}, ops, headers


async def measure_raw(
    args: argparse.Namespace, t: database.Target, org_id: str, names: list[str]
) -> dict[str, Stats]:
    env = {"BENCH_RAW_URL": t.url, "BENCH_RAW_ORG": org_id}
    server = Server("bench.raw_app:app", workers=args.workers, env=env, name="raw")
    server.start()
    try:
        ops = {
            "list_c1": ["/list?status=active"],
            "search_name_c1": [f"/search?{urlencode({'q': normalize(n)})}" for n in names],
        }
        return await run_ops(server, ops, {}, args)
    finally:
        server.stop()


async def main(args: argparse.Namespace) -> dict[str, Any]:
    args.customers = args.customers or SIZES[args.db]
    t = database.target(args.db, args.customers, args.postgres_url)
    waited = await machine.wait_quiet(args.wait_quiet, log)
    started, load_before = time.perf_counter(), machine.load_average()
    facts = await machine.facts(args.postgres_url if args.db == "postgres" else None)
    loaded = await prepare(args, t)
    secret_key = secrets.token_urlsafe(48)
    credentials = await database.credentials(t, secret_key)
    org_id = credentials[2]
    samples = await database.sample(t, org_id)
    log(f"{len(samples)} sample customers; starting the server ({args.workers} workers)")
    app, ops, headers = await measure_app(args, t, secret_key, credentials, samples)
    terms = scenarios.search_terms(samples)["name"]
    raw = await measure_raw(args, t, org_id, terms)
    log("timing the same requests' SQL in the database")
    firsts = {n: ops[n][0] for n in ("get_by_id", "list_first", "list_deep", *report.SEARCHES)}
    captured = await explain.capture(t.url, secret_key, headers, firsts)
    if t.dialect == "postgresql":
        sql = await explain.explain_postgres(t.url, captured)
    else:
        sql = explain.explain_sqlite(str(t.sqlite_path), captured)
    if args.drop:
        await database.drop(t)
    ops_out = {n: s.as_dict() for n, s in app["ops"].items()}
    result = {
        "date": datetime.now(UTC).date().isoformat(),
        "database": t.dialect,
        "db_label": t.label,
        "customers": t.customers,
        "machine": {
            **facts,
            "load_average_before": load_before,
            "load_average_after": machine.load_average(),
            "waited_for_quiet_seconds": waited,
        },
        "settings": {
            "workers": args.workers,
            "concurrency": args.concurrency,
            "throughput_clients": args.throughput_clients,
            "max_requests": args.requests,
            "max_seconds": args.seconds,
            "environment": "production",
            "access_log": False,
            "deep_page_after_rows": app["deep_rows"],
        },  # fmt: skip
        "load": loaded,
        "operations": ops_out,
        "raw": {
            "operations": {n: s.as_dict() for n, s in raw.items()},
            "list_ratio": _ratio(ops_out["list_no_total_c1"], raw["list_c1"]),
            "search_ratio": _ratio(ops_out["search_name_no_total_c1"], raw["search_name_c1"]),
        },
        "memory": {
            "workers": app["memory"],
            "max_peak_rss_mb": round(max(m["peak_rss_mb"] for m in app["memory"]), 1),
        },
        "sql": sql,
        "seconds": round(time.perf_counter() - started, 1),
    }
    result["targets"] = report.judge(result)
    return result


def _ratio(app: dict[str, Any], raw: Stats) -> float:
    return round(app["p50_ms"] / raw.p50_ms, 2)


if __name__ == "__main__":
    arguments_ = arguments()
    outcome = asyncio.run(main(arguments_))
    for judged in outcome["targets"]:
        verdict = {True: "met", False: "MISSED", None: "-"}[judged["met"]]
        log(f"{judged['target']:<48} {judged['value']!s:<10} limit {judged['limit']}  {verdict}")
    if arguments_.no_write:
        scratch = database.DATA / "last-result.json"
        scratch.write_text(json.dumps(outcome, indent=2, default=str))
        log(f"wrote {scratch}")
    else:
        log(f"wrote {report.write_result(outcome)} and {report.regenerate()}")
