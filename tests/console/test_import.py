"""The officer's import of nominations from a spreadsheet, through the console only (Chromium, JavaScript off).

Every row is checked before anything is sent and the errors are named by the
row number the spreadsheet shows; a clean file is previewed, `Gửi tất cả`
sends it, and sending the same file again creates nothing twice (each row's
Idempotency-Key is made of its content). `.csv` and `.xlsx` alike; the
committee may not use the page. Screenshot: test-artifacts/console-import.png.
"""

from __future__ import annotations

import csv
import io
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from playwright.async_api import expect

from tests.awards.helpers import category, person_here, unit_here
from tests.browser import artifact

from .conftest import World
from .helpers import ConsoleClient, new_page, sign_in

HEADER = ["campaign", "category", "unit_code", "full_name", "position", "achievements"]


@dataclass
class Place:
    """A commune of the officer's district of its own, its people and categories no other test uses."""

    commune: dict
    known: dict  # a person already in the commune
    individual: dict
    collective: dict
    xlsx_individual: dict


@pytest.fixture(scope="module")
async def place(world: World) -> Place:
    tag = uuid.uuid4().hex[:4]
    commune = await unit_here(world.admin, name=f"Đảng ủy xã Hàm Chính {tag}", parent_id=world.district_a["id"])
    known = await person_here(world.admin, commune["id"], full_name=f"Đỗ Thị Hạnh {tag}", position="Phó Bí thư")
    committee = world.committee[0].api
    return Place(
        commune=commune,
        known=known,
        individual=await category(
            committee, world.campaign["id"], kind="individual", quota=10, name="Chiến sĩ thi đua"
        ),
        collective=await category(
            committee, world.campaign["id"], kind="collective", quota=10, name="Tập thể xuất sắc"
        ),
        xlsx_individual=await category(
            committee, world.campaign["id"], kind="individual", quota=10, name="Lao động tiên tiến"
        ),
    )


def csv_file(tmp: Path, rows: list[list[str]], *, sep: str = ",") -> Path:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=sep)
    writer.writerow(HEADER)
    writer.writerows(rows)
    path = tmp / f"de-nghi-{uuid.uuid4().hex[:6]}.csv"
    path.write_bytes(out.getvalue().encode("utf-8-sig"))  # Excel's "CSV UTF-8" starts with a BOM
    return path


def xlsx_file(tmp: Path, rows: list[list[str]]) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    path = tmp / f"de-nghi-{uuid.uuid4().hex[:6]}.xlsx"
    book.save(path)
    return path


async def nominations_in(world: World, category_id: str) -> list[dict]:
    """The officer's nominations of one category, as the awards service has them."""
    resp = await world.officer_a.api.awards.get(
        "/nominations", params={"campaign_id": world.campaign["id"], "limit": 200}
    )
    assert resp.status_code == 200, resp.text
    return [n for n in resp.json()["items"] if n["category_id"] == category_id]


async def upload(page: Any, world: World, path: Path) -> None:
    await page.goto(world.console + "/nominations")
    await page.get_by_role("link", name="Nhập từ Excel").click()
    await expect(page.get_by_role("heading", name="Nhập đề nghị từ Excel")).to_be_visible()
    await page.get_by_label("Tệp đề nghị").set_input_files(str(path))
    await page.get_by_role("button", name="Kiểm tra tệp").click()
    await page.wait_for_load_state()


async def test_bad_rows_are_named_by_number_and_nothing_is_sent(
    browser: Any, world: World, place: Place, tmp_path: Path
) -> None:
    campaign, cat = world.campaign["code"], place.individual["code"]
    path = csv_file(
        tmp_path,
        [
            [campaign, cat, place.commune["code"], "Võ Văn Tám", "Trưởng thôn", "Hoàn thành xuất sắc nhiệm vụ."],
            [campaign, cat, "KHONG-CO-DON-VI", "Lý Thị Mười", "", "Hoàn thành xuất sắc nhiệm vụ."],
            [],  # a blank row: skipped, but the numbers stay those the spreadsheet shows
            [campaign, cat, place.commune["code"], "Hồ Văn Chín", "", "   "],
            [campaign, cat, world.district_b["code"], "Lê Văn Cường", "", "Thành tích ở huyện khác."],
            [campaign, "KHONG-CO-DANH-HIEU", place.commune["code"], "Mai Văn Năm", "", "Có thành tích."],
        ],
        sep=";",
    )
    context, page = await new_page(browser)
    try:
        await sign_in(page, world, world.officer_a)
        await upload(page, world, path)
        errors = page.locator("table.import-errors")
        await expect(errors).to_be_visible()
        rows = await errors.locator("tbody tr").all_inner_texts()
        assert [r.split("\t")[0].strip() for r in rows] == ["Dòng 3", "Dòng 5", "Dòng 6", "Dòng 7"], rows
        assert "Không có đơn vị mã “KHONG-CO-DON-VI”" in await page.locator("#dong-3").inner_text()
        assert "Thiếu thành tích" in await page.locator("#dong-5").inner_text()
        assert "không thuộc phạm vi của bạn" in await page.locator("#dong-6").inner_text()
        assert "Không có danh hiệu mã “KHONG-CO-DANH-HIEU”" in await page.locator("#dong-7").inner_text()
        assert "Chưa đề nghị nào được gửi" in await page.locator(".alert").inner_text()
        assert await page.get_by_role("button", name="Gửi tất cả").count() == 0
        # Nothing was sent, not even the good row, and no one was added.
        assert await nominations_in(world, place.individual["id"]) == []
        people = await world.admin.units.get("/people", params={"unit_id": place.commune["id"], "q": "Võ Văn Tám"})
        assert people.json()["items"] == []
        # Nothing was kept to send: `Gửi tất cả` posted by hand finds nothing.
        client = ConsoleClient(world)
        try:
            await client.sign_in(world.officer_a)
            page_token = await client.token_on("/nominations/import")
            resp = await client.post("/nominations/import/submit", {"_csrf_token": page_token})
            assert resp.status_code == 409 and "hãy tải tệp lên lại" in resp.text
        finally:
            await client.aclose()
    finally:
        await context.close()


async def test_a_good_file_is_previewed_sent_once_and_not_twice(
    browser: Any, world: World, place: Place, tmp_path: Path
) -> None:
    cat, unit = place.individual["code"], place.commune["code"]
    newcomer = f"Trương Văn Mới {uuid.uuid4().hex[:4]}"
    path = csv_file(
        tmp_path,
        [
            # No campaign column value: the category's code alone names it.
            ["", cat, unit, place.known["full_name"], "", "Chỉ đạo xây dựng nông thôn mới đạt chuẩn."],
            ["", cat, unit, newcomer, "Trưởng thôn", "Vận động hiến 3.000 m² đất làm đường."],
            [
                world.campaign["code"],
                place.collective["code"],
                unit,
                "",
                "",
                "Đảng bộ trong sạch, vững mạnh 5 năm liền.",
            ],
        ],
    )
    context, page = await new_page(browser)
    try:
        await sign_in(page, world, world.officer_a)
        await upload(page, world, path)
        preview = page.locator("table.import-preview tbody tr")
        await expect(preview).to_have_count(3)
        texts = await preview.all_inner_texts()
        assert place.known["full_name"] in texts[0] and "người mới" not in texts[0]
        assert newcomer in texts[1] and "người mới, sẽ được thêm" in texts[1]
        assert place.commune["name"] in texts[2] and "Tập thể" in texts[2]
        # Checking sent nothing.
        assert await nominations_in(world, place.individual["id"]) == []
        await page.screenshot(path=str(artifact("console-import.png")), full_page=True)

        await page.get_by_role("button", name="Gửi tất cả").click()
        done = page.locator("table.import-done tbody tr")
        await expect(done).to_have_count(3)
        for text in await done.all_inner_texts():
            assert "Đã gửi" in text, text
        assert "đã gửi 3/3 đề nghị" in await page.locator(".notice").inner_text()
        first = {n["id"] for n in await nominations_in(world, place.individual["id"])}
        first |= {n["id"] for n in await nominations_in(world, place.collective["id"])}
        assert len(first) == 3

        # On the officer's list, each is `Đã gửi`.
        await page.goto(world.console + f"/nominations?campaign_id={world.campaign['id']}&status=submitted")
        for name in (place.known["full_name"], newcomer, place.commune["name"]):
            row = page.locator("table.nominations tbody tr", has_text=name)
            await expect(row.first).to_be_visible()
            assert "Đã gửi" in await row.first.inner_text()

        # The same file again: checked, previewed (the newcomer is known now), sent: nothing new.
        await upload(page, world, path)
        await expect(page.locator("table.import-preview tbody tr")).to_have_count(3)
        assert "người mới" not in await page.locator("table.import-preview").inner_text()
        await page.get_by_role("button", name="Gửi tất cả").click()
        await expect(page.locator("table.import-done tbody tr")).to_have_count(3)
        again = {n["id"] for n in await nominations_in(world, place.individual["id"])}
        again |= {n["id"] for n in await nominations_in(world, place.collective["id"])}
        assert again == first
        links = await page.locator("table.import-done a.name").evaluate_all("els => els.map(e => e.pathname)")
        assert {p.rsplit("/", 1)[1] for p in links} == first
        people = await world.admin.units.get("/people", params={"unit_id": place.commune["id"], "q": newcomer})
        assert [p["full_name"] for p in people.json()["items"]] == [newcomer]

    finally:
        await context.close()


async def test_an_xlsx_file_works_as_a_csv_does(browser: Any, world: World, place: Place, tmp_path: Path) -> None:
    cat, unit = place.xlsx_individual["code"], place.commune["code"]
    path = xlsx_file(
        tmp_path,
        [
            [world.campaign["code"], cat, unit, place.known["full_name"], "Phó Bí thư", "Năm 2025: xuất sắc."],
            [world.campaign["code"], cat, unit, "Đinh Thị Xuân", "Kế toán", "Hoàn thành tốt\nnhiều việc."],
        ],
    )
    context, page = await new_page(browser)
    try:
        await sign_in(page, world, world.officer_a)
        await upload(page, world, path)
        await expect(page.locator("table.import-preview tbody tr")).to_have_count(2)
        await page.get_by_role("button", name="Gửi tất cả").click()
        await expect(page.locator("table.import-done tbody tr")).to_have_count(2)
        created = await nominations_in(world, place.xlsx_individual["id"])
        assert sorted(n["nominee_name"] for n in created) == sorted([place.known["full_name"], "Đinh Thị Xuân"])
        assert all(n["status"] == "submitted" for n in created)
        assert {n["achievements"] for n in created} >= {"Hoàn thành tốt\nnhiều việc."}

        # A bad row in an .xlsx is named by its sheet row as well.
        bad = xlsx_file(tmp_path, [[world.campaign["code"], cat, "KHONG-CO", "Ai Đó", "", "x"]])
        await upload(page, world, bad)
        assert "Không có đơn vị mã “KHONG-CO”" in await page.locator("#dong-2").inner_text()
    finally:
        await context.close()


async def test_files_the_console_cannot_read_are_refused_with_a_reason(world: World, tmp_path: Path) -> None:
    client = ConsoleClient(world)
    try:
        await client.sign_in(world.officer_a)
        token = await client.token_on("/nominations/import")
        cases = [
            ("thanh-tich.pdf", b"%PDF-1.4", "Chỉ nhận tệp .xlsx hoặc .csv."),
            ("hong.xlsx", b"PK\x03\x04 not a workbook", "Không đọc được tệp"),
            ("latin1.csv", "category,unit_code,achievements\nx,y,Thành tích\n".encode("cp1258"), "UTF-8"),
            ("thieu-cot.csv", b"category,unit_code\nDM,U\n", "Dòng tiêu đề thiếu cột: achievements."),
            ("rong.csv", b"", "Tệp không có dữ liệu."),
        ]
        for name, data, said in cases:
            resp = await client.post("/nominations/import", {"_csrf_token": token}, files={"file": (name, data)})
            assert resp.status_code == 400, (name, resp.status_code)
            assert said in resp.text, (name, resp.text)
        # Without the CSRF token the upload is refused before it is read.
        resp = await client.post("/nominations/import", files={"file": ("a.csv", b"category\nx\n")})
        assert resp.status_code == 403
    finally:
        await client.aclose()


async def test_the_committee_gets_the_403_page(browser: Any, world: World) -> None:
    context, page = await new_page(browser)
    try:
        await sign_in(page, world, world.committee[0])
        resp = await page.goto(world.console + "/nominations/import")
        assert resp is not None and resp.status == 403
        await expect(page.get_by_role("heading", name="Không được phép")).to_be_visible()
        await expect(page.get_by_label("Tệp đề nghị")).to_have_count(0)
        await page.goto(world.console + "/nominations")
        await expect(page.get_by_role("link", name="Nhập từ Excel")).to_have_count(0)
    finally:
        await context.close()
