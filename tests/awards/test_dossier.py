"""The dossier's pure rules (no server): what a file is by its bytes, the name it keeps, how it is served."""

from __future__ import annotations

import pytest

from services.awards.domain import dossier
from services.awards.domain.dossier import Kind
from shared.errors import Conflict, Invalid

from .test_attachments import ELF, JPEG, PE, docx_bytes, pdf_bytes, png_bytes, xlsx_bytes, zip_bytes


def test_each_kind_is_known_by_its_bytes() -> None:
    assert dossier.sniff(pdf_bytes()) is Kind.PDF
    assert dossier.sniff(png_bytes()) is Kind.PNG
    assert dossier.sniff(JPEG) is Kind.JPEG
    assert dossier.sniff(docx_bytes()) is Kind.DOCX
    assert dossier.sniff(xlsx_bytes()) is Kind.XLSX


@pytest.mark.parametrize(
    "content",
    [
        ELF,
        PE,
        zip_bytes(),
        docx_bytes("application/vnd.ms-word.document.macroEnabled.main+xml"),
        b"PK\x03\x04broken",
        b"",
        b" %PDF-1.4",
        b"GIF89a",
    ],
)
def test_anything_else_is_refused_on_the_field_file(content: bytes) -> None:
    with pytest.raises(Invalid) as refused:
        dossier.sniff(content)
    assert [e.field for e in refused.value.errors] == ["file"]


def test_the_size_bound() -> None:
    dossier.check_size(dossier.MAX_BYTES)
    with pytest.raises(dossier.TooLarge) as refused:
        dossier.check_size(dossier.MAX_BYTES + 1)
    assert refused.value.status == 413 and refused.value.errors[0].field == "file"


def test_a_name_keeps_only_its_last_part_nfc_and_nothing_hidden() -> None:
    assert dossier.filename("C:\\Users\\Ánh\\Ba\u0301o ca\u0301o.pdf", Kind.PDF) == "Báo cáo.pdf"
    assert dossier.filename("../../x/y.png", Kind.PNG) == "y.png"
    assert dossier.filename("ảnh\u202egnp.exe", Kind.PNG) == "ảnh gnp.exe"
    assert dossier.filename("a\x00b\r\n.pdf", Kind.PDF) == "a b .pdf"
    assert dossier.filename("", Kind.DOCX) == "tệp đính kèm.docx"
    assert dossier.filename("/", Kind.PDF) == "tệp đính kèm.pdf"
    long = dossier.filename("ả" * 500 + ".xlsx", Kind.XLSX)
    assert len(long) == dossier.MAX_FILENAME and long.endswith(".xlsx")


def test_the_download_names_the_file_for_every_browser() -> None:
    header = dossier.content_disposition('Tờ trình "số 5"; Đợt 1.pdf')
    assert header == (
        'attachment; filename="To trinh _so 5__ Dot 1.pdf"; '
        "filename*=UTF-8''T%E1%BB%9D%20tr%C3%ACnh%20%22s%E1%BB%91%205%22%3B%20%C4%90%E1%BB%A3t%201.pdf"
    )


def test_editable_and_room() -> None:
    dossier.check_editable("submitted")
    dossier.check_editable("returned")
    for status in ("approved", "rejected", "withdrawn", "granted", "revoked"):
        with pytest.raises(Conflict):
            dossier.check_editable(status)
    dossier.check_room(dossier.MAX_FILES - 1)
    with pytest.raises(Conflict):
        dossier.check_room(dossier.MAX_FILES)
