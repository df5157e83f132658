"""Every web page and form with an id in its path answers 404 to another organization and
changes nothing. Routes are enumerated from the app, so a new page is covered (and the walk
fails until this file knows what form to send it)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

import pytest
from fastapi.routing import iter_route_contexts

from clientbase.analytics import service as analytics
from clientbase.customers import custom_fields, related_service
from clientbase.customers import service as customers
from clientbase.customers.custom_fields import CustomFieldCreate
from clientbase.customers.related_schemas import NoteCreate
from clientbase.customers.schemas import CustomerCreate
from clientbase.saved_views import service as saved_views
from clientbase.saved_views.schemas import SavedViewCreate
from clientbase.segments import service as segments
from clientbase.segments.api_schemas import SegmentCreate
from clientbase.web.deps import WebRoute
from tests.fixtures import Org

pytestmark = pytest.mark.asyncio
TABS = (
    "overview",
    "contacts",
    "addresses",
    "notes",
    "history",
    "analytics",
    "transactions",
    "segments",
)
CRITERIA = (
    '{"operator": "AND", "rules": [{"field": "status", "operator": "equals", "value": "lead"}]}'
)
FORMS: dict[str, dict[str, str]] = {
    "/customers/{customer_id}/edit": {"version": "1", "type": "company", "company_name": "Hijack"},
    "/customers/{customer_id}/notes": {"content": "hijacked"},
    "/customers/{customer_id}/notes/{note_id}": {"content": "hijacked", "version": "1"},
    "/customers/{customer_id}/notes/{note_id}/pin": {"pinned": "true", "version": "1"},
    "/customers/{customer_id}/delete": {},
    "/customers/{customer_id}/restore": {},
    "/customers/{customer_id}/notes/{note_id}/delete": {},
    "/customers/views/{view_id}/delete": {},
    "/settings/users/{user_id}": {"role": "admin", "is_active": "true", "version": "1"},
    "/settings/custom-fields/{definition_id}": {"label": "Hijacked", "version": "1"},
    "/segments/{segment_id}/edit": {"name": "Hijacked", "version": "1", "criteria": CRITERIA},
    "/segments/{segment_id}/delete": {},
    "/segments/{segment_id}/recalculate": {},
    "/segments/{segment_id}/members": {"customer_id": "{customer_id}"},
    "/segments/{segment_id}/members/{customer_id}/remove": {},
    "/customers/{customer_id}/segments": {"segment_ids": "{segment_id}"},
}


@dataclass
class Call:
    method: str
    template: str
    url: str


async def victim_ids(session, org: Org) -> tuple[dict[str, str], str]:
    actor = org.actor()
    customer = await customers.create_customer(
        session,
        actor,
        CustomerCreate(
            type="company", company_name="Secret LLP",
            contacts=[{"first_name": "Aida"}], addresses=[{"type": "office", "country": "KZ"}],
        ),
    )  # fmt: skip
    note = await related_service.create_note(session, actor, customer.id, NoteCreate(content="vip"))
    gone = await customers.create_customer(
        session, actor, CustomerCreate(first_name="Deleted", last_name="One")
    )
    await customers.delete_customer(session, actor, gone.id)
    field = await custom_fields.create_definition(
        session, actor, CustomFieldCreate(key="tier", label="Tier", type="text")
    )
    view = await saved_views.create_view(
        session, actor, SavedViewCreate(name="Mine", filters={"status": "lead"}, shared=True)
    )
    job = await analytics.start_recalculation(session, actor, as_of=None, business_id=None)
    segment, _ = await segments.create_segment(
        session, actor, SegmentCreate(name="Secret segment", criteria=json.loads(CRITERIA))
    )
    await session.commit()
    ids = {
        "job_id": str(job.id),
        "view_id": str(view.id),
        "customer_id": str(customer.id),
        "note_id": str(note.id),
        "user_id": str(org.users["sales"].id),
        "definition_id": str(field.id),
        "segment_id": str(segment.id),
    }
    return ids, str(gone.id)


def plan(app, ids: dict[str, str], deleted: str) -> list[Call]:
    calls = []
    for context in iter_route_contexts(app.routes):
        if not isinstance(context.original_route, WebRoute):
            continue
        path = context.path or ""
        params = re.findall(r"{(\w+)}", path)
        if not params:
            continue
        for method in sorted((context.methods or set()) - {"HEAD"}):
            if set(params) - set(ids):
                pytest.fail(f"{method} {path}: no id for {set(params) - set(ids)}")
            if method == "POST" and path not in FORMS:
                pytest.fail(f"POST {path}: add the form it takes to FORMS")
            variants = [ids]
            if params == ["customer_id"]:
                variants.append({**ids, "customer_id": deleted})
            for values in variants:
                url = path.format(**values)
                suffixes = (
                    [f"?tab={t}" for t in TABS] if path == "/customers/{customer_id}" else [""]
                )
                calls += [Call(method, path, url + suffix) for suffix in suffixes]
    assert len(calls) >= 20, "the walk found suspiciously few pages"
    return calls


def form_for(call: Call, ids: dict[str, str]) -> dict[str, str]:
    """The call's form, with `{name}` placeholders in its values replaced by the ids."""
    form = {}
    for key, value in FORMS[call.template].items():
        for name, id_ in ids.items():
            value = value.replace("{" + name + "}", id_)
        form[key] = value
    return form


async def snapshot(client, org: Org, ids: dict[str, str], deleted: str) -> list[object]:
    h, cid = org.headers(), ids["customer_id"]
    urls = [
        f"/api/v1/customers/{cid}", f"/api/v1/customers/{deleted}?include_deleted=true",
        f"/api/v1/customers/{cid}/notes", f"/api/v1/customers/{cid}/history?limit=100",
        "/api/v1/users?limit=100", "/api/v1/custom-fields",
        f"/api/v1/segments/{ids['segment_id']}", f"/api/v1/segments/{ids['segment_id']}/members",
        f"/api/v1/customers/{cid}/segments",
    ]  # fmt: skip
    out = []
    for url in urls:
        response = await client.get(url, headers=h)
        assert response.status_code == 200, (url, response.text)
        out.append(response.json())
    return out


async def test_another_organization_gets_404_on_every_page_and_changes_nothing(
    client, app, session, sign_in, web_org, foreign_org
):
    ids, deleted = await victim_ids(session, web_org)
    before = await snapshot(client, web_org, ids, deleted)
    intruder = await sign_in(foreign_org)
    for call in plan(app, ids, deleted):
        for htmx in (False, True):
            if call.method == "GET":
                headers = {"HX-Request": "true"} if htmx else {}
                response = await intruder.get(call.url, headers=headers)
            else:
                response = await intruder.post(call.url, form_for(call, ids), htmx=htmx)
            assert response.status_code == 404, (call.method, call.url, htmx, response.text[:300])
            assert "Secret LLP" not in response.text
    assert await snapshot(client, web_org, ids, deleted) == before


async def test_the_same_pages_work_for_the_owner(app, session, sign_in, web_org):
    """So the 404s above mean "not yours", not "bad request"."""
    ids, deleted = await victim_ids(session, web_org)
    owner = await sign_in(web_org)
    for call in plan(app, ids, deleted):
        if call.template.endswith(("/delete", "/restore")) or "/views/" in call.template:
            continue
        if deleted in call.url and (call.method != "GET" or call.template.endswith("/edit")):
            continue  # a deleted customer is read-only: its profile and history still show
        if call.method == "GET":
            response = await owner.get(call.url)
        else:
            response = await owner.post(call.url, form_for(call, ids))
        assert response.status_code < 400, (call.method, call.url, response.text[:500])
