"""SQL for search on each database, behind one interface.

substring_condition: for each group of words, one of them occurs in search_text
(index-backed: pg_trgm GIN on PostgreSQL, FTS5 trigram on SQLite; words under three
letters fall back to LIKE). A plain search gives one word per group; the typo pass a query
word with its corrections from the dictionary (search.dictionary)."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import ColumnElement, Integer, and_, column, literal_column, or_, text

from clientbase.search.words import MIN_LENGTH

_REGEX_SPECIAL = re.compile(r"[\\^$.|?*+()\[\]{}]")


def like_pattern(word: str) -> str:
    """Substring pattern where the user's % and _ match themselves."""
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _fts_phrase(word: str) -> str:
    return '"' + word.replace('"', '""') + '"'


def _like_any(search_text: Any, words: list[str]) -> ColumnElement[bool]:
    return or_(*(search_text.like(like_pattern(w), escape="\\") for w in words))


def _regex_any(words: list[str]) -> str:
    return "(" + "|".join(_REGEX_SPECIAL.sub(r"\\\g<0>", w) for w in words) + ")"


def _postgres_group(search_text: Any, words: list[str]) -> ColumnElement[bool]:
    """One condition per group: an OR of LIKEs made the planner scan the trigram index for
    the first group only and filter thousands of rows by the others; a regular expression
    of alternatives is an index condition that pg_trgm intersects with the other groups'."""
    if len(words) == 1:
        return _like_any(search_text, words)
    return search_text.op("~")(_regex_any(words))  # type: ignore[no-any-return]


def substring_condition(
    dialect: str, search_text: Any, groups: list[list[str]]
) -> ColumnElement[bool]:
    if dialect != "sqlite":
        return and_(*(_postgres_group(search_text, group) for group in groups))
    indexed = [g for g in groups if all(len(w) >= MIN_LENGTH for w in g)]
    conditions = [_like_any(search_text, g) for g in groups if g not in indexed]
    if indexed:
        query = " AND ".join(
            "(" + " OR ".join(_fts_phrase(w) for w in group) + ")" for group in indexed
        )
        matching = text("SELECT rowid FROM customers_fts WHERE customers_fts MATCH :fts")
        rowids = matching.bindparams(fts=query).columns(column("rowid", Integer))
        conditions.append(literal_column("customers.rowid").in_(rowids))
    return and_(*conditions)
