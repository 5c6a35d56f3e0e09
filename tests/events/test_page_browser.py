"""The honour-roll page in a real headless Chromium, with JavaScript switched
off: a citizen searches without diacritics, filters, pages, and finds the CSV;
the page reads on a phone and prints without its controls. A screenshot is
saved to test-artifacts/honour-roll.png."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.browser import artifact, chromium
from tests.events.conftest import Bus, Source, new_source, settle
from tests.support import Api, Stack

FAMILIES = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Hồ"]
GIVEN = ["An", "Bình", "Cường", "Dũng", "Giang", "Hà", "Khánh", "Linh", "Minh", "Ngọc", "Phương", "Quân", "Sơn"]


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Any]:
    async with chromium() as browser:
        yield browser


@pytest.fixture(scope="module")
async def roll(bus: Bus, stack: Stack) -> Source:
    import httpx

    async with httpx.AsyncClient(base_url=stack.url("events"), timeout=30) as client:
        source = await new_source(bus, client, name="Phong trào thi đua “Chung sức xây dựng nông thôn mới”", year=2024)
        await source.grant(
            "Nguyễn Thị Hồng Nhung", unit_name="Hội Liên hiệp Phụ nữ xã Đồng Tâm", decision_number="1520/QĐ-UBND"
        )
        await source.grant("Đảng bộ xã Đồng Tâm", kind="collective", unit_name="Đảng bộ xã Đồng Tâm")
        await source.grant("Chi đoàn Thôn Đoài", kind="collective", unit_name="Đoàn xã Đồng Tâm")
        n = 0
        for family in FAMILIES:
            for given in GIVEN[:6]:
                await source.grant(f"{family} Văn {given}", unit_name=f"Chi bộ Thôn {n % 9 + 1}")
                n += 1
        await settle(client, source, timeout=10)
    return source


async def test_search_without_diacritics_filters_and_pages_without_javascript(
    browser: Any, roll: Source, stack: Stack
) -> None:
    context = await browser.new_context(
        java_script_enabled=False, viewport={"width": 1280, "height": 900}, locale="vi-VN"
    )
    page = await context.new_page()
    try:
        resp = await page.goto(stack.url("events") + "/")
        assert resp.status == 200
        assert await page.get_attribute("html", "lang") == "vi"
        assert "Bảng vàng thi đua" in await page.title()

        # A citizen types a name without diacritics and picks the campaign.
        await page.fill("#q", "nguyen thi hong")
        await page.select_option("#campaign_id", str(roll.campaign_id))
        await page.click("button[type=submit]")
        await page.wait_for_load_state()
        query = parse_qs(urlsplit(page.url).query)
        assert query["q"] == ["nguyen thi hong"] and query["campaign_id"] == [str(roll.campaign_id)]
        names = await page.locator("table.roll tbody .name").all_inner_texts()
        assert names == ["Nguyễn Thị Hồng Nhung"]
        assert await page.input_value("#q") == "nguyen thi hong"  # the state is kept
        assert await page.input_value("#campaign_id") == str(roll.campaign_id)
        row = await page.locator("table.roll tbody tr").first.inner_text()
        assert "1520/QĐ-UBND" in row and "Hội Liên hiệp Phụ nữ xã Đồng Tâm" in row
        csv = await page.get_attribute("a.csv", "href")
        assert csv is not None and csv.startswith("/honorees.csv?")
        assert parse_qs(urlsplit(csv).query)["q"] == ["nguyen thi hong"]

        # The whole campaign, collectives first, paged with the filter kept.
        await page.fill("#q", "")
        await page.click("button[type=submit]")
        await page.wait_for_load_state()
        first_page = await page.locator("table.roll tbody .name").all_inner_texts()
        assert len(first_page) == 50 and first_page[:2] == ["Chi đoàn Thôn Đoài", "Đảng bộ xã Đồng Tâm"]
        await page.screenshot(path=str(artifact("honour-roll.png")), full_page=False)
        await page.click("a[rel=next]")
        await page.wait_for_load_state()
        assert parse_qs(urlsplit(page.url).query)["campaign_id"] == [str(roll.campaign_id)]
        second_page = await page.locator("table.roll tbody .name").all_inner_texts()
        assert len(second_page) == len(FAMILIES) * 6 + 3 - 50 and not set(second_page) & set(first_page)
        assert await page.locator("a[rel=first]").count() == 1

        # Printed: the list without the form and the paging.
        await page.emulate_media(media="print")
        assert not await page.locator("form.filters").is_visible()
        assert await page.locator("table.roll").is_visible()
    finally:
        await context.close()


async def test_readable_on_a_phone(browser: Any, roll: Source, stack: Stack) -> None:
    context = await browser.new_context(
        java_script_enabled=False, viewport={"width": 375, "height": 740}, device_scale_factor=2, is_mobile=True
    )
    page = await context.new_page()
    try:
        await page.goto(f"{stack.url('events')}/?campaign_id={roll.campaign_id}&q=dong+tam")
        assert await page.locator("table.roll tbody tr").count() == 3
        # No sideways scrolling: every row is a card that fits the screen.
        width = await page.evaluate("document.documentElement.scrollWidth")
        assert width <= 375
        label = await page.evaluate(
            "getComputedStyle(document.querySelector('table.roll td[data-label=\"Đơn vị\"]'), '::before').content"
        )
        assert "Đơn vị" in label
        await page.screenshot(path=str(artifact("honour-roll-phone.png")), full_page=True)
    finally:
        await context.close()


async def test_a_bad_link_shows_an_explanation(browser: Any, stack: Stack) -> None:
    context = await browser.new_context(java_script_enabled=False)
    page = await context.new_page()
    try:
        resp = await page.goto(stack.url("events") + "/?year=abc")
        assert resp.status == 400
        assert "Năm không hợp lệ" in await page.locator("[role=alert]").inner_text()
    finally:
        await context.close()


async def test_the_empty_answer_says_so(anonymous: Api) -> None:
    resp = await anonymous.events.get("/", params={"q": "không có ai tên này cả"})
    assert resp.status_code == 200 and "Không tìm thấy" in resp.text
