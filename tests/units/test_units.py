"""The unit tree: create, read, search, page, rename, move, and the events each change records."""

from __future__ import annotations

import unicodedata
import uuid

from shared import events
from tests.support import Api, Stack, code, eventually, in_copy
from tests.units.conftest import Tree
from tests.units.helpers import outbox, problem


async def test_create_answers_201_with_the_unit_and_records_its_event(stack: Stack, admin: Api, tree: Tree) -> None:
    body = {"code": code(), "name": "Đảng ủy Khối", "kind": "party_committee", "parent_id": tree.root["id"]}
    resp = await admin.units.post("/units", json=body)
    assert resp.status_code == 201, resp.text
    unit = resp.json()
    assert {k: unit[k] for k in body} == body
    assert unit["version"] == 1 and unit["depth"] == 2
    assert (await admin.units.get(f"/units/{unit['id']}")).json() == unit

    [env] = await outbox(stack, unit["id"])
    assert isinstance(env.data, events.UnitCreated)
    assert (env.version, env.data.name, str(env.data.parent_id)) == (1, "Đảng ủy Khối", tree.root["id"])


async def test_a_name_sent_in_nfd_is_stored_in_nfc(admin: Api) -> None:
    nfc_name = "Ủy ban Mặt trận Tổ quốc   tỉnh Bình Thuận "
    sent = unicodedata.normalize("NFD", nfc_name)
    assert sent != nfc_name
    unit = await admin.unit(sent, kind="fatherland_front")
    assert unit["name"] == "Ủy ban Mặt trận Tổ quốc tỉnh Bình Thuận"
    assert unicodedata.is_normalized("NFC", unit["name"])


async def test_codes_are_unique_whatever_their_case(admin: Api) -> None:
    taken = code()
    assert (await admin.units.post("/units", json={"code": taken, "name": "X", "kind": "other"})).status_code == 201
    resp = await admin.units.post("/units", json={"code": taken.lower(), "name": "Y", "kind": "other"})
    problem(resp, 409, "code")


async def test_an_unknown_parent_is_a_400_naming_parent_id(admin: Api) -> None:
    resp = await admin.units.post(
        "/units", json={"code": code(), "name": "X", "kind": "other", "parent_id": str(uuid.uuid4())}
    )
    problem(resp, 400, "parent_id")


async def test_an_unknown_unit_is_404(anonymous: Api) -> None:
    problem(await anonymous.units.get(f"/units/{uuid.uuid4()}"), 404)


async def test_lists_filter_by_parent_subtree_kind_and_roots(anonymous: Api, tree: Tree) -> None:
    async def ids(**params: str) -> set[str]:
        resp = await anonymous.units.get("/units", params={"limit": "200", **params})
        assert resp.status_code == 200, resp.text
        return {u["id"] for u in resp.json()["items"]}

    assert await ids(parent_id=tree.root["id"]) >= {tree.a["id"], tree.b["id"]}
    assert tree.a1["id"] not in await ids(parent_id=tree.root["id"])
    assert await ids(under_id=tree.a["id"]) == {tree.a["id"], tree.a1["id"]}
    assert await ids(under_id=tree.root["id"], kind="grassroots_party_org") >= {tree.a1["id"]}
    assert tree.a["id"] not in await ids(under_id=tree.root["id"], kind="grassroots_party_org")
    roots = await ids(roots="true", q=tree.root["code"])
    assert roots == {tree.root["id"]}


async def test_search_ignores_case_and_diacritics(admin: Api, anonymous: Api) -> None:
    marker = uuid.uuid4().hex[:8]
    tinh_uy = await admin.unit(f"Tỉnh ủy {marker}", kind="party_committee")
    dang_uy = await admin.unit(f"Đảng ủy Dân chính {marker}", kind="party_committee")

    async def found(q: str) -> set[str]:
        resp = await anonymous.units.get("/units", params={"q": q})
        assert resp.status_code == 200, resp.text
        return {u["id"] for u in resp.json()["items"]}

    assert await found(f"tinh uy {marker}") == {tinh_uy["id"]}
    assert await found(f"TỈNH ỦY {marker}") == {tinh_uy["id"]}
    assert await found(unicodedata.normalize("NFD", f"tỉnh ủy {marker}")) == {tinh_uy["id"]}
    assert await found(f"dang uy dan chinh {marker}") == {dang_uy["id"]}  # d finds đ
    assert await found(f"d {marker}") == set()  # a word boundary is not ignored
    assert await found(marker) == {tinh_uy["id"], dang_uy["id"]}
    assert await found(tinh_uy["code"].lower()) == {tinh_uy["id"]}  # or the exact code


async def test_search_takes_percent_and_underscore_literally(admin: Api, anonymous: Api) -> None:
    marker = uuid.uuid4().hex[:8]
    await admin.unit(f"Hội {marker} ab", kind="mass_organization")
    for q in (f"{marker}%b", f"{marker}_ab", f"{marker}\\"):
        resp = await anonymous.units.get("/units", params={"q": q})
        assert resp.status_code == 200 and resp.json()["items"] == [], (q, resp.text)


async def test_keyset_pages_cover_every_child_once_in_vietnamese_order(admin: Api, anonymous: Api) -> None:
    parent = await admin.unit("Huyện ủy Phân trang", kind="party_committee")
    names = ["Ấp Bắc", "An Phú", "Đức Linh", "Bình Tân", "Dân Vận", "Ông Ích"]
    for name in names:
        await admin.unit(name, parent_id=parent["id"])
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        params = {"parent_id": parent["id"], "limit": "4"} | ({"cursor": cursor} if cursor else {})
        resp = await anonymous.units.get("/units", params=params)
        assert resp.status_code == 200, resp.text
        body = resp.json()
        assert len(body["items"]) <= 4
        seen += [u["name"] for u in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert pages == 2
    assert seen == ["An Phú", "Ấp Bắc", "Bình Tân", "Dân Vận", "Đức Linh", "Ông Ích"]


async def test_a_bad_cursor_or_limit_is_a_400(anonymous: Api) -> None:
    problem(await anonymous.units.get("/units", params={"cursor": "not-a-cursor"}), 400, "cursor")
    problem(await anonymous.units.get("/units", params={"cursor": "WyJhIiwgMV0"}), 400, "cursor")  # ["a", 1]
    for limit in ("0", "201", "-1"):
        problem(await anonymous.units.get("/units", params={"limit": limit}), 400, "limit")
    problem(await anonymous.units.get("/units", params={"limit": "many"}), 400, "limit")
    problem(await anonymous.units.get("/units", params={"kind": "province"}), 400, "kind")
    problem(await anonymous.units.get("/units", params={"parent_id": "42"}), 400, "parent_id")


async def test_rename_bumps_the_version_and_records_units_unit_renamed(stack: Stack, admin: Api) -> None:
    unit = await admin.unit("Chi bộ Cũ")
    resp = await admin.units.patch(f"/units/{unit['id']}", json={"name": unicodedata.normalize("NFD", "Chi bộ Mới")})
    assert resp.status_code == 200, resp.text
    assert (resp.json()["name"], resp.json()["version"]) == ("Chi bộ Mới", 2)
    same = await admin.units.patch(f"/units/{unit['id']}", json={"name": "Chi bộ Mới"})
    assert same.json()["version"] == 2  # nothing changed, nothing recorded
    envs = await outbox(stack, unit["id"])
    assert [type(e.data) for e in envs] == [events.UnitCreated, events.UnitRenamed]
    renamed = envs[-1].data
    assert isinstance(renamed, events.UnitRenamed)
    assert envs[-1].version == 2 and renamed.name == "Chi bộ Mới"


async def test_a_move_carries_the_subtree_and_reaches_the_copies(stack: Stack, admin: Api, anonymous: Api) -> None:
    old = await admin.unit("Huyện ủy Cũ", kind="party_committee")
    new = await admin.unit("Huyện ủy Mới", kind="party_committee")
    mid = await admin.unit("Đảng bộ xã", parent_id=old["id"])
    leaf = await admin.unit("Chi bộ thôn", parent_id=mid["id"])

    resp = await admin.units.patch(f"/units/{mid['id']}", json={"parent_id": new["id"], "name": "Đảng bộ xã (mới)"})
    assert resp.status_code == 200, resp.text
    moved = resp.json()
    assert (moved["parent_id"], moved["version"], moved["depth"], moved["name"]) == (
        new["id"],
        2,
        2,
        "Đảng bộ xã (mới)",
    )

    under_new = await anonymous.units.get("/units", params={"under_id": new["id"]})
    assert {u["id"] for u in under_new.json()["items"]} == {new["id"], mid["id"], leaf["id"]}
    under_old = await anonymous.units.get("/units", params={"under_id": old["id"]})
    assert {u["id"] for u in under_old.json()["items"]} == {old["id"]}
    assert (await anonymous.units.get(f"/units/{leaf['id']}")).json()["depth"] == 3

    [created, move] = await outbox(stack, mid["id"])
    assert isinstance(move.data, events.UnitMoved)
    assert (str(move.data.previous_parent_id), str(move.data.parent_id), move.version) == (old["id"], new["id"], 2)
    await eventually(lambda: in_copy(stack, "awards", mid["id"], version=2))

    to_root = await admin.units.patch(f"/units/{mid['id']}", json={"parent_id": None})
    assert (to_root.json()["parent_id"], to_root.json()["depth"]) == (None, 1)
    assert (await anonymous.units.get(f"/units/{leaf['id']}")).json()["depth"] == 2


async def test_a_unit_cannot_move_under_itself_or_its_descendants(stack: Stack, admin: Api, anonymous: Api) -> None:
    top = await admin.unit("Huyện ủy Vòng", kind="party_committee")
    child = await admin.unit("Đảng bộ con", parent_id=top["id"])
    grandchild = await admin.unit("Chi bộ cháu", parent_id=child["id"])
    for target in (top, child, grandchild):
        problem(await admin.units.patch(f"/units/{top['id']}", json={"parent_id": target["id"]}), 409, "parent_id")
    problem(await admin.units.patch(f"/units/{top['id']}", json={"parent_id": str(uuid.uuid4())}), 400, "parent_id")
    after = (await anonymous.units.get(f"/units/{top['id']}")).json()
    assert (after["parent_id"], after["version"]) == (None, 1)
    assert len(await outbox(stack, top["id"])) == 1  # only its creation


async def test_patch_needs_something_to_change_and_an_existing_unit(admin: Api) -> None:
    unit = await admin.unit()
    problem(await admin.units.patch(f"/units/{unit['id']}", json={}), 400, "body")
    problem(await admin.units.patch(f"/units/{unit['id']}", json={"code": "NEW"}), 400, "code")
    problem(await admin.units.patch(f"/units/{unit['id']}", json={"name": "   "}), 400, "name")
    problem(await admin.units.patch(f"/units/{uuid.uuid4()}", json={"name": "X"}), 404)


async def test_idempotency_key_replays_the_first_answer_and_creates_nothing_new(
    stack: Stack, admin: Api, anonymous: Api
) -> None:
    key = f"create-{uuid.uuid4()}"
    body = {"code": code(), "name": "Công đoàn Viên chức", "kind": "mass_organization"}
    first = await admin.units.post("/units", json=body, headers={"Idempotency-Key": key})
    again = await admin.units.post("/units", json=body, headers={"Idempotency-Key": key})
    assert (first.status_code, again.status_code) == (201, 201), again.text
    assert again.json() == first.json()
    assert again.headers.get("idempotent-replayed") == "true"
    listed = await anonymous.units.get("/units", params={"q": body["code"]})
    assert [u["id"] for u in listed.json()["items"]] == [first.json()["id"]]
    assert len(await outbox(stack, first.json()["id"])) == 1

    other = await admin.units.post("/units", json={**body, "code": code()}, headers={"Idempotency-Key": key})
    problem(other, 422)


async def test_idempotency_key_after_a_refusal_may_be_used_again(admin: Api) -> None:
    key = f"retry-{uuid.uuid4()}"
    bad = await admin.units.post(
        "/units", json={"code": code(), "name": "X", "kind": "planet"}, headers={"Idempotency-Key": key}
    )
    problem(bad, 400, "kind")
    good = await admin.units.post(
        "/units", json={"code": code(), "name": "X", "kind": "other"}, headers={"Idempotency-Key": key}
    )
    assert good.status_code == 201, good.text
    problem(await admin.units.post("/units", json={}, headers={"Idempotency-Key": "k" * 201}), 400)


async def test_openapi_describes_the_service(anonymous: Api) -> None:
    resp = await anonymous.units.get("/schema/openapi.json")
    assert resp.status_code == 200
    paths = resp.json()["paths"]
    for path in ("/auth/token", "/auth/keys", "/auth/me", "/accounts", "/units", "/units/import", "/people"):
        assert path in paths, path
