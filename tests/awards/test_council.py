"""The council over HTTP: who votes, recusals, the pass mark at approval, the secret ballot, the ballot's record."""

from __future__ import annotations

import json
import uuid

import asyncpg

from tests.support import Api, Stack, eventually

from .conftest import World
from .helpers import approve, assert_problem, campaign, category, nominate
from .test_events import read_events


async def account_id(api: Api) -> str:
    resp = await api.units.get("/auth/me")
    assert resp.status_code == 200, resp.text
    return str(resp.json()["id"])


async def known(api: Api, ids: list[str]) -> None:
    """Wait until the awards service's copy of accounts holds `ids` as council candidates."""

    async def there() -> bool:
        resp = await api.awards.get("/council/candidates")
        assert resp.status_code == 200, resp.text
        return set(ids) <= {m["account_id"] for m in resp.json()["items"]}

    await eventually(there, timeout=10)


async def new_council(world: World, size: int) -> tuple[list[Api], list[str]]:
    members = [await world.admin.as_new("committee") for _ in range(size)]
    ids = [await account_id(m) for m in members]
    await known(world.admin, ids)
    return members, ids


async def set_council(api: Api, campaign_id: str, ids: list[str]) -> dict:
    resp = await api.awards.put(f"/campaigns/{campaign_id}/council", json={"member_account_ids": ids})
    assert resp.status_code == 200, resp.text
    return resp.json()


async def vote(api: Api, nomination_id: str, approve: bool, **extra: object) -> dict:
    resp = await api.awards.post(f"/nominations/{nomination_id}/votes", json={"approve": approve, **extra})
    assert resp.status_code in (200, 201), resp.text
    return resp.json()


async def tally(api: Api, nomination_id: str) -> dict:
    resp = await api.awards.get(f"/nominations/{nomination_id}/votes")
    assert resp.status_code == 200, resp.text
    return resp.json()


async def test_council_is_made_of_known_committee_accounts_and_announced(world: World, stack: Stack) -> None:
    c = await campaign(world.committee, world.province["id"])
    members, ids = await new_council(world, 3)
    officer = await account_id(world.officer_a)
    url = f"/campaigns/{c['id']}/council"
    # Before any is set: none.
    assert (await world.committee.awards.get(url)).json()["member_account_ids"] == []
    unknown = str(uuid.uuid4())
    for bad, field in (
        ([ids[0], officer], "member_account_ids[1]"),
        ([unknown], "member_account_ids[0]"),
        ([ids[0], ids[1], ids[0]], "member_account_ids[2]"),
    ):
        body = assert_problem(await world.admin.awards.put(url, json={"member_account_ids": bad}), 400, field)
        assert bad[-1] in body["detail"] or "committee" in body["detail"]
    assert_problem(await world.admin.awards.put(url, json={"member_account_ids": "x"}), 400)
    assert_problem(await world.officer_a.awards.put(url, json={"member_account_ids": ids}), 403)
    assert_problem(await world.officer_a.awards.get(url), 403)
    assert_problem(
        await world.committee.awards.put(f"/campaigns/{uuid.uuid4()}/council", json={"member_account_ids": ids}), 404
    )
    # The officer is no candidate; the new members are.
    candidates = {m["account_id"] for m in (await world.committee.awards.get("/council/candidates")).json()["items"]}
    assert set(ids) <= candidates and officer not in candidates
    council = await set_council(world.committee, c["id"], ids)
    assert council["campaign_id"] == c["id"] and sorted(council["member_account_ids"]) == sorted(ids)
    assert all(m["username"] for m in council["members"])
    got = (await world.admin.awards.get(url)).json()
    assert sorted(got["member_account_ids"]) == sorted(ids)
    # Audited, and announced through the outbox: the event reaches the stream with the members.
    conn = await asyncpg.connect(stack.db_url("awards"))
    try:
        audit = await conn.fetch(
            "SELECT action, after FROM audit_log WHERE entity = 'council' AND entity_id = $1", uuid.UUID(c["id"])
        )
    finally:
        await conn.close()
    assert [a["action"] for a in audit] == ["set_council"]
    assert sorted(json.loads(audit[0]["after"])["member_account_ids"]) == sorted(ids)
    sent = await read_events(stack, "awards.council.set", {c["id"]})
    env = sent[-1][0]
    assert env.type == "awards.council.set" and sorted(str(i) for i in env.data.member_account_ids) == sorted(ids)  # type: ignore[union-attr]
    # An empty list: no council again.
    assert (await set_council(world.admin, c["id"], []))["member_account_ids"] == []
    for m in members:
        await m.aclose()


async def test_only_the_council_votes_and_approval_waits_for_the_pass_mark(world: World, stack: Stack) -> None:
    c = await campaign(world.committee, world.province["id"])
    k = await category(world.committee, c["id"], "individual", pass_mark={"at_least_percent": 90})
    members, ids = await new_council(world, 3)
    await set_council(world.committee, c["id"], ids)
    n = await nominate(world.officer_a, k["id"], person_id=world.person_a["id"])
    nid = n["id"]
    # A committee member outside the council: 403; an officer: 403 (not a committee member at all).
    assert_problem(await world.committee.awards.post(f"/nominations/{nid}/votes", json={"approve": True}), 403)
    assert_problem(await world.officer_a.awards.post(f"/nominations/{nid}/votes", json={"approve": True}), 403)
    first = await vote(members[0], nid, True, comment="Xứng đáng")
    assert first["tally"] == {"approve": 1, "reject": 0, "total": 1}
    await vote(members[1], nid, True)
    # 2 of 3 entitled: below 90% (3 needed). The refusal gives the tally.
    body = assert_problem(await world.committee.awards.post(f"/nominations/{nid}/approve"), 409)
    assert "2 of 3 entitled members voted yes" in body["detail"] and "at least 90% (3) needed" in body["detail"], body
    assert (await world.committee.awards.get(f"/nominations/{nid}")).json()["status"] == "submitted"
    # A member who voted cannot recuse; the third recuses, with a reason, and may no longer vote.
    assert_problem(await members[0].awards.post(f"/nominations/{nid}/recuse", json={"reason": "Muộn"}), 409)
    assert_problem(await members[2].awards.post(f"/nominations/{nid}/recuse", json={"reason": "  "}), 400)
    assert_problem(await world.committee.awards.post(f"/nominations/{nid}/recuse", json={"reason": "x"}), 403)
    recused = await members[2].awards.post(
        f"/nominations/{nid}/recuse", json={"reason": "Là người thân của người được đề nghị"}
    )
    assert recused.status_code == 200, recused.text
    after = recused.json()
    assert (after["yes"], after["no"], after["members"], after["recused"], after["entitled"]) == (2, 0, 3, 1, 2)
    assert after["passed"] is True and after["needed"] == 2
    assert_problem(await members[2].awards.post(f"/nominations/{nid}/votes", json={"approve": True}), 403)
    # The recusal is announced (not secret): who, from what, and why.
    (sent,) = await read_events(stack, "awards.council.recused", {f"{nid}/{ids[2]}"})
    assert sent[0].data.reason == "Là người thân của người được đề nghị"  # type: ignore[union-attr]
    assert_problem(await members[2].awards.post(f"/nominations/{nid}/recuse", json={"reason": "lại"}), 409)
    # The open ballot names each vote; the officer of the unit reads it too.
    seen = await tally(world.officer_a, nid)
    assert (seen["members"], seen["recused"], seen["entitled"]) == (3, 1, 2)
    assert sorted((v["account_id"], v["approve"]) for v in seen["votes"]) == sorted([(ids[0], True), (ids[1], True)])
    named = {v["account_id"]: v for v in seen["votes"]}
    assert named[ids[0]]["comment"] == "Xứng đáng" and named[ids[0]]["username"]
    assert (await members[0].awards.get(f"/nominations/{nid}/votes/mine")).json() == {
        "approve": True,
        "comment": "Xứng đáng",
    }
    assert_problem(await members[2].awards.get(f"/nominations/{nid}/votes/mine"), 404)
    assert_problem(await world.officer_other.awards.get(f"/nominations/{nid}/votes"), 403)
    # 2 of 2 entitled: reached. An open vote may still be replaced before that.
    assert (await vote(members[1], nid, True, comment="Đồng ý"))["replaced"] is True
    approved = await approve(world.committee, nid)
    assert approved["status"] == "approved" and approved["tally"] == {"approve": 2, "reject": 0, "total": 2}
    # The ballot's record: the council, the count, who recused and why.
    ballot = (await world.admin.awards.get(f"/campaigns/{c['id']}/ballot")).json()
    assert sorted(m["account_id"] for m in ballot["council"]) == sorted(ids)
    (entry,) = ballot["nominations"]
    assert (entry["yes"], entry["no"], entry["members"], entry["recused"], entry["entitled"], entry["passed"]) == (
        2,
        0,
        3,
        1,
        2,
        True,
    )
    assert [(r["account_id"], r["reason"]) for r in entry["recusals"]] == [
        (ids[2], "Là người thân của người được đề nghị")
    ]
    assert len(entry["votes"]) == 2
    assert_problem(await world.officer_a.awards.get(f"/campaigns/{c['id']}/ballot"), 403)
    # Once voted on, the council stays the one that counted.
    assert_problem(
        await world.committee.awards.put(f"/campaigns/{c['id']}/council", json={"member_account_ids": ids[:2]}), 409
    )
    for m in members:
        await m.aclose()


async def test_a_pass_mark_without_a_council_is_no_council(world: World) -> None:
    c = await campaign(world.committee, world.province["id"])
    k = await category(world.committee, c["id"], "collective", pass_mark={"more_than_percent": 50})
    plain = await category(world.committee, c["id"], "individual")
    n = await nominate(world.officer_a, k["id"], unit_id=world.commune_a["id"])
    await vote(world.committee, n["id"], True)
    await vote(world.committee2, n["id"], True)
    body = assert_problem(await world.committee.awards.post(f"/nominations/{n['id']}/approve"), 409)
    assert "no council" in body["detail"]
    # Without a council: members are the committee members who voted; nobody recuses.
    t = await tally(world.admin, n["id"])
    assert (t["yes"], t["no"], t["members"], t["recused"], t["entitled"], t["council"]) == (2, 0, 2, 0, 2, False)
    assert_problem(await world.committee.awards.post(f"/nominations/{n['id']}/recuse", json={"reason": "x"}), 409)
    # A category without a pass mark: the votes advise, as in v1.
    m = await nominate(world.officer_a, plain["id"], person_id=world.person_a["id"])
    await vote(world.committee, m["id"], False)
    assert (await approve(world.committee, m["id"]))["status"] == "approved"


async def test_a_secret_ballot_ties_no_vote_to_a_member(world: World, stack: Stack) -> None:
    c = await campaign(world.committee, world.province["id"])
    k = await category(world.committee, c["id"], "individual", pass_mark={"more_than_percent": 50}, secret_ballot=True)
    members, ids = await new_council(world, 3)
    await set_council(world.admin, c["id"], ids)
    n = await nominate(world.officer_a, k["id"], person_id=world.person_a["id"])
    nid = n["id"]
    cast = await members[0].awards.post(f"/nominations/{nid}/votes", json={"approve": True})
    assert cast.status_code == 201, cast.text
    assert cast.json()["vote"] is None and cast.json()["secret"] is True
    assert cast.json()["tally"] == {"approve": 1, "reject": 0, "total": 1}
    # Cast once: neither replaced nor taken back.
    body = assert_problem(await members[0].awards.post(f"/nominations/{nid}/votes", json={"approve": False}), 409)
    assert "cannot be replaced" in body["detail"]
    assert_problem(await members[0].awards.post(f"/nominations/{nid}/recuse", json={"reason": "x"}), 409)
    # A ballot carries no words.
    assert_problem(
        await members[1].awards.post(f"/nominations/{nid}/votes", json={"approve": False, "comment": "Chưa"}), 400
    )
    await vote(members[1], nid, False)
    assert_problem(await world.committee.awards.post(f"/nominations/{nid}/approve"), 409)
    # Every role, the voter included, sees counts and no names.
    for api in (world.committee, world.admin, world.officer_a, members[0], members[1]):
        t = await tally(api, nid)
        assert "votes" not in t and t["secret_ballot"] is True
        assert (t["yes"], t["no"], t["members"], t["entitled"]) == (1, 1, 3, 3)
        text = json.dumps(t)
        assert not any(i in text for i in ids)
    assert (await members[0].awards.get(f"/nominations/{nid}/votes/mine")).json() == {
        "approve": None,
        "comment": None,
        "secret": True,
    }
    assert_problem(await members[2].awards.get(f"/nominations/{nid}/votes/mine"), 404)
    await vote(members[2], nid, True)
    approved = await approve(world.committee, nid)
    assert approved["tally"] == {"approve": 2, "reject": 1, "total": 3}
    # The nomination, its history and the ballot's record: counts, no member's choice.
    for path in (f"/nominations/{nid}", f"/nominations/{nid}/history"):
        text = (await world.admin.awards.get(path)).text
        assert not any(i in text for i in ids), path
    ballot = (await world.committee.awards.get(f"/campaigns/{c['id']}/ballot")).json()
    (entry,) = ballot["nominations"]
    assert "votes" not in entry and (entry["yes"], entry["no"], entry["passed"]) == (2, 1, True)
    assert not any(i in json.dumps(entry) for i in ids)
    # In the database: no audit row of a vote says what it was, and no event pairs a member with a choice.
    conn = await asyncpg.connect(stack.db_url("awards"))
    try:
        audit = await conn.fetch(
            "SELECT entity, action, actor_id, before, after FROM audit_log WHERE entity_id = $1", uuid.UUID(nid)
        )
        outbox = await conn.fetch("SELECT subject, payload FROM outbox")
        box_columns = await conn.fetch(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'secret_ballot_box'"
        )
        open_rows = await conn.fetchval("SELECT count(*) FROM votes WHERE nomination_id = $1", uuid.UUID(nid))
    finally:
        await conn.close()
    ballots = [a for a in audit if a["entity"] == "vote"]
    assert sorted(str(a["actor_id"]) for a in ballots) == sorted(ids)
    for a in ballots:
        assert (
            a["action"] == "cast_secret_ballot" and json.loads(a["after"]) == {"secret": True} and a["before"] is None
        )
    for a in audit:  # the nomination's own rows carry only the aggregate tally, never a member's id
        assert not any(i in (a["after"] or "") + (a["before"] or "") for i in ids)
    for row in outbox:
        payload = bytes(row["payload"]).decode()
        if any(i in payload for i in ids):
            assert row["subject"] == "awards.council.set" and "approve" not in payload
    assert {r["column_name"] for r in box_columns} == {"nomination_id", "yes", "no"}
    assert open_rows == 0
    for m in members:
        await m.aclose()
