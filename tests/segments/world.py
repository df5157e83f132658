"""Random customer populations (profiles, addresses, custom fields, metrics, transactions)
written straight to the database, and the same data as evaluator facts built in Python."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st
from sqlalchemy.ext.asyncio import AsyncSession

from clientbase.customers.models import Address, Customer, CustomFieldDefinition
from clientbase.metrics.models import CustomerMetrics
from clientbase.segments.fields import CustomDefinition
from clientbase.tenancy.models import Business, Membership
from clientbase.transactions.models import Transaction, TransactionItem

NOWS = (
    datetime(2026, 6, 15, 12, 0, tzinfo=UTC),
    datetime(2028, 2, 29, 8, 0, tzinfo=UTC),
    datetime(2027, 3, 1, 0, 0, tzinfo=UTC),
)
CUSTOM = (
    CustomDefinition("c_text", "text", "Text"),
    CustomDefinition("c_num", "number", "Number"),
    CustomDefinition("c_date", "date", "Date"),
    CustomDefinition("c_bool", "boolean", "Bool"),
    CustomDefinition("c_sel", "select", "Select", ("a", "b", "c")),
    CustomDefinition("c_multi", "multiselect", "Multi", ("x", "y", "z")),
)
WORDS = ("Alpha", "alpha", "beta", "Almaty", "astana", "Gamma LLP", "", "a", "al")
CITIES = ("Almaty", "almaty", "Astana", "Shymkent", None)
TAGS = ("vip", "new", "b2b", "promo")
CATEGORIES = ("shoes", "bags", "Shoes", None)
SKUS = ("S1", "S2", "S3")
BRANDS = ("nike", "puma", None)
QUARTERS = st.integers(0, 2000).map(lambda n: Decimal(n) / 4)
SCORES = st.sampled_from([None, 0.0, 0.25, 0.5, 0.75, 1.0])


@dataclass
class World:
    organization_id: uuid.UUID
    businesses: list[uuid.UUID]
    users: list[uuid.UUID]
    customers: dict[uuid.UUID, dict[str, Any]] = field(default_factory=dict)


async def prepare(session: AsyncSession, org: Any) -> World:
    """Custom field definitions and a second business for an organization."""
    for d in CUSTOM:
        session.add(
            CustomFieldDefinition(
                organization_id=org.id,
                key=d.key,
                label=d.label,
                type=d.type,
                options=list(d.options),
            )
        )
    default = Business(organization_id=org.id, name="Second", is_default=False)
    session.add(default)
    await session.flush()
    from clientbase.tenancy import service as tenancy

    ids = await tenancy.organization_business_ids(session, org.id)
    return World(org.id, sorted(ids), [u.id for u in org.users.values()])


def moments(now: datetime) -> st.SearchStrategy[datetime]:
    return st.integers(-400 * 24, 30 * 24).map(lambda h: now + timedelta(hours=h))


def birthdays(now: datetime) -> st.SearchStrategy[date | None]:
    near = st.tuples(st.integers(0, 80), st.integers(-2, 2)).map(
        lambda yd: _years_back(now.date(), yd[0]) + timedelta(days=yd[1])
    )
    return st.one_of(st.none(), near, st.just(date(2000, 2, 29)))


def _years_back(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return day.replace(year=day.year - years, day=28)


def customer(now: datetime, n_users: int) -> st.SearchStrategy[dict[str, Any]]:
    maybe_moment = st.one_of(st.none(), moments(now))
    order = st.fixed_dictionaries(
        {
            "status": st.sampled_from(["completed", "completed", "pending", "refunded"]),
            "occurred_at": moments(now),
            "amount": QUARTERS,
            "business": st.integers(0, 1),
            "items": st.lists(
                st.fixed_dictionaries(
                    {
                        "category": st.sampled_from(CATEGORIES),
                        "sku": st.sampled_from(SKUS),
                        "brand": st.sampled_from(BRANDS),
                    }
                ),
                max_size=2,
            ),
        }
    )
    custom = st.fixed_dictionaries(
        {},
        optional={
            "c_text": st.sampled_from(WORDS),
            "c_num": QUARTERS.map(lambda d: str(d - 100)),
            "c_date": moments(now).map(lambda m: m.date().isoformat()),
            "c_bool": st.booleans(),
            "c_sel": st.sampled_from(["a", "b", "c"]),
            "c_multi": st.lists(st.sampled_from(["x", "y", "z"]), unique=True),
        },
    )
    return st.fixed_dictionaries(
        {
            "type": st.sampled_from(["individual", "company", "enterprise"]),
            "status": st.sampled_from(["lead", "active", "churned", "inactive"]),
            "is_active": st.booleans(),
            "name": st.sampled_from(WORDS[:6]),
            "email": st.one_of(st.none(), st.just("mail")),
            "gender": st.sampled_from([None, "female", "male"]),
            "preferred_language": st.sampled_from([None, "kk", "ru"]),
            "company_size": st.sampled_from([None, "1-10", "500+"]),
            "industry": st.sampled_from([None, "Retail", "retail", "Textile", ""]),
            "lead_source": st.sampled_from([None, "website", "referral"]),
            "assigned": st.one_of(st.none(), st.integers(0, n_users - 1)),
            "rating": st.one_of(st.none(), st.integers(1, 10)),
            "credit_limit": st.one_of(st.none(), QUARTERS),
            "current_balance": QUARTERS,
            "tags": st.lists(st.sampled_from(TAGS), unique=True, max_size=3),
            "created_at": moments(now),
            "last_contact_at": maybe_moment,
            "last_activity_at": maybe_moment,
            "next_follow_up_at": maybe_moment,
            "date_of_birth": birthdays(now),
            "deleted": st.integers(0, 9).map(lambda n: n == 0),
            "custom_fields": custom,
            "addresses": st.lists(
                st.tuples(st.sampled_from(CITIES), st.sampled_from(["KZ", "RU"])), max_size=2
            ),
            "businesses": st.sampled_from([(0,), (1,), (0, 1)]),
            "orders": st.lists(order, max_size=4),
            "metrics_row": st.booleans(),
            "analytics": st.fixed_dictionaries(
                {
                    "predicted_ltv": st.one_of(st.none(), QUARTERS),
                    "churn_risk": SCORES,
                    "engagement_score": SCORES,
                    "rfm_score": st.sampled_from([None, "545", "111", "345"]),
                    "lead_score": st.one_of(st.none(), st.integers(0, 100)),
                    "segment": st.sampled_from([None, "vip", "lost", "new"]),
                }
            ),
        }
    )


async def load(session: AsyncSession, world: World, people: list[dict[str, Any]]) -> dict:
    """Insert the people; returns {customer_id: evaluator facts}."""
    org = world.organization_id
    facts: dict[uuid.UUID, dict[str, Any]] = {}
    later: list[list[Any]] = [[], []]  # rows that reference customers, then transactions
    for n, p in enumerate(people):
        cid = uuid.uuid4()
        profile = {
            k: p[k]
            for k in (
                "type",
                "status",
                "is_active",
                "name",
                "gender",
                "preferred_language",
                "company_size",
                "industry",
                "lead_source",
                "rating",
                "credit_limit",
                "current_balance",
                "tags",
                "created_at",
                "last_contact_at",
                "last_activity_at",
                "next_follow_up_at",
                "date_of_birth",
            )
        }
        profile["email"] = f"p{n}@{str(cid)[:8]}.kz" if p["email"] else None
        profile["phone"] = None
        profile["assigned_to"] = world.users[p["assigned"]] if p["assigned"] is not None else None
        profile["deleted_at"] = p["created_at"] if p["deleted"] else None
        profile["anonymized_at"] = None
        session.add(
            Customer(id=cid, organization_id=org, custom_fields=p["custom_fields"], **profile)
        )
        for city, country in p["addresses"]:
            later[0].append(
                Address(
                    organization_id=org, customer_id=cid, type="home", city=city, country=country
                )
            )
        businesses = [world.businesses[i] for i in p["businesses"]]
        for business in businesses:
            later[0].append(Membership(organization_id=org, customer_id=cid, business_id=business))
        orders = []
        for k, o in enumerate(p["orders"]):
            tid = uuid.uuid4()
            business = world.businesses[o["business"]]
            later[0].append(
                Transaction(
                    id=tid,
                    organization_id=org,
                    external_id=f"{cid}-{k}",
                    customer_id=cid,
                    business_id=business,
                    occurred_at=o["occurred_at"],
                    status=o["status"],
                    amount=o["amount"],
                    currency="KZT",
                )
            )
            for item in o["items"]:
                later[1].append(
                    TransactionItem(
                        organization_id=org,
                        transaction_id=tid,
                        quantity=Decimal(1),
                        unit_price=o["amount"],
                        customer_id=cid,
                        occurred_at=o["occurred_at"],
                        counted=o["status"] == "completed",
                        **item,
                    )
                )
            orders.append({**o, "business_id": business})
        done = [o for o in orders if o["status"] == "completed"]
        stored = None
        if done or p["metrics_row"]:
            total = sum((o["amount"] for o in done), Decimal(0))
            stored = {
                "total_spent": total,
                "order_count": len(done),
                "first_order_at": min((o["occurred_at"] for o in done), default=None),
                "last_order_at": max((o["occurred_at"] for o in done), default=None),
                "lifetime_value": total,
                **p["analytics"],
            }
            later[0].append(CustomerMetrics(organization_id=org, customer_id=cid, **stored))
        facts[cid] = {
            "profile": profile,
            "custom_fields": p["custom_fields"],
            "addresses": [{"city": c, "region": None, "country": k} for c, k in p["addresses"]],
            "metrics": stored,
            "transactions": orders,
            "business_ids": businesses,
        }
    await session.flush()
    for rows in later:
        session.add_all(rows)
        await session.flush()
    return facts


_PREPARED: dict[uuid.UUID, World] = {}


async def prepare_once(session: AsyncSession, org: Any) -> World:
    """`prepare`, once per organization (hypothesis runs many examples on one org)."""
    if org.id not in _PREPARED:
        _PREPARED[org.id] = await prepare(session, org)
    return _PREPARED[org.id]
