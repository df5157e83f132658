"""The `clientbase` command line."""

from __future__ import annotations

import asyncio
import sys
from typing import Annotated

import typer

import clientbase.db.registry  # noqa: F401 - models and commit hooks
from clientbase.config import get_settings
from clientbase.db.session import Database

app = typer.Typer(help="Clientbase customer management service.", no_args_is_help=True)
audit_app = typer.Typer(help="Audit log tools.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")


def _database() -> Database:
    settings = get_settings()
    return Database(settings.database_url, pre_ping=settings.db_pre_ping)


@app.command()
def migrate() -> None:
    """Apply every pending database migration."""
    from clientbase.db.migrate import upgrade_to_head

    async def run() -> None:
        db = _database()
        try:
            await upgrade_to_head(db.engine)
        finally:
            await db.dispose()

    asyncio.run(run())
    typer.echo("Database is at the latest migration.")


@app.command("create-admin")
def create_admin(
    email: Annotated[str, typer.Option(help="The admin's sign-in email")],
    password: Annotated[
        str, typer.Option(help="At least 10 characters", prompt=True, hide_input=True)
    ],
    organization: Annotated[str, typer.Option(help="Created when it does not exist")] = "Default",
) -> None:
    """Create an admin user (and the organization when it is new)."""
    from clientbase.cli.bootstrap import create_admin_user

    try:
        user = asyncio.run(create_admin_user(_database(), email, password, organization))
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"Admin {user} created in organization {organization!r}.")


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    workers: Annotated[int, typer.Option(help="Server processes", min=1)] = 1,
    access_log: Annotated[bool, typer.Option(help="Log every request")] = True,
    log_level: Annotated[str, typer.Option(help="uvicorn's log level")] = "info",
) -> None:
    """Migrate (unless CLIENTBASE_AUTO_MIGRATE=false), bootstrap an empty database, serve."""
    from clientbase.cli.bootstrap import prepare_database
    from clientbase.cli.server import serve as run_server

    settings = get_settings()
    generated = asyncio.run(prepare_database(_database(), settings))
    if generated:
        typer.echo(
            f"Created organization 'Default' and admin {generated[0]} "
            f"with password: {generated[1]}  (shown once; change it after signing in)"
        )
    try:
        status = run_server(
            host=host,
            port=port,
            workers=workers,
            proxy_headers=True,
            access_log=access_log,
            log_level=log_level,
        )
    except OSError as exc:
        typer.echo(f"error: cannot listen on {host}:{port}: {exc.strerror}", err=True)
        raise typer.Exit(1) from exc
    raise typer.Exit(status)


@audit_app.command("verify")
def audit_verify() -> None:
    """Recompute every organization's audit hash chain; exit 1 if any link is broken."""
    from clientbase.cli.bootstrap import verify_all_chains

    reports = asyncio.run(verify_all_chains(_database()))
    broken = [r for r in reports if not r.ok]
    for r in reports:
        state = "ok" if r.ok else f"BROKEN at seq {r.first_bad_seq}: {r.reason}"
        typer.echo(f"{r.organization_id}  {r.entries} entries  {state}")
    if broken:
        sys.exit(1)


@app.command()
def demo(
    customers: Annotated[int, typer.Option(min=1, help="How many customers to generate")] = 5000,
    organization: Annotated[str, typer.Option(help="Created when it does not exist")] = "Default",
    seed: Annotated[int, typer.Option(help="Same seed, same data (ids and clock aside)")] = 1,
    transactions_per_customer: Annotated[
        float,
        typer.Option(
            min=0,
            max=1000,
            help="Mean purchases per customer (skewed, seasonal, some refunded or "
            "cancelled, with line items), then a full metrics recompute; 0 for none",
        ),
    ] = 0,
) -> None:
    """Load realistic demo customers (bulk inserts; COPY on PostgreSQL)."""
    from clientbase.cli.bootstrap import prepare_database
    from clientbase.demo.service import run

    settings = get_settings()
    generated = asyncio.run(prepare_database(_database(), settings))
    if generated:
        typer.echo(f"Created admin {generated[0]} with password: {generated[1]}  (shown once)")

    def progress(done: int, total: int) -> None:
        typer.echo(f"\r{done:,} / {total:,} customers", nl=done == total, err=True)

    result = asyncio.run(
        run(
            _database(),
            organization=organization,
            customers=customers,
            seed=seed,
            transactions_per_customer=transactions_per_customer,
            progress=progress,
        )
    )
    counts = ", ".join(f"{n:,} {t}" for t, n in result.rows.items() if t != "customers")
    typer.echo(
        f"Loaded {result.customers:,} customers ({counts}) into {organization!r} "
        f"in {result.seconds:.1f} s: {result.per_second(result.customers):,.0f} customers/s, "
        f"{result.per_second(result.total_rows):,.0f} rows/s."
    )
    typer.echo("Phases: " + ", ".join(f"{k} {v:.1f} s" for k, v in result.phases.items()))
    if result.new_users:
        typer.echo(
            f"Demo users {', '.join(result.new_users)} with password: {result.password}  "
            "(shown once)"
        )


@app.command()
def worker() -> None:
    """Run background jobs (claims with SKIP LOCKED on PostgreSQL) until interrupted."""
    import signal

    from clientbase.jobs.worker import work

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        db = _database()
        try:
            await work(db, stop)
        finally:
            await db.dispose()

    typer.echo("Worker started; Ctrl+C stops it.")
    asyncio.run(run())


@app.command()
def recalculate(
    what: Annotated[str, typer.Argument(help="`metrics`, `analytics` or `search`")],
    organization: Annotated[str, typer.Option(help="Organization name")] = "Default",
    as_of: Annotated[str | None, typer.Option(help="YYYY-MM-DD (analytics only)")] = None,
) -> None:
    """Recompute metrics (set-based), the full analytics or the search dictionary (typo
    tolerance) of one organization, now."""
    from clientbase.cli.bootstrap import recalculate as run_recalculation

    if what not in ("metrics", "analytics", "search"):
        typer.echo("error: choose `metrics`, `analytics` or `search`", err=True)
        raise typer.Exit(2)
    try:
        result = asyncio.run(run_recalculation(_database(), what, organization, as_of))
    except ValueError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    typer.echo(result)
