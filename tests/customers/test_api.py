"""The customer API end to end through the ASGI app (the issue's acceptance walk)."""

from __future__ import annotations

import pytest

from tests.fixtures import BIN_HEAD_OFFICE, IIN_MALE_1990, api_create, make_org

pytestmark = pytest.mark.asyncio


@pytest.fixture
async def org(session, settings):
    return await make_org(session, settings, "Acme Group")


def company(**extra):
    body = {
        "type": "company",
        "name": "Steppe Trading LLP",
        "email": "Info@Steppe.KZ",
        "phone": "+7 (701) 234-56-78",
        "bin": BIN_HEAD_OFFICE,
        "contacts": [
            {
                "first_name": "Aida",
                "last_name": "Nurlanova",
                "is_primary": True,
                "phone": "8 701 111 22 33",
                "email": "Aida@Steppe.kz",
            },
            {"first_name": "Marat", "position": "CFO"},
        ],
        "addresses": [{"type": "office", "country": "kz", "city": "Almaty", "street": "Abay 1"}],
    }
    body.update(extra)
    return body


async def test_nested_create_normalises_and_returns_everything(client, org):
    created = await api_create(client, org, **company())
    assert created["email"] == "info@steppe.kz"
    assert created["phone"] == "+77012345678"
    assert created["version"] == 1
    assert [c["first_name"] for c in created["contacts"]] == ["Aida", "Marat"]
    assert created["contacts"][0]["phone"] == "+77011112233"
    assert created["addresses"][0]["country"] == "KZ"
    assert created["total_spent"] == "0.00" and created["order_count"] == 0
    assert len(created["business_ids"]) == 1


async def test_bad_check_digits_name_the_field(client, org):
    bad_bin = BIN_HEAD_OFFICE[:-1] + "0"
    response = await client.post(
        "/api/v1/customers", json=company(bin=bad_bin), headers=org.headers()
    )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] == "bin"
    assert "check digit" in response.json()["errors"][0]["message"]
    bad_iin = IIN_MALE_1990[:-1] + "1"
    response = await client.post(
        "/api/v1/customers", json={"first_name": "A", "iin": bad_iin}, headers=org.headers()
    )
    assert response.status_code == 422
    assert [e["field"] for e in response.json()["errors"]] == ["iin"]


async def test_same_email_other_case_conflicts_with_existing_id(client, org):
    first = await api_create(client, org, first_name="Dana", email="dana@example.com")
    response = await client.post(
        "/api/v1/customers",
        json={"first_name": "Other", "email": "DANA@Example.com"},
        headers=org.headers(),
    )
    assert response.status_code == 409
    assert response.json()["existing_id"] == first["id"]
    assert response.json()["errors"][0]["field"] == "email"


async def test_invalid_nested_address_saves_nothing(client, org):
    body = company(addresses=[{"type": "office", "country": "XX"}])
    response = await client.post("/api/v1/customers", json=body, headers=org.headers())
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "addresses[0].country"
    listing = await client.get("/api/v1/customers", headers=org.headers())
    assert listing.json()["total"] == 0


async def test_stale_version_changes_nothing(client, org):
    created = await api_create(client, org, first_name="Ivan", last_name="Petrov")
    url = f"/api/v1/customers/{created['id']}"
    ok = await client.patch(url, json={"industry": "Retail", "version": 1}, headers=org.headers())
    assert ok.status_code == 200 and ok.json()["version"] == 2
    stale = await client.patch(
        url, json={"industry": "Mining", "version": 1}, headers=org.headers()
    )
    assert stale.status_code == 409
    stale_etag = await client.patch(
        url, json={"industry": "Mining"}, headers={**org.headers(), "If-Match": 'W/"1"'}
    )
    assert stale_etag.status_code == 412
    missing = await client.patch(url, json={"industry": "Mining"}, headers=org.headers())
    assert missing.status_code == 428
    current = await client.get(url, headers=org.headers())
    assert current.json()["industry"] == "Retail"
    assert current.headers["ETag"] == 'W/"2"'
    by_etag = await client.patch(
        url,
        json={"industry": "Mining"},
        headers={**org.headers(), "If-Match": current.headers["ETag"]},
    )
    assert by_etag.status_code == 200 and by_etag.json()["industry"] == "Mining"


async def test_idempotency_key_replays_and_rejects_other_body(client, org):
    headers = {**org.headers(), "Idempotency-Key": "create-42"}
    first = await client.post("/api/v1/customers", json={"first_name": "Ola"}, headers=headers)
    again = await client.post("/api/v1/customers", json={"first_name": "Ola"}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.json()["id"] == first.json()["id"]
    assert again.headers.get("Idempotent-Replayed") == "true"
    other = await client.post("/api/v1/customers", json={"first_name": "Kim"}, headers=headers)
    assert other.status_code == 422
    listing = await client.get("/api/v1/customers", headers=org.headers())
    assert listing.json()["total"] == 1


async def test_note_longer_than_5000_characters_is_refused(client, org):
    created = await api_create(client, org, first_name="Noted")
    url = f"/api/v1/customers/{created['id']}/notes"
    too_long = await client.post(url, json={"content": "x" * 5001}, headers=org.headers())
    assert too_long.status_code == 422
    assert too_long.json()["errors"][0]["field"] == "content"
    ok = await client.post(url, json={"content": "x" * 5000}, headers=org.headers())
    assert ok.status_code == 201


async def test_second_primary_contact_leaves_one_primary(client, org):
    created = await api_create(client, org, **company())
    url = f"/api/v1/customers/{created['id']}/contacts"
    added = await client.post(
        url, json={"first_name": "Zhan", "is_primary": True}, headers=org.headers()
    )
    assert added.status_code == 201
    contacts = (await client.get(url, headers=org.headers())).json()
    assert [c["first_name"] for c in contacts if c["is_primary"]] == ["Zhan"]
    marat = next(c for c in contacts if c["first_name"] == "Marat")
    promoted = await client.patch(
        f"{url}/{marat['id']}",
        json={"is_primary": True, "version": marat["version"]},
        headers=org.headers(),
    )
    assert promoted.status_code == 200
    contacts = (await client.get(url, headers=org.headers())).json()
    assert [c["first_name"] for c in contacts if c["is_primary"]] == ["Marat"]


async def test_history_and_event_feed_record_each_change(client, org):
    created = await api_create(client, org, first_name="Hist", email="hist@example.com")
    url = f"/api/v1/customers/{created['id']}"
    await client.patch(url, json={"status": "prospect", "version": 1}, headers=org.headers())
    history = (await client.get(f"{url}/history", headers=org.headers())).json()["items"]
    assert [h["action"] for h in history] == ["customer.updated", "customer.created"]
    assert history[0]["changes"]["status"] == {"old": "lead", "new": "prospect"}
    assert history[1]["changes"]["email"]["new"] == "h***@example.com"
    events = (await client.get("/api/v1/events", headers=org.headers())).json()
    types = [e["type"] for e in events["items"]]
    assert types[:1] == ["customer.created"]
    assert "customer.status_changed" in types
    after = await client.get(f"/api/v1/events?after={events['next_cursor']}", headers=org.headers())
    assert after.json()["items"] == []


async def test_soft_delete_hides_and_restore_returns(client, org):
    created = await api_create(client, org, first_name="Gone")
    url = f"/api/v1/customers/{created['id']}"
    assert (await client.delete(url, headers=org.headers())).status_code == 204
    assert (await client.get(url, headers=org.headers())).status_code == 404
    assert (await client.get("/api/v1/customers", headers=org.headers())).json()["total"] == 0
    with_deleted = await client.get("/api/v1/customers?include_deleted=true", headers=org.headers())
    assert with_deleted.json()["total"] == 1
    restored = await client.post(f"{url}/restore", headers=org.headers())
    assert restored.status_code == 200 and restored.json()["deleted_at"] is None
    assert (await client.get(url, headers=org.headers())).status_code == 200


async def test_viewer_cannot_write_and_sees_national_ids_masked(client, org):
    created = await api_create(
        client, org, first_name="Masked", iin=IIN_MALE_1990, date_of_birth="1990-01-01"
    )
    url = f"/api/v1/customers/{created['id']}"
    seen = (await client.get(url, headers=org.headers("viewer"))).json()
    assert seen["iin"] == "********0007" and seen["date_of_birth"] == "****-**-**"
    support = (await client.get(url, headers=org.headers("support"))).json()
    assert support["iin"] == "********0007"
    write = await client.patch(
        url, json={"industry": "X", "version": 1}, headers=org.headers("viewer")
    )
    assert write.status_code == 403
    create = await client.post(
        "/api/v1/customers", json={"first_name": "V"}, headers=org.headers("viewer")
    )
    assert create.status_code == 403


async def test_bad_token_is_401(client, org):
    response = await client.get("/api/v1/customers", headers={"Authorization": "Bearer nonsense"})
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert (await client.get("/api/v1/customers")).status_code == 401


async def test_token_endpoint_signs_in_with_password_form(client, org):
    response = await client.post(
        "/api/v1/auth/token",
        data={"username": "ADMIN@acme-group.example.com", "password": "correct-horse-battery"},
    )
    assert response.status_code == 200
    assert response.json()["token_type"] == "bearer"
    me = await client.get(
        "/api/v1/users/me", headers={"Authorization": f"Bearer {response.json()['access_token']}"}
    )
    assert me.json()["email"] == "admin@acme-group.example.com"
