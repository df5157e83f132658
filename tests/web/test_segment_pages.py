"""The segment pages: list, create with the builder's criteria JSON, validation errors by rule
path, detail with members and history, live preview, static members, the profile's
Segments tab with the explain trace, roles and tenant isolation."""

from __future__ import annotations

import json
import re
import uuid

import pytest

from clientbase.segments.recalculate import recalculate_segment
from tests.fixtures import api_create

pytestmark = pytest.mark.asyncio
API = "/api/v1"
HTMX = {"HX-Request": "true"}
ALMATY_OR_VIP = {
    "operator": "OR",
    "rules": [
        {"field": "city", "operator": "equals", "value": "Almaty"},
        {"field": "tags", "operator": "contains", "value": "vip"},
    ],
}


@pytest.fixture
async def people(client, web_org):
    aida = await api_create(
        client, web_org, first_name="Aida", last_name="Nur", tags=["vip"], rating=5
    )
    beta = await api_create(
        client, web_org, type="company", company_name="Beta LLP", rating=2,
        addresses=[{"type": "office", "country": "KZ", "city": "Almaty"}],
    )  # fmt: skip
    chingiz = await api_create(client, web_org, first_name="Chingiz", last_name="Ospan", rating=1)
    return {"aida": aida, "beta": beta, "chingiz": chingiz}


async def api_segments(client, org) -> list[dict]:
    response = await client.get(f"{API}/segments", headers=org.headers())
    assert response.status_code == 200, response.text
    return response.json()["items"]


async def create_via_form(admin, name: str, criteria: dict, **extra: str):
    data = {"name": name, "type": "dynamic", "criteria": json.dumps(criteria), **extra}
    return await admin.post("/segments/new", data)


async def make_segment(client, session, org, name="Almaty or VIP", criteria=None) -> dict:
    body = {"name": name, "criteria": criteria or ALMATY_OR_VIP}
    response = await client.post(f"{API}/segments", json=body, headers=org.headers())
    assert response.status_code == 201, response.text
    segment = response.json()
    await recalculate_segment(session, org.actor(), uuid.UUID(segment["id"]))
    await session.commit()
    return segment


async def test_the_list_shows_segments_with_counts_and_the_nav_links_to_it(
    client, session, sign_in, web_org, people
):
    segment = await make_segment(client, session, web_org)
    admin = await sign_in(web_org)
    page = await admin.get("/segments")
    assert page.status_code == 200, page.text
    assert '<a href="/segments" aria-current="page">Segments</a>' in page.text
    row = re.search(rf'<tr id="segment-{segment["id"]}">(.*?)</tr>', page.text, re.S)
    assert row, page.text
    assert "Almaty or VIP" in row.group(1) and "badge-segment-dynamic" in row.group(1)
    assert re.search(r'class="num member-count">2<', row.group(1))
    assert f'action="/segments/{segment["id"]}/recalculate"' in row.group(1)
    assert f'action="/segments/{segment["id"]}/delete"' in row.group(1)


async def test_create_through_the_form_saves_the_criteria_and_queues_a_recalculation(
    client, sign_in, web_org, people
):
    admin = await sign_in(web_org)
    form = await admin.get("/segments/new")
    assert form.status_code == 200
    assert 'id="segment-fields"' in form.text and 'src="/static/segment_builder.js"' in form.text
    fields = json.loads(re.search(r'id="segment-fields">(.*?)</script>', form.text, re.S).group(1))
    assert {"field": "total_spent", "type": "number"}.items() <= fields[
        [f["field"] for f in fields].index("total_spent")
    ].items()
    response = await create_via_form(
        admin, "Almaty or VIP", ALMATY_OR_VIP, description="Local and loyal"
    )
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    saved = [s for s in await api_segments(client, web_org) if s["name"] == "Almaty or VIP"]
    assert len(saved) == 1 and location == f"/segments/{saved[0]['id']}"
    assert saved[0]["criteria"] == ALMATY_OR_VIP
    assert saved[0]["description"] == "Local and loyal"
    detail = await admin.get(location)
    assert "Segment Almaty or VIP created. Its members are being calculated." in detail.text


async def test_a_static_segment_is_created_without_criteria(client, sign_in, web_org):
    admin = await sign_in(web_org)
    data = {"name": "Hand picked", "type": "static", "criteria": "not even json"}
    response = await admin.post("/segments/new", data)
    assert response.status_code == 303, response.text
    saved = [s for s in await api_segments(client, web_org) if s["name"] == "Hand picked"]
    assert saved[0]["type"] == "static" and saved[0]["criteria"] is None


async def test_invalid_criteria_re_render_with_the_rule_path_and_nothing_is_saved(
    client, sign_in, web_org
):
    admin = await sign_in(web_org)
    bad = {
        "operator": "AND",
        "rules": [
            {"field": "city", "operator": "equals", "value": "Almaty"},
            {
                "operator": "OR",
                "rules": [{"field": "total_spent", "operator": "greater_than", "value": "lots"}],
            },
        ],
    }
    response = await create_via_form(admin, "Broken", bad)
    assert response.status_code == 422
    assert "Nothing was saved." in response.text
    assert "<code>criteria.rules[1].rules[0].value</code>: must be a number" in response.text
    # The builder gets the user's criteria back, and the errors to show by its rules.
    hidden = re.search(r'id="criteria-input" value="([^"]*)"', response.text).group(1)
    assert json.loads(hidden.replace("&#34;", '"').replace("&quot;", '"')) == bad
    errors = re.search(r'id="rule-builder" data-errors="([^"]*)"', response.text).group(1)
    assert "criteria.rules[1].rules[0].value" in errors
    assert 'value="Broken"' in response.text
    assert [s for s in await api_segments(client, web_org) if s["name"] == "Broken"] == []


async def test_a_missing_name_and_a_taken_name_are_reported_on_the_form(
    client, session, sign_in, web_org
):
    await make_segment(client, session, web_org, name="Taken")
    admin = await sign_in(web_org)
    missing = await create_via_form(admin, "", ALMATY_OR_VIP)
    assert missing.status_code == 422
    assert 'id="f-name-error"' in missing.text
    taken = await create_via_form(admin, "Taken", ALMATY_OR_VIP)
    assert taken.status_code == 409
    assert "A segment named &#39;Taken&#39; already exists." in taken.text
    assert len([s for s in await api_segments(client, web_org) if s["name"] == "Taken"]) == 1


async def test_live_preview_counts_matches_or_names_the_invalid_rule(sign_in, web_org, people):
    admin = await sign_in(web_org)
    criteria = {
        "operator": "AND",
        "rules": [{"field": "rating", "operator": "greater_or_equal", "value": 2}],
    }
    ok = await admin.post("/segments/preview", {"criteria": json.dumps(criteria)}, htmx=True)
    assert ok.status_code == 200, ok.text
    assert 'data-preview-count="2"' in ok.text and "2 customers match" in ok.text
    assert "Aida Nur" in ok.text and "Beta LLP" in ok.text and "Chingiz" not in ok.text
    criteria["rules"].append({"field": "rating", "operator": "between", "value": [3]})
    bad = await admin.post("/segments/preview", {"criteria": json.dumps(criteria)}, htmx=True)
    assert bad.status_code == 422
    assert (
        "<code>criteria.rules[1].value</code>" in bad.text and "data-preview-count" not in bad.text
    )
    refused = await admin.http.post(
        "/segments/preview", data={"criteria": json.dumps(criteria)}, headers=HTMX
    )
    assert refused.status_code == 403  # no CSRF token


async def test_detail_shows_rules_members_and_history(client, session, sign_in, web_org, people):
    segment = await make_segment(client, session, web_org)
    admin = await sign_in(web_org)
    page = await admin.get(f"/segments/{segment['id']}")
    assert page.status_code == 200, page.text
    assert "Any of these" in page.text and "City (any address)" in page.text
    assert "<code>Almaty</code>" in page.text
    assert '<dd id="member-count">2</dd>' in page.text
    members = re.search(r'<div id="members">(.*?)</table>', page.text, re.S).group(1)
    assert f'href="/customers/{people["aida"]["id"]}' in members
    assert f'href="/customers/{people["beta"]["id"]}' in members
    assert people["chingiz"]["id"] not in members
    assert "2 members" in members
    history = page.text.split("Membership history", 1)[1]
    assert history.count("Entered") == 2 and "Aida Nur" in history
    first = await admin.get(f"/segments/{segment['id']}?cursor=", headers=HTMX)
    assert first.status_code == 200


async def test_members_page_in_pages(client, session, sign_in, web_org, monkeypatch):
    from clientbase.web.views import segments as views

    monkeypatch.setattr(views, "MEMBERS_PAGE", 1)
    for name in ("One", "Two"):
        await api_create(client, web_org, first_name=name, last_name="Member", tags=["vip"])
    segment = await make_segment(client, session, web_org)
    admin = await sign_in(web_org)
    page = await admin.get(f"/segments/{segment['id']}")
    cursor = re.search(r'\?cursor=([^"&]+)"', page.text).group(1)
    second = await admin.get(
        f"/segments/{segment['id']}?cursor={cursor}", headers={**HTMX, "HX-Target": "members"}
    )
    assert second.status_code == 200 and "<html" not in second.text
    first = re.search(r'<div id="members">(.*?)</table>', page.text, re.S).group(1)
    names = re.findall(r">(One|Two) Member<", first + second.text)
    assert sorted(names) == ["One", "Two"]


async def test_recalculate_starts_a_job_and_its_status_polls(client, session, sign_in, web_org):
    segment = await make_segment(client, session, web_org)
    admin = await sign_in(web_org)
    started = await admin.post(f"/segments/{segment['id']}/recalculate", htmx=True)
    assert started.status_code == 200, started.text
    assert 'data-job-status="queued"' in started.text
    job_id = re.search(r'hx-get="/segments/jobs/([0-9a-f-]+)"', started.text).group(1)
    status = await admin.get(f"/segments/jobs/{job_id}", headers=HTMX)
    assert status.status_code == 200 and "Recalculation" in status.text
    plain = await admin.post(f"/segments/{segment['id']}/recalculate")
    assert plain.status_code == 303


async def test_delete_removes_the_segment(client, session, sign_in, web_org):
    segment = await make_segment(client, session, web_org)
    admin = await sign_in(web_org)
    response = await admin.post(f"/segments/{segment['id']}/delete")
    assert response.status_code == 303 and response.headers["location"] == "/segments"
    gone = await client.get(f"{API}/segments/{segment['id']}", headers=web_org.headers())
    assert gone.status_code == 404


async def test_edit_changes_the_rules(client, session, sign_in, web_org, people):
    segment = await make_segment(client, session, web_org)
    admin = await sign_in(web_org)
    form = await admin.get(f"/segments/{segment['id']}/edit")
    assert form.status_code == 200 and 'name="version" value="1"' in form.text
    only_vip = {"operator": "AND", "rules": [ALMATY_OR_VIP["rules"][1]]}
    data = {"name": "VIP", "version": "1", "criteria": json.dumps(only_vip)}
    saved = await admin.post(f"/segments/{segment['id']}/edit", data)
    assert saved.status_code == 303, saved.text
    got = (await client.get(f"{API}/segments/{segment['id']}", headers=web_org.headers())).json()
    assert got["name"] == "VIP" and got["criteria"] == only_vip
    stale = await admin.post(f"/segments/{segment['id']}/edit", {**data, "name": "Old"})
    assert stale.status_code == 409 and "Someone else saved this segment" in stale.text
    assert 'value="Old"' in stale.text and 'name="version" value="2"' in stale.text


async def test_static_members_are_added_and_removed_by_hand(
    client, session, sign_in, web_org, people
):
    response = await client.post(
        f"{API}/segments", json={"name": "Picked", "type": "static"}, headers=web_org.headers()
    )
    segment = response.json()
    admin = await sign_in(web_org)
    found = await admin.get(f"/segments/{segment['id']}/candidates?search=Chingiz", headers=HTMX)
    assert found.status_code == 200 and people["chingiz"]["id"] in found.text
    added = await admin.post(
        f"/segments/{segment['id']}/members", {"customer_id": people["chingiz"]["id"]}
    )
    assert added.status_code == 303
    page = await admin.get(f"/segments/{segment['id']}")
    assert "Chingiz Ospan added to Picked." in page.text
    assert f"/segments/{segment['id']}/members/{people['chingiz']['id']}/remove" in page.text
    removed = await admin.post(
        f"/segments/{segment['id']}/members/{people['chingiz']['id']}/remove"
    )
    assert removed.status_code == 303
    members = await client.get(f"{API}/segments/{segment['id']}/members", headers=web_org.headers())
    assert members.json()["items"] == []


async def test_profile_segments_tab_lists_memberships_and_explains(
    client, session, sign_in, web_org, people
):
    segment = await make_segment(client, session, web_org)
    admin = await sign_in(web_org)
    beta = people["beta"]["id"]
    tab = await admin.get(f"/customers/{beta}?tab=segments")
    assert tab.status_code == 200, tab.text
    assert 'aria-current="page">Segments</a>' in tab.text
    assert f'<a href="/segments/{segment["id"]}">Almaty or VIP</a>' in tab.text
    explained = await admin.get(
        f"/customers/{beta}?tab=segments&segment={segment['id']}",
        headers={**HTMX, "HX-Target": "tabs"},
    )
    assert explained.status_code == 200 and "<html" not in explained.text
    rows = re.findall(
        r'<tr class="explain-rule" data-path="([^"]+)">(.*?)</tr>', explained.text, re.S
    )
    assert [path for path, _ in rows] == ["criteria.rules[0]", "criteria.rules[1]"]
    assert "Almaty" in rows[0][1] and "verdict-pass" in rows[0][1]
    assert "verdict-fail" in rows[1][1]
    assert "Almaty or VIP: member" in explained.text
    outsider = await admin.get(
        f"/customers/{people['chingiz']['id']}?tab=segments&segment={segment['id']}"
    )
    assert "Almaty or VIP: not a member" in outsider.text and "do not match" in outsider.text


async def test_profile_sets_static_segments(client, session, sign_in, web_org, people):
    response = await client.post(
        f"{API}/segments", json={"name": "Picked", "type": "static"}, headers=web_org.headers()
    )
    segment_id = response.json()["id"]
    admin = await sign_in(web_org)
    aida = people["aida"]["id"]
    saved = await admin.post(f"/customers/{aida}/segments", {"segment_ids": segment_id})
    assert saved.status_code == 303
    current = await client.get(f"{API}/customers/{aida}/segments", headers=web_org.headers())
    assert [s["segment_id"] for s in current.json()] == [segment_id]


async def test_a_viewer_can_look_but_not_create_or_change(
    client, session, sign_in, web_org, people
):
    segment = await make_segment(client, session, web_org)
    viewer = await sign_in(web_org, "viewer")
    listed = await viewer.get("/segments")
    assert listed.status_code == 200 and "Almaty or VIP" in listed.text
    assert "New segment" not in listed.text and "/recalculate" not in listed.text
    detail = await viewer.get(f"/segments/{segment['id']}")
    assert detail.status_code == 200 and "Edit segment" not in detail.text
    for url in ("/segments/new", f"/segments/{segment['id']}/edit"):
        page = await viewer.get(url)
        assert page.status_code == 403 and "Permission" in page.text, url
    refused = await create_via_form(viewer, "Viewer's", ALMATY_OR_VIP)
    assert refused.status_code == 403 and "<h1>" in refused.text
    deleted = await viewer.post(f"/segments/{segment['id']}/delete")
    assert deleted.status_code == 403
    assert [s["name"] for s in await api_segments(client, web_org)] == ["Almaty or VIP"]


async def test_another_organizations_segment_is_not_found(
    client, session, sign_in, web_org, foreign_org, people
):
    segment = await make_segment(client, session, web_org)
    intruder = await sign_in(foreign_org)
    for url in (f"/segments/{segment['id']}", f"/segments/{segment['id']}/edit"):
        page = await intruder.get(url)
        assert page.status_code == 404 and "Almaty or VIP" not in page.text, url
    assert "Almaty or VIP" not in (await intruder.get("/segments")).text
    explain = await intruder.get(
        f"/customers/{people['beta']['id']}?tab=segments&segment={segment['id']}"
    )
    assert explain.status_code == 404
    criteria = {"operator": "AND", "rules": [ALMATY_OR_VIP["rules"][0]]}
    preview = await intruder.post("/segments/preview", {"criteria": json.dumps(criteria)})
    assert 'data-preview-count="0"' in preview.text and "Beta" not in preview.text
