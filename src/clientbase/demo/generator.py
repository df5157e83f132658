"""Rows of demo customers as plain tuples, a chunk at a time, from a seeded RNG.

Everything but the ids (UUIDv7 from the clock) and the time stamps' anchor (`now`) is a
function of the seed and the first serial. Values are in their Python types (UUID,
aware datetime, Decimal, JSON as text); the writers turn them into what each database takes."""

from __future__ import annotations

import json
import random
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from math import sqrt
from typing import Any

from clientbase.customers.search_index import contact_name
from clientbase.db.base import new_id
from clientbase.demo import identity
from clientbase.demo.addresses import AddressMaker
from clientbase.demo.names import CULTURES, Person, people
from clientbase.demo.places import (
    COMPANY_MAILBOXES,
    COMPANY_SIZES,
    EMAIL_DOMAINS,
    INDUSTRIES,
    LEAD_SOURCES,
    NOTES,
    POSITIONS,
    TAGS,
    company_names,
)
from clientbase.demo.purchases import Purchases
from clientbase.demo.search_text import SearchText
from clientbase.demo.weighted import Weighted
from clientbase.search.words import dictionary_words

CUSTOMER_COLUMNS = (
    "id", "organization_id", "type", "status", "is_active", "name", "first_name",
    "middle_name", "last_name", "company_name", "date_of_birth", "gender",
    "preferred_language", "website", "email", "phone", "iin", "bin", "company_size",
    "industry", "lead_source", "credit_limit", "current_balance", "rating", "assigned_to",
    "referred_by", "tags", "custom_fields", "last_contact_at", "next_follow_up_at",
    "last_activity_at", "created_at", "updated_at", "version", "search_text",
)  # fmt: skip
CONTACT_COLUMNS = (
    "id", "organization_id", "customer_id", "first_name", "last_name", "position",
    "department", "email", "phone", "is_primary", "is_decision_maker", "is_active",
    "created_at", "updated_at", "version",
)  # fmt: skip
NOTE_COLUMNS = (
    "id", "organization_id", "customer_id", "title", "content", "type", "priority",
    "is_internal", "tags", "author_id", "pinned", "created_at", "updated_at", "version",
)  # fmt: skip
MEMBERSHIP_COLUMNS = ("organization_id", "customer_id", "business_id", "joined_at")

TYPES = (("individual", 75), ("company", 20), ("enterprise", 5))
STATUSES = (
    ("lead", 20), ("prospect", 14), ("active", 45), ("inactive", 10), ("churned", 9),
    ("blocked", 2),
)  # fmt: skip
CONTACTS_PER_COMPANY = ((0, 25), (1, 40), (2, 25), (3, 10))
NOTES_PER_CUSTOMER = ((0, 55), (1, 30), (2, 15))
HISTORY = timedelta(days=3 * 365)
ZERO = Decimal("0.00")
EMPTY_JSON_LIST = "[]"


@dataclass
class Chunk:
    customers: list[tuple[Any, ...]] = field(default_factory=list)
    contacts: list[tuple[Any, ...]] = field(default_factory=list)
    addresses: list[tuple[Any, ...]] = field(default_factory=list)
    notes: list[tuple[Any, ...]] = field(default_factory=list)
    memberships: list[tuple[Any, ...]] = field(default_factory=list)
    transactions: list[tuple[Any, ...]] = field(default_factory=list)
    items: list[tuple[Any, ...]] = field(default_factory=list)
    words: set[str] = field(default_factory=set)  # for the search dictionary


@dataclass
class Context:
    organization_id: uuid.UUID
    business_id: uuid.UUID | None
    user_ids: list[uuid.UUID]
    custom_fields: dict[str, str]  # key -> type, only the definitions the demo fills
    now: datetime
    first_serial: int = 0
    taken: set[str] = field(default_factory=set)  # emails/phones/iins/bins already used
    transactions_per_customer: float = 0.0  # mean purchases per customer (needs a business)
    currency: str = "KZT"


class Generator:
    def __init__(self, ctx: Context, seed: int) -> None:
        self.ctx = ctx
        self.rng = random.Random(seed)  # noqa: S311 - demo data, reproducible by seed
        self.serial = ctx.first_serial
        self.culture = Weighted((people(c), w) for c, w in CULTURES)
        self.company = Weighted(company_names())
        self.type = Weighted(TYPES)
        self.status = Weighted(STATUSES)
        self.source = Weighted(LEAD_SOURCES)
        self.size = Weighted(COMPANY_SIZES)
        self.contact_count = Weighted(CONTACTS_PER_COMPANY)
        self.note_count = Weighted(NOTES_PER_CUSTOMER)
        self.tag_sets = self._tag_sets()
        self.addresses = AddressMaker(self.rng, ctx.organization_id)
        self.end_ts = ctx.now.timestamp()
        self.start_ts = self.end_ts - HISTORY.total_seconds()
        self.recent_ids: list[uuid.UUID] = []
        self.search_text = SearchText()
        self._custom_json: dict[tuple[Any, ...], str] = {}
        self.purchases: Purchases | None = None
        if ctx.transactions_per_customer > 0:
            if ctx.business_id is None:
                raise ValueError("purchases need a business to belong to")
            self.purchases = Purchases(
                seed=seed, per_customer=ctx.transactions_per_customer,
                organization_id=ctx.organization_id, business_id=ctx.business_id,
                currency=ctx.currency, now=ctx.now, statuses=self.status,
                created_span=HISTORY.total_seconds(),
            )  # fmt: skip

    def _tag_sets(self) -> list[str]:
        """JSON for no tags (most often), one tag, or two/three tags."""
        rng = self.rng
        sets = [EMPTY_JSON_LIST] * 300 + [json.dumps([t]) for t in TAGS for _ in range(8)]
        sets += [json.dumps(sorted(rng.sample(TAGS, rng.choice((2, 3))))) for _ in range(120)]
        return sets

    def _time(self, after: float) -> datetime:
        return datetime.fromtimestamp(after + (self.end_ts - after) * self.rng.random(), UTC)

    def _free(self, value: str | None) -> str | None:
        return None if value is None or value in self.ctx.taken else value

    def chunk(self, count: int) -> Chunk:
        out = Chunk()
        r = self.rng.random
        for _ in range(count):
            self._customer(out, self.type(r()), self.status(r()), self.source(r()))
        return out

    def _person(self) -> Person:
        pool: list[Person] = self.culture(self.rng.random())
        return pool[int(self.rng.random() * len(pool))]

    def _customer(self, out: Chunk, kind: str, status: str, source: str) -> None:
        ctx, r = self.ctx, self.rng.random
        serial, self.serial = self.serial, self.serial + 1
        cid = new_id()
        created_ts = self.start_ts + (self.end_ts - self.start_ts) * sqrt(r())
        created = datetime.fromtimestamp(created_ts, UTC)
        contacts: list[str] = []
        if kind == "individual":
            profile = self._individual(serial)
        else:
            profile, contacts = self._company(out, serial, kind, status, cid, created_ts)
        name, first, middle, last, company, born, gender, language, website = profile[:9]
        email, iin, bin_, size, industry, credit, balance = profile[9:]
        phone = identity.phone(serial) if r() < 0.93 else None
        if ctx.taken:
            email, phone, iin, bin_ = (self._free(v) for v in (email, phone, iin, bin_))
        users = ctx.user_ids
        unassigned = not users or (status == "lead" and r() < 0.4)
        assigned = None if unassigned else users[int(r() * len(users))]
        referred = None
        if source == "referral" and self.recent_ids and r() < 0.5:
            referred = self.recent_ids[int(r() * len(self.recent_ids))]
        if len(self.recent_ids) < 5000:
            self.recent_ids.append(cid)
        updated = self._time(created_ts) if r() < 0.5 else created
        contacted = self._time(created_ts) if status in ("prospect", "active") else None
        follow_up = None
        if status in ("lead", "prospect") and r() < 0.6:
            follow_up = datetime.fromtimestamp(self.end_ts + 86400 * int(1 + r() * 30), UTC)
        search_text = self.search_text(
            name=name, company_name=company, first_name=first, last_name=last, email=email,
            phone=phone, iin=iin, bin=bin_, contact_names=contacts,
        )  # fmt: skip
        out.words.update(dictionary_words((search_text,)))
        out.customers.append((
            cid, ctx.organization_id, kind, status, status != "blocked", name, first, middle,
            last, company, born, gender, language, website, email, phone, iin, bin_, size,
            industry, source, credit, balance, int(1 + r() * 10) if r() < 0.6 else None,
            assigned, referred, self.tag_sets[int(r() * len(self.tag_sets))],
            self._custom_fields(kind), contacted, follow_up, max(updated, contacted or updated),
            created, updated, 1, search_text,
        ))  # fmt: skip
        if ctx.business_id is not None:
            out.memberships.append((ctx.organization_id, cid, ctx.business_id, created))
        self.addresses.add(out.addresses, cid, kind, name, created)
        self._notes(out, cid, created_ts, assigned)
        if self.purchases is not None:
            self.purchases.add(out.transactions, out.items, cid, status, created_ts)

    def _individual(self, serial: int) -> tuple[Any, ...]:
        r = self.rng.random
        p = self._person()
        born: date | None
        iin, born = identity.iin(serial, female=p.gender == "female")
        if r() < 0.3:  # not everyone gives their IIN
            iin, born = None, (born if r() < 0.3 else None)
        email = None
        if r() < 0.85:
            domain = EMAIL_DOMAINS[int(r() * len(EMAIL_DOMAINS))]
            email = identity.person_email(serial, p.slug_first, p.slug_last, int(r() * 4), domain)
        return (
            p.display_name, p.first_name, p.middle_name, p.last_name, None, born, p.gender,
            p.language, None, email, iin, None, None, None, None, ZERO,
        )  # fmt: skip

    def _company(
        self, out: Chunk, serial: int, kind: str, status: str, cid: uuid.UUID, created_ts: float
    ) -> tuple[tuple[Any, ...], list[str]]:
        r = self.rng.random
        c = self.company(r())
        entity = 4 if r() < 0.9 else (5 if r() < 0.8 else 6)
        division = 0 if r() < 0.85 else int(r() * 3) + 1
        mailbox = COMPANY_MAILBOXES[int(r() * len(COMPANY_MAILBOXES))]
        size = self.size(r())
        if kind == "enterprise":
            size = "500+" if r() < 0.6 else "201-500"
        credit = Decimal(int(10 + r() * 1990) * 5000) if r() < 0.6 else None
        balance = Decimal(int(r() * 3500 - 500) * 1000) if status == "active" else ZERO
        profile = (
            c.name, None, None, None, c.name, None, None, c.language,
            f"https://{c.slug}.kz" if r() < 0.7 else None,
            identity.company_email(serial, mailbox, c.slug), None,
            identity.bin_(serial, entity=entity, division=division), size,
            INDUSTRIES[int(r() * len(INDUSTRIES))], credit, balance,
        )  # fmt: skip
        return profile, self._contacts(out, cid, created_ts, c.slug)

    def _contacts(self, out: Chunk, cid: uuid.UUID, created_ts: float, slug: str) -> list[str]:
        r = self.rng.random
        count = self.contact_count(r())
        names = []
        for i in range(count):
            p = self._person()
            position, department, decides = POSITIONS[int(r() * len(POSITIONS))]
            at = datetime.fromtimestamp(created_ts + i, UTC)
            email = f"{p.slug_first[:1]}.{p.slug_last}@{slug}.kz" if r() < 0.8 else None
            phone = identity.phone(int(r() * identity.MAX_SERIAL)) if r() < 0.8 else None
            out.contacts.append((
                new_id(), self.ctx.organization_id, cid, p.first_name, p.last_name, position,
                department, email, phone, i == 0, decides, True, at, at, 1,
            ))  # fmt: skip
            names.append(contact_name(p.first_name, None, p.last_name))
        return names

    def _notes(
        self, out: Chunk, cid: uuid.UUID, created_ts: float, author: uuid.UUID | None
    ) -> None:
        count = self.note_count(self.rng.random())
        for _ in range(count):
            title, content, kind, priority, pinned = NOTES[int(self.rng.random() * len(NOTES))]
            at = self._time(created_ts)
            out.notes.append((
                new_id(), self.ctx.organization_id, cid, title, content, kind, priority, True,
                EMPTY_JSON_LIST, author, pinned, at, at, 1,
            ))  # fmt: skip

    def _custom_fields(self, kind: str) -> str:
        """JSON in the stored form (numbers as decimal strings), cached per combination."""
        fields, r = self.ctx.custom_fields, self.rng.random
        channel = newsletter = budget = None
        if "preferred_channel" in fields and r() < 0.5:
            channel = CHANNELS[int(r() * len(CHANNELS))]
        if "newsletter" in fields and r() < 0.7:
            newsletter = r() < 0.4
        if "annual_budget" in fields and kind != "individual" and r() < 0.5:
            budget = str(int(1 + r() * 499) * 100_000)
        key = (channel, newsletter, budget)
        found = self._custom_json.get(key)
        if found is None:
            values = dict(zip(CUSTOM_FIELD_KEYS, key, strict=True))
            found = json.dumps({k: v for k, v in values.items() if v is not None})
            self._custom_json[key] = found
        return found


CHANNELS = ("phone", "email", "telegram", "whatsapp", "sms")
CUSTOM_FIELD_KEYS = ("preferred_channel", "newsletter", "annual_budget")
# The definitions the demo creates when its organization lacks them: key, label, type, options.
CUSTOM_FIELDS: tuple[tuple[str, str, str, list[str]], ...] = (
    ("preferred_channel", "Preferred channel", "select", list(CHANNELS)),
    ("newsletter", "Newsletter subscriber", "boolean", []),
    ("annual_budget", "Annual budget, KZT", "number", []),
)
