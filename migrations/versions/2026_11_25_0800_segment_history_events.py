"""segment memberships and history: the history rows are the membership events

A segment's first materialisation at 1,000,000 customers wrote ~624,000 rows three times:
memberships, history and one outbox event per change. The history row now carries the
event's place in the organization's feed (`seq`, numbered at commit like the outbox), the
segment's name it was sent with and the request id; `GET /events` reads membership events
from it, so the outbox no longer copies them. History rows written before this migration
keep a NULL seq: their events are already in the outbox.

The two tables lose their foreign keys. Each key is a per-row trigger: on the bench
machine, inserting 624,000 memberships took 2.4 s without keys, 5.7 s with the
organization and segment keys, 9.1 s with all three (the customer key also locks every
customer row). Their rows come from queries over the organization's own customers and
segments; writers lock the segments they write for, and deleting a segment deletes its
memberships explicitly. Its history stays, being its events (`segments.repository`).

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-25 08:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from clientbase.db.migrate import batch_alter

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("segment_memberships", "segment_membership_history")
REFERENCES = (
    ("customer_id", "customers"),
    ("organization_id", "organizations"),
    ("segment_id", "segments"),
)
SEQ_INDEX = "ix_segment_membership_history_organization_id_seq"


# Going back, the membership events that only the history holds return to the outbox.
_COPY_EVENTS_TO_OUTBOX = {
    "postgresql": """
        INSERT INTO outbox_events (organization_id, seq, event_type, aggregate_type,
            aggregate_id, payload, occurred_at, request_id)
        SELECT h.organization_id, h.seq,
            CASE h.action WHEN 'entered' THEN 'segment.assigned' ELSE 'segment.unassigned' END,
            'customer', h.customer_id,
            jsonb_build_object('segment_id', h.segment_id::text, 'segment_name', h.segment_name,
                'customer_id', h.customer_id::text, 'reason', h.reason),
            h.at, h.request_id
        FROM segment_membership_history h
        WHERE h.seq IS NOT NULL
    """,
    "sqlite": """
        INSERT INTO outbox_events (organization_id, seq, event_type, aggregate_type,
            aggregate_id, payload, occurred_at, request_id)
        SELECT h.organization_id, h.seq,
            CASE h.action WHEN 'entered' THEN 'segment.assigned' ELSE 'segment.unassigned' END,
            'customer', h.customer_id,
            json_object(
                'segment_id', lower(substr(h.segment_id, 1, 8) || '-' || substr(h.segment_id, 9, 4)
                || '-' || substr(h.segment_id, 13, 4)
                || '-' || substr(h.segment_id, 17, 4) || '-' || substr(h.segment_id, 21, 12)),
                'segment_name', h.segment_name,
                'customer_id',
                lower(substr(h.customer_id, 1, 8) || '-' || substr(h.customer_id, 9, 4)
                || '-' || substr(h.customer_id, 13, 4)
                || '-' || substr(h.customer_id, 17, 4) || '-' || substr(h.customer_id, 21, 12)),
                'reason', h.reason),
            h.at, h.request_id
        FROM segment_membership_history h
        WHERE h.seq IS NOT NULL
    """,
}


def _delete_orphans() -> None:
    """Rows whose segment, customer or organization is gone cannot keep their keys."""
    for name in TABLES:
        table = sa.table(name, *(sa.column(column) for column, _ in REFERENCES))
        for column, referred in REFERENCES:
            parent = sa.table(referred, sa.column("id"))
            op.execute(sa.delete(table).where(~sa.exists().where(parent.c.id == table.c[column])))


def _key(table: str, column: str, referred: str) -> str:
    return f"fk_{table}_{column}_{referred}"


def upgrade() -> None:
    for table in TABLES:
        with batch_alter(table) as batch_op:
            for column, referred in REFERENCES:
                batch_op.drop_constraint(_key(table, column, referred), type_="foreignkey")
    with batch_alter("segment_membership_history") as batch_op:
        batch_op.add_column(sa.Column("seq", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("segment_name", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("request_id", sa.String(length=64), nullable=True))
        batch_op.create_index(SEQ_INDEX, ["organization_id", "seq"], unique=True)


def downgrade() -> None:
    op.execute(_COPY_EVENTS_TO_OUTBOX[op.get_bind().dialect.name])
    _delete_orphans()
    with batch_alter("segment_membership_history") as batch_op:
        batch_op.drop_index(SEQ_INDEX)
        batch_op.drop_column("request_id")
        batch_op.drop_column("segment_name")
        batch_op.drop_column("seq")
    for table in TABLES:
        with batch_alter(table) as batch_op:
            for column, referred in REFERENCES:
                batch_op.create_foreign_key(
                    _key(table, column, referred),
                    referred,
                    [column],
                    ["id"],
                    ondelete="CASCADE",
                )
