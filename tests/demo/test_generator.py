"""The demo generator on its own: valid identifiers, unique values, exact search text,
the same data for the same seed."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pytest

from clientbase.customers.identifiers import check_bin, check_iin
from clientbase.customers.search_index import contact_name
from clientbase.customers.validation import normalize_email, normalize_phone
from clientbase.demo import identity
from clientbase.demo.addresses import ADDRESS_COLUMNS
from clientbase.demo.generator import (
    CONTACT_COLUMNS,
    CUSTOMER_COLUMNS,
    NOTE_COLUMNS,
    Context,
    Generator,
)
from clientbase.demo.names import ascii_slug
from clientbase.demo.search_text import SearchText
from clientbase.search.text import customer_search_text

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
FIELDS = {"preferred_channel": "select", "newsletter": "boolean", "annual_budget": "number"}


def make(seed: int = 7, count: int = 2000, **overrides):  # type: ignore[no-untyped-def]
    values = dict(
        organization_id=uuid.uuid4(),
        business_id=uuid.uuid4(),
        user_ids=[uuid.uuid4(), uuid.uuid4()],
        custom_fields=FIELDS,
        now=NOW,
    )
    values.update(overrides)
    return Generator(Context(**values), seed).chunk(count)


@pytest.fixture(scope="module")
def chunk():  # type: ignore[no-untyped-def]
    return make()


def as_dicts(rows, columns):  # type: ignore[no-untyped-def]
    return [dict(zip(columns, row, strict=True)) for row in rows]


def test_identifiers_are_valid_and_unique(chunk):
    customers = as_dicts(chunk.customers, CUSTOMER_COLUMNS)
    for c in customers:
        if c["iin"]:
            assert c["type"] == "individual"
            assert check_iin(c["iin"], date_of_birth=c["date_of_birth"]).valid, c["iin"]
            assert check_iin(c["iin"]).details["sex"] == c["gender"]
        if c["bin"]:
            assert c["type"] != "individual" and check_bin(c["bin"]).valid, c["bin"]
        if c["phone"]:
            assert normalize_phone(c["phone"], "KZ") == c["phone"]
        if c["email"]:
            assert normalize_email(c["email"]) == c["email"]
    for column in ("email", "phone", "iin", "bin"):
        values = [c[column] for c in customers if c[column]]
        assert len(values) == len(set(values)), column
        assert len(values) > len(customers) * 0.15, column
    assert {c["type"] for c in customers} == {"individual", "company", "enterprise"}
    assert {c["status"] for c in customers} >= {"lead", "prospect", "active", "churned"}


def test_names_and_places_cover_the_languages(chunk):
    text = " ".join(row[CUSTOMER_COLUMNS.index("name")] for row in chunk.customers)
    for letter in ("Ә", "Қ", "ễ", "í", "ё", "Ж"):
        assert letter in text, letter
    addresses = as_dicts(chunk.addresses, ADDRESS_COLUMNS)
    countries = [a["country"] for a in addresses]
    assert countries.count("KZ") > len(countries) * 0.8 and len(set(countries)) > 3
    assert {a["type"] for a in addresses} == {"home", "shipping", "office", "billing", "warehouse"}
    assert {"Almaty", "Astana", "Shymkent"} <= {a["city"] for a in addresses}
    per_type = {(a["customer_id"], a["type"]) for a in addresses}
    assert len(per_type) == len(addresses)  # at most one (primary) address per type


def test_search_text_is_what_the_application_stores(chunk):
    contacts: dict[uuid.UUID, list[str]] = {}
    for c in as_dicts(chunk.contacts, CONTACT_COLUMNS):
        contacts.setdefault(c["customer_id"], []).append(
            contact_name(c["first_name"], None, c["last_name"])
        )
    for c in as_dicts(chunk.customers, CUSTOMER_COLUMNS):
        expected = customer_search_text(
            name=c["name"], company_name=c["company_name"], first_name=c["first_name"],
            last_name=c["last_name"], email=c["email"], phone=c["phone"], iin=c["iin"],
            bin=c["bin"], contact_names=contacts.get(c["id"], []),
        )  # fmt: skip
        assert c["search_text"] == expected


def test_search_text_falls_back_to_the_real_function_when_they_differ():
    fast = SearchText()
    args = dict(company_name=None, first_name=None, last_name=None, email="A B@x", phone=None,
                iin=None, bin=None, contact_names=())  # fmt: skip
    fast._normalized["Stale"] = "not what normalize says"
    assert fast(name="Stale", **args) == customer_search_text(name="Stale", **args)
    assert fast.trusted is False
    assert fast(name="Other", **args) == customer_search_text(name="Other", **args)


def test_related_rows(chunk):
    ids = {row[0] for row in chunk.customers}
    contacts = as_dicts(chunk.contacts, CONTACT_COLUMNS)
    notes = as_dicts(chunk.notes, NOTE_COLUMNS)
    assert contacts and notes and len(chunk.memberships) == len(ids)
    assert all(c["customer_id"] in ids for c in contacts + notes)
    primaries = [c["customer_id"] for c in contacts if c["is_primary"]]
    assert len(primaries) == len(set(primaries))
    kinds = dict((row[0], row[2]) for row in chunk.customers)
    assert all(kinds[c["customer_id"]] != "individual" for c in contacts)
    per_customer = {}
    for n in notes:
        per_customer[n["customer_id"]] = per_customer.get(n["customer_id"], 0) + 1
    assert max(per_customer.values()) <= 2


def test_custom_fields_and_tags_are_stored_forms(chunk):
    seen = set()
    for c in as_dicts(chunk.customers, CUSTOMER_COLUMNS):
        values = json.loads(c["custom_fields"])
        seen |= set(values)
        assert set(values) <= set(FIELDS)
        if "annual_budget" in values:
            assert isinstance(values["annual_budget"], str) and values["annual_budget"].isdigit()
        tags = json.loads(c["tags"])
        assert tags == [t.lower() for t in tags] and len(tags) <= 3
    assert seen == set(FIELDS)
    only_channel = make(count=300, custom_fields={"preferred_channel": "select"})
    keys = set().union(*(json.loads(r[CUSTOMER_COLUMNS.index("custom_fields")])
                         for r in only_channel.customers))  # fmt: skip
    assert keys == {"preferred_channel"}


def test_created_dates_span_three_years(chunk):
    created = [row[CUSTOMER_COLUMNS.index("created_at")] for row in chunk.customers]
    assert max(created) <= NOW and (NOW - min(created)).days > 2 * 365
    assert all(t.tzinfo is not None for t in created)


def test_same_seed_same_data_apart_from_ids():
    org, business, users = uuid.uuid4(), uuid.uuid4(), [uuid.uuid4()]

    def values(seed):  # type: ignore[no-untyped-def]
        chunk = make(seed, 300, organization_id=org, business_id=business, user_ids=users)
        return [tuple(v for v in row if not (isinstance(v, uuid.UUID) and v not in (org, *users)))
                for row in chunk.customers]  # fmt: skip

    assert values(3) == values(3)
    assert values(3) != values(4)


def test_taken_identifiers_are_left_out():
    first = as_dicts(make(count=50).customers, CUSTOMER_COLUMNS)
    taken = {first[0]["phone"], first[1]["email"]}
    again = as_dicts(make(count=50, taken=taken).customers, CUSTOMER_COLUMNS)
    assert again[0]["phone"] is None and again[1]["email"] is None
    assert again[2]["phone"] == first[2]["phone"]


def test_serials_keep_identifiers_apart_across_runs():
    phones = {identity.phone(n) for n in range(0, 20_000)}
    assert len(phones) == 20_000
    iins = [identity.iin(n, female=n % 2 == 0)[0] for n in range(5_000)]
    valid = [i for i in iins if i]
    assert len(valid) == len(set(valid)) > 4_900
    assert ascii_slug("Қасымова") == "kasymova" and ascii_slug("Nguyễn") == "nguyen"
    assert ascii_slug("O'Brien") == "obrien" and ascii_slug("Ёлка") == "elka"
