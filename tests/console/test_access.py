"""Who sees what in the console: an officer never sees another district's nominations (not in the list,
not by link, not by id); each role meets the 403 page on the pages it may not use; unknown pages are the
404 page; signing in, out, and what an old cookie is worth after."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.async_api import expect

from tests.awards.helpers import nominate
from tests.browser import artifact

from .conftest import World
from .helpers import ConsoleClient, csrf_of, new_page, sign_in

SECRET_RECORD = "Hoàn thành xuất sắc nhiệm vụ năm 2025"  # what nomination_body writes


@pytest.fixture(scope="module")
async def nomination_a(world: World) -> dict:
    """A nomination of district A (Phạm Văn Bình, collective-free: the individual category)."""
    return await nominate(world.officer_a.api, world.individual["id"], person_id=world.people["Phạm Văn Bình"]["id"])


async def test_an_officer_never_sees_another_districts_nominations(
    browser: Any, world: World, nomination_a: dict
) -> None:
    context, page = await new_page(browser)
    try:
        await sign_in(page, world, world.officer_b)
        # Not in the list, whatever the filter.
        await page.goto(world.console + f"/nominations?campaign_id={world.campaign['id']}")
        assert "Phạm Văn Bình" not in await page.content()
        await expect(page.locator(".empty")).to_be_visible()
        # Not by link or by id: the 403 page, and nothing of the nomination.
        resp = await page.goto(world.console + f"/nominations/{nomination_a['id']}")
        assert resp.status == 403
        await expect(page.get_by_role("heading", name="Không được phép")).to_be_visible()
        html = await page.content()
        assert "Phạm Văn Bình" not in html and SECRET_RECORD not in html and "Đảng ủy xã Hàm Đức" not in html
        await page.screenshot(path=str(artifact("console-403.png")))
        # Nor act on it, with its own session's token: the awards service refuses, the page shows nothing.
        token = csrf_of(html)
        withdraw = await page.request.post(
            world.console + f"/nominations/{nomination_a['id']}/withdraw", form={"_csrf_token": token}
        )
        assert withdraw.status == 403 and "Phạm Văn Bình" not in await withdraw.text()
        # An id that does not exist at all: the 404 page.
        resp = await page.goto(world.console + "/nominations/00000000-0000-4000-8000-000000000000")
        assert resp.status == 404
        await expect(page.get_by_role("heading", name="Không tìm thấy")).to_be_visible()
    finally:
        await context.close()
    status = (await world.officer_a.api.awards.get(f"/nominations/{nomination_a['id']}")).json()["status"]
    assert status == "submitted"


async def test_the_officer_of_the_district_sees_it(world: World, nomination_a: dict) -> None:
    client = ConsoleClient(world)
    try:
        await client.sign_in(world.officer_a)
        listed = await client.get("/nominations", params={"campaign_id": world.campaign["id"], "status": "submitted"})
        assert listed.status_code == 200 and "Phạm Văn Bình" in listed.text
        page = await client.get(f"/nominations/{nomination_a['id']}")
        assert page.status_code == 200 and "Phạm Văn Bình" in page.text and "Đã gửi" in page.text
        assert "Rút đề nghị" in page.text and "Không đồng ý" not in page.text  # an officer does not vote
    finally:
        await client.aclose()


@pytest.mark.parametrize(
    ("who", "path"),
    [
        ("officer_a", "/review"),
        ("officer_a", "/decisions/new"),
        ("officer_a", "/decisions"),
        ("committee", "/nominations/new"),
    ],
)
async def test_pages_a_role_may_not_use_are_the_403_page(world: World, who: str, path: str) -> None:
    client = ConsoleClient(world)
    try:
        await client.sign_in(world.officer_a if who == "officer_a" else world.committee[1])
        resp = await client.get(path)
        assert resp.status_code == 403
        assert "Không được phép" in resp.text and "Traceback" not in resp.text
        assert resp.headers["content-type"].startswith("text/html")
    finally:
        await client.aclose()


async def test_a_committee_member_may_not_withdraw_or_nominate(world: World, nomination_a: dict) -> None:
    client = ConsoleClient(world)
    try:
        await client.sign_in(world.committee[1])
        token = await client.token_on(f"/nominations/{nomination_a['id']}")
        resp = await client.post(f"/nominations/{nomination_a['id']}/withdraw", {"_csrf_token": token})
        assert resp.status_code == 403
        resp = await client.post("/nominations/new", {"_csrf_token": token, "category_id": world.individual["id"]})
        assert resp.status_code == 403
    finally:
        await client.aclose()
    status = (await world.officer_a.api.awards.get(f"/nominations/{nomination_a['id']}")).json()["status"]
    assert status == "submitted"


@pytest.mark.parametrize("path", ["/khong-co", "/nominations/not-a-uuid", "/decisions/123", "/static/../service.py"])
async def test_unknown_pages_are_the_404_page(world: World, path: str) -> None:
    client = ConsoleClient(world)
    try:
        await client.sign_in(world.officer_a)
        resp = await client.get(path)
        assert resp.status_code == 404
        assert "Không tìm thấy" in resp.text and resp.headers["content-type"].startswith("text/html")
        assert "SERVICE" not in resp.text
    finally:
        await client.aclose()


async def test_bad_credentials_say_so_and_keep_the_username(browser: Any, world: World) -> None:
    context, page = await new_page(browser)
    try:
        await page.goto(world.console + "/login")
        await page.get_by_label("Tên đăng nhập", exact=True).fill(world.officer_a.username)
        await page.get_by_label("Mật khẩu", exact=True).fill("not-the-password")
        await page.get_by_role("button", name="Đăng nhập").click()
        await expect(page.get_by_role("alert")).to_have_text("Sai tên đăng nhập hoặc mật khẩu")
        assert await page.get_by_label("Tên đăng nhập", exact=True).input_value() == world.officer_a.username
        assert await page.get_by_label("Mật khẩu", exact=True).input_value() == ""
        await page.screenshot(path=str(artifact("console-login-refused.png")))
        # The same message for a user who does not exist: the page does not tell which is wrong.
        await page.get_by_label("Tên đăng nhập", exact=True).fill("khong-ai-ca")
        await page.get_by_label("Mật khẩu", exact=True).fill("not-the-password")
        await page.get_by_role("button", name="Đăng nhập").click()
        await expect(page.get_by_role("alert")).to_have_text("Sai tên đăng nhập hoặc mật khẩu")
    finally:
        await context.close()


async def test_a_page_asked_for_before_signing_in_is_shown_after(browser: Any, world: World) -> None:
    context, page = await new_page(browser)
    try:
        await page.goto(world.console + f"/nominations?campaign_id={world.campaign['id']}")
        assert "/login?next=" in page.url
        await page.get_by_label("Tên đăng nhập", exact=True).fill(world.officer_a.username)
        await page.get_by_label("Mật khẩu", exact=True).fill(world.officer_a.password)
        await page.get_by_role("button", name="Đăng nhập").click()
        await expect(page.get_by_role("heading", name="Hồ sơ đề nghị")).to_be_visible()
        assert page.url.endswith(f"/nominations?campaign_id={world.campaign['id']}")
    finally:
        await context.close()


async def test_next_never_leads_off_the_site(world: World) -> None:
    client = ConsoleClient(world)
    try:
        page = await client.get("/login", params={"next": "//evil.example/x"})
        token = re.search(r'name="_csrf_token" value="([^"]*)"', page.text)
        assert token
        for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example", "javascript:alert(1)"):
            resp = await client.post(
                "/login",
                {
                    "_csrf_token": token.group(1),
                    "username": world.officer_a.username,
                    "password": world.officer_a.password,
                    "next": target,
                },
            )
            assert resp.status_code == 303 and resp.headers["location"] == "/nominations", target
            await client.post("/logout", {"_csrf_token": await client.token_on("/nominations")})
            page = await client.get("/login")
            token = re.search(r'name="_csrf_token" value="([^"]*)"', page.text)
            assert token
    finally:
        await client.aclose()


async def test_signing_out_ends_the_session_on_the_server(browser: Any, world: World) -> None:
    context, page = await new_page(browser)
    try:
        await sign_in(page, world, world.officer_a)
        cookies = await context.cookies()
        [session] = [c for c in cookies if c["name"] == "thidua_session"]
        assert session["httpOnly"] and session["sameSite"] == "Lax" and not session["secure"]
        await page.get_by_role("button", name="Đăng xuất").click()
        await expect(page.get_by_role("status")).to_have_text("Bạn đã đăng xuất.")
        assert "/login" in page.url
    finally:
        await context.close()
    # A copy of the old cookie signs no one in.
    copy, page = await new_page(browser)
    try:
        await copy.add_cookies([{k: session[k] for k in ("name", "value", "domain", "path")}])
        await page.goto(world.console + "/nominations")
        assert "/login" in page.url
        await expect(page.get_by_role("button", name="Đăng nhập")).to_be_visible()
    finally:
        await copy.close()
