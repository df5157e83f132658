"""The caller's organization, its settings and businesses."""

from __future__ import annotations

import uuid

import pytest

from tests.assertions import problem
from tests.fixtures import api_create

API = "/api/v1"


async def test_every_role_sees_its_organization(client, org):
    for role in ("admin", "viewer"):
        response = await client.get(f"{API}/organization", headers=org.headers(role))
        assert response.status_code == 200
        assert response.json()["id"] == str(org.id) and response.json()["name"] == org.name
        assert response.json()["settings"]["default_phone_region"] == "KZ"


async def test_the_default_phone_region_decides_how_local_numbers_are_read(client, org):
    kz = await api_create(client, org, first_name="Kz", phone="8 701 234 56 78")
    assert kz["phone"] == "+77012345678"
    changed = await client.patch(
        f"{API}/organization/settings", json={"default_phone_region": "de"}, headers=org.headers()
    )
    assert changed.status_code == 200 and changed.json()["settings"]["default_phone_region"] == "DE"
    de = await api_create(client, org, first_name="De", phone="030 901820")
    assert de["phone"] == "+4930901820"
    international = await api_create(client, org, first_name="Intl", phone="+7 701 999 88 77")
    assert international["phone"] == "+77019998877"
    audit = (
        await client.get(f"{API}/audit?action=organization.settings_updated", headers=org.headers())
    ).json()
    assert audit["items"][0]["changes"]["default_phone_region"] == {"old": "KZ", "new": "DE"}


@pytest.mark.parametrize("region", ["XX", "KAZ", "", 7])
async def test_an_unknown_region_is_refused(client, org, region):
    response = await client.patch(
        f"{API}/organization/settings", json={"default_phone_region": region}, headers=org.headers()
    )
    problem(response, 422, "default_phone_region")
    current = await client.get(f"{API}/organization", headers=org.headers())
    assert current.json()["settings"]["default_phone_region"] == "KZ"


async def test_unknown_settings_are_refused(client, org):
    response = await client.patch(
        f"{API}/organization/settings", json={"favourite_colour": "blue"}, headers=org.headers()
    )
    problem(response, 422, "favourite_colour")


async def test_every_organization_has_a_default_business(client, org):
    businesses = (await client.get(f"{API}/businesses", headers=org.headers())).json()
    assert [(b["name"], b["is_default"]) for b in businesses] == [("Main", True)]
    customer = await api_create(client, org, first_name="Joined")
    assert customer["business_ids"] == [businesses[0]["id"]]


async def test_customers_join_the_businesses_they_are_given(client, org):
    shop = await client.post(
        f"{API}/businesses", json={"name": "Online shop"}, headers=org.headers()
    )
    assert shop.status_code == 201 and shop.json()["is_default"] is False
    main = (await client.get(f"{API}/businesses", headers=org.headers())).json()[0]
    both = await api_create(
        client,
        org,
        first_name="Both",
        business_ids=[shop.json()["id"], main["id"], shop.json()["id"]],
    )
    assert both["business_ids"] == [shop.json()["id"], main["id"]]


async def test_a_business_name_is_unique_within_the_organization(client, org, other_org):
    assert (
        await client.post(f"{API}/businesses", json={"name": "Kiosk"}, headers=org.headers())
    ).status_code == 201
    problem(
        await client.post(f"{API}/businesses", json={"name": "Kiosk"}, headers=org.headers()), 409
    )
    other = await client.post(
        f"{API}/businesses", json={"name": "Kiosk"}, headers=other_org.headers()
    )
    assert other.status_code == 201


async def test_an_unknown_business_is_refused_and_nothing_is_saved(client, org):
    response = await client.post(
        f"{API}/customers",
        json={"first_name": "Lost", "business_ids": [str(uuid.uuid4())]},
        headers=org.headers(),
    )
    problem(response, 422, "business_ids")
    listing = await client.get(f"{API}/customers", headers=org.headers())
    assert listing.json()["total"] == 0
