"""New ids are UUIDv7: time-ordered by the millisecond, random below it, never repeated."""

from __future__ import annotations

import time

from clientbase.db.base import new_id, new_ids


def test_ids_made_together_are_distinct_version_7_and_carry_the_time():
    before = time.time_ns() // 1_000_000
    ids = [*new_ids(5000), new_id()]
    after = time.time_ns() // 1_000_000
    assert len(set(ids)) == len(ids)
    assert {i.version for i in ids} == {7}
    assert {i.variant for i in ids} == {"specified in RFC 4122"}
    assert all(before <= i.int >> 80 <= after for i in ids)


def test_no_ids_asked_is_an_empty_list():
    assert new_ids(0) == []
