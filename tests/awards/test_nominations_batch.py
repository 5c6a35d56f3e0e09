"""`POST /nominations/batch`: many nominations in one request, each item judged as `POST /nominations` judges it."""

from __future__ import annotations

import unicodedata
import uuid

import asyncpg

from shared import batches, events
from tests.support import Api, Stack

from .conftest import World
from .helpers import assert_problem, campaign, category, nominate, nomination_body, person_here, unit_here
from .test_eligibility import CSTDCS, LDTT, requires_ldtt, titles_csv


async def submitted_events(stack: Stack, nomination_ids: list[str]) -> dict[str, list[events.Envelope]]:
    """The awards outbox's events about each nomination, once every one of them is sent."""
    conn = await asyncpg.connect(stack.db_url("awards"))
    try:
        rows = await conn.fetch("SELECT payload, sent_at FROM outbox ORDER BY seq")
    finally:
        await conn.close()
    found: dict[str, list[events.Envelope]] = {i: [] for i in nomination_ids}
    for r in rows:
        env = events.decode(bytes(r["payload"]))
        if env.aggregate_id in found:
            found[env.aggregate_id].append(env)
    return found


async def nominations_in(api: Api, campaign_id: str) -> list[dict]:
    resp = await api.awards.get("/nominations", params={"campaign_id": campaign_id, "limit": 200})
    assert resp.status_code == 200, resp.text
    return resp.json()["items"]


def without_instance(problem: dict) -> dict:
    return {k: v for k, v in problem.items() if k != "instance"}


async def test_a_batch_creates_each_item_as_one_post_would(world: World, stack: Stack) -> None:
    c = await campaign(world.committee, world.province["id"])
    collective = await category(world.committee, c["id"], "collective")
    individual = await category(world.committee, c["id"], "individual")
    items = [
        nomination_body(
            collective["id"], unit_id=world.commune_a["id"], achievements=unicodedata.normalize("NFD", "Dẫn đầu")
        ),
        nomination_body(individual["id"], person_id=world.person_b["id"]),
        nomination_body(collective["id"], unit_id=world.commune_b["id"]),
    ]
    resp = await world.officer_district.awards.post("/nominations/batch", json={"items": items})
    assert resp.status_code == 200, resp.text
    answer = resp.json()["items"]
    assert [(o["index"], o["status"]) for o in answer] == [(0, 201), (1, 201), (2, 201)]
    assert all(set(o) == {"index", "status", "nomination"} for o in answer)
    created = [o["nomination"] for o in answer]
    assert created[0]["achievements"] == "Dẫn đầu"  # NFC, cleaned as one POST cleans it
    assert created[1]["nominee_person_id"] == world.person_b["id"] and created[1]["nominee_name"] == "Trần Văn Bình"
    assert created[2]["nominee_unit_id"] == world.commune_b["id"]
    for n in created:
        assert n["status"] == "submitted" and n["version"] == 1 and n["submitting_unit_id"] == world.district["id"]
        got = await world.officer_district.awards.get(f"/nominations/{n['id']}")
        assert got.status_code == 200 and got.json() == n
        history = (await world.officer_district.awards.get(f"/nominations/{n['id']}/history")).json()
        assert [(h["action"], h["to_status"], h["actor_role"]) for h in history] == [("submit", "submitted", "officer")]
    sent = await submitted_events(stack, [n["id"] for n in created])
    for n in created:
        [env] = sent[n["id"]]
        assert isinstance(env.data, events.NominationSubmitted) and env.version == 1
        assert (str(env.data.id), env.data.nominee_name) == (n["id"], n["nominee_name"])


async def test_a_mixed_batch_writes_only_its_good_items_and_says_why_not_for_the_others(
    world: World, stack: Stack
) -> None:
    c = await campaign(world.committee, world.province["id"])
    collective = await category(world.committee, c["id"], "collective")
    individual = await category(world.committee, c["id"], "individual")
    earlier = await nominate(world.officer_district, collective["id"], unit_id=world.commune_a["id"])
    newcomer = await person_here(world.admin, world.commune_a["id"], full_name="Võ Thị Sáu")
    items = [
        nomination_body(individual["id"], person_id=newcomer["id"]),  # good
        nomination_body(collective["id"], unit_id=world.commune_b["id"]),  # outside officer_a's subtree: 403
        nomination_body(collective["id"], unit_id=world.commune_a["id"]),  # already live: 409
        nomination_body(str(uuid.uuid4()), unit_id=world.commune_a["id"]),  # no such category: 404
        {"category_id": individual["id"], "achievements": "x" * 20_001, "nominee_person_id": newcomer["id"]},  # 400
        nomination_body(individual["id"], person_id=str(uuid.uuid4())),  # not known (yet): 404
        {"category_id": individual["id"], "achievements": "Tốt", "nominee_person_id": "not-a-uuid"},  # 400
        nomination_body(individual["id"], unit_id=world.commune_a["id"], person_id=newcomer["id"]),  # both: 400
        # The same nominee twice in one batch: the first is written, the second is refused as one POST after it.
        nomination_body(individual["id"], person_id=world.person_a["id"]),
        nomination_body(individual["id"], person_id=world.person_a["id"]),
    ]
    resp = await world.officer_a.awards.post("/nominations/batch", json={"items": items})
    assert resp.status_code == 200, resp.text
    answer = resp.json()["items"]
    assert [o["index"] for o in answer] == list(range(len(items)))
    assert [o["status"] for o in answer] == [201, 403, 409, 404, 400, 404, 400, 400, 201, 409]
    assert "already has a live nomination" in answer[2]["problem"]["detail"]
    assert "not known to the awards service" in answer[5]["problem"]["detail"]
    assert {e["field"] for e in answer[4]["problem"]["errors"]} == {"achievements"}
    # Every refusal is the problem document the single POST answers for that body, now.
    for item, outcome in zip(items, answer, strict=True):
        if outcome["status"] == 201:
            continue
        assert set(outcome) == {"index", "status", "problem"}
        single = await world.officer_a.awards.post("/nominations", json=item)
        assert_problem(single, outcome["status"])
        assert without_instance(single.json()) == without_instance(outcome["problem"]), item
    written = await nominations_in(world.admin, c["id"])
    assert {n["id"] for n in written} == {earlier["id"], answer[0]["nomination"]["id"], answer[8]["nomination"]["id"]}
    sent = await submitted_events(stack, [answer[0]["nomination"]["id"], answer[8]["nomination"]["id"]])
    assert all(len(envs) == 1 and isinstance(envs[0].data, events.NominationSubmitted) for envs in sent.values())


async def test_the_batch_itself_is_refused_when_empty_too_large_or_not_an_officers(
    world: World, anonymous: Api
) -> None:
    c = await campaign(world.committee, world.province["id"])
    collective = await category(world.committee, c["id"], "collective")
    one = nomination_body(collective["id"], unit_id=world.commune_a["id"])
    assert_problem(await world.officer_a.awards.post("/nominations/batch", json={"items": []}), 400, "items")
    too_many = await world.officer_a.awards.post("/nominations/batch", json={"items": [one] * 501})
    assert "at most 500" in assert_problem(too_many, 400, "items")["detail"]
    for body in ({}, [one], {"items": one}, {"items": "x"}):
        assert_problem(await world.officer_a.awards.post("/nominations/batch", json=body), 400)
    assert_problem(await world.officer_a.awards.post("/nominations/batch", content=b"{not json"), 400)
    assert_problem(await world.committee.awards.post("/nominations/batch", json={"items": [one]}), 403)
    assert_problem(await anonymous.awards.post("/nominations/batch", json={"items": [one]}), 401)
    assert await nominations_in(world.admin, c["id"]) == []


async def test_the_same_batch_again_with_its_key_is_answered_again_and_writes_nothing(
    world: World, stack: Stack
) -> None:
    c = await campaign(world.committee, world.province["id"])
    collective = await category(world.committee, c["id"], "collective")
    items = [
        nomination_body(collective["id"], unit_id=world.commune_a["id"]),
        nomination_body(collective["id"], unit_id=world.other["id"]),  # outside the district: 403, kept in the answer
    ]
    key = {"Idempotency-Key": f"batch-{uuid.uuid4().hex}"}
    first = await world.officer_district.awards.post("/nominations/batch", json={"items": items}, headers=key)
    assert first.status_code == 200 and [o["status"] for o in first.json()["items"]] == [201, 403]
    again = await world.officer_district.awards.post("/nominations/batch", json={"items": items}, headers=key)
    assert again.status_code == 200 and again.headers.get("idempotent-replayed") == "true"
    assert again.json() == first.json()
    [written] = await nominations_in(world.admin, c["id"])
    assert written["id"] == first.json()["items"][0]["nomination"]["id"]
    assert len((await submitted_events(stack, [written["id"]]))[written["id"]]) == 1
    # Another body under the same key is refused, not answered with the first body's answer.
    other = await world.officer_district.awards.post("/nominations/batch", json={"items": items[:1]}, headers=key)
    assert_problem(other, 422)
    # Without the key, the same batch is judged again: the nominee already has a live nomination.
    fresh = await world.officer_district.awards.post("/nominations/batch", json={"items": items[:1]})
    assert fresh.status_code == 200 and fresh.json()["items"][0]["status"] == 409


async def test_items_of_a_category_with_rules_are_checked_each_on_its_own(world: World, stack: Stack) -> None:
    c = await campaign(world.committee, world.province["id"], year=2014)
    ruled = await category(world.committee, c["id"], "individual", rules=[requires_ldtt()], name=CSTDCS)
    plain = await category(world.committee, c["id"], "collective")
    unit = await unit_here(world.admin, name=f"Chi bộ lô {uuid.uuid4().hex[:6]}", parent_id=world.commune_a["id"])
    holder = await person_here(world.admin, unit["id"], full_name="Đinh Thị Đạt")
    other = await person_here(world.admin, unit["id"], full_name="Đinh Văn Chưa")
    resp = await titles_csv(world.admin, [f"individual,{unit['code']},Đinh Thị Đạt,,{LDTT},2014"])
    assert resp.status_code == 200, resp.text
    items = [
        nomination_body(ruled["id"], person_id=other["id"]),  # holds no LDTT of 2014: 409 ineligible
        nomination_body(ruled["id"], person_id=holder["id"]),
        nomination_body(plain["id"], unit_id=unit["id"]),
    ]
    resp = await world.officer_a.awards.post("/nominations/batch", json={"items": items})
    assert resp.status_code == 200, resp.text
    answer = resp.json()["items"]
    assert [o["status"] for o in answer] == [409, 201, 201]
    assert answer[0]["problem"]["type"] == "/problems/ineligible" and "Đinh Văn Chưa" in answer[0]["problem"]["detail"]
    single = await world.officer_a.awards.post("/nominations", json=items[0])
    assert without_instance(single.json()) == without_instance(answer[0]["problem"])
    checks = await world.committee.awards.get(f"/nominations/{answer[1]['nomination']['id']}/eligibility")
    assert checks.status_code == 200 and checks.json()["eligible"] is True, checks.text
    written = {n["id"] for n in await nominations_in(world.admin, c["id"])}
    assert written == {answer[1]["nomination"]["id"], answer[2]["nomination"]["id"]}
    sent = await submitted_events(stack, list(written))
    assert all(len(envs) == 1 for envs in sent.values())


async def test_the_clients_send_again_only_what_is_not_known_yet_and_twice_is_answered_from_the_first(
    world: World,
) -> None:
    c = await campaign(world.committee, world.province["id"])
    collective = await category(world.committee, c["id"], "collective")
    individual = await category(world.committee, c["id"], "individual")
    items = [
        nomination_body(collective["id"], unit_id=world.commune_a["id"]),
        nomination_body(individual["id"], person_id=str(uuid.uuid4())),  # never reaches the awards copy: 404
    ]
    requests: list[tuple[int, str]] = []

    async def post(sent: list[dict], key: str) -> batches.Answer:
        requests.append((len(sent), key))
        resp = await world.officer_district.awards.post(
            "/nominations/batch", json={"items": sent}, headers={"Idempotency-Key": key}
        )
        return resp.status_code, resp.json(), resp.headers.get("idempotent-replayed") == "true"

    first = await batches.send(
        post, items, key="test-batch", thing="nomination", retry=batches.not_known_yet, timeout=0.3
    )
    assert [(o.status, o.replayed) for o in first] == [(201, False), (404, False)]
    assert requests[0][0] == 2 and len(requests) > 1 and all(n == 1 for n, _ in requests[1:])
    assert len({k for _, k in requests}) == len(requests)  # each round its own key
    rounds = len(requests)
    again = await batches.send(
        post, items, key="test-batch", thing="nomination", retry=batches.not_known_yet, timeout=0.3
    )
    assert [(o.status, o.replayed) for o in again][0] == (201, True) and again[1].status == 404
    assert again[0].body == first[0].body
    # The same rounds meet the same keys (how many rounds fit in the deadline may differ).
    common = min(rounds, len(requests) - rounds)
    assert common >= 1 and requests[rounds : rounds + common] == requests[:common]
    [written] = await nominations_in(world.admin, c["id"])
    assert written["id"] == first[0].body["id"]
