"""The list (search, filters, sort, pages, bulk actions), the profile tabs, notes, delete."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest

from clientbase.customers import service
from clientbase.metrics.models import CustomerMetrics
from tests.fixtures import create_customer

pytestmark = pytest.mark.asyncio
RESULTS = {"HX-Request": "true", "HX-Target": "results"}


def names(html: str) -> list[str]:
    return re.findall(r'<td class="name"><a href="/customers/[0-9a-f-]+">([^<]+)</a>', html)


@pytest.fixture
async def three(session, web_org):
    return [
        await create_customer(
            session, web_org, type="company", company_name="Steppe Trading",
            phone="+77012345678", status="active", tags=["vip"], industry="Retail",
        ),
        await create_customer(session, web_org, first_name="Aigerim", last_name="Bekova"),
        await create_customer(session, web_org, type="company", company_name="Nomad Foods"),
    ]  # fmt: skip


async def test_empty_list_invites_the_first_customer(sign_in, web_org):
    html = (await (await sign_in(web_org)).get("/customers")).text
    assert "No customers yet" in html and "Add the first customer" in html


async def test_search_by_name_fragment_and_phone_digits(sign_in, web_org, three):
    user = await sign_in(web_org)
    assert names((await user.get("/customers?search=tepp")).text) == ["Steppe Trading"]
    by_phone = await user.get("/customers?search=234 56 78", headers=RESULTS)
    assert names(by_phone.text) == ["Steppe Trading"]
    assert "<html" not in by_phone.text  # htmx gets only the results panel
    nothing = await user.get("/customers?search=zzzqqq", headers=RESULTS)
    assert "No customers match" in nothing.text and "zzzqqq" in nothing.text


async def test_filters_counts_and_sorting(sign_in, web_org, three):
    user = await sign_in(web_org)
    page = await user.get("/customers")
    assert "Showing 1–3 of 3 customers" in page.text
    assert re.search(r'Active <span class="count">1</span>', page.text)
    assert names((await user.get("/customers?status=active")).text) == ["Steppe Trading"]
    assert names((await user.get("/customers?type=individual")).text) == ["Aigerim Bekova"]
    assert names((await user.get("/customers?tags=VIP")).text) == ["Steppe Trading"]
    assert names((await user.get("/customers?industry=retail")).text) == ["Steppe Trading"]
    by_name = await user.get("/customers?sort=name")
    assert names(by_name.text) == ["Aigerim Bekova", "Nomad Foods", "Steppe Trading"]
    assert 'aria-sort="ascending"' in by_name.text
    reverse = await user.get("/customers?sort=-name&page=abc&status=bogus")
    assert names(reverse.text) == ["Steppe Trading", "Nomad Foods", "Aigerim Bekova"]


async def test_purchase_columns_show_and_sort_the_metrics(sign_in, web_org, session, three):
    steppe, aigerim, _nomad = three
    bought = datetime(2025, 6, 1, tzinfo=UTC)
    for customer, total, orders in ((steppe, "1250.00", 3), (aigerim, "99.50", 1)):
        session.add(
            CustomerMetrics(
                organization_id=web_org.id,
                customer_id=customer.id,
                total_spent=Decimal(total),
                order_count=orders,
                first_order_at=bought,
                last_order_at=bought,
                lifetime_value=Decimal(total),
            )
        )
    await session.commit()
    user = await sign_in(web_org)
    top = await user.get("/customers?sort=-total_spent", headers=RESULTS)
    assert names(top.text) == ["Steppe Trading", "Aigerim Bekova", "Nomad Foods"]
    assert 'aria-sort="descending"' in top.text and "Total spent ↓" in top.text
    cells = re.findall(r'<td class="num nowrap">([^<]+)<br><small>([^<]+)</small>', top.text)
    assert cells == [("1,250.00", "3 orders"), ("99.50", "1 order"), ("0.00", "0 orders")]
    assert "/customers?sort=total_spent" in top.text  # the header's link turns it around
    first = await user.get("/customers")
    assert "/customers?sort=-total_spent" in first.text  # biggest spenders first
    # The API's other metric sorts have no column but work from a link.
    fewest = await user.get("/customers?sort=order_count")
    assert names(fewest.text) == ["Nomad Foods", "Aigerim Bekova", "Steppe Trading"]


async def test_pagination_links_keep_the_filters(sign_in, web_org, session):
    for i in range(27):
        await create_customer(session, web_org, first_name="Page", last_name=f"P{i:02d}")
    user = await sign_in(web_org)
    first = await user.get("/customers?search=Page&sort=name")
    assert len(names(first.text)) == 25 and "Page 1 of 2" in first.text
    assert "/customers?search=Page&amp;sort=name&amp;page=2" in first.text
    second = await user.get("/customers?search=Page&sort=name&page=2")
    assert names(second.text) == ["Page P25", "Page P26"]


async def test_bulk_status_tags_assign_and_delete(sign_in, web_org, session, three):
    user = await sign_in(web_org)
    ids = [c.id for c in three[1:]]
    back = "/customers?sort=name"

    async def bulk(**data):
        response = await user.post(
            "/customers/bulk", {"ids": [str(i) for i in ids], "return_to": back, **data}
        )
        assert response.status_code == 303 and response.headers["location"] == back
        return (await user.get(back)).text

    assert "Updated 2 customers." in await bulk(action="status", status="prospect")
    assert "Updated 2 customers." in await bulk(action="add_tags", tags="Wholesale")
    sales = str(web_org.users["sales"].id)
    assert "Updated 2 customers." in await bulk(action="assign", assigned_to=sales)
    actor = web_org.actor()
    for customer_id in ids:
        current = await service.get_customer(session, actor, customer_id)
        assert (current.status, current.tags) == ("prospect", ["wholesale"])
        assert str(current.assigned_to) == sales
    assert (
        "Select at least one customer"
        in (
            await user.get(
                (await user.post("/customers/bulk", {"action": "delete"})).headers["location"]
            )
        ).text
    )
    assert "Deleted 2 customers." in await bulk(action="delete")
    assert names((await user.get("/customers")).text) == ["Steppe Trading"]
    assert len(names((await user.get("/customers?deleted=only")).text)) == 2


async def test_bulk_ignores_another_organizations_ids(sign_in, web_org, foreign_org, session):
    theirs = await create_customer(session, foreign_org, first_name="Their", last_name="Own")
    user = await sign_in(web_org)
    response = await user.post(
        "/customers/bulk", {"ids": [str(theirs.id)], "action": "status", "status": "blocked"}
    )
    assert (
        "Updated 0 customers. 1 not changed" in (await user.get(response.headers["location"])).text
    )
    assert (await service.get_customer(session, foreign_org.actor(), theirs.id)).status == "lead"


async def test_profile_tabs(sign_in, web_org, three):
    user = await sign_in(web_org)
    url = f"/customers/{three[0].id}"
    page = await user.get(url)
    assert "<h1>Steppe Trading</h1>" in page.text and 'aria-current="page">Overview' in page.text
    for tab in ("contacts", "addresses", "notes", "history"):
        partial = await user.get(
            f"{url}?tab={tab}", headers={"HX-Request": "true", "HX-Target": "tabs"}
        )
        assert partial.status_code == 200 and "<html" not in partial.text
        assert (
            f'?tab={tab}" hx-target="#tabs" hx-push-url="true" aria-current="page"' in partial.text
        )
    history = await user.get(f"{url}?tab=history")
    assert "created the customer" in history.text


async def test_notes_add_pin_edit_delete_inline(sign_in, web_org, three):
    user = await sign_in(web_org)
    base = f"/customers/{three[0].id}/notes"
    added = await user.post(
        base, {"content": "Called about the Q3 order", "type": "sales"}, htmx=True
    )
    assert added.status_code == 200 and "<html" not in added.text
    assert "Note added." in added.text and "Called about the Q3 order" in added.text
    note_id = re.search(r'id="note-([0-9a-f-]+)"', added.text).group(1)
    pinned = await user.post(f"{base}/{note_id}/pin", {"pinned": "true", "version": "1"}, htmx=True)
    assert "Note pinned." in pinned.text and "Unpin note" in pinned.text
    edited = await user.post(
        f"{base}/{note_id}", {"content": "Q3 order confirmed", "version": "2"}, htmx=True
    )
    assert "Note saved." in edited.text and "Q3 order confirmed" in edited.text
    stale = await user.post(f"{base}/{note_id}", {"content": "late", "version": "2"}, htmx=True)
    assert stale.status_code == 409 and "changed this note meanwhile" in stale.text
    empty = await user.post(base, {"content": "  "}, htmx=True)
    assert empty.status_code == 422 and "The note was not added." in empty.text
    deleted = await user.post(f"{base}/{note_id}/delete", htmx=True)
    assert "Note deleted." in deleted.text and "No notes yet." in deleted.text
    plain = await user.post(base, {"content": "Without JavaScript"})
    assert plain.status_code == 303 and plain.headers["location"].endswith("?tab=notes")


async def test_support_edits_only_their_own_notes(sign_in, web_org, three):
    admin = await sign_in(web_org)
    base = f"/customers/{three[0].id}/notes"
    added = await admin.post(base, {"content": "Admin note"}, htmx=True)
    note_id = re.search(r'id="note-([0-9a-f-]+)"', added.text).group(1)
    support = await sign_in(web_org, "support")
    panel = await support.get(f"/customers/{three[0].id}?tab=notes")
    assert "Admin note" in panel.text and "Edit note" not in panel.text
    refused = await support.post(f"{base}/{note_id}/delete", htmx=True)
    assert refused.status_code == 403 and refused.headers["HX-Retarget"] == "#notice"


async def test_delete_and_restore(sign_in, web_org, three):
    user = await sign_in(web_org)
    url = f"/customers/{three[2].id}"
    deleted = await user.post(f"{url}/delete")
    assert deleted.status_code == 303
    page = await user.get(url)
    assert "Nomad Foods was deleted." in page.text and "Restore customer" in page.text
    assert "Edit customer" not in page.text
    assert (await user.get(f"{url}/edit")).status_code == 404
    restored = await user.post(f"{url}/restore")
    assert "Nomad Foods was restored." in (await user.get(restored.headers["location"])).text


async def test_sales_rep_sees_only_their_customers(sign_in, web_org, session, three):
    mine = await create_customer(
        session, web_org, first_name="Mine", last_name="Only",
        assigned_to=web_org.users["sales"].id, status="active",
    )  # fmt: skip
    mine_id = mine.id  # read before a refused request rolls the session back
    sales = await sign_in(web_org, "sales")
    visible = names((await sales.get("/customers?status=active")).text)
    assert visible == ["Mine Only"]
    assert (await sales.get(f"/customers/{three[0].id}")).status_code == 404
    assert (await sales.get(f"/customers/{mine_id}")).status_code == 200


async def test_dashboard_counts_and_latest(sign_in, web_org, three):
    html = (await (await sign_in(web_org)).get("/")).text
    assert '<p class="big-number">3</p>' in html
    assert "data-values='[2, 0, 1, 0, 0, 0]'" in html  # lead, prospect, active, ...
    assert "Nomad Foods" in html and "/static/vendor/chart.umd.min.js" in html


async def test_saved_views_keep_filters_and_reopen_them(sign_in, web_org, three):
    user = await sign_in(web_org)
    back = "/customers?status=active&tags=vip&assigned_to=none&sort=name"
    saved = await user.post("/customers/views", {"name": "VIP actives", "return_to": back})
    assert saved.status_code == 303 and saved.headers["location"] == back
    page = await user.get("/customers")
    assert "Saved view &#39;VIP actives&#39;." in page.text
    view_id = re.search(r'href="/customers/views/([0-9a-f-]+)">VIP actives', page.text).group(1)
    opened = await user.get(f"/customers/views/{view_id}")
    assert opened.status_code == 303
    reopened = urlsplit(opened.headers["location"])
    assert reopened.path == "/customers"
    assert parse_qs(reopened.query) == parse_qs(urlsplit(back).query)
    assert names((await user.get(opened.headers["location"])).text) == ["Steppe Trading"]
    again = await user.post("/customers/views", {"name": "VIP actives", "return_to": back})
    assert "already have a view" in (await user.get(again.headers["location"])).text
    other = await sign_in(web_org, "manager")
    assert "VIP actives" not in (await other.get("/customers")).text  # not shared
    assert (await other.get(f"/customers/views/{view_id}")).status_code == 404
    deleted = await user.post(f"/customers/views/{view_id}/delete")
    assert "Saved view deleted." in (await user.get(deleted.headers["location"])).text
