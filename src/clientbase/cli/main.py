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
    return Database(get_settings().database_url)


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
    workers: Annotated[int, typer.Option(help="Server processes")] = 1,
) -> None:
    """Migrate (unless CLIENTBASE_AUTO_MIGRATE=false), bootstrap an empty database, serve."""
    import uvicorn

    from clientbase.cli.bootstrap import prepare_database

    settings = get_settings()
    generated = asyncio.run(prepare_database(_database(), settings))
    if generated:
        typer.echo(
            f"Created organization 'Default' and admin {generated[0]} "
            f"with password: {generated[1]}  (shown once; change it after signing in)"
        )
    uvicorn.run(
        "clientbase.cli.serve_app:app",
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        log_level="info",
    )


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
