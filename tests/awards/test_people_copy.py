"""The awards service's copy of people follows units.person.* events, newest version wins."""

from __future__ import annotations

import uuid

import asyncpg

from shared import events
from tests.support import Stack, eventually

from .conftest import World
from .helpers import assert_problem, campaign, category, nominate, nomination_body, person_here, person_in_copy
from .test_events import jetstream


async def test_person_moved_or_renamed_reaches_the_copy_and_the_scope_check(world: World, stack: Stack) -> None:
    c = await campaign(world.committee, world.province["id"])
    k = await category(world.committee, c["id"], "individual")
    k2 = await category(world.committee, c["id"], "individual")
    person = await person_here(world.admin, world.commune_a["id"], full_name="Võ Thị Sáu")
    before = await nominate(world.officer_a, k["id"], person_id=person["id"])
    moved = await world.admin.units.patch(
        f"/people/{person['id']}", json={"unit_id": world.other["id"], "full_name": "Võ Thị Sáu B"}
    )
    assert moved.status_code == 200, moved.text
    await eventually(lambda: person_in_copy(stack, person["id"], version=moved.json()["version"]))
    # Outside officer_a's subtree now; the nomination made earlier keeps who and where the nominee was.
    assert_problem(
        await world.officer_a.awards.post("/nominations", json=nomination_body(k2["id"], person_id=person["id"])), 403
    )
    after = await nominate(world.officer_other, k2["id"], person_id=person["id"])
    assert (after["nominee_name"], after["unit_id"]) == ("Võ Thị Sáu B", world.other["id"])
    kept = (await world.committee.awards.get(f"/nominations/{before['id']}")).json()
    assert (kept["nominee_name"], kept["unit_id"]) == ("Võ Thị Sáu", world.commune_a["id"])


async def test_an_older_person_event_changes_nothing(world: World, stack: Stack) -> None:
    person = await person_here(world.admin, world.commune_b["id"], full_name="Hồ Văn Mới")
    renamed = await world.admin.units.patch(f"/people/{person['id']}", json={"full_name": "Hồ Văn Mới Hơn"})
    version = renamed.json()["version"]
    await eventually(lambda: person_in_copy(stack, person["id"], version=version))
    stale = events.PersonCreated(id=uuid.UUID(person["id"]), full_name="Tên Cũ", unit_id=uuid.UUID(world.other["id"]))
    env = events.envelope(stale, producer="units", aggregate_id=person["id"], version=1)
    async with jetstream(stack) as js:
        await js.publish(env.type, events.encode(env), headers={"Nats-Msg-Id": str(env.id)})

    async def consumed() -> bool:
        conn = await asyncpg.connect(stack.db_url("awards"))
        try:
            return bool(await conn.fetchval("SELECT true FROM inbox WHERE event_id = $1", env.id))
        finally:
            await conn.close()

    await eventually(consumed)
    conn = await asyncpg.connect(stack.db_url("awards"))
    try:
        row = await conn.fetchrow(
            "SELECT full_name, unit_id, version FROM people WHERE id = $1", uuid.UUID(person["id"])
        )
    finally:
        await conn.close()
    assert (row["full_name"], str(row["unit_id"]), row["version"]) == ("Hồ Văn Mới Hơn", world.commune_b["id"], version)


async def test_a_run_of_person_events_out_of_order_leaves_each_person_s_newest(world: World, stack: Stack) -> None:
    """Person events published back to back reach the consumer as one batch, applied many at once
    (consumes.on_people): of each person's events, in whatever order they came, the newest counts."""
    unit = uuid.UUID(world.commune_a["id"])
    ids = [uuid.uuid4() for _ in range(30)]
    sent = []
    for i, pid in enumerate(ids):
        versions = [
            events.envelope(
                (events.PersonCreated if v == 1 else events.PersonUpdated)(
                    id=pid, full_name=f"Người thứ {i} bản {v}", unit_id=unit, position=f"v{v}"
                ),
                producer="units",
                aggregate_id=str(pid),
                version=v,
            )
            for v in (1, 2, 3)
        ]
        sent += [versions[2], versions[0], versions[1]] if i % 2 else versions  # newest first for half of them
    async with jetstream(stack) as js:
        for env in sent:
            await js.publish(env.type, events.encode(env), headers={"Nats-Msg-Id": str(env.id)})

    async def all_there() -> bool:
        conn = await asyncpg.connect(stack.db_url("awards"))
        try:
            return await conn.fetchval(
                "SELECT count(*) FROM inbox WHERE event_id = ANY($1::uuid[])", [e.id for e in sent]
            ) == len(sent)
        finally:
            await conn.close()

    await eventually(all_there)
    conn = await asyncpg.connect(stack.db_url("awards"))
    try:
        rows = await conn.fetch("SELECT id, full_name, position, version FROM people WHERE id = ANY($1::uuid[])", ids)
    finally:
        await conn.close()
    assert {r["id"]: (r["full_name"], r["position"], r["version"]) for r in rows} == {
        pid: (f"Người thứ {i} bản 3", "v3", 3) for i, pid in enumerate(ids)
    }
