"""People: who may add, see and correct whom, search, and the events each change records."""

from __future__ import annotations

import unicodedata
import uuid

import msgspec

from shared import events
from tests.support import Api, Stack
from tests.units.conftest import Tree
from tests.units.helpers import outbox, problem, units_db_value


async def test_admin_adds_a_person_stored_nfc_and_announced_without_birth_year(
    stack: Stack, admin: Api, tree: Tree
) -> None:
    sent = unicodedata.normalize("NFD", "Trần Thị  Bích Ngọc")
    person = await admin.person(tree.a1["id"], sent, position=unicodedata.normalize("NFD", "Bí thư"), birth_year=1975)
    assert (person["full_name"], person["position"], person["birth_year"]) == ("Trần Thị Bích Ngọc", "Bí thư", 1975)
    assert person["version"] == 1
    assert (await admin.units.get(f"/people/{person['id']}")).json() == person

    [env] = await outbox(stack, person["id"])
    assert isinstance(env.data, events.PersonCreated)
    assert (env.data.full_name, str(env.data.unit_id)) == ("Trần Thị Bích Ngọc", tree.a1["id"])
    assert b"1975" not in msgspec.json.encode(env)  # the birth year never leaves the units service


async def test_an_officer_adds_people_in_its_subtree_only(officer_a: Api, tree: Tree) -> None:
    for unit in (tree.a, tree.a1):
        await officer_a.person(unit["id"])
    for unit in (tree.b, tree.root):
        resp = await officer_a.units.post("/people", json={"full_name": "Lê Văn Ngoài", "unit_id": unit["id"]})
        problem(resp, 403)
    problem(
        await officer_a.units.post("/people", json={"full_name": "Lê Văn Ai", "unit_id": str(uuid.uuid4())}),
        400,
        "unit_id",
    )


async def test_committee_and_anonymous_cannot_add_people(committee: Api, anonymous: Api, tree: Tree) -> None:
    body = {"full_name": "Phạm Văn Khách", "unit_id": tree.a["id"]}
    problem(await committee.units.post("/people", json=body), 403)
    problem(await anonymous.units.post("/people", json=body), 401)


async def test_an_officer_sees_its_subtree_only(
    admin: Api, officer_a: Api, committee: Api, anonymous: Api, tree: Tree
) -> None:
    marker = uuid.uuid4().hex[:8]
    inside = await admin.person(tree.a1["id"], f"Hoàng Văn Trong {marker}")
    outside = await admin.person(tree.b["id"], f"Hoàng Văn Ngoài {marker}")

    mine = await officer_a.units.get("/people", params={"q": marker})
    assert [p["id"] for p in mine.json()["items"]] == [inside["id"]]
    everyone = await committee.units.get("/people", params={"q": marker})
    assert {p["id"] for p in everyone.json()["items"]} == {inside["id"], outside["id"]}

    assert (await officer_a.units.get(f"/people/{inside['id']}")).status_code == 200
    problem(await officer_a.units.get(f"/people/{outside['id']}"), 403)
    problem(await officer_a.units.get("/people", params={"unit_id": tree.b["id"]}), 403)
    problem(await officer_a.units.get("/people", params={"under_id": tree.root["id"]}), 403)
    under_a = await officer_a.units.get("/people", params={"under_id": tree.a["id"], "q": marker})
    assert [p["id"] for p in under_a.json()["items"]] == [inside["id"]]

    problem(await anonymous.units.get("/people"), 401)
    problem(await anonymous.units.get(f"/people/{inside['id']}"), 401)
    problem(await committee.units.get(f"/people/{uuid.uuid4()}"), 404)


async def test_search_ignores_case_and_diacritics(admin: Api, committee: Api, tree: Tree) -> None:
    marker = uuid.uuid4().hex[:8]
    a = await admin.person(tree.b["id"], f"Nguyễn Văn A {marker}")
    duc = await admin.person(tree.b["id"], f"Đặng Minh Đức {marker}")

    async def found(q: str) -> list[str]:
        resp = await committee.units.get("/people", params={"q": q})
        assert resp.status_code == 200, resp.text
        return [p["id"] for p in resp.json()["items"]]

    assert await found(f"nguyen van a {marker}") == [a["id"]]
    assert await found(f"dang minh duc {marker}") == [duc["id"]]
    assert await found(f"ĐỨC {marker}") == [duc["id"]]
    assert await found(marker) == [duc["id"], a["id"]]  # Đặng before Nguyễn, as a reader expects
    assert (await committee.units.get("/people", params={"unit_id": tree.b["id"], "q": marker})).json()["items"]


async def test_people_page_by_keyset(admin: Api, committee: Api) -> None:
    unit = await admin.unit()
    for name in ("Bùi An", "Bùi Ân", "Bùi Ấn", "Bùi Bình", "Bùi Cường"):
        await admin.person(unit["id"], name)
    first = (await committee.units.get("/people", params={"unit_id": unit["id"], "limit": 3})).json()
    second = (
        await committee.units.get("/people", params={"unit_id": unit["id"], "limit": 3, "cursor": first["next_cursor"]})
    ).json()
    assert second["next_cursor"] is None
    names = [p["full_name"] for p in first["items"] + second["items"]]
    assert sorted(names) == sorted(["Bùi An", "Bùi Ân", "Bùi Ấn", "Bùi Bình", "Bùi Cường"]) and len(set(names)) == 5
    assert names[3:] == ["Bùi Bình", "Bùi Cường"]
    problem(await committee.units.get("/people", params={"cursor": "%%%"}), 400, "cursor")


async def test_patch_corrects_a_person_and_records_units_person_updated(stack: Stack, admin: Api, tree: Tree) -> None:
    person = await admin.person(tree.a["id"], "Võ Văn Sai", position="Phó bí thư", birth_year=1980)
    resp = await admin.units.patch(
        f"/people/{person['id']}", json={"full_name": unicodedata.normalize("NFD", "Võ Văn Đúng")}
    )
    assert resp.status_code == 200, resp.text
    assert (resp.json()["full_name"], resp.json()["version"], resp.json()["position"]) == (
        "Võ Văn Đúng",
        2,
        "Phó bí thư",
    )

    moved = await admin.units.patch(f"/people/{person['id']}", json={"unit_id": tree.b["id"], "position": None})
    assert (moved.json()["unit_id"], moved.json()["position"], moved.json()["version"]) == (tree.b["id"], None, 3)

    only_year = await admin.units.patch(f"/people/{person['id']}", json={"birth_year": 1981})
    assert (only_year.json()["birth_year"], only_year.json()["version"]) == (1981, 4)
    unchanged = await admin.units.patch(f"/people/{person['id']}", json={"birth_year": 1981})
    assert unchanged.json()["version"] == 4

    envs = await outbox(stack, person["id"])
    assert [type(e.data) for e in envs] == [events.PersonCreated, events.PersonUpdated, events.PersonUpdated]
    assert [e.version for e in envs] == [1, 2, 3]  # a birth-year-only change tells nobody anything
    last = envs[-1].data
    assert isinstance(last, events.PersonUpdated)
    assert (last.full_name, str(last.unit_id), last.position) == (
        "Võ Văn Đúng",
        tree.b["id"],
        None,
    )


async def test_an_officer_corrects_only_its_own_people_and_keeps_them_inside(
    admin: Api, officer_a: Api, committee: Api, anonymous: Api, tree: Tree
) -> None:
    mine = await admin.person(tree.a["id"], "Đỗ Văn Trong")
    theirs = await admin.person(tree.b["id"], "Đỗ Văn Ngoài")

    ok = await officer_a.units.patch(f"/people/{mine['id']}", json={"unit_id": tree.a1["id"], "position": "Đảng viên"})
    assert ok.status_code == 200, ok.text
    problem(await officer_a.units.patch(f"/people/{mine['id']}", json={"unit_id": tree.b["id"]}), 403)
    problem(await officer_a.units.patch(f"/people/{theirs['id']}", json={"full_name": "Đỗ Văn Đổi"}), 403)
    problem(await committee.units.patch(f"/people/{mine['id']}", json={"full_name": "X"}), 403)
    problem(await anonymous.units.patch(f"/people/{mine['id']}", json={"full_name": "X"}), 401)

    assert (await admin.units.get(f"/people/{mine['id']}")).json()["unit_id"] == tree.a1["id"]
    assert (await admin.units.get(f"/people/{theirs['id']}")).json()["full_name"] == "Đỗ Văn Ngoài"


async def test_patch_refuses_bad_changes(admin: Api, tree: Tree) -> None:
    person = await admin.person(tree.a["id"])
    url = f"/people/{person['id']}"
    problem(await admin.units.patch(url, json={}), 400, "body")
    problem(await admin.units.patch(url, json={"full_name": " \t "}), 400, "full_name")
    problem(await admin.units.patch(url, json={"full_name": None}), 400, "full_name")
    problem(await admin.units.patch(url, json={"birth_year": 1800}), 400, "birth_year")
    problem(await admin.units.patch(url, json={"unit_id": str(uuid.uuid4())}), 400, "unit_id")
    problem(await admin.units.patch(url, json={"unit_id": None}), 400, "unit_id")
    problem(await admin.units.patch(url, json={"salary": 1}), 400, "salary")
    problem(await admin.units.patch(f"/people/{uuid.uuid4()}", json={"full_name": "Ai"}), 404)
    assert await units_db_value(admin.stack, "SELECT version FROM people WHERE id = $1", uuid.UUID(person["id"])) == 1
