"""Signing in records last_login_at without changing the user's version."""

from __future__ import annotations

import pytest

from tests.fixtures import PASSWORD, make_org

pytestmark = pytest.mark.asyncio


async def test_sign_in_keeps_the_version_an_admin_holds(client, session, settings):
    org = await make_org(session, settings, "Bookkeeping")
    viewer = org.users["viewer"]
    url = f"/api/v1/users/{viewer.id}"
    before = (await client.get(url, headers=org.headers())).json()
    signed = await client.post(
        "/api/v1/auth/token", data={"username": viewer.email, "password": PASSWORD}
    )
    assert signed.status_code == 200
    after = (await client.get(url, headers=org.headers())).json()
    assert after["last_login_at"] is not None and after["version"] == before["version"]
    renamed = await client.patch(
        url, json={"full_name": "Vera", "version": before["version"]}, headers=org.headers()
    )
    assert renamed.status_code == 200 and renamed.json()["full_name"] == "Vera"
