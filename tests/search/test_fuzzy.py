"""The typo pass's scoring, computed for many candidates at once, equals its definition:
for each query word the best `word_score` against a word of the text, averaged, and None
when some query word has no word scoring MIN_WORD_SCORE."""

from __future__ import annotations

import random

import pytest

from clientbase.search.fuzzy import MIN_WORD_SCORE, closeness, word_score


def by_definition(query_words: list[str], text: str) -> float | None:
    tokens = text.split()
    if not query_words or not tokens:
        return None
    best = [max(word_score(w, t) for t in tokens) for w in query_words]
    return sum(best) / len(best) if min(best) >= MIN_WORD_SCORE else None


def test_closeness_of_many_texts_is_each_ones_by_definition():
    rng = random.Random(11)  # noqa: S311 - reproducible test texts
    pool = ["smith", "smyth", "john", "jon", "johnson", "иванов", "иван", "maría", "x", "smithers"]
    for _ in range(200):
        texts = [
            " ".join(rng.choices(pool, k=rng.randint(0, 6))) for _ in range(rng.randint(0, 12))
        ]
        query = rng.choices(["smiht", "jonh", "иавнов", "mari", "zz", "john"], k=rng.randint(0, 3))
        expected = [by_definition(query, text) for text in texts]
        assert closeness(query, texts) == pytest.approx(expected), (query, texts)


def test_a_query_word_inside_a_longer_word_scores_in_full():
    assert word_score("smith", "smithers") == 100.0
    assert closeness(["jonh", "smiht"], ["john smith", "john brown", ""]) == [77.5, None, None]
