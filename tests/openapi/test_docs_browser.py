"""The API docs in a real headless Chromium with the internet cut off: every request to a
host other than 127.0.0.1 is refused (and recorded, so a page that even tries fails the test).
Scalar at `/schema` renders the operations; Swagger UI at `/schema/swagger` authorizes with a
bearer token and sends it. Screenshots go to test-artifacts/api-docs-*.png."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from tests.browser import artifact, chromium
from tests.support import Api, Stack


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Any]:
    async with chromium() as browser:
        yield browser


@dataclass
class Offline:
    """A page whose requests off this host are refused, and what it asked for."""

    page: Any
    outside: list[str] = field(default_factory=list)  # refused: anywhere but 127.0.0.1
    broken: list[str] = field(default_factory=list)  # local requests that failed or answered >= 400
    errors: list[str] = field(default_factory=list)  # uncaught script errors


@pytest.fixture
async def offline(browser: Any) -> AsyncIterator[Offline]:
    context = await browser.new_context(viewport={"width": 1366, "height": 900}, locale="vi-VN")
    page = await context.new_page()
    seen = Offline(page)

    async def only_here(route: Any) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            await route.continue_()
        else:
            seen.outside.append(route.request.url)
            await route.abort("internetdisconnected")

    async def on_response(response: Any) -> None:
        if response.status >= 400:
            seen.broken.append(f"{response.status} {response.url}")

    await context.route("**/*", only_here)
    page.on("response", on_response)
    page.on(
        "requestfailed",
        lambda request: seen.broken.append(f"failed {request.url}") if "127.0.0.1" in request.url else None,
    )
    page.on("pageerror", lambda error: seen.errors.append(str(error)))
    try:
        yield seen
    finally:
        await context.close()


async def test_scalar_renders_the_operations_offline(offline: Offline, stack: Stack) -> None:
    page = offline.page
    base = stack.url("units")
    resp = await page.goto(base + "/schema")
    assert resp.status == 200
    # Operation summaries, drawn by the script: proof it loaded and read /schema/openapi.json.
    summaries = await _summaries(base)
    await page.get_by_text(summaries["GET /auth/me"]).first.wait_for(state="visible", timeout=30_000)
    await page.get_by_text(summaries["GET /auth/keys"]).first.wait_for(state="visible")
    assert await page.title() == "thidua – units"
    await page.get_by_text("Auth Required").first.wait_for(state="visible")

    # The bearer scheme's field is there at once; a token typed in goes with the guarded calls only.
    await page.get_by_label("Bearer Token").fill("a-token-typed-in")
    guarded = f"curl {base}/auth/me \\\n  --header 'Authorization: Bearer a-token-typed-in'"
    public = f"curl {base}/auth/keys\n"  # no header
    for summary, example in ((summaries["GET /auth/keys"], public), (summaries["GET /auth/me"], guarded)):
        await page.get_by_text(summary).first.click()  # the sidebar's entry: Scalar draws the section
        await page.wait_for_function("text => document.body.innerText.includes(text)", arg=example, timeout=10_000)
    await page.wait_for_load_state("networkidle")
    await page.screenshot(path=str(artifact("api-docs-scalar.png")))
    assert offline.outside == []  # no font, proxy, telemetry or CDN request was even tried
    assert offline.broken == [] and offline.errors == []


async def test_swagger_authorizes_and_sends_the_token_offline(offline: Offline, stack: Stack, admin: Api) -> None:
    page = offline.page
    resp = await page.goto(stack.url("units") + "/schema/swagger")
    assert resp.status == 200
    authorize = page.locator("button.authorize").first
    await authorize.wait_for(state="visible", timeout=30_000)
    assert (await authorize.inner_text()).strip() == "Authorize"
    summaries = await _summaries(stack.url("units"))
    await page.get_by_text(summaries["POST /units"]).first.wait_for(state="visible")
    await page.screenshot(path=str(artifact("api-docs-swagger.png")))
    # A padlock on the guarded calls only.
    operation = page.locator(".opblock-get", has=page.locator("[data-path='/auth/me']"))
    public = page.locator(".opblock-get", has=page.locator("[data-path='/auth/keys']"))
    assert await operation.locator(".authorization__btn").count() == 1
    assert await public.locator(".authorization__btn").count() == 0

    # "Authorize" offers the bearer scheme; the token typed there is sent with the guarded calls.
    await authorize.click()
    dialog = page.locator(".modal-ux")
    await dialog.wait_for(state="visible")
    assert "bearerAuth" in await dialog.inner_text()
    assert admin.token is not None
    await dialog.locator("input").first.fill(admin.token)
    await dialog.locator("button.modal-btn.auth.authorize").click()
    await dialog.locator("button.modal-btn.auth", has_text="Logout").wait_for(state="visible")
    await dialog.locator("button.btn-done").click()

    await operation.locator(".opblock-summary").first.click()
    await operation.locator("button.try-out__btn").click()
    await operation.locator("button.execute").click()
    status = operation.locator(".live-responses-table .response .response-col_status").first
    await status.wait_for(state="visible", timeout=15_000)
    assert (await status.inner_text()).strip() == "200"
    assert '"username": "admin"' in await operation.locator(".live-responses-table .microlight").first.inner_text()
    assert offline.outside == []
    assert offline.broken == [] and offline.errors == []


async def _summaries(base: str) -> dict[str, str]:
    """Each operation's summary (`METHOD /path`), as the schema the pages render has them."""
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        schema = (await client.get("/schema/openapi.json")).json()
    return {
        f"{method.upper()} {path}": operation["summary"]
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if isinstance(operation, dict) and "summary" in operation
    }
