"""The search dictionary behind typo tolerance (see search.words)."""

from __future__ import annotations

import uuid

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from clientbase.db.base import Base
from clientbase.search.words import MAX_LENGTH


class SearchWordKey(Base):
    """Each word of an organization's customer search texts, filed under itself and under
    each of its one-letter deletions. A superset is harmless (a correction that matches no
    customer finds nothing); words no customer uses any more are pruned when a search text
    loses them. A word pruned by one transaction while another, not yet committed, gives it
    to a customer can go missing: that customer is still found as typed, only not from a
    misspelling, until a profile with the word is written again."""

    __tablename__ = "search_word_keys"

    organization_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(MAX_LENGTH), primary_key=True)
    word: Mapped[str] = mapped_column(String(MAX_LENGTH), primary_key=True)
