"""The customer list's query string: read leniently (a bad value is dropped, not a 422)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from starlette.datastructures import QueryParams

from clientbase.auth.actor import Actor
from clientbase.core.schemas import unsafe_text_reason
from clientbase.customers.query import SORTABLE
from clientbase.web.choices import CHOICES

MAX_TEXT = 200
MAX_PAGE = 10_000
DEFAULT_SORT = "-created_at"


@dataclass
class ListQuery:
    search: str = ""
    type: str = ""
    status: list[str] = field(default_factory=list)
    is_active: str = ""
    industry: str = ""
    city: str = ""
    lead_source: str = ""
    assigned_to: str = ""
    tags: str = ""
    deleted: str = ""
    sort: str = DEFAULT_SORT
    page: int = 1

    @classmethod
    def parse(cls, params: QueryParams) -> ListQuery:
        def text(name: str) -> str:
            value = (params.get(name) or "").strip()[:MAX_TEXT]
            return "" if unsafe_text_reason(value) else value

        query = cls(
            search=text("search"),
            type=_one_of(text("type"), CHOICES["type"]),
            status=[s for s in params.getlist("status") if s in CHOICES["status"]],
            is_active=_one_of(text("is_active"), ("true", "false")),
            industry=text("industry"),
            city=text("city"),
            lead_source=text("lead_source"),
            assigned_to=text("assigned_to"),
            tags=text("tags"),
            deleted=_one_of(text("deleted"), ("only",)),
            sort=text("sort") if text("sort").lstrip("-") in SORTABLE else DEFAULT_SORT,
        )
        if query.assigned_to not in ("", "me", "none") and not _is_uuid(query.assigned_to):
            query.assigned_to = ""
        page = text("page")
        query.page = min(int(page), MAX_PAGE) if page.isdigit() and int(page) > 0 else 1
        return query

    def params(self) -> dict[str, Any]:
        """For links that keep the current filters (page 1 and the default sort are implied)."""
        values = dict(self.__dict__)
        values["page"] = self.page if self.page > 1 else None
        values["sort"] = self.sort if self.sort != DEFAULT_SORT else None
        return values

    def filter_args(self, actor: Actor) -> dict[str, Any]:
        """Keyword arguments for customers.query.build_filter."""
        assigned = str(actor.user_id) if self.assigned_to == "me" else self.assigned_to
        return {
            "search": self.search or None,
            "type": self.type or None,
            "status": self.status or None,
            "is_active": {"true": True, "false": False}.get(self.is_active),
            "industry": self.industry or None,
            "city": self.city or None,
            "lead_source": self.lead_source or None,
            "assigned_to": assigned or None,
            "tags": [t for t in self.tags.split(",") if t.strip()] or None,
            "only_deleted": self.deleted == "only",
        }

    def saved_filters(self, actor: Actor) -> dict[str, str | list[str]]:
        """The filters as a saved view stores them: the API's own list parameters."""
        args = self.filter_args(actor)
        out: dict[str, str | list[str]] = {}
        for key, value in args.items():
            if value in (None, False, [], ""):
                continue
            if key == "status" or key == "tags":
                out[key] = list(value)
            else:
                out[key] = str(value).lower() if isinstance(value, bool) else str(value)
        return out

    @classmethod
    def from_saved(cls, filters: dict[str, Any], sort: str | None) -> dict[str, Any]:
        """A saved view's filters as this page's query parameters."""
        params = {k: v for k, v in filters.items() if k in cls.__dataclass_fields__}
        if isinstance(params.get("tags"), list):
            params["tags"] = ", ".join(params["tags"])
        if str(filters.get("only_deleted", "")).lower() == "true":
            params["deleted"] = "only"
        params["sort"] = sort
        return params

    @property
    def filtered(self) -> bool:
        shown = (self.search, self.type, self.status, self.is_active, self.industry, self.city)
        return any(shown) or any((self.lead_source, self.assigned_to, self.tags, self.deleted))


def _one_of(value: str, allowed: tuple[str, ...]) -> str:
    return value if value in allowed else ""


def _is_uuid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True
