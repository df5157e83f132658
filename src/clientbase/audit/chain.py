"""The hash that links each audit entry to the one before it."""

from __future__ import annotations

import hashlib
import json
from typing import Any

GENESIS = "0" * 64
HASHED_FIELDS = (
    "organization_id",
    "seq",
    "occurred_at",
    "actor_type",
    "actor_id",
    "actor_label",
    "action",
    "entity_type",
    "entity_id",
    "customer_id",
    "changes",
    "request_id",
    "ip",
)


def entry_hash(prev_hash: str, entry: dict[str, Any]) -> str:
    body = {name: entry.get(name) for name in HASHED_FIELDS}
    body["occurred_at"] = entry["occurred_at"].isoformat()
    for key in ("organization_id", "actor_id", "entity_id", "customer_id"):
        body[key] = str(body[key]) if body[key] is not None else None
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256((prev_hash + canonical).encode()).hexdigest()
