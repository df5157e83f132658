"""Shapes for transactions, their items, bulk ingest and inbound events."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, Field, ValidationInfo, field_validator, model_validator

from clientbase.core.schemas import InputModel, OptionalText, OutputModel, Text, reject_unsafe

TransactionStatus = Literal["pending", "processing", "completed", "cancelled", "refunded"]
Money = Annotated[Decimal, Field(ge=0, max_digits=14, decimal_places=2)]
MAX_BULK_TRANSACTIONS = 10_000


class TransactionItemIn(InputModel):
    sku: Text(100, 1)
    name: OptionalText(300) = None
    category: OptionalText(100) = None
    brand: OptionalText(100) = None
    quantity: Annotated[Decimal, Field(gt=0, max_digits=12, decimal_places=3)] = Decimal(1)
    unit_price: Money


class TransactionCreate(InputModel):
    external_id: Text(200, 1)
    customer_id: uuid.UUID
    business_id: uuid.UUID | None = None
    occurred_at: AwareDatetime
    status: TransactionStatus = "completed"
    amount: Money | None = None
    currency: Text(3, 3) | None = None
    channel: OptionalText(50) = None
    items: list[TransactionItemIn] = Field(default_factory=list, max_length=500)

    @field_validator("*", mode="before")
    @classmethod
    def _safe_text(cls, value: Any, info: ValidationInfo) -> Any:
        """As InputModel's, but the items are left to TransactionItemIn, which checks each
        of their fields (scanning them here too doubled a bulk request's cost)."""
        return value if info.field_name == "items" else reject_unsafe(value)

    @field_validator("currency")
    @classmethod
    def _upper(cls, value: str | None) -> str | None:
        return value.upper() if value else None

    @model_validator(mode="after")
    def _amount_matches_items(self) -> TransactionCreate:
        if self.items:
            total = sum((i.quantity * i.unit_price for i in self.items), Decimal(0))
            total = total.quantize(Decimal("0.01"))
            if self.amount is None:
                self.amount = total
            elif self.amount != total:
                raise ValueError(f"amount: {self.amount} differs from the items' total {total}")
        if self.amount is None:
            raise ValueError("amount: is required when there are no items")
        return self


class TransactionStatusUpdate(InputModel):
    status: TransactionStatus
    version: int | None = Field(default=None, ge=1)


class TransactionItemRead(OutputModel):
    sku: str
    name: str | None
    category: str | None
    brand: str | None
    quantity: Decimal
    unit_price: Decimal


class TransactionRead(OutputModel):
    id: uuid.UUID
    external_id: str
    customer_id: uuid.UUID
    business_id: uuid.UUID
    occurred_at: datetime
    status: str
    amount: Decimal
    currency: str
    channel: str | None
    items: list[TransactionItemRead] = Field(default_factory=list)
    version: int
    created_at: datetime
    updated_at: datetime


class TransactionPage(OutputModel):
    items: list[TransactionRead]
    next_cursor: str | None


class BulkTransactions(InputModel):
    items: list[dict[str, Any]] = Field(min_length=1, max_length=MAX_BULK_TRANSACTIONS)

    @field_validator("*", mode="before")
    @classmethod
    def _safe_text(cls, value: Any) -> Any:
        """Each row is checked by TransactionCreate, so bad text in one row is that row's
        error (by index) rather than the whole request's, and is scanned once."""
        return value


class BulkRow(OutputModel):
    index: int
    id: uuid.UUID


class BulkRowError(OutputModel):
    index: int
    errors: list[dict[str, str]]


class BulkTransactionsResult(OutputModel):
    created: list[BulkRow]
    duplicates: list[BulkRow]
    errors: list[BulkRowError]


ActivityType = Literal[
    "session.started",
    "page.viewed",
    "product.viewed",
    "cart.abandoned",
    "customer.login",
    "review.submitted",
    "support.ticket",
    "newsletter.subscribed",
]
InboundType = Literal["order.completed", "invoice.paid", "deal.won"] | ActivityType


class InboundEvent(InputModel):
    id: Text(200, 1) = Field(description="The sender's event id; a re-delivery is not re-applied")
    type: InboundType
    customer_id: uuid.UUID
    occurred_at: AwareDatetime
    data: dict[str, Any] = Field(default_factory=dict)


class IngestResult(OutputModel):
    id: str
    status: Literal["applied", "duplicate"]
    result: dict[str, Any]
