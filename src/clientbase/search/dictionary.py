"""SQL of the search dictionary (search_word_keys): what typo tolerance looks corrections
up in, kept in step with the customers' search texts in the same transaction."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from clientbase.db.session import dialect_name
from clientbase.search.models import SearchWordKey
from clientbase.search.words import MAX_LENGTH, MIN_LENGTH, corrections, keys


@dataclass(frozen=True)
class Proposal:
    known: bool
    corrections: list[str]


# Bound parameters per statement stay well under SQLite's limit.
BATCH = 500


def _batches(items: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(items), BATCH):
        yield items[start : start + BATCH]


async def known(session: AsyncSession, organization_id: uuid.UUID, words: set[str]) -> set[str]:
    found: set[str] = set()
    for batch in _batches(sorted(words)):
        stmt = select(SearchWordKey.word).where(
            SearchWordKey.organization_id == organization_id,
            SearchWordKey.key.in_(batch),
            SearchWordKey.word == SearchWordKey.key,
        )
        found.update((await session.execute(stmt)).scalars())
    return found


async def remember(session: AsyncSession, organization_id: uuid.UUID, words: set[str]) -> None:
    """Files the words the dictionary does not hold yet. Rows go in (key, word) order, so
    concurrent writers of overlapping words cannot deadlock; a word another transaction
    files meanwhile is skipped."""
    new = words - await known(session, organization_id, words)
    rows = sorted({(k, w) for w in new for k in keys(w)})
    if not rows:
        return
    insert = postgresql.insert if dialect_name(session) == "postgresql" else sqlite.insert
    for start in range(0, len(rows), BATCH):
        values = [
            {"organization_id": organization_id, "key": k, "word": w}
            for k, w in rows[start : start + BATCH]
        ]
        await session.execute(insert(SearchWordKey).values(values).on_conflict_do_nothing())


async def replace_all(
    session: AsyncSession, organization_id: uuid.UUID, words: set[str]
) -> tuple[int, int]:
    """The organization's dictionary becomes exactly these words: (filed, dropped)."""
    held = await session.execute(
        select(SearchWordKey.word).where(
            SearchWordKey.organization_id == organization_id,
            SearchWordKey.key == SearchWordKey.word,
        )
    )
    stale = set(held.scalars()) - words
    for word in sorted(stale):
        await forget(session, organization_id, word)
    before = await known(session, organization_id, words)
    await remember(session, organization_id, words)
    return len(words - before), len(stale)


async def forget(session: AsyncSession, organization_id: uuid.UUID, word: str) -> None:
    await session.execute(
        delete(SearchWordKey).where(
            SearchWordKey.organization_id == organization_id,
            SearchWordKey.key.in_(sorted(keys(word))),
            SearchWordKey.word == word,
        )
    )


async def close_words(
    session: AsyncSession, organization_id: uuid.UUID, words: list[str]
) -> dict[str, Proposal]:
    """For each word: whether the dictionary holds it, and its corrections (the words
    within one edit of it, closest first). One statement for all words, by the primary
    key."""
    wanted = {w: keys(w) for w in words if MIN_LENGTH <= len(w) <= MAX_LENGTH}
    every = sorted(set().union(*wanted.values())) if wanted else []
    filed: dict[str, set[str]] = {}
    for batch in _batches(every):
        stmt = select(SearchWordKey.key, SearchWordKey.word).where(
            SearchWordKey.organization_id == organization_id, SearchWordKey.key.in_(batch)
        )
        for key, word in await session.execute(stmt):
            filed.setdefault(key, set()).add(word)
    return {
        w: Proposal(
            known=w in filed.get(w, ()),
            corrections=corrections(w, (found for k in ks for found in filed.get(k, ()))),
        )
        for w, ks in wanted.items()
    }
