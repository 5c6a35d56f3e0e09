"""The committee's review: votes, approval within the quota (also under a race), rejection."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg

from tests.support import Api, Stack

from .conftest import World
from .helpers import approve, assert_problem, campaign, category, nominate, units_under


async def test_votes_one_per_member_second_replaces_first(world: World) -> None:
    c = await campaign(world.committee, world.province["id"])
    k = await category(world.committee, c["id"], "individual")
    n = await nominate(world.officer_a, k["id"], person_id=world.person_a["id"])
    url = f"/nominations/{n['id']}/votes"
    first = await world.committee.awards.post(url, json={"approve": False, "comment": "Cần bổ sung"})
    assert first.status_code == 201 and first.json()["replaced"] is False
    assert first.json()["tally"] == {"approve": 0, "reject": 1, "total": 1}
    second = await world.committee.awards.post(url, json={"approve": True})
    assert second.status_code == 200 and second.json()["replaced"] is True
    assert second.json()["tally"] == {"approve": 1, "reject": 0, "total": 1}
    other = await world.committee2.awards.post(url, json={"approve": True, "comment": "Đồng ý"})
    assert other.json()["tally"] == {"approve": 2, "reject": 0, "total": 2}
    # The tally shows on the nomination, for the officer too; so do the open ballot's votes, within its scope.
    seen = (await world.officer_a.awards.get(f"/nominations/{n['id']}")).json()
    assert seen["tally"] == {"approve": 2, "reject": 0, "total": 2}
    votes = (await world.admin.awards.get(url)).json()
    assert (votes["yes"], votes["no"], votes["members"], votes["entitled"]) == (2, 0, 2, 2)
    assert sorted(v["approve"] for v in votes["votes"]) == [True, True] and len(votes["votes"]) == 2
    assert (await world.officer_a.awards.get(url)).json()["votes"] == votes["votes"]
    assert_problem(await world.officer_other.awards.get(url), 403)
    # Only committee members vote; only on a submitted nomination; the body is checked.
    for api in (world.admin, world.officer_a):
        assert_problem(await api.awards.post(url, json={"approve": True}), 403)
    assert_problem(await world.committee.awards.post(url, json={"approve": "yes"}), 400)
    assert_problem(await world.committee.awards.post(url, json={"approve": True, "comment": "x" * 2001}), 400)
    await approve(world.committee, n["id"])
    assert_problem(await world.committee.awards.post(url, json={"approve": False}), 409, "status")


async def test_approval_and_rejection_are_committee_acts(world: World, anonymous: Api) -> None:
    c = await campaign(world.committee, world.province["id"])
    k = await category(world.committee, c["id"], "collective", quota=2)
    n = await nominate(world.officer_a, k["id"], unit_id=world.commune_a["id"])
    for api, status in ((world.officer_a, 403), (world.officer_district, 403), (world.admin, 403), (anonymous, 401)):
        assert_problem(await api.awards.post(f"/nominations/{n['id']}/approve"), status)
        assert_problem(await api.awards.post(f"/nominations/{n['id']}/reject", json={"reason": "x"}), status)
    # A rejection needs a reason.
    for body in ({}, {"reason": ""}, {"reason": "   "}, {"reason": "x" * 2001}):
        assert_problem(await world.committee.awards.post(f"/nominations/{n['id']}/reject", json=body), 400)
    assert (await world.committee.awards.get(f"/nominations/{n['id']}")).json()["status"] == "submitted"
    approved = await approve(world.committee, n["id"])
    assert approved["status"] == "approved" and approved["version"] == 2
    assert_problem(await world.committee.awards.post(f"/nominations/{n['id']}/approve"), 409, "status")
    held = (await anonymous.awards.get(f"/campaigns/{c['id']}")).json()["categories"][0]
    assert (held["held"], held["remaining"]) == (1, 1)
    # The committee may still reject an approved nomination; its place is given back.
    rejected = await world.committee.awards.post(f"/nominations/{n['id']}/reject", json={"reason": "Phát hiện sai sót"})
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    held = (await anonymous.awards.get(f"/campaigns/{c['id']}")).json()["categories"][0]
    assert held["held"] == 0
    assert_problem(await world.committee.awards.post(f"/nominations/{n['id']}/approve"), 409)
    assert_problem(await world.committee.awards.post(f"/nominations/{n['id']}/reject", json={"reason": "again"}), 409)


async def test_quota_full_is_a_conflict_that_changes_nothing(world: World) -> None:
    c = await campaign(world.committee, world.province["id"])
    k = await category(world.committee, c["id"], "collective", quota=1)
    a = await nominate(world.officer_district, k["id"], unit_id=world.commune_a["id"])
    b = await nominate(world.officer_district, k["id"], unit_id=world.commune_b["id"])
    await approve(world.committee, a["id"])
    body = assert_problem(await world.committee.awards.post(f"/nominations/{b['id']}/approve"), 409)
    assert "quota" in body["detail"]
    after = (await world.committee.awards.get(f"/nominations/{b['id']}")).json()
    assert after["status"] == "submitted" and after["version"] == 1
    history = (await world.committee.awards.get(f"/nominations/{b['id']}/history")).json()
    assert [h["action"] for h in history] == ["submit"]
    # Raising the quota makes room; lowering it below what is held is refused.
    lower = await world.committee.awards.patch(f"/campaigns/{c['id']}/categories/{k['id']}", json={"quota": 0})
    assert_problem(lower, 409, "quota")
    await world.committee.awards.patch(f"/campaigns/{c['id']}/categories/{k['id']}", json={"quota": 2})
    await approve(world.committee, b["id"])


async def test_fifty_concurrent_approvals_into_a_quota_of_twenty_grant_exactly_twenty(
    world: World, stack: Stack
) -> None:
    c = await campaign(world.committee, world.province["id"])
    k = await category(world.committee, c["id"], "collective", quota=20)
    units = await units_under(world.admin, world.commune_b, 50)
    nominations = await asyncio.gather(*(nominate(world.officer_district, k["id"], unit_id=u["id"]) for u in units))
    members = [world.committee, world.committee2]
    answers = await asyncio.gather(
        *(members[i % 2].awards.post(f"/nominations/{n['id']}/approve") for i, n in enumerate(nominations))
    )
    codes = sorted(r.status_code for r in answers)
    assert codes == [200] * 20 + [409] * 30, codes
    for r in answers:
        if r.status_code == 409:
            assert "quota" in assert_problem(r, 409)["detail"]
    winners = {r.json()["id"] for r in answers if r.status_code == 200}
    listed = (
        await world.committee.awards.get(
            "/nominations", params={"category_id": k["id"], "status": "approved", "limit": 200}
        )
    ).json()["items"]
    assert {n["id"] for n in listed} == winners
    category_now = next(x for x in (await world.committee.awards.get(f"/campaigns/{c['id']}")).json()["categories"])
    assert (category_now["held"], category_now["remaining"]) == (20, 0)
    # The losers are untouched: still submitted, version 1, no approval in their history or the outbox.
    conn = await asyncpg.connect(stack.db_url("awards"))
    try:
        row = await conn.fetchrow(
            """SELECT count(*) FILTER (WHERE status = 'submitted' AND version = 1) AS untouched,
                      count(*) FILTER (WHERE status = 'approved') AS approved
               FROM nominations WHERE category_id = $1""",
            uuid.UUID(k["id"]),
        )
        assert (row["untouched"], row["approved"]) == (30, 20)
        approvals = await conn.fetchval(
            "SELECT count(*) FROM audit_log WHERE action = 'approve' AND entity_id = ANY($1::uuid[])",
            [uuid.UUID(n["id"]) for n in nominations],
        )
        assert approvals == 20
    finally:
        await conn.close()
