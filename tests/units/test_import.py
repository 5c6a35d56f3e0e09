"""POST /units/import: many units at once, JSON or CSV, all or nothing, bad rows named."""

from __future__ import annotations

import unicodedata
from typing import Any

from shared import events
from tests.support import Api, Stack, code
from tests.units.conftest import Tree
from tests.units.helpers import outbox, problem


async def codes_stored(api: Api, *codes: str) -> list[str]:
    found = []
    for c in codes:
        items = (await api.units.get("/units", params={"q": c})).json()["items"]
        found += [u["code"] for u in items if u["code"] == c]
    return found


async def test_json_import_links_parents_by_code_in_any_order(
    stack: Stack, admin: Api, anonymous: Api, tree: Tree
) -> None:
    top, mid, leaf = code("HU"), code("DB"), code("CB")
    rows = [
        {
            "code": leaf,
            "name": unicodedata.normalize("NFD", "Chi bộ thôn Lạc Trị"),
            "kind": "grassroots_party_org",
            "parent_code": mid,
        },
        {"code": mid, "name": "Đảng bộ xã Phú Lạc", "kind": "party_committee", "parent_code": top},
        {
            "code": top,
            "name": "Huyện ủy Tuy Phong",
            "kind": "party_committee",
            "parent_code": tree.root["code"].lower(),
        },
    ]
    resp = await admin.units.post("/units/import", json=rows)
    assert resp.status_code == 201, resp.text
    result = resp.json()
    assert result["created"] == 3
    by_code = {u["code"]: u for u in result["items"]}
    assert by_code[top]["parent_id"] == tree.root["id"]
    assert by_code[mid]["parent_id"] == by_code[top]["id"]
    assert by_code[leaf]["parent_id"] == by_code[mid]["id"]
    assert (by_code[leaf]["depth"], by_code[leaf]["name"]) == (4, "Chi bộ thôn Lạc Trị")
    subtree = (await anonymous.units.get("/units", params={"under_id": by_code[top]["id"]})).json()["items"]
    assert {u["code"] for u in subtree} == {top, mid, leaf}
    for unit in by_code.values():
        [env] = await outbox(stack, unit["id"])
        assert isinstance(env.data, events.UnitCreated) and env.version == 1


async def test_csv_import_from_excel_bom_semicolons_and_blank_lines(admin: Api) -> None:
    top, child = code("MT"), code("HND")
    text = f'Code;Name;Kind;Parent_code\r\n{top};Ủy ban MTTQ huyện;fatherland_front;\r\n;;;\r\n{child};"Hội Nông dân; xã";mass_organization;{top}\r\n'
    resp = await admin.units.post(
        "/units/import", content="\ufeff".encode() + text.encode(), headers={"content-type": "text/csv; charset=utf-8"}
    )
    assert resp.status_code == 201, resp.text
    by_code = {u["code"]: u for u in resp.json()["items"]}
    assert by_code[child]["name"] == "Hội Nông dân; xã"
    assert by_code[child]["parent_id"] == by_code[top]["id"]


async def test_csv_with_bad_rows_names_each_and_writes_nothing(admin: Api) -> None:
    good, bad_kind, orphan, no_name = code("A"), code("B"), code("C"), code("D")
    text = (
        "code,name,kind,parent_code\n"
        f"{good},Chi bộ đúng,grassroots_party_org,\n"
        f"{bad_kind},Chi bộ sai,xa_phuong,\n"
        f"{orphan},Chi bộ mồ côi,other,NO-SUCH-PARENT\n"
        f"{no_name},   ,other,\n"
        "not a code!,Tên,other,\n"
    )
    resp = await admin.units.post("/units/import", content=text.encode(), headers={"content-type": "text/csv"})
    body = problem(resp, 400, "row 3.kind")
    fields = {e["field"] for e in body["errors"]}
    assert {"row 3.kind", "row 5.name", "row 6.code"} <= fields, fields
    assert await codes_stored(admin, good, bad_kind, orphan, no_name) == []

    # Once the shape is right, references are checked: still nothing written.
    text = f"code,name,kind,parent_code\n{good},Chi bộ đúng,grassroots_party_org,\n{orphan},Chi bộ mồ côi,other,NO-SUCH-PARENT\n"
    resp = await admin.units.post("/units/import", content=text.encode(), headers={"content-type": "text/csv"})
    problem(resp, 400, "row 3.parent_code")
    assert await codes_stored(admin, good, orphan) == []


async def test_duplicates_existing_codes_and_cycles_are_named(admin: Api, tree: Tree) -> None:
    a, b, c = code("X"), code("Y"), code("Z")
    dup = [{"code": a, "name": "Một", "kind": "other"}, {"code": a.lower(), "name": "Hai", "kind": "other"}]
    problem(await admin.units.post("/units/import", json=dup), 400, "row 2.code")
    taken = [{"code": b, "name": "Mới", "kind": "other"}, {"code": tree.a["code"], "name": "Trùng", "kind": "other"}]
    problem(await admin.units.post("/units/import", json=taken), 400, "row 2.code")
    cycle = [
        {"code": a, "name": "Một", "kind": "other", "parent_code": c},
        {"code": b, "name": "Hai", "kind": "other", "parent_code": a},
        {"code": c, "name": "Ba", "kind": "other", "parent_code": b},
    ]
    body = problem(await admin.units.post("/units/import", json=cycle), 400)
    assert {e["field"] for e in body["errors"]} == {"row 1.parent_code", "row 2.parent_code", "row 3.parent_code"}
    self_parent = [{"code": a, "name": "Một", "kind": "other", "parent_code": a}]
    problem(await admin.units.post("/units/import", json=self_parent), 400, "row 1.parent_code")
    assert await codes_stored(admin, a, b, c) == []


async def test_json_rows_of_the_wrong_shape_are_named(admin: Api) -> None:
    rows: list[Any] = [
        {"code": code(), "name": "Đúng", "kind": "other"},
        {"code": code(), "name": "Thiếu loại"},
        {"code": code(), "name": "Thừa", "kind": "other", "parent_id": "x"},
        "not an object",
        {"code": 7, "name": "Số", "kind": "other"},
    ]
    body = problem(await admin.units.post("/units/import", json=rows), 400)
    assert {e["field"] for e in body["errors"]} == {"row 2.kind", "row 3.parent_id", "row 4", "row 5.code"}
    assert await codes_stored(admin, rows[0]["code"]) == []


async def test_an_import_that_is_not_a_list_of_units_is_400(admin: Api) -> None:
    for content, ctype, field in [
        (b"", "application/json", "body"),
        (b"[]", "application/json", "body"),
        (b"[{", "application/json", "body"),
        (b'{"code": "A"}', "application/json", "body"),
        (b"", "text/csv", "body"),
        (b"code,name\nA,B\n", "text/csv", "row 1"),
        ("code,name,kind\nA,Tên,other\n".encode("utf-16"), "text/csv", "body"),
        (b'code,name,kind\nA,"never closed,other\n', "text/csv", None),
    ]:
        resp = await admin.units.post("/units/import", content=content, headers={"content-type": ctype})
        assert resp.status_code == 400, (content, resp.status_code, resp.text)
        problem(resp, 400, field)


async def test_import_is_for_admins(officer_a: Api, committee: Api, anonymous: Api) -> None:
    rows = [{"code": code(), "name": "Không được", "kind": "other"}]
    problem(await officer_a.units.post("/units/import", json=rows), 403)
    problem(await committee.units.post("/units/import", json=rows), 403)
    problem(await anonymous.units.post("/units/import", json=rows), 401)


async def test_a_chain_deeper_than_the_tree_allows_is_refused_at_the_row_that_crosses(admin: Api) -> None:
    prefix = code("L")
    rows = [
        {
            "code": f"{prefix}-{i}",
            "name": f"Cấp {i}",
            "kind": "other",
            "parent_code": f"{prefix}-{i - 1}" if i > 1 else None,
        }
        for i in range(1, 1501)
    ]
    rows.reverse()  # children first: the walk up each chain must not recurse
    body = problem(await admin.units.post("/units/import", json=rows), 409)
    assert [e["field"] for e in body["errors"]] == [f"row {1500 - 33 + 1}.parent_code"]
    assert await codes_stored(admin, f"{prefix}-1") == []
