"""`thidua import-nominations FILE`: a unit's officer submits its nominations from a spreadsheet."""

from __future__ import annotations

import unicodedata
from functools import partial
from pathlib import Path

import openpyxl
from openpyxl.worksheet.worksheet import Worksheet

from tests.scenario.conftest import thidua
from tests.support import Api, Stack, code, eventually, in_copy


async def campaign_with_categories(stack: Stack, admin: Api, organizer_id: str) -> tuple[dict, str, str]:
    # The organizer was created a moment ago: the awards service learns of it through an event.
    await eventually(partial(in_copy, stack, "awards", organizer_id))
    resp = await admin.awards.post(
        "/campaigns",
        json={"code": code("C"), "name": "Thi đua yêu nước (thử)", "organizer_unit_id": organizer_id, "year": 2014},
    )
    assert resp.status_code == 201, resp.text
    campaign = resp.json()
    for cat_code, kind in (("TT", "collective"), ("CN", "individual")):
        resp = await admin.awards.post(
            f"/campaigns/{campaign['id']}/categories",
            json={
                "code": cat_code,
                "name": f"Hạng mục {cat_code}",
                "nominee_kind": kind,
                "quota": 10,
                "form": "Giấy khen",
            },
        )
        assert resp.status_code == 201, resp.text
    return campaign, "TT", "CN"


async def nominations_of(admin: Api, campaign_id: str) -> list[dict]:
    resp = await admin.awards.get("/nominations", params={"campaign_id": campaign_id, "limit": 200})
    assert resp.status_code == 200, resp.text
    return resp.json()["items"]


async def test_an_officer_imports_nominations_from_csv(stack: Stack, admin: Api, tmp_path: Path) -> None:
    committee = await admin.unit("Đảng bộ huyện Tuy Phong (thử)", kind="party_committee")
    org = await admin.unit("Đảng bộ xã Phước Thể (thử)", parent_id=committee["id"])
    campaign, collective, individual = await campaign_with_categories(stack, admin, committee["id"])
    officer, password = await admin.account("officer", committee["id"])
    name = "Trần Thị Bích Ngọc"
    path = tmp_path / "de-nghi.csv"
    path.write_text(
        "campaign,category,unit_code,full_name,position,achievements\n"
        f'{campaign["code"]},{collective},{org["code"]},,,"Hoàn thành xuất sắc nhiệm vụ;\nvận động nhân dân hiến đất"\n'
        f"{campaign['code']},{individual},{org['code']},{unicodedata.normalize('NFD', name)},Bí thư chi bộ,"
        "Gương mẫu trong học tập và làm theo Bác\n",
        encoding="utf-8",
    )

    ran = await thidua(stack, "import-nominations", path, "--username", officer, password=password)

    assert ran.code == 0, ran.stderr + ran.stdout
    assert "2 nominations submitted" in ran.stdout
    noms = {n["nominee_kind"]: n for n in await nominations_of(admin, campaign["id"])}
    assert set(noms) == {"collective", "individual"}
    assert noms["collective"]["nominee_unit_id"] == org["id"]
    assert noms["collective"]["achievements"] == "Hoàn thành xuất sắc nhiệm vụ;\nvận động nhân dân hiến đất"
    assert noms["individual"]["nominee_name"] == name  # NFC, byte for byte
    assert noms["individual"]["unit_id"] == org["id"]
    assert noms["individual"]["submitted_by_name"] == officer
    people = (await admin.units.get("/people", params={"unit_id": org["id"]})).json()["items"]
    assert [(p["full_name"], p["position"]) for p in people] == [(name, "Bí thư chi bộ")]

    again = await thidua(stack, "import-nominations", path, "--username", officer, password=password)

    assert again.code == 0, again.stderr
    assert "0 nominations submitted, 2 submitted before" in again.stdout
    assert len(await nominations_of(admin, campaign["id"])) == 2
    assert len((await admin.units.get("/people", params={"unit_id": org["id"]})).json()["items"]) == 1


async def test_nominations_from_xlsx_and_a_bad_row_submits_nothing(stack: Stack, admin: Api, tmp_path: Path) -> None:
    committee = await admin.unit("Đảng bộ huyện Bắc Bình (thử)", kind="party_committee")
    org = await admin.unit("Chi bộ thôn Hải Thủy (thử)", parent_id=committee["id"])
    campaign, collective, individual = await campaign_with_categories(stack, admin, committee["id"])
    book = openpyxl.Workbook()
    sheet = book.active
    assert isinstance(sheet, Worksheet)  # a new workbook starts with one worksheet
    sheet.append(["Campaign", "Category", "Unit_Code", "Full_Name", "Achievements"])
    sheet.append([campaign["code"], collective, org["code"], None, "Dẫn đầu phong trào thi đua"])
    sheet.append([campaign["code"], individual, "NO-SUCH-UNIT", "Lê Văn Tám", "Tiêu biểu"])
    path = tmp_path / "de-nghi.xlsx"
    book.save(path)

    ran = await thidua(stack, "import-nominations", path)

    assert ran.code == 1
    assert "row 2: no unit has code 'NO-SUCH-UNIT'" in ran.stderr
    assert "nothing was submitted" in ran.stderr
    assert await nominations_of(admin, campaign["id"]) == []

    sheet.delete_rows(3)
    book.save(path)
    ran = await thidua(stack, "import-nominations", path)

    assert ran.code == 0, ran.stderr
    assert "1 nominations submitted" in ran.stdout
    [nomination] = await nominations_of(admin, campaign["id"])
    assert nomination["nominee_unit_id"] == org["id"]
    assert nomination["achievements"] == "Dẫn đầu phong trào thi đua"


async def test_an_officer_cannot_import_nominations_for_another_committee(
    stack: Stack, admin: Api, tmp_path: Path
) -> None:
    own = await admin.unit("Đảng bộ huyện Hàm Tân (thử)", kind="party_committee")
    other = await admin.unit("Đảng bộ huyện Phú Quý (thử)", kind="party_committee")
    foreign = await admin.unit("Chi bộ xã Tam Thanh (thử)", parent_id=other["id"])
    campaign, collective, individual = await campaign_with_categories(stack, admin, own["id"])
    officer, password = await admin.account("officer", own["id"])
    path = tmp_path / "de-nghi.csv"
    path.write_text(
        "campaign,category,unit_code,full_name,achievements\n"
        f"{campaign['code']},{collective},{foreign['code']},,Tập thể tiêu biểu\n"
        f"{campaign['code']},{individual},{foreign['code']},Nguyễn Thị Hồng,Cá nhân tiêu biểu\n",
        encoding="utf-8",
    )

    ran = await thidua(stack, "import-nominations", path, "--username", officer, password=password)

    assert ran.code == 1
    assert "0 nominations submitted" in ran.stdout and "2 not submitted" in ran.stdout
    assert ran.stderr.count("an officer") == 2, ran.stderr
    assert await nominations_of(admin, campaign["id"]) == []
    assert (await admin.units.get("/people", params={"unit_id": foreign["id"]})).json()["items"] == []
