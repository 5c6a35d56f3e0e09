"""The nomination import's rules without a server: the one table reader (`shared.tables`) and the
console's row checks (`services/console/imports/plan.py`)."""

from __future__ import annotations

import io
import uuid
from typing import Any

import msgspec
import openpyxl
import pytest

from services.console.imports import plan
from shared import batches
from shared.tables import (
    NOMINATION_COLUMNS,
    TableError,
    canonical,
    parse_numbered,
    parse_table,
    require_columns,
)

CAMPAIGN: dict[str, Any] = {
    "id": str(uuid.uuid4()),
    "code": "PT-2025",
    "name": "Dân vận khéo",
    "status": "open",
    "categories": [
        {
            "id": str(uuid.uuid4()),
            "code": "CSTD",
            "name": "Chiến sĩ thi đua",
            "form": "Bằng khen",
            "nominee_kind": "individual",
        },
        {
            "id": str(uuid.uuid4()),
            "code": "TTXS",
            "name": "Tập thể xuất sắc",
            "form": "Bằng khen",
            "nominee_kind": "collective",
        },
    ],
}
CLOSED: dict[str, Any] = {
    "id": str(uuid.uuid4()),
    "code": "PT-2024",
    "name": "Năm cũ",
    "status": "closed",
    "categories": [
        {
            "id": str(uuid.uuid4()),
            "code": "CSTD",
            "name": "Chiến sĩ thi đua",
            "form": "Giấy khen",
            "nominee_kind": "individual",
        },
        {
            "id": str(uuid.uuid4()),
            "code": "LDTT",
            "name": "Lao động tiên tiến",
            "form": "Giấy khen",
            "nominee_kind": "individual",
        },
    ],
}


@pytest.mark.parametrize(
    "data",
    [
        '\ufeffcategory;unit_code;achievements\r\nCSTD;U-1;"Một; hai, ba"\r\n',  # Excel's CSV UTF-8 in Vietnam
        'category,unit_code,achievements\nCSTD,U-1,"Một; hai, ba"\n',
        "category\tunit_code\tachievements\nCSTD\tU-1\tMột; hai, ba\n",
    ],
)
def test_a_csv_is_read_whatever_its_separator(data: str) -> None:
    assert parse_table("a.csv", data.encode()) == [
        {"category": "CSTD", "unit_code": "U-1", "achievements": "Một; hai, ba"}
    ]


def test_rows_keep_the_numbers_the_spreadsheet_shows() -> None:
    data = b"Category ; UNIT_CODE\nA;1\n;\n\nB;2\n"
    assert parse_numbered("a.csv", data) == [
        (2, {"category": "A", "unit_code": "1"}),
        (5, {"category": "B", "unit_code": "2"}),
    ]


def test_an_xlsx_is_read_as_its_first_sheet_with_nfc_text() -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["category", "full_name", "year"])
    sheet.append(["CSTD", "Nguye\u0302\u0303n Văn A", 2025.0])  # decomposed diacritics, a whole float
    out = io.BytesIO()
    book.save(out)
    assert parse_numbered("a.xlsx", out.getvalue()) == [
        (2, {"category": "CSTD", "full_name": "Nguyễn Văn A", "year": "2025"})
    ]


@pytest.mark.parametrize(
    ("name", "data", "reason"),
    [
        ("a.pdf", b"%PDF", "format"),
        ("a.csv", "category\nThành\n".encode("cp1258"), "encoding"),
        ("a.csv", b"", "empty"),
        ("a.xlsx", b"PK\x03\x04 broken", "unreadable"),
        ("a.csv", b"a\n" + b"x\n" * 11, "too-many-rows"),
    ],
)
def test_a_file_that_cannot_be_read_says_why(name: str, data: bytes, reason: str) -> None:
    with pytest.raises(TableError) as caught:
        parse_table(name, data, max_rows=10)
    assert caught.value.reason == reason
    assert caught.value.errors[0].field == "file"


def test_missing_columns_are_named() -> None:
    with pytest.raises(TableError) as caught:
        require_columns([{"category": "x"}], ("category", "unit_code", "achievements"), "a.csv")
    assert caught.value.missing == ("unit_code", "achievements")
    with pytest.raises(TableError) as caught:
        require_columns([], ("category",), "a.csv")
    assert caught.value.reason == "no-rows"


def test_column_spellings_and_the_request_keys_are_the_commands() -> None:
    row = canonical(
        {"category_code": "CSTD", "nominee_unit_code": "U-1", "name": "", "thanh_tich": "X"}, NOMINATION_COLUMNS
    )
    assert row == {"category": "CSTD", "unit_code": "U-1", "full_name": "", "achievements": "X"}
    # The rows go in bulk requests (shared.batches.send, the command's too): a request's key is its content's.
    rows = [msgspec.json.encode({"category_id": "c", "nominee_person_id": "p", "achievements": a}) for a in "ab"]
    key = batches.request_key(batches.NOMINATIONS_KEY, 0, rows)
    assert key == batches.request_key(batches.NOMINATIONS_KEY, 0, list(rows))
    assert key != batches.request_key(batches.NOMINATIONS_KEY, 0, rows[:1])  # other rows
    assert key != batches.request_key(batches.NOMINATIONS_KEY, 1, rows)  # a later round: its own answer


def test_a_category_is_found_by_code_in_open_campaigns_only() -> None:
    campaigns = [CAMPAIGN, CLOSED]
    found = plan.find_category(campaigns, "pt-2025", "cstd")
    assert not isinstance(found, str) and found[0]["id"] == CAMPAIGN["categories"][0]["id"]
    assert plan.find_category(campaigns, "", "CSTD") == "Danh hiệu “CSTD” có ở nhiều phong trào: thêm cột campaign."
    assert plan.find_category(campaigns, "", "LDTT") == "Phong trào “Năm cũ” đã đóng, không nhận đề nghị."
    assert plan.find_category(campaigns, "PT-X", "CSTD") == "Không có phong trào mã “PT-X”."
    assert plan.find_category(campaigns, "", "") == "Thiếu danh hiệu (cột category)."


def test_a_row_says_everything_wrong_with_it() -> None:
    _, errors = plan.first_check(
        {"category": "TTXS", "unit_code": "", "full_name": "Ai Đó", "achievements": ""}, [CAMPAIGN]
    )
    assert errors == [
        "Danh hiệu này dành cho tập thể: để trống cột full_name.",
        "Thiếu mã đơn vị (cột unit_code).",
        "Thiếu thành tích (cột achievements).",
    ]
    draft, errors = plan.first_check({"category": "CSTD", "unit_code": "U-1", "achievements": "x" * 20_001}, [CAMPAIGN])
    assert errors == [
        "Danh hiệu này dành cho cá nhân: thiếu họ và tên (cột full_name).",
        "Thành tích dài quá 20000 ký tự.",
    ]
    assert draft["kind"] == "individual"
    draft, errors = plan.first_check({"category": "TTXS", "unit_code": "U-1", "achievements": "Tốt."}, [CAMPAIGN])
    assert errors == [] and draft["category"] == "Tập thể xuất sắc – Bằng khen"
