"""Imports every domain's models (for Alembic and the mapper) and wires the commit hooks."""

from __future__ import annotations

from clientbase.analytics import models as _analytics_models  # noqa: F401
from clientbase.audit import models as _audit_models  # noqa: F401
from clientbase.audit.service import PENDING_KEY as AUDIT_PENDING
from clientbase.audit.service import seal_pending as seal_audit
from clientbase.auth import models as _auth_models  # noqa: F401
from clientbase.core import idempotency as _idempotency  # noqa: F401
from clientbase.customers import models as _customer_models  # noqa: F401
from clientbase.db.base import Base
from clientbase.db.session import register_commit_hook
from clientbase.events import models as _event_models  # noqa: F401
from clientbase.events.repository import register_feed_source
from clientbase.events.service import PENDING_KEY as EVENTS_PENDING
from clientbase.events.service import seal_pending as seal_events
from clientbase.jobs import models as _job_models  # noqa: F401
from clientbase.metrics import models as _metric_models  # noqa: F401
from clientbase.saved_views import models as _saved_view_models  # noqa: F401
from clientbase.search import dictionary
from clientbase.search import models as _search_models  # noqa: F401
from clientbase.segments import models as _segment_models  # noqa: F401
from clientbase.segments.repository import membership_events
from clientbase.tenancy import models as _tenancy_models  # noqa: F401
from clientbase.transactions import models as _transaction_models  # noqa: F401

# The search dictionary's new words first (their rows, in sorted order), then audit, then
# events: every transaction takes these locks in this order.
register_commit_hook(dictionary.file_pending, dictionary.PENDING_KEY)
register_commit_hook(seal_audit, AUDIT_PENDING)
register_commit_hook(seal_events, EVENTS_PENDING)
# A segment's membership history is the feed's segment.assigned / segment.unassigned events.
register_feed_source(membership_events)

metadata = Base.metadata
