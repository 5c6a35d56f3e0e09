"""Carrying out a directive in the console, over plain HTTP: officers report their units' programme and
sessions (the events service's refusals shown next to the fields), everyone sees the figures and the
charts, the committee sees who is missing and downloads the report as Word and PDF."""

from __future__ import annotations

import functools
import io
import re
import unicodedata
import uuid
from collections.abc import AsyncIterator
from typing import Any

import docx
import httpx
import pytest
from playwright.async_api import expect
from pypdf import PdfReader

from tests.browser import artifact
from tests.support import code, eventually, in_copy

from .conftest import Account, World
from .helpers import ConsoleClient, csrf_of, new_page, sign_in

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def flat(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def field_error(html: str, name: str) -> str:
    found = re.search(rf'<p class="field-error" id="{name}-error">([^<]*)</p>', html)
    assert found, f"no error next to {name}"
    return found.group(1)


@pytest.fixture(scope="module")
async def directive(world: World) -> dict[str, Any]:
    """The committee's directive, issued by the province for the world's campaign (once events knows both)."""
    for unit in (world.province, world.district_a, world.commune_a, world.district_b):
        await eventually(functools.partial(in_copy, world.stack, "events", unit["id"]))
    body = {
        "code": code("20-NQ/TU"),
        "title": "Chương trình hành động",
        "implements": "Nghị quyết số 25-NQ/TW ngày 3/6/2013 của Ban Chấp hành Trung ương Đảng (khóa XI)",
        "issuing_unit_id": world.province["id"],
        "issued_on": "2013-08-07",
        "campaign_ids": [world.campaign["id"]],
    }

    async def issued() -> dict[str, Any] | None:
        resp = await world.committee[0].api.events.post("/directives", json=body)
        return resp.json() if resp.status_code == 201 else None

    made: dict[str, Any] = await eventually(issued)
    return made


@pytest.fixture
async def as_user(world: World) -> AsyncIterator[Any]:
    clients: list[ConsoleClient] = []

    async def sign_in(who: Account) -> ConsoleClient:
        client = ConsoleClient(world)
        await client.sign_in(who)
        clients.append(client)
        return client

    yield sign_in
    for c in clients:
        await c.aclose()


async def post_form(client: ConsoleClient, page: str, action: str, data: dict[str, Any]) -> httpx.Response:
    return await client.post(action, data={"_csrf_token": await client.token_on(page), **data})


def report_form(prefix: str, **fields: str) -> dict[str, str]:
    """A report form's fields (named `p_…` or `s_…` on the page, by `prefix`), under a fresh idempotency key."""
    return {"idempotency_key": str(uuid.uuid4())} | {f"{prefix}_{name}": value for name, value in fields.items()}


def programme(unit: dict[str, Any], number: str, issued_on: str, title: str) -> dict[str, str]:
    return report_form("p", unit_id=unit["id"], number=number, issued_on=issued_on, title=title)


def study_session(unit: dict[str, Any], attendees: str) -> dict[str, str]:
    """A study session held on 2/10/2013."""
    return report_form(
        "s", unit_id=unit["id"], held_on="2013-10-02", kind="study", title="Hội nghị quán triệt", attendees=attendees
    )


async def implementation(world: World, directive: dict[str, Any]) -> dict[str, Any]:
    resp = await world.admin.events.get(f"/directives/{directive['id']}/implementation")
    assert resp.status_code == 200, resp.text
    body: dict[str, Any] = resp.json()
    return body


async def test_an_officer_reports_a_programme_and_a_session(
    world: World, directive: dict[str, Any], as_user: Any
) -> None:
    officer = await as_user(world.officer_a)
    listing = await officer.get("/directives")
    assert listing.status_code == 200
    assert re.search(r'<a href="/directives"[^>]*>Chương trình hành động</a>', listing.text)  # the nav link
    assert f"Số {directive['code']}" in listing.text
    page_path = f"/directives/{directive['id']}"
    page = await officer.get(page_path)
    assert page.status_code == 200, page.text
    html = page.text
    assert html.count("<svg") == 2 and "Kết quả thực hiện" in html
    assert "Báo cáo chương trình, kế hoạch của đơn vị" in html and "Báo cáo buổi học tập, quán triệt" in html
    # The units to pick: the officer's subtree only.
    select = html[html.index('<select id="p_unit_id"') :]
    select = select[: select.index("</select>")]
    assert world.commune_a["id"] in select and world.district_a["id"] in select
    assert world.district_b["id"] not in select
    before = await implementation(world, directive)

    fields = programme(world.commune_a, "05-CTr/ĐU", "2013-09-10", "Chương trình hành động của Đảng ủy xã")
    done = await post_form(officer, page_path, page_path + "/programmes", fields)
    assert done.status_code == 303 and done.headers["location"] == page_path + "?done=programme"
    shown = await officer.get(done.headers["location"])
    assert "Đã ghi nhận chương trình, kế hoạch thực hiện của đơn vị." in shown.text
    after = await implementation(world, directive)
    kind = world.commune_a["kind"]
    assert after["programmes"][kind]["done"] == before["programmes"][kind]["done"] + 1

    # A second programme for the same unit: the events service's 409, said next to the unit.
    fields = programme(world.commune_a, "06-CTr/ĐU", "2013-09-11", "Lần hai")
    again = await post_form(officer, page_path, page_path + "/programmes", fields)
    assert again.status_code == 409
    assert "đã báo cáo chương trình, kế hoạch" in field_error(again.text, "p_unit_id")
    assert 'value="06-CTr/ĐU"' in again.text  # what was typed stays

    # A session: 0 attendees is refused by the service (400), a word by the console, 120 is taken.
    bounds = "Số người dự phải là số nguyên từ 1 đến 1.000.000."
    for attendees, said in (
        ("0", bounds),
        ("2000000", bounds),
        ("nhiều", "Nhập số người dự: một số nguyên, ví dụ 120."),
    ):
        refused = await post_form(
            officer, page_path, page_path + "/sessions", study_session(world.commune_a, attendees)
        )
        assert refused.status_code == 400, (attendees, refused.status_code)
        assert field_error(refused.text, "s_attendees") == said
    ok = await post_form(officer, page_path, page_path + "/sessions", study_session(world.commune_a, "120"))
    assert ok.status_code == 303 and ok.headers["location"] == page_path + "?done=session"
    final = await implementation(world, directive)
    assert final["sessions"]["count"] == before["sessions"]["count"] + 1
    assert final["sessions"]["attendees"] == before["sessions"]["attendees"] + 120


async def test_an_officer_cannot_report_for_a_unit_outside_its_subtree(
    world: World, directive: dict[str, Any], as_user: Any
) -> None:
    officer = await as_user(world.officer_b)
    page_path = f"/directives/{directive['id']}"
    fields = programme(world.commune_a, "01", "2013-09-10", "Không thuộc phạm vi")
    resp = await post_form(officer, page_path, page_path + "/programmes", fields)
    assert resp.status_code == 403
    assert "ngoài phạm vi" in field_error(resp.text, "p_unit_id")
    # Without the form's token nothing is sent.
    bare = await officer.post(page_path + "/programmes", data={"p_unit_id": world.district_b["id"]})
    assert bare.status_code == 403
    programmes = await world.admin.events.get(
        f"/directives/{directive['id']}/programmes", params={"unit_id": world.district_b["id"]}
    )
    assert programmes.json()["items"] == []


async def test_the_committee_sees_who_is_missing_and_downloads_the_report(
    world: World, directive: dict[str, Any], as_user: Any
) -> None:
    committee = await as_user(world.committee[0])
    page_path = f"/directives/{directive['id']}"
    page = await committee.get(page_path)
    assert page.status_code == 200
    html = page.text
    assert "Đơn vị chưa xây dựng chương trình, kế hoạch" in html
    assert world.district_b["name"] in html  # no programme yet
    assert "Gửi báo cáo chương trình" not in html  # the committee follows, it does not report
    assert html.count("<svg") == 2
    csrf = csrf_of(html)
    forbidden = await committee.post(
        page_path + "/programmes", data={"_csrf_token": csrf, "p_unit_id": world.district_b["id"]}
    )
    assert forbidden.status_code == 403

    figures = await implementation(world, directive)
    word = await committee.get(page_path + "/report.docx")
    assert word.status_code == 200 and word.headers["content-type"] == DOCX
    assert word.headers["content-disposition"].startswith("attachment;")
    document = docx.Document(io.BytesIO(word.content))
    text = flat("\n".join(p.text for p in document.paragraphs))
    sessions = figures["sessions"]
    assert f"tổ chức {sessions['count']} buổi học tập, quán triệt" in text or sessions["count"] == 0
    assert "Một số nơi việc xây dựng chương trình, kế hoạch thực hiện còn chậm" in text
    assert world.district_b["name"] in text

    pdf = await committee.get(page_path + "/report.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert "còn chậm" in flat(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages))
    assert (await committee.get(page_path + "/report.exe")).status_code == 404
    assert (await committee.get(f"/directives/{uuid.uuid4()}")).status_code == 404


async def test_the_directive_page_in_a_browser_without_javascript(
    browser: Any, world: World, directive: dict[str, Any]
) -> None:
    context, page = await new_page(browser)
    try:
        await sign_in(page, world, world.committee[0])
        await page.get_by_role("link", name="Chương trình hành động").first.click()
        await page.get_by_role("link", name=f"Số {directive['code']}").click()
        await expect(page.get_by_role("heading", name="Kết quả thực hiện")).to_be_visible()
        # The charts are pictures with names a screen reader says, drawn without a script.
        await expect(
            page.get_by_role("img", name="Xây dựng chương trình, kế hoạch thực hiện theo đơn vị trực thuộc")
        ).to_be_visible()
        await expect(
            page.get_by_role("img", name="Buổi học tập, quán triệt và lượt người dự theo tháng")
        ).to_be_visible()
        await page.screenshot(path=str(artifact("console-directive.png")), full_page=True)
        async with page.expect_download() as download:
            await page.get_by_role("link", name="Tải báo cáo (Word)").click()
        assert (await download.value).suggested_filename.endswith(".docx")
    finally:
        await context.close()


async def test_a_session_before_the_directive_is_refused_next_to_its_date(
    world: World, directive: dict[str, Any], as_user: Any
) -> None:
    officer = await as_user(world.officer_a)
    page_path = f"/directives/{directive['id']}"
    fields = {
        "s_unit_id": world.district_a["id"],
        "s_held_on": "2013-08-06",
        "s_kind": "dialogue",
        "s_title": "Đối thoại <b>với</b> nhân dân",
        "s_attendees": "1.234",
    }
    resp = await post_form(officer, page_path, page_path + "/sessions", fields)
    assert resp.status_code == 400
    assert field_error(resp.text, "s_held_on") == "Ngày phải từ ngày ban hành văn bản (7/8/2013) trở đi."
    assert "Đối thoại &lt;b&gt;với&lt;/b&gt; nhân dân" in resp.text  # what was typed, as text
    bad_day = await post_form(officer, page_path, page_path + "/sessions", {**fields, "s_held_on": "2013-02-30"})
    assert bad_day.status_code == 400 and field_error(bad_day.text, "s_held_on") == "Ngày không hợp lệ."
    wrong_kind = await post_form(officer, page_path, page_path + "/sessions", {**fields, "s_kind": "party"})
    assert wrong_kind.status_code == 400 and field_error(wrong_kind.text, "s_kind") == "Chọn hình thức."
    ok = await post_form(officer, page_path, page_path + "/sessions", {**fields, "s_held_on": "2013-08-07"})
    assert ok.status_code == 303
    listed = await world.admin.events.get(
        f"/directives/{directive['id']}/sessions", params={"unit_id": world.district_a["id"]}
    )
    assert [(s["attendees"], s["kind"]) for s in listed.json()["items"]] == [(1234, "dialogue")]


async def test_the_committee_issues_a_directive_in_the_console(world: World, as_user: Any) -> None:
    officer = await as_user(world.officer_a)
    assert (await officer.get("/directives/new")).status_code == 403
    assert "/directives/new" not in (await officer.get("/directives")).text
    committee = await as_user(world.committee[0])
    assert 'href="/directives/new"' in (await committee.get("/directives")).text
    form = await committee.get("/directives/new")
    assert form.status_code == 200 and world.campaign["name"] in form.text
    empty = await post_form(committee, "/directives/new", "/directives/new", {"issuing_unit_id": ""})
    assert empty.status_code == 400
    assert field_error(empty.text, "code") == "Nhập số, ký hiệu của văn bản."
    assert field_error(empty.text, "issuing_unit_id") == "Chọn đơn vị ban hành."
    number = code("15-CTr/HU")
    fields = {
        "code": number,
        "title": "Chương trình hành động",
        "implements": "Chương trình hành động số 20-NQ/TU của Tỉnh ủy",
        "issuing_unit_id": world.district_a["id"],
        "issued_on": "2013-09-01",
        "campaign_id": world.campaign["id"],
        "idempotency_key": str(uuid.uuid4()),
    }
    made = await post_form(committee, "/directives/new", "/directives/new", fields)
    assert made.status_code == 303, made.text
    page = await committee.get(made.headers["location"])
    assert "Đã ban hành chương trình hành động." in page.text and f"số {number}" in page.text
    again = await post_form(
        committee, "/directives/new", "/directives/new", {**fields, "idempotency_key": str(uuid.uuid4())}
    )
    assert again.status_code == 409
    assert field_error(again.text, "code") == "Đã có văn bản mang số, ký hiệu này."


async def test_an_officer_uploads_its_unit_s_programme_document_through_the_console(
    world: World, directive: dict[str, Any], as_user: Any
) -> None:
    from tests.awards.test_attachments import ELF, pdf_bytes

    made = await world.admin.events.post(
        f"/directives/{directive['id']}/programmes",
        json={
            "unit_id": world.district_a["id"],
            "number": "12-CTr/HU",
            "issued_on": "2013-09-02",
            "title": "Chương trình hành động của Huyện ủy",
        },
    )
    assert made.status_code == 201, made.text
    programme_id = made.json()["id"]
    page_path = f"/directives/{directive['id']}"
    action = f"{page_path}/programmes/{programme_id}/document"
    officer = await as_user(world.officer_a)  # the officer of district_a: its own unit's programme is shown
    page = await officer.get(page_path)
    assert "Văn bản chương trình (PDF, Word)" in page.text and ">Tải lên</button>" in page.text
    assert f'id="programme-{programme_id}"' in page.text and "12-CTr/HU" in page.text
    assert f'href="{action}"' not in page.text  # no document yet

    pdf = pdf_bytes("Chuong trinh 12")
    name = "Chương trình 12-CTr.pdf"
    sent = await officer.post(
        action,
        data={"_csrf_token": await officer.token_on(page_path)},
        files={"file": (name, pdf, "application/pdf")},
    )
    assert sent.status_code == 303 and sent.headers["location"] == page_path + "?done=document#chuong-trinh"
    shown = await officer.get(page_path + "?done=document")
    assert "Đã tải lên văn bản chương trình." in shown.text
    assert re.search(rf'<a href="{re.escape(action)}" download>{re.escape(name)}</a>', shown.text)
    got = await officer.get(action)
    assert got.status_code == 200 and got.content == pdf and got.headers["content-type"] == "application/pdf"
    assert got.headers["x-content-type-options"] == "nosniff"
    again = await officer.get(action, headers={"If-None-Match": got.headers["etag"]})
    assert again.status_code == 304
    stored = (await world.admin.events.get(f"/directives/{directive['id']}/programmes/{programme_id}")).json()
    assert stored["document"]["filename"] == name and stored["document"]["size"] == len(pdf)

    # A program renamed .pdf: the events service's 400, said next to the file; nothing replaced.
    bad = await officer.post(
        action,
        data={"_csrf_token": await officer.token_on(page_path)},
        files={"file": (name, ELF, "application/pdf")},
    )
    assert bad.status_code == 400
    assert "PDF hoặc Word" in field_error(bad.text, "doc_file")
    # Another district's officer: 403, said next to the file.
    other = await as_user(world.officer_b)
    refused = await other.post(
        action,
        data={"_csrf_token": await other.token_on(page_path)},
        files={"file": ("x.pdf", pdf_bytes("khác"), "application/pdf")},
    )
    assert refused.status_code == 403
    # Its page shows no form for this programme (not its unit's): the reason is the page's alert.
    assert re.search(r'<div class="alert" role="alert"><p>[^<]*ngoài phạm vi', refused.text)
    assert (await officer.get(action)).content == pdf
