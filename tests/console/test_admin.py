"""The admin's pages of the console: accounts (create, lock, unlock, reset, change), the unit tree
(browse, create, rename, move, import from Excel) and people (an officer's within its subtree), each
acting through the units service only; who may not use them gets the 403 page."""

from __future__ import annotations

import io
import uuid
from collections.abc import AsyncIterator
from typing import Any

import openpyxl
import pytest
from playwright.async_api import expect

from services.console import domain
from tests.browser import artifact
from tests.support import Api, eventually

from .conftest import Account, World, account
from .helpers import ConsoleClient, new_page, service_calls, sign_in


@pytest.fixture(scope="module")
async def admin_account(world: World) -> AsyncIterator[Account]:
    admin = await account(world.admin, "admin")
    yield admin
    await admin.api.aclose()


def tag() -> str:
    return uuid.uuid4().hex[:6]


async def units_with_code(world: World, code: str) -> list[dict]:
    resp = await world.admin.units.get("/units", params={"q": code})
    assert resp.status_code == 200, resp.text
    return [u for u in resp.json()["items"] if u["code"] == code]


def account_row(page: Any, username: str) -> Any:
    return page.locator("table.accounts tbody tr", has=page.get_by_role("link", name=username, exact=True))


# ------------------------------------------------------------------ accounts
async def test_admin_creates_an_officer_who_then_signs_in(browser: Any, world: World, admin_account: Account) -> None:
    username, password = f"canbo-{tag()}", "mat-khau-" + tag()
    context, page = await new_page(browser)
    try:
        await sign_in(page, world, admin_account)
        await page.get_by_role("link", name="Tài khoản", exact=True).click()
        await expect(page.get_by_role("heading", name="Tài khoản", exact=True)).to_be_visible()
        # The unit, found without diacritics.
        await page.get_by_label("Tìm đơn vị").fill("ham thuan bac")
        await page.get_by_role("button", name="Tìm", exact=True).click()
        unit_select = page.get_by_label("Đơn vị", exact=True)
        await expect(unit_select.locator("option", has_text="Huyện ủy Hàm Thuận Bắc")).to_have_count(1)
        assert await unit_select.locator("option", has_text="Tuy Phong").count() == 0
        await page.get_by_label("Tên đăng nhập", exact=True).fill(username)
        await page.get_by_label("Mật khẩu", exact=True).fill(password)
        await page.get_by_label("Tên hiển thị").fill("Nguyễn Văn Cán Bộ")
        await page.get_by_label("Vai trò").select_option(label="Cán bộ đơn vị")
        await unit_select.select_option(value=world.district_a["id"])
        await page.get_by_role("button", name="Tạo tài khoản").click()
        await expect(page.get_by_role("status")).to_have_text("Đã tạo tài khoản.")
        row = account_row(page, username)
        await expect(row).to_contain_text("Cán bộ đơn vị")
        await expect(row).to_contain_text("Huyện ủy Hàm Thuận Bắc")
        await expect(row).to_contain_text("Đang hoạt động")
        await expect(row.get_by_role("button", name="Khóa", exact=True)).to_be_visible()
        await page.screenshot(path=str(artifact("console-accounts.png")), full_page=True)
    finally:
        await context.close()
    officer = Account(username, password, world.admin)
    context, page = await new_page(browser)
    try:
        await sign_in(page, world, officer)
        await expect(page.get_by_role("heading", name="Hồ sơ đề nghị")).to_be_visible()
        await expect(page.locator(".who")).to_contain_text("Huyện ủy Hàm Thuận Bắc")
        await expect(
            page.get_by_role("navigation", name="Chức năng").get_by_role("link", name="Đề nghị mới")
        ).to_be_visible()
    finally:
        await context.close()


async def test_khoa_ends_the_open_session_and_mo_khoa_lets_it_in_again(
    browser: Any, world: World, admin_account: Account
) -> None:
    officer = await account(world.admin, "officer", world.district_a["id"])
    admin_ctx, admin_page = await new_page(browser)
    officer_ctx, officer_page = await new_page(browser)
    try:
        await sign_in(officer_page, world, officer)
        await expect(officer_page.get_by_role("heading", name="Hồ sơ đề nghị")).to_be_visible()
        await sign_in(admin_page, world, admin_account)
        await admin_page.goto(world.console + f"/accounts?q={officer.username}")
        await account_row(admin_page, officer.username).get_by_role("button", name="Khóa", exact=True).click()
        await expect(admin_page.get_by_role("status")).to_contain_text("Đã khóa tài khoản")
        row = account_row(admin_page, officer.username)
        await expect(row).to_contain_text("Đã khóa")
        assert "q=" in admin_page.url  # back to the list it was on

        # The officer's next click lands on /login (the console learns it from the units service's event).
        async def ended() -> bool:
            await officer_page.get_by_role("link", name="Hồ sơ đề nghị").first.click()
            return "/login" in officer_page.url

        await eventually(ended, timeout=5)
        await expect(officer_page.get_by_role("status")).to_have_text(
            "Tài khoản của bạn đã bị khóa; phiên làm việc đã kết thúc."
        )

        await row.get_by_role("button", name="Mở khóa", exact=True).click()
        await expect(admin_page.get_by_role("status")).to_have_text("Đã mở khóa tài khoản.")
        await expect(account_row(admin_page, officer.username)).to_contain_text("Đang hoạt động")

        async def signs_in() -> bool:
            await officer_page.goto(world.console + "/login")
            await officer_page.get_by_label("Tên đăng nhập", exact=True).fill(officer.username)
            await officer_page.get_by_label("Mật khẩu", exact=True).fill(officer.password)
            await officer_page.get_by_role("button", name="Đăng nhập").click()
            return "/login" not in officer_page.url

        await eventually(signs_in, timeout=5)
        await expect(officer_page.get_by_role("heading", name="Hồ sơ đề nghị")).to_be_visible()
    finally:
        await admin_ctx.close()
        await officer_ctx.close()
        await officer.api.aclose()


async def test_reset_password_and_change_of_role_and_unit(browser: Any, world: World, admin_account: Account) -> None:
    officer = await account(world.admin, "officer", world.district_a["id"])
    me = (await officer.api.units.get("/auth/me")).json()
    context, page = await new_page(browser)
    try:
        await sign_in(page, world, admin_account)
        await page.goto(world.console + f"/accounts/{me['id']}")
        await page.get_by_label("Mật khẩu mới").fill("ngan")  # the units service's minimum is 8
        await page.get_by_role("button", name="Đặt lại mật khẩu").click()
        field = page.locator(".field", has=page.get_by_label("Mật khẩu mới"))
        await expect(field.locator(".field-error")).to_be_visible()
        await page.get_by_label("Mật khẩu mới").fill("mat-khau-moi-2026")
        await page.get_by_role("button", name="Đặt lại mật khẩu").click()
        await expect(page.get_by_role("status")).to_contain_text("Đã đặt lại mật khẩu")
        # An officer keeps a unit: the units service's refusal, next to the field.
        await page.get_by_label("Đơn vị", exact=True).select_option(value="")
        await page.get_by_role("button", name="Lưu thay đổi").click()
        field = page.locator(".field", has=page.get_by_label("Đơn vị", exact=True))
        await expect(field.locator(".field-error")).to_be_visible()
        # Another district, then the committee.
        await page.get_by_label("Tìm đơn vị").fill("tuy phong")
        await page.get_by_role("button", name="Tìm", exact=True).click()
        await page.get_by_label("Đơn vị", exact=True).select_option(value=world.district_b["id"])
        await page.get_by_role("button", name="Lưu thay đổi").click()
        await expect(page.get_by_role("status")).to_have_text("Đã lưu thay đổi.")
        await expect(page.locator(".facts")).to_contain_text("Huyện ủy Tuy Phong")
        await page.get_by_label("Vai trò").select_option(label="Thường trực Hội đồng")
        await page.get_by_role("button", name="Lưu thay đổi").click()
        await expect(page.locator(".facts")).to_contain_text("Thường trực Hội đồng")
    finally:
        await context.close()
    account_now = (await world.admin.units.get(f"/accounts/{me['id']}")).json()
    assert account_now["role"] == "committee"
    await (await Api.login(world.stack, officer.username, "mat-khau-moi-2026")).aclose()
    old = await world.admin.units.post("/auth/token", json={"username": officer.username, "password": officer.password})
    assert old.status_code == 401
    await officer.api.aclose()


async def test_a_refused_account_form_keeps_what_was_typed(browser: Any, world: World, admin_account: Account) -> None:
    context, page = await new_page(browser)
    try:
        await sign_in(page, world, admin_account)
        await page.goto(world.console + "/accounts?unit_q=tuy+phong")
        await page.get_by_label("Tên đăng nhập", exact=True).fill(world.officer_a.username)  # taken
        await page.get_by_label("Mật khẩu", exact=True).fill("mat-khau-dai-du")
        await page.get_by_label("Tên hiển thị").fill("Trần Thị Trùng Tên")
        await page.get_by_label("Vai trò").select_option(label="Cán bộ đơn vị")
        await page.get_by_label("Đơn vị", exact=True).select_option(value=world.district_b["id"])
        await page.get_by_role("button", name="Tạo tài khoản").click()
        field = page.locator(".field", has=page.get_by_label("Tên đăng nhập", exact=True))
        await expect(field.locator(".field-error")).to_contain_text("taken")
        assert await page.get_by_label("Tên đăng nhập", exact=True).input_value() == world.officer_a.username
        assert await page.get_by_label("Tên hiển thị").input_value() == "Trần Thị Trùng Tên"
        assert await page.get_by_label("Vai trò").input_value() == "officer"
        assert await page.get_by_label("Đơn vị", exact=True).input_value() == world.district_b["id"]
        assert await page.get_by_label("Tìm đơn vị").input_value() == "tuy phong"
    finally:
        await context.close()


@pytest.mark.parametrize(
    ("who", "path"),
    [
        ("officer", "/accounts"),
        ("committee", "/accounts"),
        ("officer", "/units"),
        ("committee", "/units/import"),
        ("committee", "/people"),
    ],
)
async def test_the_admins_pages_are_the_403_page_for_others(world: World, who: str, path: str) -> None:
    client = ConsoleClient(world)
    try:
        await client.sign_in(world.officer_a if who == "officer" else world.committee[2])
        resp = await client.get(path)
        assert resp.status_code == 403 and "Không được phép" in resp.text
        assert resp.headers["content-type"].startswith("text/html")
        page = await client.get("/nominations")
        assert 'href="/accounts"' not in page.text and 'href="/units"' not in page.text
    finally:
        await client.aclose()


async def test_an_officer_may_not_lock_and_a_post_without_the_token_changes_nothing(
    world: World, admin_account: Account
) -> None:
    target = await account(world.admin, "officer", world.district_b["id"])
    me = (await target.api.units.get("/auth/me")).json()
    officer, admin = ConsoleClient(world), ConsoleClient(world)
    try:
        await officer.sign_in(world.officer_a)
        token = await officer.token_on("/nominations")
        assert (await officer.post(f"/accounts/{me['id']}/lock", {"_csrf_token": token})).status_code == 403
        await admin.sign_in(admin_account)
        assert (await admin.post(f"/accounts/{me['id']}/lock", {})).status_code == 403
        assert (await admin.post("/accounts/new", {"username": "x-" + tag(), "password": "x" * 10})).status_code == 403
    finally:
        await officer.aclose()
        await admin.aclose()
    assert (await world.admin.units.get(f"/accounts/{me['id']}")).json()["disabled"] is False
    await target.api.aclose()


async def test_the_accounts_page_costs_a_bounded_number_of_calls(world: World, admin_account: Account) -> None:
    client = ConsoleClient(world)
    try:
        await client.sign_in(admin_account)
        resp = await client.get("/accounts")
        assert resp.status_code == 200
        # the accounts, the unit select, then the names of the listed accounts' other units (together)
        assert service_calls(resp) <= 2 + resp.text.count("<tr>")
    finally:
        await client.aclose()


# ------------------------------------------------------------------ units
def xlsx(rows: list[list[Any]]) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def test_units_import_is_all_or_nothing_with_errors_by_row(
    browser: Any, world: World, admin_account: Account
) -> None:
    t = tag()
    top, child, bad = f"HU-{t}", f"XA-{t}", f"XB-{t}"
    bad_csv = (
        "code,name,kind,parent_code\n"
        f"{top},Huyện ủy Bắc Bình {t},party_committee,{world.province['code']}\n"
        "\n"  # a blank row: the error still names the row Excel shows
        f"{bad},Đảng ủy xã Phan Thanh {t},not_a_kind,{top}\n"
    ).encode()
    context, page = await new_page(browser)
    try:
        await sign_in(page, world, admin_account)
        await page.get_by_role("link", name="Đơn vị", exact=True).click()
        await page.get_by_role("link", name="Nhập từ Excel").click()
        await page.get_by_label("Tệp danh sách đơn vị").set_input_files(
            files=[{"name": "don-vi.csv", "mimeType": "text/csv", "buffer": bad_csv}]
        )
        await page.get_by_role("button", name="Nhập", exact=True).click()
        await expect(page.get_by_role("alert")).to_contain_text("Không nhập được đơn vị nào")
        errors = page.locator("tr.row-error")
        await expect(errors).to_have_count(1)
        await expect(errors.first).to_contain_text("Dòng 4")
        await expect(errors.first).to_contain_text("kind")
        await page.screenshot(path=str(artifact("console-units-import.png")), full_page=True)
        assert await units_with_code(world, top) == []  # nothing, not even the good row

        # The same units in a workbook, with a blank row: Excel's row numbers, and all created.
        good = xlsx(
            [
                ["code", "name", "kind", "parent_code"],
                [top, f"Huyện ủy Bắc Bình {t}", "party_committee", world.province["code"]],
                [],
                [child, f"Đảng ủy xã Phan Thanh {t}", "grassroots_party_org", top],
            ]
        )
        await page.get_by_label("Tệp danh sách đơn vị").set_input_files(
            files=[
                {
                    "name": "don-vi.xlsx",
                    "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    "buffer": good,
                }
            ]
        )
        await page.get_by_role("button", name="Nhập", exact=True).click()
        await expect(page.get_by_role("status")).to_have_text("Đã nhập 2 đơn vị.")
        # The new unit's page: its breadcrumb up to the province.
        await page.get_by_role("link", name=f"Đảng ủy xã Phan Thanh {t}").click()
        crumbs = page.get_by_role("navigation", name="Vị trí trong cây đơn vị")
        await expect(crumbs).to_contain_text(world.province["name"])
        await expect(crumbs).to_contain_text(f"Huyện ủy Bắc Bình {t}")
        await page.screenshot(path=str(artifact("console-units.png")), full_page=True)
    finally:
        await context.close()
    [made_top] = await units_with_code(world, top)
    [made_child] = await units_with_code(world, child)
    assert made_child["parent_id"] == made_top["id"] and made_top["parent_id"] == world.province["id"]


async def test_an_unreadable_or_headerless_file_is_said_so(world: World, admin_account: Account) -> None:
    client = ConsoleClient(world)
    try:
        await client.sign_in(admin_account)
        token = await client.token_on("/units/import")
        cases = [
            ("don-vi.xlsx", b"PK\x03\x04 not really a workbook", "Không đọc được tệp"),
            ("don-vi.csv", b"ma,ten\nA,B\n", "thiếu cột"),
            ("don-vi.pdf", b"%PDF-1.4", "Chỉ nhận tệp .xlsx hoặc .csv"),
            ("don-vi.csv", b"code,name,kind\n" + "Đ".encode("utf-16"), "UTF-8"),
        ]
        for name, data, said in cases:
            resp = await client.post("/units/import", {"_csrf_token": token}, files={"file": (name, data)})
            assert resp.status_code == 400 and said in resp.text, (name, resp.status_code, resp.text[-800:])
    finally:
        await client.aclose()


async def test_hostile_input_on_the_admins_pages_is_a_page_never_a_500(world: World, admin_account: Account) -> None:
    client = ConsoleClient(world)
    try:
        await client.sign_in(admin_account)
        for path in (
            "/accounts?cursor=not-a-cursor",
            "/accounts?q=" + "a" * 5000,
            "/units?q=%00<x>",
            f"/units/{uuid.uuid4()}",
            "/units/not-a-uuid",
            "/people?cursor=%ff",
            f"/people/{uuid.uuid4()}",
            f"/accounts/{uuid.uuid4()}",
        ):
            resp = await client.get(path)
            assert 200 <= resp.status_code < 500, (path, resp.status_code)
            assert resp.headers["content-type"].startswith("text/html") and "<x>" not in resp.text
        token = await client.token_on("/units")
        forms: list[tuple[str, dict[str, Any]]] = [
            ("/units/new", {"code": "../x", "name": "<b>x</b>", "kind": "party_committee"}),
            ("/units/new", {"code": "OK-1", "name": "x", "kind": "<script>"}),
            ("/units/new", {"code": "OK-2", "name": "a\x00b", "kind": "other", "parent_id": str(uuid.uuid4())}),
            (f"/units/{world.commune_a['id']}/move", {"parent_id": "../../etc"}),
            (f"/units/{world.commune_a['id']}/rename", {"new_name": "x" * 5000}),
            ("/accounts/new", {"username": "<b>x</b>", "password": "p" * 10, "role": "root"}),
            ("/accounts/new", {"username": "ok-user-" + tag(), "password": "p" * 10, "role": "officer"}),
            ("/people/new", {"full_name": "<b>x</b>", "unit_id": "x", "birth_year": "19x5"}),
            ("/units/import", {"file": "not a file"}),
        ]
        for path, form in forms:
            resp = await client.post(path, {"_csrf_token": token, **form})
            assert 400 <= resp.status_code < 500, (path, form, resp.status_code, resp.text[-500:])
            assert "<b>x</b>" not in resp.text and "<script>" not in resp.text
    finally:
        await client.aclose()
    assert await units_with_code(world, "OK-1") == [] and await units_with_code(world, "OK-2") == []


async def test_browse_create_rename_and_move_units(browser: Any, world: World, admin_account: Account) -> None:
    t = tag()
    context, page = await new_page(browser)
    try:
        await sign_in(page, world, admin_account)
        await page.goto(world.console + "/units")
        await page.get_by_label("Tìm đơn vị").fill("ham thuan bac")
        await page.get_by_role("button", name="Tìm", exact=True).click()
        await page.get_by_role("link", name="Huyện ủy Hàm Thuận Bắc").click()
        await expect(page.get_by_role("heading", name="Huyện ủy Hàm Thuận Bắc")).to_be_visible()
        await expect(page.get_by_role("link", name="Đảng ủy xã Hàm Đức")).to_be_visible()
        # A new child; a code already used is refused next to its field, keeping the name typed.
        await page.get_by_label("Mã đơn vị").fill(world.commune_a["code"])
        await page.get_by_label("Tên đơn vị").fill(f"Chi bộ thôn {t}")
        await page.get_by_role("button", name="Thêm đơn vị").click()
        field = page.locator(".field", has=page.get_by_label("Mã đơn vị"))
        await expect(field.locator(".field-error")).to_contain_text("already exists")
        assert await page.get_by_label("Tên đơn vị").input_value() == f"Chi bộ thôn {t}"
        await page.get_by_label("Mã đơn vị").fill(f"CB-{t}")
        await page.get_by_role("button", name="Thêm đơn vị").click()
        await expect(page.get_by_role("status")).to_have_text("Đã thêm đơn vị.")
        await expect(page.get_by_role("heading", name=f"Chi bộ thôn {t}")).to_be_visible()
        # Rename it.
        await page.get_by_label("Tên mới").fill(f"Chi bộ thôn Lâm Hòa {t}")
        await page.get_by_role("button", name="Đổi tên").click()
        await expect(page.get_by_role("heading", name=f"Chi bộ thôn Lâm Hòa {t}")).to_be_visible()
        # Move it under the commune, found without diacritics.
        await page.get_by_label("Tìm đơn vị").fill("ham duc")
        await page.get_by_role("button", name="Tìm", exact=True).click()
        await page.get_by_label("Đơn vị cấp trên").select_option(value=world.commune_a["id"])
        await page.get_by_role("button", name="Chuyển", exact=True).click()
        await expect(page.get_by_role("status")).to_contain_text("Đã chuyển đơn vị")
        crumbs = page.get_by_role("navigation", name="Vị trí trong cây đơn vị")
        await expect(crumbs).to_contain_text("Đảng ủy xã Hàm Đức")
        moved_id = page.url.split("/units/")[1].split("?")[0]
        # A cycle is the units service's refusal, next to the field.
        await page.goto(world.console + f"/units/{world.district_a['id']}?unit_q={world.commune_a['code']}")
        await page.get_by_label("Đơn vị cấp trên").select_option(value=world.commune_a["id"])
        await page.get_by_role("button", name="Chuyển", exact=True).click()
        field = page.locator(".field", has=page.get_by_label("Đơn vị cấp trên"))
        await expect(field.locator(".field-error")).to_be_visible()
    finally:
        await context.close()
    moved = (await world.admin.units.get(f"/units/{moved_id}")).json()
    assert moved["parent_id"] == world.commune_a["id"] and moved["name"] == f"Chi bộ thôn Lâm Hòa {t}"
    district = (await world.admin.units.get(f"/units/{world.district_a['id']}")).json()
    assert district["parent_id"] == world.province["id"]


# ------------------------------------------------------------------ people
async def test_an_officer_adds_and_corrects_people_of_its_subtree(browser: Any, world: World) -> None:
    t = tag()
    context, page = await new_page(browser)
    try:
        await sign_in(page, world, world.officer_a)
        await page.get_by_role("link", name="Người", exact=True).click()
        await expect(page.get_by_role("link", name="Phạm Văn Bình")).to_be_visible()
        assert "Lê Văn Cường" not in await page.content()  # district B's
        # Only its subtree to choose from.
        units = page.get_by_label("Đơn vị", exact=True)
        assert await units.locator("option", has_text="Tuy Phong").count() == 0
        await page.get_by_label("Họ và tên").fill(f"Võ Thị Hồng {t}")
        await page.get_by_label("Chức vụ").fill("Phó Bí thư Đoàn xã")
        await units.select_option(value=world.commune_a["id"])
        await page.get_by_label("Năm sinh").fill("1800")  # the units service refuses it
        await page.get_by_role("button", name="Thêm người").click()
        field = page.locator(".field", has=page.get_by_label("Năm sinh"))
        await expect(field.locator(".field-error")).to_be_visible()
        assert await page.get_by_label("Họ và tên").input_value() == f"Võ Thị Hồng {t}"
        assert await page.get_by_label("Chức vụ").input_value() == "Phó Bí thư Đoàn xã"
        assert await page.get_by_label("Đơn vị", exact=True).input_value() == world.commune_a["id"]
        await page.get_by_label("Năm sinh").fill("1990")
        await page.get_by_role("button", name="Thêm người").click()
        await expect(page.get_by_role("status")).to_have_text("Đã thêm người.")
        # Found without diacritics, then corrected.
        await page.get_by_placeholder("Họ tên, có dấu hoặc không dấu").fill(f"vo thi hong {t}")
        await page.get_by_role("button", name="Tìm người").click()
        await page.get_by_role("link", name=f"Võ Thị Hồng {t}").click()
        await page.get_by_label("Chức vụ").fill("Bí thư Đoàn xã")
        await page.get_by_role("button", name="Lưu", exact=True).click()
        await expect(page.get_by_role("status")).to_have_text("Đã lưu thay đổi.")
        assert await page.get_by_label("Chức vụ").input_value() == "Bí thư Đoàn xã"
        # Another district's person: the service's 403/404, and nothing of the person.
        other = world.people["Lê Văn Cường"]["id"]
        resp = await page.goto(world.console + f"/people/{other}")
        assert resp is not None and resp.status in (403, 404)
        assert "Lê Văn Cường" not in await page.content()
    finally:
        await context.close()
    found = (await world.admin.units.get("/people", params={"q": f"vo thi hong {t}"})).json()["items"]
    assert [(p["position"], p["birth_year"], p["unit_id"]) for p in found] == [
        ("Bí thư Đoàn xã", 1990, world.commune_a["id"])
    ]


def test_the_admins_links_and_the_officers_people_link() -> None:
    links = {role: [link.text for link in domain.nav_for(role)] for role in ("admin", "officer", "committee")}
    assert links["admin"][-3:] == ["Người", "Đơn vị", "Tài khoản"]
    assert "Người" in links["officer"] and "Tài khoản" not in links["officer"] and "Đơn vị" not in links["officer"]
    assert not {"Người", "Đơn vị", "Tài khoản"} & set(links["committee"])
