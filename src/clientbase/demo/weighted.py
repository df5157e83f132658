"""Weighted draws from a uniform number: a bisect over precomputed bounds, far cheaper
per row than random.choices."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from itertools import accumulate
from typing import Any


class Weighted:
    """Draws one of `pairs` (item, weight) for a uniform number in [0, 1)."""

    def __init__(self, pairs: Iterable[tuple[Any, int]]) -> None:
        pairs = list(pairs)
        self.items = [p[0] for p in pairs]
        cum = list(accumulate(p[1] for p in pairs))
        self.bounds = [c / cum[-1] for c in cum]

    def __call__(self, u: float) -> Any:
        return self.items[bisect_right(self.bounds, u)]
