"""Documents a province signs, hands over and files: PDFs from HTML templates an office can change.

- **Templates** are Jinja HTML files shipped beside the feature that renders
  them (for example `services/awards/documents/templates/`). An office changes
  one without touching the code by putting a file of the same name in the
  folder `THIDUA_DOCUMENT_TEMPLATES` names: it is looked up there first.
- **Rendering** is fpdf2's HTML subset (headings, paragraphs, bold and italic,
  tables, images, `<font>`, `align`): enough for a decision, its annex, a
  certificate or minutes, and simple enough that a clerk can edit it.
- **The typeface** is DejaVu Serif, shipped in `shared/fonts/` with its
  licence: it has every Vietnamese letter (the common Liberation fonts lack
  the letters with a hook or a dot below). Text is NFC, so each letter is one
  glyph.
- **QR codes** (segno) are PNG `data:` URIs for an `<img>` in a template.

Rendering is CPU work: call `render_pdf` through `asyncio.to_thread` from a
request handler, so the event loop keeps answering others meanwhile.
"""

from __future__ import annotations

import base64
import io
import os
from collections.abc import Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any, Literal

import segno
from fpdf import FPDF
from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, select_autoescape

FONT_DIR = Path(__file__).parent / "fonts"
FONT_FAMILY = "DejaVuSerif"
_FONT_FILES = {
    "": "DejaVuSerif.ttf",
    "B": "DejaVuSerif-Bold.ttf",
    "I": "DejaVuSerif-Italic.ttf",
    "BI": "DejaVuSerif-BoldItalic.ttf",
}
OVERRIDE_ENV = "THIDUA_DOCUMENT_TEMPLATES"


def templates(shipped: Path, env: Mapping[str, str] = os.environ) -> Environment:
    """The Jinja environment of a feature's document templates: the office's folder first, then the shipped one."""
    folders = [str(shipped)]
    override = env.get(OVERRIDE_ENV)
    if override:
        folders.insert(0, override)
    environment = Environment(
        loader=ChoiceLoader([FileSystemLoader(folder) for folder in folders]),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["vn_date"] = vn_date
    environment.filters["vn_number"] = vn_number
    return environment


def vn_date(day: date) -> str:
    """`ngày 28/8/2014`: the way Vietnamese documents write a date (no leading zeros)."""
    return f"ngày {day.day}/{day.month}/{day.year}"


def vn_number(value: int) -> str:
    """`53.486`: thousands grouped with a dot, as Vietnamese writes numbers."""
    return f"{value:,}".replace(",", ".")


def qr_data_uri(text: str, *, scale: int = 6) -> str:
    """A QR code of `text` (error correction M) as a PNG `data:` URI, for an `<img src>` of a template."""
    buffer = io.BytesIO()
    segno.make_qr(text, error="m").save(buffer, kind="png", scale=scale, border=2)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def render_pdf(
    pages: Sequence[str],
    *,
    title: str,
    orientation: Literal["portrait", "landscape"] = "portrait",
    author: str = "",
    font_size: float = 13,
) -> bytes:
    """One PDF of A4 pages: each item of `pages` is rendered HTML that starts a new page (and may run onto more)."""
    pdf = FPDF(orientation="P" if orientation == "portrait" else "L", unit="mm", format="A4")
    # The margins of an administrative document: 20-25 mm left, 15-20 mm right, top and bottom.
    pdf.set_margins(left=25, top=20, right=18)
    pdf.set_auto_page_break(auto=True, margin=20)
    for style, name in _FONT_FILES.items():
        pdf.add_font(FONT_FAMILY, style=style, fname=str(FONT_DIR / name))
    pdf.set_title(title)
    if author:
        pdf.set_author(author)
    pdf.set_creator("thidua")
    pdf.set_font(FONT_FAMILY, size=font_size)
    for page in pages:
        pdf.add_page()
        pdf.write_html(page, font_family=FONT_FAMILY, table_line_separators=True)
    return bytes(pdf.output())


def render(environment: Environment, template: str, **context: Any) -> str:
    """A template rendered with its context (a helper so that callers need not know Jinja's API)."""
    return environment.get_template(template).render(**context)
