"""What the harness asks for: request paths per operation, built from sample customers."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

import httpx

LIST = "/api/v1/customers"
LIST_QUERY = {"status": "active", "sort": "-created_at", "limit": 25}
DEEP_PAGES = 50


def _q(path: str, params: dict[str, Any]) -> str:
    return f"{path}?{urlencode(params)}"


def typo(word: str) -> str:
    """Swap the second and third letters: Smith -> Simth, Қасымова -> Қсаымова."""
    return word[0] + word[2] + word[1] + word[3:]


def search_terms(samples: list[dict[str, Any]]) -> dict[str, list[str]]:
    people = [s for s in samples if s["type"] == "individual" and s["last_name"]]
    names = [s["last_name"][:5].lower() for s in people if len(s["last_name"]) >= 5]
    emails = [s["email"].split("@")[0][-8:] for s in samples if s["email"]]
    phones = []
    for s in samples:
        if s["phone"]:
            d = s["phone"][2:]  # +7 701 234 56 78 -> 8 701 234 56 78
            phones.append(f"8 {d[:3]} {d[3:6]} {d[6:8]} {d[8:]}")
    typos = [
        f"{s['first_name']} {typo(s['last_name'])}"
        for s in people
        if " " not in s["first_name"] and " " not in s["last_name"] and len(s["last_name"]) >= 5
    ]
    return {"name": names, "email": emails, "phone": phones, "typo": typos}


def deep_cursor_path(base_url: str, headers: dict[str, str]) -> tuple[str, int]:
    """Follows next_cursor DEEP_PAGES pages into the filtered list; returns the next page's
    path and how many rows lie before it."""
    params: dict[str, Any] = dict(LIST_QUERY, include_total="false")
    seen = 0
    with httpx.Client(base_url=base_url, headers=headers, timeout=60) as http:
        for _ in range(DEEP_PAGES):
            body = http.get(LIST, params=params).raise_for_status().json()
            seen += len(body["items"])
            if not body.get("next_cursor"):
                break
            params["cursor"] = body["next_cursor"]
    return _q(LIST, params), seen


def operations(samples: list[dict[str, Any]], deep_path: str) -> dict[str, list[str]]:
    terms = search_terms(samples)
    ids = [str(uuid.UUID(str(s["id"]))) for s in samples]
    ops = {
        "healthz": ["/healthz"],
        "get_by_id": [f"{LIST}/{i}" for i in ids],
        "list_first": [_q(LIST, LIST_QUERY)],
        "list_deep": [deep_path],
    }
    for kind, values in terms.items():
        ops[f"search_{kind}"] = [_q(LIST, {"search": v}) for v in values]
    return ops
