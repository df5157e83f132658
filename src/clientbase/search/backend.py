"""SQL for search on each database, behind one interface.

substring_condition: every query word occurs in search_text (index-backed: pg_trgm GIN on
PostgreSQL, FTS5 trigram on SQLite; words under three letters fall back to LIKE).
fuzzy_candidates: rows sharing trigrams with the query, best first, for the typo pass."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Integer, and_, column, func, literal_column, text
from sqlalchemy.ext.asyncio import AsyncSession

from clientbase.search.fuzzy import trigrams

FUZZY_CANDIDATES = 300
PG_WORD_THRESHOLD = 0.4


def like_pattern(word: str) -> str:
    """Substring pattern where the user's % and _ match themselves."""
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _fts_phrase(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


def _rowid_in(rowids: Any) -> ColumnElement[bool]:
    return literal_column("customers.rowid").in_(rowids.columns(column("rowid", Integer)))


def substring_condition(dialect: str, search_text: Any, words: list[str]) -> ColumnElement[bool]:
    if dialect == "sqlite":
        long_words = [w for w in words if len(w) >= 3]
        conditions = [search_text.like(like_pattern(w), escape="\\") for w in words if len(w) < 3]
        if long_words:
            query = " AND ".join(_fts_phrase(w) for w in long_words)
            matching = text("SELECT rowid FROM customers_fts WHERE customers_fts MATCH :fts")
            conditions.append(_rowid_in(matching.bindparams(fts=query)))
        return and_(*conditions)
    return and_(*(search_text.like(like_pattern(w), escape="\\") for w in words))


async def fuzzy_condition(
    session: AsyncSession, dialect: str, search_text: Any, words: list[str]
) -> ColumnElement[bool] | None:
    grams = trigrams(words)
    if not grams:
        return None
    if dialect == "postgresql":
        await session.execute(
            text(f"SET LOCAL pg_trgm.word_similarity_threshold = {PG_WORD_THRESHOLD}")
        )
        # Every word must resemble some word of the text: far fewer candidates than any.
        return and_(*(search_text.op("%>")(w) for w in words if len(w) >= 3))
    query = " OR ".join(_fts_phrase(g) for g in grams)
    best = text(
        "SELECT rowid FROM customers_fts WHERE customers_fts MATCH :fuzzy "
        "ORDER BY rank LIMIT :candidates"
    ).bindparams(fuzzy=query, candidates=FUZZY_CANDIDATES)
    return _rowid_in(best)


def fuzzy_order(dialect: str, search_text: Any, words: list[str]) -> Any:
    if dialect == "postgresql":
        return sum(
            (func.word_similarity(w, search_text) for w in words), start=literal_column("0")
        ).desc()
    return None
