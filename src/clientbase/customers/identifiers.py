"""Kazakhstan national identifiers: IIN (individuals) and BIN (legal entities).

Both are 12 digits ending in a check digit: the weighted sum of the first 11 digits with
weights 1..11, mod 11; when that is 10, again with weights 3..11,1,2; when still 10 the
number cannot be valid.
IIN: YYMMDD birth date, then a digit for century and sex (1/2 born 1800s, 3/4 1900s,
5/6 2000s; odd male, even female), then four serial digits and the check digit.
BIN: YYMM of registration, the entity type (4 resident legal entity, 5 non-resident legal
entity, 6 individual entrepreneur in a joint venture), the division (0 head office, 1 branch,
2 representative office, 3 peasant farm), five serial digits and the check digit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

FIRST_WEIGHTS = tuple(range(1, 12))
SECOND_WEIGHTS = (3, 4, 5, 6, 7, 8, 9, 10, 11, 1, 2)
CENTURY_SEX = {
    1: (1800, "male"),
    2: (1800, "female"),
    3: (1900, "male"),
    4: (1900, "female"),
    5: (2000, "male"),
    6: (2000, "female"),
}
BIN_ENTITY_TYPES = {
    4: "resident legal entity",
    5: "non-resident legal entity",
    6: "individual entrepreneur (joint venture)",
}
BIN_DIVISIONS = {0: "head office", 1: "branch", 2: "representative office", 3: "peasant farm"}


@dataclass
class IdentifierCheck:
    value: str
    valid: bool
    errors: list[str] = field(default_factory=list)
    details: dict[str, str] = field(default_factory=dict)


def check_digit(first_eleven: str) -> int | None:
    digits = [int(c) for c in first_eleven]
    for weights in (FIRST_WEIGHTS, SECOND_WEIGHTS):
        remainder = sum(d * w for d, w in zip(digits, weights, strict=True)) % 11
        if remainder != 10:
            return remainder
    return None


def _shape_errors(value: str, label: str) -> list[str]:
    if len(value) != 12 or not value.isascii() or not value.isdigit():
        return [f"{label} must be exactly 12 digits"]
    return []


def _check_digit_errors(value: str, label: str) -> list[str]:
    expected = check_digit(value[:11])
    if expected is None:
        return [f"{label} cannot be valid: its check digit is undefined (both passes give 10)"]
    if expected != int(value[11]):
        return [f"{label} check digit is wrong: the last digit should be {expected}"]
    return []


def check_iin(value: str, *, date_of_birth: date | None = None) -> IdentifierCheck:
    errors = _shape_errors(value, "IIN")
    if errors:
        return IdentifierCheck(value, False, errors)
    details: dict[str, str] = {}
    century_sex = CENTURY_SEX.get(int(value[6]))
    born: date | None = None
    if century_sex is None:
        errors.append("IIN 7th digit (century and sex) must be 1-6")
    else:
        century, sex = century_sex
        details["sex"] = sex
        try:
            born = date(century + int(value[0:2]), int(value[2:4]), int(value[4:6]))
        except ValueError:
            errors.append("IIN first six digits are not a valid birth date (YYMMDD)")
        else:
            details["date_of_birth"] = born.isoformat()
            if born > date.today():
                errors.append("IIN birth date is in the future")
    if date_of_birth is not None and born is not None and born != date_of_birth:
        errors.append(
            f"IIN birth date {born.isoformat()} does not match date_of_birth "
            f"{date_of_birth.isoformat()}"
        )
    errors += _check_digit_errors(value, "IIN")
    return IdentifierCheck(value, not errors, errors, details)


def check_bin(value: str) -> IdentifierCheck:
    errors = _shape_errors(value, "BIN")
    if errors:
        return IdentifierCheck(value, False, errors)
    details: dict[str, str] = {}
    month = int(value[2:4])
    if not 1 <= month <= 12:
        errors.append("BIN digits 3-4 must be the registration month (01-12)")
    else:
        details["registered"] = f"{value[0:2]}/{value[2:4]} (YY/MM)"
    entity = BIN_ENTITY_TYPES.get(int(value[4]))
    if entity is None:
        errors.append("BIN 5th digit (entity type) must be 4, 5 or 6")
    else:
        details["entity_type"] = entity
    division = BIN_DIVISIONS.get(int(value[5]))
    if division is None:
        errors.append("BIN 6th digit (division) must be 0, 1, 2 or 3")
    else:
        details["division"] = division
    errors += _check_digit_errors(value, "BIN")
    return IdentifierCheck(value, not errors, errors, details)


def with_check_digit(first_eleven: str) -> str | None:
    """Completes 11 digits into a valid-checksum identifier, or None when impossible."""
    digit = check_digit(first_eleven)
    return None if digit is None else first_eleven + str(digit)
