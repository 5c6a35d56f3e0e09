"""A programme's document on the events service, over HTTP on the real stack: the officer of the programme's
unit (or of a unit above it) or the admin uploads a PDF or a Word file, replaces it, removes it; anyone
downloads it, by its name, with its SHA-256 as the ETag; what is not a PDF or a Word file, or is too large,
is refused naming `file`, and nothing is stored."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from tests.awards.helpers import assert_problem
from tests.awards.test_attachments import ELF, PE, docx_bytes, pdf_bytes, png_bytes, xlsx_bytes
from tests.events.conftest import Source
from tests.events.test_directives import Tree, directive_body, programme, tree
from tests.support import Api, Stack

MIB = 1024 * 1024
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.fixture(scope="module")
async def units(stack: Stack, admin: Api) -> Tree:
    return await tree(stack, admin)


@pytest.fixture
async def reported(admin: Api, committee: Api, units: Tree, source: Source) -> dict[str, Any]:
    """A directive of the province and the programme of a grassroots organisation of the first district."""
    d = await committee.events.post("/directives", json=directive_body(units, source))
    assert d.status_code == 201, d.text
    p = await admin.events.post(f"/directives/{d.json()['id']}/programmes", json=programme(units.grassroots[0]))
    assert p.status_code == 201, p.text
    assert p.json()["document"] is None
    return p.json()


def path_of(p: dict[str, Any]) -> str:
    return f"/directives/{p['directive_id']}/programmes/{p['id']}/document"


async def put(
    api: Api, p: dict[str, Any], name: str, content: bytes, claimed: str = "application/pdf"
) -> httpx.Response:
    return await api.events.put(path_of(p), files={"file": (name, content, claimed)})


async def stored(anonymous: Api, p: dict[str, Any]) -> Any:
    """The programme's `document` as the one-programme answer and the listing both say it."""
    one = await anonymous.events.get(f"/directives/{p['directive_id']}/programmes/{p['id']}")
    assert one.status_code == 200, one.text
    listed = await anonymous.events.get(f"/directives/{p['directive_id']}/programmes", params={"limit": 200})
    [same] = [x for x in listed.json()["items"] if x["id"] == p["id"]]
    assert same == one.json()
    return one.json()["document"]


async def test_upload_download_replace_and_delete(
    admin: Api, anonymous: Api, units: Tree, reported: dict[str, Any]
) -> None:
    above = await admin.as_new("officer", units.districts[0]["id"])  # the district above the unit
    own = await admin.as_new("officer", units.grassroots[0]["id"])  # the unit itself
    try:
        pdf = pdf_bytes("Chuong trinh hanh dong")
        name = "Chương trình số 05-CTr.HU.pdf"
        # A browser on Windows may send the folders: only the last part of the name is kept.
        up = await put(above, reported, f"C:\\Văn bản\\{name}", pdf, claimed="application/octet-stream")
        assert up.status_code == 200, up.text
        sha = hashlib.sha256(pdf).hexdigest()
        document = {"filename": name, "size": len(pdf), "content_type": "application/pdf", "sha256": sha}
        assert up.json()["document"] == document
        assert await stored(anonymous, reported) == up.json()["document"]

        # Anyone downloads it, as an attachment under its name, never sniffed.
        got = await anonymous.events.get(path_of(reported))
        assert got.status_code == 200 and got.content == pdf
        assert got.headers["content-type"] == "application/pdf"
        assert got.headers["x-content-type-options"] == "nosniff"
        assert got.headers["etag"] == f'"{sha}"'
        assert got.headers["content-disposition"] == (
            f"attachment; filename=\"Chuong trinh so 05-CTr.HU.pdf\"; filename*=UTF-8''{quote(name, safe='')}"
        )
        again = await anonymous.events.get(path_of(reported), headers={"If-None-Match": f'"{sha}"'})
        assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == f'"{sha}"'

        # The unit's own officer replaces it with a Word file named in Vietnamese.
        word = docx_bytes()
        vn = "Kế hoạch Đảng bộ xã An.docx"
        replaced = await put(own, reported, vn, word, claimed="application/pdf")
        assert replaced.status_code == 200, replaced.text
        new_sha = hashlib.sha256(word).hexdigest()
        assert replaced.json()["document"] == {
            "filename": vn,
            "size": len(word),
            "content_type": DOCX,
            "sha256": new_sha,
        }
        assert await stored(anonymous, reported) == replaced.json()["document"]
        # The old ETag no longer matches: the new bytes come.
        fresh = await anonymous.events.get(path_of(reported), headers={"If-None-Match": f'"{sha}"'})
        assert fresh.status_code == 200 and fresh.content == word and fresh.headers["content-type"] == DOCX
        assert fresh.headers["content-disposition"] == (
            f"attachment; filename=\"Ke hoach Dang bo xa An.docx\"; filename*=UTF-8''{quote(vn, safe='')}"
        )

        # Removed: 204, then 404 for the download and for a second removal; the programme says none.
        assert (await own.events.delete(path_of(reported))).status_code == 204
        assert_problem(await anonymous.events.get(path_of(reported)), 404)
        assert_problem(await anonymous.events.get(path_of(reported), headers={"If-None-Match": f'"{new_sha}"'}), 404)
        assert_problem(await own.events.delete(path_of(reported)), 404)
        assert await stored(anonymous, reported) is None
        # The admin uploads too.
        assert (await put(admin, reported, "x.pdf", pdf)).status_code == 200
        assert (await anonymous.events.get(path_of(reported))).content == pdf
    finally:
        await above.aclose()
        await own.aclose()


async def test_only_the_unit_s_subtree_and_the_admin_change_it(
    admin: Api, committee: Api, anonymous: Api, units: Tree, reported: dict[str, Any]
) -> None:
    pdf = pdf_bytes()
    assert (await put(admin, reported, "a.pdf", pdf)).status_code == 200
    other = await admin.as_new("officer", units.districts[1]["id"])  # the other district
    sibling = await admin.as_new("officer", units.grassroots[1]["id"])  # a sibling unit
    try:
        for api in (other, sibling):
            assert_problem(await put(api, reported, "b.pdf", pdf_bytes("other")), 403)
            assert_problem(await api.events.delete(path_of(reported)), 403)
        assert (await put(committee, reported, "b.pdf", pdf)).status_code == 403
        assert (await committee.events.delete(path_of(reported))).status_code == 403
        assert (await put(anonymous, reported, "b.pdf", pdf)).status_code == 401
        assert (await anonymous.events.delete(path_of(reported))).status_code == 401
        # Nothing changed.
        assert (await anonymous.events.get(path_of(reported))).content == pdf
        # Unknown directive, unknown programme, a programme under another directive's address: 404.
        d, p = reported["directive_id"], reported["id"]
        for path in (
            f"/directives/{uuid.uuid4()}/programmes/{p}/document",
            f"/directives/{d}/programmes/{uuid.uuid4()}/document",
        ):
            assert_problem(await admin.events.put(path, files={"file": ("a.pdf", pdf, "application/pdf")}), 404)
            assert_problem(await anonymous.events.get(path), 404)
            assert_problem(await admin.events.delete(path), 404)
    finally:
        await other.aclose()
        await sibling.aclose()


async def test_another_directive_s_address_does_not_reach_the_programme(
    admin: Api, committee: Api, anonymous: Api, units: Tree, source: Source, reported: dict[str, Any]
) -> None:
    other = await committee.events.post("/directives", json=directive_body(units, source))
    assert other.status_code == 201, other.text
    wrong = {**reported, "directive_id": other.json()["id"]}
    assert_problem(await put(admin, wrong, "a.pdf", pdf_bytes()), 404)
    assert_problem(await anonymous.events.get(f"/directives/{wrong['directive_id']}/programmes/{wrong['id']}"), 404)


async def test_what_is_not_a_pdf_or_a_word_file_is_refused_naming_file(
    admin: Api, anonymous: Api, reported: dict[str, Any]
) -> None:
    kept = pdf_bytes("kept")
    assert (await put(admin, reported, "kept.pdf", kept)).status_code == 200
    for name, content in (
        ("chương trình.pdf", ELF),  # a program renamed .pdf
        ("chương trình.docx", PE),
        ("rỗng.pdf", b""),
        ("bảng.xlsx", xlsx_bytes()),  # a workbook: not a programme's text
        ("ảnh.pdf", png_bytes()),
        ("hỏng.docx", b"PK\x03\x04broken"),
    ):
        assert_problem(await put(admin, reported, name, content), 400, "file")
    # No field `file` at all.
    assert_problem(await admin.events.put(path_of(reported), files={"tep": ("a.pdf", kept, "application/pdf")}), 400)
    # `file` as a plain field, not a file; JSON instead of a form.
    assert_problem(await admin.events.put(path_of(reported), files={"file": (None, "%PDF-1.4")}), 400)
    assert_problem(await admin.events.put(path_of(reported), json={"file": "%PDF-1.4"}), 400)
    assert (await anonymous.events.get(path_of(reported))).content == kept


async def test_twenty_mebibytes_pass_and_more_is_413(admin: Api, anonymous: Api, reported: dict[str, Any]) -> None:
    exactly = pdf_bytes() + b"%" * (20 * MIB - len(pdf_bytes()))
    resp = await put(admin, reported, "lớn.pdf", exactly)
    assert resp.status_code == 200, resp.text
    assert resp.json()["document"]["size"] == 20 * MIB
    # One byte over: the file's rule, naming the field; 21 MiB: the body's bound, before the handler.
    assert_problem(await put(admin, reported, "lớn hơn.pdf", exactly + b"%"), 413, "file")
    assert_problem(await put(admin, reported, "21.pdf", b"%PDF-" + bytes(21 * MIB)), 413)
    got = await anonymous.events.get(path_of(reported))
    assert hashlib.sha256(got.content).hexdigest() == hashlib.sha256(exactly).hexdigest()
