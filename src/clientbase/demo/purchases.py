"""Purchase histories for demo customers, as plain tuples for COPY / executemany.

Skewed: each buying customer gets a gamma-distributed rate (shape 0.8, mean 1), so most
buy a few times and a long tail buys a lot; the expected count also scales with how long
the customer has been around (and, for churned, inactive or blocked customers, until when
they stopped), normalised so that the mean over all customers is K. Leads and prospects
have not bought yet. Seasonal: November and December sell more, weekends more than
weekdays, days more than nights. Statuses: mostly completed, some refunded or cancelled,
the last days' orders of active customers still pending or processing. Amounts are the
exact sum of the items' quantity x unit price, in hundredths, as Decimal with 2 places.

A separate RNG seeded from the demo seed: the same seed gives the same customers with or
without purchases, and the same purchases (ids aside)."""

from __future__ import annotations

import random
import uuid
from bisect import bisect_right
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from math import exp, sqrt
from typing import Any

from clientbase.db.base import new_id
from clientbase.demo.catalog import CATEGORIES, Product, build_catalog
from clientbase.demo.weighted import Weighted
from clientbase.transactions.models import COUNTED_STATUS

TRANSACTION_COLUMNS = (
    "id", "organization_id", "external_id", "customer_id", "business_id", "occurred_at",
    "status", "amount", "currency", "channel", "created_at", "updated_at", "version",
)  # fmt: skip
ITEM_COLUMNS = (
    "organization_id", "transaction_id", "sku", "name", "category", "brand", "quantity",
    "unit_price", "customer_id", "occurred_at", "counted",
)  # fmt: skip
WINDOW = timedelta(days=730)  # purchases over the last two years
DAY = 86_400.0
RATE_SHAPE = 0.8  # gamma shape of the per-customer rate: small = long tail
# Until when a customer of each status kept buying: days before now (uniform range).
STOPPED = {"active": (0, 0), "inactive": (30, 240), "churned": (90, 500), "blocked": (0, 300)}
MONTH_WEIGHT = (0.8, 0.8, 0.95, 1.0, 1.0, 0.95, 0.9, 0.95, 1.0, 1.05, 1.6, 2.0)
WEEKDAY_WEIGHT = (0.9, 0.9, 0.95, 1.0, 1.15, 1.3, 1.2)  # Monday first
# UTC hours of day (the shops' evenings are around 14:00 UTC in Central Asia).
HOURS = tuple((h, w) for h, w in enumerate(
    (2, 1, 2, 4, 6, 8, 9, 9, 9, 9, 10, 11, 12, 13, 14, 13, 10, 7, 4, 3, 2, 2, 2, 2)
))  # fmt: skip
ITEMS_PER_ORDER = ((1, 48), (2, 26), (3, 13), (4, 8), (5, 5))
QUANTITY = ((1, 82), (2, 12), (3, 4), (4, 1), (6, 1))
CHANNELS = (("online", 40), ("mobile_app", 25), ("store", 30), ("phone", 5))
OLD_STATUSES = (("completed", 925), ("refunded", 45), ("cancelled", 30))
OPEN_FOR = 3 * DAY  # orders this recent may still be pending or processing


def _poisson(rng: random.Random, mean: float) -> int:
    if mean <= 0:
        return 0
    if mean > 40:  # normal approximation, far from zero
        return max(0, round(rng.gauss(mean, sqrt(mean))))
    limit, k, p = exp(-mean), 0, rng.random()
    while p > limit:
        k += 1
        p *= rng.random()
    return k


class Purchases:
    """Adds a customer's transactions and items to the given lists."""

    def __init__(
        self,
        *,
        seed: int,
        per_customer: float,
        organization_id: uuid.UUID,
        business_id: uuid.UUID,
        currency: str,
        now: datetime,
        statuses: Weighted,
        created_span: float,
    ) -> None:
        self.rng = random.Random(f"purchases-{seed}")  # noqa: S311 - demo data
        self.per_customer = per_customer
        self.org, self.business, self.currency = organization_id, business_id, currency
        self.end = now.timestamp()
        self.start = self.end - WINDOW.total_seconds()
        self.days = int(WINDOW.total_seconds() // DAY) + 1
        self.weights = [self._day_weight(d) for d in range(self.days)]
        self.cum = [0.0]
        for w in self.weights:
            self.cum.append(self.cum[-1] + w)
        catalog = build_catalog(self.rng, currency)
        self.catalog = catalog
        self.categories = list(catalog)
        self.category = Weighted((c, CATEGORIES[c][0]) for c in catalog)
        self.items_per_order = Weighted(ITEMS_PER_ORDER)
        self.quantity = Weighted(QUANTITY)
        self.channel = Weighted(CHANNELS)
        self.old_status = Weighted(OLD_STATUSES)
        self.hour = Weighted(HOURS)
        self.norm = self._mean_exposure(statuses, created_span)
        # Transaction ids: UUIDv7 of the load's start with a counter in the random bits
        # (RFC 9562, method 2): still time-ordered and unique, far cheaper than one each.
        self.next_id = new_id().int & ~((1 << 40) - 1)
        self.quantities = {q: Decimal(q) for q in range(1, 20)}

    def _day_weight(self, d: int) -> float:
        day = datetime.fromtimestamp(self.start + d * DAY, UTC)
        growth = 0.8 + 0.4 * d / self.days  # the shop grows
        return MONTH_WEIGHT[day.month - 1] * WEEKDAY_WEIGHT[day.weekday()] * growth

    def _window(self, status: str, created_ts: float, u: float) -> tuple[float, float]:
        low, high = STOPPED.get(status, (0, 0))
        stop = self.end - DAY * (low + (high - low) * u)
        return max(created_ts, self.start), stop

    def _mean_exposure(self, statuses: Weighted, created_span: float) -> float:
        """E[share of the two-year window a customer could buy in] over the customers the
        generator makes (created at span x sqrt(u) after its start, statuses as weighted);
        estimated once with a fixed RNG, so the mean count comes out at K."""
        rng = random.Random(0)  # noqa: S311
        first = self.end - created_span
        total, n = 0.0, 20_000
        for _ in range(n):
            status = statuses(rng.random())
            created = first + created_span * sqrt(rng.random())
            if status in STOPPED:
                a, b = self._window(status, created, rng.random())
                total += max(0.0, b - a) / (self.end - self.start)
        return total / n

    def add(
        self,
        transactions: list[tuple[Any, ...]],
        items: list[tuple[Any, ...]],
        customer_id: uuid.UUID,
        status: str,
        created_ts: float,
    ) -> None:
        if status not in STOPPED:
            return  # leads and prospects have not bought yet
        rng = self.rng
        r = rng.random
        start, stop = self._window(status, created_ts, r())
        rate = rng.gammavariate(RATE_SHAPE, 1 / RATE_SHAPE)
        if stop <= start:
            return
        share = (stop - start) / (self.end - self.start)
        count = _poisson(rng, self.per_customer * rate * share / self.norm)
        if not count:
            return
        favourites = (self.category(r()), self.category(r()))
        tier = r()  # where in each category's price range this customer shops
        channel = self.channel(r())
        times = sorted(self._moment(start, stop) for _ in range(count))
        for ts in times:
            self._order(transactions, items, customer_id, ts, status, favourites, tier, channel)

    def _moment(self, a: float, b: float) -> float:
        """A time in [a, b] following the day weights, then the hour-of-day pattern."""
        r, cum, weights = self.rng.random, self.cum, self.weights
        xa, xb = (a - self.start) / DAY, (b - self.start) / DAY
        da, db = min(int(xa), self.days - 1), min(int(xb), self.days - 1)
        ca = cum[da] + (xa - da) * weights[da]
        cb = cum[db] + (xb - db) * weights[db]
        u = ca + (cb - ca) * r()
        d = min(bisect_right(cum, u) - 1, self.days - 1)
        ts = self.start + DAY * d + 3600.0 * (self.hour(r()) + r())
        return a if ts < a else (b if ts > b else ts)

    def _order(
        self,
        transactions: list[tuple[Any, ...]],
        items: list[tuple[Any, ...]],
        customer_id: uuid.UUID,
        ts: float,
        customer_status: str,
        favourites: tuple[str, str],
        tier: float,
        channel: str,
    ) -> None:
        r = self.rng.random
        self.next_id += 1
        tid = uuid.UUID(int=self.next_id)
        occurred = datetime.fromtimestamp(ts, UTC)
        updated = occurred
        if customer_status == "active" and ts > self.end - OPEN_FOR and r() < 0.5:
            status = "pending" if r() < 0.6 else "processing"
        else:
            status = self.old_status(r())
            if status == "refunded":
                updated = datetime.fromtimestamp(min(self.end, ts + DAY * (1 + 29 * r())), UTC)
            elif status == "cancelled":
                updated = datetime.fromtimestamp(min(self.end, ts + 3600 * (0.2 + 10 * r())), UTC)
        cents = 0
        for _ in range(self.items_per_order(r())):
            u = r()
            category = favourites[0] if u < 0.45 else (favourites[1] if u < 0.7 else None)
            products = self.catalog[category or self.category(r())]
            position = 0.6 * tier + 0.4 * r()
            product: Product = products[min(int(position * len(products)), len(products) - 1)]
            quantity = self.quantity(r())
            if product.category == "groceries" and r() < 0.3:
                quantity += 1 + int(r() * 3)
            cents += quantity * product.cents
            items.append((
                self.org, tid, product.sku, product.name, product.category, product.brand,
                self.quantities[quantity], product.unit_price, customer_id, occurred,
                status == COUNTED_STATUS,
            ))  # fmt: skip
        channel = channel if r() < 0.8 else self.channel(r())
        transactions.append((
            tid, self.org, f"demo-{self.next_id:032x}", customer_id, self.business, occurred,
            status, Decimal(cents).scaleb(-2), self.currency, channel, occurred, updated, 1,
        ))  # fmt: skip
