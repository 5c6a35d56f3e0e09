"""The committee's pages of the console, in a real Chromium with JavaScript off: campaigns and their
categories (create, edit, close, reopen) reaching an officer's form; approving many at once within the
quota; revoking a granted award with a reason, which takes the name off the public honour roll;
ceremonies (create, hold); and the 403 page an officer meets on the committee's forms.

Screenshots go to test-artifacts/console-campaigns.png and console-bulk-approve.png.
"""

from __future__ import annotations

import asyncio
import re
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.async_api import expect

from tests.awards.helpers import approve, category, decide, nominate, person_here
from tests.browser import artifact
from tests.support import code, eventually

from .conftest import World
from .helpers import ConsoleClient, new_page, service_calls, sign_in


async def test_a_campaign_created_in_the_pages_is_offered_to_an_officer(browser: Any, world: World) -> None:
    tag = uuid.uuid4().hex[:4]
    name = f"Phong trào “Xây dựng nông thôn mới” {tag}"
    category_name = f"Gương điển hình {tag}"
    context, page = await new_page(browser)
    try:
        await sign_in(page, world, world.committee[0])
        await page.get_by_role("link", name="Phong trào", exact=True).click()
        await expect(page.get_by_role("heading", name="Phong trào thi đua")).to_be_visible()
        await page.get_by_role("link", name="Tạo phong trào").click()
        # The organizer, found by its code, then the campaign's fields.
        await page.get_by_label("Tìm đơn vị").fill(world.province["code"])
        await page.get_by_role("button", name="Tìm").click()
        await page.get_by_label("Đơn vị tổ chức").select_option(world.province["id"])
        await page.get_by_label("Mã phong trào").fill(f"NTM-{tag}")
        await page.get_by_label("Tên phong trào").fill(name)
        await page.get_by_label("Năm").fill("2025")
        await page.get_by_label("Ngày bắt đầu").fill("2025-01-01")
        await page.get_by_label("Ngày kết thúc").fill("2025-12-31")
        await page.get_by_label("Mô tả").fill("Toàn dân đoàn kết xây dựng nông thôn mới, đô thị văn minh.")
        await page.get_by_role("button", name="Tạo phong trào").click()
        await expect(page.locator(".notice")).to_have_text("Đã tạo phong trào.")
        await expect(page.get_by_role("heading", name=name)).to_be_visible()
        await expect(page.locator("#trang-thai")).to_have_text("Đang nhận đề nghị")
        campaign_url = page.url.split("?")[0]

        # A category, then edited: its form and quota.
        add = page.locator("form.add-category")
        await add.get_by_label("Mã danh hiệu").fill(f"GDH-{tag}")
        await add.get_by_label("Tên danh hiệu").fill(category_name)
        await add.get_by_label("Đối tượng").select_option("individual")
        await add.get_by_label("Chỉ tiêu").fill("3")
        await add.get_by_label("Hình thức").fill("Bằng khen")
        await add.get_by_role("button", name="Thêm danh hiệu").click()
        await expect(page.locator(".notice")).to_have_text("Đã thêm danh hiệu, hình thức.")
        item = page.locator(".category", has_text=category_name)
        await expect(item.locator(".quota")).to_have_text("đã duyệt 0/3")
        await item.get_by_label("Chỉ tiêu").fill("4")
        await item.get_by_label("Hình thức").fill("Giấy khen")
        await item.get_by_role("button", name="Lưu").click()
        await expect(page.locator(".notice")).to_have_text("Đã lưu danh hiệu, hình thức.")
        item = page.locator(".category", has_text=category_name)
        await expect(item.locator(".quota")).to_have_text("đã duyệt 0/4")
        await expect(item.locator("h3")).to_contain_text("Giấy khen")

        # A quota the service refuses: its reason next to the field, what was typed kept.
        await item.get_by_label("Chỉ tiêu").fill("-1")
        await item.get_by_label("Tên danh hiệu").fill(f"{category_name} (sửa)")
        await item.get_by_role("button", name="Lưu").click()
        item = page.locator(".category", has_text=category_name)
        await expect(item.locator(".field-error")).to_have_count(1)
        assert await item.get_by_label("Chỉ tiêu").input_value() == "-1"
        assert await item.get_by_label("Tên danh hiệu").input_value() == f"{category_name} (sửa)"
        await page.goto(campaign_url)
        await page.screenshot(path=str(artifact("console-campaigns.png")), full_page=True)

        # Closed, it is not offered; reopened, it is.
        await page.get_by_role("button", name="Đóng phong trào").click()
        await expect(page.locator("#trang-thai")).to_have_text("Đã đóng")
        campaign_id = campaign_url.rsplit("/", 1)[1]
        officer_context, officer = await new_page(browser)
        try:
            await sign_in(officer, world, world.officer_a)
            await officer.goto(world.console + "/nominations/new")
            assert await officer.locator(f'#campaign_id option[value="{campaign_id}"]').count() == 0
            await page.get_by_role("button", name="Mở lại phong trào").click()
            await expect(page.locator("#trang-thai")).to_have_text("Đang nhận đề nghị")
            await officer.goto(world.console + "/nominations/new")
            await officer.get_by_label("Phong trào").select_option(campaign_id)
            await officer.get_by_role("button", name="Chọn").click()
            offered = await officer.get_by_label("Danh hiệu, hình thức").locator("option").all_inner_texts()
            assert any(o.startswith(f"{category_name} – Giấy khen") for o in offered), offered
            # Officers read the campaigns, without the committee's forms.
            await officer.goto(campaign_url)
            await expect(officer.get_by_role("heading", name=name)).to_be_visible()
            assert await officer.locator("form").count() == 1  # only Đăng xuất
        finally:
            await officer_context.close()
    finally:
        await context.close()


async def test_a_campaign_the_service_refuses_keeps_what_was_typed(world: World) -> None:
    client = ConsoleClient(world)
    try:
        await client.sign_in(world.committee[0])
        token = await client.token_on("/campaigns/new")
        form = {
            "_csrf_token": token,
            "code": world.campaign["code"],  # taken
            "name": "Phong trào <b>trùng mã</b>",
            "organizer_unit_id": world.province["id"],
            "year": "2025",
            "starts_on": "2025-06-01",
            "ends_on": "2025-01-01",
            "description": "",
        }
        resp = await client.post("/campaigns/new", form)
        assert resp.status_code in (400, 409), resp.text
        assert 'class="field-error"' in resp.text
        assert "Phong trào &lt;b&gt;trùng mã&lt;/b&gt;" in resp.text and "<b>trùng" not in resp.text
        # Hostile input: not a year, a date that is no date, an unknown organizer: never a 500.
        for changes in (
            {"year": "hai nghìn"},
            {"starts_on": "2025-13-45", "ends_on": ""},
            {"organizer_unit_id": "../../units"},
            {"year": "9" * 40, "ends_on": ""},
            {"code": "mã có dấu", "ends_on": ""},
            {"organizer_unit_id": str(uuid.uuid4()), "code": code("PT"), "ends_on": ""},
        ):
            resp = await client.post("/campaigns/new", {**form, **changes})
            assert 400 <= resp.status_code < 500 and "Traceback" not in resp.text, (changes, resp.status_code)
            assert 'class="field-error"' in resp.text or 'class="alert"' in resp.text, changes
        # A quota far beyond any integer, and a campaign that does not exist.
        resp = await client.post(
            f"/campaigns/{world.campaign['id']}/categories/{world.individual['id']}",
            {"_csrf_token": token, "name": "Cá nhân", "form": "Bằng khen", "quota": "9" * 40},
        )
        assert resp.status_code == 400 and 'class="field-error"' in resp.text
        resp = await client.get(f"/campaigns/{uuid.uuid4()}")
        assert resp.status_code == 404 and "Không tìm thấy" in resp.text
    finally:
        await client.aclose()


async def test_bulk_approval_stops_at_the_quota(browser: Any, world: World) -> None:
    tag = uuid.uuid4().hex[:4]
    two_places = await category(
        world.committee[0].api, world.campaign["id"], kind="individual", quota=2, name=f"Khen nhanh {tag}"
    )
    # People of their own, so that no other test meets their approved nominations.
    names = [f"Đặng Văn An {tag}", f"Đặng Văn Bảo {tag}", f"Đặng Văn Cường {tag}"]  # the queue's order
    people = [await person_here(world.admin, world.commune_a["id"], full_name=n) for n in names]
    ids = [(await nominate(world.officer_a.api, two_places["id"], person_id=p["id"]))["id"] for p in people]
    context, page = await new_page(browser)
    try:
        await sign_in(page, world, world.committee[1])
        await page.goto(world.console + f"/review?campaign_id={world.campaign['id']}")
        section = page.locator(".category", has_text=two_places["name"])
        await expect(section.locator(".quota")).to_have_text("đã duyệt 0/2")
        for n in names:
            await section.get_by_label(f"Chọn {n}").check()
        async with page.expect_response(lambda r: r.url.endswith("/review/approve")) as answered:
            await section.get_by_role("button", name="Duyệt các hồ sơ đã chọn").click()
        response = await answered.value
        assert response.status == 200
        found = re.search(r'desc="(\d+) calls"', response.headers["server-timing"])
        assert found and int(found.group(1)) == 3 + 2  # one approval each (the third refused), then the page's 2

        result = page.locator(".bulk-result")
        await expect(result.locator(".approved-count")).to_have_text("Đã duyệt 2/3 hồ sơ đã chọn.")
        assert await result.locator(".bulk-approved li a").all_inner_texts() == names[:2]
        refused = result.locator(".bulk-refused li")
        await expect(refused).to_have_count(1)
        await expect(refused).to_contain_text(names[2])
        await expect(refused).to_contain_text("đã đủ chỉ tiêu")
        await expect(refused).to_contain_text("quota is full")
        section = page.locator(".category", has_text=two_places["name"])
        await expect(section.locator(".quota")).to_have_text("đã duyệt 2/2")
        await page.screenshot(path=str(artifact("console-bulk-approve.png")), full_page=True)
    finally:
        await context.close()
    statuses = [(await world.committee[0].api.awards.get(f"/nominations/{i}")).json()["status"] for i in ids]
    assert statuses == ["approved", "approved", "submitted"]


async def test_bulk_approval_with_nothing_checked_changes_nothing(world: World) -> None:
    client = ConsoleClient(world)
    try:
        await client.sign_in(world.committee[1])
        token = await client.token_on("/review")
        resp = await client.post("/review/approve", {"_csrf_token": token, "nomination_id": ["x", "../1"]})
        assert resp.status_code == 400 and "Chọn ít nhất một đề nghị để duyệt." in resp.text
        resp = await client.post("/review/approve", {"_csrf_token": token})  # no box checked: no field at all
        assert resp.status_code == 400 and "Chọn ít nhất một đề nghị để duyệt." in resp.text
        token = await client.token_on("/decisions/new")
        resp = await client.post("/decisions/new", {"_csrf_token": token, "number": "1/QĐ", "signer": "A"})
        assert resp.status_code == 400, resp.text
        # Without the token: refused before anything is tried.
        resp = await client.post("/review/approve", {"nomination_id": str(uuid.uuid4())})
        assert resp.status_code == 403 and service_calls(resp) <= 1
    finally:
        await client.aclose()


async def _on_roll(world: World, campaign_id: str, category_id: str, name: str) -> bool:
    resp = await world.admin.events.get("/honorees", params={"campaign_id": campaign_id, "q": name})
    assert resp.status_code == 200, resp.text
    return any(h["name"] == name and h["category"]["id"] == category_id for h in resp.json()["items"])


async def test_revoking_a_granted_award_takes_it_off_the_roll(browser: Any, world: World) -> None:
    name = "Võ Thị Hồng"
    person = await person_here(world.admin, world.commune_a["id"], full_name=name, position="Phó Bí thư Đoàn xã")
    revocable = await category(world.committee[0].api, world.campaign["id"], kind="individual", quota=3)
    nomination = await nominate(world.officer_a.api, revocable["id"], person_id=person["id"])
    await approve(world.committee[0].api, nomination["id"])
    await decide(world.committee[0].api, [nomination["id"]])
    await eventually(lambda: _on_roll(world, world.campaign["id"], revocable["id"], name))

    context, page = await new_page(browser)
    try:
        await sign_in(page, world, world.committee[2])
        await page.goto(world.console + f"/nominations/{nomination['id']}")
        await expect(page.locator("#trang-thai")).to_have_text("Đã khen thưởng")
        # Without a reason: said next to the field, nothing revoked.
        await page.get_by_label("Lý do").fill("   ")
        await page.get_by_role("button", name="Thu hồi").click()
        await expect(page.locator("#revoke_reason-error")).to_have_text("Nhập lý do thu hồi.")
        await expect(page.locator("#trang-thai")).to_have_text("Đã khen thưởng")
        reason = "Phát hiện kê khai thành tích không trung thực."
        await page.get_by_label("Lý do").fill(reason)
        await page.get_by_role("button", name="Thu hồi").click()
        await expect(page.locator(".notice")).to_have_text("Đã thu hồi khen thưởng.")
        await expect(page.locator("#trang-thai")).to_have_text("Đã thu hồi")
        await expect(page.locator(".reason")).to_contain_text(reason)
        assert await page.get_by_role("button", name="Thu hồi").count() == 0
    finally:
        await context.close()
    # Gone from the public honour roll, within a second or so (an event crosses NATS).
    deadline = time.monotonic() + 5
    while await _on_roll(world, world.campaign["id"], revocable["id"], name):
        assert time.monotonic() < deadline, "the revoked award is still on the roll"
        await asyncio.sleep(0.05)
    roll = await world.admin.events.get("/", params={"campaign_id": world.campaign["id"], "q": "vo thi hong"})
    assert roll.status_code == 200 and name not in roll.text


async def test_a_ceremony_is_created_and_held(browser: Any, world: World) -> None:
    title = f"Gặp mặt biểu dương điển hình “Dân vận khéo” {uuid.uuid4().hex[:4]}"
    today = datetime.now(UTC) + timedelta(hours=7)  # the events service holds ceremonies by Vietnam's day
    context, page = await new_page(browser)
    try:
        await sign_in(page, world, world.committee[0])
        await page.get_by_role("link", name="Lễ khen thưởng").click()
        await page.get_by_role("link", name="Tạo lễ khen thưởng").click()
        await page.get_by_label("Tìm đơn vị").fill(world.province["code"])
        await page.get_by_role("button", name="Tìm").click()
        await page.get_by_label("Tên buổi lễ").fill(title)
        await page.get_by_label("Ngày tổ chức").fill(today.date().isoformat())
        await page.get_by_label("Địa điểm").fill("Hội trường Tỉnh ủy")
        await page.get_by_label("Đơn vị tổ chức").select_option(world.province["id"])
        await page.get_by_label(world.campaign["name"]).check()
        await page.get_by_role("button", name="Tạo lễ khen thưởng").click()
        await expect(page.locator(".notice")).to_have_text("Đã tạo lễ khen thưởng.")
        row = page.locator("table.ceremonies tbody tr", has_text=title)
        await expect(row.locator(".status")).to_have_text("Dự kiến")
        await expect(row).to_contain_text(world.campaign["name"])
        await row.get_by_role("button", name="Ghi nhận đã tổ chức").click()
        await expect(page.locator(".notice")).to_have_text("Đã ghi nhận: buổi lễ đã được tổ chức.")
        row = page.locator("table.ceremonies tbody tr", has_text=title)
        await expect(row.locator(".status")).to_have_text("Đã tổ chức")
        assert await row.get_by_role("button", name="Ghi nhận đã tổ chức").count() == 0
    finally:
        await context.close()


async def test_a_ceremony_form_the_service_refuses_says_why(world: World) -> None:
    client = ConsoleClient(world)
    try:
        await client.sign_in(world.committee[0])
        token = await client.token_on("/ceremonies/new")
        form = {
            "_csrf_token": token,
            "title": "Lễ trao tặng",
            "held_on": "2025-12-30",
            "venue": "Hội trường",
            "host_unit_id": world.province["id"],
            "campaign_id": str(uuid.uuid4()),  # no such campaign
        }
        resp = await client.post("/ceremonies/new", form)
        assert resp.status_code == 400 and "campaign_ids-error" in resp.text, resp.text
        assert 'value="Lễ trao tặng"' in resp.text
        resp = await client.post("/ceremonies/new", {**form, "campaign_id": "", "held_on": "not a date"})
        assert resp.status_code == 400 and "Chọn ít nhất một phong trào." in resp.text
        # No campaign ticked at all: the browser sends no `campaign_id` field.
        unticked = {name: value for name, value in form.items() if name != "campaign_id"}
        resp = await client.post("/ceremonies/new", unticked)
        assert resp.status_code == 400 and "Chọn ít nhất một phong trào." in resp.text
        # Held before its day: the service's reason by its row, and it stays planned.
        planned = await world.committee[0].api.events.post(
            "/ceremonies",
            json={
                "title": "Lễ trao tặng năm sau",
                "held_on": "2099-01-15",
                "venue": "Hội trường",
                "host_unit_id": world.province["id"],
                "campaign_ids": [world.campaign["id"]],
            },
        )
        assert planned.status_code == 201, planned.text
        ceremony = planned.json()["id"]
        resp = await client.post(f"/ceremonies/{ceremony}/hold", {"_csrf_token": token})
        assert resp.status_code == 409 and "it can be held from that day on" in resp.text
        status = (await world.admin.events.get(f"/ceremonies/{ceremony}")).json()["status"]
        assert status == "planned"
    finally:
        await client.aclose()


@pytest.mark.parametrize("path", ["/campaigns/new", "/ceremonies", "/ceremonies/new"])
async def test_an_officer_gets_the_403_page_on_committee_forms(world: World, path: str) -> None:
    client = ConsoleClient(world)
    try:
        await client.sign_in(world.officer_a)
        resp = await client.get(path)
        assert resp.status_code == 403 and "Không được phép" in resp.text
    finally:
        await client.aclose()


async def test_an_officer_changes_nothing_by_posting_committee_forms(world: World) -> None:
    one_place = await category(world.committee[0].api, world.campaign["id"], kind="individual", quota=1)
    person = await person_here(world.admin, world.commune_a["id"], full_name=f"Lý Thị Mai {uuid.uuid4().hex[:4]}")
    nomination = await nominate(world.officer_a.api, one_place["id"], person_id=person["id"])
    client = ConsoleClient(world)
    try:
        await client.sign_in(world.officer_a)
        listed = await client.get("/campaigns")
        assert listed.status_code == 200 and world.campaign["name"] in listed.text
        assert "Tạo phong trào" not in listed.text
        token = await client.token_on(f"/campaigns/{world.campaign['id']}")
        campaign = world.campaign["id"]
        for path, data in [
            (f"/campaigns/{campaign}/close", {}),
            (f"/campaigns/{campaign}/categories", {"code": code("DM"), "name": "X", "nominee_kind": "individual"}),
            (f"/campaigns/{campaign}/categories/{world.individual['id']}", {"name": "X", "form": "X", "quota": "0"}),
            ("/campaigns/new", {"code": code("PT"), "name": "X", "year": "2025"}),
            ("/review/approve", {"nomination_id": nomination["id"]}),
            (f"/nominations/{nomination['id']}/revoke", {"reason": "X"}),
            ("/ceremonies/new", {"title": "X"}),
        ]:
            resp = await client.post(path, {"_csrf_token": token, **data})
            assert resp.status_code == 403 and "Không được phép" in resp.text, path
            assert service_calls(resp) == 0, path
    finally:
        await client.aclose()
    now = (await world.admin.awards.get(f"/campaigns/{world.campaign['id']}")).json()
    assert now["status"] == "open" and now["name"] == world.campaign["name"]
    assert {c["name"] for c in now["categories"]} >= {world.individual["name"], world.collective["name"]}
    status = (await world.admin.awards.get(f"/nominations/{nomination['id']}")).json()["status"]
    assert status == "submitted"
