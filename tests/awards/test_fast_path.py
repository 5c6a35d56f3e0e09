"""`POST /nominations` before the framework (shared/fast_path.py): a plain submission is done there and answered
as the framework answers it; anything else, a refusal included, is the framework's, and nothing is written twice."""

from __future__ import annotations

import uuid

import asyncpg
import msgspec

from tests.support import Stack, scrape

from .conftest import World
from .helpers import assert_problem, campaign, category, nomination_body


def sample(name: str, **labels: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    """The key of a POST /nominations sample in a scrape (its labels sorted, as `scrape` keeps them)."""
    return name, tuple(sorted({"method": "POST", "route": "/nominations", **labels}.items()))


DONE = sample("thidua_http_before_framework_requests_total", outcome="done")
DECLINED = sample("thidua_http_before_framework_requests_total", outcome="declined")


def requests_of(samples: dict, status: str) -> float:
    return samples.get(sample("thidua_http_requests_total", status=status), 0.0)


async def test_a_plain_submission_is_done_before_the_framework_and_answered_as_it_would_be(
    world: World, stack: Stack
) -> None:
    c = await campaign(world.committee, world.province["id"])
    collective = await category(world.committee, c["id"], "collective")
    before = await scrape(stack, "awards")
    fast = await world.officer_district.awards.post(
        "/nominations", json=nomination_body(collective["id"], unit_id=world.commune_a["id"])
    )
    after = await scrape(stack, "awards")
    assert fast.status_code == 201, fast.text
    assert after.get(DONE, 0) == before.get(DONE, 0) + 1
    assert after.get(DECLINED, 0) == before.get(DECLINED, 0)
    # Inside the request-id and metrics layers: counted under its route like any answer, with its request id.
    assert requests_of(after, "201") == requests_of(before, "201") + 1
    assert fast.headers["x-request-id"]
    # An Idempotency-Key sends the same call through the framework: the same answer, field for field.
    framework = await world.officer_district.awards.post(
        "/nominations",
        json=nomination_body(collective["id"], unit_id=world.commune_b["id"]),
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    assert framework.status_code == 201, framework.text
    assert (await scrape(stack, "awards")).get(DONE, 0) == after.get(DONE, 0)
    assert fast.headers["content-type"] == framework.headers["content-type"]
    assert fast.json().keys() == framework.json().keys()
    for answer, unit in ((fast.json(), world.commune_a), (framework.json(), world.commune_b)):
        assert answer["nominee_unit_id"] == unit["id"] and answer["status"] == "submitted"
        got = await world.officer_district.awards.get(f"/nominations/{answer['id']}")
        assert got.json() == answer  # what was answered is what was written
    # Its event went out once, as the framework's does.
    conn = await asyncpg.connect(stack.db_url("awards"))
    try:
        subjects = await conn.fetch(
            "SELECT subject FROM outbox WHERE position(convert_to($1, 'UTF8') IN payload) > 0", fast.json()["id"]
        )
    finally:
        await conn.close()
    assert [r["subject"] for r in subjects] == ["awards.nomination.submitted"]


async def test_what_the_fast_path_declines_is_answered_by_the_framework_and_written_once(
    world: World, stack: Stack
) -> None:
    c = await campaign(world.committee, world.province["id"])
    collective = await category(world.committee, c["id"], "collective")
    body = nomination_body(collective["id"], unit_id=world.commune_a["id"])
    assert (await world.officer_a.awards.post("/nominations", json=body)).status_code == 201
    before = await scrape(stack, "awards")
    # A refusal of the use case (a second live nomination), a role the guard refuses, a body the schema
    # refuses, a token that is not valid: each tried here, then answered by the framework's problem document.
    assert_problem(await world.officer_a.awards.post("/nominations", json=body), 409)
    assert_problem(await world.committee.awards.post("/nominations", json=body), 403)
    assert_problem(await world.officer_a.awards.post("/nominations", json={**body, "extra": 1}), 400, "extra")
    assert_problem(
        await world.officer_a.awards.post("/nominations", json=body, headers={"Authorization": "Bearer not.a.token"}),
        401,
    )
    after = await scrape(stack, "awards")
    assert after.get(DECLINED, 0) == before.get(DECLINED, 0) + 4
    assert after.get(DONE, 0) == before.get(DONE, 0)
    # Not plain (no JSON content type, no bearer token): the framework's from the start.
    assert_problem(
        await world.officer_a.awards.post("/nominations", json=body, headers={"Authorization": "Basic eDp5"}), 401
    )
    odd = await world.officer_a.awards.post(
        "/nominations", content=b'{"category_id": 1}', headers={"Content-Type": "text/plain"}
    )
    assert odd.status_code == 400, odd.text
    # Two tokens: which one speaks is the framework's to judge.
    twice = [("Authorization", t) for t in (world.committee.awards.headers["Authorization"], "Bearer not.a.token")]
    await world.officer_a.awards.post(
        "/nominations", content=msgspec.json.encode(body), headers=[*twice, ("Content-Type", "application/json")]
    )
    untouched = await scrape(stack, "awards")
    assert (untouched.get(DECLINED, 0), untouched.get(DONE, 0)) == (after.get(DECLINED, 0), after.get(DONE, 0))
    listed = (await world.admin.awards.get("/nominations", params={"campaign_id": c["id"]})).json()
    assert len(listed["items"]) == 1  # the refused calls wrote nothing, though each ran twice
