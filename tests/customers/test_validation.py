"""Property tests for phone and email normalisation, and the schema checks built on them."""

from __future__ import annotations

import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from clientbase.customers.schemas import CustomerCreate
from clientbase.customers.validation import (
    normalize_country,
    normalize_email,
    normalize_phone,
    normalize_tags,
)

PURE = settings(max_examples=200, deadline=None, database=None)
KZ_MOBILE_CODES = ["700", "701", "702", "705", "707", "708", "747", "771", "775", "776", "777"]


@st.composite
def kz_mobiles(draw: st.DrawFn) -> tuple[str, str]:
    """(operator code, seven subscriber digits)."""
    code = draw(st.sampled_from(KZ_MOBILE_CODES))
    return code, draw(st.text(alphabet=string.digits, min_size=7, max_size=7))


def written_forms(code: str, sub: str) -> list[str]:
    a, b, c = sub[:3], sub[3:5], sub[5:]
    return [
        f"+7{code}{sub}",
        f"+7 {code} {a} {b} {c}",
        f"+7 ({code}) {a}-{b}-{c}",
        f"+7-{code}-{a}-{b}-{c}",
        f"+7({code}){sub}",
        f"8{code}{sub}",
        f"8 {code} {a} {b} {c}",
        f"8 ({code}) {a}-{b}-{c}",
        f"8-{code}-{a}-{b}-{c}",
        f"7{code}{sub}",
        f"{code}{sub}",
        f"({code}) {a} {b}{c}",
        f"  +7 {code} {sub}  ",
    ]


@PURE
@given(kz_mobiles())
def test_every_way_of_writing_a_kz_number_gives_the_same_e164(mobile):
    code, sub = mobile
    expected = f"+7{code}{sub}"
    assert {normalize_phone(form, "KZ") for form in written_forms(code, sub)} == {expected}


@PURE
@given(kz_mobiles(), st.sampled_from(["KZ", "RU", "US", "DE", None]))
def test_phone_normalisation_is_idempotent_whatever_the_default_region(mobile, region):
    e164 = normalize_phone(f"+7 ({mobile[0]}) {mobile[1]}", "KZ")
    assert normalize_phone(e164, region) == e164
    assert normalize_phone(normalize_phone(e164, region), region) == e164


@PURE
@given(kz_mobiles())
def test_international_numbers_ignore_the_default_region(mobile):
    code, sub = mobile
    assert normalize_phone(f"+7 {code} {sub}", "US") == f"+7{code}{sub}"


@PURE
@given(st.text(alphabet=string.digits + " -()", max_size=5))
def test_too_short_numbers_are_refused_with_a_reason(text):
    with pytest.raises(ValueError, match="phone number"):
        normalize_phone(text, "KZ")


@pytest.mark.parametrize(
    "value", ["hello", "+7 701 234", "+7 000 000 00 00", "8 800", "+7 701 234 56 78 99"]
)
def test_not_a_phone_number_is_refused(value):
    with pytest.raises(ValueError, match="phone number"):
        normalize_phone(value, "KZ")


# Email -----------------------------------------------------------------------------------

atoms = st.text(alphabet=string.ascii_letters + string.digits + "_+-", min_size=1, max_size=8)
locals_ = st.lists(atoms, min_size=1, max_size=3).map(".".join)
domains = st.sampled_from(["example.com", "Steppe.KZ", "MAIL.example.org", "sub.Domain.kz"])


@PURE
@given(locals_, domains)
def test_email_is_stored_lower_cased_and_normalisation_is_idempotent(local, domain):
    value = f"{local}@{domain}"
    normalized = normalize_email(value)
    assert normalized == value.lower()
    assert normalize_email(normalized) == normalized
    assert normalize_email(value.upper()) == normalize_email(value.swapcase()) == normalized


@pytest.mark.parametrize("value", ["plain", "a@b", "a@@b.kz", "a b@c.kz", "@steppe.kz", "a@.kz"])
def test_invalid_email_is_refused(value):
    with pytest.raises(ValueError, match="not a valid email"):
        normalize_email(value)


# The schema uses them --------------------------------------------------------------------


@PURE
@given(locals_, domains)
def test_customer_schema_lower_cases_email(local, domain):
    customer = CustomerCreate(first_name="A", email=f" {local}@{domain} ")
    assert customer.email == f"{local}@{domain}".lower()


def test_schema_errors_name_the_field():
    with pytest.raises(ValidationError) as caught:
        CustomerCreate(first_name="A", email="nope", iin="900101300008")
    assert {e["loc"][0] for e in caught.value.errors()} == {"email", "iin"}


@pytest.mark.parametrize(("raw", "code"), [("kz", "KZ"), (" Kz ", "KZ"), ("de", "DE")])
def test_country_codes_are_upper_cased_iso_alpha_2(raw, code):
    assert normalize_country(raw) == code


@pytest.mark.parametrize("raw", ["XX", "KAZ", "", "K"])
def test_unknown_country_codes_are_refused(raw):
    with pytest.raises(ValueError, match="ISO 3166-1"):
        normalize_country(raw)


@PURE
@given(st.lists(st.text(alphabet=string.ascii_letters + " ", min_size=1, max_size=10), max_size=8))
def test_tags_are_trimmed_lower_cased_and_unique(raw):
    if any(not t.split() for t in raw):
        with pytest.raises(ValueError):
            normalize_tags(raw)
        return
    tags = normalize_tags(raw)
    assert tags == list(dict.fromkeys(" ".join(t.split()).lower() for t in raw))
    assert normalize_tags(tags) == tags
