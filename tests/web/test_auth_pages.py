"""Sign-in, sign-out, the session cookie, CSRF and the headers every page carries."""

from __future__ import annotations

import re
import uuid

import pytest
from httpx import ASGITransport, AsyncClient

from clientbase.web.security import LOGIN_COOKIE, SESSION_COOKIE
from tests.fixtures import PASSWORD
from tests.web.conftest import page_csrf

pytestmark = pytest.mark.asyncio
PAGES = ("/", "/customers", "/customers/new", "/settings/users", "/settings/custom-fields")


@pytest.mark.parametrize("path", [*PAGES, f"/customers/{uuid.uuid4()}", "/logout"])
async def test_logged_out_pages_redirect_to_login(anonymous, path):
    response = await anonymous.get(path)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")


async def test_logged_out_htmx_request_is_told_to_go_to_login(anonymous):
    response = await anonymous.get("/customers?search=a", headers={"HX-Request": "true"})
    assert response.status_code == 204
    assert response.headers["HX-Redirect"].startswith("/login")


async def test_login_page_has_labelled_fields_and_sets_a_pre_session_cookie(anonymous):
    response = await anonymous.get("/login")
    assert response.status_code == 200
    html = response.text
    assert '<label for="f-email">Email' in html and '<label for="f-password">Password' in html
    assert ">Sign in</button>" in html
    assert LOGIN_COOKIE in response.cookies


async def _login(http, email, password, next_url="/customers"):
    page = await http.get("/login")
    data = {"email": email, "password": password, "next": next_url}
    return await http.post("/login", data={**data, "csrf_token": page_csrf(page.text)})


async def test_wrong_password_says_so_and_sets_no_session(anonymous, web_org):
    response = await _login(anonymous, web_org.users["admin"].email, "not-the-password")
    assert response.status_code == 401
    assert "Incorrect email or password." in response.text
    assert 'aria-invalid="true"' in response.text
    assert SESSION_COOKIE not in response.cookies


async def test_sign_in_sets_an_httponly_lax_cookie_and_follows_next(anonymous, web_org):
    response = await _login(anonymous, web_org.users["sales"].email, PASSWORD, "/customers?x=1")
    assert response.status_code == 303
    assert response.headers["location"] == "/customers?x=1"
    cookie = response.headers["set-cookie"]
    assert cookie.startswith(f"{SESSION_COOKIE}=")
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    page = await anonymous.get("/customers")
    assert page.status_code == 200 and "Sign out" in page.text


async def test_cookie_is_secure_over_https(app, web_org):
    transport = ASGITransport(app=app, raise_app_exceptions=False)
    async with AsyncClient(transport=transport, base_url="https://test") as http:
        response = await _login(http, web_org.users["admin"].email, PASSWORD)
    assert response.status_code == 303
    assert "Secure" in response.headers["set-cookie"]


@pytest.mark.parametrize("target", ["//evil.example/x", "https://evil.example", "/\\evil"])
async def test_next_never_leaves_the_site(anonymous, web_org, target):
    response = await _login(anonymous, web_org.users["admin"].email, PASSWORD, target)
    assert response.headers["location"] == "/"


async def test_sign_in_is_throttled_like_the_api(anonymous, web_org, settings):
    email = web_org.users["viewer"].email
    for _ in range(settings.login_max_failures):
        assert (await _login(anonymous, email, "wrong-password")).status_code == 401
    locked = await _login(anonymous, email, PASSWORD)
    assert locked.status_code == 429
    assert "Too many failed sign-ins" in locked.text


async def test_login_without_a_valid_csrf_token_is_refused(anonymous, web_org):
    await anonymous.get("/login")
    data = {"email": web_org.users["admin"].email, "password": PASSWORD}
    assert (await anonymous.post("/login", data=data)).status_code == 403
    forged = await anonymous.post("/login", data={**data, "csrf_token": "0" * 64})
    assert forged.status_code == 403
    assert "Form expired" in forged.text


async def test_logout_ends_the_session(sign_in, web_org):
    user = await sign_in(web_org)
    assert (await user.post("/logout", {"csrf_token": ""})).status_code == 403
    response = await user.post("/logout")
    assert response.status_code == 303 and response.headers["location"] == "/login"
    cleared = [c for c in response.headers.get_list("set-cookie") if c.startswith(SESSION_COOKIE)]
    assert cleared and "Max-Age=0" in cleared[0] and "Path=/" in cleared[0]


async def test_an_expired_or_forged_session_goes_to_login(anonymous):
    anonymous.cookies.set(SESSION_COOKIE, "not.a.jwt")
    response = await anonymous.get("/customers")
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


async def test_posts_without_the_session_csrf_token_are_refused(sign_in, web_org, foreign_org):
    user = await sign_in(web_org)
    other = await sign_in(foreign_org)
    body = {"type": "company", "company_name": "Forged LLP"}
    for token in (None, "", other.csrf):
        data = body if token is None else {**body, "csrf_token": token}
        response = await user.http.post("/customers/new", data=data)
        assert response.status_code == 403, token
    listing = await user.get("/customers?search=Forged")
    assert "Forged LLP" not in listing.text
    header_ok = await user.http.post(
        "/customers/new", data=body, headers={"X-CSRF-Token": user.csrf, "HX-Request": "true"}
    )
    assert header_ok.status_code == 303


async def test_pages_carry_security_headers_and_no_inline_code(sign_in, web_org):
    user = await sign_in(web_org)
    for path in PAGES:
        response = await user.get(path)
        assert response.status_code == 200, path
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert response.headers["x-frame-options"] == "DENY"
        html = response.text
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), path
        assert not re.search(r"\sstyle=|<style|\son[a-z]+=", html), path
        assert page_csrf(html) == user.csrf


async def test_every_input_has_a_label(sign_in, web_org):
    user = await sign_in(web_org)
    for path in PAGES:
        html = (await user.get(path)).text
        ids = re.findall(
            r"<(?:input|select|textarea)(?![^>]*type=\"hidden\")[^>]*\sid=\"([^\"]+)\"", html
        )
        inputs = re.findall(r"<(?:input|select|textarea)(?![^>]*type=\"hidden\")[^>]*>", html)
        assert len(ids) == len(inputs), (path, [i for i in inputs if " id=" not in i])
        for input_id in ids:
            assert f'for="{input_id}"' in html, (path, input_id)
