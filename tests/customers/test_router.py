"""Customer API beyond the acceptance walk: replace, derived names, identifiers, uniqueness,
assignment, custom fields, bulk operations, idempotency per organization, soft delete."""

from __future__ import annotations

import uuid

import pytest

from clientbase.customers.identifiers import with_check_digit
from tests.assertions import problem
from tests.fixtures import BIN_HEAD_OFFICE, IIN_MALE_1990, api_create

API = "/api/v1"


async def get(client, org, customer_id, role="admin", **params):
    response = await client.get(
        f"{API}/customers/{customer_id}", params=params, headers=org.headers(role)
    )
    assert response.status_code == 200, response.text
    return response.json()


async def listed(client, org, **params) -> list[str]:
    response = await client.get(
        f"{API}/customers", params={"limit": 100, **params}, headers=org.headers()
    )
    assert response.status_code == 200, response.text
    return [c["id"] for c in response.json()["items"]]


# PUT and PATCH ---------------------------------------------------------------------------


async def test_put_replaces_the_whole_profile(client, org):
    created = await api_create(
        client,
        org,
        first_name="Old",
        last_name="Name",
        email="old@example.com",
        industry="Retail",
        rating=7,
        tags=["vip"],
        status="active",
        current_balance="12.50",
    )
    url = f"{API}/customers/{created['id']}"
    contact = await client.post(
        f"{url}/contacts", json={"first_name": "Kept"}, headers=org.headers()
    )
    assert contact.status_code == 201
    response = await client.put(
        url, json={"first_name": "New", "last_name": "Person", "version": 1}, headers=org.headers()
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["name"] == "New Person" and body["version"] == 2
    assert body["email"] is None and body["industry"] is None and body["rating"] is None
    assert body["tags"] == [] and body["status"] == "lead" and body["current_balance"] == "0.00"
    assert [c["first_name"] for c in body["contacts"]] == ["Kept"]  # PUT is the profile only
    assert response.headers["ETag"] == 'W/"2"'


async def test_put_refuses_nested_records_and_needs_a_version(client, org):
    created = await api_create(client, org, first_name="Ann")
    url = f"{API}/customers/{created['id']}"
    nested = await client.put(
        url,
        json={"first_name": "Ann", "contacts": [{"first_name": "C"}], "version": 1},
        headers=org.headers(),
    )
    problem(nested, 422, "contacts")
    problem(await client.put(url, json={"first_name": "Ann"}, headers=org.headers()), 428)
    problem(
        await client.put(url, json={"first_name": "Ann", "version": 3}, headers=org.headers()), 409
    )
    assert (await get(client, org, created["id"]))["version"] == 1


async def test_patch_of_name_parts_updates_a_derived_display_name(client, org):
    created = await api_create(client, org, first_name="Aida", last_name="Nurlanova")
    assert created["name"] == "Aida Nurlanova"
    url = f"{API}/customers/{created['id']}"
    renamed = await client.patch(
        url, json={"last_name": "Bekova", "version": 1}, headers=org.headers()
    )
    assert renamed.json()["name"] == "Aida Bekova"
    middle = await client.patch(
        url, json={"middle_name": "S.", "version": 2}, headers=org.headers()
    )
    assert middle.json()["name"] == "Aida S. Bekova"


async def test_an_explicit_display_name_is_kept_when_name_parts_change(client, org):
    created = await api_create(
        client, org, name="Dr. A. Nurlanova", first_name="Aida", last_name="Nurlanova"
    )
    url = f"{API}/customers/{created['id']}"
    patched = await client.patch(
        url, json={"first_name": "Aidana", "version": 1}, headers=org.headers()
    )
    assert patched.json()["name"] == "Dr. A. Nurlanova" and patched.json()["first_name"] == "Aidana"


async def test_a_customer_needs_a_name_and_required_fields_cannot_be_nulled(client, org):
    problem(
        await client.post(f"{API}/customers", json={"type": "company"}, headers=org.headers()),
        422,
        "name",
    )
    problem(await client.post(f"{API}/customers", json={}, headers=org.headers()), 422, "name")
    created = await api_create(client, org, first_name="Ann")
    url = f"{API}/customers/{created['id']}"
    for field in ("status", "type", "tags", "is_active"):
        problem(
            await client.patch(url, json={field: None, "version": 1}, headers=org.headers()),
            422,
            field,
        )
    cleared = await client.patch(
        url, json={"first_name": None, "version": 1}, headers=org.headers()
    )
    problem(cleared, 422, "name")


# National ids ----------------------------------------------------------------------------


async def test_iin_is_for_individuals_and_bin_for_companies(client, org):
    h = org.headers()
    problem(
        await client.post(
            f"{API}/customers",
            json={"type": "company", "name": "X", "iin": IIN_MALE_1990},
            headers=h,
        ),
        422,
        "iin",
    )
    problem(
        await client.post(
            f"{API}/customers", json={"first_name": "X", "bin": BIN_HEAD_OFFICE}, headers=h
        ),
        422,
        "bin",
    )
    person = await api_create(client, org, first_name="P", iin=IIN_MALE_1990)
    to_company = await client.patch(
        f"{API}/customers/{person['id']}",
        json={"type": "company", "company_name": "P LLP", "version": 1},
        headers=h,
    )
    problem(to_company, 422, "iin")
    assert (await get(client, org, person["id"]))["type"] == "individual"


async def test_date_of_birth_must_agree_with_the_iin(client, org):
    h = org.headers()
    wrong = await client.post(
        f"{API}/customers",
        json={"first_name": "X", "iin": IIN_MALE_1990, "date_of_birth": "1990-01-02"},
        headers=h,
    )
    body = problem(wrong, 422, "date_of_birth")
    assert "1990-01-01" in str(body["errors"])
    person = await api_create(
        client, org, first_name="P", iin=IIN_MALE_1990, date_of_birth="1990-01-01"
    )
    url = f"{API}/customers/{person['id']}"
    problem(
        await client.patch(url, json={"date_of_birth": "1991-01-01", "version": 1}, headers=h),
        422,
        "date_of_birth",
    )
    other_iin = with_check_digit("85031540012")  # a woman born 1985-03-15
    assert other_iin is not None
    problem(
        await client.patch(url, json={"iin": other_iin, "version": 1}, headers=h),
        422,
        "date_of_birth",
    )
    both = await client.patch(
        url, json={"iin": other_iin, "date_of_birth": "1985-03-15", "version": 1}, headers=h
    )
    assert both.status_code == 200, both.text


async def test_the_validate_endpoints_explain_what_is_wrong(client, org):
    ok = await client.post(
        f"{API}/validate/iin", json={"value": IIN_MALE_1990}, headers=org.headers("viewer")
    )
    assert ok.status_code == 200
    assert ok.json() == {
        "value": IIN_MALE_1990,
        "valid": True,
        "errors": [],
        "details": {"sex": "male", "date_of_birth": "1990-01-01"},
    }
    bad = await client.post(
        f"{API}/validate/iin",
        json={"value": "901301300007", "date_of_birth": "1990-01-01"},
        headers=org.headers(),
    )
    assert bad.json()["valid"] is False
    assert any("birth date" in e for e in bad.json()["errors"])
    bin_ = await client.post(
        f"{API}/validate/bin", json={"value": BIN_HEAD_OFFICE[:-1] + "0"}, headers=org.headers()
    )
    assert bin_.json()["valid"] is False and "check digit" in bin_.json()["errors"][0]
    problem(await client.post(f"{API}/validate/bin", json={"value": "1"}), 401)


# Uniqueness ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "second", ["87012345678", "+7 (701) 234-56-78", "8 701 234 56 78", "7012345678"]
)
async def test_phone_uniqueness_sees_through_formatting(client, org, second):
    first = await api_create(client, org, first_name="First", phone="+77012345678")
    response = await client.post(
        f"{API}/customers", json={"first_name": "Second", "phone": second}, headers=org.headers()
    )
    body = problem(response, 409, "phone")
    assert body["existing_id"] == first["id"]


@pytest.mark.parametrize(
    ("field", "value", "kind"),
    [("iin", IIN_MALE_1990, "individual"), ("bin", BIN_HEAD_OFFICE, "company")],
)
async def test_national_ids_are_unique_per_organization(client, org, other_org, field, value, kind):
    body = {"type": kind, "name": "Holder", field: value}
    first = await api_create(client, org, **body)
    problem_body = problem(
        await client.post(f"{API}/customers", json=body, headers=org.headers()), 409, field
    )
    assert problem_body["existing_id"] == first["id"]
    assert (
        await client.post(f"{API}/customers", json=body, headers=other_org.headers())
    ).status_code == 201


async def test_taking_another_customers_email_on_update_is_409(client, org):
    taken = await api_create(client, org, first_name="A", email="a@example.com")
    other = await api_create(client, org, first_name="B", email="b@example.com")
    response = await client.patch(
        f"{API}/customers/{other['id']}",
        json={"email": "A@Example.com", "version": 1},
        headers=org.headers(),
    )
    assert problem(response, 409, "email")["existing_id"] == taken["id"]
    assert (await get(client, org, other["id"]))["email"] == "b@example.com"
    same = await client.patch(
        f"{API}/customers/{other['id']}",
        json={"email": "B@example.com", "version": 1},
        headers=org.headers(),
    )
    assert same.status_code == 200  # its own email is not a conflict


async def test_a_deleted_customer_still_holds_its_email(client, org):
    gone = await api_create(client, org, first_name="Gone", email="gone@example.com")
    await client.delete(f"{API}/customers/{gone['id']}", headers=org.headers())
    again = await client.post(
        f"{API}/customers",
        json={"first_name": "New", "email": "gone@example.com"},
        headers=org.headers(),
    )
    assert problem(again, 409, "email")["existing_id"] == gone["id"]


# Assignment and references ---------------------------------------------------------------


async def test_assigned_to_must_be_an_active_user_of_the_organization(client, org, other_org):
    h = org.headers()
    for assignee in (other_org.users["sales"].id, uuid.uuid4()):
        response = await client.post(
            f"{API}/customers", json={"first_name": "X", "assigned_to": str(assignee)}, headers=h
        )
        problem(response, 422, "assigned_to")
    viewer = org.users["viewer"]
    await client.patch(
        f"{API}/users/{viewer.id}", json={"is_active": False, "version": 1}, headers=h
    )
    problem(
        await client.post(
            f"{API}/customers", json={"first_name": "X", "assigned_to": str(viewer.id)}, headers=h
        ),
        422,
        "assigned_to",
    )
    ok = await api_create(client, org, first_name="X", assigned_to=str(org.users["sales"].id))
    assert ok["assigned_to"] == str(org.users["sales"].id)


async def test_referred_by_must_be_another_customer_of_the_organization(client, org, other_org):
    referrer = await api_create(client, org, first_name="Referrer")
    referred = await api_create(client, org, first_name="Friend", referred_by=referrer["id"])
    assert referred["referred_by"] == referrer["id"]
    foreign = await api_create(client, other_org, first_name="Foreign")
    problem(
        await client.post(
            f"{API}/customers",
            json={"first_name": "X", "referred_by": foreign["id"]},
            headers=org.headers(),
        ),
        422,
        "referred_by",
    )
    self_ref = await client.patch(
        f"{API}/customers/{referrer['id']}",
        json={"referred_by": referrer["id"], "version": 1},
        headers=org.headers(),
    )
    problem(self_ref, 422, "referred_by")


# Custom fields ---------------------------------------------------------------------------


async def define(client, org, **body):
    response = await client.post(
        f"{API}/custom-fields",
        json={"label": body.get("key", "x").title(), **body},
        headers=org.headers(),
    )
    assert response.status_code == 201, response.text
    return response.json()


async def test_custom_field_definitions_can_be_created_listed_and_changed(client, org):
    made = await define(client, org, key="segment", type="select", options=["a", "b"])
    assert made["version"] == 1 and made["is_active"] and not made["required"]
    problem(
        await client.post(
            f"{API}/custom-fields",
            json={"key": "segment", "label": "S", "type": "text"},
            headers=org.headers(),
        ),
        409,
    )
    listing = (await client.get(f"{API}/custom-fields", headers=org.headers("viewer"))).json()
    assert [d["key"] for d in listing] == ["segment"]
    url = f"{API}/custom-fields/{made['id']}"
    problem(await client.patch(url, json={"label": "Seg"}, headers=org.headers()), 428)
    changed = await client.patch(
        url,
        json={"label": "Segment", "options": ["a", "b", "c"], "version": 1},
        headers=org.headers(),
    )
    assert changed.status_code == 200
    assert changed.json()["options"] == ["a", "b", "c"] and changed.json()["version"] == 2
    problem(
        await client.patch(url, json={"label": "Stale", "version": 1}, headers=org.headers()), 409
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"key": "Bad Key", "label": "x", "type": "text"}, "key"),
        ({"key": "1st", "label": "x", "type": "text"}, "key"),
        ({"key": "k", "label": "x", "type": "colour"}, "type"),
        ({"key": "k", "label": "x", "type": "select"}, "options"),
        ({"key": "k", "label": "x", "type": "text", "options": ["a"]}, "options"),
    ],
)
async def test_invalid_custom_field_definitions_are_refused(client, org, body, field):
    problem(await client.post(f"{API}/custom-fields", json=body, headers=org.headers()), 422, field)


TYPED = [
    ("text", {}, "hello", "hello", [12, "x" * 1001]),
    ("number", {}, "12.50", "12.50", ["twelve", True, "NaN", "Infinity"]),
    ("number", {}, 7, "7", [[1]]),
    ("date", {}, "2024-02-29", "2024-02-29", ["2023-02-29", "29.02.2024", 20240229]),
    ("boolean", {}, True, True, ["yes", 1, "true"]),
    ("select", {"options": ["gold", "silver"]}, "gold", "gold", ["bronze", ["gold"]]),
    (
        "multiselect",
        {"options": ["sms", "email"]},
        ["email", "sms", "email"],
        ["email", "sms"],
        ["email", ["fax"]],
    ),
]


@pytest.mark.parametrize(("kind", "extra", "good", "stored", "bad"), TYPED)
async def test_custom_field_values_are_typed(client, org, kind, extra, good, stored, bad):
    await define(client, org, key="field", type=kind, **extra)
    created = await api_create(client, org, first_name="Typed", custom_fields={"field": good})
    assert created["custom_fields"] == {"field": stored}
    for value in bad:
        response = await client.post(
            f"{API}/customers",
            json={"first_name": "Bad", "custom_fields": {"field": value}},
            headers=org.headers(),
        )
        problem(response, 422, "custom_fields.field")
    assert len(await listed(client, org)) == 1


async def test_unknown_custom_field_keys_are_refused_by_name(client, org):
    await define(client, org, key="known", type="text")
    response = await client.post(
        f"{API}/customers",
        json={"first_name": "X", "custom_fields": {"known": "ok", "mystery": 1, "other": 2}},
        headers=org.headers(),
    )
    body = problem(response, 422)
    assert sorted(e["field"] for e in body["errors"]) == [
        "custom_fields.mystery",
        "custom_fields.other",
    ]


async def test_required_custom_fields_are_enforced_and_patches_merge(client, org):
    await define(client, org, key="tier", type="select", options=["gold", "silver"], required=True)
    await define(client, org, key="note", type="text")
    problem(
        await client.post(f"{API}/customers", json={"first_name": "X"}, headers=org.headers()),
        422,
        "custom_fields.tier",
    )
    created = await api_create(client, org, first_name="X", custom_fields={"tier": "gold"})
    url = f"{API}/customers/{created['id']}"
    merged = await client.patch(
        url, json={"custom_fields": {"note": "hi"}, "version": 1}, headers=org.headers()
    )
    assert merged.json()["custom_fields"] == {"tier": "gold", "note": "hi"}
    removed = await client.patch(
        url, json={"custom_fields": {"note": None}, "version": 2}, headers=org.headers()
    )
    assert removed.json()["custom_fields"] == {"tier": "gold"}
    problem(
        await client.patch(
            url, json={"custom_fields": {"tier": None}, "version": 3}, headers=org.headers()
        ),
        422,
        "custom_fields.tier",
    )


async def test_a_deactivated_definition_takes_no_new_values(client, org):
    made = await define(client, org, key="legacy", type="text")
    await client.patch(
        f"{API}/custom-fields/{made['id']}",
        json={"is_active": False, "version": 1},
        headers=org.headers(),
    )
    response = await client.post(
        f"{API}/customers",
        json={"first_name": "X", "custom_fields": {"legacy": "v"}},
        headers=org.headers(),
    )
    problem(response, 422, "custom_fields.legacy")


# Bulk ------------------------------------------------------------------------------------


async def test_bulk_create_creates_valid_rows_and_reports_the_rest_by_index(client, org):
    existing = await api_create(client, org, first_name="Existing", email="taken@example.com")
    items = [
        {"first_name": "One", "email": "one@example.com"},
        {"first_name": "Bad", "iin": "123"},
        {"first_name": "Dup", "email": "taken@example.com"},
        {"first_name": "Two", "phone": "+7 701 000 00 01"},
        {"first_name": "Twin", "phone": "8 701 000 00 01"},
        {"first_name": "Extra", "colour": "red"},
        {"type": "company"},
    ]
    response = await client.post(
        f"{API}/customers/bulk", json={"items": items}, headers=org.headers()
    )
    assert response.status_code == 200, response.text
    result = response.json()
    assert [c["index"] for c in result["created"]] == [0, 3]
    errors = {e["index"]: e["errors"] for e in result["errors"]}
    assert sorted(errors) == [1, 2, 4, 5, 6]
    assert errors[1][0]["field"] == "iin"
    assert errors[2][0]["field"] == "email" and errors[2][0]["existing_id"] == existing["id"]
    assert errors[4][0]["field"] == "phone"
    assert errors[4][0]["existing_id"] == result["created"][1]["id"]  # a duplicate inside the batch
    assert errors[5][0]["field"] == "colour"
    assert errors[6][0]["field"] == "name"
    assert set(await listed(client, org)) == {existing["id"], *(c["id"] for c in result["created"])}
    # A failed item's savepoint takes only its own audit entry and event with it.
    created = [c["id"] for c in result["created"]]
    feed = await client.get(
        f"{API}/events", params={"type": "customer.created"}, headers=org.headers()
    )
    assert [e["aggregate_id"] for e in feed.json()["items"]] == [existing["id"], *created]
    audit = await client.get(
        f"{API}/audit", params={"action": "customer.created"}, headers=org.headers()
    )
    assert {e["entity_id"] for e in audit.json()["items"]} == {existing["id"], *created}


async def test_bulk_create_takes_at_most_1000_items(client, org):
    too_many = {"items": [{"first_name": f"P{i}"} for i in range(1001)]}
    problem(
        await client.post(f"{API}/customers/bulk", json=too_many, headers=org.headers()),
        422,
        "items",
    )
    problem(
        await client.post(f"{API}/customers/bulk", json={"items": []}, headers=org.headers()),
        422,
        "items",
    )
    assert await listed(client, org) == []


async def test_bulk_create_with_an_idempotency_key_replays(client, org):
    headers = {**org.headers(), "Idempotency-Key": "bulk-1"}
    body = {"items": [{"first_name": "A"}, {"first_name": "B"}]}
    first = await client.post(f"{API}/customers/bulk", json=body, headers=headers)
    again = await client.post(f"{API}/customers/bulk", json=body, headers=headers)
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    assert len(await listed(client, org)) == 2


async def test_bulk_update_sets_status_tags_and_assignee(client, org):
    a = await api_create(client, org, first_name="A", tags=["old", "keep"])
    b = await api_create(client, org, first_name="B", tags=["keep"])
    ids = [a["id"], b["id"]]
    sales = str(org.users["sales"].id)
    response = await client.post(
        f"{API}/customers/bulk-update",
        json={
            "ids": ids,
            "status": "active",
            "add_tags": ["VIP"],
            "remove_tags": ["old"],
            "assigned_to": sales,
        },
        headers=org.headers(),
    )
    assert response.status_code == 200, response.text
    assert [u["id"] for u in response.json()["updated"]] == ids and response.json()["errors"] == []
    for cid, tags in ((a["id"], ["keep", "vip"]), (b["id"], ["keep", "vip"])):
        current = await get(client, org, cid)
        assert current["status"] == "active" and current["tags"] == tags
        assert current["assigned_to"] == sales and current["version"] == 2
    unassign = await client.post(
        f"{API}/customers/bulk-update",
        json={"ids": ids, "assigned_to": None},
        headers=org.headers(),
    )
    assert len(unassign.json()["updated"]) == 2
    assert (await get(client, org, a["id"]))["assigned_to"] is None


async def test_bulk_update_reports_per_item_errors(client, org, other_org):
    ok = await api_create(client, org, first_name="Ok")
    foreign = await api_create(client, other_org, first_name="Foreign")
    missing = str(uuid.uuid4())
    response = await client.post(
        f"{API}/customers/bulk-update",
        json={"ids": [missing, ok["id"], foreign["id"]], "status": "churned"},
        headers=org.headers(),
    )
    result = response.json()
    assert [u["index"] for u in result["updated"]] == [1]
    assert [(e["index"], e["id"]) for e in result["errors"]] == [(0, missing), (2, foreign["id"])]
    assert (await get(client, other_org, foreign["id"]))["status"] == "lead"
    bad_assignee = await client.post(
        f"{API}/customers/bulk-update",
        json={"ids": [ok["id"]], "assigned_to": str(other_org.users["sales"].id)},
        headers=org.headers(),
    )
    assert bad_assignee.json()["errors"][0]["errors"][0]["field"] == "assigned_to"


async def test_bulk_update_needs_something_to_do(client, org):
    created = await api_create(client, org, first_name="A")
    problem(
        await client.post(
            f"{API}/customers/bulk-update", json={"ids": [created["id"]]}, headers=org.headers()
        ),
        422,
    )


async def test_bulk_delete_deletes_and_reports_by_request_position(client, org):
    a = await api_create(client, org, first_name="A")
    b = await api_create(client, org, first_name="B")
    missing = str(uuid.uuid4())
    response = await client.post(
        f"{API}/customers/bulk-delete",
        json={"ids": [a["id"], a["id"], missing, b["id"]]},
        headers=org.headers(),
    )
    result = response.json()
    assert [(d["index"], d["id"]) for d in result["deleted"]] == [(0, a["id"]), (3, b["id"])]
    assert [(e["index"], e["id"]) for e in result["errors"]] == [(2, missing)]
    assert await listed(client, org) == []
    again = await client.post(
        f"{API}/customers/bulk-delete", json={"ids": [a["id"]]}, headers=org.headers()
    )
    assert again.json()["deleted"] == [] and again.json()["errors"][0]["index"] == 0


# Idempotency and soft delete -------------------------------------------------------------


async def test_idempotency_keys_are_scoped_per_organization(client, org, other_org):
    body = {"first_name": "Same"}
    ours = await client.post(
        f"{API}/customers", json=body, headers={**org.headers(), "Idempotency-Key": "k-1"}
    )
    theirs = await client.post(
        f"{API}/customers", json=body, headers={**other_org.headers(), "Idempotency-Key": "k-1"}
    )
    assert ours.status_code == theirs.status_code == 201
    assert ours.json()["id"] != theirs.json()["id"]
    assert "Idempotent-Replayed" not in theirs.headers
    assert await listed(client, org) == [ours.json()["id"]]
    assert await listed(client, other_org) == [theirs.json()["id"]]


async def test_idempotency_covers_nested_creates_and_bad_keys(client, org):
    created = await api_create(client, org, first_name="Parent")
    url = f"{API}/customers/{created['id']}/notes"
    headers = {**org.headers(), "Idempotency-Key": "note-1"}
    first = await client.post(url, json={"content": "once"}, headers=headers)
    again = await client.post(url, json={"content": "once"}, headers=headers)
    assert first.json()["id"] == again.json()["id"]
    notes = (await client.get(url, headers=org.headers())).json()["items"]
    assert len(notes) == 1
    problem(
        await client.post(
            url, json={"content": "x"}, headers={**org.headers(), "Idempotency-Key": "k" * 201}
        ),
        422,
        "Idempotency-Key",
    )


async def test_soft_deleted_customers_are_hidden_unless_asked_for(client, org):
    kept = await api_create(client, org, first_name="Kept", email="kept@example.com")
    gone = await api_create(client, org, first_name="Gone", email="gone@example.com")
    assert (
        await client.delete(f"{API}/customers/{gone['id']}", headers=org.headers())
    ).status_code == 204
    assert await listed(client, org) == [kept["id"]]
    assert set(await listed(client, org, include_deleted="true")) == {kept["id"], gone["id"]}
    assert await listed(client, org, only_deleted="true") == [gone["id"]]
    assert gone["id"] not in await listed(client, org, search="gone@example.com")
    problem(await client.get(f"{API}/customers/{gone['id']}", headers=org.headers()), 404)
    shown = await get(client, org, gone["id"], include_deleted="true")
    assert shown["deleted_at"] is not None
    problem(await client.delete(f"{API}/customers/{gone['id']}", headers=org.headers()), 404)
    problem(await client.post(f"{API}/customers/{kept['id']}/restore", headers=org.headers()), 409)
    history = await client.get(f"{API}/customers/{gone['id']}/history", headers=org.headers())
    assert history.json()["items"][0]["action"] == "customer.deleted"


# Probes ----------------------------------------------------------------------------------


async def test_health_and_readiness_probes(client, dialect):
    health = await client.get("/healthz")
    assert health.status_code == 200 and health.json() == {"status": "ok"}
    ready = await client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {
        "status": "ok",
        "database": "postgresql" if dialect == "postgres" else "sqlite",
    }


async def test_readiness_fails_when_the_database_is_unreachable(settings):
    from httpx import ASGITransport, AsyncClient

    from clientbase.app import create_app
    from clientbase.db.session import Database

    dead = Database("postgresql://nobody@127.0.0.1:1/none")
    app = create_app(settings, database=dead)
    try:
        async with AsyncClient(transport=ASGITransport(app=app), base_url="http://t") as http:
            response = await http.get("/readyz")
            assert response.status_code == 503 and response.json()["status"] == "unavailable"
            assert (await http.get("/healthz")).status_code == 200
    finally:
        await dead.dispose()
