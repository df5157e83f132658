"""The search dictionary: words under their deletion keys, kept in step with the customers'
search texts in the same transaction, and the typo pass that looks corrections up in it."""

from __future__ import annotations

import random
import string

from sqlalchemy import select

from clientbase.customers import search_index
from clientbase.search import dictionary
from clientbase.search.models import SearchWordKey
from clientbase.search.words import corrections, dictionary_words, keys
from tests.fixtures import api_create, make_org


def test_dictionary_words_are_runs_of_three_to_32_letters():
    text = "john.smith@mail.kz 77012345678 нгуен-ван ab " + "x" * 33
    assert dictionary_words([text, "smith ngo"]) == {"john", "smith", "mail", "нгуен", "ван", "ngo"}


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


async def test_words_are_filed_and_dropped_with_the_profiles_that_use_them(
    client, session, settings
):
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
    assert {"smith", "smyth"} <= await filed_words(session, org)  # Anna still has smith
    await patch(client, org, anna, last_name="Jones")
    words = await filed_words(session, org)
    assert "smith" not in words and {"jones", "smyth"} <= words
    assert not (
        await session.execute(
            select(SearchWordKey).where(
                SearchWordKey.organization_id == org.id, SearchWordKey.word == "smith"
            )
        )
    ).first()  # none of its keys is left either


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


async def test_a_failed_create_files_no_words(client, session, settings):
    org = await make_org(session, settings, "Rollback Co")
    await session.commit()
    await api_create(client, org, first_name="Taken", last_name="Email", email="x@example.com")
    duplicate = {"first_name": "Zeinep", "last_name": "Uniqueword", "email": "x@example.com"}
    response = await client.post("/api/v1/customers", json=duplicate, headers=org.headers())
    assert response.status_code == 409, response.text
    assert not {"zeinep", "uniqueword"} & await filed_words(session, org)


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
    await dictionary.forget(session, org.id, "kassymova")  # as if lost in a race
    await dictionary.remember(session, org.id, {"stale"})
    await session.commit()
    expected = await filed_words(session, org) - {"stale"} | {"kassymova"}

    filed, dropped = await search_index.rebuild_dictionary(session, org.id)
    await session.commit()
    assert (filed, dropped) == (1, 1)
    assert await filed_words(session, org) == expected
    assert "nurlanov" in await filed_words(session, other)
    close = await dictionary.close_words(session, org.id, ["kasymova"])
    assert close["kasymova"].corrections == ["kassymova"]
