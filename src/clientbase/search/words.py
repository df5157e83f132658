"""The words of a search text that typo tolerance works with, and their deletion keys.

Symmetric deletion: a word is filed under itself and under each of its one-letter
deletions; two words within one edit of each other (an insertion, a deletion, a
substitution, or two neighbouring letters swapped: smiht / smith) share a key. One indexed
lookup of a query word's keys finds every dictionary word that close, on any database,
where trigram similarity misses short words with swapped letters (simth / smith: 0.2)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from rapidfuzz.distance import OSA

MIN_LENGTH = 3
MAX_LENGTH = 32
# Letters are ASCII a-z or any non-ASCII character (search text is case-folded and
# accent-stripped); digits, '@', '.', '-' and the like separate words.
_SEPARATORS = re.compile(r"[^a-z\u0080-\U0010ffff]+")
MAX_CORRECTIONS = 8


def letter_runs(text: str) -> list[str]:
    """The words of a text as the dictionary files them, in order, once each:
    "jean-peirre o'conor" -> ["jean", "peirre", "conor"]."""
    runs = (w for w in _SEPARATORS.split(text) if MIN_LENGTH <= len(w) <= MAX_LENGTH)
    return list(dict.fromkeys(runs))


def dictionary_words(texts: Iterable[str]) -> set[str]:
    found: set[str] = set()
    for text in texts:
        found.update(letter_runs(text))
    return found


def keys(word: str) -> set[str]:
    return {word, *(word[:i] + word[i + 1 :] for i in range(len(word)))}


def corrections(word: str, filed: Iterable[str]) -> list[str]:
    """The words among `filed` (found under one of `word`'s keys) within one edit of it,
    closest first, at most MAX_CORRECTIONS."""
    close = sorted((OSA.distance(word, w), w) for w in set(filed) if w != word)
    return [w for distance, w in close if distance <= 1][:MAX_CORRECTIONS]
