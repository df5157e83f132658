"""Typo-tolerant matching of query words against a candidate's search text.

The dictionary (search.dictionary) proposes candidates; the final decision and the ranking
happen here, identically for both databases, so 'Jonh Smiht' finds 'John Smith' everywhere."""

from __future__ import annotations

import numpy as np
from rapidfuzz import fuzz, process

MIN_WORD_SCORE = 70.0


def word_score(word: str, token: str) -> float:
    """How close a query word is to a word of a text (0-100): 100 when it occurs in it,
    else the similarity to the word, or to its beginning when the word is much longer."""
    if word in token:
        return 100.0
    if len(token) > len(word) + 2:
        return fuzz.ratio(word, token[: len(word) + 1])
    return fuzz.ratio(word, token)


def closeness(query_words: list[str], texts: list[str]) -> list[float | None]:
    """For each text, the mean over the query words of the best `word_score` against a
    word of the text; None when some query word has no word scoring MIN_WORD_SCORE.
    Every distinct word of the texts is compared once per query word, in one rapidfuzz
    call (a typo pass scores hundreds of candidates; pair by pair in Python this was most
    of its time)."""
    tokens = [text.split() for text in texts]
    if not query_words:
        return [None] * len(texts)
    distinct = list(dict.fromkeys(t for words in tokens for t in words))
    if not distinct:
        return [None] * len(texts)
    position = {t: i for i, t in enumerate(distinct)}
    flat = np.fromiter((position[t] for words in tokens for t in words), dtype=np.intp)
    counts = np.fromiter((len(words) for words in tokens), dtype=np.intp, count=len(tokens))
    starts = np.concatenate(([0], np.cumsum(counts)[:-1]))
    nonempty = counts > 0
    best = np.zeros((len(query_words), len(texts)))
    for row, word in enumerate(query_words):
        cut = len(word) + 1
        shaped = [t[:cut] if len(t) > cut + 1 else t for t in distinct]
        scores = process.cdist([word], shaped, scorer=fuzz.ratio, dtype=np.float64)[0]
        scores[[i for i, t in enumerate(distinct) if word in t]] = 100.0
        best[row, nonempty] = np.maximum.reduceat(scores[flat], starts[nonempty])
    close = (nonempty & (best.min(axis=0) >= MIN_WORD_SCORE)).tolist()
    means = best.mean(axis=0).tolist()
    return [m if ok else None for m, ok in zip(means, close, strict=True)]
