"""Unique identifiers from a customer's serial number, without remembering the ones given.

Each serial is spread over the identifier's space by a fixed affine permutation
(a * serial + b mod size, with a coprime to size), so different serials never share a
phone, IIN or BIN, and neighbouring serials look unrelated. Emails end in the serial's
digits right before the @ (the name part has no digits), so they are unique too."""

from __future__ import annotations

from datetime import date, timedelta
from math import gcd

from clientbase.customers.identifiers import with_check_digit

PHONE_PREFIXES = (
    "700",
    "701",
    "702",
    "705",
    "707",
    "708",
    "747",
    "771",
    "775",
    "776",
    "777",
    "778",
)
PHONE_SPACE = len(PHONE_PREFIXES) * 10**7

BIRTH_FIRST = date(1950, 1, 1)
BIRTH_DAYS = (date(2006, 12, 31) - BIRTH_FIRST).days + 1
IIN_SPACE = BIRTH_DAYS * 10**4  # birth date x four serial digits

BIN_FIRST_YEAR = 1995
BIN_MONTHS = 31 * 12  # registered 1995-01 .. 2025-12
BIN_SPACE = BIN_MONTHS * 10**5  # month x five serial digits


def _permutation(size: int, a: int, b: int) -> tuple[int, int, int]:
    assert gcd(a, size) == 1, "the multiplier must be coprime to the space"
    return size, a, b


PHONE_PERM = _permutation(PHONE_SPACE, 7_919_113, 31_337_017)
IIN_PERM = _permutation(IIN_SPACE, 1_000_003, 52_711_939)
BIN_PERM = _permutation(BIN_SPACE, 2_750_159, 9_176_461)
MAX_SERIAL = min(PHONE_SPACE, IIN_SPACE, BIN_SPACE)

_BIRTH_DATES = [BIRTH_FIRST + timedelta(days=d) for d in range(BIRTH_DAYS)]
_BIRTH_YYMMDD = [d.strftime("%y%m%d") for d in _BIRTH_DATES]
_BIN_YYMM = [f"{(BIN_FIRST_YEAR + m // 12) % 100:02d}{m % 12 + 1:02d}" for m in range(BIN_MONTHS)]


def _spread(serial: int, perm: tuple[int, int, int]) -> int:
    size, a, b = perm
    if not 0 <= serial < MAX_SERIAL:
        raise ValueError("serial out of range")
    return (a * serial + b) % size


def phone(serial: int) -> str:
    """A Kazakhstan mobile number in E.164: +7 70x/747/77x and seven digits."""
    m = _spread(serial, PHONE_PERM)
    return f"+7{PHONE_PREFIXES[m // 10**7]}{m % 10**7:07d}"


def iin(serial: int, *, female: bool) -> tuple[str | None, date]:
    """An IIN and the birth date it encodes; None (about 1 in 121) when the serial's
    digits have no valid check digit."""
    m = _spread(serial, IIN_PERM)
    day, number = m % BIRTH_DAYS, m // BIRTH_DAYS
    born = _BIRTH_DATES[day]
    century_sex = (3 if born.year < 2000 else 5) + (1 if female else 0)
    return with_check_digit(f"{_BIRTH_YYMMDD[day]}{century_sex}{number:04d}"), born


def bin_(serial: int, *, entity: int, division: int) -> str | None:
    """A BIN: registration YYMM, entity type (4/5/6), division (0-3), five serial digits."""
    m = _spread(serial, BIN_PERM)
    month, number = m % BIN_MONTHS, m // BIN_MONTHS
    return with_check_digit(f"{_BIN_YYMM[month]}{entity}{division}{number:05d}")


def person_email(serial: int, first: str, last: str, style: int, domain: str) -> str:
    """first/last are ASCII slugs (no digits), so the trailing serial keeps emails unique."""
    if style == 0:
        local = f"{first}.{last}"
    elif style == 1:
        local = f"{first[:1]}{last}"
    elif style == 2:
        local = f"{last}.{first}"
    else:
        local = f"{first}_{last[:1]}"
    return f"{local or 'client'}{serial}@{domain}"


def company_email(serial: int, mailbox: str, slug: str) -> str:
    return f"{mailbox}{serial}@{slug or 'company'}.kz"
