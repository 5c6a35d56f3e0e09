"""`POST /nominations` arriving together are written together (shared/coalesce.py, nominations/service.py
`write_nominations`): each is answered as it would be alone, and each created one has its own audit row and its
own event, carrying its own request's id and trace."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg

from tests.support import Api, Stack, scrape

from .conftest import World
from .helpers import assert_problem, campaign, category, nomination_body, person_here, units_under
from .test_eligibility import CSTDCS, LDTT, requires_ldtt, titles_csv

BATCHES = ("thidua_coalesced_batches_total", (("name", "nominations"),))
ITEMS = ("thidua_coalesced_items_total", (("name", "nominations"),))


async def test_submissions_arriving_together_are_each_answered_as_alone_with_their_own_rows(
    world: World, stack: Stack
) -> None:
    c = await campaign(world.committee, world.province["id"], year=2014)
    collective = await category(world.committee, c["id"], "collective", quota=100)
    individual = await category(world.committee, c["id"], "individual")
    ruled = await category(world.committee, c["id"], "individual", rules=[requires_ldtt()], name=CSTDCS)
    units = await units_under(world.admin, world.district, 40)
    holder = await person_here(world.admin, units[0]["id"], full_name="Đinh Thị Đạt")
    other = await person_here(world.admin, units[0]["id"], full_name="Đinh Văn Chưa")
    resp = await titles_csv(world.admin, [f"individual,{units[0]['code']},Đinh Thị Đạt,,{LDTT},2014"])
    assert resp.status_code == 200, resp.text

    # What each request is, and what it must be answered alone.
    asks: list[tuple[Api, dict, int, dict[str, str]]] = []
    for i, unit in enumerate(units[:30]):  # created; every third through the framework (an Idempotency-Key)
        headers = {"Idempotency-Key": str(uuid.uuid4())} if i % 3 == 0 else {}
        asks.append((world.officer_district, nomination_body(collective["id"], unit_id=unit["id"]), 201, headers))
    for unit in units[30:35]:  # outside officer_a's subtree
        asks.append((world.officer_a, nomination_body(collective["id"], unit_id=unit["id"]), 403, {}))
    for unit in units[35:38]:  # twice each: one is created, the other finds it live
        for _ in range(2):
            asks.append((world.officer_district, nomination_body(collective["id"], unit_id=unit["id"]), 0, {}))
    for unit in units[38:40]:  # a unit where the category takes people
        asks.append((world.officer_district, nomination_body(individual["id"], unit_id=unit["id"]), 409, {}))
    # A category with eligibility rules: its items are checked each on its own, among the others.
    asks.append((world.officer_district, nomination_body(ruled["id"], person_id=holder["id"]), 201, {}))
    asks.append((world.officer_district, nomination_body(ruled["id"], person_id=other["id"]), 409, {}))
    request_ids = [f"together-{i}-{uuid.uuid4().hex[:8]}" for i in range(len(asks))]
    trace_ids = [uuid.uuid4().hex for _ in asks]

    before = await scrape(stack, "awards")
    answers = await asyncio.gather(
        *(
            api.awards.post(
                "/nominations",
                json=body,
                headers={**headers, "X-Request-ID": rid, "traceparent": f"00-{trace}-{'1' * 16}-01"},
            )
            for (api, body, _, headers), rid, trace in zip(asks, request_ids, trace_ids, strict=True)
        )
    )
    after = await scrape(stack, "awards")

    for (_, _, status, _), answer in zip(asks, answers, strict=True):
        if status:
            assert answer.status_code == status, answer.text
    assert_problem(answers[30], 403)
    assert assert_problem(answers[-3], 409, "nominee_unit_id")["type"].endswith("wrong-kind")
    assert assert_problem(answers[-1], 409)["type"] == "/problems/ineligible"
    pairs = [answers[35 + 2 * k : 37 + 2 * k] for k in range(3)]
    for pair in pairs:
        assert sorted(a.status_code for a in pair) == [201, 409], [a.text for a in pair]
        assert "already" in next(a for a in pair if a.status_code == 409).json()["detail"]
    # They were written together: fewer batches than submissions.
    items = after.get(ITEMS, 0) - before.get(ITEMS, 0)
    batches = after.get(BATCHES, 0) - before.get(BATCHES, 0)
    assert items >= len(asks) and batches < items, (batches, items)

    created = {
        answer.json()["id"]: (rid, trace)
        for answer, rid, trace in zip(answers, request_ids, trace_ids, strict=True)
        if answer.status_code == 201
    }
    assert len(created) == 34
    conn = await asyncpg.connect(stack.db_url("awards"))
    try:
        audits = await conn.fetch(
            "SELECT entity_id, actor_id FROM audit_log WHERE entity = 'nomination' AND action = 'submit'"
            " AND entity_id = ANY($1::uuid[])",
            list(created),
        )
        rows = await conn.fetch(
            "SELECT convert_from(payload, 'UTF8')::jsonb -> 'data' ->> 'id' AS nomination_id, request_id, traceparent"
            " FROM outbox WHERE subject = 'awards.nomination.submitted'"
            " AND convert_from(payload, 'UTF8')::jsonb -> 'data' ->> 'id' = ANY($1::text[])",
            list(created),
        )
        listed = await conn.fetchval("SELECT count(*) FROM nominations WHERE campaign_id = $1", uuid.UUID(c["id"]))
    finally:
        await conn.close()
    assert sorted(str(r["entity_id"]) for r in audits) == sorted(created)  # one audit row each
    assert sorted(r["nomination_id"] for r in rows) == sorted(created)  # one event each
    for r in rows:  # each with its own request's id and trace, not a batch-mate's
        rid, trace = created[r["nomination_id"]]
        assert r["request_id"] == rid
        assert r["traceparent"].split("-")[1] == trace
    assert listed == 34  # nothing refused was written
    checks = await world.committee.awards.get(f"/nominations/{answers[-2].json()['id']}/eligibility")
    assert checks.status_code == 200 and checks.json()["eligible"] is True, checks.text
