"""Poison messages, lost acks, a broker that dies with publishes in flight: visible, never lost."""

from __future__ import annotations

import os
import signal
import uuid
from functools import partial

import asyncpg
from nats.aio.client import Client as NATS

from shared import events, messaging, outbox
from shared.consumer import Consumer
from shared.messaging import DEAD_LETTER_STREAM
from shared.outbox import Relay
from tests.delivery.scratch import (
    LogRecords,
    add_test_stream,
    counting_handler,
    settled,
    subscription,
    unit_event,
    unit_id,
)
from tests.support import Api, Stack, eventually, in_copy
from thidua import devstack


async def test_an_undecodable_message_is_dead_lettered_and_the_consumers_go_on(
    stack: Stack, admin: Api, nc: NATS
) -> None:
    js = nc.jetstream()
    # On a subject the consumers take: they filter on the subjects of the types they handle.
    subject = "units.unit.created"
    payload = b'{"this is": "not an event"'
    await js.publish(subject, payload, headers={"Nats-Msg-Id": f"poison-{uuid.uuid4()}"})

    for service, durable in (("awards", "awards-units"), ("events", "events-units")):
        conn = await asyncpg.connect(stack.db_url(service))
        try:

            async def dead(conn: asyncpg.Connection = conn) -> asyncpg.Record | None:
                return await conn.fetchrow(  # this very message: other suites leave letters on the subject too
                    "SELECT consumer, error, payload, deliveries FROM dead_letters WHERE subject = $1 AND payload = $2",
                    subject,  # noqa: B023
                    payload,  # noqa: B023
                )

            letter = await eventually(dead)
        finally:
            await conn.close()
        assert letter["consumer"] == durable
        assert letter["error"].startswith("undecodable")
        assert letter["payload"] == payload
        on_subject = await js.get_last_msg(DEAD_LETTER_STREAM, f"dead.{durable}.{subject}")
        assert on_subject.data == payload
        assert on_subject.headers and on_subject.headers["Thidua-Error"].startswith("undecodable")

    unit = await admin.unit("Chi bộ sau thư chết")
    for service in ("awards", "events"):
        await eventually(partial(in_copy, stack, service, unit["id"]))


async def test_a_handler_that_keeps_failing_is_dead_lettered_after_max_deliver(
    nc: NATS, scratch_pool: asyncpg.Pool
) -> None:
    js = nc.jetstream()
    stream, prefix = await add_test_stream(js)
    poison, good = unit_event(name="Chi bộ độc"), unit_event()

    async def handler(conn: asyncpg.Connection, env: events.Envelope) -> None:
        await counting_handler(conn, env)
        if env.id == poison.id:
            raise ValueError("this unit cannot be applied")

    consumer = Consumer(
        scratch_pool, js, subscription(stream, "delivery-poison", [f"{prefix}.>"], handler), max_deliver=3
    )
    await consumer.start()
    try:
        for env in (poison, good):
            await js.publish(f"{prefix}.unit.created", events.encode(env), headers={"Nats-Msg-Id": str(env.id)})

        await eventually(partial(settled, js, stream, "delivery-poison", 2), timeout=15)
    finally:
        await consumer.stop()
        await js.delete_stream(stream)

    letter = await scratch_pool.fetchrow("SELECT event_id, deliveries, error FROM dead_letters")
    assert (letter["event_id"], letter["deliveries"]) == (str(poison.id), 3)
    assert "this unit cannot be applied" in letter["error"]
    on_subject = await js.get_last_msg(DEAD_LETTER_STREAM, f"dead.delivery-poison.{prefix}.unit.created")
    assert on_subject.data is not None
    assert events.decode(on_subject.data).id == poison.id
    # The failed attempts left nothing behind; the next message was applied once.
    assert [r["event_id"] for r in await scratch_pool.fetch("SELECT event_id FROM applications")] == [good.id]
    assert [r["event_id"] for r in await scratch_pool.fetch("SELECT event_id FROM inbox")] == [good.id]
    assert await scratch_pool.fetchval("SELECT name FROM units WHERE id = $1", unit_id(good))


async def test_a_consumer_whose_ack_is_lost_keeps_consuming(
    own_nats: devstack.LocalNats, scratch_pool: asyncpg.Pool, consumer_log: LogRecords
) -> None:
    """NATS freezes between the commit and the ack: the ack times out; the consumer must go on."""
    assert own_nats.proc is not None
    pid = own_nats.proc.pid
    nc = await messaging.connect(own_nats.url, "delivery-frozen")
    js = nc.jetstream()
    stream, prefix = await add_test_stream(js)
    first, second = unit_event(), unit_event()

    async def handler(conn: asyncpg.Connection, env: events.Envelope) -> None:
        await counting_handler(conn, env)
        if env.id == first.id:
            os.kill(pid, signal.SIGSTOP)  # the broker stops answering before the ack goes out

    consumer = Consumer(scratch_pool, js, subscription(stream, "delivery-frozen", [f"{prefix}.>"], handler, ack_wait=1))
    await consumer.start()
    try:
        await js.publish(f"{prefix}.unit.created", events.encode(first), headers={"Nats-Msg-Id": str(first.id)})
        await eventually(lambda: _contains(consumer_log.messages, "message not settled"), timeout=10)
        os.kill(pid, signal.SIGCONT)
        await js.publish(f"{prefix}.unit.created", events.encode(second), headers={"Nats-Msg-Id": str(second.id)})

        await eventually(partial(settled, js, stream, "delivery-frozen", 2), timeout=10)
    finally:
        os.kill(pid, signal.SIGCONT)
        await consumer.stop()
        await nc.close()

    assert consumer.applied == 2
    rows = await scratch_pool.fetch("SELECT event_id, count(*) AS n FROM applications GROUP BY event_id")
    assert {r["event_id"]: r["n"] for r in rows} == {first.id: 1, second.id: 1}


async def test_the_relay_recovers_when_nats_dies_with_publishes_in_flight(
    own_nats: devstack.LocalNats, scratch_pool: asyncpg.Pool
) -> None:
    """Acks that never come (the server died holding the publishes) must not stall the relay forever."""
    assert own_nats.proc is not None
    nc = await messaging.connect(own_nats.url, "delivery-relay")
    js = nc.jetstream()
    await messaging.provision_streams(js, [events.UNITS_STREAM])
    relay = Relay(scratch_pool, js, "units", poll_seconds=0.2, ack_timeout=1)
    relay.start()
    try:
        await eventually(lambda: _leads(scratch_pool))
        own_nats.proc.send_signal(signal.SIGSTOP)
        written = [unit_event() for _ in range(10)]
        async with scratch_pool.acquire() as conn, conn.transaction():
            await outbox.emit(conn, [(e.data, unit_id(e), 1) for e in written], producer="units")
        await eventually(lambda: _async(js.publish_async_pending() == len(written)))
        own_nats.proc.kill()  # with the publishes unread in its socket
        own_nats.proc.wait()
        own_nats.proc = None
        own_nats.start()  # same port, same store

        async def all_sent() -> bool:
            return not await scratch_pool.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NULL")

        await eventually(all_sent, timeout=20)
    finally:
        if own_nats.proc is not None:
            own_nats.proc.send_signal(signal.SIGCONT)
        await relay.stop()
    state = (await js.stream_info("UNITS")).state
    assert (state.messages, state.last_seq) == (len(written), len(written))
    await nc.close()


async def _leads(pool: asyncpg.Pool) -> bool:
    """Does some session hold the relay's advisory lock on this database?"""
    return bool(
        await pool.fetchval(
            "SELECT true FROM pg_locks WHERE locktype = 'advisory' AND database = "
            "(SELECT oid FROM pg_database WHERE datname = current_database()) AND granted"
        )
    )


async def _contains(messages: list[str], text: str) -> bool:
    return any(text in m for m in messages)


async def _async(value: bool) -> bool:
    return value
