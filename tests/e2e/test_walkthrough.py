"""The issue's browser scenario, end to end on a real server, with a screenshot of each page."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, CHROMIUM_ARGS  # noqa: F401
from tests.e2e.pages import open_page
from tests.fixtures import BIN_HEAD_OFFICE, IIN_MALE_1990

pytestmark = pytest.mark.browser
BAD_IIN = IIN_MALE_1990[:-1] + "8"
# Pages that answer a refused sign-in, a form with errors or a conflict with 401/422/409.
EXPECTED_STATUS = re.compile(r"^Failed to load resource: .* status of (401|409|422) ")


def seed(server: str) -> None:
    """Other customers through the API, so searching has something to leave out, with
    purchases over the last months so the dashboard and the analytics tab have figures."""
    token = httpx.post(
        f"{server}/api/v1/auth/token", data={"username": ADMIN_EMAIL, "password": ADMIN_PASSWORD}
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    nomad_foods = {
        "type": "company",
        "company_name": "Nomad Foods",
        "phone": "+7 727 300 10 20",
        "addresses": [{"type": "office", "country": "KZ", "city": "Almaty"}],
    }
    ids = []
    for body in (nomad_foods, {"first_name": "Aigerim", "last_name": "Bekova", "status": "active"}):
        response = httpx.post(f"{server}/api/v1/customers", json=body, headers=headers)
        assert response.status_code == 201, response.text
        ids.append(response.json()["id"])
    nomad, aigerim = ids
    for version, status in enumerate(("prospect", "active"), start=1):
        body = {"status": status, "version": version}
        changed = httpx.patch(f"{server}/api/v1/customers/{nomad}", json=body, headers=headers)
        assert changed.status_code == 200, changed.text
    response = httpx.post(
        f"{server}/api/v1/transactions/bulk",
        json={"items": purchases(nomad, aigerim)},
        headers=headers,
    )
    assert response.status_code == 200 and not response.json()["errors"], response.text


def purchases(nomad: str, aigerim: str) -> list[dict[str, Any]]:
    now = datetime.now(UTC).replace(microsecond=0)
    flour = {"sku": "FL-25", "name": "Flour 25 kg", "category": "Bakery", "brand": "Steppe Mill"}
    oil = {"sku": "OIL-5", "name": "Sunflower oil 5 l", "category": "Grocery", "brand": "Altyn"}
    rows = []
    for i, days in enumerate((150, 120, 95, 70, 41, 33, 12, 4)):
        items = [{**flour, "quantity": str(4 + i % 3), "unit_price": "9500.00"}]
        if i % 2:
            items.append({**oil, "quantity": "10", "unit_price": "4200.00"})
        when = (now - timedelta(days=days)).isoformat()
        channel = "wholesale" if i % 2 else "phone"
        rows.append(order(f"nomad-{i}", nomad, when, channel, items=items))
    for i, days in enumerate((110, 80, 20)):
        when = (now - timedelta(days=days)).isoformat()
        rows.append(order(f"aigerim-{i}", aigerim, when, "online", amount="18500.00"))
    return rows


def order(external_id: str, customer: str, when: str, channel: str, **rest: Any) -> dict[str, Any]:
    return {
        "external_id": external_id,
        "customer_id": customer,
        "occurred_at": when,
        "channel": channel,
        **rest,
    }


def sign_in(page: Any, password: str = ADMIN_PASSWORD) -> None:
    page.get_by_label("Email").fill(ADMIN_EMAIL)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def fits(page: Any, width: int) -> None:
    overflow = page.evaluate("document.documentElement.scrollWidth")
    assert overflow <= width, f"{page.url} is {overflow}px wide at {width}px"


def test_walkthrough(browser, server, shoot):
    from playwright.sync_api import expect

    seed(server)
    problems: list[str] = []
    page = open_page(browser, server, problems, EXPECTED_STATUS)

    page.goto("/customers")
    expect(page).to_have_url(re.compile(r"/login\?next=/customers$"))
    sign_in(page, "not-the-password")
    expect(page.get_by_role("alert")).to_have_text("Incorrect email or password.")
    shoot(page, "01-login-failed")
    sign_in(page)
    expect(page).to_have_url(f"{server}/customers")
    expect(page.get_by_text("Showing 1–2 of 2 customers")).to_be_visible()

    # A person with a bad IIN first: the form says why, next to the field.
    page.get_by_role("button", name="New customer").click()
    page.get_by_label("First name").fill("Aida")
    page.get_by_label("Last name").fill("Sarsen")
    page.get_by_label("IIN").fill(BAD_IIN)
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#f-iin-error")).to_contain_text("IIN check digit is wrong")
    expect(page.get_by_label("IIN")).to_have_value(BAD_IIN)
    shoot(page, "02-form-with-errors")

    # Then the same form becomes a company with a contact and an address.
    page.get_by_label("Type").select_option("company")
    expect(page.get_by_label("IIN")).to_be_hidden()
    page.get_by_label("Company name").fill("Steppe Trading LLP")
    page.get_by_label("BIN").fill(BIN_HEAD_OFFICE)
    page.get_by_label("Email").fill("info@steppe.kz")
    page.get_by_label("Phone").fill("+7 (701) 234-56-78")
    page.get_by_role("button", name="Add contact").click()
    page.locator('[name="contacts[0].first_name"]').fill("Aida")
    page.locator('[name="contacts[0].last_name"]').fill("Nurlanova")
    page.locator('[name="contacts[0].phone"]').fill("8 701 111 22 33")
    page.get_by_role("button", name="Add address").click()
    page.locator('[name="addresses[0].city"]').fill("Almaty")
    page.locator('[name="addresses[0].street"]').fill("Abay avenue 1")
    shoot(page, "03-form-company")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Steppe Trading LLP")
    expect(page.get_by_role("status").first).to_contain_text("created")
    profile_url = page.url
    page.get_by_role("link", name="Contacts (1)").click()
    expect(page.get_by_role("cell", name="Aida Nurlanova")).to_be_visible()
    shoot(page, "04-profile-contacts")
    page.get_by_role("link", name="Addresses (1)").click()
    expect(page.locator("address")).to_contain_text("Almaty")

    # Find it by a fragment of the name and by phone digits, as you type.
    page.get_by_role("link", name="Customers", exact=True).click()
    search = page.get_by_label("Search")
    search.press_sequentially("tepp", delay=40)
    expect(page.locator("#results tbody tr")).to_have_count(1)
    expect(page.locator("#results")).to_contain_text("Steppe Trading LLP")
    expect(page).to_have_url(re.compile(r"search=tepp"))
    search.fill("")
    expect(page.locator("#results tbody tr")).to_have_count(3)
    shoot(page, "05-customers-list")
    search.press_sequentially("2345678", delay=40)
    expect(page.locator("#results tbody tr")).to_have_count(1)
    expect(page.locator("#results")).to_contain_text("Steppe Trading LLP")
    shoot(page, "06-customers-search")
    page.get_by_role("link", name="Steppe Trading LLP").click()
    expect(page).to_have_url(profile_url)
    shoot(page, "07-profile")

    # A note, added and pinned in place.
    page.get_by_role("link", name="Notes").click()
    page.get_by_label("Content").fill("Asked for a quote on 40 pallets.")
    page.get_by_role("button", name="Add note").click()
    expect(page.locator(".note-content")).to_have_text("Asked for a quote on 40 pallets.")
    page.get_by_role("button", name="Pin note").click()
    expect(page.get_by_role("button", name="Unpin note")).to_be_visible()
    shoot(page, "08-profile-notes")

    # Edit a field; the history says who changed what from what to what.
    page.get_by_role("button", name="Edit customer").click()
    page.get_by_label("Industry").fill("Wholesale")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("Changes saved.")).to_be_visible()
    page.get_by_role("link", name="History").click()
    change = page.locator("table.changes tr", has_text="Industry")
    expect(change).to_contain_text("Wholesale")
    expect(page.locator(".history li").first).to_contain_text(f"{ADMIN_EMAIL} changed the profile")
    shoot(page, "09-profile-history")

    # Two tabs edit the same customer; the second one's stale save shows the conflict.
    first_tab, second_tab = page, page.context.new_page()
    second_tab.on("dialog", lambda dialog: dialog.accept())
    first_tab.goto(profile_url + "/edit")
    second_tab.goto(profile_url + "/edit")
    first_tab.get_by_label("Industry").fill("Retail")
    first_tab.get_by_role("button", name="Save").click()
    expect(first_tab.get_by_text("Changes saved.")).to_be_visible()
    second_tab.get_by_label("Industry").fill("Logistics")
    second_tab.get_by_role("button", name="Save").click()
    conflict = second_tab.locator("#conflict")
    expect(conflict).to_contain_text("Someone else saved this customer while you were editing")
    expect(second_tab.get_by_label("Industry")).to_have_value("Logistics")
    shoot(second_tab, "10-edit-conflict")
    second_tab.close()

    pages = (
        ("/", "11-dashboard"),
        ("/settings/users", "12-settings-users"),
        ("/settings/custom-fields", "13-settings-custom-fields"),
        ("/logout", "14-sign-out"),
    )
    for path, name in pages:
        page.goto(path)
        shoot(page, name)
        if path == "/":
            recalculate_and_open_analytics(page, shoot)

    page.get_by_role("main").get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(f"{server}/login")
    expect(page.get_by_text("You have signed out.")).to_be_visible()
    page.goto("/customers")
    expect(page).to_have_url(re.compile(r"/login\?next=/customers$"))
    assert problems == [], problems  # e.g. a CSP violation from an inline script or style
    page.context.close()


def recalculate_and_open_analytics(page: Any, shoot: Any) -> None:
    """The recalculation job runs in the server; its status polls until it is done."""
    from playwright.sync_api import expect

    expect(page.get_by_role("heading", name="Organization analytics")).to_be_visible()
    status = page.locator("#recalc-status")  # may show an earlier (nightly) run until then
    with page.expect_response("**/analytics/recalculate"):
        page.get_by_role("button", name="Recalculate analytics").click()
    expect(status).to_have_attribute("data-job-status", "queued")
    expect(status).to_contain_text("Analytics recalculation")
    expect(status).to_have_attribute("data-job-status", "completed", timeout=20_000)
    with page.expect_navigation():
        page.get_by_role("link", name="Reload the dashboard").click()
    clv = page.locator("article", has=page.get_by_role("heading", name=re.compile("Predicted CLV")))
    expect(clv.get_by_role("row", name=re.compile("10,000 and over"))).to_contain_text("2")
    shoot(page, "11a-dashboard-analytics")
    page.get_by_role("link", name="Nomad Foods").first.click()  # a top customer
    expect(page).to_have_url(re.compile(r"/customers/[0-9a-f-]+\?tab=analytics$"))
    analytics = page.get_by_role("link", name="Analytics", exact=True)
    expect(analytics).to_have_attribute("aria-current", "page")
    expect(page.get_by_role("heading", name="Top categories")).to_be_visible()
    expect(page.locator(".insights")).to_contain_text("Recommended action")
    shoot(page, "11b-profile-analytics")
    page.get_by_role("link", name="Transactions").click()
    expect(page.locator("td.tx-order").first).to_have_text("nomad-7")
    shoot(page, "11c-profile-transactions")
    page.goto("/")


def test_phone_sized_screens(browser, server, shoot):
    from playwright.sync_api import expect

    problems: list[str] = []
    page = open_page(browser, server, problems, EXPECTED_STATUS, width=375)
    page.goto("/login?next=/customers")
    sign_in(page)
    expect(page.get_by_role("heading", name="Customers", exact=True)).to_be_visible()
    fits(page, 375)
    shoot(page, "15-phone-customers")
    page.get_by_role("link", name="Steppe Trading LLP").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Steppe Trading LLP")
    fits(page, 375)
    shoot(page, "16-phone-profile")
    page.get_by_role("button", name="Edit customer").click()
    fits(page, 375)
    shoot(page, "17-phone-form")
    page.goto("/")
    fits(page, 375)
    shoot(page, "18-phone-dashboard")
    page.get_by_role("link", name="Nomad Foods").first.click()  # a top customer
    expect(page).to_have_url(re.compile(r"/customers/[0-9a-f-]+\?tab=analytics$"))
    expect(page.get_by_role("heading", name="Insights")).to_be_visible()
    fits(page, 375)
    shoot(page, "19-phone-analytics")
    assert problems == [], problems
    page.context.close()
