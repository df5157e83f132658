"""Signing in, tokens, API keys and user administration through the API."""

from __future__ import annotations

import uuid
from datetime import timedelta

import jwt
import pytest
from sqlalchemy import select, update

from clientbase.auth.models import ApiKey, LoginThrottle
from clientbase.auth.tokens import issue_access_token
from clientbase.db.base import utcnow
from tests.assertions import problem
from tests.fixtures import PASSWORD

API = "/api/v1"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def sign_in(client, email: str, password: str = PASSWORD):
    return await client.post(f"{API}/auth/token", data={"username": email, "password": password})


# The token endpoint ----------------------------------------------------------------------


async def test_sign_in_returns_a_bearer_token_that_works(client, org, settings):
    response = await sign_in(client, org.users["manager"].email)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == settings.access_token_minutes * 60
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert jwt.get_unverified_header(body["access_token"])["alg"] == "HS256"
    assert claims["sub"] == str(org.users["manager"].id) and claims["org"] == str(org.id)
    me = await client.get(f"{API}/users/me", headers=bearer(body["access_token"]))
    assert me.json()["role"] == "manager"
    assert me.json()["last_login_at"] is not None


@pytest.mark.parametrize(
    ("username", "password"),
    [
        ("manager@{slug}", "wrong-password-1"),
        ("nobody@{slug}", PASSWORD),
        ("", PASSWORD),
        ("manager@{slug}", ""),
    ],
)
async def test_wrong_credentials_are_401_or_422_and_say_nothing_specific(
    client, org, username, password
):
    slug = org.users["manager"].email.split("@", 1)[1]
    response = await sign_in(client, username.format(slug=slug), password)
    if not username or not password:
        problem(response, 422)
        return
    body = problem(response, 401)
    assert body["detail"] == "Incorrect email or password."
    assert "access_token" not in response.text


async def test_sign_in_takes_a_form_not_json(client, org):
    response = await client.post(
        f"{API}/auth/token", json={"username": org.users["admin"].email, "password": PASSWORD}
    )
    problem(response, 422)


async def test_deactivated_user_cannot_sign_in_and_their_token_stops_working(client, org):
    viewer = org.users["viewer"]
    token = (await sign_in(client, viewer.email)).json()["access_token"]
    assert (await client.get(f"{API}/customers", headers=bearer(token))).status_code == 200
    version = (await client.get(f"{API}/users/{viewer.id}", headers=org.headers())).json()[
        "version"
    ]
    off = await client.patch(
        f"{API}/users/{viewer.id}",
        json={"is_active": False, "version": version},
        headers=org.headers(),
    )
    assert off.status_code == 200 and off.json()["is_active"] is False
    problem(await client.get(f"{API}/customers", headers=bearer(token)), 401)
    problem(await client.get(f"{API}/customers", headers=org.headers("viewer")), 401)
    problem(await sign_in(client, viewer.email), 401)


# Forged and expired tokens ---------------------------------------------------------------


def claims_for(tenant, role="admin", **extra):
    now = utcnow()
    claims = {
        "sub": str(tenant.users[role].id),
        "org": str(tenant.id),
        "iss": tenant.settings.jwt_issuer,
        "iat": now,
        "nbf": now,
        "exp": now + timedelta(minutes=5),
    }
    claims.update(extra)
    return claims


async def test_expired_token_is_401(client, org, settings):
    token = issue_access_token(
        user_id=org.users["admin"].id,
        organization_id=org.id,
        key=settings.signing_key(),
        issuer=settings.jwt_issuer,
        minutes=-1,
    )
    body = problem(await client.get(f"{API}/customers", headers=bearer(token)), 401)
    assert "expired" in body["detail"]


@pytest.mark.filterwarnings("ignore:The HMAC key")
@pytest.mark.parametrize(
    "forge",
    [
        "alg none",
        "other key",
        "HS512 same key",
        "other issuer",
        "other organization",
        "no expiry",
        "garbage subject",
        "truncated",
    ],
)
async def test_forged_tokens_are_401(client, org, other_org, settings, forge):
    key = settings.signing_key()
    if forge == "alg none":
        token = jwt.encode(claims_for(org), None, algorithm="none")
    elif forge == "other key":
        token = jwt.encode(claims_for(org), "another-key-that-is-long-enough-0123456789", "HS256")
    elif forge == "HS512 same key":
        token = jwt.encode(claims_for(org), key, algorithm="HS512")
    elif forge == "other issuer":
        token = jwt.encode(claims_for(org, iss="someone-else"), key, algorithm="HS256")
    elif forge == "other organization":
        token = jwt.encode(claims_for(org, org=str(other_org.id)), key, algorithm="HS256")
    elif forge == "no expiry":
        claims = claims_for(org)
        del claims["exp"]
        token = jwt.encode(claims, key, algorithm="HS256")
    elif forge == "garbage subject":
        token = jwt.encode(claims_for(org, sub="not-a-uuid"), key, algorithm="HS256")
    else:
        token = jwt.encode(claims_for(org), key, algorithm="HS256")[:-5]
    response = await client.get(f"{API}/customers", headers=bearer(token))
    problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("header", ["Basic YWRtaW46cGFzcw==", "Bearer", "Bearer ", "Token abc"])
async def test_malformed_authorization_header_is_401(client, header):
    problem(await client.get(f"{API}/customers", headers={"Authorization": header}), 401)


# Login throttling ------------------------------------------------------------------------


async def test_five_failures_lock_the_account_even_for_the_right_password(
    client, session, org, settings
):
    email = org.users["support"].email
    for attempt in range(settings.login_max_failures):
        problem(await sign_in(client, email, f"wrong-{attempt}-password"), 401)
    locked = await sign_in(client, email)
    body = problem(locked, 429)
    retry = int(locked.headers["Retry-After"])
    assert 0 < retry <= settings.login_lockout_minutes * 60 + 1
    assert "access_token" not in locked.text
    problem(await sign_in(client, email.upper()), 429)  # the same login, other letter case
    assert body["detail"]
    # Other accounts are unaffected.
    assert (await sign_in(client, org.users["viewer"].email)).status_code == 200


async def test_failures_are_counted_although_the_request_fails(client, session, org):
    email = org.users["support"].email
    for _ in range(3):
        problem(await sign_in(client, email.upper(), "wrong-password-x"), 401)
    throttle = await session.get(LoginThrottle, email)
    await session.refresh(throttle)
    assert throttle.failures == 3 and throttle.locked_until is None


async def test_a_success_before_the_limit_clears_the_count(client, session, org, settings):
    email = org.users["support"].email
    for _ in range(settings.login_max_failures - 1):
        problem(await sign_in(client, email, "wrong-password-x"), 401)
    assert (await sign_in(client, email)).status_code == 200
    assert await session.get(LoginThrottle, email) is None
    for _ in range(settings.login_max_failures - 1):
        problem(await sign_in(client, email, "wrong-password-x"), 401)
    assert (await sign_in(client, email)).status_code == 200


async def test_the_lock_ends_when_its_time_is_up(client, session, org, settings):
    email = org.users["support"].email
    for _ in range(settings.login_max_failures):
        await sign_in(client, email, "wrong-password-x")
    problem(await sign_in(client, email), 429)
    await session.execute(
        update(LoginThrottle)
        .where(LoginThrottle.login == email)
        .values(locked_until=utcnow() - timedelta(seconds=1))
    )
    session.expire_all()
    assert (await sign_in(client, email)).status_code == 200


async def test_unknown_logins_are_throttled_too(client, settings):
    for _ in range(settings.login_max_failures):
        problem(await sign_in(client, "ghost@example.com", "whatever-password"), 401)
    problem(await sign_in(client, "ghost@example.com", "whatever-password"), 429)


# API keys --------------------------------------------------------------------------------


async def create_key(client, org, **body):
    response = await client.post(
        f"{API}/api-keys", json={"name": "sync", **body}, headers=org.headers()
    )
    assert response.status_code == 201, response.text
    return response.json()


async def test_api_key_secret_is_shown_once_and_stored_hashed(client, session, org):
    created = await create_key(client, org, role="manager")
    secret = created["key"]
    assert secret.startswith("cb_") and len(secret) > 40
    assert created["prefix"] == secret[:10]
    listing = await client.get(f"{API}/api-keys", headers=org.headers())
    assert [k["id"] for k in listing.json()] == [created["id"]]
    assert "key" not in listing.json()[0] and secret not in listing.text
    stored = (
        await session.execute(select(ApiKey).where(ApiKey.id == uuid.UUID(created["id"])))
    ).scalar_one()
    assert stored.key_hash != secret and secret not in stored.key_hash


async def test_api_key_works_as_bearer_with_its_role(client, org):
    key = (await create_key(client, org, role="manager"))["key"]
    created = await client.post(
        f"{API}/customers", json={"first_name": "ByKey"}, headers=bearer(key)
    )
    assert created.status_code == 201, created.text
    history = await client.get(
        f"{API}/customers/{created.json()['id']}/history", headers=org.headers()
    )
    actor = history.json()["items"][0]["actor"]
    assert actor["type"] == "api_key" and actor["label"] == "api-key:sync"
    problem(await client.get(f"{API}/audit", headers=bearer(key)), 403)  # a manager key


async def test_a_read_with_a_key_records_its_use_once_a_minute(client, org):
    key = await create_key(client, org, role="viewer")
    listed = (await client.get(f"{API}/api-keys", headers=org.headers())).json()
    assert listed[0]["last_used_at"] is None
    for _ in range(3):
        assert (await client.get(f"{API}/customers", headers=bearer(key["key"]))).status_code == 200
    listed = (await client.get(f"{API}/api-keys", headers=org.headers())).json()
    first_use = listed[0]["last_used_at"]
    assert first_use is not None
    await client.get(f"{API}/customers", headers=bearer(key["key"]))
    listed = (await client.get(f"{API}/api-keys", headers=org.headers())).json()
    assert listed[0]["last_used_at"] == first_use  # within the minute: not rewritten


async def test_a_key_whose_request_failed_is_still_recorded_as_used(client, org):
    key = await create_key(client, org, role="viewer")
    missing = f"{API}/customers/{uuid.uuid4()}"
    assert (await client.get(missing, headers=bearer(key["key"]))).status_code == 404
    listed = (await client.get(f"{API}/api-keys", headers=org.headers())).json()
    assert listed[0]["last_used_at"] is not None


async def test_scopes_restrict_a_key_below_its_role(client, org):
    key = (await create_key(client, org, role="manager", scopes=["customers:read"]))["key"]
    assert (await client.get(f"{API}/customers", headers=bearer(key))).status_code == 200
    body = problem(
        await client.post(f"{API}/customers", json={"first_name": "No"}, headers=bearer(key)), 403
    )
    assert "customers:write" in body["detail"]
    listing = await client.get(f"{API}/customers", headers=org.headers())
    assert listing.json()["total"] == 0


async def test_a_viewer_key_cannot_write_and_sees_masked_ids(client, org):
    key = (await create_key(client, org))["key"]  # role defaults to viewer
    problem(
        await client.post(f"{API}/customers", json={"first_name": "No"}, headers=bearer(key)), 403
    )


async def test_scopes_beyond_the_role_are_refused(client, org):
    response = await client.post(
        f"{API}/api-keys",
        json={"name": "x", "role": "viewer", "scopes": ["customers:write"]},
        headers=org.headers(),
    )
    problem(response, 422, "scopes")
    unknown = await client.post(
        f"{API}/api-keys", json={"name": "x", "scopes": ["everything:all"]}, headers=org.headers()
    )
    problem(unknown, 422)


async def test_revoked_key_is_401(client, org):
    created = await create_key(client, org)
    revoked = await client.delete(f"{API}/api-keys/{created['id']}", headers=org.headers())
    assert revoked.status_code == 200 and revoked.json()["revoked_at"] is not None
    problem(await client.get(f"{API}/customers", headers=bearer(created["key"])), 401)


async def test_expired_key_is_401(client, session, org):
    created = await create_key(client, org, expires_at=(utcnow() + timedelta(days=1)).isoformat())
    assert (await client.get(f"{API}/customers", headers=bearer(created["key"]))).status_code == 200
    await session.execute(
        update(ApiKey)
        .where(ApiKey.id == uuid.UUID(created["id"]))
        .values(expires_at=utcnow() - timedelta(seconds=1))
    )
    session.expire_all()
    problem(await client.get(f"{API}/customers", headers=bearer(created["key"])), 401)


async def test_a_key_that_expires_in_the_past_cannot_be_created(client, org):
    past = (utcnow() - timedelta(minutes=1)).isoformat()
    response = await client.post(
        f"{API}/api-keys", json={"name": "x", "expires_at": past}, headers=org.headers()
    )
    problem(response, 422, "expires_at")


@pytest.mark.parametrize("key", ["cb_not-a-real-key", "cb_", "cb_" + "a" * 43])
async def test_unknown_api_keys_are_401(client, key):
    problem(await client.get(f"{API}/customers", headers=bearer(key)), 401)


# Users administration --------------------------------------------------------------------


async def test_admin_creates_a_user_who_can_sign_in(client, org):
    response = await client.post(
        f"{API}/users",
        json={"email": " New.Rep@Example.COM ", "password": "long-enough-pw", "role": "sales"},
        headers=org.headers(),
    )
    assert response.status_code == 201, response.text
    assert response.json()["email"] == "new.rep@example.com"
    assert response.json()["role"] == "sales" and "password" not in response.text
    token = await sign_in(client, "new.rep@example.com", "long-enough-pw")
    assert token.status_code == 200
    listing = await client.get(f"{API}/users?role=sales", headers=org.headers())
    assert {u["email"] for u in listing.json()["items"]} == {
        org.users["sales"].email,
        "new.rep@example.com",
    }


async def test_duplicate_email_is_409_in_any_letter_case_and_any_organization(
    client, org, other_org
):
    for headers in (org.headers(), other_org.headers()):
        response = await client.post(
            f"{API}/users",
            json={"email": org.users["viewer"].email.upper(), "password": "long-enough-pw"},
            headers=headers,
        )
        problem(response, 409, "email")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "short@example.com", "password": "short"}, "password"),
        ({"email": "not-an-email", "password": "long-enough-pw"}, "email"),
        ({"email": "r@example.com", "password": "long-enough-pw", "role": "owner"}, "role"),
        ({"email": "r@example.com", "password": "long-enough-pw", "is_admin": True}, "is_admin"),
    ],
)
async def test_invalid_user_is_422_naming_the_field(client, org, body, field):
    problem(await client.post(f"{API}/users", json=body, headers=org.headers()), 422, field)


async def test_role_change_takes_effect_on_the_next_request(client, org):
    viewer = org.users["viewer"]
    problem(
        await client.post(
            f"{API}/customers", json={"first_name": "V"}, headers=org.headers("viewer")
        ),
        403,
    )
    changed = await client.patch(
        f"{API}/users/{viewer.id}", json={"role": "manager", "version": 1}, headers=org.headers()
    )
    assert changed.status_code == 200 and changed.json()["version"] == 2
    created = await client.post(
        f"{API}/customers", json={"first_name": "V"}, headers=org.headers("viewer")
    )
    assert created.status_code == 201


async def test_patching_a_user_needs_the_current_version(client, org):
    url = f"{API}/users/{org.users['viewer'].id}"
    problem(await client.patch(url, json={"full_name": "X"}, headers=org.headers()), 428)
    problem(
        await client.patch(url, json={"full_name": "X", "version": 7}, headers=org.headers()), 409
    )
    problem(
        await client.patch(
            url, json={"full_name": "X"}, headers={**org.headers(), "If-Match": 'W/"7"'}
        ),
        412,
    )
    current = await client.get(url, headers=org.headers())
    assert current.json()["full_name"] == "Viewer" and current.json()["version"] == 1
    ok = await client.patch(
        url, json={"full_name": "X"}, headers={**org.headers(), "If-Match": 'W/"1"'}
    )
    assert ok.status_code == 200 and ok.json()["full_name"] == "X"


async def test_the_last_admin_cannot_be_demoted_or_deactivated(client, org):
    url = f"{API}/users/{org.users['admin'].id}"
    for body in ({"role": "manager"}, {"is_active": False}):
        problem(await client.patch(url, json={**body, "version": 1}, headers=org.headers()), 422)
    me = await client.get(url, headers=org.headers())
    assert me.json()["role"] == "admin" and me.json()["is_active"] is True
    second = await client.patch(
        f"{API}/users/{org.users['manager'].id}",
        json={"role": "admin", "version": 1},
        headers=org.headers(),
    )
    assert second.status_code == 200
    demoted = await client.patch(url, json={"role": "manager", "version": 1}, headers=org.headers())
    assert demoted.status_code == 200 and demoted.json()["role"] == "manager"
    last = await client.patch(
        f"{API}/users/{org.users['manager'].id}",
        json={"is_active": False, "version": 2},
        headers=org.headers("manager"),
    )
    problem(last, 422)


async def test_user_changes_are_audited_without_passwords(client, org):
    url = f"{API}/users/{org.users['viewer'].id}"
    changed = await client.patch(
        url,
        json={"role": "support", "password": "a-new-long-password", "version": 1},
        headers=org.headers(),
    )
    assert changed.status_code == 200
    audit = (await client.get(f"{API}/audit?action=user.updated", headers=org.headers())).json()
    changes = audit["items"][0]["changes"]
    assert changes["role"] == {"old": "viewer", "new": "support"}
    assert changes["password"] == {"old": "***", "new": "***"}
    assert "a-new-long-password" not in str(audit)
    assert (
        await sign_in(client, org.users["viewer"].email, "a-new-long-password")
    ).status_code == 200


async def test_users_see_themselves_but_not_each_other(client, org):
    me = await client.get(f"{API}/users/{org.users['sales'].id}", headers=org.headers("sales"))
    assert me.status_code == 200
    other = await client.get(f"{API}/users/{org.users['viewer'].id}", headers=org.headers("sales"))
    problem(other, 403)
    problem(await client.get(f"{API}/users/{uuid.uuid4()}", headers=org.headers()), 404)
