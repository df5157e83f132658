"""Create and edit through the form: nested rows, field errors, conflicts, nothing half-saved."""

from __future__ import annotations

import re
import uuid

import pytest

from clientbase.customers import related_service, service
from tests.fixtures import BIN_HEAD_OFFICE, IIN_MALE_1990, create_customer

pytestmark = pytest.mark.asyncio


def company_form(**extra):
    data = {
        "type": "company",
        "status": "lead",
        "company_name": "Steppe Trading LLP",
        "bin": BIN_HEAD_OFFICE,
        "email": "Info@Steppe.KZ",
        "phone": "+7 (701) 234-56-78",
        "tags": "vip, wholesale",
        "is_active": "true",
        "contacts_sent": "true",
        "addresses_sent": "true",
        "contacts[0].first_name": "Aida",
        "contacts[0].last_name": "Nurlanova",
        "contacts[0].phone": "8 701 111 22 33",
        "contacts[0].is_primary": "true",
        "addresses[3].type": "office",
        "addresses[3].country": "kz",
        "addresses[3].city": "Almaty",
        "addresses[3].street": "Abay 1",
        "addresses[4].type": "billing",
        "addresses[4].country": "KZ",  # an added row left empty: dropped, not an error
    }
    data.update(extra)
    return data


def field_error(html: str, name: str) -> str:
    fid = "f-" + re.sub(r"[^A-Za-z0-9_-]", "-", name)
    match = re.search(
        rf'<small class="field-error" id="{re.escape(fid)}-error">([^<]*)</small>', html
    )
    assert match, f"no error shown next to {name}"
    return match.group(1)


async def test_new_form_adapts_to_type(sign_in, web_org):
    user = await sign_in(web_org)
    html = (await user.get("/customers/new")).text
    assert '<fieldset data-for-types="company enterprise" hidden disabled>' in html
    assert '<fieldset data-for-types="individual">' in html
    for label in ("Email", "Phone", "IIN", "BIN", "Name", "First name", "Company name"):
        assert f">{label}" in html, label
    assert ">Add contact</button>" in html and ">Add address</button>" in html


async def test_create_company_with_contact_and_address(sign_in, web_org, session):
    user = await sign_in(web_org)
    response = await user.post("/customers/new", company_form())
    assert response.status_code == 303, response.text
    customer_id = uuid.UUID(response.headers["location"].rsplit("/", 1)[-1])
    customer, contacts, addresses, _ = await service.get_customer_detail(
        session, web_org.actor(), customer_id
    )
    assert (customer.name, customer.email, customer.phone) == (
        "Steppe Trading LLP", "info@steppe.kz", "+77012345678",
    )  # fmt: skip
    assert customer.tags == ["vip", "wholesale"]
    assert [(c.first_name, c.phone, c.is_primary) for c in contacts] == [
        ("Aida", "+77011112233", True)
    ]
    assert [(a.city, a.country) for a in addresses] == [("Almaty", "KZ")]
    profile = await user.get(response.headers["location"])
    assert "Customer Steppe Trading LLP created." in profile.text


async def test_bad_iin_is_explained_next_to_the_field_and_input_is_kept(sign_in, web_org):
    user = await sign_in(web_org)
    bad = IIN_MALE_1990[:-1] + "8"
    form = {"type": "individual", "first_name": "Aigerim", "last_name": "Bekova", "iin": bad}
    response = await user.post("/customers/new", form)
    assert response.status_code == 422
    assert "check digit is wrong" in field_error(response.text, "iin")
    assert f'value="{bad}"' in response.text and 'value="Aigerim"' in response.text
    assert 'aria-invalid="true" aria-describedby="f-iin-error"' in response.text
    assert "Nothing was saved" in response.text
    listing = await user.get("/customers?search=Bekova")
    assert "No customers" in listing.text


async def test_nested_and_service_errors_land_on_their_rows(sign_in, web_org):
    user = await sign_in(web_org)
    form = company_form(**{"contacts[0].phone": "12", "addresses[3].country": "XX"})
    response = await user.post("/customers/new", form)
    assert response.status_code == 422
    assert "country code" in field_error(response.text, "addresses[0].country")
    # The phone is checked by the service once the shapes are valid.
    fixed = company_form(**{"contacts[0].phone": "12"})
    response = await user.post("/customers/new", fixed)
    assert response.status_code == 422
    assert "phone" in field_error(response.text, "contacts[0].phone")
    assert "Contact 1: Phone" in response.text


async def test_taken_email_links_to_the_existing_customer(sign_in, web_org, session):
    existing = await create_customer(session, web_org, email="taken@example.kz")
    user = await sign_in(web_org)
    response = await user.post("/customers/new", company_form(email="taken@example.kz"))
    assert response.status_code == 409
    assert "is already used by customer" in field_error(response.text, "email")
    assert f'href="/customers/{existing.id}">Open the existing customer' in response.text


async def test_edit_changes_profile_and_rows_and_history_reads_as_a_sentence(
    sign_in, web_org, session
):
    user = await sign_in(web_org)
    created = await user.post("/customers/new", company_form())
    url = created.headers["location"]
    edit = await user.get(url + "/edit")
    assert 'name="version" value="1"' in edit.text
    row_id = re.search(r'name="contacts\[0\]\.id" value="([^"]+)"', edit.text).group(1)
    data = company_form(industry="Wholesale", **{"contacts[0].id": row_id})
    data["contacts[0].version"] = "1"
    data["contacts[1].first_name"] = "Marat"
    data.update({"version": "1", "addresses[3].city": "Astana"})
    response = await user.post(url + "/edit", data)
    assert response.status_code == 303, response.text
    history = await user.get(url + "?tab=history")
    assert "changed the profile" in history.text
    assert re.search(r"<td>Industry</td><td>—</td><td>Wholesale</td>", history.text)
    assert web_org.users["admin"].email in history.text
    contacts, addresses = await related_service.contacts_and_addresses(
        session, web_org.actor(), uuid.UUID(url.rsplit("/", 1)[-1])
    )
    assert sorted(c.first_name for c in contacts) == ["Aida", "Marat"]
    assert [a.city for a in addresses] == ["Astana"]  # the original row was replaced


async def test_stale_edit_shows_the_conflict_keeps_input_and_changes_nothing(
    sign_in, web_org, session
):
    customer = await create_customer(session, web_org, type="company", company_name="Qazaq Oil")
    user = await sign_in(web_org)
    first = await user.post(
        f"/customers/{customer.id}/edit",
        {"version": "1", "type": "company", "company_name": "Qazaq Oil", "industry": "Energy"},
    )
    assert first.status_code == 303
    stale = await user.post(
        f"/customers/{customer.id}/edit",
        {"version": "1", "type": "company", "company_name": "Qazaq Oil", "industry": "Mining"},
    )
    assert stale.status_code == 409
    assert "Someone else saved this customer while you were editing" in stale.text
    assert 'value="Mining"' in stale.text
    assert "differs from your input in: Industry" in stale.text
    assert 'name="version" value="2"' in stale.text  # saving again overwrites knowingly
    current = await service.get_customer(session, web_org.actor(), customer.id)
    assert current.industry == "Energy" and current.version == 2


async def test_a_failing_row_rolls_back_the_profile_change(sign_in, web_org, session):
    customer = await create_customer(session, web_org, type="company", company_name="Atlas")
    user = await sign_in(web_org)
    response = await user.post(
        f"/customers/{customer.id}/edit",
        {
            "version": "1", "type": "company", "company_name": "Atlas", "industry": "Retail",
            "contacts_sent": "true", "contacts[0].first_name": "Bad", "contacts[0].phone": "12",
        },
    )  # fmt: skip
    assert response.status_code == 422
    assert "phone" in field_error(response.text, "contacts[0].phone")
    current = await service.get_customer(session, web_org.actor(), customer.id)
    assert current.industry is None and current.version == 1


async def test_custom_fields_come_from_the_organization_definitions(sign_in, web_org):
    user = await sign_in(web_org)
    definition = {"key": "tier", "label": "Tier", "type": "select", "options": "gold, silver"}
    made = await user.post("/settings/custom-fields", {**definition, "required": "true"})
    assert made.status_code == 303
    form = await user.get("/customers/new")
    assert 'name="custom_fields.tier"' in form.text and ">Tier *" in form.text
    missing = await user.post("/customers/new", company_form())
    assert missing.status_code == 422
    assert field_error(missing.text, "custom_fields.tier") == "is required"
    ok = await user.post("/customers/new", company_form(**{"custom_fields.tier": "gold"}))
    assert ok.status_code == 303
    assert "gold" in (await user.get(ok.headers["location"])).text


async def test_roles_without_write_see_no_form(sign_in, web_org):
    viewer = await sign_in(web_org, "viewer")
    assert "New customer" not in (await viewer.get("/customers")).text
    assert (await viewer.get("/customers/new")).status_code == 403
    assert (await viewer.post("/customers/new", company_form())).status_code == 403


async def test_edit_form_keeps_the_assignee_for_roles_that_cannot_list_users(
    sign_in, web_org, session
):
    sales_id = web_org.users["sales"].id
    customer = await create_customer(session, web_org, first_name="Kept", assigned_to=sales_id)
    for role in ("admin", "manager"):
        page = await (await sign_in(web_org, role)).get(f"/customers/{customer.id}/edit")
        assert page.status_code == 200
        assert f'<option value="{sales_id}" selected>' in page.text, role
