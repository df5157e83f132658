"""/login and /logout: the API's sign-in, its token kept in an HttpOnly cookie."""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Request
from starlette.responses import RedirectResponse, Response

from clientbase.auth import service as auth_service
from clientbase.core.errors import SignInFailed, TooManyRequests
from clientbase.web.deps import WebActor, WebSession, web_router
from clientbase.web.security import (
    csrf_seed,
    end_session,
    new_login_seed,
    safe_next,
    set_flash,
    set_login_cookie,
    settings_of,
    start_session,
)
from clientbase.web.templating import render

router = web_router()


def _login_page(
    request: Request,
    *,
    email: str = "",
    next_url: str = "/",
    error: str | None = None,
    status: int = 200,
) -> Response:
    seed = None if csrf_seed(request) else new_login_seed(request)
    context = {"email": email, "next": safe_next(next_url), "error": error}
    response = render(request, "login.html", context, status=status)
    if seed:
        set_login_cookie(request, response, seed)
    return response


@router.get("/login")
async def login_page(request: Request, next: str = "/") -> Response:  # noqa: A002
    return _login_page(request, next_url=next)


@router.post("/login")
async def login(
    request: Request,
    session: WebSession,
    email: Annotated[str, Form(max_length=320)] = "",
    password: Annotated[str, Form(max_length=256)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",  # noqa: A002
) -> Response:
    try:
        result = await auth_service.sign_in(
            session, settings_of(request), login=email, password=password
        )
    except SignInFailed as exc:
        return _login_page(request, email=email, next_url=next, error=exc.detail, status=401)
    except TooManyRequests as exc:
        return _login_page(request, email=email, next_url=next, error=exc.detail, status=429)
    response = RedirectResponse(safe_next(next), status_code=303)
    start_session(request, response, result.access_token, result.expires_in)
    return response


@router.get("/logout")
async def logout_page(request: Request, actor: WebActor) -> Response:
    return render(request, "logout.html")


@router.post("/logout")
async def logout(request: Request) -> Response:
    response = RedirectResponse("/login", status_code=303)
    end_session(response)
    set_flash(request, response, "You have signed out.")
    return response
