"""An event published twice, or an older one after a newer: every copy stays exactly right."""

from __future__ import annotations

import uuid
from functools import partial

import asyncpg
from nats.aio.client import Client as NATS

from shared import events
from shared.consumer import Consumer
from tests.delivery.scratch import counting_handler, subscription, unit_event
from tests.support import Api, Stack, eventually, in_copy

COPIES = {"awards": "awards-units", "events": "events-units"}


async def fetch_outbox_row(stack: Stack, event_of_unit: str) -> asyncpg.Record:
    """The units service's outbox row of a unit's creation, once the relay has sent it."""
    conn = await asyncpg.connect(stack.db_url("units"))
    try:

        async def sent() -> asyncpg.Record | None:
            return await conn.fetchrow(
                "SELECT id, subject, payload FROM outbox WHERE sent_at IS NOT NULL AND subject = 'units.unit.created'"
                " AND convert_from(payload, 'UTF8')::jsonb #>> '{data,id}' = $1",
                event_of_unit,
            )

        return await eventually(sent)
    finally:
        await conn.close()


async def passed(nc: NATS, durable: str, stream_seq: int, stream: str = "UNITS") -> bool:
    """Has the durable acknowledged everything up to `stream_seq`?"""
    info = await nc.jetstream().consumer_info(stream, durable)
    return info.ack_floor.stream_seq >= stream_seq and not info.num_ack_pending


async def copy_row(stack: Stack, service: str, unit_id: str) -> asyncpg.Record:
    conn = await asyncpg.connect(stack.db_url(service))
    try:
        return await conn.fetchrow("SELECT name, version, path FROM units WHERE id = $1", uuid.UUID(unit_id))
    finally:
        await conn.close()


async def test_an_event_published_twice_is_applied_once(
    stack: Stack, admin: Api, nc: NATS, scratch_pool: asyncpg.Pool
) -> None:
    js = nc.jetstream()
    unit = await admin.unit("Chi bộ gửi hai lần")
    row = await fetch_outbox_row(stack, unit["id"])
    # A counting consumer of its own on the same stream shows how often a handler ran.
    counter = Consumer(
        scratch_pool,
        js,
        subscription("UNITS", f"delivery-twice-{uuid.uuid4().hex[:8]}", ["units.unit.>"], counting_handler),
    )
    await counter.start()
    try:
        # The same Nats-Msg-Id: JetStream de-duplicates it within its window.
        again = await js.publish(row["subject"], row["payload"], headers={"Nats-Msg-Id": str(row["id"])})
        assert again.duplicate
        # Another Nats-Msg-Id (as after the window): a second message in the stream, the same event.
        second = await js.publish(row["subject"], row["payload"], headers={"Nats-Msg-Id": f"{row['id']}-again"})
        assert not second.duplicate
        for durable in [*COPIES.values(), counter.durable]:
            await eventually(partial(passed, nc, durable, second.seq))
    finally:
        await counter.stop()

    assert await scratch_pool.fetchval("SELECT count(*) FROM applications WHERE event_id = $1", row["id"]) == 1
    assert not await scratch_pool.fetchval(
        "SELECT count(*) FROM (SELECT event_id FROM applications GROUP BY event_id HAVING count(*) > 1) AS twice"
    )
    for service, durable in COPIES.items():
        assert await in_copy(stack, service, unit["id"])
        conn = await asyncpg.connect(stack.db_url(service))
        try:
            assert await conn.fetchval("SELECT consumer FROM inbox WHERE event_id = $1", row["id"]) == durable
            assert not await conn.fetchval("SELECT count(*) FROM dead_letters WHERE event_id = $1", str(row["id"]))
        finally:
            await conn.close()


async def test_an_older_version_after_a_newer_one_is_ignored(stack: Stack, admin: Api, nc: NATS) -> None:
    js = nc.jetstream()
    unit = await admin.unit("Chi bộ tên cũ")
    renamed = await admin.units.patch(f"/units/{unit['id']}", json={"name": "Chi bộ tên mới"})
    assert renamed.status_code == 200, renamed.text
    for service in COPIES:
        await eventually(partial(in_copy, stack, service, unit["id"], version=2))

    # A late event of version 1 with its own id: the inbox does not know it, the version check must stop it.
    late = unit_event(unit_id=uuid.UUID(unit["id"]), name="Chi bộ tên cũ", version=1)
    ack = await js.publish(late.type, events.encode(late), headers={"Nats-Msg-Id": str(late.id)})
    for durable in COPIES.values():
        await eventually(partial(passed, nc, durable, ack.seq))

    for service in COPIES:
        row = await copy_row(stack, service, unit["id"])
        assert (row["name"], row["version"]) == ("Chi bộ tên mới", 2)
        conn = await asyncpg.connect(stack.db_url(service))
        try:  # it was delivered and settled, not lost on the way
            assert await conn.fetchval("SELECT true FROM inbox WHERE event_id = $1", late.id)
        finally:
            await conn.close()
