"""The documents as PDF, opened by a PDF reader: the decision with its annex, the certificates with their
verification code and QR code, the council's minutes; who may read each; an office's own template."""

from __future__ import annotations

import asyncio
import io
import re
import unicodedata
import uuid
from pathlib import Path
from typing import Any

import httpx
import zxingcpp
from pypdf import PdfReader

from tests.support import Api, Stack, eventually

from .conftest import World
from .helpers import approve, assert_problem, campaign, category, decide, nominate
from .test_council import new_council, set_council, vote

CODE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}-[0-9A-HJKMNP-TV-Z]{4}$")


def pdf_of(resp: httpx.Response) -> PdfReader:
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"] == "application/pdf"
    disposition = resp.headers["content-disposition"]
    assert re.search(r"filename=\"[A-Za-z0-9.\-]+\.pdf\"", disposition), disposition
    assert "filename*=UTF-8''" in disposition, disposition
    return PdfReader(io.BytesIO(resp.content))


def text_of(page: Any) -> str:
    return unicodedata.normalize("NFC", page.extract_text())


def flat(text: str) -> str:
    """The text without its line breaks and spaces: a long line may wrap anywhere."""
    return re.sub(r"\s+", "", text)


def qr_texts(page: Any) -> list[str]:
    return [barcode.text for image in page.images for barcode in zxingcpp.read_barcodes(image.image)]


async def granted(world: World) -> dict[str, Any]:
    """A campaign of the province with a Giấy khen for people and a Bằng khen for collectives, three awards."""
    c = await campaign(world.committee, world.province["id"], name=f"Dân vận khéo {uuid.uuid4().hex[:4]}")
    people = await category(world.committee, c["id"], "individual", form="Giấy khen", name="Cá nhân tiêu biểu")
    units = await category(world.committee, c["id"], "collective", form="Bằng khen", name="Tập thể tiêu biểu")
    ns = [
        await nominate(world.officer_a, people["id"], person_id=world.person_a["id"]),
        await nominate(world.officer_district, units["id"], unit_id=world.commune_a["id"]),
        await nominate(world.officer_district, units["id"], unit_id=world.commune_b["id"]),
    ]
    for n in ns:
        await approve(world.committee, n["id"])
    number = f"{uuid.uuid4().hex[:4]}/QĐ-UBND"
    d = await decide(world.committee, [n["id"] for n in ns], number=number, signed_on="2025-12-05")
    return {"campaign": c, "decision": d, "ids": [n["id"] for n in ns], "number": number}


async def test_certificates_carry_the_name_a_code_and_a_qr_code_of_its_verification_url(
    world: World, stack: Stack, anonymous: Api
) -> None:
    g = await granted(world)
    person_award = g["ids"][0]
    # The code: committee and admin read it; no public answer carries it.
    codes = {}
    for award_id in g["ids"]:
        body = (await world.committee.awards.get(f"/awards/{award_id}")).json()
        assert CODE.match(body["verification_code"]), body
        codes[award_id] = body["verification_code"]
        assert (await world.admin.awards.get(f"/awards/{award_id}")).json()["verification_code"] == body[
            "verification_code"
        ]
    assert len(set(codes.values())) == 3
    for api in (anonymous, world.officer_a):
        assert "verification_code" not in (await api.awards.get(f"/awards/{person_award}")).json()
    public = (await anonymous.awards.get("/awards", params={"campaign_id": g["campaign"]["id"]})).text
    decision = (await world.officer_a.awards.get(f"/decisions/{g['decision']['id']}")).text
    for code in codes.values():
        assert code not in public and code not in decision
        assert code.replace("-", "") not in public and code.replace("-", "") not in decision

    # One award's certificate: one landscape page, the name with its diacritics, its code, its QR code.
    reader = pdf_of(await world.committee.awards.get(f"/awards/{person_award}/certificate.pdf"))
    assert len(reader.pages) == 1
    page = reader.pages[0]
    assert page.mediabox.width > page.mediabox.height
    text = text_of(page)
    assert "Nguyễn Thị Ánh" in text and "GIẤY KHEN" in text and "Chi bộ Ấp Một" in text
    assert g["number"] in text and "Cá nhân tiêu biểu" in text and g["campaign"]["name"] in text
    code = codes[person_award]
    assert code in text
    url = f"{stack.url('events')}/verify/{code}"
    assert qr_texts(page) == [url]

    # The URL answers, for anyone, who it honours and that the award stands.
    async def verified() -> Any:
        resp = await anonymous.events.get(url, headers={"Accept": "application/json"})
        return resp.json() if resp.status_code == 200 else None

    shown = await eventually(verified)
    assert (shown["name"], shown["form"], shown["decision_number"], shown["status"]) == (
        "Nguyễn Thị Ánh",
        "Giấy khen",
        g["number"],
        "standing",
    )

    # All the decision's certificates in one request: a page each, each with its own code and QR code.
    reader = pdf_of(await world.admin.awards.get(f"/decisions/{g['decision']['id']}/certificates.pdf"))
    assert len(reader.pages) == 3
    pages = {qr_texts(p)[0].rsplit("/", 1)[1]: text_of(p) for p in reader.pages}
    assert set(pages) == set(codes.values())
    assert "Nguyễn Thị Ánh" in pages[code]
    assert "Chi bộ Ấp Hai" in pages[codes[g["ids"][2]]] and "BẰNG KHEN" in pages[codes[g["ids"][2]]]
    # The same through the filtered call.
    many = pdf_of(
        await world.committee.awards.get("/awards/certificates.pdf", params={"campaign_id": g["campaign"]["id"]})
    )
    assert len(many.pages) == 3

    # Revoked: the certificate is no more, and its code says so.
    resp = await world.committee.awards.post(f"/awards/{person_award}/revoke", json={"reason": "Vi phạm kỷ luật"})
    assert resp.status_code == 200, resp.text
    assert_problem(await world.committee.awards.get(f"/awards/{person_award}/certificate.pdf"), 409)
    assert len(pdf_of(await world.admin.awards.get(f"/decisions/{g['decision']['id']}/certificates.pdf")).pages) == 2

    async def revoked() -> bool:
        resp = await anonymous.events.get(url, headers={"Accept": "application/json"})
        return resp.status_code == 200 and resp.json()["status"] == "revoked"

    await eventually(revoked)
    page_text = (await anonymous.events.get(url)).text
    assert "đã bị thu hồi" in page_text and "Nguyễn Thị Ánh" in page_text


async def test_the_decision_is_a_document_with_its_annex(world: World, anonymous: Api) -> None:
    g = await granted(world)
    reader = pdf_of(await world.officer_other.awards.get(f"/decisions/{g['decision']['id']}/document.pdf"))
    text = "\n".join(text_of(p) for p in reader.pages)
    for needed in (
        "CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        f"Số: {g['number']}",
        "Phan Thiết, ngày 05 tháng 12 năm 2025",
        "QUYẾT ĐỊNH",
        "Điều 1.",
        "Điều 2.",
        "Điều 3.",
        "(có danh sách kèm theo)",
        "DANH SÁCH",
        "TỈNH ỦY THỬ NGHIỆM",
    ):
        assert flat(needed) in flat(text), needed
    assert flat("Tặng Giấy khen, Bằng khen cho 2 tập thể và 1 cá nhân") in flat(text)
    # The annex lists every awardee, numbered, with its unit and form.
    annex = flat(text_of(reader.pages[-1]))
    for name in ("Nguyễn Thị Ánh", "Chi bộ Ấp Một", "Chi bộ Ấp Hai", "Giấy khen", "Bằng khen"):
        assert flat(name) in annex, name
    assert "Chủ tịch UBND tỉnh" in text
    assert reader.metadata is not None and g["number"] in (reader.metadata.title or "")


async def test_who_reads_which_document(world: World, anonymous: Api) -> None:
    g = await granted(world)
    d, award, c = g["decision"]["id"], g["ids"][1], g["campaign"]["id"]
    staff_only = [
        f"/awards/{award}/certificate.pdf",
        f"/decisions/{d}/certificates.pdf",
        "/awards/certificates.pdf",
        f"/campaigns/{c}/minutes.pdf",
    ]
    for path in staff_only:
        assert_problem(await anonymous.awards.get(path), 401)
        assert_problem(await world.officer_a.awards.get(path), 403)
        assert_problem(await world.officer_district.awards.get(path), 403)
    assert_problem(await anonymous.awards.get(f"/decisions/{d}/document.pdf"), 401)
    for path in (
        f"/awards/{uuid.uuid4()}/certificate.pdf",
        f"/decisions/{uuid.uuid4()}/certificates.pdf",
        f"/decisions/{uuid.uuid4()}/document.pdf",
        f"/campaigns/{uuid.uuid4()}/minutes.pdf",
    ):
        assert_problem(await world.committee.awards.get(path), 404)
    # An approved nomination is no award yet; a filter that finds none has nothing to print.
    other = await campaign(world.committee, world.province["id"])
    k = await category(world.committee, other["id"], "collective")
    n = await nominate(world.officer_a, k["id"], unit_id=world.commune_a["id"])
    await approve(world.committee, n["id"])
    assert_problem(await world.committee.awards.get(f"/awards/{n['id']}/certificate.pdf"), 404)
    assert_problem(
        await world.committee.awards.get("/awards/certificates.pdf", params={"campaign_id": other["id"]}), 404
    )
    assert_problem(await world.committee.awards.get("/awards/certificates.pdf", params={"year": "x"}), 400)
    assert_problem(await world.committee.awards.get(f"/awards/{award}/certificate.pdf".replace(award, "nope")), 404)


async def test_the_minutes_record_the_ballot_and_keep_a_secret_ballot_secret(world: World) -> None:
    c = await campaign(world.committee, world.province["id"])
    open_k = await category(
        world.committee, c["id"], "individual", name="Cá nhân xuất sắc", pass_mark={"more_than_percent": 50}
    )
    secret_k = await category(
        world.committee,
        c["id"],
        "collective",
        name="Tập thể xuất sắc",
        pass_mark={"at_least_percent": 60},
        secret_ballot=True,
    )
    members, ids = await new_council(world, 3)
    try:
        await set_council(world.admin, c["id"], ids)
        person = await nominate(world.officer_a, open_k["id"], person_id=world.person_a["id"])
        unit = await nominate(world.officer_district, secret_k["id"], unit_id=world.commune_b["id"])
        await vote(members[0], person["id"], True)
        await vote(members[1], person["id"], False)
        resp = await members[2].awards.post(f"/nominations/{person['id']}/recuse", json={"reason": "Người thân"})
        assert resp.status_code == 200, resp.text
        for m, choice in zip(members, (True, True, False), strict=True):
            await vote(m, unit["id"], choice)
        me = [(await m.units.get("/auth/me")).json()["username"] for m in members]

        reader = pdf_of(await world.committee.awards.get(f"/campaigns/{c['id']}/minutes.pdf"))
        text = "\n".join(text_of(p) for p in reader.pages)
        together = flat(text)
        assert "BIÊN BẢN KIỂM PHIẾU" in text and flat(c["name"]) in together
        for name in me:  # the council, named
            assert flat(name) in together
        assert flat("Nguyễn Thị Ánh") in together and flat("Chi bộ Ấp Hai") in together
        # The open ballot: its count and who voted what; the recusal and its reason.
        assert flat(f"{me[0]}: đồng ý") in together and flat(f"{me[1]}: không đồng ý") in together
        assert flat(f"{me[2]}: không bỏ phiếu (Người thân)") in together
        # The secret ballot: counts only (2 of 3 against a mark of 60%: passed), nobody's choice.
        assert "bỏ phiếu kín" in text and "2/3" in text
        section = together.split(flat("Phiếu của từng thành viên"), 1)[1]
        assert flat("Chi bộ Ấp Hai") not in section
        assert (await world.admin.awards.get(f"/campaigns/{c['id']}/minutes.pdf")).status_code == 200
    finally:
        for m in members:
            await m.aclose()


async def test_an_offices_template_changes_the_output(world: World, stack: Stack, tmp_path: Path) -> None:
    g = await granted(world)
    office = tmp_path / "office-templates"
    office.mkdir()
    (office / "_office.html").write_text(
        '{% set place = "Mũi Né" %}{% set country = "CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM" %}'
        '{% set motto = "Độc lập - Tự do - Hạnh phúc" %}{% set council_name = "Hội đồng Thi đua – Khen thưởng" %}',
        encoding="utf-8",
    )
    (office / "certificate.html").write_text(
        '{% import "_office.html" as office %}<p align="center">MẪU CỦA VĂN PHÒNG: {{ a.name }}, {{ office.place }}</p>'
        '<img src="{{ qr }}" width="120"><p>{{ code }}</p>',
        encoding="utf-8",
    )
    # Also where the public reaches the events service: the QR code leads there.
    replica = stack.service_process(
        "awards", THIDUA_DOCUMENT_TEMPLATES=str(office), EVENTS_PUBLIC_URL="https://thidua.example.vn/"
    )
    replica.start()
    try:
        await asyncio.to_thread(replica.wait_ready, 120)
        async with httpx.AsyncClient(
            base_url=replica.url, headers={"Authorization": f"Bearer {world.committee.token}"}, timeout=30
        ) as client:
            page = pdf_of(await client.get(f"/awards/{g['ids'][0]}/certificate.pdf")).pages[0]
            assert "MẪU CỦA VĂN PHÒNG: Nguyễn Thị Ánh, Mũi Né" in text_of(page)
            code = (await world.committee.awards.get(f"/awards/{g['ids'][0]}")).json()["verification_code"]
            assert qr_texts(page) == [f"https://thidua.example.vn/verify/{code}"]
            # The decision keeps the shipped template, with the office's place.
            decision = text_of(pdf_of(await client.get(f"/decisions/{g['decision']['id']}/document.pdf")).pages[0])
            assert "Mũi Né, ngày 05 tháng 12 năm 2025" in decision and "QUYẾT ĐỊNH" in decision
    finally:
        replica.stop()
    # The service without the office's folder renders the shipped ones.
    shipped = text_of(pdf_of(await world.committee.awards.get(f"/awards/{g['ids'][0]}/certificate.pdf")).pages[0])
    assert "MẪU CỦA VĂN PHÒNG" not in shipped and "GIẤY KHEN" in shipped
