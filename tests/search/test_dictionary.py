"""The search dictionary: words under their deletion keys, kept in step with the customers'
search texts in the same transaction, and the typo pass that looks corrections up in it."""

from __future__ import annotations

import asyncio
import random
import string
import uuid

import pytest
from sqlalchemy import delete, select

from clientbase.auth.actor import Actor
from clientbase.core.errors import ValidationFailed
from clientbase.customers import related_service, search_index
from clientbase.customers import service as customers
from clientbase.customers.schemas import CustomerCreate
from clientbase.db.session import session_scope
from clientbase.search import dictionary
from clientbase.search.models import SearchWordKey
from clientbase.search.words import corrections, dictionary_words, keys, letter_runs
from clientbase.tenancy import service as tenancy
from tests.fixtures import api_create, make_org


def test_dictionary_words_are_runs_of_three_to_32_letters():
    text = "john.smith@mail.kz 77012345678 нгуен-ван ab " + "x" * 33
    assert dictionary_words([text, "smith ngo"]) == {"john", "smith", "mail", "нгуен", "ван", "ngo"}
    assert letter_runs("jean-peirre o'conor jean") == ["jean", "peirre", "conor"]


def test_words_one_edit_apart_share_a_key():
    rng = random.Random(7)  # noqa: S311 - reproducible test words
    letters = string.ascii_lowercase + "абвгдеёжзийклмнопрстуфхцчшщъыьэюя"
    for _ in range(2000):
        word = "".join(rng.choices(letters, k=rng.randint(3, 12)))
        i = rng.randrange(len(word))
        edits = [
            word[:i] + word[i + 1 :],  # deletion
            word[:i] + rng.choice(letters) + word[i:],  # insertion
            word[:i] + rng.choice(letters) + word[i + 1 :],  # substitution
            word[:i] + word[i + 1 : i + 2] + word[i] + word[i + 2 :],  # neighbours swapped
        ]
        for edited in edits:
            assert keys(word) & keys(edited), (word, edited)


def test_corrections_are_within_one_edit_closest_first():
    filed = ["smith", "smyth", "smitt", "smithers", "simth", "smiht"]
    assert corrections("smiht", filed) == ["smith", "smitt"]  # itself is no correction
    assert corrections("simth", ["smith", "sith"]) == ["sith", "smith"]
    assert corrections("иавнов", ["иванов", "иванова"]) == ["иванов"]
    assert corrections("jon", ["john", "joan", "jonas"]) == ["joan", "john"]


async def filed_words(session, org) -> set[str]:  # type: ignore[no-untyped-def]
    stmt = select(SearchWordKey.word).where(
        SearchWordKey.organization_id == org.id, SearchWordKey.key == SearchWordKey.word
    )
    return set((await session.execute(stmt)).scalars())


async def patch(client, org, customer, **changes):  # type: ignore[no-untyped-def]
    url = f"/api/v1/customers/{customer['id']}"
    current = (await client.get(url, headers=org.headers())).json()
    response = await client.patch(
        url, json={**changes, "version": current["version"]}, headers=org.headers()
    )
    assert response.status_code == 200, response.text


async def test_writes_file_words_and_the_rebuild_drops_the_unused(client, session, settings):
    org = await make_org(session, settings, "Dictionary Co")
    await session.commit()
    john = await api_create(client, org, first_name="John", last_name="Smith")
    anna = await api_create(client, org, first_name="Anna", last_name="Smith")
    assert {"john", "smith", "anna"} <= await filed_words(session, org)
    assert await dictionary.close_words(session, org.id, ["simth", "john", "zz"]) == {
        "simth": dictionary.Proposal(known=False, corrections=["smith"]),
        "john": dictionary.Proposal(known=True, corrections=[]),
    }

    await patch(client, org, john, last_name="Smyth")
    await patch(client, org, anna, last_name="Jones")
    assert {"smith", "smyth", "jones"} <= await filed_words(session, org)  # writes only add
    assert await search_index.rebuild_dictionary(session, org.id) == (0, 1)
    await session.commit()
    words = await filed_words(session, org)
    assert "smith" not in words and {"john", "smyth", "anna", "jones"} <= words
    assert not (
        await session.execute(
            select(SearchWordKey).where(
                SearchWordKey.organization_id == org.id, SearchWordKey.word == "smith"
            )
        )
    ).first()  # none of its keys is left either


async def test_a_word_lost_from_the_dictionary_returns_with_the_next_write(
    client, session, settings
):
    org = await make_org(session, settings, "Healing Co")
    await session.commit()
    zebulon = await api_create(client, org, first_name="Zebulon", last_name="Kim")
    await forget(session, org, "zebulon")  # as a rebuild racing a write can
    assert "zebulon" not in await filed_words(session, org)
    await patch(client, org, zebulon, industry="Retail")  # the name is unchanged
    assert "zebulon" in await filed_words(session, org)


async def test_contact_names_are_filed_and_dropped_with_the_contact(client, session, settings):
    org = await make_org(session, settings, "Contacts Co")
    await session.commit()
    company = await api_create(client, org, type="company", name="Kaspi Partner")
    url = f"/api/v1/customers/{company['id']}/contacts"
    added = await client.post(
        url, json={"first_name": "Berik", "last_name": "Omarov"}, headers=org.headers()
    )
    assert added.status_code == 201, added.text
    assert {"kaspi", "partner", "berik", "omarov"} <= await filed_words(session, org)
    removed = await client.delete(f"{url}/{added.json()['id']}", headers=org.headers())
    assert removed.status_code == 204, removed.text
    assert await search_index.rebuild_dictionary(session, org.id) == (0, 2)
    await session.commit()
    words = await filed_words(session, org)
    assert "omarov" not in words and "kaspi" in words


async def test_one_organizations_words_never_correct_anothers(client, session, settings):
    ours = await make_org(session, settings, "Ours")
    theirs = await make_org(session, settings, "Theirs")
    await session.commit()
    await api_create(client, theirs, first_name="Aigerim", last_name="Kassymova")
    ours_close = await dictionary.close_words(session, ours.id, ["kasymova", "kassymova"])
    assert ours_close == {
        "kasymova": dictionary.Proposal(known=False, corrections=[]),
        "kassymova": dictionary.Proposal(known=False, corrections=[]),
    }
    theirs_close = await dictionary.close_words(session, theirs.id, ["kasymova"])
    assert theirs_close == {"kasymova": dictionary.Proposal(known=False, corrections=["kassymova"])}
    found = await client.get(
        "/api/v1/customers", params={"search": "Aigerim Kasymova"}, headers=ours.headers()
    )
    assert found.json()["items"] == []


async def test_a_bulk_item_that_fails_files_none_of_its_words(
    client, session, settings, monkeypatch
):
    org = await make_org(session, settings, "Rollback Co")
    await session.commit()
    add_nested = related_service.add_nested

    def failing_for_zeinep(session, actor, customer_id, data):  # type: ignore[no-untyped-def]
        if data.first_name == "Zeinep":  # after its words were pended
            raise ValidationFailed.on("contacts", "refused by the test")
        return add_nested(session, actor, customer_id, data)

    monkeypatch.setattr(related_service, "add_nested", failing_for_zeinep)
    items = [
        {"type": "individual", "first_name": "Kept", "last_name": "Wordsworth"},
        {"type": "individual", "first_name": "Zeinep", "last_name": "Uniqueword"},
    ]
    response = await client.post(
        "/api/v1/customers/bulk", json={"items": items}, headers=org.headers()
    )
    assert response.status_code == 200, response.text
    assert [e["index"] for e in response.json()["errors"]] == [1]
    words = await filed_words(session, org)
    assert "wordsworth" in words and not {"zeinep", "uniqueword"} & words


async def test_concurrent_writers_of_the_same_new_words_do_not_deadlock(database, dialect):
    """Each files its words at commit in one sorted statement; filing as each profile was
    written made two bulk requests with the same new names in opposite orders deadlock."""
    if dialect != "postgres":
        pytest.skip("SQLite runs one writer at a time: there is no interleaving to test")
    async with session_scope(database) as session:
        org = await tenancy.create_organization(session, name=f"Race {uuid.uuid4().hex}")
    actor = Actor.system(org.id)
    both_wrote_one = asyncio.Barrier(2)

    async def create(session, name: str) -> None:  # type: ignore[no-untyped-def]
        data = CustomerCreate(type="individual", first_name=name)
        await customers.create_customer(session, actor, data)

    async def write(first: str, second: str) -> None:
        async with session_scope(database) as session:
            await create(session, first)
            await both_wrote_one.wait()
            await create(session, second)

    await asyncio.wait_for(
        asyncio.gather(write("Quillonar", "Varmundel"), write("Varmundel", "Quillonar")), 30
    )
    async with session_scope(database) as session:
        held = await dictionary.known(session, org.id, {"quillonar", "varmundel"})
    assert held == {"quillonar", "varmundel"}


async def test_a_known_word_is_corrected_too_when_taken_as_typed_finds_nobody(
    client, session, settings
):
    org = await make_org(session, settings, "Typo Co")
    await session.commit()
    await api_create(client, org, first_name="John", last_name="Smith")
    await api_create(client, org, first_name="Anna", last_name="Smyth")

    async def names(query: str) -> list[str]:
        response = await client.get(
            "/api/v1/customers", params={"search": query}, headers=org.headers()
        )
        assert response.status_code == 200, response.text
        return [c["name"] for c in response.json()["items"]]

    assert await names("Ana Smyth") == ["Anna Smyth"]
    assert await names("Jonh Smyth") == ["John Smith"]
    assert await names("Jonh Qqqqq") == []


async def test_rebuilding_makes_the_dictionary_exactly_the_stored_texts_words(
    client, session, settings
):
    org = await make_org(session, settings, "Rebuild Co")
    other = await make_org(session, settings, "Rebuild Neighbour")
    await session.commit()
    await api_create(client, org, first_name="Aigerim", last_name="Kassymova")
    await api_create(client, other, first_name="Bolat", last_name="Nurlanov")
    await forget(session, org, "kassymova")  # as if lost in a race
    dictionary.pend(session, org.id, {"stale"})
    await session.commit()
    expected = await filed_words(session, org) - {"stale"} | {"kassymova"}

    filed, dropped = await search_index.rebuild_dictionary(session, org.id)
    await session.commit()
    assert (filed, dropped) == (1, 1)
    assert await filed_words(session, org) == expected
    assert "nurlanov" in await filed_words(session, other)
    close = await dictionary.close_words(session, org.id, ["kasymova"])
    assert close["kasymova"].corrections == ["kassymova"]


async def forget(session, org, word: str) -> None:  # type: ignore[no-untyped-def]
    await session.execute(
        delete(SearchWordKey).where(
            SearchWordKey.organization_id == org.id, SearchWordKey.word == word
        )
    )
    await session.commit()
