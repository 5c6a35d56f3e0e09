"""A form the services refuse comes back with their reasons next to the fields they name, keeping
what the user typed and chose; hostile input is a page that says what is wrong, never a 500."""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
from playwright.async_api import expect

from tests.awards.helpers import approve, decide, nominate, person_here
from tests.browser import artifact

from .conftest import World
from .helpers import ConsoleClient, new_page, sign_in

RECORD = "Chủ trì xây dựng 3 công trình thủy lợi nhỏ,\nphục vụ tưới tiêu cho 120 ha lúa."


async def test_a_refused_nomination_keeps_what_was_typed(browser: Any, world: World) -> None:
    person = world.people["Trần Văn Đức"]
    await nominate(world.officer_a.api, world.individual["id"], person_id=person["id"])  # already nominated
    context, page = await new_page(browser)
    try:
        await sign_in(page, world, world.officer_a)
        await page.goto(
            world.console + f"/nominations/new?campaign_id={world.campaign['id']}&category_id={world.individual['id']}"
        )
        await page.get_by_label("Tìm đối tượng").fill("tran van duc")
        await page.get_by_role("button", name="Tìm").click()
        await page.get_by_label("Đối tượng được đề nghị").select_option(index=1)
        chosen = await page.get_by_label("Đối tượng được đề nghị").input_value()
        await page.get_by_label("Thành tích").fill(RECORD)
        await page.get_by_role("button", name="Gửi đề nghị").click()

        # The awards service's reason, next to the field it names, and its detail above.
        field = page.locator(".field", has=page.get_by_label("Đối tượng được đề nghị"))
        await expect(field.locator(".field-error")).to_have_text("already nominated in this category")
        await expect(page.get_by_role("alert")).to_contain_text("Trần Văn Đức already has a live nomination")
        # What was typed and chosen is all there.
        assert await page.get_by_label("Thành tích").input_value() == RECORD
        assert await page.get_by_label("Đối tượng được đề nghị").input_value() == chosen
        assert await page.get_by_label("Danh hiệu, hình thức").input_value() == world.individual["id"]
        assert await page.get_by_label("Phong trào").input_value() == world.campaign["id"]
        assert await page.get_by_label("Tìm đối tượng").input_value() == "tran van duc"
        await page.screenshot(path=str(artifact("console-form-refused.png")), full_page=True)
    finally:
        await context.close()


async def test_a_refused_decision_keeps_what_was_typed_and_checked(browser: Any, world: World) -> None:
    chair = world.committee[0].api
    taken = await nominate(world.officer_a.api, world.collective["id"], unit_id=world.district_a["id"])
    await approve(chair, taken["id"])
    number = f"{uuid.uuid4().hex[:5]}/QĐ-UBND"
    await decide(chair, [taken["id"]], number=number)  # the number is used
    lan = await nominate(world.officer_a.api, world.individual["id"], person_id=world.people["Hoàng Thị Lan"]["id"])
    await approve(chair, lan["id"])

    context, page = await new_page(browser)
    try:
        await sign_in(page, world, world.committee[0])
        await page.goto(world.console + f"/decisions/new?campaign_id={world.campaign['id']}")
        await page.get_by_label("Số quyết định").fill(number)
        await page.get_by_label("Ngày ký").fill("2025-12-22")
        await page.get_by_label("Người ký").fill("Phó Chủ tịch UBND tỉnh")
        await page.get_by_label("Hoàng Thị Lan").check()
        await page.get_by_role("button", name="Ban hành").click()

        field = page.locator(".field", has=page.get_by_label("Số quyết định"))
        await expect(field.locator(".field-error")).to_have_text(f"a decision numbered '{number}' already exists")
        assert await page.get_by_label("Số quyết định").input_value() == number
        assert await page.get_by_label("Ngày ký").input_value() == "2025-12-22"
        assert await page.get_by_label("Người ký").input_value() == "Phó Chủ tịch UBND tỉnh"
        assert await page.get_by_label("Hoàng Thị Lan").is_checked()
        # Corrected, it goes through.
        await page.get_by_label("Số quyết định").fill(number + "-2")
        await page.get_by_role("button", name="Ban hành").click()
        await expect(page.get_by_role("heading", name=f"Quyết định số {number}-2")).to_be_visible()
    finally:
        await context.close()
    assert (await chair.awards.get(f"/nominations/{lan['id']}")).json()["status"] == "granted"


async def test_a_missing_choice_is_named_before_any_call(world: World) -> None:
    client = ConsoleClient(world)
    try:
        await client.sign_in(world.officer_a)
        path = f"/nominations/new?campaign_id={world.campaign['id']}&category_id={world.individual['id']}"
        token = await client.token_on(path)
        resp = await client.post(
            "/nominations/new",
            {
                "_csrf_token": token,
                "campaign_id": world.campaign["id"],
                "category_id": world.individual["id"],
                "achievements": "  ",
            },
        )
        assert resp.status_code == 400
        assert "Chọn đối tượng được đề nghị." in resp.text and "Nhập thành tích." in resp.text
    finally:
        await client.aclose()


async def test_hostile_input_is_a_page_never_a_500(world: World) -> None:
    client = ConsoleClient(world)
    try:
        await client.sign_in(world.officer_a)
        token = await client.token_on("/nominations")
        person = world.people["Phạm Văn Bình"]["id"]
        bad_forms: list[dict[str, Any]] = [
            {"category_id": "../../campaigns", "nominee": f"person:{person}", "achievements": "x"},
            {"category_id": world.individual["id"], "nominee": "person:../../x", "achievements": "x"},
            {"category_id": world.individual["id"], "nominee": f"unit:{person}", "achievements": "x"},
            {"category_id": world.individual["id"], "nominee": f"person:{person}", "achievements": "a\x00b"},
            {"category_id": world.individual["id"], "nominee": f"person:{person}", "achievements": "x" * 20_001},
            {"category_id": str(uuid.uuid4()), "nominee": f"person:{person}", "achievements": "x"},
            {"campaign_id": "<script>alert(1)</script>", "category_id": "", "achievements": "<b>x</b>"},
        ]
        for form in bad_forms:
            resp = await client.post("/nominations/new", {"_csrf_token": token, **form})
            assert 400 <= resp.status_code < 500, (form, resp.status_code, resp.text[:300])
            assert resp.headers["content-type"].startswith("text/html")
            assert "<script>alert" not in resp.text and "<b>x</b>" not in resp.text
        for path in (
            "/nominations?campaign_id=%00&status=<x>",
            "/nominations?cursor=not-a-cursor",
            "/nominations/new?campaign_id=../../etc&category_id=%2e%2e",
            "/nominations/new?campaign_id=%ff%fe&q=" + "a" * 5000,
        ):
            resp = await client.get(path)
            assert resp.status_code in (200, 400), (path, resp.status_code)
            assert "<x>" not in resp.text
        # Nothing of it was written.
        listed = await world.officer_a.api.awards.get(
            "/nominations", params={"campaign_id": world.campaign["id"], "q": "Phạm Văn Bình"}
        )
        assert all(n["achievements"] != "x" for n in listed.json()["items"])
    finally:
        await client.aclose()


async def test_the_consoles_calls_carry_its_request_id_into_the_services_events(world: World) -> None:
    """A nomination sent from the console: the awards service's outbox row names the console request's id."""
    person = await person_here(world.admin, world.district_a["id"], full_name=f"Lý Thị Thu {uuid.uuid4().hex[:4]}")
    client = ConsoleClient(world)
    request_id = f"console-{uuid.uuid4().hex}"
    try:
        await client.sign_in(world.officer_a)
        token = await client.token_on("/nominations")
        form = {"category_id": world.individual["id"], "nominee": f"person:{person['id']}", "achievements": RECORD}
        resp = await client.post(
            "/nominations/new", {"_csrf_token": token, **form}, headers={"X-Request-ID": request_id}
        )
        assert resp.status_code in (200, 303), resp.text[:300]
        assert resp.headers["x-request-id"] == request_id
    finally:
        await client.aclose()
    conn = await asyncpg.connect(world.stack.db_url("awards"))
    try:
        row = await conn.fetchrow("SELECT subject, traceparent FROM outbox WHERE request_id = $1", request_id)
    finally:
        await conn.close()
    assert row is not None and row["subject"] == "awards.nomination.submitted"
    assert row["traceparent"] is not None
