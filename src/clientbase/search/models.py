"""The search dictionary behind typo tolerance (see search.words)."""

from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from clientbase.db.base import Base
from clientbase.search.words import MAX_LENGTH


class SearchWordKey(Base):
    """Each word of an organization's customer search texts, filed under itself and under
    each of its one-letter deletions. Writes add the words of the texts they write (at
    commit, search.dictionary); the nightly rebuild drops the words no customer has any
    more. A superset is harmless: a correction no customer has finds nobody."""

    __tablename__ = "search_word_keys"

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(MAX_LENGTH), primary_key=True)
    word: Mapped[str] = mapped_column(String(MAX_LENGTH), primary_key=True)
