"""Customer profiles and their contacts, addresses and notes; custom field definitions."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, Index, Numeric, String, Text, UniqueConstraint, func, text
from sqlalchemy.orm import Mapped, mapped_column

from clientbase.db.base import (
    Base,
    IdMixin,
    OrganizationScoped,
    TimestampMixin,
    Versioned,
)

CUSTOMER_TYPES = ("individual", "company", "enterprise")
CUSTOMER_STATUSES = ("lead", "prospect", "active", "inactive", "churned", "blocked")


class Customer(IdMixin, OrganizationScoped, TimestampMixin, Versioned, Base):
    __tablename__ = "customers"
    __table_args__ = (
        UniqueConstraint("organization_id", "email"),
        UniqueConstraint("organization_id", "phone"),
        UniqueConstraint("organization_id", "iin"),
        UniqueConstraint("organization_id", "bin"),
        Index(None, "organization_id", "created_at", "id"),
        Index(  # live customers only: what lists, counts and segments read
            None,
            "organization_id",
            "status",
            "created_at",
            "id",
            postgresql_where=text("deleted_at IS NULL"),
            sqlite_where=text("deleted_at IS NULL"),
        ),
        Index(None, "organization_id", "assigned_to"),
        Index(None, "organization_id", "name", "id"),
        Index(None, "organization_id", "updated_at", "id"),
        # By id within the organization: the customers a metric sort shows without a value
        # (customers.metric_order), where the primary key alone walks every tenant's rows.
        Index(None, "organization_id", "id"),
        Index(
            "ix_customers_organization_id_industry_lower",
            "organization_id",
            func.lower(text("industry")),
        ),
    )

    type: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="lead")
    is_active: Mapped[bool] = mapped_column(default=True)
    name: Mapped[str] = mapped_column(String(300))
    first_name: Mapped[str | None] = mapped_column(String(100))
    middle_name: Mapped[str | None] = mapped_column(String(100))
    last_name: Mapped[str | None] = mapped_column(String(100))
    company_name: Mapped[str | None] = mapped_column(String(300))
    date_of_birth: Mapped[date | None]
    gender: Mapped[str | None] = mapped_column(String(20))
    preferred_language: Mapped[str | None] = mapped_column(String(8))
    website: Mapped[str | None] = mapped_column(String(500))

    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(20))
    telegram_chat_id: Mapped[str | None] = mapped_column(String(64))
    iin: Mapped[str | None] = mapped_column(String(12))
    bin: Mapped[str | None] = mapped_column(String(12))

    company_size: Mapped[str | None] = mapped_column(String(10))
    industry: Mapped[str | None] = mapped_column(String(100))
    lead_source: Mapped[str | None] = mapped_column(String(100))
    credit_limit: Mapped[Decimal | None]
    current_balance: Mapped[Decimal] = mapped_column(default=Decimal("0.00"))
    rating: Mapped[int | None]
    assigned_to: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )
    referred_by: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("customers.id", ondelete="SET NULL")
    )
    tags: Mapped[list[str]] = mapped_column(default=list)
    custom_fields: Mapped[dict[str, Any]] = mapped_column(default=dict)

    last_contact_at: Mapped[datetime | None]
    next_follow_up_at: Mapped[datetime | None]
    last_activity_at: Mapped[datetime | None]

    created_by: Mapped[uuid.UUID | None]
    updated_by: Mapped[uuid.UUID | None]
    deleted_at: Mapped[datetime | None]
    anonymized_at: Mapped[datetime | None]
    # Normalised name/company/email/phone/contact names; see clientbase.search.
    search_text: Mapped[str] = mapped_column(Text, default="", server_default="")


class Contact(IdMixin, OrganizationScoped, TimestampMixin, Versioned, Base):
    __tablename__ = "contacts"
    __table_args__ = (
        Index(None, "organization_id", "customer_id"),
        Index(
            "uq_contacts_one_primary",
            "customer_id",
            unique=True,
            sqlite_where=text("is_primary"),
            postgresql_where=text("is_primary"),
        ),
    )

    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    first_name: Mapped[str] = mapped_column(String(100))
    middle_name: Mapped[str | None] = mapped_column(String(100))
    last_name: Mapped[str | None] = mapped_column(String(100))
    position: Mapped[str | None] = mapped_column(String(150))
    department: Mapped[str | None] = mapped_column(String(150))
    email: Mapped[str | None] = mapped_column(String(320))
    phone: Mapped[str | None] = mapped_column(String(20))
    mobile: Mapped[str | None] = mapped_column(String(20))
    is_primary: Mapped[bool] = mapped_column(default=False)
    is_decision_maker: Mapped[bool] = mapped_column(default=False)
    linkedin: Mapped[str | None] = mapped_column(String(300))
    telegram: Mapped[str | None] = mapped_column(String(100))
    whatsapp: Mapped[str | None] = mapped_column(String(20))
    notes: Mapped[str | None] = mapped_column(Text)
    is_active: Mapped[bool] = mapped_column(default=True)


class Address(IdMixin, OrganizationScoped, TimestampMixin, Versioned, Base):
    __tablename__ = "addresses"
    __table_args__ = (
        Index(None, "organization_id", "customer_id"),
        Index(  # lists and segment rules compare lower(city); who lives there, index-only
            "ix_addresses_organization_id_city_lower",
            "organization_id",
            func.lower(text("city")),
            "customer_id",
            postgresql_include=["city"],
        ),
        Index(None, "organization_id", "country"),
        Index(
            "uq_addresses_one_primary_per_type",
            "customer_id",
            "type",
            unique=True,
            sqlite_where=text("is_primary"),
            postgresql_where=text("is_primary"),
        ),
    )

    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(20))
    street: Mapped[str | None] = mapped_column(String(300))
    building: Mapped[str | None] = mapped_column(String(50))
    apartment: Mapped[str | None] = mapped_column(String(50))
    city: Mapped[str | None] = mapped_column(String(150))
    region: Mapped[str | None] = mapped_column(String(150))
    postal_code: Mapped[str | None] = mapped_column(String(20))
    country: Mapped[str] = mapped_column(String(2))
    is_primary: Mapped[bool] = mapped_column(default=False)
    contact_name: Mapped[str | None] = mapped_column(String(200))
    contact_phone: Mapped[str | None] = mapped_column(String(20))
    delivery_instructions: Mapped[str | None] = mapped_column(Text)
    latitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    longitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))


class Note(IdMixin, OrganizationScoped, TimestampMixin, Versioned, Base):
    __tablename__ = "notes"
    __table_args__ = (Index(None, "organization_id", "customer_id", "pinned", "created_at"),)

    customer_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"))
    title: Mapped[str | None] = mapped_column(String(200))
    content: Mapped[str] = mapped_column(Text)
    type: Mapped[str] = mapped_column(String(20), default="general")
    priority: Mapped[str] = mapped_column(String(20), default="medium")
    is_internal: Mapped[bool] = mapped_column(default=True)
    tags: Mapped[list[str]] = mapped_column(default=list)
    author_id: Mapped[uuid.UUID | None]
    pinned: Mapped[bool] = mapped_column(default=False)


class CustomFieldDefinition(IdMixin, OrganizationScoped, TimestampMixin, Versioned, Base):
    __tablename__ = "custom_field_definitions"
    __table_args__ = (UniqueConstraint("organization_id", "key"),)

    key: Mapped[str] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(20))
    options: Mapped[list[str]] = mapped_column(default=list)
    required: Mapped[bool] = mapped_column(default=False)
    is_active: Mapped[bool] = mapped_column(default=True)
