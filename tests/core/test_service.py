"""The core building blocks on their own: concurrency checks, cursors, sorting, masking,
error paths and the unsafe-text rule."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from clientbase.core.concurrency import check_version, etag, parse_if_match
from clientbase.core.errors import (
    PreconditionFailed,
    PreconditionRequired,
    ValidationFailed,
    VersionConflict,
    field_path,
    validation_errors,
)
from clientbase.core.jsonable import jsonable
from clientbase.core.masking import mask_email, mask_field, mask_national_id, mask_phone
from clientbase.core.pagination import decode_cursor, encode_cursor
from clientbase.core.schemas import reject_unsafe, unsafe_text_reason
from clientbase.core.sorting import parse_sort

PURE = settings(max_examples=200, deadline=None, database=None)


# Optimistic concurrency ------------------------------------------------------------------


def test_current_version_in_body_or_if_match_passes():
    check_version(3, 3, None)
    check_version(3, None, 'W/"3"')
    check_version(3, None, '"3"')
    check_version(3, None, "*")


def test_stale_body_version_is_a_409_conflict():
    with pytest.raises(VersionConflict) as caught:
        check_version(3, 2, None)
    assert caught.value.status == 409 and caught.value.extra["current_version"] == 3


@pytest.mark.parametrize("header", ['W/"2"', '"4"', "garbage", 'W/"-3"', ""])
def test_stale_or_unreadable_if_match_is_412(header):
    with pytest.raises(PreconditionFailed):
        check_version(3, None, header)


def test_stale_if_match_wins_over_a_current_body_version():
    with pytest.raises(PreconditionFailed):
        check_version(3, 3, 'W/"2"')


def test_neither_version_nor_if_match_is_428():
    with pytest.raises(PreconditionRequired) as caught:
        check_version(1, None, None)
    assert caught.value.status == 428


@PURE
@given(st.integers(min_value=1, max_value=10**9))
def test_etag_round_trips_through_if_match(version):
    assert parse_if_match(etag(version)) == version
    check_version(version, None, etag(version))


# Cursors ---------------------------------------------------------------------------------

cursor_values = st.lists(
    st.one_of(st.integers(), st.text(max_size=30), st.booleans(), st.none()),
    min_size=1,
    max_size=4,
)


@PURE
@given(cursor_values)
def test_cursor_round_trips(values):
    cursor = encode_cursor(values)
    assert "=" not in cursor and "/" not in cursor and "+" not in cursor
    assert decode_cursor(cursor) == values


@PURE
@given(st.text(max_size=40))
def test_decoding_any_text_yields_a_list_or_a_422_on_cursor(text):
    try:
        values = decode_cursor(text)
    except ValidationFailed as exc:
        assert [e.field for e in exc.errors] == ["cursor"]
    else:
        assert isinstance(values, list) and values


# Sorting ---------------------------------------------------------------------------------


def test_sort_parses_direction_and_default():
    allowed = ("name", "created_at")
    assert parse_sort(None, allowed, "-created_at").token == "-created_at"
    spec = parse_sort("name", allowed, "-created_at")
    assert (spec.field, spec.descending) == ("name", False)
    assert parse_sort("-name", allowed, "name").descending is True


@pytest.mark.parametrize("value", ["email", "name desc", "NAME", "-", "name,email"])
def test_sort_outside_the_whitelist_is_refused_naming_sort(value):
    with pytest.raises(ValidationFailed) as caught:
        parse_sort(value, ("name", "created_at"), "name")
    assert [e.field for e in caught.value.errors] == ["sort"]


# Masking ---------------------------------------------------------------------------------


def test_masks_keep_only_a_hint_of_personal_data():
    assert mask_email("dana@example.com") == "d***@example.com"
    assert mask_phone("+77012345678") == "+770******78"
    assert mask_national_id("900101300007") == "********0007"
    assert mask_field("date_of_birth", date(1990, 1, 1)) == "****-**-**"
    assert mask_field("industry", "Retail") == "Retail"
    assert mask_field("email", None) is None


@PURE
@given(st.from_regex(r"\+7[0-9]{10}", fullmatch=True))
def test_masked_phone_hides_the_middle_digits(phone):
    masked = mask_phone(phone)
    assert len(masked) == len(phone)
    assert masked[:4] == phone[:4] and masked[-2:] == phone[-2:]
    assert set(masked[4:-2]) == {"*"}


# Error field paths -----------------------------------------------------------------------


def test_field_paths_read_like_the_request_body():
    assert field_path(("body", "contacts", 0, "email")) == "contacts[0].email"
    assert field_path(("query", "limit")) == "limit"
    assert field_path(("body",)) == "body"
    assert field_path(("body", "iin", "function-after[_iin()]")) == "iin"


def test_model_level_messages_that_name_a_field_are_attributed_to_it():
    raw = [{"loc": ("body",), "msg": "Value error, options: need at least one option"}]
    assert validation_errors(raw) == [{"field": "options", "message": "need at least one option"}]


# Unsafe text -----------------------------------------------------------------------------


@PURE
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")))
def test_text_without_nul_or_surrogates_is_accepted(text):
    assert unsafe_text_reason(text) is None
    assert reject_unsafe({"k": [text]}) == {"k": [text]}


@PURE
@given(st.text(), st.text(), st.sampled_from(["\x00", "\ud800", "\udbff", "\udc00", "\udfff"]))
def test_text_with_nul_or_a_lone_surrogate_is_refused(before, after, bad):
    with pytest.raises(ValueError):
        reject_unsafe({"nested": [before + bad + after]})
    with pytest.raises(ValueError):
        reject_unsafe({before + bad + after: 1})


# JSON values for audit and events --------------------------------------------------------


def test_jsonable_gives_stable_plain_values():
    when = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    ident = uuid.UUID("01900000-0000-7000-8000-000000000001")
    assert jsonable(
        {"a": Decimal("1.50"), "b": when, "c": ident, "d": {1, 2} - {2}, "e": (date(2024, 1, 2),)}
    ) == {
        "a": "1.50",
        "b": "2024-05-01T12:00:00+00:00",
        "c": str(ident),
        "d": [1],
        "e": ["2024-01-02"],
    }
