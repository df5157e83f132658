"""Hostile input and the error contract, through the real app on both databases."""

from __future__ import annotations

import base64
import json
import uuid

import pytest

from tests.assertions import problem
from tests.fixtures import api_create

COMPUTED = [
    "total_spent",
    "order_count",
    "average_order_value",
    "first_order_at",
    "last_order_at",
    "days_since_last_order",
    "lifetime_value",
    "predicted_ltv",
    "churn_risk",
    "rfm_score",
    "engagement_score",
    "lead_score",
    "segment",
]
BOOKKEEPING = [
    "id",
    "organization_id",
    "created_at",
    "updated_at",
    "created_by",
    "updated_by",
    "deleted_at",
    "anonymized_at",
]


async def post_raw(client, url: str, text: str, headers: dict[str, str]):
    """POST JSON text exactly as written (escapes like \\u0000 and \\ud800 reach the server)."""
    return await client.post(
        url, content=text.encode(), headers={**headers, "Content-Type": "application/json"}
    )


async def count_customers(client, org, **params) -> int:
    response = await client.get("/api/v1/customers", params=params, headers=org.headers())
    assert response.status_code == 200, response.text
    return response.json()["total"]


# Unknown and read-only fields ------------------------------------------------------------


async def test_unknown_body_field_is_refused_by_name(client, org):
    response = await client.post(
        "/api/v1/customers",
        json={"first_name": "Ann", "favourite_colour": "green"},
        headers=org.headers(),
    )
    body = problem(response, 422, "favourite_colour")
    assert [e["field"] for e in body["errors"]] == ["favourite_colour"]
    assert await count_customers(client, org) == 0


async def test_unknown_nested_field_is_named_with_its_path(client, org):
    response = await client.post(
        "/api/v1/customers",
        json={"type": "company", "name": "X", "contacts": [{"first_name": "A", "shoe": 42}]},
        headers=org.headers(),
    )
    problem(response, 422, "contacts[0].shoe")


async def test_unknown_field_on_patch_changes_nothing(client, org):
    created = await api_create(client, org, first_name="Pat", industry="Retail")
    url = f"/api/v1/customers/{created['id']}"
    response = await client.patch(
        url, json={"industry": "Mining", "nickname": "P", "version": 1}, headers=org.headers()
    )
    problem(response, 422, "nickname")
    current = (await client.get(url, headers=org.headers())).json()
    assert current["industry"] == "Retail" and current["version"] == 1


@pytest.mark.parametrize("field", COMPUTED + BOOKKEEPING + ["version"])
async def test_computed_and_bookkeeping_fields_are_not_writable_on_create(client, org, field):
    value = "2024-01-01T00:00:00Z" if field.endswith("_at") else 1
    if field in ("id", "organization_id", "created_by", "updated_by"):
        value = str(org.id)
    response = await client.post(
        "/api/v1/customers", json={"first_name": "Ann", field: value}, headers=org.headers()
    )
    problem(response, 422, field)
    assert await count_customers(client, org, include_deleted=True) == 0


@pytest.mark.parametrize("field", ["total_spent", "organization_id", "id", "created_at"])
async def test_computed_and_bookkeeping_fields_are_not_writable_on_update(client, org, field):
    created = await api_create(client, org, first_name="Ann")
    url = f"/api/v1/customers/{created['id']}"
    value = str(org.id) if field in ("id", "organization_id") else "100.00"
    if field == "created_at":
        value = "2020-01-01T00:00:00Z"
    for method in ("PATCH", "PUT"):
        response = await client.request(
            method,
            url,
            json={"first_name": "Ann", field: value, "version": 1},
            headers=org.headers(),
        )
        problem(response, 422, field)
    current = (await client.get(url, headers=org.headers())).json()
    assert current["version"] == 1 and current["total_spent"] == "0.00"
    assert current["id"] == created["id"] and current["created_at"] == created["created_at"]


# NUL bytes and lone surrogates -----------------------------------------------------------


@pytest.mark.parametrize("escape", ["\\u0000", "\\ud800", "\\udfff"])
async def test_nul_and_lone_surrogates_in_a_field_are_422_naming_it(client, org, escape):
    response = await post_raw(
        client,
        "/api/v1/customers",
        '{"first_name": "A' + escape + 'B", "last_name": "Ok"}',
        org.headers(),
    )
    problem(response, 422, "first_name")
    assert await count_customers(client, org) == 0


@pytest.mark.parametrize("escape", ["\\u0000", "\\ud800"])
async def test_nul_and_surrogates_are_refused_in_nested_lists_and_dicts(client, org, escape):
    cases = {
        "contacts[0].first_name": '{"type": "company", "name": "X", '
        '"contacts": [{"first_name": "A' + escape + '"}]}',
        "tags": '{"first_name": "A", "tags": ["vip' + escape + '"]}',
        "custom_fields": '{"first_name": "A", "custom_fields": {"k' + escape + '": "v"}}',
    }
    for field, text in cases.items():
        response = await post_raw(client, "/api/v1/customers", text, org.headers())
        body = problem(response, 422)
        top = field.split("[")[0]
        assert [e["field"] for e in body["errors"]] in ([field], [top]), (field, body)
    assert await count_customers(client, org) == 0


@pytest.mark.parametrize("escape", ["\\u0000", "\\ud800"])
async def test_nul_and_surrogates_are_refused_on_other_resources(client, org, escape):
    created = await api_create(client, org, first_name="Ann")
    cases = [
        (f"/api/v1/customers/{created['id']}/notes", '{"content": "a' + escape + '"}', "content"),
        (
            "/api/v1/users",
            '{"email": "new@example.com", "password": "long-enough-pw", '
            '"full_name": "N' + escape + '"}',
            "full_name",
        ),
        ("/api/v1/businesses", '{"name": "Shop' + escape + '"}', "name"),
    ]
    for url, text, field in cases:
        response = await post_raw(client, url, text, org.headers())
        problem(response, 422, field)


@pytest.mark.parametrize(
    ("url", "param"),
    [
        ("/api/v1/customers", "search"),
        ("/api/v1/customers", "industry"),
        ("/api/v1/customers", "tags"),
        ("/api/v1/customers", "city"),
        ("/api/v1/audit", "action"),
        ("/api/v1/audit", "entity_type"),
        ("/api/v1/events", "type"),
        ("/api/v1/events", "after"),
    ],
)
async def test_nul_in_query_parameters_is_422_not_a_server_error(client, org, url, param):
    await api_create(client, org, first_name="Ann")
    response = await client.get(url, params={param: "a\x00b"}, headers=org.headers())
    problem(response, 422, param)


@pytest.mark.parametrize("field", ["username", "password"])
async def test_nul_in_the_sign_in_form_is_422_on_both_databases(client, org, field):
    form = {"username": org.users["admin"].email, "password": "correct-horse-battery"}
    form[field] = form[field][:3] + "\x00" + form[field][3:]
    problem(await client.post("/api/v1/auth/token", data=form), 422, field)


# Size limits, paging and sorting ---------------------------------------------------------


async def test_body_over_the_limit_is_413_problem(client, org, settings):
    big = b'{"first_name": "' + b"a" * (settings.max_body_bytes + 1) + b'"}'
    response = await client.post(
        "/api/v1/customers",
        content=big,
        headers={**org.headers(), "Content-Type": "application/json"},
    )
    problem(response, 413)
    assert await count_customers(client, org) == 0


async def test_streamed_body_over_the_limit_is_413_problem(client, org, settings):
    chunk = b"a" * (1024 * 1024)

    async def stream():
        yield b'{"first_name": "'
        for _ in range(settings.max_body_bytes // len(chunk) + 1):
            yield chunk
        yield b'"}'

    response = await client.post(
        "/api/v1/customers",
        content=stream(),
        headers={**org.headers(), "Content-Type": "application/json"},
    )
    problem(response, 413)
    assert await count_customers(client, org) == 0


@pytest.mark.parametrize(
    "url", ["/api/v1/customers", "/api/v1/audit", "/api/v1/events", "/api/v1/users"]
)
async def test_limit_over_100_is_422(client, org, url):
    problem(await client.get(url, params={"limit": 101}, headers=org.headers()), 422, "limit")
    problem(await client.get(url, params={"limit": 0}, headers=org.headers()), 422, "limit")
    assert (await client.get(url, params={"limit": 100}, headers=org.headers())).status_code == 200


async def test_limit_over_100_on_notes_is_422(client, org):
    created = await api_create(client, org, first_name="Ann")
    url = f"/api/v1/customers/{created['id']}/notes"
    problem(await client.get(url, params={"limit": 1000}, headers=org.headers()), 422, "limit")


@pytest.mark.parametrize("sort", ["email", "-iin", "organization_id", "name;drop", "id"])
async def test_sort_outside_the_whitelist_is_422(client, org, sort):
    response = await client.get("/api/v1/customers", params={"sort": sort}, headers=org.headers())
    problem(response, 422, "sort")


async def test_whitelisted_sort_orders_both_ways(client, org):
    for name in ("Bravo", "Alpha", "Charlie"):
        await api_create(client, org, type="company", name=name)
    up = await client.get("/api/v1/customers", params={"sort": "name"}, headers=org.headers())
    down = await client.get("/api/v1/customers", params={"sort": "-name"}, headers=org.headers())
    assert [c["name"] for c in up.json()["items"]] == ["Alpha", "Bravo", "Charlie"]
    assert [c["name"] for c in down.json()["items"]] == ["Charlie", "Bravo", "Alpha"]


# Search treats % and _ literally ---------------------------------------------------------


async def test_percent_and_underscore_in_search_match_literally(client, org):
    names = ["100% Cotton", "Plain Linen", "snake_case Ltd", "Quiet Harbour"]
    for name in names:
        await api_create(client, org, type="company", name=name)

    async def found(text: str) -> list[str]:
        response = await client.get(
            "/api/v1/customers", params={"search": text}, headers=org.headers()
        )
        assert response.status_code == 200, response.text
        return [c["name"] for c in response.json()["items"]]

    assert (await found("100%"))[:1] == ["100% Cotton"]
    assert (await found("snake_case"))[:1] == ["snake_case Ltd"]
    for wildcard in ("%", "_", "%%", "%_%"):
        hits = await found(wildcard)
        assert "Plain Linen" not in hits and "Quiet Harbour" not in hits, (wildcard, hits)


# Cursors ---------------------------------------------------------------------------------


def forged(values: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


UUID7 = "0190f3e4-0000-7000-8000-000000000000"
BAD_CURSORS = [
    ("-created_at", "not a cursor!"),
    ("-created_at", "%%%"),
    ("-created_at", forged({"a": 1})),
    ("-created_at", forged([])),
    ("-created_at", forged("text")),
    ("-created_at", forged(["-created_at", "2024-01-01T00:00:00+00:00"])),
    ("-created_at", forged(["-created_at", "not-a-date", UUID7])),
    ("-created_at", forged(["-created_at", "2024-01-01T00:00:00+00:00", "not-a-uuid"])),
    ("-created_at", forged(["-created_at", None, None])),
    ("-created_at", forged(["-created_at", 12, UUID7])),
    ("name", forged(["name", "x", "not-a-uuid"])),
    ("name", forged(["name", {"x": 1}, UUID7])),
    ("name", forged(["name", "x", 7])),
    ("rating", forged(["rating", "high", UUID7])),
    ("rating", forged(["rating", [1], UUID7])),
    ("-created_at", forged(["name", "x", UUID7])),  # a cursor of another sort order
]


@pytest.mark.parametrize(("sort", "cursor"), BAD_CURSORS)
async def test_bad_customer_cursor_is_422(client, org, sort, cursor):
    await api_create(client, org, first_name="Ann", rating=3)
    response = await client.get(
        "/api/v1/customers", params={"cursor": cursor, "sort": sort}, headers=org.headers()
    )
    problem(response, 422, "cursor")


@pytest.mark.parametrize(
    "cursor", ["garbage!", forged(["abc"]), forged([{"seq": 1}]), forged([None]), forged([1.5])]
)
async def test_bad_audit_cursor_is_422(client, org, cursor):
    response = await client.get("/api/v1/audit", params={"cursor": cursor}, headers=org.headers())
    problem(response, 422, "cursor")


@pytest.mark.parametrize("cursor", ["abc", "-1", "1.5", "\u00b2", " 1"])
async def test_bad_event_cursor_is_422(client, org, cursor):
    response = await client.get("/api/v1/events", params={"after": cursor}, headers=org.headers())
    problem(response, 422, "after")


@pytest.mark.parametrize("cursor", ["garbage!", forged(["x"]), forged([True, "nope", "x"])])
async def test_bad_note_cursor_is_422(client, org, cursor):
    created = await api_create(client, org, first_name="Ann")
    url = f"/api/v1/customers/{created['id']}/notes"
    problem(await client.get(url, params={"cursor": cursor}, headers=org.headers()), 422, "cursor")


async def test_customer_cursor_pages_through_everything_once(client, org):
    ids = {(await api_create(client, org, first_name=f"P{i}"))["id"] for i in range(7)}
    seen: list[str] = []
    cursor = None
    for _ in range(10):
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/api/v1/customers", params=params, headers=org.headers())).json()
        seen += [c["id"] for c in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 7 and set(seen) == ids


# The error contract ----------------------------------------------------------------------


async def test_every_error_is_problem_json(client, org, settings):
    created = await api_create(client, org, first_name="Ann", email="ann@example.com")
    url = f"/api/v1/customers/{created['id']}"
    viewer, admin = org.headers("viewer"), org.headers()
    cases = [
        (await client.get("/api/v1/customers"), 401),
        (await client.get("/api/v1/customers", headers={"Authorization": "Bearer x"}), 401),
        (await client.post("/api/v1/customers", json={"first_name": "V"}, headers=viewer), 403),
        (await client.get(f"/api/v1/customers/{uuid.uuid4()}", headers=admin), 404),
        (await client.get("/api/v1/no-such-thing", headers=admin), 404),
        (await client.get("/api/v1/customers/not-a-uuid", headers=admin), 422),
        (await client.delete("/api/v1/customers", headers=admin), 405),
        (
            await client.post(
                "/api/v1/customers",
                json={"first_name": "B", "email": "ANN@example.com"},
                headers=admin,
            ),
            409,
        ),
        (await client.patch(url, json={"industry": "x", "version": 9}, headers=admin), 409),
        (
            await client.patch(url, json={"industry": "x"}, headers={**admin, "If-Match": '"9"'}),
            412,
        ),
        (await client.patch(url, json={"industry": "x"}, headers=admin), 428),
        (
            await client.post(
                "/api/v1/customers",
                content=b"{" + b" " * settings.max_body_bytes + b"}",
                headers={**admin, "Content-Type": "application/json"},
            ),
            413,
        ),
        (
            await client.post(
                "/api/v1/customers",
                content=b"{not json",
                headers={**admin, "Content-Type": "application/json"},
            ),
            422,
        ),
    ]
    for response, status in cases:
        body = problem(response, status)
        assert body["type"].startswith("https://")
    validation = cases[5][0].json()
    assert validation["errors"] == [
        {"field": "customer_id", "message": validation["errors"][0]["message"]}
    ]
    assert cases[7][0].json()["existing_id"] == created["id"]


async def test_unexpected_errors_are_problem_json_without_internals(client, org, monkeypatch):
    from clientbase.customers import service

    async def boom(*args, **kwargs):
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr(service, "list_customers", boom)
    response = await client.get("/api/v1/customers", headers=org.headers())
    body = problem(response, 500)
    assert "secret internal detail" not in response.text
    assert body["request_id"] and body["instance"] == "/api/v1/customers"
