"""The session cookie (the API's own JWT) and CSRF tokens bound to it."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from fastapi import Request, Response

from clientbase.config import Settings

SESSION_COOKIE = "cb_session"
# Before sign-in there is no session; a random pre-session cookie anchors the login form's token.
LOGIN_COOKIE = "cb_login"
FLASH_COOKIE = "cb_flash"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def settings_of(request: Request) -> Settings:
    return request.app.state.settings


def csrf_seed(request: Request) -> str | None:
    return request.cookies.get(SESSION_COOKIE) or request.cookies.get(LOGIN_COOKIE)


def csrf_token_for(settings: Settings, seed: str) -> str:
    key = settings.signing_key().encode()
    return hmac.new(key, b"csrf|" + seed.encode(), hashlib.sha256).hexdigest()


def csrf_token(request: Request) -> str:
    seed = csrf_seed(request) or getattr(request.state, "new_login_seed", None)
    return csrf_token_for(settings_of(request), seed) if seed else ""


async def csrf_valid(request: Request) -> bool:
    seed = csrf_seed(request)
    if not seed:
        return False
    sent = request.headers.get(CSRF_HEADER)
    if not sent:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    return bool(sent) and hmac.compare_digest(sent, csrf_token_for(settings_of(request), seed))


def new_login_seed(request: Request) -> str:
    """Called by the login page when the browser has no cookie to bind a token to yet."""
    seed = secrets.token_urlsafe(24)
    request.state.new_login_seed = seed
    return seed


def _cookie(request: Request, response: Response, name: str, value: str, max_age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )


def set_login_cookie(request: Request, response: Response, seed: str) -> None:
    _cookie(request, response, LOGIN_COOKIE, seed, 60 * 60)


def start_session(request: Request, response: Response, token: str, max_age: int) -> None:
    _cookie(request, response, SESSION_COOKIE, token, max_age)
    response.delete_cookie(LOGIN_COOKIE, path="/")


def end_session(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/")


def set_flash(request: Request, response: Response, message: str) -> None:
    _cookie(request, response, FLASH_COOKIE, message.encode().hex(), 120)


def pop_flash(request: Request, response: Response) -> None:
    if FLASH_COOKIE in request.cookies:
        response.delete_cookie(FLASH_COOKIE, path="/")


def read_flash(request: Request) -> str | None:
    raw = request.cookies.get(FLASH_COOKIE)
    if not raw:
        return None
    try:
        return bytes.fromhex(raw).decode()
    except ValueError:
        return None


def safe_next(target: str | None, default: str = "/") -> str:
    """Only same-site paths: `//evil` and `/\\evil` are other hosts to a browser."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return default
    return target
