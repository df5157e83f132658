"""Audit entries as sentences: who changed what, from what, to what."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from clientbase.audit.schemas import AuditEntryRead
from clientbase.web.templating import field_label, show

SUBJECTS = {
    "customer": "the customer",
    "contact": "a contact",
    "address": "an address",
    "note": "a note",
}
VERBS = {
    "created": "created",
    "updated": "changed",
    "deleted": "deleted",
    "restored": "restored",
    "merged": "merged",
    "anonymized": "anonymized",
}


@dataclass
class Change:
    field: str
    old: str
    new: str


@dataclass
class HistoryItem:
    seq: int
    when: datetime
    who: str
    what: str
    changes: list[Change]
    is_creation: bool


def describe(entry: AuditEntryRead) -> HistoryItem:
    kind, _, verb = entry.action.partition(".")
    subject = SUBJECTS.get(kind, kind.replace("_", " "))
    what = f"{VERBS.get(verb, verb.replace('_', ' '))} {subject}"
    if kind == "customer" and verb == "updated":
        what = "changed the profile"
    changes = [
        Change(field_label(name), show(diff.get("old")), show(diff.get("new")))
        for name, diff in sorted(entry.changes.items())
        if isinstance(diff, dict)
    ]
    return HistoryItem(
        seq=entry.seq,
        when=entry.occurred_at,
        who=entry.actor.label or entry.actor.type,
        what=what,
        changes=changes,
        is_creation=verb == "created",
    )
