"""Dialect-specific search structures, created by migrations and ignored by autogenerate.

PostgreSQL: pg_trgm GIN index (organization first, through btree_gin) over search_text,
used by LIKE '%word%' and by word similarity. SQLite: an FTS5 table with the trigram
tokenizer over customers.search_text (external content keyed by rowid), kept in sync by
triggers in the same transaction as the change."""

from __future__ import annotations

MANAGED_INDEXES = frozenset({"ix_customers_search_trgm", "ix_customers_tags_gin"})
MANAGED_TABLE_PREFIX = "customers_fts"

POSTGRES_INSTALL = (
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE EXTENSION IF NOT EXISTS btree_gin",
    "CREATE INDEX IF NOT EXISTS ix_customers_search_trgm ON customers "
    "USING gin (organization_id, search_text gin_trgm_ops)",
    "CREATE INDEX IF NOT EXISTS ix_customers_tags_gin ON customers "
    "USING gin (organization_id, tags)",
)
POSTGRES_UNINSTALL = (
    "DROP INDEX IF EXISTS ix_customers_tags_gin",
    "DROP INDEX IF EXISTS ix_customers_search_trgm",
)

SQLITE_INSTALL = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS customers_fts USING fts5("
    "search_text, content='customers', content_rowid='rowid', tokenize='trigram')",
    "CREATE TRIGGER IF NOT EXISTS customers_fts_insert AFTER INSERT ON customers BEGIN "
    "INSERT INTO customers_fts(rowid, search_text) VALUES (new.rowid, new.search_text); END",
    "CREATE TRIGGER IF NOT EXISTS customers_fts_delete AFTER DELETE ON customers BEGIN "
    "INSERT INTO customers_fts(customers_fts, rowid, search_text) "
    "VALUES ('delete', old.rowid, old.search_text); END",
    "CREATE TRIGGER IF NOT EXISTS customers_fts_update AFTER UPDATE OF search_text ON customers "
    "BEGIN INSERT INTO customers_fts(customers_fts, rowid, search_text) "
    "VALUES ('delete', old.rowid, old.search_text); "
    "INSERT INTO customers_fts(rowid, search_text) VALUES (new.rowid, new.search_text); END",
    # Rebuilding also repairs the index after VACUUM renumbers rowids.
    "INSERT INTO customers_fts(customers_fts) VALUES ('rebuild')",
)
SQLITE_UNINSTALL = (
    "DROP TRIGGER IF EXISTS customers_fts_update",
    "DROP TRIGGER IF EXISTS customers_fts_delete",
    "DROP TRIGGER IF EXISTS customers_fts_insert",
    "DROP TABLE IF EXISTS customers_fts",
)


def install_statements(dialect: str) -> tuple[str, ...]:
    return POSTGRES_INSTALL if dialect == "postgresql" else SQLITE_INSTALL


def uninstall_statements(dialect: str) -> tuple[str, ...]:
    return POSTGRES_UNINSTALL if dialect == "postgresql" else SQLITE_UNINSTALL


def is_managed(name: str | None) -> bool:
    return bool(name) and (name in MANAGED_INDEXES or name.startswith(MANAGED_TABLE_PREFIX))
