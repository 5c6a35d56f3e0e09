"""The console shows eligibility: the admin's upload of past titles (bad rows by row and column), the checks on
a nomination's page with their reasons and articles, and the review queue's badge of failed checks."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.awards.helpers import campaign, category, nomination_body

from .conftest import Account, World, account
from .helpers import ConsoleClient

LDTT = "Lao động tiên tiến"
CITE = "Luật Thi đua, khen thưởng 2003 (sửa đổi, bổ sung năm 2013), Điều 23 khoản 1"


@pytest.fixture(scope="module")
async def admin_account(world: World) -> AsyncIterator[Account]:
    admin = await account(world.admin, "admin")
    yield admin
    await admin.api.aclose()


async def upload(client: ConsoleClient, lines: list[str]) -> httpx.Response:
    token = await client.token_on("/titles/import")
    body = "kind,unit_code,full_name,person_id,title,year\n" + "\n".join(lines) + "\n"
    return await client.post(
        "/titles/import", data={"_csrf_token": token}, files={"file": ("danh-hieu.csv", body.encode(), "text/csv")}
    )


async def test_titles_upload_then_checks_on_the_nomination_and_in_the_queue(
    world: World, admin_account: Account
) -> None:
    anh = world.people["Nguyễn Thị Ánh"]
    binh = world.people["Phạm Văn Bình"]
    admin = ConsoleClient(world)
    committee = ConsoleClient(world)
    officer = ConsoleClient(world)
    try:
        await admin.sign_in(admin_account)
        # A bad row: the page names its row and column; nothing is imported.
        resp = await upload(
            admin, [f"individual,{world.commune_a['code']},Nguyễn Thị Ánh,,{LDTT},2014", "individual,,,,,x"]
        )
        assert resp.status_code == 400
        assert "Dòng 3" in resp.text and "year (năm)" in resp.text and "Không nhập được danh hiệu nào" in resp.text
        # No file chosen: said so, nothing sent on.
        token = await admin.token_on("/titles/import")
        resp = await admin.post("/titles/import", data={"_csrf_token": token})
        assert resp.status_code == 400 and "Chọn tệp .xlsx hoặc .csv để nhập." in resp.text
        resp = await upload(admin, [f"individual,{world.commune_a['code']},Nguyễn Thị Ánh,,{LDTT},2014"])
        assert resp.status_code == 200 and "Đã nhập 1 danh hiệu" in resp.text, resp.text
        # Officers and the committee may not import.
        await officer.sign_in(world.officer_a)
        assert (await officer.get("/titles/import")).status_code == 403

        # A 2014 campaign whose category requires LĐTT of the same year.
        api = world.committee[0].api
        drive = await campaign(api, world.province["id"], year=2014, name=f"Thi đua năm 2014 {uuid.uuid4().hex[:4]}")
        cat = await category(api, drive["id"], kind="individual", quota=5, name="Chiến sĩ thi đua cơ sở")
        ok = await world.admin.awards.post("/nominations", json=nomination_body(cat["id"], person_id=anh["id"]))
        waiting = await world.admin.awards.post("/nominations", json=nomination_body(cat["id"], person_id=binh["id"]))
        assert ok.status_code == 201 and waiting.status_code == 201
        rule = {"kind": "requires_award", "title": LDTT, "citation": CITE}
        resp = await api.awards.patch(f"/campaigns/{drive['id']}/categories/{cat['id']}", json={"rules": [rule]})
        assert resp.status_code == 200, resp.text

        await committee.sign_in(world.committee[0])
        page = await committee.get(f"/nominations/{waiting.json()['id']}")
        assert page.status_code == 200
        assert "Điều kiện" in page.text and "Chưa đủ điều kiện" in page.text
        assert "Chưa có Lao động tiên tiến năm 2014: không đạt" in page.text and CITE in page.text
        page = await committee.get(f"/nominations/{ok.json()['id']}")
        assert "Đã có Lao động tiên tiến năm 2014 (danh sách nhập): đạt" in page.text

        queue = await committee.get(f"/review?campaign_id={drive['id']}")
        assert queue.status_code == 200
        assert "Chưa đủ điều kiện: 1" in queue.text and "Đủ điều kiện" in queue.text
    finally:
        for c in (admin, committee, officer):
            await c.aclose()
