"""POST /titles/import: past titles from an office's CSV or XLSX, every row checked first, bad rows named by
row and column, nothing half-imported, idempotent on (nominee, title, year), admin only."""

from __future__ import annotations

import io
import uuid

import asyncpg
import httpx
import openpyxl

from tests.support import Api

from .conftest import World
from .helpers import assert_problem, person_here, unit_here

HEADER = "kind,unit_code,full_name,person_id,title,year"


def csv(*lines: str, bom: bool = True, sep: str = ",") -> bytes:
    text = "\n".join([HEADER.replace(",", sep), *lines]) + "\n"
    return (("\ufeff" if bom else "") + text).encode()


async def send(api: Api, data: bytes, name: str = "titles.csv") -> httpx.Response:
    return await api.awards.post("/titles/import", files={"file": (name, data, "application/octet-stream")})


async def titles_of(api: Api, nominee_id: str) -> list[tuple[str, int]]:
    conn = await asyncpg.connect(api.stack.db_url("awards"))
    try:
        rows = await conn.fetch(
            "SELECT title, year FROM past_titles WHERE nominee_id = $1 ORDER BY year, title", uuid.UUID(nominee_id)
        )
        return [(r["title"], r["year"]) for r in rows]
    finally:
        await conn.close()


async def test_bad_rows_are_named_and_nothing_is_imported(world: World) -> None:
    unit = await unit_here(world.admin, name="Chi bộ nhập", parent_id=world.commune_b["id"])
    person = await person_here(world.admin, unit["id"], full_name="Lý Thị Kim")
    twin_a = await person_here(world.admin, unit["id"], full_name="Ngô Văn Lộc")
    await person_here(world.admin, unit["id"], full_name="Ngo Van Loc")  # the same name, diacritics aside
    data = csv(
        f"individual,{unit['code']},Lý Thị Kim,,Lao động tiên tiến,2013",  # row 2: good
        f"individual,,,{uuid.uuid4()},Lao động tiên tiến,2013",  # 3: no such person
        f"cá nhân,{unit['code']},Ngô Văn Lộc,,Lao động tiên tiến,2013",  # 4: two people of that name
        "collective,NO-SUCH-UNIT,,,Tập thể lao động xuất sắc,2013",  # 5: unknown unit
        f"individual,{unit['code']},Lý Thị Kim,,,2013",  # 6: no title
        f"individual,{unit['code']},Lý Thị Kim,,Lao động tiên tiến,hai nghìn",  # 7: not a year
        f"individual,{unit['code']},Lý Thị Kim,,Lao động tiên tiến,1800",  # 8: out of range
        f"team,{unit['code']},,,Lao động tiên tiến,2013",  # 9: unknown kind
        "individual,,,not-a-uuid,Lao động tiên tiến,2013",  # 10: a malformed id
        f"individual,{unit['code']},Không Có Ai,,Lao động tiên tiến,2013",  # 11: nobody of that name
    )
    problem = assert_problem(await send(world.admin, data), 400)
    fields = {e["field"] for e in problem["errors"]}
    assert fields == {
        "rows[3].person_id",
        "rows[4].full_name",
        "rows[5].unit_code",
        "rows[6].title",
        "rows[7].year",
        "rows[8].year",
        "rows[9].kind",
        "rows[10].person_id",
        "rows[11].full_name",
    }, problem
    assert "give person_id" in next(e["message"] for e in problem["errors"] if e["field"] == "rows[4].full_name")
    assert await titles_of(world.admin, person["id"]) == []  # row 2 was good, but nothing is half-imported

    # The same file with the bad rows mended imports, once; the twin is named by person_id.
    good = csv(
        f"individual,{unit['code']},ly thi kim,,“Lao động tiên tiến”,2013",
        f"individual,,,{twin_a['id']},Lao động tiên tiến,2013",
        f"collective,{unit['code'].lower()},,,Tập thể lao động xuất sắc,2013",
    )
    resp = await send(world.admin, good)
    assert resp.status_code == 200 and resp.json() == {"imported": 3, "unchanged": 0}, resp.text
    resp = await send(world.admin, good)
    assert resp.status_code == 200 and resp.json() == {"imported": 0, "unchanged": 3}, resp.text
    assert await titles_of(world.admin, person["id"]) == [("“Lao động tiên tiến”", 2013)]
    assert await titles_of(world.admin, unit["id"]) == [("Tập thể lao động xuất sắc", 2013)]


async def test_an_xlsx_file_and_a_semicolon_csv_are_read(world: World) -> None:
    unit = await unit_here(world.admin, name="Chi bộ sổ", parent_id=world.commune_b["id"])
    person = await person_here(world.admin, unit["id"], full_name="Trương Văn Minh")
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER.split(","))
    sheet.append(["individual", unit["code"], "Trương Văn Minh", None, "Chiến sĩ thi đua cơ sở", 2011])
    sheet.append([None] * 6)  # a blank row is skipped
    sheet.append(["individual", None, None, person["id"], "Chiến sĩ thi đua cơ sở", 2012.0])
    buf = io.BytesIO()
    book.save(buf)
    resp = await send(world.admin, buf.getvalue(), "danh-hieu.xlsx")
    assert resp.status_code == 200 and resp.json()["imported"] == 2, resp.text
    resp = await send(world.admin, csv(f"individual;;;{person['id']};Chiến sĩ thi đua cơ sở;2013", sep=";", bom=False))
    assert resp.status_code == 200 and resp.json()["imported"] == 1, resp.text
    assert [y for _, y in await titles_of(world.admin, person["id"])] == [2011, 2012, 2013]


async def test_files_that_are_not_tables_and_who_may_import(world: World) -> None:
    problem = assert_problem(await send(world.admin, b"%PDF-1.4 not a table", "titles.pdf"), 400)
    assert problem["errors"][0]["field"] == "file"
    assert_problem(await send(world.admin, b"kind,title\nindividual,x\n"), 400, "file")
    assert_problem(await send(world.admin, csv()), 400, "file")  # a header and no rows
    assert_problem(await send(world.admin, b"PK\x03\x04 broken", "titles.xlsx"), 400, "file")
    assert_problem(await send(world.admin, "kind\n\udcff".encode("utf-8", "surrogatepass")), 400, "file")
    assert (await send(world.committee, csv())).status_code == 403
    assert (await send(world.officer_a, csv())).status_code == 403
    anonymous = Api(world.admin.stack)
    try:
        assert (await send(anonymous, csv())).status_code == 401
    finally:
        await anonymous.aclose()
    assert_problem(await world.admin.awards.post("/titles/import", json={"file": "x"}), 400)
