"""Typed addresses for demo customers: home/shipping for people, office/billing/warehouse
for companies, nine in ten in Kazakhstan."""

from __future__ import annotations

import random
import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from clientbase.db.base import new_id
from clientbase.demo.places import ABROAD, ABROAD_SHARE, ADDRESS_INSTRUCTIONS, KZ_CITIES, KZ_STREETS
from clientbase.demo.weighted import Weighted

ADDRESS_COLUMNS = (
    "id", "organization_id", "customer_id", "type", "street", "building", "apartment", "city",
    "region", "postal_code", "country", "is_primary", "contact_name",
    "delivery_instructions", "latitude", "longitude", "created_at", "updated_at", "version",
)  # fmt: skip

# (type, probability) per kind of customer; each type at most once, so each is primary.
PERSON_ADDRESSES = (("home", 0.85), ("shipping", 0.15))
COMPANY_ADDRESSES = (("office", 0.9), ("billing", 0.5), ("warehouse", 0.2))
NUMBERS = [str(n) for n in range(1, 301)]
SPOTS = 200  # jittered coordinates per city


class Place:
    """A city with its streets, postal codes and points around its centre, made once."""

    def __init__(self, rng: random.Random, city: Any, streets: tuple[str, ...]) -> None:
        self.city, self.streets = city, streets
        self.postal_codes = [f"{city.postal_prefix}{n:02d}" for n in range(100)]
        self.spots = [
            (
                Decimal(f"{city.latitude + (rng.random() - 0.5) * 0.1:.6f}"),
                Decimal(f"{city.longitude + (rng.random() - 0.5) * 0.1:.6f}"),
            )
            for _ in range(SPOTS)
        ]


class AddressMaker:
    def __init__(self, rng: random.Random, organization_id: uuid.UUID) -> None:
        self.rng = rng
        self.organization_id = organization_id
        self.kz = Weighted((Place(rng, c, KZ_STREETS), c.weight) for c in KZ_CITIES)
        self.abroad = Weighted((Place(rng, c, streets), c.weight) for c, streets in ABROAD)

    def _place(self) -> Place:
        r = self.rng.random
        return self.abroad(r()) if r() < ABROAD_SHARE else self.kz(r())  # type: ignore[no-any-return]

    def add(
        self,
        rows: list[tuple[Any, ...]],
        customer_id: uuid.UUID,
        kind: str,
        customer_name: str,
        created: datetime,
    ) -> None:
        r = self.rng.random
        wanted = PERSON_ADDRESSES if kind == "individual" else COMPANY_ADDRESSES
        place = self._place()
        for address_type, probability in wanted:
            if r() >= probability:
                continue
            if address_type in ("shipping", "warehouse"):
                place = self._place()
            city = place.city
            home = address_type == "home"
            latitude, longitude = place.spots[int(r() * SPOTS)]
            rows.append((
                new_id(), self.organization_id, customer_id, address_type,
                place.streets[int(r() * len(place.streets))], NUMBERS[int(r() * 250)],
                NUMBERS[int(r() * 300)] if home and r() < 0.6 else None,
                city.name, city.region, place.postal_codes[int(r() * 100)], city.country, True,
                customer_name if address_type == "shipping" else None,
                ADDRESS_INSTRUCTIONS[int(r() * len(ADDRESS_INSTRUCTIONS))]
                if home or address_type == "shipping" else None,
                latitude, longitude, created, created, 1,
            ))  # fmt: skip
