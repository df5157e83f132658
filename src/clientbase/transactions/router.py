"""HTTP routes for transactions, purchase history and inbound events."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Header, Request
from fastapi.responses import JSONResponse

from clientbase.auth.dependencies import ActorDep, SessionDep, SettingsDep
from clientbase.core.idempotency import run_idempotent
from clientbase.core.pagination import DEFAULT_LIMIT, Limit
from clientbase.transactions import ingest, service
from clientbase.transactions.models import Transaction, TransactionItem
from clientbase.transactions.schemas import (
    BulkTransactions,
    BulkTransactionsResult,
    InboundEvent,
    IngestResult,
    TransactionCreate,
    TransactionItemRead,
    TransactionPage,
    TransactionRead,
    TransactionStatus,
    TransactionStatusUpdate,
)

router = APIRouter(tags=["transactions"])


def present(transaction: Transaction, items: list[TransactionItem]) -> TransactionRead:
    read = TransactionRead.model_validate(transaction)
    read.items = [TransactionItemRead.model_validate(i) for i in items]
    return read


@router.post(
    "/transactions",
    response_model=TransactionRead,
    status_code=201,
    responses={200: {"description": "Already recorded: the existing transaction"}},
)
async def create_transaction(
    body: TransactionCreate, session: SessionDep, actor: ActorDep
) -> JSONResponse:
    recorded = await service.record_transaction(session, actor, body)
    read = present(recorded.transaction, recorded.items)
    return JSONResponse(read.model_dump(mode="json"), status_code=201 if recorded.created else 200)


@router.post("/transactions/bulk", response_model=BulkTransactionsResult)
async def bulk_transactions(
    request: Request,
    body: BulkTransactions,
    session: SessionDep,
    actor: ActorDep,
    settings: SettingsDep,
) -> JSONResponse:
    async def produce() -> tuple[int, object]:
        return 200, await service.bulk_record(session, actor, body)

    return await run_idempotent(
        request, session, actor.organization_id, settings.idempotency_ttl_hours, produce
    )


@router.get("/transactions/{transaction_id}", response_model=TransactionRead)
async def get_transaction(
    transaction_id: uuid.UUID, session: SessionDep, actor: ActorDep
) -> TransactionRead:
    transaction = await service.get_transaction(session, actor, transaction_id)
    items = await service.transaction_items(session, actor, [transaction.id])
    return present(transaction, items[transaction.id])


@router.patch("/transactions/{transaction_id}", response_model=TransactionRead)
async def change_status(
    transaction_id: uuid.UUID,
    body: TransactionStatusUpdate,
    session: SessionDep,
    actor: ActorDep,
    if_match: Annotated[str | None, Header(alias="If-Match")] = None,
) -> TransactionRead:
    transaction = await service.change_status(
        session, actor, transaction_id, body.status, version=body.version, if_match=if_match
    )
    items = await service.transaction_items(session, actor, [transaction.id])
    return present(transaction, items[transaction.id])


@router.get("/customers/{customer_id}/transactions", response_model=TransactionPage)
async def purchase_history(
    customer_id: uuid.UUID,
    session: SessionDep,
    actor: ActorDep,
    limit: Limit = DEFAULT_LIMIT,
    cursor: str | None = None,
    status: TransactionStatus | None = None,
) -> TransactionPage:
    page = await service.customer_history(
        session, actor, customer_id, limit=limit, cursor=cursor, status=status
    )
    items = await service.transaction_items(session, actor, [t.id for t in page.items])
    return TransactionPage(
        items=[present(t, items[t.id]) for t in page.items], next_cursor=page.next_cursor
    )


@router.post("/events/ingest", response_model=IngestResult)
async def ingest_event(body: InboundEvent, session: SessionDep, actor: ActorDep) -> IngestResult:
    return await ingest.ingest(session, actor, body)
