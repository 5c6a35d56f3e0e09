"""The console's sessions: kept on the server, refreshed past one access token, ended by the idle limit
and at once when the account is locked; its password page; its cookie flags and security headers."""

from __future__ import annotations

import re
import uuid
from typing import Any

import asyncpg
from playwright.async_api import expect

from tests.support import Api, eventually

from .conftest import Account, World, account
from .helpers import ConsoleClient, csrf_of, new_page, sign_in


async def console_db(world: World) -> asyncpg.Connection:
    return await asyncpg.connect(world.stack.db_url("console"))


async def session_row(world: World, username: str) -> asyncpg.Record | None:
    conn = await console_db(world)
    try:
        return await conn.fetchrow("SELECT * FROM sessions WHERE username = $1", username)
    finally:
        await conn.close()


async def blocked_in_console(world: World, account_id: str) -> bool:
    conn = await console_db(world)
    try:
        return bool(
            await conn.fetchval("SELECT disabled FROM account_blocks WHERE account_id = $1", uuid.UUID(account_id))
        )
    finally:
        await conn.close()


async def fresh_officer(world: World) -> Account:
    return await account(world.admin, "officer", world.district_a["id"])


async def test_a_session_outlives_its_access_token(world: World) -> None:
    officer = await fresh_officer(world)
    client = ConsoleClient(world)
    try:
        await client.sign_in(officer)
        before = await session_row(world, officer.username)
        assert before is not None and before["refresh_token"]
        # The access token runs out: the next page refreshes it (one call to the units service) and shows.
        conn = await console_db(world)
        try:
            await conn.execute(
                "UPDATE sessions SET access_expires_at = now() - interval '1 second' WHERE username = $1",
                officer.username,
            )
        finally:
            await conn.close()
        resp = await client.get("/nominations")
        assert resp.status_code == 200 and "Hồ sơ đề nghị" in resp.text
        after = await session_row(world, officer.username)
        assert after is not None
        assert after["access_token"] != before["access_token"] and after["refresh_token"] != before["refresh_token"]
        assert after["access_expires_at"] > before["access_expires_at"]
        # The old refresh token was used once, by the console: presented again it is refused.
        reused = await world.admin.units.post("/auth/refresh", json={"refresh_token": before["refresh_token"]})
        assert reused.status_code == 401
    finally:
        await client.aclose()
        await officer.api.aclose()


async def test_a_refused_refresh_ends_the_session(world: World) -> None:
    officer = await fresh_officer(world)
    client = ConsoleClient(world)
    try:
        await client.sign_in(officer)
        conn = await console_db(world)
        try:
            await conn.execute(
                """UPDATE sessions SET access_expires_at = now() - interval '1 second', refresh_token = 'forged'
                   WHERE username = $1""",
                officer.username,
            )
        finally:
            await conn.close()
        resp = await client.get("/nominations")
        assert resp.status_code == 303 and resp.headers["location"].startswith("/login?next=%2Fnominations")
        assert await session_row(world, officer.username) is None
    finally:
        await client.aclose()
        await officer.api.aclose()


async def test_the_idle_limit_ends_a_session(world: World) -> None:
    officer = await fresh_officer(world)
    client = ConsoleClient(world)
    try:
        await client.sign_in(officer)
        conn = await console_db(world)
        try:
            await conn.execute(
                "UPDATE sessions SET last_seen_at = now() - interval '31 minutes' WHERE username = $1",
                officer.username,
            )
        finally:
            await conn.close()
        resp = await client.get("/nominations")
        assert resp.status_code == 303 and "ended=ended" in resp.headers["location"]
        assert await session_row(world, officer.username) is None
        page = await client.get(resp.headers["location"])
        assert "Phiên làm việc đã kết thúc" in page.text
    finally:
        await client.aclose()
        await officer.api.aclose()


async def test_a_locked_accounts_open_session_ends_at_its_next_click(browser: Any, world: World) -> None:
    officer = await fresh_officer(world)
    me = (await officer.api.units.get("/auth/me")).json()
    context, page = await new_page(browser)
    try:
        await sign_in(page, world, officer)
        await expect(page.get_by_role("heading", name="Hồ sơ đề nghị")).to_be_visible()
        locked = await world.admin.units.patch(f"/accounts/{me['id']}", json={"disabled": True})
        assert locked.status_code == 200, locked.text
        # The console learns it from the units service's event (as every service does, within a second)...
        await eventually(lambda: blocked_in_console(world, me["id"]), timeout=5)
        await page.wait_for_timeout(300)  # the row's NOTIFY reloads each console process's set just after
        # ...and the next click ends the session, even on a page that calls no service with the user's token.
        await page.get_by_role("link", name="Đề nghị mới").first.click()
        assert "/login" in page.url
        await expect(page.get_by_role("status")).to_have_text(
            "Tài khoản của bạn đã bị khóa; phiên làm việc đã kết thúc."
        )
        assert await session_row(world, officer.username) is None
        # Nor can it sign in again.
        await page.get_by_label("Tên đăng nhập", exact=True).fill(officer.username)
        await page.get_by_label("Mật khẩu", exact=True).fill(officer.password)
        await page.get_by_role("button", name="Đăng nhập").click()
        await expect(page.get_by_role("alert")).to_contain_text("đã bị khóa")
    finally:
        await context.close()
        await officer.api.aclose()


async def test_changing_ones_password(browser: Any, world: World) -> None:
    officer = await fresh_officer(world)
    context, page = await new_page(browser)
    try:
        await sign_in(page, world, officer)
        await page.get_by_role("link", name="Đổi mật khẩu").click()
        # A wrong current password: the units service's refusal, next to that field.
        await page.get_by_label("Mật khẩu hiện tại", exact=True).fill("not-my-password")
        await page.get_by_label("Mật khẩu mới", exact=True).fill("mat-khau-moi-2025")
        await page.get_by_role("button", name="Lưu").click()
        field = page.locator(".field", has=page.get_by_label("Mật khẩu hiện tại", exact=True))
        await expect(field.locator(".field-error")).to_be_visible()
        # The right one: changed, and this session goes on.
        await page.get_by_label("Mật khẩu hiện tại", exact=True).fill(officer.password)
        await page.get_by_label("Mật khẩu mới", exact=True).fill("mat-khau-moi-2025")
        await page.get_by_role("button", name="Lưu").click()
        await expect(page.get_by_role("status")).to_contain_text("Đã đổi mật khẩu")
        await page.get_by_role("link", name="Hồ sơ đề nghị").first.click()
        await expect(page.get_by_role("heading", name="Hồ sơ đề nghị")).to_be_visible()
    finally:
        await context.close()
    await (await Api.login(world.stack, officer.username, "mat-khau-moi-2025")).aclose()
    old = await world.admin.units.post("/auth/token", json={"username": officer.username, "password": officer.password})
    assert old.status_code == 401
    await officer.api.aclose()


async def test_cookie_flags_and_security_headers(world: World) -> None:
    client, behind_https = ConsoleClient(world), ConsoleClient(world)
    try:
        login = await client.get("/login")
        csp = login.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
        assert login.headers["x-content-type-options"] == "nosniff"
        assert "HttpOnly" in login.headers["set-cookie"] and "SameSite=lax" in login.headers["set-cookie"]
        # The one style sheet, from the console itself, named by its content so browsers may keep it.
        style = re.search(r'<link rel="stylesheet" href="(/static/console\.css\?v=[0-9a-f]{12})">', login.text)
        assert style
        css = await client.get(style.group(1))
        assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
        assert "max-age=31536000" in css.headers["cache-control"]
        signed_in = await client.sign_in(world.officer_a)
        cookie = signed_in.headers["set-cookie"]
        assert "thidua_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
        assert "Secure" not in cookie  # plain HTTP here: a Secure cookie would never come back
        for path in ("/nominations", "/nominations/new", "/password"):
            page = await client.get(path)
            assert page.status_code == 200
            assert page.headers["content-security-policy"] == csp
            assert page.headers["cache-control"] == "no-store"
            # No inline script, style or event handler: the CSP would block them.
            assert "<script" not in page.text and " style=" not in page.text
            assert not re.search(r"<[^>]+\son[a-z]+=", page.text)
        # Behind a proxy that serves it over HTTPS, the cookie is Secure.
        login = await behind_https.get("/login")
        resp = await behind_https.post(
            "/login",
            {
                "_csrf_token": csrf_of(login.text),
                "username": world.officer_a.username,
                "password": world.officer_a.password,
            },
            headers={"X-Forwarded-Proto": "https"},
        )
        assert resp.status_code == 303
        cookie = resp.headers["set-cookie"]
        assert "thidua_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" in cookie
    finally:
        await client.aclose()
        await behind_https.aclose()
