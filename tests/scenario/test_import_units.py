"""`thidua import-units FILE`: a provincial office loads its units from CSV or Excel, over HTTP."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import openpyxl
from openpyxl.worksheet.worksheet import Worksheet

from tests.scenario.conftest import thidua
from tests.support import Api, Stack, code


async def subtree(api: Api, unit_id: str) -> dict[str, dict]:
    units: dict[str, dict] = {}
    cursor = None
    while True:
        resp = await api.units.get(
            "/units", params={"under_id": unit_id, "limit": 200, **({"cursor": cursor} if cursor else {})}
        )
        assert resp.status_code == 200, resp.text
        body = resp.json()
        units.update({u["code"]: u for u in body["items"]})
        if not (cursor := body["next_cursor"]):
            return units


async def test_import_units_from_an_excel_csv(stack: Stack, admin: Api, tmp_path: Path) -> None:
    parent = await admin.unit("Đảng bộ huyện Hàm Tân (thử)", kind="party_committee")
    org, cell = code("CB"), code("CB")
    # What Excel writes for "CSV UTF-8" in a Vietnamese locale: a BOM, semicolons, CRLF.
    text = (
        "code;name;kind;parent_code\r\n"
        f"{org};Đảng bộ xã Tân Thắng;grassroots_party_org;{parent['code']}\r\n"
        f"{cell};Chi bộ thôn Hiệp Hòa;grassroots_party_org;{org}\r\n"
        ";;;\r\n"
    )
    path = tmp_path / "don-vi.csv"
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))

    ran = await thidua(stack, "import-units", path)

    assert ran.code == 0, ran.stderr
    assert "imported 2 units" in ran.stdout
    units = await subtree(admin, parent["id"])
    assert units[org]["name"] == "Đảng bộ xã Tân Thắng"
    assert units[org]["parent_id"] == parent["id"]
    assert units[cell]["parent_id"] == units[org]["id"]
    assert units[cell]["name"] == "Chi bộ thôn Hiệp Hòa"


async def test_import_units_from_xlsx_normalises_the_text(stack: Stack, admin: Api, tmp_path: Path) -> None:
    root, child = code("DB"), code("CB")
    book = openpyxl.Workbook()
    sheet = book.active
    assert isinstance(sheet, Worksheet)  # a new workbook starts with one worksheet
    sheet.append(["Code", "Name", "Kind", "Parent_Code"])
    # Word and Excel hand over decomposed (NFD) text too.
    sheet.append([root, unicodedata.normalize("NFD", "Đảng bộ huyện Đức Linh (thử)"), "party_committee", None])
    sheet.append([child, "Chi bộ khu phố 3", "grassroots_party_org", root])
    path = tmp_path / "don-vi.xlsx"
    book.save(path)

    ran = await thidua(stack, "import-units", path)

    assert ran.code == 0, ran.stderr
    assert "imported 2 units" in ran.stdout
    found = await admin.units.get("/units", params={"q": root})
    top = next(u for u in found.json()["items"] if u["code"] == root)
    assert top["name"] == "Đảng bộ huyện Đức Linh (thử)"  # NFC, byte for byte
    units = await subtree(admin, top["id"])
    assert set(units) == {root, child}
    assert units[child]["parent_id"] == top["id"]


async def test_a_bad_row_imports_nothing_and_is_named(stack: Stack, admin: Api, tmp_path: Path) -> None:
    good, bad = code("CB"), code("CB")
    path = tmp_path / "sai.csv"
    path.write_text(
        f"code,name,kind,parent_code\n{good},Chi bộ đúng,grassroots_party_org,\n{bad},Chi bộ sai,xa_phuong,\n",
        encoding="utf-8",
    )

    ran = await thidua(stack, "import-units", path)

    assert ran.code == 1
    assert "row 2" in ran.stderr
    for unit_code in (good, bad):
        found = await admin.units.get("/units", params={"q": unit_code})
        assert [u for u in found.json()["items"] if u["code"] == unit_code] == []


async def test_a_file_without_the_columns_is_refused_before_any_call(stack: Stack, tmp_path: Path) -> None:
    path = tmp_path / "thieu.csv"
    path.write_text("ma,ten\nX1,Chi bộ\n", encoding="utf-8")

    ran = await thidua(stack, "import-units", path)

    assert ran.code == 2
    assert "code, name, kind" in ran.stderr


async def test_a_wrong_password_is_refused(stack: Stack, tmp_path: Path) -> None:
    path = tmp_path / "don-vi.csv"
    path.write_text(f"code,name,kind,parent_code\n{code()},Chi bộ,grassroots_party_org,\n", encoding="utf-8")

    ran = await thidua(stack, "import-units", path, password="not-the-password")

    assert ran.code == 1
    assert "401" in ran.stderr
