"""The council in the console, in a real Chromium with JavaScript off: a category with a pass mark
(`Tỷ lệ phiếu đồng ý`), the roster (`Lưu hội đồng`), two members' votes and one's recusal (`Không tham
gia biểu quyết` with its `Lý do`), the approval refused with the tally until the pass mark is reached,
a secret ballot (`Bỏ phiếu kín`) that shows no names, and the `Biên bản kiểm phiếu`.

Screenshots: test-artifacts/console-ballot.png, console-ballot-nomination.png.
"""

from __future__ import annotations

import uuid
from typing import Any

from playwright.async_api import expect

from tests.awards.helpers import campaign, category, nominate
from tests.browser import artifact
from tests.support import eventually

from .conftest import Account, World
from .helpers import new_page, sign_in


async def account_id(who: Account) -> str:
    return str((await who.api.units.get("/auth/me")).json()["id"])


async def test_a_council_votes_recuses_and_reaches_the_pass_mark(browser: Any, world: World) -> None:
    members = world.committee
    ids = [await account_id(m) for m in members]

    async def candidates_known() -> bool:
        items = (await members[0].api.awards.get("/council/candidates")).json()["items"]
        return set(ids) <= {m["account_id"] for m in items}

    await eventually(candidates_known, timeout=10)
    # A campaign of its own: the shared one stays without a council for the other suites.
    drive = await campaign(members[0].api, world.province["id"], name=f"Phong trào Hội đồng {uuid.uuid4().hex[:4]}")
    page_url = world.console + f"/campaigns/{drive['id']}"
    secret = await category(
        members[0].api,
        drive["id"],
        kind="individual",
        name="Chiến sĩ thi đua cơ sở",
        form="Danh hiệu",
        secret_ballot=True,
    )

    chair_context, chair = await new_page(browser)
    try:
        await sign_in(chair, world, members[0])
        await chair.goto(page_url)
        # A category decided by at least 90% of the council, added through the form.
        adding = chair.locator("form.add-category")
        await adding.get_by_label("Mã danh hiệu").fill(f"CSTD-{uuid.uuid4().hex[:4]}")
        await adding.get_by_label("Tên danh hiệu").fill("Cá nhân xuất sắc")
        await adding.get_by_label("Đối tượng").select_option("individual")
        await adding.get_by_label("Chỉ tiêu").fill("3")
        await adding.get_by_label("Hình thức").fill("Bằng khen")
        await adding.get_by_label("Tỷ lệ phiếu đồng ý").select_option("at_least")
        await adding.get_by_label("Phần trăm").fill("90")
        await adding.get_by_label("Số ngày làm việc lấy ý kiến").fill("0")
        await adding.get_by_role("button", name="Thêm danh hiệu").click()
        await expect(chair.locator(".notice")).to_have_text("Đã thêm danh hiệu, hình thức.")
        got = (await members[0].api.awards.get(f"/campaigns/{drive['id']}")).json()
        open_k = next(k for k in got["categories"] if k["name"] == "Cá nhân xuất sắc")
        assert open_k["pass_mark"] == {"at_least_percent": 90} and open_k["secret_ballot"] is False
        # The roster: the three committee members.
        roster = chair.locator("form.council")
        for m in members:
            await roster.get_by_label(m.username).check()
        await roster.get_by_role("button", name="Lưu hội đồng").click()
        await expect(chair.locator(".notice")).to_have_text("Đã lưu hội đồng.")
        council = (await members[0].api.awards.get(f"/campaigns/{drive['id']}/council")).json()
        assert sorted(council["member_account_ids"]) == sorted(ids)
        for m in members:
            await expect(chair.locator("form.council").get_by_label(m.username)).to_be_checked()
    finally:
        await chair_context.close()

    nominee = world.people["Phạm Văn Bình"]
    n = await nominate(world.officer_a.api, open_k["id"], person_id=nominee["id"])
    url = world.console + f"/nominations/{n['id']}"

    contexts = []
    try:
        pages = []
        for m in members:
            context, page = await new_page(browser)
            contexts.append(context)
            await sign_in(page, world, m)
            await page.goto(url)
            pages.append(page)
        first, second, third = pages
        await first.get_by_label("Nhận xét").fill("Thành tích tiêu biểu")
        await first.get_by_role("button", name="Đồng ý", exact=True).click()
        await expect(first.locator(".notice")).to_have_text("Đã ghi nhận ý kiến của bạn.")
        await expect(first.locator("#phieu-cua-ban")).to_contain_text("Đồng ý")
        # The third recuses, with a reason; it may then neither vote nor recuse again.
        recusing = third.locator("form.recuse")
        await recusing.get_by_label("Lý do").fill("Là người thân của người được đề nghị")
        await recusing.get_by_role("button", name="Không tham gia biểu quyết").click()
        await expect(third.locator(".notice")).to_have_text("Đã ghi nhận: bạn không tham gia biểu quyết đề nghị này.")
        await expect(third.locator("#khong-tham-gia")).to_have_text("1")
        await expect(third.locator("#co-quyen")).to_have_text("2")
        assert await third.get_by_role("button", name="Đồng ý", exact=True).count() == 0
        assert await third.get_by_role("button", name="Không tham gia biểu quyết").count() == 0
        # 1 of 2 entitled: below 90%. The approval is refused with the tally.
        await first.goto(url)
        await expect(first.locator("#ty-le")).to_contain_text("chưa đạt")
        await first.get_by_role("button", name="Duyệt", exact=True).click()
        await expect(first.locator("#approve-error")).to_contain_text("1 of 2 entitled members voted yes")
        await expect(first.locator("#trang-thai")).to_have_text("Đã gửi")
        # The second votes yes: 2 of 2.
        await second.goto(url)
        await second.get_by_role("button", name="Đồng ý", exact=True).click()
        await expect(second.locator(".notice")).to_have_text("Đã ghi nhận ý kiến của bạn.")
        await expect(second.locator("#ty-le")).to_contain_text("đạt")
        await expect(second.locator("ul.votes")).to_contain_text(members[0].username)
        await expect(second.locator("ul.recusals")).to_contain_text("Là người thân")
        await second.screenshot(path=str(artifact("console-ballot-nomination.png")), full_page=True)
        await first.goto(url)
        await first.get_by_role("button", name="Duyệt", exact=True).click()
        await expect(first.locator(".notice")).to_have_text("Đã duyệt đề nghị.")
        await expect(first.locator("#trang-thai")).to_have_text("Đã duyệt")

        # A secret ballot: counts, the words `Bỏ phiếu kín`, and no names.
        s = await nominate(world.officer_a.api, secret["id"], person_id=nominee["id"])
        secret_url = world.console + f"/nominations/{s['id']}"
        await first.goto(secret_url)
        await expect(first.locator("#bieu-quyet")).to_contain_text("Bỏ phiếu kín")
        assert await first.get_by_label("Nhận xét").count() == 0
        await first.get_by_role("button", name="Không đồng ý", exact=True).click()
        await expect(first.locator(".notice")).to_have_text("Đã ghi nhận ý kiến của bạn.")
        await expect(first.locator("#phieu-cua-ban")).to_have_text("Bạn đã bỏ phiếu kín.")
        assert await first.get_by_role("button", name="Đồng ý", exact=True).count() == 0  # cast once
        await second.goto(secret_url)
        await second.get_by_role("button", name="Đồng ý", exact=True).click()
        await expect(second.locator("#phieu-dong-y")).to_have_text("Đồng ý: 1")
        await expect(second.locator("#phieu-khong-dong-y")).to_have_text("Không đồng ý: 1")
        ballot_text = await second.locator("#bieu-quyet").inner_text()
        assert not any(m.username in ballot_text for m in members), ballot_text

        # The ballot's record, from the campaign page's link.
        await first.goto(page_url)
        await first.get_by_role("link", name="Biên bản kiểm phiếu").click()
        await expect(first.locator("h1")).to_have_text("Biên bản kiểm phiếu")
        rows = first.locator("table.ballot tbody tr")
        await expect(first.locator("table.ballot")).to_contain_text("Là người thân của người được đề nghị")
        secret_row = rows.filter(has_text="Chiến sĩ thi đua cơ sở")
        await expect(secret_row).to_contain_text("Bỏ phiếu kín")
        row_text = await secret_row.inner_text()
        assert not any(m.username in row_text for m in members), row_text
        await first.screenshot(path=str(artifact("console-ballot.png")), full_page=True)
    finally:
        for context in contexts:
            await context.close()
