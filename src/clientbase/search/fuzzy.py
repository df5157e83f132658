"""Typo-tolerant matching of query words against a candidate's search text.

The dictionary (search.dictionary) proposes candidates; the final decision and the ranking
happen here, identically for both databases, so 'Jonh Smiht' finds 'John Smith' everywhere."""

from __future__ import annotations

from rapidfuzz import fuzz

MIN_WORD_SCORE = 70.0


def score(query_words: list[str], search_text: str) -> float | None:
    """Mean best similarity (0-100) of each query word to a word of the text, or None
    when some query word has no close counterpart."""
    tokens = search_text.split()
    if not query_words or not tokens:
        return None
    total = 0.0
    for word in query_words:
        best = max(_word_score(word, token) for token in tokens)
        if best < MIN_WORD_SCORE:
            return None
        total += best
    return total / len(query_words)


def _word_score(word: str, token: str) -> float:
    if word in token:
        return 100.0
    if len(token) > len(word) + 2:
        return fuzz.ratio(word, token[: len(word) + 1])
    return fuzz.ratio(word, token)
