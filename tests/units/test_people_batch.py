"""`POST /people/batch`: many people in one request, each item judged as `POST /people` judges it."""

from __future__ import annotations

import unicodedata
import uuid

from shared import events
from tests.support import Api, Stack
from tests.units.conftest import Tree
from tests.units.helpers import outbox, problem


def without_instance(body: dict) -> dict:
    return {k: v for k, v in body.items() if k != "instance"}


async def people_named(api: Api, marker: str) -> list[dict]:
    resp = await api.units.get("/people", params={"q": marker, "limit": 200})
    assert resp.status_code == 200, resp.text
    return resp.json()["items"]


async def test_a_batch_adds_each_person_with_its_event(stack: Stack, admin: Api, tree: Tree) -> None:
    marker = uuid.uuid4().hex[:8]
    items = [
        {"full_name": unicodedata.normalize("NFD", f"Trần Thị Ngọc {marker}"), "unit_id": tree.a1["id"]},
        {"full_name": f"Lê Văn Hải {marker}", "unit_id": tree.b["id"], "position": "Bí thư", "birth_year": 1970},
    ]
    resp = await admin.units.post("/people/batch", json={"items": items})
    assert resp.status_code == 200, resp.text
    answer = resp.json()["items"]
    assert [(o["index"], o["status"]) for o in answer] == [(0, 201), (1, 201)]
    people = [o["person"] for o in answer]
    assert people[0]["full_name"] == f"Trần Thị Ngọc {marker}"  # NFC, as one POST stores it
    assert (people[1]["position"], people[1]["birth_year"], people[1]["version"]) == ("Bí thư", 1970, 1)
    for person in people:
        assert (await admin.units.get(f"/people/{person['id']}")).json() == person
        [env] = await outbox(stack, person["id"])
        assert isinstance(env.data, events.PersonCreated) and env.version == 1
        assert (env.data.full_name, str(env.data.unit_id)) == (person["full_name"], person["unit_id"])
        assert "1970" not in str(env.data)  # the birth year never leaves the units service


async def test_a_mixed_batch_adds_only_its_good_items(stack: Stack, admin: Api, officer_a: Api, tree: Tree) -> None:
    marker = uuid.uuid4().hex[:8]
    items = [
        {"full_name": f"Phạm Văn Trong {marker}", "unit_id": tree.a1["id"]},  # good
        {"full_name": f"Phạm Văn Ngoài {marker}", "unit_id": tree.b["id"]},  # outside officer_a's subtree: 403
        {"full_name": f"Phạm Văn Không {marker}", "unit_id": str(uuid.uuid4())},  # no such unit: 400
        {"full_name": "   ", "unit_id": tree.a["id"]},  # a blank name: 400
        {"full_name": f"Phạm Văn Năm {marker}", "unit_id": tree.a["id"], "birth_year": 1800},  # out of range: 400
        {"full_name": f"Phạm Văn Lạ {marker}", "unit_id": tree.a["id"], "nickname": "x"},  # unknown field: 400
        {"full_name": f"Phạm Văn Sau {marker}", "unit_id": tree.a["id"], "position": "Phó Bí thư"},  # good
    ]
    resp = await officer_a.units.post("/people/batch", json={"items": items})
    assert resp.status_code == 200, resp.text
    answer = resp.json()["items"]
    assert [o["status"] for o in answer] == [201, 403, 400, 400, 400, 400, 201]
    for item, outcome in zip(items, answer, strict=True):
        if outcome["status"] == 201:
            continue
        assert set(outcome) == {"index", "status", "problem"}
        single = await officer_a.units.post("/people", json=item)
        problem(single, outcome["status"])
        assert without_instance(single.json()) == without_instance(outcome["problem"]), item
    added = {p["id"] for p in await people_named(admin, marker)}
    assert added == {answer[0]["person"]["id"], answer[6]["person"]["id"]}
    for person_id in added:
        assert len(await outbox(stack, person_id)) == 1


async def test_the_batch_itself_is_refused_when_empty_too_large_or_not_an_officers(
    admin: Api, committee: Api, anonymous: Api, tree: Tree
) -> None:
    marker = uuid.uuid4().hex[:8]
    one = {"full_name": f"Đỗ Văn Một {marker}", "unit_id": tree.a["id"]}
    problem(await admin.units.post("/people/batch", json={"items": []}), 400, "items")
    too_many = await admin.units.post("/people/batch", json={"items": [one] * 501})
    assert "at most 500" in problem(too_many, 400, "items")["detail"]
    problem(await admin.units.post("/people/batch", json=[one]), 400)
    problem(await committee.units.post("/people/batch", json={"items": [one]}), 403)
    problem(await anonymous.units.post("/people/batch", json={"items": [one]}), 401)
    assert await people_named(admin, marker) == []


async def test_the_same_batch_again_with_its_key_adds_no_one_twice(stack: Stack, admin: Api, tree: Tree) -> None:
    marker = uuid.uuid4().hex[:8]
    items = [{"full_name": f"Hồ Văn Lặp {marker}", "unit_id": tree.a["id"]}]
    key = {"Idempotency-Key": f"people-{uuid.uuid4().hex}"}
    first = await admin.units.post("/people/batch", json={"items": items}, headers=key)
    assert first.status_code == 200 and first.json()["items"][0]["status"] == 201
    again = await admin.units.post("/people/batch", json={"items": items}, headers=key)
    assert again.status_code == 200 and again.headers.get("idempotent-replayed") == "true"
    assert again.json() == first.json()
    [person] = await people_named(admin, marker)
    assert person["id"] == first.json()["items"][0]["person"]["id"]
    assert len(await outbox(stack, person["id"])) == 1
