"""Issue 9's whole journey through the console only, in a real Chromium with JavaScript off.

An officer signs in and submits a nomination for a person found by an
accent-free search, and sees it `Đã gửi`; three committee members vote, one
approves, the decision is issued; the public honour roll shows the name; the
officer's page shows `Đã khen thưởng`. Screenshots of the main pages go to
test-artifacts/console-*.png.
"""

from __future__ import annotations

import re
import time
from typing import Any

from playwright.async_api import expect

from tests.browser import artifact

from .conftest import World
from .helpers import new_page, sign_in

NOMINEE = "Nguyễn Thị Ánh"
RECORD = (
    "Lãnh đạo Đảng bộ xã hoàn thành xuất sắc nhiệm vụ năm 2025.\n"
    "Vận động nhân dân hiến 12.000 m² đất làm đường giao thông nông thôn."
)


async def test_from_nomination_to_the_honour_roll(browser: Any, world: World) -> None:
    context, page = await new_page(browser)
    try:
        # The officer signs in: the sign-in page, then their nominations.
        await page.goto(world.console + "/")
        assert page.url.endswith("/login")
        await page.screenshot(path=str(artifact("console-login.png")))
        await sign_in(page, world, world.officer_a)
        await expect(page.get_by_role("heading", name="Hồ sơ đề nghị")).to_be_visible()

        # A new nomination: the campaign, its category, then the nominee found without diacritics.
        await page.get_by_role("link", name="Đề nghị mới").first.click()
        await page.get_by_label("Phong trào").select_option(world.campaign["id"])
        await page.get_by_role("button", name="Chọn").click()
        await page.get_by_label("Danh hiệu, hình thức").select_option(world.individual["id"])
        await page.get_by_role("button", name="Chọn").click()
        await page.get_by_label("Tìm đối tượng").fill("nguyen thi anh")
        await page.get_by_role("button", name="Tìm").click()
        nominee = page.get_by_label("Đối tượng được đề nghị")
        options = await nominee.locator("option").all_inner_texts()
        assert [o for o in options if not o.startswith("—")] == [f"{NOMINEE} – Bí thư Đảng ủy xã, Đảng ủy xã Hàm Đức"]
        # What was chosen is kept by the search.
        assert await page.get_by_label("Phong trào").input_value() == world.campaign["id"]
        assert await page.get_by_label("Danh hiệu, hình thức").input_value() == world.individual["id"]
        await nominee.select_option(label=options[1])
        await page.get_by_label("Thành tích").fill(RECORD)
        await page.screenshot(path=str(artifact("console-nomination-new.png")), full_page=True)
        await page.get_by_role("button", name="Gửi đề nghị").click()

        # The nomination's page: submitted, with its record and history.
        await expect(page.locator("#trang-thai")).to_have_text("Đã gửi")
        await expect(page.get_by_role("heading", name=NOMINEE)).to_be_visible()
        assert "12.000 m²" in await page.locator(".record").inner_text()
        nomination_url = page.url.split("?")[0]
        nomination_id = nomination_url.rsplit("/", 1)[1]
        assert await page.get_by_role("button", name="Rút đề nghị").count() == 1
        await page.screenshot(path=str(artifact("console-nomination-submitted.png")), full_page=True)

        # Three committee members find it in the review queue and vote.
        for i, member in enumerate(world.committee):
            member_context, member_page = await new_page(browser)
            try:
                await sign_in(member_page, world, member)
                await member_page.get_by_role("link", name="Xét duyệt").first.click()
                await member_page.get_by_label("Phong trào").select_option(world.campaign["id"])
                await member_page.get_by_role("button", name="Xem").click()
                category = member_page.locator(".category", has_text="Cá nhân tiêu biểu")
                await expect(category.locator(".quota")).to_have_text(re.compile(r"^đã duyệt \d+/5$"))
                if i == 0:
                    await member_page.screenshot(path=str(artifact("console-review.png")), full_page=True)
                await category.get_by_role("link", name=NOMINEE).click()
                await expect(member_page.locator("#trang-thai")).to_have_text("Đã gửi")
                await member_page.get_by_label("Nhận xét").fill(f"Ý kiến của thành viên {i + 1}: xứng đáng.")
                await member_page.get_by_role("button", name="Đồng ý", exact=True).click()
                await expect(member_page.locator(".notice")).to_have_text("Đã ghi nhận ý kiến của bạn.")
                await expect(member_page.locator(".tally .yes")).to_have_text(f"Đồng ý: {i + 1}")
            finally:
                await member_context.close()

        # The chair approves, then issues the decision.
        chair_context, chair = await new_page(browser)
        try:
            await sign_in(chair, world, world.committee[0])
            await chair.goto(world.console + f"/nominations/{nomination_id}")
            assert len(await chair.locator("ul.votes li").all()) == 3
            await chair.screenshot(path=str(artifact("console-nomination-review.png")), full_page=True)
            await chair.get_by_role("button", name="Duyệt", exact=True).click()
            await expect(chair.locator("#trang-thai")).to_have_text("Đã duyệt")
            await expect(chair.locator(".notice")).to_have_text("Đã duyệt đề nghị.")

            await chair.get_by_role("link", name="Quyết định").first.click()
            await chair.get_by_role("link", name="Ra quyết định").click()
            await chair.get_by_label("Lọc theo phong trào").select_option(world.campaign["id"])
            await chair.get_by_role("button", name="Xem").click()
            number = f"{int(time.time()) % 100000}/QĐ-UBND"
            await chair.get_by_label("Số quyết định").fill(number)
            await chair.get_by_label("Ngày ký").fill("2025-12-20")
            await chair.get_by_label("Người ký").fill("Chủ tịch UBND tỉnh")
            await chair.get_by_label(NOMINEE).check()
            await chair.screenshot(path=str(artifact("console-decision-new.png")), full_page=True)
            await chair.get_by_role("button", name="Ban hành").click()
            await expect(chair.get_by_role("heading", name=f"Quyết định số {number}")).to_be_visible()
            await expect(chair.locator("table.awards")).to_contain_text(NOMINEE)
        finally:
            await chair_context.close()

        # The public honour roll (the events service's page) shows the name once the grant has crossed NATS.
        roll = f"{world.stack.url('events')}/?campaign_id={world.campaign['id']}&q=nguyen+thi+anh"
        deadline = time.monotonic() + 10
        while True:
            await page.goto(roll)
            names = await page.locator("table.roll tbody .name").all_inner_texts()
            if names or time.monotonic() > deadline:
                break
            await page.wait_for_timeout(200)
        assert names == [NOMINEE]

        # And the officer's page says it was granted.
        await page.goto(nomination_url)
        await expect(page.locator("#trang-thai")).to_have_text("Đã khen thưởng")
        assert await page.get_by_role("button", name="Rút đề nghị").count() == 0
        await page.goto(world.console + f"/nominations?campaign_id={world.campaign['id']}")
        row = page.locator("table.nominations tbody tr", has_text=NOMINEE)
        await expect(row.locator(".status")).to_have_text("Đã khen thưởng")
        await page.screenshot(path=str(artifact("console-nominations.png")), full_page=True)
    finally:
        await context.close()
