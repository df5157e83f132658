"""The per-process cache: entries expire, and the oldest go first when it is full."""

from __future__ import annotations

from types import SimpleNamespace

from clientbase.core import ttl_cache
from clientbase.core.ttl_cache import TtlCache


def test_entries_expire(monkeypatch):
    now = [100.0]
    monkeypatch.setattr(ttl_cache, "time", SimpleNamespace(monotonic=lambda: now[0]))
    cache: TtlCache[int] = TtlCache(10.0, max_entries=8)
    cache.put("a", 1)
    now[0] = 109.9
    assert cache.get("a") == 1
    now[0] = 110.0
    assert cache.get("a") is None
    assert cache.get("never") is None


def test_the_oldest_entry_goes_first_when_full():
    cache: TtlCache[int] = TtlCache(60.0, max_entries=2)
    cache.put("a", 1)
    cache.put("b", 2)
    cache.put("a", 3)  # written again: now the newest
    cache.put("c", 4)
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (3, None, 4)
