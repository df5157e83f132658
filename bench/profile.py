"""Where a request's time goes inside the application: cProfile over N requests of one
operation, served in this process through ASGI (no uvicorn, no network).

python -m bench.profile --db sqlite --customers 100000 --path '/api/v1/customers/<id>'
(the database must have been loaded by bench.run; `--path` defaults to a GET by id)."""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import secrets
import time

from httpx import ASGITransport, AsyncClient

from bench import database
from bench.run import DEFAULT_POSTGRES, SIZES
from clientbase.app import create_app
from clientbase.config import Settings


async def main(args: argparse.Namespace) -> None:
    t = database.target(args.db, args.customers or SIZES[args.db], args.postgres_url)
    secret = secrets.token_urlsafe(48)
    token, _, org_id = await database.credentials(t, secret)
    path = args.path or f"/api/v1/customers/{(await database.sample(t, org_id))[0]['id']}"
    settings = Settings(database_url=t.url, auto_migrate=False, environment="production",
                        jobs_in_process=False, secret_key=secret)  # fmt: skip
    app = create_app(settings)
    headers = {"Authorization": f"Bearer {token}"}
    async with AsyncClient(transport=ASGITransport(app=app), base_url="http://p") as http:
        for _ in range(20):
            assert (await http.get(path, headers=headers)).status_code == 200
        profiler = cProfile.Profile()
        started = time.perf_counter()
        profiler.enable()
        for _ in range(args.requests):
            await http.get(path, headers=headers)
        profiler.disable()
        elapsed = time.perf_counter() - started
    await app.state.db.dispose()
    print(f"{path}\n{args.requests} requests, {elapsed / args.requests * 1000:.2f} ms each")
    stats = pstats.Stats(profiler)
    print("own time per request by package (ms):")
    for package, seconds in by_package(stats):
        print(f"  {package:<28} {seconds / args.requests * 1000:7.3f}")
    stats.strip_dirs().sort_stats(args.sort).print_stats(args.top)


def by_package(stats: pstats.Stats) -> list[tuple[str, float]]:
    """Each function's own time summed per package (clientbase per module)."""
    totals: dict[str, float] = {}
    for (filename, _, name), (_, _, tottime, _, _) in stats.stats.items():  # type: ignore[attr-defined]
        if "site-packages/" in filename:
            package = filename.split("site-packages/", 1)[1].split("/", 1)[0]
        elif "/clientbase/" in filename:
            package = "clientbase." + filename.split("/clientbase/", 1)[1].split("/", 1)[0]
        elif filename == "~":
            package = "builtins: " + name.split("'")[1] if "'" in name else "builtins"
        else:
            package = "stdlib: " + filename.rsplit("/", 1)[-1]
        totals[package] = totals.get(package, 0.0) + tottime
    return sorted(totals.items(), key=lambda kv: -kv[1])[:15]


if __name__ == "__main__":
    p = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    p.add_argument("--db", choices=("postgres", "sqlite"), default="postgres")
    p.add_argument("--customers", type=int)
    p.add_argument("--path", help="request path, e.g. '/api/v1/customers?search=ivan'")
    p.add_argument("--requests", type=int, default=300)
    p.add_argument("--sort", default="tottime", help="pstats sort key (tottime, cumulative)")
    p.add_argument("--top", type=int, default=30)
    p.add_argument("--postgres-url", default=DEFAULT_POSTGRES)
    asyncio.run(main(p.parse_args()))
