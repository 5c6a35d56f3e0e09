"""A nomination's dossier in the console, in a real Chromium with JavaScript off: a file attached with
`Tệp đính kèm` on the new nomination's form, listed on its page (`Hồ sơ đính kèm`), downloaded through
the console, another uploaded (`Tải lên`), one removed (`Xóa`); and a program named `.pdf` refused with
the awards service's reason next to the field.

Screenshot: test-artifacts/console-attachments.png.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

from playwright.async_api import expect

from tests.awards.helpers import category, nominate, person_here
from tests.awards.test_attachments import ELF, pdf_bytes, png_bytes
from tests.browser import artifact

from .conftest import World
from .helpers import ConsoleClient, new_page, sign_in

PDF_NAME = "Tờ trình đề nghị khen thưởng.pdf"


async def nominee_and_category(world: World) -> tuple[dict, dict]:
    name = f"Võ Thị Sáu {uuid.uuid4().hex[:4]}"
    person = await person_here(world.admin, world.commune_a["id"], full_name=name, position="Cán bộ xã")
    k = await category(
        world.committee[0].api, world.campaign["id"], kind="individual", quota=5, name=f"Hồ sơ {uuid.uuid4().hex[:4]}"
    )
    return person, k


async def fill_new_nomination(page: Any, world: World, person: dict, k: dict) -> None:
    await page.goto(world.console + f"/nominations/new?campaign_id={world.campaign['id']}&category_id={k['id']}")
    await page.get_by_label("Đối tượng được đề nghị").select_option(f"person:{person['id']}")
    await page.get_by_label("Thành tích").fill("Hoàn thành xuất sắc nhiệm vụ năm 2025.")


async def test_the_officer_attaches_downloads_adds_and_removes_files(browser: Any, world: World) -> None:
    person, k = await nominee_and_category(world)
    pdf = pdf_bytes("To trinh")
    context, page = await new_page(browser)
    try:
        await sign_in(page, world, world.officer_a)
        await fill_new_nomination(page, world, person, k)
        await page.get_by_label("Tệp đính kèm").set_input_files(
            files=[{"name": PDF_NAME, "mimeType": "application/pdf", "buffer": pdf}]
        )
        await page.get_by_role("button", name="Gửi đề nghị").click()
        await expect(page.locator("#trang-thai")).to_have_text("Đã gửi")
        await expect(page.locator(".notice")).to_have_text("Đã gửi đề nghị.")
        rows = page.locator("table.files tbody tr")
        await expect(rows).to_have_count(1)
        await expect(rows.first).to_contain_text(PDF_NAME)
        await expect(rows.first).to_contain_text("PDF")
        size = len(pdf)
        await expect(rows.first).to_contain_text(f"{size} byte" if size < 1024 else "KB")

        # Downloaded through the console: the same bytes, under the same name.
        async with page.expect_download() as info:
            await page.get_by_role("link", name=PDF_NAME).click()
        download = await info.value
        assert download.suggested_filename == PDF_NAME
        assert Path(await download.path()).read_bytes() == pdf
        assert download.url.startswith(world.console + "/attachments/")

        # Another file, from the page's own form.
        upload = page.locator("form", has=page.get_by_role("button", name="Tải lên"))
        await upload.get_by_label("Tệp đính kèm").set_input_files(
            files=[{"name": "Ảnh khen thưởng.png", "mimeType": "image/png", "buffer": png_bytes()}]
        )
        await upload.get_by_role("button", name="Tải lên").click()
        await expect(page.locator(".notice")).to_have_text("Đã tải lên tệp đính kèm.")
        await expect(rows).to_have_count(2)
        await expect(rows.nth(1)).to_contain_text("Ảnh khen thưởng.png")
        await expect(rows.nth(1)).to_contain_text("Ảnh PNG")

        # A program named .pdf: the service's reason next to the field, nothing added.
        upload = page.locator("form", has=page.get_by_role("button", name="Tải lên"))
        await upload.get_by_label("Tệp đính kèm").set_input_files(
            files=[{"name": "Bằng khen.pdf", "mimeType": "application/pdf", "buffer": ELF}]
        )
        await upload.get_by_role("button", name="Tải lên").click()
        await expect(page.locator("#file-error")).to_contain_text("it is a program")
        await expect(rows).to_have_count(2)
        await page.screenshot(path=str(artifact("console-attachments.png")), full_page=True)

        # Removing the PDF: its row goes, the dossier's changes keep what it was.
        await rows.filter(has_text=PDF_NAME).get_by_role("button", name="Xóa").click()
        await expect(page.locator(".notice")).to_have_text("Đã xóa tệp đính kèm.")
        await expect(rows).to_have_count(1)
        await expect(rows.first).to_contain_text("Ảnh khen thưởng.png")
        changes = page.locator("ul.file-changes li")
        await expect(changes).to_have_count(3)
        await expect(changes.nth(2)).to_contain_text(f"Xóa tệp đính kèm: {PDF_NAME}")
        await expect(page.locator("table.history")).to_contain_text(f"Đính kèm tệp: {PDF_NAME}")
        await expect(page.locator("table.history")).to_contain_text(f"Xóa tệp đính kèm: {PDF_NAME}")
    finally:
        await context.close()


async def test_a_program_named_pdf_on_the_new_form_is_refused_next_to_the_field(browser: Any, world: World) -> None:
    person, k = await nominee_and_category(world)
    context, page = await new_page(browser)
    try:
        await sign_in(page, world, world.officer_a)
        await fill_new_nomination(page, world, person, k)
        await page.get_by_label("Tệp đính kèm").set_input_files(
            files=[{"name": "Tờ trình.pdf", "mimeType": "application/pdf", "buffer": ELF}]
        )
        await page.get_by_role("button", name="Gửi đề nghị").click()
        # The nomination was created (said so); the file was not, with the service's reason at the field.
        await expect(page.locator("#trang-thai")).to_have_text("Đã gửi")
        await expect(page.locator(".notice")).to_contain_text("Đã gửi đề nghị, nhưng tệp đính kèm chưa được nhận")
        await expect(page.locator("#file-error")).to_contain_text("it is a program")
        await expect(page.get_by_text("Chưa có tệp đính kèm.")).to_be_visible()
        # The officer retries there with a real file.
        upload = page.locator("form", has=page.get_by_role("button", name="Tải lên"))
        await upload.get_by_label("Tệp đính kèm").set_input_files(
            files=[{"name": "Tờ trình.pdf", "mimeType": "application/pdf", "buffer": pdf_bytes()}]
        )
        await upload.get_by_role("button", name="Tải lên").click()
        await expect(page.locator("table.files tbody tr")).to_have_count(1)
    finally:
        await context.close()


async def test_a_download_is_the_services_decision(world: World) -> None:
    person, k = await nominee_and_category(world)
    n = await nominate(world.officer_a.api, k["id"], person_id=person["id"])
    added = await world.officer_a.api.awards.post(
        f"/nominations/{n['id']}/attachments", files={"file": ("Tờ trình.pdf", pdf_bytes(), "application/pdf")}
    )
    assert added.status_code == 201, added.text
    path = f"/attachments/{added.json()['id']}"
    for who, status in ((world.officer_a, 200), (world.committee[0], 200), (world.officer_b, 403)):
        client = ConsoleClient(world)
        try:
            await client.sign_in(who)
            resp = await client.http.get(path)
            assert resp.status_code == status, (who.username, resp.status_code)
            if status == 200:
                assert resp.content == pdf_bytes()
                assert resp.headers["content-type"] == "application/pdf"
                assert resp.headers["x-content-type-options"] == "nosniff"
                assert resp.headers["content-disposition"].startswith("attachment;")
            else:
                assert pdf_bytes() not in resp.content
        finally:
            await client.aclose()
    anonymous = ConsoleClient(world)
    try:
        resp = await anonymous.http.get(path)
        assert resp.status_code == 303 and resp.headers["location"].startswith("/login")
    finally:
        await anonymous.aclose()


async def test_the_console_lets_twenty_mebibytes_through_and_the_service_says_what_is_too_large(
    world: World,
) -> None:
    person, k = await nominee_and_category(world)
    n = await nominate(world.officer_a.api, k["id"], person_id=person["id"])
    page_path = f"/nominations/{n['id']}"
    mib = 1024 * 1024
    exactly = pdf_bytes() + b"%" * (20 * mib - len(pdf_bytes()))
    client = ConsoleClient(world)
    try:
        await client.sign_in(world.officer_a)

        async def post(name: str, content: bytes) -> Any:
            token = await client.token_on(page_path)
            return await client.http.post(
                f"{page_path}/attachments",
                data={"_csrf_token": token},
                files={"file": (name, content, "application/pdf")},
            )

        resp = await post("Hai mươi.pdf", exactly)
        assert resp.status_code == 303, resp.text
        listed = (await world.officer_a.api.awards.get(f"/nominations/{n['id']}/attachments")).json()["items"]
        assert [(a["filename"], a["size"]) for a in listed] == [("Hai mươi.pdf", 20 * mib)]
        # A byte more passes the console; the service refuses it, and its reason is shown at the field.
        resp = await post("Quá.pdf", exactly + b"%")
        assert resp.status_code == 413, resp.status_code
        assert 'id="file-error"' in resp.text and "larger than 20 MB" in resp.text
        # Far above: the console's own bound, answered (not a dropped connection) with its page.
        resp = await post("Rất lớn.pdf", exactly + bytes(3 * mib))
        assert resp.status_code == 413, resp.status_code
        assert "Dữ liệu quá lớn" in resp.text
        assert len((await world.officer_a.api.awards.get(f"/nominations/{n['id']}/attachments")).json()["items"]) == 1
    finally:
        await client.aclose()
