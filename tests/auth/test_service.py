"""Roles are enforced in the services themselves, whatever calls them (API, web, CLI, jobs)."""

from __future__ import annotations

import uuid

import pytest

from clientbase.audit import service as audit
from clientbase.auth import service as auth
from clientbase.auth import users
from clientbase.auth.actor import Actor
from clientbase.auth.permissions import Permission, Role
from clientbase.auth.schemas import ApiKeyCreate, UserCreate, UserUpdate
from clientbase.core.errors import (
    NotFound,
    PermissionDenied,
    SignInFailed,
    TooManyRequests,
    Unauthorized,
    ValidationFailed,
)
from clientbase.customers import custom_fields, related_service
from clientbase.customers import service as customers
from clientbase.customers.custom_fields import CustomFieldCreate
from clientbase.customers.related_schemas import NoteCreate
from clientbase.customers.schemas import CustomerCreate, CustomerUpdate
from clientbase.events import service as events
from clientbase.tenancy import service as tenancy
from clientbase.tenancy.schemas import OrganizationSettingsUpdate
from tests.fixtures import PASSWORD, create_customer


def denied_calls(session, actor: Actor, customer_id: uuid.UUID, user_id: uuid.UUID):
    """(permission the call needs, the call)."""
    return [
        (
            Permission.CUSTOMERS_WRITE,
            customers.create_customer(session, actor, CustomerCreate(first_name="X")),
        ),
        (
            Permission.CUSTOMERS_WRITE,
            customers.update_customer(
                session, actor, customer_id, CustomerUpdate(industry="X", version=1)
            ),
        ),
        (Permission.CUSTOMERS_DELETE, customers.delete_customer(session, actor, customer_id)),
        (Permission.CUSTOMERS_DELETE, customers.restore_customer(session, actor, customer_id)),
        (
            Permission.NOTES_WRITE,
            related_service.create_note(session, actor, customer_id, NoteCreate(content="x")),
        ),
        (
            Permission.USERS_MANAGE,
            users.create_user(session, actor, UserCreate(email="z@example.com", password=PASSWORD)),
        ),
        (
            Permission.USERS_MANAGE,
            users.update_user(session, actor, user_id, UserUpdate(role=Role.ADMIN, version=1)),
        ),
        (Permission.USERS_MANAGE, users.create_api_key(session, actor, ApiKeyCreate(name="k"))),
        (Permission.USERS_MANAGE, users.list_api_keys(session, actor)),
        (Permission.AUDIT_READ, audit.list_entries(session, actor, limit=10)),
        (Permission.EVENTS_READ, events.pull(session, actor, after=None, limit=10)),
        (
            Permission.SETTINGS_MANAGE,
            tenancy.update_settings(
                session, actor, OrganizationSettingsUpdate(default_phone_region="US")
            ),
        ),
        (
            Permission.SETTINGS_MANAGE,
            custom_fields.create_definition(
                session, actor, CustomFieldCreate(key="k", label="K", type="text")
            ),
        ),
    ]


@pytest.mark.parametrize("role", ["manager", "sales", "support", "viewer"])
async def test_services_refuse_what_the_role_may_not_do(session, org, role):
    customer = await create_customer(session, org)
    actor = org.actor(role)
    calls = denied_calls(session, actor, customer.id, org.users["viewer"].id)
    refused = 0
    for permission, call in calls:
        if actor.can(permission):
            call.close()  # not awaited: this role may do it
            continue
        with pytest.raises(PermissionDenied, match=permission.value):
            await call
        refused += 1
    assert refused >= 4


async def test_an_api_key_actor_is_limited_by_its_scopes(session, org):
    customer = await create_customer(session, org)
    actor = Actor(
        organization_id=org.id,
        role=Role.ADMIN,
        kind="api_key",
        api_key_id=uuid.uuid4(),
        scopes=frozenset({Permission.CUSTOMERS_READ}),
    )
    assert (await customers.get_customer(session, actor, customer.id)).id == customer.id
    with pytest.raises(PermissionDenied):
        await customers.delete_customer(session, actor, customer.id)
    assert not actor.sees_pii


async def test_sign_in_counts_failures_then_locks(session, org, settings):
    email = org.users["viewer"].email
    for _ in range(settings.login_max_failures):
        with pytest.raises(SignInFailed) as caught:
            await auth.sign_in(session, settings, login=email, password="nope-nope-nope")
        assert caught.value.keeps_changes  # so the boundary commits the failure count
        await session.commit()
    with pytest.raises(TooManyRequests) as locked:
        await auth.sign_in(session, settings, login=email, password=PASSWORD)
    assert int(locked.value.headers["Retry-After"]) > 0


async def test_resolve_bearer_turns_a_token_into_the_user_actor(session, org, settings):
    result = await auth.sign_in(
        session, settings, login=org.users["sales"].email, password=PASSWORD
    )
    context = auth.RequestContext(request_id="req-1", ip="10.0.0.1")
    actor = await auth.resolve_bearer(session, settings, result.access_token, context)
    assert (actor.user_id, actor.role, actor.organization_id) == (
        org.users["sales"].id,
        Role.SALES,
        org.id,
    )
    assert actor.request_id == "req-1" and actor.sees_assigned_only
    with pytest.raises(Unauthorized):
        await auth.resolve_bearer(session, settings, result.access_token + "x", context)


async def test_users_of_another_organization_are_not_found(session, org, other_org):
    with pytest.raises(NotFound):
        await users.get_user(session, other_org.actor(), org.users["viewer"].id)
    with pytest.raises(NotFound):
        await users.update_user(
            session, other_org.actor(), org.users["viewer"].id, UserUpdate(full_name="X", version=1)
        )


async def test_create_admin_creates_the_organization_only_when_missing(session, settings):
    name = f"Fresh {uuid.uuid4().hex[:6]}"
    first = await users.create_admin(
        session, email=f"one@{name[-6:]}.kz", password=PASSWORD, organization=name
    )
    second = await users.create_admin(
        session, email=f"two@{name[-6:]}.kz", password=PASSWORD, organization=name
    )
    assert first.organization_id == second.organization_id
    org = await tenancy.get_current(session, Actor.system(first.organization_id))
    assert org.name == name and org.settings["default_phone_region"] == "KZ"
    businesses = await tenancy.list_businesses(session, Actor.system(org.id))
    assert [(b.name, b.is_default) for b in businesses] == [("Main", True)]
    system = Actor.system(org.id)
    await users.update_user(
        session, system, first.id, UserUpdate(is_active=False, version=first.version)
    )
    with pytest.raises(ValidationFailed, match="at least one active admin"):
        await users.update_user(
            session,
            system,
            second.id,
            UserUpdate(is_active=False, version=second.version),
        )
