"""A nomination's dossier: files its unit's officers attach while it may be edited, known by their bytes,
read by whoever reads the nomination, each change in the history and on the stream."""

from __future__ import annotations

import hashlib
import io
import struct
import uuid
import zipfile
import zlib
from collections.abc import AsyncIterator
from urllib.parse import quote

import asyncpg
import httpx
import openpyxl

from shared import events
from tests.support import Api, Stack

from .conftest import World
from .helpers import approve, assert_problem, campaign, category, nominate
from .test_events import read_events

MIB = 1024 * 1024
DOCX_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# ------------------------------------------------------------------ tiny real files
def pdf_bytes(text: str = "Bang khen") -> bytes:
    """A one-page PDF with a line of text (objects, xref and trailer: a reader opens it)."""
    stream = f"BT /F1 12 Tf 72 720 Td ({text}) Tj ET".encode()
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for i, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{i} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def png_bytes() -> bytes:
    """A 1×1 red PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


# A 1×1 baseline JPEG (JFIF, one grey pixel).
JPEG = bytes.fromhex(
    "ffd8ffe000104a46494600010100000100010000ffdb004300080606070605080707070909080a0c140d0c0b0b0c1912130f141d1a"
    "1f1e1d1a1c1c20242e2720222c231c1c2837292c30313434341f27393d38323c2e333432ffc0000b080001000101011100ffc4001f"
    "0000010501010101010100000000000000000102030405060708090a0bffc400b5100002010303020403050504040000017d0102"
    "0300041105122131410613516107227114328191a1082342b1c11552d1f02433627282090a161718191a25262728292a34353637"
    "38393a434445464748494a535455565758595a636465666768696a737475767778797a838485868788898a92939495969798999a"
    "a2a3a4a5a6a7a8a9aab2b3b4b5b6b7b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4f5f6"
    "f7f8f9faffda0008010100003f00fbd3ffd9"
)


def docx_bytes(main_content_type: str = DOCX_MAIN) -> bytes:
    """A Word document of one paragraph, as Word packs it (the parts a reader needs)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/word/document.xml" ContentType="{main_content_type}"/>'
            "</Types>",
        )
        z.writestr(
            "_rels/.rels",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'officeDocument" Target="word/document.xml"/></Relationships>',
        )
        z.writestr(
            "word/document.xml",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
            "<w:body><w:p><w:r><w:t>Báo cáo thành tích</w:t></w:r></w:p></w:body></w:document>",
        )
    return buf.getvalue()


def xlsx_bytes() -> bytes:
    """A workbook written by openpyxl."""
    wb = openpyxl.Workbook()
    sheet = wb.active
    assert sheet is not None
    sheet.append(["Họ và tên", "Năm"])
    sheet.append(["Nguyễn Thị Ánh", 2025])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def zip_bytes() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("notes.txt", "không phải văn bản Word")
    return buf.getvalue()


ELF = b"\x7fELF\x02\x01\x01\x00" + bytes(8) + b"\x02\x00\x3e\x00" + bytes(200)
PE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + bytes(100) + b"This program cannot be run in DOS mode."


# ------------------------------------------------------------------ helpers
async def upload(
    api: Api, nomination_id: str, name: str, content: bytes, claimed: str = "application/pdf"
) -> httpx.Response:
    return await api.awards.post(f"/nominations/{nomination_id}/attachments", files={"file": (name, content, claimed)})


async def rows_of(stack: Stack, nomination_id: str) -> int:
    conn = await asyncpg.connect(stack.db_url("awards"))
    try:
        return int(
            await conn.fetchval("SELECT count(*) FROM attachments WHERE nomination_id = $1", uuid.UUID(nomination_id))
        )
    finally:
        await conn.close()


async def a_nomination(world: World) -> dict:
    c = await campaign(world.committee, world.province["id"])
    k = await category(world.committee, c["id"], "collective", quota=3)
    return await nominate(world.officer_a, k["id"], unit_id=world.commune_a["id"])


# ------------------------------------------------------------------ tests
async def test_each_kind_is_known_by_its_bytes_and_comes_back_the_same(world: World) -> None:
    n = await a_nomination(world)
    files = [
        ("Tờ trình.pdf", pdf_bytes(), "application/pdf"),
        ("Báo cáo thành tích.docx", docx_bytes(), DOCX),
        ("Danh sách.xlsx", xlsx_bytes(), XLSX),
        ("Ảnh.jpg", JPEG, "image/jpeg"),
        ("Sơ đồ.png", png_bytes(), "image/png"),
    ]
    for name, content, kind in files:
        # The client's claim is ignored: every file says it is text; the service says what it is.
        resp = await upload(world.officer_a, n["id"], name, content, claimed="text/plain")
        assert resp.status_code == 201, resp.text
        body = resp.json()
        assert (body["filename"], body["size"], body["content_type"]) == (name, len(content), kind), body
        assert body["sha256"] == hashlib.sha256(content).hexdigest()
        assert body["nomination_id"] == n["id"] and uuid.UUID(body["id"])
        got = await world.officer_a.awards.get(f"/attachments/{body['id']}")
        assert got.status_code == 200, got.text
        assert got.content == content
        assert got.headers["content-type"].split(";")[0] == kind
        assert got.headers["x-content-type-options"] == "nosniff"
        assert got.headers["etag"] == f'"{body["sha256"]}"'
        disposition = got.headers["content-disposition"]
        assert disposition.startswith("attachment;") and f"filename*=UTF-8''{quote(name, safe='')}" in disposition
        again = await world.officer_a.awards.get(
            f"/attachments/{body['id']}", headers={"If-None-Match": got.headers["etag"]}
        )
        assert again.status_code == 304 and again.content == b""
    listed = (await world.officer_a.awards.get(f"/nominations/{n['id']}/attachments")).json()["items"]
    assert [(a["filename"], a["content_type"]) for a in listed] == [(f[0], f[2]) for f in files]


async def test_a_name_is_cleaned_and_stored_nfc(world: World) -> None:
    n = await a_nomination(world)
    decomposed = "Ba\u0301o ca\u0301o.pdf"  # NFD, as macOS sends it
    resp = await upload(world.officer_a, n["id"], "C:\\Users\\Ánh\\" + decomposed, pdf_bytes())
    assert resp.status_code == 201, resp.text
    assert resp.json()["filename"] == "Báo cáo.pdf"
    resp = await upload(world.officer_a, n["id"], "../../etc/passwd\r\n.pdf", pdf_bytes())
    assert resp.status_code == 201, resp.text
    assert resp.json()["filename"] == "passwd .pdf"
    got = await world.officer_a.awards.get(f"/attachments/{resp.json()['id']}")
    assert 'filename="passwd .pdf"' in got.headers["content-disposition"]


async def test_what_is_not_a_dossier_file_is_refused_whatever_its_name(world: World, stack: Stack) -> None:
    n = await a_nomination(world)
    refused = [
        ("setup.pdf", ELF),
        ("Tờ trình.pdf", PE),
        ("Báo cáo.docx", zip_bytes()),
        ("macro.docx", docx_bytes("application/vnd.ms-word.document.macroEnabled.main+xml")),
        ("hỏng.docx", b"PK\x03\x04" + bytes(60)),
        ("ghi chú.pdf", "Chỉ là văn bản".encode()),
        ("rỗng.pdf", b""),
    ]
    for name, content in refused:
        body = assert_problem(await upload(world.officer_a, n["id"], name, content), 400, "file")
        assert body["detail"], body
    # No file at all, or a plain field instead of one.
    assert_problem(await world.officer_a.awards.post(f"/nominations/{n['id']}/attachments", data={"file": "x"}), 400)
    assert_problem(await world.officer_a.awards.post(f"/nominations/{n['id']}/attachments", json={"file": "x"}), 400)
    # Nothing was half-written: no row, no history step.
    assert await rows_of(stack, n["id"]) == 0
    history = (await world.officer_a.awards.get(f"/nominations/{n['id']}/history")).json()
    assert [h["action"] for h in history] == ["submit"]


async def test_twenty_mebibytes_pass_and_more_is_413(world: World, stack: Stack) -> None:
    n = await a_nomination(world)
    exactly = pdf_bytes() + b"%" * (20 * MIB - len(pdf_bytes()))
    resp = await upload(world.officer_a, n["id"], "lớn.pdf", exactly)
    assert resp.status_code == 201, resp.text
    assert resp.json()["size"] == 20 * MIB
    got = await world.officer_a.awards.get(f"/attachments/{resp.json()['id']}")
    assert hashlib.sha256(got.content).hexdigest() == hashlib.sha256(exactly).hexdigest()
    # One byte over: the dossier's rule, naming the field.
    assert_problem(await upload(world.officer_a, n["id"], "lớn hơn.pdf", exactly + b"%"), 413, "file")
    # 21 MB: the body's bound, before the handler.
    assert_problem(await upload(world.officer_a, n["id"], "21.pdf", b"%PDF-" + bytes(21 * MIB)), 413)
    # The same without Content-Length (chunked): counted as it arrives.
    boundary = uuid.uuid4().hex
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="x.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n%PDF-"
    ).encode()

    async def chunks() -> AsyncIterator[bytes]:
        yield head
        for _ in range(22):
            yield bytes(MIB)
        yield f"\r\n--{boundary}--\r\n".encode()

    resp = await world.officer_a.awards.post(
        f"/nominations/{n['id']}/attachments",
        content=chunks(),
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert "content-length" not in resp.request.headers
    assert_problem(resp, 413)
    # With an Idempotency-Key, a file of 20 MiB still passes (and a retry is answered once).
    key = str(uuid.uuid4())
    sent = {"file": ("lại.pdf", exactly, "application/pdf")}
    first = await world.officer_a.awards.post(
        f"/nominations/{n['id']}/attachments", files=sent, headers={"Idempotency-Key": key}
    )
    assert first.status_code == 201, first.text
    assert await rows_of(stack, n["id"]) == 2


async def test_who_reads_and_who_changes_a_dossier(world: World, anonymous: Api) -> None:
    n = await a_nomination(world)
    added = await upload(world.officer_a, n["id"], "Tờ trình.pdf", pdf_bytes())
    assert added.status_code == 201, added.text
    aid = added.json()["id"]
    # Reading: the unit's officers and those above, the committee and admin; not another district's.
    for api in (world.officer_a, world.officer_district, world.committee, world.admin):
        assert (await api.awards.get(f"/attachments/{aid}")).status_code == 200
        listed = await api.awards.get(f"/nominations/{n['id']}/attachments")
        assert [a["id"] for a in listed.json()["items"]] == [aid]
    assert_problem(await world.officer_other.awards.get(f"/attachments/{aid}"), 403)
    assert_problem(await world.officer_other.awards.get(f"/nominations/{n['id']}/attachments"), 403)
    assert_problem(await anonymous.awards.get(f"/attachments/{aid}"), 401)
    assert_problem(await anonymous.awards.get(f"/nominations/{n['id']}/attachments"), 401)
    assert_problem(await world.officer_a.awards.get(f"/attachments/{uuid.uuid4()}"), 404)
    assert_problem(await world.officer_a.awards.get(f"/nominations/{uuid.uuid4()}/attachments"), 404)
    # Changing: only the unit's officers (or above); the committee, admin and other districts not.
    for api, status in ((world.officer_other, 403), (world.committee, 403), (world.admin, 403), (anonymous, 401)):
        assert_problem(await upload(api, n["id"], "x.pdf", pdf_bytes()), status)
        assert_problem(await api.awards.delete(f"/attachments/{aid}"), status)
    assert_problem(await upload(world.officer_a, str(uuid.uuid4()), "x.pdf", pdf_bytes()), 404)
    by_district = await upload(world.officer_district, n["id"], "Ảnh.png", png_bytes())
    assert by_district.status_code == 201, by_district.text


async def test_the_dossier_changes_only_while_editable_and_each_change_is_history(world: World, stack: Stack) -> None:
    n = await a_nomination(world)
    nid = n["id"]
    first = (await upload(world.officer_a, nid, "Tờ trình.pdf", pdf_bytes())).json()
    edited = await world.officer_a.awards.patch(f"/nominations/{nid}", json={"achievements": "Bản sửa lần một"})
    assert edited.status_code == 200, edited.text
    second = (await upload(world.officer_a, nid, "Bảng điểm.xlsx", xlsx_bytes())).json()
    removed = await world.officer_a.awards.delete(f"/attachments/{first['id']}")
    assert removed.status_code == 204, removed.text
    assert_problem(await world.officer_a.awards.get(f"/attachments/{first['id']}"), 404)
    assert_problem(await world.officer_a.awards.delete(f"/attachments/{first['id']}"), 404)
    listed = (await world.officer_a.awards.get(f"/nominations/{nid}/attachments")).json()["items"]
    assert [a["id"] for a in listed] == [second["id"]]

    # Returned, it is editable again; approved, it is not.
    await world.committee.awards.post(f"/nominations/{nid}/return", json={"reason": "Thiếu minh chứng"})
    third = await upload(world.officer_a, nid, "Minh chứng.jpg", JPEG)
    assert third.status_code == 201, third.text
    await world.officer_a.awards.post(f"/nominations/{nid}/resubmit")
    await approve(world.committee, nid)
    assert_problem(await upload(world.officer_a, nid, "muộn.pdf", pdf_bytes()), 409, "status")
    assert_problem(await world.officer_a.awards.delete(f"/attachments/{second['id']}"), 409, "status")
    assert (await world.committee.awards.get(f"/attachments/{second['id']}")).status_code == 200
    assert await rows_of(stack, nid) == 2

    history = (await world.officer_a.awards.get(f"/nominations/{nid}/history")).json()
    steps = [(h["action"], (h["attachment"] or {}).get("filename"), h["achievements"]) for h in history]
    assert steps == [
        ("submit", None, "Hoàn thành xuất sắc nhiệm vụ năm 2025"),
        ("attach", "Tờ trình.pdf", None),
        ("edit", None, "Bản sửa lần một"),
        ("attach", "Bảng điểm.xlsx", None),
        ("detach", "Tờ trình.pdf", None),
        ("return", None, None),
        ("attach", "Minh chứng.jpg", None),
        ("resubmit", None, None),
        ("approve", None, None),
    ]
    assert history[2]["achievements_before"] == "Hoàn thành xuất sắc nhiệm vụ năm 2025"
    assert history[4]["attachment"]["sha256"] == first["sha256"] == hashlib.sha256(pdf_bytes()).hexdigest()
    assert history[4]["attachment"]["size"] == first["size"]
    assert history[1]["actor_role"] == "officer" and history[1]["to_status"] == "submitted"

    # On the stream: metadata, never the bytes; the attachment is the aggregate (1 added, 2 removed).
    got = await read_events(stack, "awards.attachment.>", {first["id"], second["id"]}, count=3)
    assert [(e.type, e.aggregate_id, e.version) for e, _ in got] == [
        ("awards.attachment.added", first["id"], 1),
        ("awards.attachment.added", second["id"], 1),
        ("awards.attachment.removed", first["id"], 2),
    ]
    data = got[2][0].data
    assert isinstance(data, events.AttachmentRemoved)
    assert (str(data.nomination_id), data.filename, data.sha256) == (nid, "Tờ trình.pdf", first["sha256"])
    assert all(len(raw) < 2000 for _, raw in got)


async def test_a_dossier_holds_a_bounded_number_of_files(world: World, stack: Stack) -> None:
    from services.awards.domain.dossier import MAX_FILES

    n = await a_nomination(world)
    for i in range(MAX_FILES):
        resp = await upload(world.officer_a, n["id"], f"{i}.png", png_bytes())
        assert resp.status_code == 201, resp.text
    assert_problem(await upload(world.officer_a, n["id"], "thêm.png", png_bytes()), 409, "file")
    assert await rows_of(stack, n["id"]) == MAX_FILES
