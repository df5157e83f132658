"""The dashboard's organization overview and recalculation job, and the profile's
Analytics and Transactions tabs."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from clientbase.analytics.jobs import recalculate_job
from clientbase.db.base import utcnow
from clientbase.jobs import repository as job_rows
from clientbase.jobs import service as jobs
from tests.fixtures import api_create
from tests.web.test_query_counts import queries

pytestmark = pytest.mark.asyncio
OVERVIEW_SECTIONS = (
    "Organization analytics",
    "Lifecycle segments",
    "Predicted CLV",
    "Churn risk",
    "Funnel: lead → prospect → active",
    "Median days to convert",
    "Monthly retention cohorts",
    "Top customers",
    "At-risk customers",
    "Geography",
    "Health score",
    "New in period",
)
TABS = {"HX-Request": "true", "HX-Target": "tabs"}
MORE = {"HX-Request": "true", "HX-Target": "tx-more"}
HTMX = {"HX-Request": "true"}


def days_ago(n: int) -> str:
    return (datetime.now(UTC) - timedelta(days=n)).replace(microsecond=0).isoformat()


async def buy(client, org, customer_id: str, external_id: str, when: str, items=None, **extra):
    body = {"external_id": external_id, "customer_id": customer_id, "occurred_at": when}
    body.update(extra)
    if items:
        body["items"] = items
    else:
        body.setdefault("amount", "25.00")
    response = await client.post("/api/v1/transactions", json=body, headers=org.headers())
    assert response.status_code == 201, response.text
    return response.json()


@pytest.fixture
async def shop(client, web_org):
    """Three customers, two of them buyers over the last few months, one with an address."""
    steppe = await api_create(
        client, web_org, type="company", company_name="Steppe Trading", status="active",
        addresses=[{"type": "office", "country": "KZ", "city": "Almaty"}],
    )  # fmt: skip
    aigerim = await api_create(client, web_org, first_name="Aigerim", last_name="Bekova")
    await api_create(client, web_org, first_name="Lead", last_name="Only", status="lead")
    coffee = [
        {"sku": "CB-1", "name": "Coffee beans", "category": "Coffee", "brand": "Nomad",
         "quantity": "2", "unit_price": "12.50"},
        {"sku": "MUG-1", "name": "Mug", "category": "Kitchen", "brand": "Steppe",
         "quantity": "1", "unit_price": "8.00"},
    ]  # fmt: skip
    await buy(client, web_org, steppe["id"], "s-1", days_ago(75), items=coffee)
    await buy(client, web_org, steppe["id"], "s-2", days_ago(40), amount="120.00")
    await buy(client, web_org, steppe["id"], "s-3", days_ago(5), items=coffee, channel="online")
    await buy(client, web_org, aigerim["id"], "a-1", days_ago(40), amount="15.00")
    return {"steppe": steppe, "aigerim": aigerim}


# The dashboard -------------------------------------------------------------------------


async def test_dashboard_shows_the_overview_to_an_admin(sign_in, web_org, shop):
    html = (await (await sign_in(web_org)).get("/")).text
    for section in (*OVERVIEW_SECTIONS, "By status", "Latest customers"):
        assert section in html, section
    for chart in ("status-chart", "segment-chart", "clv-chart", "churn-chart", "funnel-chart"):
        assert f'id="{chart}"' in html
    assert 'data-horizontal="true"' in html  # the funnel
    assert re.search(r'<label for="f-from">From</label>\s*<input type="date" id="f-from"', html)
    assert '<label for="f-to">To</label>' in html
    assert "Recalculate analytics" in html and 'action="/analytics/recalculate"' in html
    # Top customers link to the profile's analytics; the richest first.
    top = html.split(">Top customers<", 1)[1].split(">At-risk customers<", 1)[0]
    links = re.findall(r'<a href="/customers/([0-9a-f-]+)\?tab=analytics">([^<]+)</a>', top)
    assert links[0] == (shop["steppe"]["id"], "Steppe Trading")
    assert "Aigerim Bekova" in top and "186.00" in top  # 33 + 120 + 33
    assert re.search(r"<td>KZ</td><td>Almaty</td><td class=\"num\">1</td>", html)
    # Cohorts: one row per first-purchase month, shaded cells, no inline style anywhere.
    cohorts = html.split('class="cohorts', 1)[1].split("</table>", 1)[0]
    assert re.search(r'<td class="num heat-\d+">\d+%</td>', cohorts)
    assert "style=" not in html and "<script>" not in html


async def test_the_period_selector_filters_and_explains_bad_dates(sign_in, web_org, shop):
    user = await sign_in(web_org)
    html = (await user.get("/?from=2020-01-01&to=2020-03-31")).text
    assert "2020-01-01 to 2020-03-31" in html
    assert 'value="2020-01-01"' in html and 'value="2020-03-31"' in html
    assert "No purchases in this period." in html  # cohorts of a quiet quarter
    bad = await user.get("/?from=yesterday&to=2020-03-31")
    assert bad.status_code == 200
    assert 'id="f-from-error"' in bad.text and "enter a date as YYYY-MM-DD" in bad.text
    assert 'value="yesterday"' in bad.text  # what was typed stays in the field
    backwards = await user.get("/?from=2020-03-31&to=2020-01-01")
    assert backwards.status_code == 200 and "must be on or before" in backwards.text
    assert "Monthly retention cohorts" in backwards.text  # the default period instead


@pytest.mark.parametrize("role", ["viewer", "sales", "support"])
async def test_other_roles_see_the_counts_without_the_overview(sign_in, web_org, shop, role):
    response = await (await sign_in(web_org, role)).get("/")
    assert response.status_code == 200
    assert "By status" in response.text and "Latest customers" in response.text
    for section in ("Organization analytics", "Recalculate analytics", "Monthly retention"):
        assert section not in response.text
    assert "Permission denied" not in response.text


async def test_a_manager_sees_the_overview(sign_in, web_org, shop):
    html = (await (await sign_in(web_org, "manager")).get("/")).text
    assert all(section in html for section in OVERVIEW_SECTIONS)


# Recalculation --------------------------------------------------------------------------


async def test_recalculate_enqueues_a_job_and_polls_its_status(session, sign_in, web_org, shop):
    user = await sign_in(web_org)
    started = await user.post("/analytics/recalculate", htmx=True)
    assert started.status_code == 200 and "<html" not in started.text
    assert 'id="recalc-status"' in started.text and "Queued" in started.text
    [job] = await jobs.recent_jobs(session, web_org.actor(), limit=5, kind="analytics.recalculate")
    assert job.status == "queued" and job.payload["as_of"] is None
    poll = f'hx-get="/analytics/jobs/{job.id}" hx-trigger="every 2s" hx-swap="outerHTML"'
    assert poll in started.text

    status = await user.get(f"/analytics/jobs/{job.id}", headers=HTMX)
    assert status.status_code == 200 and "<html" not in status.text and poll in status.text
    page = await user.get(f"/analytics/jobs/{job.id}")
    assert "<html" in page.text and "Analytics recalculation" in page.text
    assert "Queued" in (await user.get("/")).text  # the dashboard shows the running job

    # The worker runs it; the next poll says so and stops polling.
    job_id = job.id
    result = await recalculate_job(session, job, _no_progress)
    await job_rows.set_fields(
        session, job.id, status="completed", result=result, progress=1.0, finished_at=utcnow()
    )
    await session.commit()
    session.expire_all()
    done = await user.get(f"/analytics/jobs/{job_id}", headers=HTMX)
    assert "Completed" in done.text and "hx-trigger" not in done.text
    assert (
        "Reload the dashboard" in done.text
        and "Scored " in done.text
        and " model as of " in done.text
    )


async def _no_progress(_fraction: float) -> None:
    return None


async def test_recalculate_without_javascript_redirects_with_a_message(sign_in, web_org):
    user = await sign_in(web_org, "manager")
    response = await user.post("/analytics/recalculate")
    assert response.status_code == 303 and response.headers["location"] == "/"
    page = await user.get("/")
    assert "Analytics recalculation started." in page.text
    assert 'id="recalc-status"' in page.text and 'hx-trigger="every 2s"' in page.text


async def test_a_failed_job_shows_its_error(session, sign_in, web_org):
    user = await sign_in(web_org)
    await user.post("/analytics/recalculate", htmx=True)
    [job] = await jobs.recent_jobs(session, web_org.actor(), limit=1)
    job_id = job.id
    await job_rows.set_fields(session, job_id, status="failed", error="ValueError: no data")
    await session.commit()
    session.expire_all()
    html = (await user.get(f"/analytics/jobs/{job_id}", headers=HTMX)).text
    assert "Failed" in html and "ValueError: no data" in html and "hx-trigger" not in html


async def test_recalculate_needs_a_valid_csrf_token(session, sign_in, web_org):
    user = await sign_in(web_org)
    for data, headers in (({}, {}), ({"csrf_token": "0" * 64}, {}), ({}, {"X-CSRF-Token": "x"})):
        response = await user.http.post("/analytics/recalculate", data=data, headers=headers)
        assert response.status_code == 403, response.text
        assert "Form expired" in response.text
    assert await jobs.recent_jobs(session, web_org.actor(), limit=5) == []


async def test_roles_without_analytics_may_not_recalculate(session, sign_in, web_org):
    response = await (await sign_in(web_org, "viewer")).post("/analytics/recalculate")
    assert response.status_code == 403 and "Permission denied" in response.text
    assert await jobs.recent_jobs(session, web_org.actor(), limit=5) == []


# The profile's Analytics tab ------------------------------------------------------------


async def test_profile_analytics_tab(sign_in, web_org, shop):
    user = await sign_in(web_org)
    url = f"/customers/{shop['steppe']['id']}?tab=analytics"
    html = (await user.get(url)).text
    assert 'aria-current="page">Analytics</a>' in html
    for label in (
        "Total spent", "Average order value", "Frequency", "Recency", "Probability still active",
        "Churn risk", "Predicted CLV (12 months)", "Next purchase", "RFM score", "Engagement",
        "Top categories", "Top brands", "Top products", "Price range", "Credit used", "Insights",
    ):  # fmt: skip
        assert label in html, label
    assert "186.00 KZT" in html  # total spent
    assert "62.00 KZT" in html  # average order value over three orders
    assert "5 days ago" in html
    assert '<td>Coffee</td><td class="num">50.00</td>' in html  # 2 orders x 2 x 12.50
    assert "<td>Nomad</td>" in html and "<td>CB-1</td>" in html  # products by SKU
    partial = await user.get(url, headers=TABS)
    assert "<html" not in partial.text and "Top categories" in partial.text


async def test_analytics_tab_lists_insights_with_recommended_actions(client, sign_in, web_org):
    lead = await api_create(client, web_org, first_name="New", last_name="Lead", status="lead")
    html = (await (await sign_in(web_org, "viewer")).get(
        f"/customers/{lead['id']}?tab=analytics"
    )).text  # fmt: skip
    assert "No purchases yet" in html
    assert "Recommended action: Follow up on the lead and propose a first order" in html
    assert "No items recorded." in html


# The profile's Transactions tab ---------------------------------------------------------


async def test_transactions_tab_pages_with_load_more(client, sign_in, web_org):
    customer = await api_create(client, web_org, first_name="Busy", last_name="Buyer")
    for i in range(23):
        items = [{"sku": f"SKU-{i}", "name": f"Item {i}", "unit_price": "10.00"}]
        await buy(client, web_org, customer["id"], f"order-{i:02d}", days_ago(30 - i), items=items)
    user = await sign_in(web_org)
    url = f"/customers/{customer['id']}?tab=transactions"
    html = (await user.get(url)).text
    assert 'aria-current="page">Transactions</a>' in html
    orders = re.findall(r'class="tx-order">(order-\d+)</td>', html)
    assert orders == [f"order-{i:02d}" for i in range(22, 2, -1)]  # 20, newest first
    assert "1 × Item 22" in html and "SKU SKU-22" in html and "10.00 KZT" in html
    more = re.search(r'<tr id="tx-more">.*?hx-get="([^"]+)"', html, re.S)
    assert more and 'hx-target="closest tr" hx-swap="outerHTML"' in html
    next_url = more.group(1).replace("&amp;", "&")
    rest = await user.get(next_url, headers=MORE)
    assert rest.status_code == 200 and "<html" not in rest.text and "<table" not in rest.text
    later = re.findall(r'class="tx-order">(order-\d+)</td>', rest.text)
    assert later == ["order-02", "order-01", "order-00"]
    assert "tx-more" not in rest.text and "data-autofocus" in rest.text
    # Without JavaScript the same link opens the older page in full.
    page = await user.get(next_url)
    assert "<html" in page.text and "order-00" in page.text and "Newest purchases" in page.text


async def test_transactions_tab_when_nothing_was_bought(client, sign_in, web_org):
    customer = await api_create(client, web_org, first_name="No", last_name="Orders")
    html = (
        await (await sign_in(web_org)).get(f"/customers/{customer['id']}?tab=transactions")
    ).text
    assert "No purchases recorded." in html and "tx-more" not in html


async def test_a_bad_cursor_is_a_bad_request(client, sign_in, web_org):
    customer = await api_create(client, web_org, first_name="No", last_name="Cursor")
    user = await sign_in(web_org)
    response = await user.get(f"/customers/{customer['id']}?tab=transactions&cursor=bm9wZQ")
    assert response.status_code == 422 and "<html" in response.text


# Isolation and query counts -------------------------------------------------------------


async def test_another_organization_gets_404_on_the_new_pages(
    session, sign_in, web_org, foreign_org, shop
):
    owner = await sign_in(web_org)
    await owner.post("/analytics/recalculate", htmx=True)
    [job] = await jobs.recent_jobs(session, web_org.actor(), limit=1)
    intruder = await sign_in(foreign_org)
    customer_id = shop["steppe"]["id"]
    for url, headers in (
        (f"/customers/{customer_id}?tab=analytics", {}),
        (f"/customers/{customer_id}?tab=analytics", TABS),
        (f"/customers/{customer_id}?tab=transactions", {}),
        (f"/customers/{customer_id}?tab=transactions", TABS),
        (f"/customers/{customer_id}?tab=transactions", MORE),
        (f"/analytics/jobs/{job.id}", {}),
        (f"/analytics/jobs/{job.id}", HTMX),
        (f"/analytics/jobs/{uuid.uuid4()}", {}),
    ):
        response = await intruder.get(url, headers=headers)
        assert response.status_code == 404, (url, headers, response.text[:300])
        assert "Steppe" not in response.text and "s-1" not in response.text
    # Their own dashboard shows nothing of ours.
    theirs = (await intruder.get("/")).text
    assert "Steppe Trading" not in theirs and "Aigerim" not in theirs


async def test_new_pages_run_a_fixed_number_of_queries(engine, client, sign_in, web_org, shop):
    user = await sign_in(web_org)
    steppe = shop["steppe"]["id"]
    pages = ["/", f"/customers/{steppe}?tab=analytics", f"/customers/{steppe}?tab=transactions"]
    few = [await queries(engine, user, url) for url in pages]
    for i in range(8):
        buyer = await api_create(client, web_org, first_name="More", last_name=str(i))
        await buy(client, web_org, buyer["id"], f"more-{i}", days_ago(20 + i), amount="5.00")
        items = [{"sku": f"X{i}", "category": f"Cat {i}", "unit_price": "3.00"}]
        await buy(client, web_org, steppe, f"steppe-more-{i}", days_ago(10 + i), items=items)
    many = [await queries(engine, user, url) for url in pages]
    assert many == few
