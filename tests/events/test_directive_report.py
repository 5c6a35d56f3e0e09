"""The directive's report and pictures from figures, without a stack: the sentences word for word, the SVG
charts parsed and measured, the Word file opened by python-docx, the PDF's text read by pypdf."""

from __future__ import annotations

import io
import unicodedata
import uuid
import xml.etree.ElementTree as ET
from datetime import UTC, date, datetime
from pathlib import Path

import docx
import pytest
from pypdf import PdfReader

from services.events.directives import charts, report
from services.events.directives.report_controller import (
    Figures,
    render_docx,
    render_page,
    render_report_pdf,
    word_template,
)
from services.events.directives.schemas import (
    CampaignHonoured,
    Coverage,
    Directive,
    DistrictCoverage,
    Honoured,
    Implementation,
    MissingUnit,
    MonthSessions,
    SessionTotals,
)

SVG = "{http://www.w3.org/2000/svg}"
DVK, HCM = uuid.uuid4(), uuid.uuid4()
REPORT_DAY = date(2014, 8, 28)

SOURCE_LEAD = (
    "Ban Thường vụ Tỉnh ủy Bình Thuận đã ban hành Chương trình hành động số 20-NQ/TU ngày 7/8/2013 thực hiện "
    "Nghị quyết số 25-NQ/TW ngày 3/6/2013 của Ban Chấp hành Trung ương Đảng (khóa XI); 15/15 đảng bộ trực thuộc "
    "và 504 tổ chức cơ sở đảng đã xây dựng chương trình, kế hoạch thực hiện; tổ chức 472 buổi học tập, quán triệt "
    "cho 53.486 lượt cán bộ, đảng viên, công chức, viên chức và đoàn viên, hội viên; biểu dương, khen thưởng "
    "40 tập thể, 20 cá nhân trong phong trào “Dân vận khéo năm 2014” và 250 cá nhân trong phong trào “Học tập và "
    "làm theo tấm gương đạo đức Hồ Chí Minh năm 2014”."
)


def directive(**changes: object) -> Directive:
    fields: dict[str, object] = {
        "id": uuid.uuid4(),
        "code": "20-NQ/TU",
        "title": "Chương trình hành động",
        "implements": "Nghị quyết số 25-NQ/TW ngày 3/6/2013 của Ban Chấp hành Trung ương Đảng (khóa XI)",
        "issuing_unit_id": uuid.uuid4(),
        "issuing_unit_name": "Tỉnh ủy Bình Thuận",
        "issued_on": date(2013, 8, 7),
        "campaign_ids": [DVK, HCM],
        "created_at": datetime(2014, 8, 1, tzinfo=UTC),
    }
    fields.update(changes)
    return Directive(**fields)  # type: ignore[arg-type]


def implementation(
    *,
    committees: tuple[int, int] = (15, 15),
    grassroots: tuple[int, int] = (504, 504),
    missing: list[MissingUnit] | None = None,
    sessions: tuple[int, int] = (472, 53486),
) -> Implementation:
    return Implementation(
        programmes={
            "party_committee": Coverage(done=committees[0], of=committees[1]),
            "grassroots_party_org": Coverage(done=grassroots[0], of=grassroots[1]),
        },
        sessions=SessionTotals(count=sessions[0], attendees=sessions[1]),
        honoured=Honoured(
            collectives=40,
            individuals=270,
            by_campaign=[
                CampaignHonoured(campaign_id=DVK, name="Dân vận khéo năm 2014", collectives=40, individuals=20),
                CampaignHonoured(
                    campaign_id=HCM,
                    name="Học tập và làm theo tấm gương đạo đức Hồ Chí Minh năm 2014",
                    collectives=0,
                    individuals=250,
                ),
            ],
        ),
        missing=missing or [],
    )


def districts() -> list[DistrictCoverage]:
    return [
        DistrictCoverage(unit_id=uuid.uuid4(), name="Đảng bộ thành phố Phan Thiết", done=61, of=61),
        DistrictCoverage(unit_id=uuid.uuid4(), name="Đảng bộ huyện Phú Quý", done=9, of=12),
        DistrictCoverage(unit_id=uuid.uuid4(), name="Đảng bộ <Khối> & “doanh nghiệp”", done=0, of=30),
    ]


def months() -> list[MonthSessions]:
    return [
        MonthSessions(month=date(2013, 8, 1), count=120, attendees=15000),
        MonthSessions(month=date(2013, 9, 1), count=300, attendees=30486),
        MonthSessions(month=date(2013, 11, 1), count=52, attendees=8000),
    ]


def source_report() -> report.Report:
    return report.build(directive(), implementation(), districts(), months(), on=REPORT_DAY)


# ------------------------------------------------------------------ the words
def test_the_lead_says_the_source_reports_figures_as_it_writes_them() -> None:
    r = source_report()
    assert r.lead == SOURCE_LEAD
    for figure in ("15/15", "504", "472", "53.486", "40 tập thể", "20 cá nhân", "250 cá nhân"):
        assert figure in r.lead
    assert r.place_date == "Bình Thuận, ngày 28/8/2014"
    assert r.issuer == "TỈNH ỦY BÌNH THUẬN" and r.party and r.signer == "T/M BAN THƯỜNG VỤ"
    assert r.subject == (
        "Kết quả một năm thực hiện Chương trình hành động số 20-NQ/TU ngày 7/8/2013 của Ban Thường vụ "
        "Tỉnh ủy Bình Thuận"
    )
    assert r.missing == "Các đơn vị đều đã xây dựng chương trình, kế hoạch thực hiện."
    assert r.sessions_total == report.MonthRow("Cộng", "472", "53.486")
    assert r.honoured_total == report.CampaignRow("Cộng", "40", "270")
    assert [(k.label, k.done, k.of, k.share) for k in r.kind_rows] == [
        ("Đảng bộ trực thuộc", "15", "15", "100%"),
        ("Tổ chức cơ sở đảng", "504", "504", "100%"),
    ]


def test_units_still_without_a_programme_are_named_and_counted_against_their_whole() -> None:
    late = [
        MissingUnit(id=uuid.uuid4(), name="Đảng bộ huyện Phú Quý", kind="party_committee"),
        MissingUnit(id=uuid.uuid4(), name="Chi bộ cơ sở số 03", kind="grassroots_party_org"),
        MissingUnit(id=uuid.uuid4(), name="Chi bộ cơ sở số 07", kind="grassroots_party_org"),
    ]
    r = report.build(
        directive(), implementation(committees=(14, 15), grassroots=(502, 504), missing=late), [], [], on=REPORT_DAY
    )
    assert "14/15 đảng bộ trực thuộc và 502/504 tổ chức cơ sở đảng đã xây dựng" in r.lead
    assert r.missing == (
        "Một số nơi việc xây dựng chương trình, kế hoạch thực hiện còn chậm: còn 1 đảng bộ trực thuộc "
        "(Đảng bộ huyện Phú Quý); 2 tổ chức cơ sở đảng (Chi bộ cơ sở số 03, Chi bộ cơ sở số 07) chưa xây dựng "
        "chương trình, kế hoạch thực hiện."
    )
    assert [(m.name, m.kind) for m in r.missing_rows][0] == ("Đảng bộ huyện Phú Quý", "Đảng bộ trực thuộc")
    assert r.kind_rows[1].share == "99,6%"


def test_a_long_list_of_late_units_is_cut_in_the_sentence_but_whole_in_the_table() -> None:
    late = [MissingUnit(id=uuid.uuid4(), name=f"Chi bộ {n}", kind="grassroots_party_org") for n in range(1, 1201)]
    r = report.build(directive(), implementation(grassroots=(0, 1200), missing=late), [], [], on=REPORT_DAY)
    assert "1.200 tổ chức cơ sở đảng (Chi bộ 1, " in r.missing
    assert f"Chi bộ {report.MISSING_NAMED}, và 1.170 đơn vị khác)" in r.missing
    assert len(r.missing_rows) == 1200


def test_nothing_reported_yet_says_so() -> None:
    empty = Implementation(programmes={}, sessions=SessionTotals(0, 0), honoured=Honoured(0, 0, []), missing=[])
    r = report.build(
        directive(title="Kế hoạch về công tác dân vận", issuing_unit_name="Sở Nội vụ", code="12/KH-SNV"),
        empty,
        [],
        [],
        on=date(2013, 9, 1),
    )
    assert r.lead == (
        "Sở Nội vụ đã ban hành Kế hoạch số 12/KH-SNV ngày 7/8/2013 về công tác dân vận thực hiện Nghị quyết số "
        "25-NQ/TW ngày 3/6/2013 của Ban Chấp hành Trung ương Đảng (khóa XI); chưa có buổi học tập, quán triệt nào "
        "được báo cáo."
    )
    assert r.subject.startswith("Kết quả thực hiện Kế hoạch số 12/KH-SNV ngày 7/8/2013 của Sở Nội vụ")
    assert r.place_date == "Ngày 1/9/2013" and not r.party and r.signer == "T/M SỞ NỘI VỤ"


def test_numbers_shares_and_file_names() -> None:
    assert report.against(1204, 1310) == "1.204/1.310"
    assert report.share(2, 3) == "66,7%" and report.share(0, 0) == "–" and report.share(5, 5) == "100%"
    assert report.join(["a", "b", "c"]) == "a, b và c"
    assert report.filename(directive(), "docx") == "bao-cao-20-NQ-TU.docx"
    assert report.filename(directive(code="Số ../../x"), "pdf") == "bao-cao-S-x.pdf"


# ------------------------------------------------------------------ the pictures
def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == SVG + "svg" and root.get("role") == "img"
    assert root.find(SVG + "title") is not None and root.find(SVG + "desc") is not None
    return root


def test_the_coverage_chart_is_valid_svg_with_bars_in_proportion_and_names_escaped() -> None:
    svg = charts.coverage_svg(districts())
    root = parse(svg)
    rows = root.findall(f"{SVG}g[@class='row']")
    assert len(rows) == 3
    widths = []
    for row, d in zip(rows, districts(), strict=True):
        of = float(row.find(f"{SVG}rect[@class='of']").get("width"))  # type: ignore[union-attr, arg-type]
        done = float(row.find(f"{SVG}rect[@class='done']").get("width"))  # type: ignore[union-attr, arg-type]
        widths.append((of, done))
        assert done == pytest.approx(of * d.done / d.of, abs=0.01)
        texts = "".join(t.text or "" for t in row.iter(SVG + "text"))
        assert f"{d.done}/{d.of}" in texts
    assert widths[0][0] / widths[1][0] == pytest.approx(61 / 12, rel=1e-3)
    assert "Đảng bộ <Khối> & “doanh nghiệp”" in "".join(root.itertext())
    assert "<Khối>" not in svg and "&lt;Khối&gt; &amp;" in svg
    assert "style=" not in svg and "<script" not in svg
    assert "Đảng bộ huyện Phú Quý: 9/12 đơn vị đã xây dựng" in (root.find(SVG + "desc").text or "")  # type: ignore[union-attr]


def test_the_sessions_chart_has_a_bar_a_month_in_proportion_and_the_attendees_line() -> None:
    root = parse(charts.sessions_svg(months()))
    bars = [float(r.get("height")) for r in root.iter(SVG + "rect") if r.get("class") == "bar"]  # type: ignore[arg-type]
    assert len(bars) == 3
    assert bars[1] / bars[0] == pytest.approx(300 / 120, rel=1e-3)
    assert bars[2] / bars[0] == pytest.approx(52 / 120, rel=1e-3)
    line = next(e for e in root.iter(SVG + "polyline") if e.get("class") == "attendees")
    ys = [float(p.split(",")[1]) for p in (line.get("points") or "").split()]
    assert len(ys) == 3 and ys[1] < ys[0] < ys[2]  # higher on the page is more attendees
    text = "".join(root.itertext())
    assert "8/2013" in text and "Lượt người" in text
    assert "tháng 9/2013: 300 buổi, 30.486 lượt người dự" in (root.find(SVG + "desc").text or "")  # type: ignore[union-attr]


def test_empty_charts_say_there_is_nothing_yet() -> None:
    assert "Chưa có đơn vị trực thuộc." in "".join(parse(charts.coverage_svg([])).itertext())
    assert "Chưa có buổi nào được báo cáo." in "".join(parse(charts.sessions_svg([])).itertext())
    long = [MonthSessions(month=date(2000 + i // 12, i % 12 + 1, 1), count=i + 1, attendees=10) for i in range(60)]
    assert len([r for r in parse(charts.sessions_svg(long)).iter(SVG + "rect") if r.get("class") == "bar"]) == 60


# ------------------------------------------------------------------ the documents
def docx_text(data: bytes) -> str:
    document = docx.Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return unicodedata.normalize("NFC", "\n".join(parts))


def test_the_word_report_holds_the_figures_as_the_report_writes_them() -> None:
    text = docx_text(render_docx(source_report()))
    assert SOURCE_LEAD in text
    for figure in ("15/15", "504", "472", "53.486", "40 tập thể", "20 cá nhân", "250 cá nhân", "ngày 28/8/2014"):
        assert figure in text
    assert "Đảng bộ <Khối> & “doanh nghiệp”" in text  # escaped into the XML, read back as typed
    assert "{{" not in text and "{%" not in text


def test_an_office_edits_the_word_template(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    office = docx.Document(str(word_template()))
    office.add_paragraph("Nơi nhận: Ban Dân vận Trung ương; {{ report.sessions_total.attendees }} lượt.")
    office.save(str(tmp_path / "report.docx"))
    monkeypatch.setenv("THIDUA_DOCUMENT_TEMPLATES", str(tmp_path))
    assert word_template() == tmp_path / "report.docx"
    assert "Nơi nhận: Ban Dân vận Trung ương; 53.486 lượt." in docx_text(render_docx(source_report()))


def test_the_pdf_report_reads_the_same_words() -> None:
    reader = PdfReader(io.BytesIO(render_report_pdf(source_report())))
    text = unicodedata.normalize("NFC", " ".join(p.extract_text() for p in reader.pages))
    flat = " ".join(text.split())
    for figure in ("15/15", "472", "53.486", "40 tập thể, 20 cá nhân", "250 cá nhân", "ngày 28/8/2014"):
        assert figure in flat
    assert "đã xây dựng chương trình, kế hoạch thực hiện" in flat
    assert len(reader.pages) >= 2  # the annex starts a page
    assert (
        reader.metadata is not None
        and reader.metadata.title == "Báo cáo – Chương trình hành động số 20-NQ/TU ngày 7/8/2013"
    )


def test_the_demos_title_is_cited_once_with_the_resolution_it_carries_out() -> None:
    d = directive(
        title="Chương trình hành động số 20-NQ/TU của Tỉnh ủy Bình Thuận thực hiện Nghị quyết 25-NQ/TW",
        implements="Nghị quyết số 25-NQ/TW ngày 03/6/2013 của Ban Chấp hành Trung ương Đảng (khóa XI) về tăng cường "
        "và đổi mới sự lãnh đạo của Đảng đối với công tác dân vận trong tình hình mới",
    )
    r = report.build(d, implementation(), [], [], on=REPORT_DAY)
    assert r.lead.startswith(
        "Ban Thường vụ Tỉnh ủy Bình Thuận đã ban hành Chương trình hành động số 20-NQ/TU ngày 7/8/2013 thực hiện "
        "Nghị quyết số 25-NQ/TW ngày 03/6/2013 của Ban Chấp hành Trung ương Đảng (khóa XI) về tăng cường và đổi mới "
        "sự lãnh đạo của Đảng đối với công tác dân vận trong tình hình mới; 15/15 đảng bộ trực thuộc và 504 tổ chức "
        "cơ sở đảng đã xây dựng"
    )
    assert r.subject == (
        "Kết quả một năm thực hiện Chương trình hành động số 20-NQ/TU ngày 7/8/2013 của Ban Thường vụ Tỉnh ủy "
        "Bình Thuận thực hiện Nghị quyết 25-NQ/TW"
    )


def test_a_count_axis_has_whole_steps() -> None:
    assert [charts.axis_top(v) for v in (0, 1, 4, 5, 300, 53486)] == [4, 4, 4, 8, 400, 80000]
    root = parse(charts.sessions_svg([MonthSessions(month=date(2013, 10, 1), count=1, attendees=120)]))
    left_axis = [
        t.text for t in root.iter(SVG + "text") if t.get("text-anchor") == "end" and t.get("font-size") == "11"
    ]
    assert left_axis[:5] == ["0", "1", "2", "3", "4"]


def test_a_province_where_most_units_are_late_gets_its_files_quickly_and_whole_in_word() -> None:
    late = [MissingUnit(id=uuid.uuid4(), name=f"Chi bộ số {n:04d}", kind="grassroots_party_org") for n in range(1200)]
    r = report.build(directive(), implementation(grassroots=(0, 1200), missing=late), districts(), [], on=REPORT_DAY)
    word = docx_text(render_docx(r))
    assert all(f"Chi bộ số {n:04d}" in word for n in range(1200))
    pdf = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(render_report_pdf(r))).pages)
    flat = " ".join(unicodedata.normalize("NFC", pdf).split())
    assert "Chi bộ số 0299" in flat and "Chi bộ số 0300" not in flat
    assert "Và 900 đơn vị khác: danh sách đầy đủ trong báo cáo dạng Word." in flat
    f = Figures(directive(), implementation(grassroots=(0, 1200), missing=late), districts(), [])
    page = render_page("report_page.html", f, r)
    assert "Chi bộ số 0499" in page and "Chi bộ số 0500" not in page and "Và 700 đơn vị khác" in page
