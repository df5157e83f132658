"""SQL of the search dictionary (search_word_keys): what typo tolerance looks corrections
up in. Writes pend their words; the commit hook files the ones the dictionary lacks, in
one sorted statement per organization, before the audit and event heads are locked: the
key rows of overlapping words are taken in the same order by every writer, and only for
the end of the transaction (a bulk request that filed word by word as it went deadlocked
with another filing the same new words in the opposite order). Words no customer uses any
more are dropped by the nightly rebuild (`customers.search_index.rebuild_dictionary`), not
by the writes."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Delete, Select, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session

from clientbase.search.models import SearchWordKey
from clientbase.search.words import MAX_LENGTH, MIN_LENGTH, corrections, keys

PENDING_KEY = "search_words_pending"
# Bound parameters per statement stay well under SQLite's limit.
BATCH = 500


@dataclass(frozen=True)
class Proposal:
    known: bool
    corrections: list[str]


def _batches(items: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(items), BATCH):
        yield items[start : start + BATCH]


def _known(organization_id: uuid.UUID, batch: list[str]) -> Select[Any]:
    return select(SearchWordKey.word).where(
        SearchWordKey.organization_id == organization_id,
        SearchWordKey.key.in_(batch),
        SearchWordKey.word == SearchWordKey.key,
    )


def pend(session: AsyncSession | Session, organization_id: uuid.UUID, words: set[str]) -> None:
    """Files the words at commit unless the dictionary holds them; a savepoint rolled back
    drops what was pended inside it."""
    if words:
        session.info.setdefault(PENDING_KEY, []).append((organization_id, frozenset(words)))


def file_pending(session: Session) -> None:
    """Commit hook (registered before the audit and event heads)."""
    by_org: dict[uuid.UUID, set[str]] = {}
    for organization_id, words in session.info.pop(PENDING_KEY, []):
        by_org.setdefault(organization_id, set()).update(words)
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    for organization_id in sorted(by_org):
        words = by_org[organization_id]
        held: set[str] = set()
        for batch in _batches(sorted(words)):
            held.update(session.execute(_known(organization_id, batch)).scalars())
        rows = sorted({(k, w) for w in words - held for k in keys(w)})
        for start in range(0, len(rows), BATCH):
            values = [
                {"organization_id": organization_id, "key": k, "word": w}
                for k, w in rows[start : start + BATCH]
            ]
            session.execute(insert(SearchWordKey).values(values).on_conflict_do_nothing())


async def known(session: AsyncSession, organization_id: uuid.UUID, words: set[str]) -> set[str]:
    found: set[str] = set()
    for batch in _batches(sorted(words)):
        found.update((await session.execute(_known(organization_id, batch))).scalars())
    return found


def _forget(organization_id: uuid.UUID, word: str) -> Delete:
    return delete(SearchWordKey).where(
        SearchWordKey.organization_id == organization_id,
        SearchWordKey.key.in_(sorted(keys(word))),
        SearchWordKey.word == word,
    )


async def replace_all(
    session: AsyncSession, organization_id: uuid.UUID, words: set[str]
) -> tuple[int, int]:
    """The organization's dictionary becomes these words at commit: (filed, dropped)."""
    held = await session.execute(
        select(SearchWordKey.word).where(
            SearchWordKey.organization_id == organization_id,
            SearchWordKey.key == SearchWordKey.word,
        )
    )
    held_words = set(held.scalars())
    for word in sorted(held_words - words):
        await session.execute(_forget(organization_id, word))
    pend(session, organization_id, words - held_words)
    return len(words - held_words), len(held_words - words)


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
