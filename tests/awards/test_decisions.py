"""Decisions grant approved nominations; awards are listed publicly and can be revoked."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from tests.support import Api

from .conftest import World
from .helpers import approve, assert_problem, campaign, category, decide, nominate, units_under


async def _approved(
    world: World, count: int, *, quota: int = 10, kind: str = "collective"
) -> tuple[dict, dict, list[dict]]:
    c = await campaign(world.committee, world.province["id"])
    k = await category(world.committee, c["id"], kind, quota=quota)
    units = await units_under(world.admin, world.commune_a, count)
    ns = [await nominate(world.officer_a, k["id"], unit_id=u["id"]) for u in units]
    return c, k, [await approve(world.committee, n["id"]) for n in ns]


async def test_decision_grants_approved_nominations(world: World, anonymous: Api) -> None:
    c, k, ns = await _approved(world, 3)
    number = f"{uuid.uuid4().hex[:5]}/QĐ-UBND"
    d = await decide(world.committee, [n["id"] for n in ns[:2]], number=number, signed_on="2025-12-20")
    assert d["number"] == number and d["signed_on"] == "2025-12-20" and d["signer"] == "Chủ tịch UBND tỉnh"
    assert sorted(d["nomination_ids"]) == sorted(n["id"] for n in ns[:2])
    award = d["awards"][0]
    assert award["award_id"] == award["nomination_id"] and award["status"] == "granted"
    assert (award["campaign_name"], award["category_name"], award["form"]) == (c["name"], k["name"], "Bằng khen")
    assert (award["decision_number"], award["decision_date"], award["year"]) == (number, "2025-12-20", 2025)
    for n in ns[:2]:
        got = (await world.officer_a.awards.get(f"/nominations/{n['id']}")).json()
        assert (got["status"], got["decision_id"], got["version"]) == ("granted", d["id"], 3)
        history = (await world.officer_a.awards.get(f"/nominations/{n['id']}/history")).json()
        assert [h["action"] for h in history] == ["submit", "approve", "grant"]
    # Anyone reads the granted awards; any signed-in user reads the decision.
    listed = (await anonymous.awards.get("/awards", params={"campaign_id": c["id"]})).json()["items"]
    assert {a["award_id"] for a in listed} == {n["id"] for n in ns[:2]}
    assert (await anonymous.awards.get(f"/awards/{ns[0]['id']}")).status_code == 200
    assert_problem(await anonymous.awards.get(f"/awards/{ns[2]['id']}"), 404)  # approved, not yet an award
    assert (await world.officer_other.awards.get(f"/decisions/{d['id']}")).json()["number"] == number
    assert_problem(await anonymous.awards.get(f"/decisions/{d['id']}"), 401)
    assert_problem(await world.committee.awards.get(f"/decisions/{uuid.uuid4()}"), 404)
    decisions = (await world.admin.awards.get("/decisions", params={"campaign_id": c["id"]})).json()["items"]
    assert [(x["id"], x["awards"]) for x in decisions] == [(d["id"], 2)]


async def test_decision_conflicts_and_forbidden(world: World, anonymous: Api) -> None:
    c, k, ns = await _approved(world, 2)
    submitted = await nominate(world.officer_a, k["id"], unit_id=world.commune_a["id"])
    body: dict[str, Any] = {
        "number": f"{uuid.uuid4().hex[:5]}/QĐ",
        "signed_on": "2025-12-01",
        "signer": "Chủ tịch",
        "nomination_ids": [ns[0]["id"]],
    }
    for api, status in ((world.admin, 403), (world.officer_a, 403), (anonymous, 401)):
        assert_problem(await api.awards.post("/decisions", json=body), status)
    # Deciding an unapproved nomination: 409, and nothing of the decision is written.
    mixed = {**body, "nomination_ids": [ns[0]["id"], submitted["id"]]}
    problem = assert_problem(await world.committee.awards.post("/decisions", json=mixed), 409, "nomination_ids[1]")
    assert "approved" in problem["detail"]
    assert (await world.committee.awards.get(f"/nominations/{ns[0]['id']}")).json()["status"] == "approved"
    first = await decide(world.committee, [ns[0]["id"]], number=body["number"])  # the number is still free
    # Granting twice: 409 naming the decision that granted it.
    again = {**body, "number": "other-" + body["number"], "nomination_ids": [ns[1]["id"], ns[0]["id"]]}
    problem = assert_problem(await world.committee.awards.post("/decisions", json=again), 409, "nomination_ids[1]")
    assert first["number"] in problem["errors"][0]["message"]
    assert (await world.committee.awards.get(f"/nominations/{ns[1]['id']}")).json()["status"] == "approved"
    # A number is used once (case aside).
    dup = {**body, "number": body["number"].lower(), "nomination_ids": [ns[1]["id"]]}
    assert_problem(await world.committee.awards.post("/decisions", json=dup), 409, "number")
    # Bad input.
    bad: dict[str, Any]
    for bad in (
        {"nomination_ids": []},
        {"nomination_ids": [ns[1]["id"], ns[1]["id"]]},
        {"signed_on": "20/12/2025"},
        {"number": ""},
        {"signer": "x" * 301},
        {"nomination_ids": ["nope"]},
    ):
        assert_problem(
            await world.committee.awards.post("/decisions", json={**body, "number": "n-" + uuid.uuid4().hex, **bad}),
            400,
        )
    unknown = await world.committee.awards.post(
        "/decisions", json={**body, "number": "n-" + uuid.uuid4().hex, "nomination_ids": [str(uuid.uuid4())]}
    )
    assert_problem(unknown, 404, "nomination_ids[0]")


async def test_two_decisions_racing_for_one_nomination_grant_it_once(world: World) -> None:
    _, _, ns = await _approved(world, 1)
    answers = await asyncio.gather(
        *(
            world.committee.awards.post(
                "/decisions",
                json={
                    "number": f"race-{uuid.uuid4().hex}",
                    "signed_on": "2025-12-01",
                    "signer": "Chủ tịch",
                    "nomination_ids": [ns[0]["id"]],
                },
            )
            for _ in range(6)
        )
    )
    assert sorted(r.status_code for r in answers) == [201] + [409] * 5
    winner = next(r.json() for r in answers if r.status_code == 201)
    got = (await world.committee.awards.get(f"/nominations/{ns[0]['id']}")).json()
    assert (got["status"], got["decision_id"], got["version"]) == ("granted", winner["id"], 3)


async def test_approval_withdrawal_and_decision_racing_end_in_one_consistent_state(world: World) -> None:
    """On each submitted nomination: an approval, a withdrawal and a decision at once.
    Whatever wins, the answers, the nomination, the quota and the history agree."""
    c = await campaign(world.committee, world.province["id"])
    k = await category(world.committee, c["id"], "collective", quota=100)
    units = await units_under(world.admin, world.commune_a, 12)
    ns = [await nominate(world.officer_a, k["id"], unit_id=u["id"]) for u in units]

    async def race(n: dict) -> tuple[int, int, int]:
        a, w, d = await asyncio.gather(
            world.committee.awards.post(f"/nominations/{n['id']}/approve"),
            world.officer_a.awards.post(f"/nominations/{n['id']}/withdraw"),
            world.committee2.awards.post(
                "/decisions",
                json={
                    "number": f"r-{uuid.uuid4().hex}",
                    "signed_on": "2025-12-01",
                    "signer": "Chủ tịch",
                    "nomination_ids": [n["id"]],
                },
            ),
        )
        for r in (a, w, d):
            assert r.status_code in (200, 201, 409), r.text
        return a.status_code, w.status_code, d.status_code

    outcomes = await asyncio.gather(*(race(n) for n in ns))
    held = 0
    for n, (a, w, d) in zip(ns, outcomes, strict=True):
        got = (await world.committee.awards.get(f"/nominations/{n['id']}")).json()
        actions = [h["action"] for h in (await world.committee.awards.get(f"/nominations/{n['id']}/history")).json()]
        if w == 200:
            assert (a, d, got["status"], actions) == (409, 409, "withdrawn", ["submit", "withdraw"])
        elif d == 201:
            assert (a, w, got["status"], actions) == (200, 409, "granted", ["submit", "approve", "grant"])
            assert got["decision_id"] is not None
        else:
            assert (a, w, d, got["status"], actions) == (200, 409, 409, "approved", ["submit", "approve"])
        held += got["status"] in ("approved", "granted")
    category_now = (await world.committee.awards.get(f"/campaigns/{c['id']}")).json()["categories"][0]
    assert category_now["held"] == held


async def test_revocation(world: World, anonymous: Api) -> None:
    c, k, ns = await _approved(world, 2, quota=2)
    d = await decide(world.committee, [n["id"] for n in ns])
    target = ns[0]["id"]
    for api, status in ((world.admin, 403), (world.officer_a, 403), (anonymous, 401)):
        assert_problem(await api.awards.post(f"/awards/{target}/revoke", json={"reason": "x"}), status)
    assert_problem(await world.committee.awards.post(f"/awards/{target}/revoke", json={}), 400)
    assert_problem(await world.committee.awards.post(f"/awards/{uuid.uuid4()}/revoke", json={"reason": "x"}), 404)
    resp = await world.committee.awards.post(f"/awards/{target}/revoke", json={"reason": "Khai man thành tích"})
    assert resp.status_code == 200, resp.text
    revoked = resp.json()
    assert (revoked["status"], revoked["revocation_reason"]) == ("revoked", "Khai man thành tích")
    assert revoked["revoked_at"] is not None and revoked["decision_id"] == d["id"]
    assert_problem(await world.committee.awards.post(f"/awards/{target}/revoke", json={"reason": "again"}), 409)
    # It leaves every public listing; the committee still sees it, with its history.
    listed = (await anonymous.awards.get("/awards", params={"category_id": k["id"]})).json()["items"]
    assert [a["award_id"] for a in listed] == [ns[1]["id"]]
    assert_problem(await anonymous.awards.get(f"/awards/{target}"), 404)
    assert (await world.committee.awards.get(f"/awards/{target}")).json()["status"] == "revoked"
    history = (await world.committee.awards.get(f"/nominations/{target}/history")).json()
    assert history[-1]["action"] == "revoke" and history[-1]["reason"] == "Khai man thành tích"
    nomination = (await world.committee.awards.get(f"/nominations/{target}")).json()
    assert (nomination["status"], nomination["version"]) == ("revoked", 4)
    # Its place in the quota is given back, and the nominee may be nominated again.
    category_now = (await anonymous.awards.get(f"/campaigns/{c['id']}")).json()["categories"][0]
    assert category_now["held"] == 1
    # A decision cannot grant a revoked award again.
    problem = assert_problem(
        await world.committee.awards.post(
            "/decisions",
            json={
                "number": f"x-{uuid.uuid4().hex}",
                "signed_on": "2025-12-01",
                "signer": "Chủ tịch",
                "nomination_ids": [target],
            },
        ),
        409,
    )
    assert d["number"] in problem["errors"][0]["message"]
    # Approved but not granted: not an award.
    _, _, more = await _approved(world, 1)
    assert_problem(await world.committee.awards.post(f"/awards/{more[0]['id']}/revoke", json={"reason": "x"}), 404)


async def test_awards_listing_filters_and_pages(world: World, anonymous: Api) -> None:
    c, k, ns = await _approved(world, 5)
    await decide(world.committee, [n["id"] for n in ns])
    seen, cursor = [], None
    while True:
        params = {"campaign_id": c["id"], "limit": 2, **({"cursor": cursor} if cursor else {})}
        body = (await anonymous.awards.get("/awards", params=params)).json()
        seen += [a["name"] for a in body["items"]]
        cursor = body["next_cursor"]
        if not cursor:
            break
    assert len(seen) == 5 and len(set(seen)) == 5
    assert seen == sorted(seen, key=lambda s: s.lower())  # names here differ only in digits and hex
    assert (await anonymous.awards.get("/awards", params={"campaign_id": c["id"], "kind": "individual"})).json()[
        "items"
    ] == []
    under = (
        await anonymous.awards.get("/awards", params={"campaign_id": c["id"], "unit_id": world.district["id"]})
    ).json()
    assert len(under["items"]) == 5
    assert (
        await anonymous.awards.get("/awards", params={"unit_id": world.other["id"], "campaign_id": c["id"]})
    ).json()["items"] == []
    assert_problem(await anonymous.awards.get("/awards", params={"limit": 500}), 400)
