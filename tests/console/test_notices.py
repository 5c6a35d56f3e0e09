"""The public notice in the console, in a real Chromium with JavaScript off: `Niêm yết` (what is on notice,
with its open objections), a nomination's notice and objections with their `Giải quyết` form, and the
decision form saying why a nomination on notice cannot be granted yet.

Screenshot: test-artifacts/console-objections.png.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
from playwright.async_api import expect

from services.awards.domain.calendar import window_end
from tests.awards.helpers import approve, category, nominate, person_here
from tests.browser import artifact
from tests.support import Api

from .conftest import World
from .helpers import new_page, sign_in

OBJECTOR = "Trương Văn Hải"
CONTACT = "hai.truong@example.vn"
CONTENT = "Đề nghị xem lại: thành tích năm 2024 chưa được xác nhận."


async def test_notice_objections_and_the_decision_form(browser: Any, world: World) -> None:
    name = f"Võ Thị Kim {uuid.uuid4().hex[:4]}"
    person = await person_here(world.admin, world.commune_a["id"], full_name=name, position="Phó Bí thư")
    k = await category(
        world.committee[0].api,
        world.campaign["id"],
        kind="individual",
        quota=2,
        name=f"Cá nhân niêm yết {uuid.uuid4().hex[:4]}",
        comment_working_days=5,
    )
    n = await approve(
        world.committee[0].api, (await nominate(world.officer_a.api, k["id"], person_id=person["id"]))["id"]
    )
    today = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date()
    until = window_end(today, 5).strftime("%d/%m/%Y")
    conn = await asyncpg.connect(world.stack.db_url("awards"))
    try:
        await conn.execute("DELETE FROM objection_sends")  # every test calls from 127.0.0.1
    finally:
        await conn.close()
    public = Api(world.stack)
    try:
        body = {"name": OBJECTOR, "contact": CONTACT, "content": CONTENT}
        resp = await public.awards.post(f"/notices/{n['id']}/objections", json=body)
        assert resp.status_code == 201, resp.text
    finally:
        await public.aclose()

    context, page = await new_page(browser)
    try:
        await sign_in(page, world, world.committee[0])
        # `Niêm yết`: what is on notice, with its open objections.
        await page.get_by_role("link", name="Niêm yết", exact=True).click()
        await page.wait_for_load_state()
        row = page.locator("table.notices tr", has=page.get_by_role("link", name=name))
        await expect(row).to_contain_text(until)
        await expect(row.locator(".open-objections")).to_have_text("1")
        await row.get_by_role("link", name=name).click()
        await page.wait_for_load_state()
        # The nomination's page: its notice, the objection with the objector's name and contact, and the form.
        await expect(page.locator("#niem-yet-den")).to_have_text(f"Niêm yết đến ngày {until}")
        section = page.locator("#phan-anh")
        for text in (OBJECTOR, CONTACT, CONTENT, "Chưa giải quyết"):
            await expect(section).to_contain_text(text)
        await page.screenshot(path=str(artifact("console-objections.png")), full_page=True)
        # A blank resolution is refused next to its field.
        await section.get_by_label("Kết quả giải quyết").fill("   ")
        await section.get_by_role("button", name="Giải quyết").click()
        await page.wait_for_load_state()
        await expect(page.locator("#phan-anh .field-error")).to_have_text("Nhập kết quả giải quyết.")

        # The decision form says why it cannot be granted yet: the service's reason, by its checkbox.
        await page.goto(world.console + f"/decisions/new?campaign_id={world.campaign['id']}")
        await page.get_by_label("Số quyết định").fill(f"{uuid.uuid4().hex[:5]}/QĐ-UBND")
        await page.get_by_label("Ngày ký").fill("2026-12-20")
        await page.get_by_label("Người ký").fill("Chủ tịch UBND tỉnh")
        await page.get_by_label(name).check()
        await page.get_by_role("button", name="Ban hành").click()
        await page.wait_for_load_state()
        await expect(page.locator(".alert")).to_contain_text("public notice")
        await expect(page.locator(".choice", has_text=name).locator(".field-error")).to_contain_text(
            f"on public notice until {until}"
        )

        # Resolved from the nomination's page.
        await page.goto(world.console + f"/nominations/{n['id']}")
        section = page.locator("#phan-anh")
        await section.get_by_label("Kết quả giải quyết").fill("Đã xác minh: Đảng ủy xã xác nhận thành tích.")
        await section.get_by_role("button", name="Giải quyết").click()
        await page.wait_for_load_state()
        await expect(page.locator("#phan-anh")).to_contain_text("Đã giải quyết")
        await expect(page.locator("#phan-anh")).to_contain_text("Đảng ủy xã xác nhận thành tích")
        assert await page.get_by_role("button", name="Giải quyết").count() == 0
    finally:
        await context.close()

    # An officer sees neither the notice page nor the objectors.
    context, page = await new_page(browser)
    try:
        await sign_in(page, world, world.officer_a)
        assert await page.get_by_role("link", name="Niêm yết", exact=True).count() == 0
        resp = await page.goto(world.console + "/notices")
        assert resp is not None and resp.status == 403
        await page.goto(world.console + f"/nominations/{n['id']}")
        content = await page.content()
        assert OBJECTOR not in content and CONTACT not in content and "Niêm yết đến" not in content
    finally:
        await context.close()
