"""customers.search_text for generated rows: the value of
`clientbase.search.text.customer_search_text`, computed faster.

Names come from small pools, so their normalised forms are cached; generated emails,
phones and national ids are already plain lower-case ASCII, which normalising leaves as
they are. Every CHECK_EVERY-th row (and the first) is compared with the real function;
should they ever differ (say the search rules changed), the real function is used from
then on, so the stored text is always exactly what the application would store."""

from __future__ import annotations

from collections.abc import Sequence

from clientbase.search.text import MAX_LENGTH, customer_search_text, normalize

CHECK_EVERY = 64


def _plain(value: str) -> bool:
    return value.isascii() and value == value.lower() and " " not in value


class SearchText:
    def __init__(self) -> None:
        self._normalized: dict[str, str] = {}
        self.trusted = True
        self.rows = 0

    def _norm(self, value: str) -> str:
        found = self._normalized.get(value)
        if found is None:
            found = self._normalized[value] = normalize(value)
        return found

    def __call__(
        self,
        *,
        name: str,
        company_name: str | None,
        first_name: str | None,
        last_name: str | None,
        email: str | None,
        phone: str | None,
        iin: str | None,
        bin: str | None,
        contact_names: Sequence[str],
    ) -> str:
        self.rows += 1
        if not self.trusted or self.rows % CHECK_EVERY == 1:
            expected = customer_search_text(
                name=name, company_name=company_name, first_name=first_name,
                last_name=last_name, email=email, phone=phone, iin=iin, bin=bin,
                contact_names=contact_names,
            )  # fmt: skip
            if not self.trusted:
                return expected
        else:
            expected = None
        norm = self._norm
        parts = [norm(p) for p in (name, company_name, first_name, last_name) if p]
        for value in (email, iin, bin):
            if value:
                parts.append(value if _plain(value) else normalize(value))
        parts += [norm(c) for c in contact_names if c]
        if phone:
            digits = phone.lstrip("+")
            parts.append(digits if _plain(digits) else normalize(digits))
        text = " ".join(dict.fromkeys(parts))[:MAX_LENGTH]
        if expected is not None and expected != text:
            self.trusted = False
            return expected
        return text
