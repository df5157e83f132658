"""Property tests for Kazakhstan IIN and BIN: check digits, birth dates, entity types."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from clientbase.customers.identifiers import (
    BIN_DIVISIONS,
    BIN_ENTITY_TYPES,
    CENTURY_SEX,
    FIRST_WEIGHTS,
    check_bin,
    check_digit,
    check_iin,
    with_check_digit,
)

PURE = settings(max_examples=200, deadline=None, database=None)
digits = st.text(alphabet="0123456789", min_size=1, max_size=1)


def digit_string(n: int) -> st.SearchStrategy[str]:
    return st.text(alphabet="0123456789", min_size=n, max_size=n)


def century_digit(born: date, sex: str) -> int:
    return next(d for d, (c, s) in CENTURY_SEX.items() if c == born.year // 100 * 100 and s == sex)


@st.composite
def iins(draw: st.DrawFn) -> tuple[str, date, str]:
    """A valid IIN with the birth date and sex it encodes."""
    born = draw(st.dates(min_value=date(1800, 1, 1), max_value=date.today()))
    sex = draw(st.sampled_from(["male", "female"]))
    first = born.strftime("%y%m%d") + str(century_digit(born, sex)) + draw(digit_string(4))
    iin = with_check_digit(first)
    assume(iin is not None)
    return iin, born, sex


@st.composite
def bins(draw: st.DrawFn) -> tuple[str, int, int, int]:
    """A valid BIN with its registration month, entity type and division."""
    month = draw(st.integers(1, 12))
    entity = draw(st.sampled_from(sorted(BIN_ENTITY_TYPES)))
    division = draw(st.sampled_from(sorted(BIN_DIVISIONS)))
    first = f"{draw(digit_string(2))}{month:02d}{entity}{division}{draw(digit_string(5))}"
    bin_ = with_check_digit(first)
    assume(bin_ is not None)
    return bin_, month, entity, division


def replace(value: str, index: int, digit: str) -> str:
    return value[:index] + digit + value[index + 1 :]


# The check digit --------------------------------------------------------------------------


@PURE
@given(digit_string(11))
def test_eleven_digits_plus_the_computed_digit_pass_the_check(first):
    digit = check_digit(first)
    if digit is None:
        for last in "0123456789":
            assert any("undefined" in e for e in check_iin(first + last).errors)
            assert any("undefined" in e for e in check_bin(first + last).errors)
        return
    assert 0 <= digit <= 9
    value = with_check_digit(first)
    assert value == first + str(digit)
    assert not [e for e in check_iin(value).errors if "check digit" in e]
    assert not [e for e in check_bin(value).errors if "check digit" in e]
    for wrong in set("0123456789") - {str(digit)}:
        errors = check_iin(first + wrong).errors
        assert f"the last digit should be {digit}" in " ".join(errors)


@st.composite
def undefined_check_digit_prefixes(draw: st.DrawFn) -> str:
    """11 digits for which both weighting passes give 10 (no check digit can exist)."""
    head = draw(digit_string(9))
    for tail in (f"{a}{b}" for a in range(10) for b in range(10)):
        if check_digit(head + tail) is None:
            return head + tail
    assume(False)
    raise AssertionError  # unreachable


@PURE
@given(undefined_check_digit_prefixes(), digits)
def test_numbers_whose_check_digit_is_undefined_are_never_valid(first, last):
    assert with_check_digit(first) is None
    for result in (check_iin(first + last), check_bin(first + last)):
        assert not result.valid
        assert any("undefined" in e for e in result.errors)


@PURE
@given(iins(), st.integers(0, 11), digits)
def test_changing_one_digit_of_an_iin_invalidates_it_or_changes_what_it_says(iin, index, new):
    value, _, _ = iin
    assume(value[index] != new)
    changed = replace(value, index, new)
    before, after = check_iin(value), check_iin(changed)
    if index == 11:
        assert not after.valid  # the check digit itself
    elif index <= 6:
        assert not after.valid or after.details != before.details
    elif index <= 9 and check_digit_pass(value) == check_digit_pass(changed) == 1:
        assert not after.valid  # weights 8..10 catch any serial change in the first pass


@PURE
@given(bins(), st.integers(0, 11), digits)
def test_changing_one_digit_of_a_bin_invalidates_it_or_changes_what_it_says(bin_, index, new):
    value, *_ = bin_
    assume(value[index] != new)
    changed = replace(value, index, new)
    before, after = check_bin(value), check_bin(changed)
    if index == 11:
        assert not after.valid
    elif index <= 5:
        assert not after.valid or after.details != before.details
    elif index <= 9 and check_digit_pass(value) == check_digit_pass(changed) == 1:
        assert not after.valid


def check_digit_pass(value: str) -> int:
    """Which weighting pass decides the check digit of `value`."""
    first = sum(int(c) * w for c, w in zip(value[:11], FIRST_WEIGHTS, strict=True)) % 11
    return 1 if first != 10 else 2


def test_a_known_weakness_the_eleventh_digit_has_weight_11_in_the_first_pass():
    """Documented so nobody "fixes" the official algorithm: the first pass cannot see
    digit 11; only numbers that fall through to the second pass notice it."""
    value = "900101300007"
    assert check_digit_pass(value) == 1 and check_iin(value).valid
    assert check_iin(replace(value, 10, "5")).valid


@pytest.mark.parametrize(
    "value", ["", "12345678901", "1234567890123", "90010130000a", "٩٠٠١٠١٣٠٠٠٠٧"]
)
def test_anything_but_twelve_ascii_digits_is_refused(value):
    assert check_iin(value).errors == ["IIN must be exactly 12 digits"]
    assert check_bin(value).errors == ["BIN must be exactly 12 digits"]


# IIN: birth date, century and sex ---------------------------------------------------------


@PURE
@given(iins())
def test_iin_says_the_birth_date_and_sex_it_was_built_from(iin):
    value, born, sex = iin
    result = check_iin(value)
    assert result.valid, result.errors
    assert result.details == {"sex": sex, "date_of_birth": born.isoformat()}
    assert check_iin(value, date_of_birth=born).valid


@PURE
@given(iins(), st.integers(min_value=-40000, max_value=40000).filter(bool))
def test_iin_against_another_date_of_birth_is_refused(iin, shift):
    value, born, _ = iin
    try:
        other = born + timedelta(days=shift)
    except OverflowError:
        assume(False)
        return
    result = check_iin(value, date_of_birth=other)
    assert not result.valid
    assert any("does not match date_of_birth" in e for e in result.errors)


@PURE
@given(iins(), st.sampled_from(sorted(CENTURY_SEX)))
def test_the_century_digit_moves_the_birth_date_by_whole_centuries(iin, digit):
    value, born, _ = iin
    first = replace(value, 6, str(digit))[:11]
    other = with_check_digit(first)
    assume(other is not None)
    century, sex = CENTURY_SEX[digit]
    result = check_iin(other)
    assert result.details["sex"] == sex
    moved = born.replace(year=century + born.year % 100) if _exists(born, century) else None
    if moved is None:
        assert not result.valid  # 29 February of a year that is not a leap year there
    elif moved > date.today():
        assert result.errors == ["IIN birth date is in the future"]
    else:
        assert result.valid and result.details["date_of_birth"] == moved.isoformat()


def _exists(born: date, century: int) -> bool:
    try:
        born.replace(year=century + born.year % 100)
    except ValueError:
        return False
    return True


@PURE
@given(digit_string(6), st.sampled_from("0789"), digit_string(4))
def test_a_seventh_digit_outside_1_to_6_is_refused(birth, bad, serial):
    value = with_check_digit(birth + bad + serial)
    assume(value is not None)
    result = check_iin(value)
    assert not result.valid
    assert "IIN 7th digit (century and sex) must be 1-6" in result.errors


@PURE
@given(
    st.integers(0, 99),
    st.one_of(st.integers(13, 99), st.just(0)),
    st.integers(1, 28),
    st.sampled_from("123456"),
    digit_string(4),
)
def test_an_impossible_birth_month_is_refused(yy, month, day, century, serial):
    value = with_check_digit(f"{yy:02d}{month:02d}{day:02d}{century}{serial}")
    assume(value is not None)
    assert "IIN first six digits are not a valid birth date (YYMMDD)" in check_iin(value).errors


def test_a_birth_date_in_the_future_is_refused():
    future = date.today() + timedelta(days=400)
    first = future.strftime("%y%m%d") + "5" + "0001"
    value = with_check_digit(first) or with_check_digit(first[:-1] + "2")
    assert value is not None
    assert "IIN birth date is in the future" in check_iin(value).errors


def test_a_known_good_iin():
    result = check_iin("900101300007", date_of_birth=date(1990, 1, 1))
    assert result.valid and result.details == {"sex": "male", "date_of_birth": "1990-01-01"}


# BIN: month, entity type and division -----------------------------------------------------


@PURE
@given(bins())
def test_bin_describes_its_entity_type_division_and_month(bin_):
    value, month, entity, division = bin_
    result = check_bin(value)
    assert result.valid, result.errors
    assert result.details["entity_type"] == BIN_ENTITY_TYPES[entity]
    assert result.details["division"] == BIN_DIVISIONS[division]
    assert result.details["registered"] == f"{value[:2]}/{month:02d} (YY/MM)"


@PURE
@given(bins(), st.sampled_from("0123789"))
def test_bin_entity_type_must_be_4_5_or_6(bin_, entity):
    value = with_check_digit(replace(bin_[0], 4, entity)[:11])
    assume(value is not None)
    result = check_bin(value)
    assert result.errors == ["BIN 5th digit (entity type) must be 4, 5 or 6"]


@PURE
@given(bins(), st.sampled_from("456789"))
def test_bin_division_must_be_0_to_3(bin_, division):
    value = with_check_digit(replace(bin_[0], 5, division)[:11])
    assume(value is not None)
    assert check_bin(value).errors == ["BIN 6th digit (division) must be 0, 1, 2 or 3"]


@PURE
@given(bins(), st.one_of(st.just(0), st.integers(13, 99)))
def test_bin_month_must_be_1_to_12(bin_, month):
    value = with_check_digit(bin_[0][:2] + f"{month:02d}" + bin_[0][4:11])
    assume(value is not None)
    assert check_bin(value).errors == ["BIN digits 3-4 must be the registration month (01-12)"]


def test_a_known_good_bin():
    result = check_bin("040340004446")
    assert result.valid
    assert result.details["entity_type"] == "resident legal entity"
    assert result.details["division"] == "head office"
