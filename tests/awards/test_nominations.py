"""Nominations: who may nominate whom, the conflicts, scope, withdrawal, listing and history."""

from __future__ import annotations

import uuid

import asyncpg

from tests.support import Api, Stack

from .conftest import World
from .helpers import assert_problem, campaign, category, nominate, nomination_body, person_here, unit_here


async def test_officer_nominates_a_collective_and_an_individual_in_its_subtree(world: World) -> None:
    c = await campaign(world.committee, world.province["id"])
    collective = await category(world.committee, c["id"], "collective")
    individual = await category(world.committee, c["id"], "individual", form="Giấy khen")
    n1 = await nominate(world.officer_district, collective["id"], unit_id=world.commune_a["id"])
    assert n1["status"] == "submitted" and n1["version"] == 1
    assert n1["nominee_kind"] == "collective" and n1["nominee_unit_id"] == world.commune_a["id"]
    assert n1["nominee_name"] == world.commune_a["name"] and n1["unit_id"] == world.commune_a["id"]
    assert n1["campaign_id"] == c["id"] and n1["submitting_unit_id"] == world.district["id"]
    assert n1["tally"] == {"approve": 0, "reject": 0, "total": 0}
    n2 = await nominate(world.officer_a, individual["id"], person_id=world.person_a["id"])
    assert n2["nominee_person_id"] == world.person_a["id"] and n2["nominee_unit_id"] is None
    assert n2["nominee_name"] == "Nguyễn Thị Ánh" and n2["unit_name"] == world.commune_a["name"]
    got = await world.officer_a.awards.get(f"/nominations/{n2['id']}")
    assert got.status_code == 200 and got.json() == n2
    # Admin nominates anywhere.
    n3 = await nominate(world.admin, collective["id"], unit_id=world.other["id"])
    assert n3["submitting_unit_id"] is None


async def test_forbidden_nominations(world: World, anonymous: Api) -> None:
    c = await campaign(world.committee, world.province["id"])
    collective = await category(world.committee, c["id"], "collective")
    individual = await category(world.committee, c["id"], "individual")
    # Outside the officer's subtree: a sibling, the parent, another tree.
    for unit in (world.commune_b, world.district, world.other):
        resp = await world.officer_a.awards.post(
            "/nominations", json=nomination_body(collective["id"], unit_id=unit["id"])
        )
        assert_problem(resp, 403)
    resp = await world.officer_a.awards.post(
        "/nominations", json=nomination_body(individual["id"], person_id=world.person_b["id"])
    )
    assert_problem(resp, 403)
    # Committee members review; they do not nominate. Anonymous callers do nothing.
    body = nomination_body(collective["id"], unit_id=world.commune_a["id"])
    assert_problem(await world.committee.awards.post("/nominations", json=body), 403)
    assert_problem(await anonymous.awards.post("/nominations", json=body), 401)
    assert_problem(await anonymous.awards.get("/nominations"), 401)
    listed = (await world.admin.awards.get("/nominations", params={"campaign_id": c["id"]})).json()
    assert listed["items"] == []  # nothing was written by any refused call


async def test_conflicts(world: World) -> None:
    c = await campaign(world.committee, world.province["id"])
    collective = await category(world.committee, c["id"], "collective")
    individual = await category(world.committee, c["id"], "individual")
    first = await nominate(world.officer_district, collective["id"], unit_id=world.commune_b["id"])
    # One live nomination per nominee and category, whoever submits it.
    dup = await world.admin.awards.post(
        "/nominations", json=nomination_body(collective["id"], unit_id=world.commune_b["id"])
    )
    body = assert_problem(dup, 409, "nominee_unit_id")
    assert "already has a live nomination" in body["detail"]
    # The nominee's kind must match the category's.
    wrong = await world.officer_district.awards.post(
        "/nominations", json=nomination_body(individual["id"], unit_id=world.commune_b["id"])
    )
    assert "individual" in assert_problem(wrong, 409, "nominee_unit_id")["detail"]
    wrong = await world.officer_district.awards.post(
        "/nominations", json=nomination_body(collective["id"], person_id=world.person_b["id"])
    )
    assert_problem(wrong, 409, "nominee_person_id")
    # After a withdrawal the nominee may be nominated again.
    withdrawn = await world.officer_district.awards.post(f"/nominations/{first['id']}/withdraw")
    assert withdrawn.status_code == 200 and withdrawn.json()["status"] == "withdrawn"
    await nominate(world.officer_district, collective["id"], unit_id=world.commune_b["id"])
    # A closed campaign takes no nominations.
    await world.committee.awards.post(f"/campaigns/{c['id']}/close")
    closed = await world.officer_district.awards.post(
        "/nominations", json=nomination_body(individual["id"], person_id=world.person_b["id"])
    )
    assert "closed" in assert_problem(closed, 409)["detail"]


async def test_duplicate_nominations_racing_make_one(world: World) -> None:
    import asyncio

    c = await campaign(world.committee, world.province["id"])
    k = await category(world.committee, c["id"], "individual")
    body = nomination_body(k["id"], person_id=world.person_a["id"])
    answers = await asyncio.gather(
        *(
            api.awards.post("/nominations", json=body)
            for api in [world.officer_a, world.officer_district, world.admin] * 4
        )
    )
    assert sorted(r.status_code for r in answers) == [201] + [409] * 11
    listed = (await world.admin.awards.get("/nominations", params={"category_id": k["id"]})).json()["items"]
    assert len(listed) == 1


async def test_unknown_ids_and_nominees_not_yet_here(world: World, stack: Stack) -> None:
    c = await campaign(world.committee, world.province["id"])
    k = await category(world.committee, c["id"], "collective")
    ki = await category(world.committee, c["id"], "individual")
    resp = await world.admin.awards.post(
        "/nominations", json=nomination_body(str(uuid.uuid4()), unit_id=world.commune_a["id"])
    )
    assert_problem(resp, 404, "category_id")
    resp = await world.admin.awards.post("/nominations", json=nomination_body(k["id"], unit_id=str(uuid.uuid4())))
    assert_problem(resp, 404, "nominee_unit_id")
    resp = await world.admin.awards.post("/nominations", json=nomination_body(ki["id"], person_id=str(uuid.uuid4())))
    assert "not known" in assert_problem(resp, 404, "nominee_person_id")["detail"]
    # A person the awards service has just learnt of can be nominated.
    fresh = await person_here(world.admin, world.commune_a["id"], full_name="Phạm Thị Dung")
    await nominate(world.officer_a, ki["id"], person_id=fresh["id"])
    for path in (f"/nominations/{uuid.uuid4()}", f"/nominations/{uuid.uuid4()}/history"):
        assert_problem(await world.admin.awards.get(path), 404)
    assert_problem(await world.officer_a.awards.post(f"/nominations/{uuid.uuid4()}/withdraw"), 404)


async def test_withdrawal_rules(world: World) -> None:
    c = await campaign(world.committee, world.province["id"])
    k = await category(world.committee, c["id"], "collective")
    by_a = await nominate(world.officer_a, k["id"], unit_id=world.commune_a["id"])
    by_district = await nominate(world.officer_district, k["id"], unit_id=world.commune_b["id"])
    # Not the submitting unit's officer: one below it, one elsewhere, a committee member.
    assert_problem(await world.officer_a.awards.post(f"/nominations/{by_district['id']}/withdraw"), 403)
    assert_problem(await world.officer_other.awards.post(f"/nominations/{by_a['id']}/withdraw"), 403)
    assert_problem(await world.committee.awards.post(f"/nominations/{by_a['id']}/withdraw"), 403)
    # An officer above the submitting unit acts for it.
    resp = await world.officer_district.awards.post(f"/nominations/{by_a['id']}/withdraw")
    assert resp.status_code == 200 and resp.json()["status"] == "withdrawn" and resp.json()["version"] == 2
    assert_problem(await world.officer_district.awards.post(f"/nominations/{by_a['id']}/withdraw"), 409, "status")
    # Not after approval.
    await world.committee.awards.post(f"/nominations/{by_district['id']}/approve")
    resp = await world.officer_district.awards.post(f"/nominations/{by_district['id']}/withdraw")
    assert "approved" in assert_problem(resp, 409)["detail"]


async def test_officer_sees_its_subtree_only(world: World) -> None:
    c = await campaign(world.committee, world.province["id"])
    k = await category(world.committee, c["id"], "collective")
    ours = await nominate(world.officer_a, k["id"], unit_id=world.commune_a["id"])
    sibling = await nominate(world.officer_district, k["id"], unit_id=world.commune_b["id"])
    theirs = await nominate(world.officer_other, k["id"], unit_id=world.other["id"])

    async def ids(api: Api, **params: str) -> list[str]:
        resp = await api.awards.get("/nominations", params={"campaign_id": c["id"], **params})
        assert resp.status_code == 200, resp.text
        return [n["id"] for n in resp.json()["items"]]

    assert await ids(world.officer_a) == [ours["id"]]
    assert await ids(world.officer_district) == [sibling["id"], ours["id"]]  # newest first
    assert await ids(world.committee) == [theirs["id"], sibling["id"], ours["id"]]
    assert await ids(world.admin, unit_id=world.district["id"]) == [sibling["id"], ours["id"]]
    assert await ids(world.committee, status="withdrawn") == []
    assert await ids(world.committee, q="ap hai") == [sibling["id"]]  # diacritics and case ignored
    assert await ids(world.committee, q="%") == []  # a wildcard is literal
    assert_problem(await world.officer_a.awards.get(f"/nominations/{sibling['id']}"), 403)
    assert_problem(await world.officer_a.awards.get(f"/nominations/{theirs['id']}/history"), 403)
    assert (await world.officer_district.awards.get(f"/nominations/{ours['id']}")).status_code == 200
    assert_problem(await world.admin.awards.get("/nominations", params={"status": "lost"}), 400)


async def test_pages_cover_everything_once(world: World) -> None:
    c = await campaign(world.committee, world.province["id"])
    k = await category(world.committee, c["id"], "collective")
    units = [await unit_here(world.admin, parent_id=world.commune_b["id"]) for _ in range(5)]
    made = [await nominate(world.officer_district, k["id"], unit_id=u["id"]) for u in units]
    seen, cursor = [], None
    while True:
        params = {"category_id": k["id"], "limit": 2, **({"cursor": cursor} if cursor else {})}
        body = (await world.committee.awards.get("/nominations", params=params)).json()
        seen += [n["id"] for n in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert seen == [n["id"] for n in reversed(made)]


async def test_history_and_audit_log(world: World, stack: Stack) -> None:
    c = await campaign(world.committee, world.province["id"])
    k = await category(world.committee, c["id"], "collective")
    n = await nominate(world.officer_a, k["id"], unit_id=world.commune_a["id"])
    resp = await world.committee.awards.post(f"/nominations/{n['id']}/reject", json={"reason": "Chưa đủ tiêu chuẩn"})
    assert resp.status_code == 200 and resp.json()["reason"] == "Chưa đủ tiêu chuẩn"
    history = (await world.officer_a.awards.get(f"/nominations/{n['id']}/history")).json()
    assert [(h["action"], h["from_status"], h["to_status"]) for h in history] == [
        ("submit", None, "submitted"),
        ("reject", "submitted", "rejected"),
    ]
    assert history[0]["actor_role"] == "officer" and history[1]["actor_role"] == "committee"
    assert history[1]["reason"] == "Chưa đủ tiêu chuẩn" and history[0]["at"] <= history[1]["at"]
    # The audit log only grows: no update, no delete, not even from the service's own database user.
    conn = await asyncpg.connect(stack.db_url("awards"))
    try:
        for sql in (
            "UPDATE audit_log SET reason = 'x' WHERE entity_id = $1",
            "DELETE FROM audit_log WHERE entity_id = $1",
        ):
            try:
                await conn.execute(sql, uuid.UUID(n["id"]))
            except asyncpg.InsufficientPrivilegeError:
                pass
            else:
                raise AssertionError(f"{sql} was allowed")
        try:
            await conn.execute("TRUNCATE audit_log")
        except asyncpg.InsufficientPrivilegeError:
            pass
        else:
            raise AssertionError("TRUNCATE was allowed")
        assert await conn.fetchval("SELECT count(*) FROM audit_log WHERE entity_id = $1", uuid.UUID(n["id"])) == 2
    finally:
        await conn.close()
