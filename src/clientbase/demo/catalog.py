"""The demo shop's catalogue: categories, brands and products with prices in US dollars,
turned into SKUs with unit prices in the organization's currency (Decimal, 2 places)."""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal

# category: (weight among orders, brands, product names, (cheapest, dearest) in USD)
CATEGORIES: dict[str, tuple[int, tuple[str, ...], tuple[str, ...], tuple[float, float]]] = {
    "groceries": (
        24,
        ("Rakhat", "Food Master", "Moloko", "Baiterek", "Tasty"),
        (
            "Chocolate box",
            "Green tea",
            "Buckwheat 1 kg",
            "Olive oil",
            "Honey jar",
            "Coffee beans",
            "Kurt snack pack",
            "Dried apricots",
        ),
        (1.5, 25.0),
    ),
    "clothing": (
        14,
        ("Zara", "LC Waikiki", "Uniqlo", "Adidas", "Mango"),
        ("T-shirt", "Jeans", "Winter jacket", "Sweater", "Sneakers", "Scarf", "Dress"),
        (8.0, 180.0),
    ),
    "electronics": (
        10,
        ("Samsung", "Xiaomi", "Apple", "Lenovo", "Sony", "Huawei"),
        (
            "Smartphone",
            "Wireless earbuds",
            "Laptop",
            "Power bank",
            "Smart watch",
            "USB-C cable",
            "Tablet",
            "Bluetooth speaker",
        ),
        (6.0, 1400.0),
    ),
    "home": (
        12,
        ("IKEA", "Tefal", "Philips", "Bosch", "Home Line"),
        (
            "Frying pan",
            "Bed linen set",
            "Table lamp",
            "Kettle",
            "Towel set",
            "Vacuum cleaner",
            "Storage box",
        ),
        (4.0, 320.0),
    ),
    "beauty": (
        12,
        ("L'Oreal", "Nivea", "Garnier", "Maybelline", "The Ordinary"),
        ("Face cream", "Shampoo", "Lipstick", "Perfume", "Serum", "Hand cream"),
        (3.0, 120.0),
    ),
    "sport": (
        7,
        ("Nike", "Decathlon", "Puma", "Reebok", "Wilson"),
        ("Yoga mat", "Running shoes", "Dumbbells", "Football", "Water bottle", "Ski gloves"),
        (5.0, 260.0),
    ),
    "books": (
        7,
        ("Foliant", "Eksmo", "Penguin", "Mektep", "O'Reilly"),
        ("Novel", "Cookbook", "Children's book", "Language course", "Programming guide"),
        (4.0, 60.0),
    ),
    "toys": (
        6,
        ("LEGO", "Hasbro", "Mattel", "Play-Doh", "Hot Wheels"),
        ("Building set", "Board game", "Doll", "Puzzle 1000", "Toy car", "Plush bear"),
        (4.0, 150.0),
    ),
    "pharmacy": (
        8,
        ("Bayer", "Vitamir", "Evalar", "Solgar", "Santo"),
        ("Vitamin D3", "Pain relief", "Cough syrup", "Omega-3", "First aid kit"),
        (2.0, 45.0),
    ),
}
# Units of each currency per US dollar (rounded); other currencies are priced as dollars.
PER_USD = {
    "KZT": 500, "RUB": 90, "UZS": 12_600, "KGS": 87, "USD": 1, "EUR": 0.92, "GBP": 0.79,
    "CNY": 7.2, "JPY": 150, "VND": 25_000, "TRY": 33, "INR": 83,
}  # fmt: skip
SKUS_PER_NAME = 4  # each product name comes in a few brands and models


@dataclass(frozen=True, slots=True)
class Product:
    sku: str
    name: str
    category: str
    brand: str
    cents: int  # unit price in hundredths of the currency
    unit_price: Decimal


def _round_price(usd: float, rate: float) -> int:
    """Hundredths of the currency, rounded the way shops price: to whole units ending in 0
    or 9 where a unit is small (tenge, roubles), to .99 / .49 where it is large."""
    value = usd * rate
    if rate >= 50:
        step = 10 if value < 10_000 else 100
        return max(step, int(round(value / step)) * step - (step // 10 if value > 100 else 0)) * 100
    whole = max(0, int(value))
    return whole * 100 + (99 if value - whole >= 0.5 or whole == 0 else 49)


def build_catalog(rng: random.Random, currency: str) -> dict[str, list[Product]]:
    """Products per category, cheapest first."""
    rate = PER_USD.get(currency, 1)
    out: dict[str, list[Product]] = {}
    for code, (category, (_, brands, names, (low, high))) in enumerate(CATEGORIES.items()):
        products = []
        for n, name in enumerate(names):
            base = low * (high / low) ** rng.random()  # log-uniform across the range
            for model in range(SKUS_PER_NAME):
                brand = brands[(n + model) % len(brands)]
                usd = base * (0.7 + 0.6 * rng.random())
                cents = _round_price(usd, rate)
                products.append(
                    Product(
                        sku=f"{category[:3].upper()}-{code}{n:02d}{model}",
                        name=f"{brand} {name} {chr(65 + model)}{1 + n}",
                        category=category,
                        brand=brand,
                        cents=cents,
                        unit_price=Decimal(cents).scaleb(-2),
                    )
                )
        out[category] = sorted(products, key=lambda p: (p.cents, p.sku))
    return out
