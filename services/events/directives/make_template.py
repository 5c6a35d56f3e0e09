"""Writes `templates/report.docx`, the Word template of a directive's implementation report.

The template is a plain Word document with docxtpl's Jinja tags (`{{ report.lead }}`, `{%tr for r in
report.kind_rows %}` …) where the figures go; every name of `report.Report` may be used. An office edits
it in Word (fonts, the header, the signature block, extra paragraphs; keep each tag whole, in one run of
one style) and puts its copy, still named `report.docx`, in the folder `THIDUA_DOCUMENT_TEMPLATES` names,
which is read before the shipped one. This script makes the shipped one again:

    .venv/bin/python -m services.events.directives.make_template
"""

from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Cm, Pt
from docx.table import Table
from docx.text.paragraph import Paragraph

TARGET = Path(__file__).parent / "templates" / "report.docx"
FONT = "Times New Roman"


def _paragraph(
    doc: object,
    text: str,
    *,
    bold: bool = False,
    italic: bool = False,
    align: WD_ALIGN_PARAGRAPH | None = None,
    indent: bool = False,
    size: float | None = None,
) -> Paragraph:
    p: Paragraph = doc.add_paragraph()  # type: ignore[attr-defined]
    run = p.add_run(text)
    run.bold = bold
    run.italic = italic
    if size:
        run.font.size = Pt(size)
    if align is not None:
        p.alignment = align
    if indent:
        p.paragraph_format.first_line_indent = Cm(1)
    return p


def _cell(table: Table, row: int, col: int, text: str, *, bold: bool = False, right: bool = False) -> None:
    cell = table.cell(row, col)
    p = cell.paragraphs[0]
    run = p.add_run(text)
    run.bold = bold
    if right:
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT


def _data_table(
    doc: object, caption: str, headers: list[str], loop: str, cells: list[str], total: list[str] | None = None
) -> None:
    """A table of a header row, one row per item of `loop` (docxtpl's `{%tr for %}`), and a total row."""
    _paragraph(doc, caption, bold=True)
    rows = 4 + (1 if total else 0)
    table: Table = doc.add_table(rows=rows, cols=len(headers))  # type: ignore[attr-defined]
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for i, h in enumerate(headers):
        _cell(table, 0, i, h, bold=True)
    _cell(table, 1, 0, "{%tr for r in " + loop + " %}")
    for i, c in enumerate(cells):
        _cell(table, 2, i, "{{ r." + c + " }}", right=i > 0)
    _cell(table, 3, 0, "{%tr endfor %}")
    if total:
        for i, c in enumerate(total):
            _cell(table, 4, i, c, bold=True, right=i > 0)


def build() -> object:
    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = FONT
    style.font.size = Pt(13)
    # The East Asian font slot too, so Word uses Times New Roman for every letter.
    style.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)
    section = doc.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)
    section.left_margin, section.right_margin = Cm(3), Cm(2)
    section.top_margin, section.bottom_margin = Cm(2), Cm(2)

    head: Table = doc.add_table(rows=2, cols=2)
    head.alignment = WD_TABLE_ALIGNMENT.CENTER
    for row, (left, right, italic) in enumerate(
        [
            ("{{ report.issuer }}", "{% if report.party %}ĐẢNG CỘNG SẢN VIỆT NAM{% endif %}", False),
            ("*", "{{ report.place_date }}", True),
        ]
    ):
        for col, text in enumerate((left, right)):
            p = head.cell(row, col).paragraphs[0]
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
            run = p.add_run(text)
            run.bold = row == 0
            run.italic = italic and col == 1

    _paragraph(doc, "")
    _paragraph(doc, "{{ report.title }}", bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, size=15)
    _paragraph(doc, "{{ report.subject }}", bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    _paragraph(doc, "I. KẾT QUẢ THỰC HIỆN", bold=True)
    _paragraph(doc, "{{ report.lead }}", align=WD_ALIGN_PARAGRAPH.JUSTIFY, indent=True)
    _paragraph(doc, "1. Xây dựng chương trình, kế hoạch thực hiện", bold=True)
    _paragraph(doc, "{{ report.programmes }}", align=WD_ALIGN_PARAGRAPH.JUSTIFY, indent=True)
    _paragraph(doc, "2. Học tập, quán triệt", bold=True)
    _paragraph(doc, "{{ report.sessions }}", align=WD_ALIGN_PARAGRAPH.JUSTIFY, indent=True)
    _paragraph(doc, "3. Biểu dương, khen thưởng", bold=True)
    _paragraph(doc, "{{ report.honoured }}", align=WD_ALIGN_PARAGRAPH.JUSTIFY, indent=True)
    _paragraph(doc, "II. HẠN CHẾ", bold=True)
    _paragraph(doc, "{{ report.missing }}", align=WD_ALIGN_PARAGRAPH.JUSTIFY, indent=True)
    _paragraph(doc, "{{ report.closing }}", align=WD_ALIGN_PARAGRAPH.JUSTIFY, indent=True)
    _paragraph(doc, "{{ report.signer }}", bold=True, align=WD_ALIGN_PARAGRAPH.RIGHT)

    doc.add_page_break()
    _paragraph(doc, "PHỤ LỤC: SỐ LIỆU", bold=True, align=WD_ALIGN_PARAGRAPH.CENTER)
    _data_table(
        doc,
        "Xây dựng chương trình, kế hoạch theo loại đơn vị",
        ["Loại đơn vị", "Đã xây dựng", "Tổng số", "Tỷ lệ"],
        "report.kind_rows",
        ["label", "done", "of", "share"],
    )
    _data_table(
        doc,
        "Theo đơn vị trực thuộc (kể cả các đơn vị cấp dưới)",
        ["Đơn vị", "Đã xây dựng", "Tổng số", "Tỷ lệ"],
        "report.unit_rows",
        ["name", "done", "of", "share"],
    )
    _data_table(
        doc,
        "Học tập, quán triệt theo tháng",
        ["Tháng", "Số buổi", "Lượt người dự"],
        "report.month_rows",
        ["month", "count", "attendees"],
        ["Cộng", "{{ report.sessions_total.count }}", "{{ report.sessions_total.attendees }}"],
    )
    _data_table(
        doc,
        "Khen thưởng trong các phong trào thi đua",
        ["Phong trào", "Tập thể", "Cá nhân"],
        "report.campaign_rows",
        ["name", "collectives", "individuals"],
        ["Cộng", "{{ report.honoured_total.collectives }}", "{{ report.honoured_total.individuals }}"],
    )
    _data_table(
        doc,
        "Đơn vị chưa xây dựng chương trình, kế hoạch",
        ["Đơn vị", "Loại"],
        "report.missing_rows",
        ["name", "kind"],
    )
    core = doc.core_properties
    core.title = "Báo cáo kết quả thực hiện"
    core.author = "thidua"
    return doc


def main() -> None:
    doc = build()
    doc.save(str(TARGET))  # type: ignore[attr-defined]
    print(f"wrote {TARGET}")


if __name__ == "__main__":
    main()
