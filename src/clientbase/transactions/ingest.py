"""Inbound domain events (POST /events/ingest), applied once per event id."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from clientbase.auth.actor import Actor
from clientbase.auth.permissions import Permission
from clientbase.core.errors import FieldError, ValidationFailed, validation_errors
from clientbase.core.jsonable import jsonable
from clientbase.customers import service as customers
from clientbase.transactions import service as transactions
from clientbase.transactions.models import IngestedEvent
from clientbase.transactions.repository import IngestedEventRepository, TransactionRepository
from clientbase.transactions.schemas import InboundEvent, IngestResult, TransactionCreate


async def ingest(session: AsyncSession, actor: Actor, event: InboundEvent) -> IngestResult:
    actor.require(Permission.TRANSACTIONS_WRITE)
    seen = await IngestedEventRepository(session, actor.organization_id).find(event.id)
    if seen is not None:
        return IngestResult(id=event.id, status="duplicate", result=seen.result)
    await customers.get_customer(session, actor, event.customer_id)
    handler = HANDLERS.get(event.type, _activity)
    result = jsonable(await handler(session, actor, event))
    session.add(
        IngestedEvent(
            organization_id=actor.organization_id, event_id=event.id, type=event.type, result=result
        )
    )
    await session.flush()
    return IngestResult(id=event.id, status="applied", result=result)


async def _order_completed(
    session: AsyncSession, actor: Actor, event: InboundEvent
) -> dict[str, Any]:
    body = {
        "external_id": event.id,
        "occurred_at": event.occurred_at,
        **event.data,
        "customer_id": event.customer_id,
        "status": "completed",
    }
    try:
        order = TransactionCreate.model_validate(body)
    except ValidationError as exc:
        errors = [{**e, "field": f"data.{e['field']}"} for e in validation_errors(exc.errors())]
        raise ValidationFailed(
            "The order in `data` is not valid.", errors=_field_errors(errors)
        ) from exc
    recorded = await transactions.record_transaction(session, actor, order)
    existing = recorded.transaction
    if not recorded.created and existing.status in ("pending", "processing"):
        await transactions.change_status(session, actor, existing.id, "completed", if_match="*")
    return {"transaction_id": existing.id, "created": recorded.created}


async def _invoice_paid(session: AsyncSession, actor: Actor, event: InboundEvent) -> dict[str, Any]:
    try:
        amount = Decimal(str(event.data.get("amount")))
    except InvalidOperation as exc:
        raise ValidationFailed.on("data.amount", "must be a decimal amount") from exc
    if not amount.is_finite() or amount <= 0 or amount != amount.quantize(Decimal("0.01")):
        raise ValidationFailed.on("data.amount", "must be a positive amount in cents precision")
    balance = await customers.apply_payment(session, actor, event.customer_id, amount)
    return {"current_balance": balance}


async def _deal_won(session: AsyncSession, actor: Actor, event: InboundEvent) -> dict[str, Any]:
    customer = await customers.set_status(session, actor, event.customer_id, "active")
    return {"status": customer.status}


async def _activity(session: AsyncSession, actor: Actor, event: InboundEvent) -> dict[str, Any]:
    await TransactionRepository(session, actor.organization_id).add_activity(
        {
            "organization_id": actor.organization_id,
            "customer_id": event.customer_id,
            "type": event.type,
            "occurred_at": event.occurred_at,
            "data": jsonable(event.data),
        }
    )
    return {"recorded": event.type}


def _field_errors(errors: list[dict[str, str]]) -> list[FieldError]:
    return [FieldError(e["field"], e["message"]) for e in errors]


HANDLERS = {
    "order.completed": _order_completed,
    "invoice.paid": _invoice_paid,
    "deal.won": _deal_won,
}
