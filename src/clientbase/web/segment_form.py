"""The segment form as posted by the browser: plain fields plus the rule builder's
criteria JSON (a hidden input), turned into the API's schemas and back into what the page
shows (the user's own input, with errors by field or rule path)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from starlette.datastructures import FormData

from clientbase.core.errors import FieldError, validation_errors
from clientbase.segments.api_schemas import SegmentCreate, SegmentUpdate

TEXT_FIELDS = ("name", "description", "color_code", "type", "business_id")
EMPTY_CRITERIA = {"operator": "AND", "rules": []}


class FormInvalid(Exception):
    """The form did not make a valid request body; the errors are on the form."""


@dataclass
class SegmentForm:
    values: dict[str, str] = field(default_factory=dict)
    criteria_text: str = ""
    version: int | None = None
    errors: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def blank(cls) -> SegmentForm:
        return cls(values={"type": "dynamic"}, criteria_text=json.dumps(EMPTY_CRITERIA))

    @classmethod
    def of(cls, segment: Any) -> SegmentForm:
        values = {
            name: "" if getattr(segment, name) is None else str(getattr(segment, name))
            for name in TEXT_FIELDS
        }
        criteria = segment.criteria if segment.criteria is not None else EMPTY_CRITERIA
        return cls(values=values, criteria_text=json.dumps(criteria), version=segment.version)

    @classmethod
    def parse(cls, form: FormData) -> SegmentForm:
        values = {name: str(form.get(name) or "").strip() for name in TEXT_FIELDS}
        version = str(form.get("version") or "").strip()
        return cls(
            values=values,
            criteria_text=str(form.get("criteria") or ""),
            version=int(version) if version.isdigit() else None,
        )

    @property
    def is_static(self) -> bool:
        return self.values.get("type") == "static"

    def add(self, path: str, message: str) -> None:
        self.errors.setdefault(path, []).append(message)

    def add_errors(self, errors: list[FieldError]) -> None:
        for error in errors:
            self.add(error.field, error.message)

    def criteria(self) -> Any:
        """The builder's JSON, or None for a static segment; bad JSON is a form error."""
        if self.is_static:
            return None
        try:
            return json.loads(self.criteria_text)
        except ValueError:
            self.add("criteria", "is not valid JSON; reload the page and build the rules again")
            return None

    def _optional(self, name: str) -> str | None:
        return self.values.get(name) or None

    def create_body(self) -> SegmentCreate:
        payload = {
            "name": self.values.get("name", ""),
            "description": self._optional("description"),
            "color_code": self._optional("color_code"),
            "business_id": self._optional("business_id"),
            "type": self.values.get("type") or "dynamic",
            "criteria": self.criteria(),
        }
        return self._validated(SegmentCreate, payload)

    def update_body(self, *, with_criteria: bool) -> SegmentUpdate:
        payload: dict[str, Any] = {
            "name": self.values.get("name", ""),
            "description": self._optional("description"),
            "color_code": self._optional("color_code"),
            "version": self.version,
        }
        if with_criteria:
            payload["criteria"] = self.criteria()
        return self._validated(SegmentUpdate, payload)

    def _validated(self, schema: Any, payload: dict[str, Any]) -> Any:
        try:
            body = schema.model_validate(payload)
        except ValidationError as exc:
            for error in validation_errors(exc.errors()):
                self.add(error["field"], error["message"])
            raise FormInvalid from exc
        if self.errors:
            raise FormInvalid
        return body

    def criteria_errors(self) -> dict[str, list[str]]:
        """Errors the rule builder shows next to its rules (paths under `criteria`)."""
        return {path: msgs for path, msgs in self.errors.items() if path.startswith("criteria")}

    def summary(self) -> str | None:
        if not self.errors:
            return None
        count = sum(len(messages) for messages in self.errors.values())
        return f"Nothing was saved. Fix the {count} problem{'s' if count > 1 else ''} listed below."
