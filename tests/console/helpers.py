"""What the console tests share: a browser page signed in as someone, and a plain HTTP client of the
console that signs in through its form (for what a browser would not send: a form without its token)."""

from __future__ import annotations

import re
from typing import Any

import httpx

from .conftest import Account, World

CSRF = re.compile(r'name="_csrf_token" value="([^"]*)"')


async def new_page(browser: Any, *, width: int = 1280, height: int = 900) -> tuple[Any, Any]:
    """A fresh browser context (its own cookies) with JavaScript off, and a page in it."""
    context = await browser.new_context(
        java_script_enabled=False, viewport={"width": width, "height": height}, locale="vi-VN"
    )
    return context, await context.new_page()


async def sign_in(page: Any, world: World, who: Account) -> None:
    await page.goto(world.console + "/login")
    await page.get_by_label("Tên đăng nhập", exact=True).fill(who.username)
    await page.get_by_label("Mật khẩu", exact=True).fill(who.password)
    await page.get_by_role("button", name="Đăng nhập").click()
    await page.wait_for_load_state()
    assert "/login" not in page.url, await page.content()


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


class ConsoleClient:
    """The console over plain HTTP, with a cookie jar, as one user."""

    def __init__(self, world: World) -> None:
        self.http = httpx.AsyncClient(base_url=world.console, timeout=30, follow_redirects=False)

    async def aclose(self) -> None:
        await self.http.aclose()

    async def sign_in(self, who: Account) -> httpx.Response:
        page = await self.http.get("/login")
        resp = await self.http.post(
            "/login", data={"_csrf_token": csrf_of(page.text), "username": who.username, "password": who.password}
        )
        assert resp.status_code == 303, resp.text
        return resp

    async def token_on(self, path: str) -> str:
        """The CSRF token of the forms on the page at `path`."""
        resp = await self.http.get(path)
        assert resp.status_code == 200, (path, resp.status_code)
        return csrf_of(resp.text)

    async def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return await self.http.get(path, **kwargs)

    async def post(self, path: str, data: dict[str, Any] | None = None, **kwargs: Any) -> httpx.Response:
        return await self.http.post(path, data=data, **kwargs)


def service_calls(resp: httpx.Response) -> int:
    """How many service calls the console says the page made (its Server-Timing header)."""
    found = re.search(r'services;dur=[\d.]+;desc="(\d+) calls"', resp.headers.get("server-timing", ""))
    assert found, resp.headers
    return int(found.group(1))
