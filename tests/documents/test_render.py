"""shared/documents.py: Vietnamese set right, QR codes that decode, an office's template first."""

from __future__ import annotations

import io
import unicodedata
from datetime import date
from pathlib import Path

import zxingcpp
from pypdf import PdfReader

from shared.documents import qr_data_uri, render, render_pdf, templates, vn_date, vn_number

# Every letter of Vietnamese, with each of its five tone marks on each vowel.
VOWELS = "aăâeêioôơuưyAĂÂEÊIOÔƠUƯY"
TONES = ["\u0300", "\u0301", "\u0303", "\u0309", "\u0323"]
EVERY_LETTER = "đĐ" + "".join(unicodedata.normalize("NFC", v + t) for v in VOWELS for t in TONES) + VOWELS


def test_every_vietnamese_letter_survives_a_pdf() -> None:
    pdf = render_pdf([f"<p>Nguyễn Thị Ánh Tuyết</p><p>{EVERY_LETTER}</p>"], title="Thử")
    text = unicodedata.normalize("NFC", PdfReader(io.BytesIO(pdf)).pages[0].extract_text())
    assert "Nguyễn Thị Ánh Tuyết" in text
    assert EVERY_LETTER in text.replace("\n", "")


def test_each_page_of_the_list_starts_a_page() -> None:
    pdf = render_pdf(["<p>một</p>", "<p>hai</p>", "<p>ba</p>"], title="Ba trang")
    reader = PdfReader(io.BytesIO(pdf))
    assert [page.extract_text().strip() for page in reader.pages] == ["một", "hai", "ba"]
    assert reader.metadata is not None and reader.metadata.title == "Ba trang"


def test_a_qr_code_decodes_to_its_text() -> None:
    url = "https://thidua.example/verify/7KQ2-M9XD"
    pdf = render_pdf([f'<img src="{qr_data_uri(url)}" width="120">'], title="QR")
    images = PdfReader(io.BytesIO(pdf)).pages[0].images
    assert [barcode.text for image in images for barcode in zxingcpp.read_barcodes(image.image)] == [url]


def test_an_offices_template_is_read_before_the_shipped_one(tmp_path: Path) -> None:
    shipped, office = tmp_path / "shipped", tmp_path / "office"
    shipped.mkdir()
    office.mkdir()
    (shipped / "a.html").write_text("<p>shipped {{ name }}</p>", encoding="utf-8")
    (shipped / "b.html").write_text("<p>shipped only</p>", encoding="utf-8")
    (office / "a.html").write_text("<p>office {{ name }}</p>", encoding="utf-8")
    environment = templates(shipped, env={"THIDUA_DOCUMENT_TEMPLATES": str(office)})
    assert render(environment, "a.html", name="<Đức>") == "<p>office &lt;Đức&gt;</p>"
    assert render(environment, "b.html") == "<p>shipped only</p>"
    assert render(templates(shipped, env={}), "a.html", name="An") == "<p>shipped An</p>"


def test_numbers_and_dates_the_vietnamese_way() -> None:
    assert vn_number(53486) == "53.486"
    assert vn_number(472) == "472"
    assert vn_number(1234567) == "1.234.567"
    assert vn_date(date(2014, 8, 28)) == "ngày 28/8/2014"
