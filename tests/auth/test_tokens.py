"""Access tokens: one verified before is taken from memory only under the same key and
issuer, and only until it expires."""

from __future__ import annotations

import time
import uuid
from types import SimpleNamespace

import pytest

from clientbase.auth import tokens
from clientbase.core.errors import Unauthorized

KEY = "a-signing-key-of-enough-length-for-hs256-000000"


def issue(minutes: int = 5) -> str:
    return tokens.issue_access_token(
        user_id=uuid.uuid4(), organization_id=uuid.uuid4(), key=KEY, issuer="cb", minutes=minutes
    )


def test_a_verified_token_is_refused_once_it_expires(monkeypatch):
    token = issue(minutes=1)
    claims = tokens.decode_access_token(token, key=KEY, issuer="cb")
    claims["sub"] = "changed by a caller"
    again = tokens.decode_access_token(token, key=KEY, issuer="cb")
    assert again["sub"] != "changed by a caller" and again["exp"] == claims["exp"]
    later = SimpleNamespace(time=lambda: time.time() + 61)
    monkeypatch.setattr(tokens, "time", later)
    with pytest.raises(Unauthorized, match="expired"):
        tokens.decode_access_token(token, key=KEY, issuer="cb")


def test_a_verified_token_is_checked_again_under_another_key_or_issuer():
    token = issue()
    tokens.decode_access_token(token, key=KEY, issuer="cb")
    with pytest.raises(Unauthorized, match="not valid"):
        tokens.decode_access_token(token, key=KEY.replace("a", "b"), issuer="cb")
    with pytest.raises(Unauthorized, match="not valid"):
        tokens.decode_access_token(token, key=KEY, issuer="another")
