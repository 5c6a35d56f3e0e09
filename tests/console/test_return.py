"""Returning a nomination for completion in the console, in a real Chromium with JavaScript off: the
committee's `Trả lại` with its `Lý do`, the officer's edit of `Thành tích` (`Lưu`) and `Gửi lại`; and
a manager editing a campaign's name, dates and description on its page.

Screenshot: test-artifacts/console-returned.png.
"""

from __future__ import annotations

import uuid
from typing import Any

from playwright.async_api import expect

from tests.awards.helpers import campaign, category, nominate, person_here
from tests.browser import artifact

from .conftest import World
from .helpers import new_page, sign_in


async def test_the_committee_returns_and_the_officer_completes_and_resubmits(browser: Any, world: World) -> None:
    name = f"Đặng Thị Thu {uuid.uuid4().hex[:4]}"
    person = await person_here(world.admin, world.commune_a["id"], full_name=name, position="Phó Chủ tịch xã")
    k = await category(
        world.committee[0].api,
        world.campaign["id"],
        kind="individual",
        quota=2,
        name=f"Cá nhân xuất sắc {uuid.uuid4().hex[:4]}",
    )
    n = await nominate(world.officer_a.api, k["id"], person_id=person["id"])
    url = world.console + f"/nominations/{n['id']}"
    reason = "Bổ sung thành tích năm 2024 và xác nhận của Đảng ủy xã."

    chair_context, chair = await new_page(browser)
    try:
        await sign_in(chair, world, world.committee[1])
        await chair.goto(url)
        returning = chair.locator("form", has=chair.get_by_role("button", name="Trả lại"))
        # Without a reason: said next to its field, nothing returned.
        await returning.get_by_label("Lý do").fill("  ")
        await returning.get_by_role("button", name="Trả lại").click()
        await expect(chair.locator("#return_reason-error")).to_have_text("Nhập lý do trả lại.")
        await expect(chair.locator("#trang-thai")).to_have_text("Đã gửi")
        returning = chair.locator("form", has=chair.get_by_role("button", name="Trả lại"))
        await returning.get_by_label("Lý do").fill(reason)
        await returning.get_by_role("button", name="Trả lại").click()
        await expect(chair.locator(".notice")).to_have_text("Đã trả lại đề nghị để đơn vị bổ sung.")
        await expect(chair.locator("#trang-thai")).to_have_text("Trả lại")
        # Returned, it is not the committee's to decide until it comes back.
        for button in ("Duyệt", "Không duyệt", "Trả lại", "Đồng ý"):
            assert await chair.get_by_role("button", name=button, exact=True).count() == 0, button
        assert await chair.get_by_role("button", name="Lưu").count() == 0  # nor to edit
    finally:
        await chair_context.close()

    context, page = await new_page(browser)
    try:
        await sign_in(page, world, world.officer_a)
        await page.goto(url)
        await expect(page.locator("#trang-thai")).to_have_text("Trả lại")
        await expect(page.locator(".reason")).to_contain_text(reason)
        await expect(page.locator("table.history")).to_contain_text(reason)
        await page.screenshot(path=str(artifact("console-returned.png")), full_page=True)
        # An empty record is refused next to the field, keeping the page as it was.
        await page.get_by_label("Thành tích").fill("   ")
        await page.get_by_role("button", name="Lưu").click()
        await expect(page.locator("#achievements-error")).to_have_text("Nhập thành tích.")
        record = "Hoàn thành xuất sắc nhiệm vụ năm 2024 và 2025.\nĐược Đảng ủy xã xác nhận ngày 10/12/2025."
        await page.get_by_label("Thành tích").fill(record)
        await page.get_by_role("button", name="Lưu").click()
        await expect(page.locator(".notice")).to_have_text("Đã lưu thành tích.")
        await expect(page.locator("p.record")).to_have_text(record)
        await expect(page.locator("#trang-thai")).to_have_text("Trả lại")
        await page.get_by_role("button", name="Gửi lại").click()
        await expect(page.locator(".notice")).to_have_text("Đã gửi lại đề nghị.")
        await expect(page.locator("#trang-thai")).to_have_text("Đã gửi")
        assert await page.get_by_role("button", name="Gửi lại").count() == 0
        # Submitted again, the record may still be corrected until the committee decides.
        await expect(page.get_by_label("Thành tích")).to_have_value(record)
        history = page.locator("table.history tbody tr")
        await expect(history).to_have_count(4)
        await expect(history.nth(1)).to_contain_text("Trả lại")
        await expect(history.nth(2)).to_contain_text("Sửa thành tích")
        # Each version is kept: the edit's row shows the record as it was before.
        await expect(history.nth(2).locator("details")).to_contain_text(n["achievements"])
        await expect(history.nth(3)).to_contain_text("Gửi lại")
    finally:
        await context.close()

    # Back with the committee: it votes and approves as for any submitted nomination.
    chair_context, chair = await new_page(browser)
    try:
        await sign_in(chair, world, world.committee[1])
        await chair.goto(url)
        await chair.get_by_role("button", name="Duyệt", exact=True).click()
        await expect(chair.locator("#trang-thai")).to_have_text("Đã duyệt")
    finally:
        await chair_context.close()


async def test_a_manager_edits_a_campaign_on_its_page(browser: Any, world: World) -> None:
    tag = uuid.uuid4().hex[:4]
    c = await campaign(world.committee[0].api, world.province["id"], name=f"Phong trào cũ {tag}")
    new_name = f"Phong trào “Chung sức xây dựng nông thôn mới” {tag}"
    context, page = await new_page(browser)
    try:
        await sign_in(page, world, world.committee[2])
        await page.goto(world.console + f"/campaigns/{c['id']}")
        form = page.locator("form.edit-campaign")
        # Ending before it starts: the service's reason next to the date, what was typed kept.
        await form.get_by_label("Tên phong trào").fill(new_name)
        await form.get_by_label("Ngày kết thúc").fill("2024-12-31")
        await form.get_by_role("button", name="Lưu").click()
        await expect(page.locator("#edit_ends_on-error")).to_be_visible()
        form = page.locator("form.edit-campaign")
        assert await form.get_by_label("Tên phong trào").input_value() == new_name
        await expect(page.get_by_role("heading", name=f"Phong trào cũ {tag}")).to_be_visible()
        await form.get_by_label("Ngày kết thúc").fill("2025-06-30")
        await form.get_by_label("Mô tả").fill("")
        await form.get_by_role("button", name="Lưu").click()
        await expect(page.locator(".notice")).to_have_text("Đã lưu thông tin phong trào.")
        await expect(page.get_by_role("heading", name=new_name)).to_be_visible()
        await expect(page.locator("dl.facts")).to_contain_text("30/06/2025")
        assert await page.locator("form.edit-campaign").get_by_label("Mô tả").input_value() == ""
    finally:
        await context.close()
    # An officer sees the campaign but no form to edit it.
    context, page = await new_page(browser)
    try:
        await sign_in(page, world, world.officer_a)
        await page.goto(world.console + f"/campaigns/{c['id']}")
        await expect(page.get_by_role("heading", name=new_name)).to_be_visible()
        assert await page.locator("form.edit-campaign").count() == 0
    finally:
        await context.close()
