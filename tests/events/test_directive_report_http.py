"""A directive's report and pictures over HTTP on the real stack: the page, the Word file, the PDF and the two
SVG charts say the figures the units reported and the roll holds, with the right types and file names."""

from __future__ import annotations

import functools
import io
import unicodedata
import uuid
import xml.etree.ElementTree as ET
from typing import Any

import docx
import pytest
from pypdf import PdfReader

from tests.events.conftest import Source, settle
from tests.support import Api, Stack, code, eventually, in_copy

SVG = "{http://www.w3.org/2000/svg}"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def flat(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


@pytest.fixture(scope="module")
async def reported(stack: Stack, admin: Api) -> dict[str, Any]:
    """A province with two district committees and three grassroots organisations (one, with a name that
    needs escaping, has no programme), a directive for one campaign, programmes and three sessions."""
    tag = uuid.uuid4().hex[:4]
    province = await admin.unit(f"Tỉnh ủy Báo Cáo {tag}", kind="party_committee")
    d1 = await admin.unit(f"Huyện ủy Đông {tag}", parent_id=province["id"], kind="party_committee")
    d2 = await admin.unit(f"Huyện ủy Tây {tag}", parent_id=province["id"], kind="party_committee")
    g1 = await admin.unit(f"Chi bộ xã An {tag}", parent_id=d1["id"])
    g2 = await admin.unit(f"Chi bộ xã Bình {tag}", parent_id=d1["id"])
    late = await admin.unit(f"Chi bộ <Cồn> & “Bãi” {tag}", parent_id=d2["id"])
    for u in (province, d1, d2, g1, g2, late):
        await eventually(functools.partial(in_copy, stack, "events", u["id"]))
    return {"tag": tag, "province": province, "districts": [d1, d2], "done": [d1, d2, g1, g2], "late": late}


@pytest.fixture(scope="module")
async def committee_api(admin: Api) -> Any:
    api = await admin.as_new("committee")
    yield api
    await api.aclose()


@pytest.fixture
async def directive(admin: Api, committee_api: Api, reported: dict[str, Any], source: Source) -> dict[str, Any]:
    await source.grant("Tập thể A", kind="collective")
    await source.grant("Tập thể B", kind="collective")
    await source.grant("Nguyễn Văn Mẫu", kind="individual")
    await settle(admin.events, source)
    resp = await committee_api.events.post(
        "/directives",
        json={
            "code": code("20-NQ/TU"),
            "title": "Chương trình hành động",
            "implements": "Nghị quyết số 25-NQ/TW ngày 3/6/2013 của Ban Chấp hành Trung ương Đảng (khóa XI)",
            "issuing_unit_id": reported["province"]["id"],
            "issued_on": "2013-08-07",
            "campaign_ids": [str(source.campaign_id)],
        },
    )
    assert resp.status_code == 201, resp.text
    d: dict[str, Any] = resp.json()
    for unit in reported["done"]:
        body = {"unit_id": unit["id"], "number": "05-CTr/HU", "issued_on": "2013-09-10", "title": "Chương trình"}
        r = await admin.events.post(f"/directives/{d['id']}/programmes", json=body)
        assert r.status_code == 201, r.text
    for held_on, attendees in [("2013-10-02", 1200), ("2013-10-20", 34), ("2013-12-05", 100)]:
        body = {
            "unit_id": reported["done"][0]["id"],
            "held_on": held_on,
            "kind": "study",
            "title": "Hội nghị quán triệt",
            "attendees": attendees,
        }
        r = await admin.events.post(f"/directives/{d['id']}/sessions", json=body)
        assert r.status_code == 201, r.text
    return d


async def test_the_report_page_says_every_figure_with_its_charts(
    anonymous: Api, directive: dict[str, Any], reported: dict[str, Any], source: Source
) -> None:
    resp = await anonymous.events.get(f"/directives/{directive['id']}/report", params={"on": "2014-08-28"})
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("text/html")
    assert "script-src" not in resp.headers["content-security-policy"]  # default-src 'none': no script at all
    html = resp.text
    text = flat(html)
    tag = reported["tag"]
    assert f"Ban Thường vụ Tỉnh ủy Báo Cáo {tag} đã ban hành Chương trình hành động số {directive['code']}" in text
    assert "ngày 7/8/2013" in text and f"Báo Cáo {tag}, ngày 28/8/2014" in text
    assert "2/2 đảng bộ trực thuộc và 2/3 tổ chức cơ sở đảng đã xây dựng chương trình, kế hoạch thực hiện" in text
    assert "tổ chức 3 buổi học tập, quán triệt cho 1.334 lượt cán bộ" in text
    named = source.campaign.name  # "Phong trào thi đua …": not quoted, lower case in the sentence
    assert f"biểu dương, khen thưởng 2 tập thể, 1 cá nhân trong p{named[1:]}." in text
    assert "còn chậm" in text and f"Chi bộ &lt;Cồn&gt; &amp; “Bãi” {tag}" in html and "<Cồn>" not in html
    assert html.count("<svg") == 2 and 'role="img"' in html


async def test_the_word_and_pdf_reports_are_files_with_the_figures(
    anonymous: Api, directive: dict[str, Any], reported: dict[str, Any]
) -> None:
    base = f"/directives/{directive['id']}"
    word = await anonymous.events.get(base + "/report.docx", params={"on": "2014-08-28"})
    assert word.status_code == 200, word.text
    assert word.headers["content-type"] == DOCX
    assert word.headers["content-disposition"].startswith('attachment; filename="bao-cao-')
    assert ".docx\"; filename*=UTF-8''B%C3%A1o%20c%C3%A1o%2020-NQ-TU-" in word.headers["content-disposition"]
    document = docx.Document(io.BytesIO(word.content))
    text = flat(
        "\n".join(
            [p.text for p in document.paragraphs]
            + [c.text for t in document.tables for row in t.rows for c in row.cells]
        )
    )
    for words in (
        "2/2 đảng bộ trực thuộc",
        "2/3 tổ chức cơ sở đảng",
        "3 buổi học tập, quán triệt cho 1.334 lượt",
        "2 tập thể, 1 cá nhân",
        "ngày 28/8/2014",
        f"Chi bộ <Cồn> & “Bãi” {reported['tag']}",
    ):
        assert words in text, words

    pdf = await anonymous.events.get(base + "/report.pdf", params={"on": "2014-08-28"})
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.headers["content-disposition"].startswith('attachment; filename="bao-cao-')
    assert pdf.headers["content-disposition"].endswith(".pdf")
    body = flat(" ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.content)).pages))
    for words in ("2/2 đảng bộ trực thuộc", "1.334 lượt", "2 tập thể, 1 cá nhân", "ngày 28/8/2014"):
        assert words in body, words


async def test_the_charts_are_svg_of_the_districts_and_months(
    anonymous: Api, directive: dict[str, Any], reported: dict[str, Any]
) -> None:
    base = f"/directives/{directive['id']}/charts"
    coverage = await anonymous.events.get(base + "/coverage.svg")
    assert coverage.status_code == 200 and coverage.headers["content-type"].startswith("image/svg+xml")
    assert coverage.headers["x-content-type-options"] == "nosniff"
    rows = ET.fromstring(coverage.text).findall(f"{SVG}g[@class='row']")
    assert [(r.get("data-done"), r.get("data-of")) for r in rows] == [("3", "3"), ("1", "2")]
    sessions = await anonymous.events.get(base + "/sessions.svg")
    assert sessions.status_code == 200 and sessions.headers["content-type"].startswith("image/svg+xml")
    months = [g for g in ET.fromstring(sessions.text).iter(SVG + "g") if g.get("class") == "month"]
    assert [(g.get("data-count"), g.get("data-attendees")) for g in months] == [("2", "1234"), ("1", "100")]

    page = await anonymous.events.get(f"/directives/{directive['id']}/page")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert page.text.count("<svg") == 2 and "Tải báo cáo (Word)" in page.text


async def test_a_browser_asking_for_a_directive_is_sent_to_its_page(anonymous: Api, directive: dict[str, Any]) -> None:
    path = f"/directives/{directive['id']}"
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    sent = await anonymous.events.get(path, headers={"Accept": browser})
    assert sent.status_code == 303 and sent.headers["location"] == path + "/page"
    assert sent.headers["vary"] == "Accept"
    page = await anonymous.events.get(sent.headers["location"], headers={"Accept": browser})
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    # Any other client (JSON asked for, anything, JSON preferred, or no Accept at all) has the directive as JSON.
    for accept in ("application/json", "*/*", "text/html;q=0.5, application/json", None):
        request = anonymous.events.build_request("GET", path)
        if accept:
            request.headers["Accept"] = accept
        else:
            del request.headers["Accept"]
        resp = await anonymous.events.send(request)
        assert resp.status_code == 200, (accept, resp.text)
        assert resp.headers["content-type"].startswith("application/json") and resp.headers["vary"] == "Accept"
        assert resp.json()["id"] == directive["id"] and resp.json()["code"] == directive["code"]


async def test_unknown_directives_and_bad_dates_are_refused(anonymous: Api, directive: dict[str, Any]) -> None:
    unknown = uuid.uuid4()
    for path in ("report", "report.docx", "report.pdf", "page", "charts/coverage.svg", "charts/sessions.svg"):
        resp = await anonymous.events.get(f"/directives/{unknown}/{path}", headers={"Accept": "application/json"})
        assert resp.status_code == 404, (path, resp.text)
        assert resp.headers["content-type"].startswith("application/problem+json")
    for path in ("report", "page"):  # a browser is answered with a page
        resp = await anonymous.events.get(f"/directives/{unknown}/{path}", headers={"Accept": "text/html,*/*;q=0.8"})
        assert resp.status_code == 404 and resp.headers["content-type"].startswith("text/html")
        assert "Không tìm thấy văn bản" in resp.text
    for bad in ("28/8/2014", "2014-02-30", "x" * 500):
        resp = await anonymous.events.get(f"/directives/{directive['id']}/report.docx", params={"on": bad})
        assert resp.status_code == 400, (bad, resp.text)
    assert (await anonymous.events.get("/directives/not-a-uuid/report")).status_code == 404
