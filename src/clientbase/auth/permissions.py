"""Roles and what each may do. Checked in services through `Actor.require`."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMIN = "admin"
    MANAGER = "manager"
    SALES = "sales"
    SUPPORT = "support"
    VIEWER = "viewer"


class Permission(StrEnum):
    """Values double as API key scopes."""

    CUSTOMERS_READ = "customers:read"
    CUSTOMERS_WRITE = "customers:write"
    CUSTOMERS_DELETE = "customers:delete"
    NOTES_WRITE = "notes:write"
    TRANSACTIONS_WRITE = "transactions:write"
    ANALYTICS_RUN = "analytics:run"
    PII_READ = "pii:read"
    EVENTS_READ = "events:read"
    AUDIT_READ = "audit:read"
    USERS_MANAGE = "users:manage"
    SETTINGS_MANAGE = "settings:manage"
    SEGMENTS_WRITE = "segments:write"


_READ = {Permission.CUSTOMERS_READ}
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.ADMIN: frozenset(Permission),
    Role.MANAGER: frozenset(
        _READ
        | {
            Permission.CUSTOMERS_WRITE,
            Permission.CUSTOMERS_DELETE,
            Permission.NOTES_WRITE,
            Permission.PII_READ,
            Permission.EVENTS_READ,
            Permission.TRANSACTIONS_WRITE,
            Permission.ANALYTICS_RUN,
            Permission.SEGMENTS_WRITE,
        }
    ),
    Role.SALES: frozenset(
        _READ | {Permission.CUSTOMERS_WRITE, Permission.NOTES_WRITE, Permission.PII_READ}
    ),
    Role.SUPPORT: frozenset(_READ | {Permission.NOTES_WRITE}),
    Role.VIEWER: frozenset(_READ),
}

# Sales reps see their own customers and unassigned leads only.
ASSIGNED_ONLY_ROLES = frozenset({Role.SALES})
LEAD_STATUSES = ("lead", "prospect")
