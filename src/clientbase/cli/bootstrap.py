"""What the CLI does against the database: first-start bootstrap, admins, chain checks."""

from __future__ import annotations

import secrets
from datetime import date

from pydantic import ValidationError

from clientbase.analytics.recalculate import recalculate as recalculate_analytics
from clientbase.audit import repository as audit_repository
from clientbase.audit.service import ChainReport, verify_chain
from clientbase.auth import users
from clientbase.config import Settings
from clientbase.core.errors import ClientbaseError
from clientbase.customers import search_index
from clientbase.db.migrate import upgrade_to_head
from clientbase.db.session import Database, session_scope
from clientbase.metrics import service as metrics
from clientbase.tenancy import repository as tenancy_repository
from clientbase.tenancy import service as tenancy

DEFAULT_ORGANIZATION = "Default"
DEFAULT_ADMIN_EMAIL = "admin@example.com"


async def create_admin_user(db: Database, email: str, password: str, organization: str) -> str:
    try:
        async with session_scope(db) as session:
            user = await users.create_admin(
                session, email=email, password=password, organization=organization
            )
            return user.email
    except ValidationError as exc:
        raise ValueError("; ".join(f"{e['loc'][0]}: {e['msg']}" for e in exc.errors())) from exc
    except ClientbaseError as exc:
        raise ValueError(exc.detail) from exc
    finally:
        await db.dispose()


async def prepare_database(db: Database, settings: Settings) -> tuple[str, str] | None:
    """Migrate and, on an empty database, create the first organization and admin.
    Returns (email, password) when the password was generated and must be shown."""
    try:
        if settings.auto_migrate:
            await upgrade_to_head(db.engine)
        async with session_scope(db) as session:
            if not await tenancy.is_empty(session):
                return None
            email = settings.admin_email or DEFAULT_ADMIN_EMAIL
            given = settings.admin_password.get_secret_value() if settings.admin_password else None
            password = given or secrets.token_urlsafe(12)
            await users.create_admin(
                session, email=email, password=password, organization=DEFAULT_ORGANIZATION
            )
            return None if given else (email, password)
    finally:
        await db.dispose()


async def verify_all_chains(db: Database) -> list[ChainReport]:
    try:
        async with session_scope(db) as session:
            return [
                await verify_chain(session, org_id)
                for org_id in await audit_repository.organization_ids(session)
            ]
    finally:
        await db.dispose()


async def recalculate(db: Database, what: str, organization: str, as_of: str | None) -> str:
    try:
        async with session_scope(db) as session:
            org = await tenancy_repository.find_organization_by_name(session, organization)
            if org is None:
                raise ValueError(f"no organization named {organization!r}")
            if what == "search":
                filed, dropped = await search_index.rebuild_dictionary(session, org.id)
                return (
                    f"Search dictionary rebuilt for {organization!r}: {filed} words filed, "
                    f"{dropped} dropped."
                )
            if what == "metrics":
                changed = await metrics.recompute_organization(session, org.id)
                windows = await metrics.refresh_windows(session, org.id, full=True)
                return (
                    f"Metrics recomputed for {organization!r}: {changed} rows changed, "
                    f"{windows['rows']} purchase windows."
                )
            day = date.fromisoformat(as_of) if as_of else date.today()
            result = await recalculate_analytics(session, org.id, as_of=day)
            return f"Analytics recalculated for {organization!r} as of {day}: {result['fits']}"
    finally:
        await db.dispose()
