"""JWT access tokens (HS256 pinned) and API key material."""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid
from datetime import timedelta
from typing import Any

import jwt

from clientbase.core.errors import Unauthorized
from clientbase.core.ttl_cache import TtlCache
from clientbase.db.base import utcnow

ALGORITHM = "HS256"
API_KEY_PREFIX = "cb_"
_verified: TtlCache[dict[str, Any]] = TtlCache(seconds=300.0, max_entries=10_000)


def issue_access_token(
    *, user_id: uuid.UUID, organization_id: uuid.UUID, key: str, issuer: str, minutes: int
) -> str:
    now = utcnow()
    claims = {
        "sub": str(user_id),
        "org": str(organization_id),
        "iss": issuer,
        "iat": now,
        "nbf": now,
        "exp": now + timedelta(minutes=minutes),
        "jti": secrets.token_hex(8),
    }
    return jwt.encode(claims, key, algorithm=ALGORITHM)


def decode_access_token(token: str, *, key: str, issuer: str) -> dict[str, Any]:
    """The token's claims. A token already verified with this key and issuer is not
    verified again until it expires (each client sends the same token for many requests;
    the check cost a tenth of a GET by id). Whether its user may still act is looked up on
    every request all the same."""
    verified = _verified.get((token, key, issuer))
    if verified is not None:
        if verified["exp"] <= time.time():
            raise Unauthorized("The access token has expired.")
        return dict(verified)
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            issuer=issuer,
            options={"require": ["sub", "org", "exp", "iat"]},
        )
    except jwt.ExpiredSignatureError as exc:
        raise Unauthorized("The access token has expired.") from exc
    except jwt.PyJWTError as exc:
        raise Unauthorized("The access token is not valid.") from exc
    _verified.put((token, key, issuer), claims)
    return dict(claims)


def new_api_key() -> tuple[str, str, str]:
    """Returns (full key shown once, display prefix, stored hash)."""
    key = API_KEY_PREFIX + secrets.token_urlsafe(32)
    return key, key[:10], hash_api_key(key)


def hash_api_key(key: str) -> str:
    # API keys carry 256 bits of entropy, so a fast hash is as safe as a slow one here.
    return hashlib.sha256(key.encode()).hexdigest()
