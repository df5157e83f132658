"""The normalised text every customer is searched by, built the same way for both databases:
case-folded, accents removed (García -> garcia, Nguyễn -> nguyen, Ёлка -> елка), with
phone digits, so that substring, typo-tolerant and phone-digit searches agree everywhere."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

# Letters with no Unicode decomposition that people often type as their plain neighbour:
# Vietnamese/Nordic/Polish strokes, and the Kazakh Cyrillic letters Russian keyboards lack.
_FOLD = str.maketrans(
    {
        "đ": "d",
        "ø": "o",
        "ł": "l",
        "ß": "ss",
        "ı": "i",
        "æ": "ae",
        "œ": "oe",
        "ә": "а",
        "ғ": "г",
        "қ": "к",
        "ң": "н",
        "ө": "о",
        "ұ": "у",
        "ү": "у",
        "һ": "х",
        "і": "и",
    }
)
MAX_LENGTH = 2000


def normalize(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(unicodedata.normalize("NFC", stripped).translate(_FOLD).split())


def words(text: str) -> list[str]:
    return [w for w in normalize(text).replace(",", " ").split() if w]


def customer_search_text(
    *,
    name: str | None,
    company_name: str | None = None,
    first_name: str | None = None,
    last_name: str | None = None,
    email: str | None = None,
    phone: str | None = None,
    iin: str | None = None,
    bin: str | None = None,
    contact_names: Iterable[str] = (),
) -> str:
    parts = [name, company_name, first_name, last_name, email, iin, bin, *contact_names]
    if phone:
        parts.append(phone.lstrip("+"))
    seen: dict[str, None] = {}
    for part in parts:
        if part:
            seen.setdefault(normalize(part), None)
    return " ".join(seen)[:MAX_LENGTH]
