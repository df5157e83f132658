"""/settings/users and /settings/custom-fields."""

from __future__ import annotations

import re

import pytest

from clientbase.auth import users

pytestmark = pytest.mark.asyncio


async def test_admin_creates_a_user_then_changes_role_and_deactivates(sign_in, web_org, session):
    admin = await sign_in(web_org)
    page = await admin.get("/settings/users")
    assert page.status_code == 200 and web_org.users["viewer"].email in page.text
    form = {"email": "New.Rep@Example.com", "full_name": "New Rep", "role": "sales"}
    created = await admin.post("/settings/users", {**form, "password": "long-enough-pass"})
    assert created.status_code == 303
    listing = (await admin.get("/settings/users")).text
    assert "User new.rep@example.com created with role sales." in listing
    rows, _ = await users.list_users(session, web_org.actor(), limit=100, offset=0)
    new = next(u for u in rows if u.email == "new.rep@example.com")
    assert f'action="/settings/users/{new.id}"' in listing
    changed = await admin.post(
        f"/settings/users/{new.id}", {"role": "manager", "version": str(new.version)}
    )
    assert (
        "new.rep@example.com is now manager, deactivated."
        in (await admin.get(changed.headers["location"])).text
    )


async def test_user_form_errors_are_shown_next_to_fields(sign_in, web_org):
    admin = await sign_in(web_org)
    short = await admin.post("/settings/users", {"email": "x@example.com", "password": "short"})
    assert short.status_code == 422 and "at least 10 characters" in short.text
    taken = await admin.post(
        "/settings/users",
        {"email": web_org.users["viewer"].email, "password": "long-enough-pass", "role": "viewer"},
    )
    assert taken.status_code == 422 and "is already used by another user" in taken.text


async def test_the_last_admin_cannot_demote_themselves(sign_in, web_org):
    admin = await sign_in(web_org)
    me = web_org.users["admin"].id
    response = await admin.post(
        f"/settings/users/{me}", {"role": "viewer", "is_active": "true", "version": "1"}
    )
    page = await admin.get(response.headers["location"])
    assert "Not saved" in page.text and "at least one active admin" in page.text


@pytest.mark.parametrize("role", ["manager", "sales", "support", "viewer"])
async def test_settings_are_for_admins_only(sign_in, web_org, role):
    user = await sign_in(web_org, role)
    assert (await user.get("/settings/users")).status_code == 403
    assert (await user.get("/settings/custom-fields")).status_code == 403
    page = await user.get("/customers")
    assert "/settings/users" not in page.text


async def test_custom_field_definitions(sign_in, web_org):
    admin = await sign_in(web_org)
    bad = await admin.post(
        "/settings/custom-fields", {"key": "Bad Key", "label": "X", "type": "select"}
    )
    assert bad.status_code == 422
    assert "must start with a letter" in bad.text
    made = await admin.post(
        "/settings/custom-fields",
        {"key": "segment", "label": "Segment", "type": "select", "options": "a, b"},
    )
    assert made.status_code == 303
    page = (await admin.get("/settings/custom-fields")).text
    assert "Custom field Segment (segment) created." in page
    definition_id = re.search(r'action="/settings/custom-fields/([0-9a-f-]+)"', page).group(1)
    saved = await admin.post(
        f"/settings/custom-fields/{definition_id}",
        {"label": "Market segment", "options": "a, b, c", "is_active": "true", "version": "1"},
    )
    assert "Custom field Market segment saved." in (await admin.get(saved.headers["location"])).text
    duplicate = await admin.post(
        "/settings/custom-fields", {"key": "segment", "label": "Again", "type": "text"}
    )
    assert duplicate.status_code == 422 and "already exists" in duplicate.text
