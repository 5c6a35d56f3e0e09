"""Processes killed (SIGKILL) at the worst moments: nothing lost, nothing applied twice.

The crashers (crashers.py) are real processes running the real Consumer and
Relay; they die between the two steps whose gap the design must cover.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import partial

import asyncpg
from nats.aio.client import Client as NATS

from shared import db, events, outbox
from shared.consumer import Consumer
from shared.outbox import Relay
from tests.delivery.scratch import (
    add_test_stream,
    counting_handler,
    crash,
    settled,
    subscription,
    unit_event,
    unit_id,
    write_outbox,
)
from tests.support import Stack, eventually, in_copy


async def test_a_consumer_killed_after_its_commit_and_before_its_ack(
    stack: Stack, nc: NATS, scratch: str, scratch_pool: asyncpg.Pool
) -> None:
    js = nc.jetstream()
    stream, prefix = await add_test_stream(js)
    try:
        root = unit_event()
        sent = [root, *(unit_event(parent_id=unit_id(root)) for _ in range(4))]
        for env in sent:
            await js.publish(f"{prefix}.unit.created", events.encode(env), headers={"Nats-Msg-Id": str(env.id)})
        durable = "delivery-crash"
        out = await crash(
            "consumer",
            "--db",
            scratch,
            "--nats",
            stack.nats_url,
            "--stream",
            stream,
            "--durable",
            durable,
            "--subject",
            f"{prefix}.>",
            "--ack-wait",
            "1",
        )
        # The crash left the first batch (all or some of the events) applied and every message unacknowledged.
        assert out.strip().startswith("committed ")
        committed = int(out.split()[1])
        assert 1 <= committed <= len(sent)
        assert await scratch_pool.fetchval("SELECT count(*) FROM applications") == committed
        assert (await js.consumer_info(stream, durable)).ack_floor.stream_seq == 0

        # A fresh process on the same durable: JetStream redelivers after ack_wait, the inbox absorbs the repeat.
        restarted = Consumer(
            scratch_pool, js, subscription(stream, durable, [f"{prefix}.>"], counting_handler, ack_wait=1)
        )
        await restarted.start()
        try:
            await eventually(partial(settled, js, stream, durable, len(sent)), timeout=10)
        finally:
            await restarted.stop()

        info = await js.consumer_info(stream, durable)
        assert info.delivered.consumer_seq > len(sent)  # deliveries beyond the first: the messages did come back
        assert restarted.applied == len(sent) - committed
        counts = await scratch_pool.fetch("SELECT event_id, count(*) AS n FROM applications GROUP BY event_id")
        assert {r["event_id"]: r["n"] for r in counts} == {e.id: 1 for e in sent}
        assert await scratch_pool.fetchval("SELECT count(*) FROM inbox") == len(sent)
        # The copy is exactly right: every unit, under its parent.
        paths = await scratch_pool.fetch("SELECT id, path::text FROM units")
        root_label = unit_id(root).hex
        assert {r["id"] for r in paths} == {unit_id(e) for e in sent}
        assert all(r["path"] == root_label or r["path"].startswith(f"{root_label}.") for r in paths)
    finally:
        await js.delete_stream(stream)


async def test_a_relay_killed_after_publishing_and_before_marking_sent(
    stack: Stack, nc: NATS, scratch: str, scratch_pool: asyncpg.Pool
) -> None:
    """The scratch database plays a units database: its events go to the real UNITS stream and both copies."""
    js = nc.jetstream()
    root = unit_event(name="Đảng ủy khối thử")
    written = [root, *(unit_event(parent_id=unit_id(root)) for _ in range(19))]
    await write_outbox(scratch_pool, written)
    before = (await js.stream_info("UNITS")).state.last_seq

    out = await crash("relay", "--db", scratch, "--nats", stack.nats_url, "--service", "units")
    assert out.strip() == f"published {len(written)}"
    assert (await js.stream_info("UNITS")).state.last_seq == before + len(written)
    assert await scratch_pool.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NULL") == len(written)
    # Published as one atomic batch, in the order written.
    stored = [await js.get_msg("UNITS", before + i) for i in range(1, len(written) + 1)]
    assert [m.headers["Nats-Msg-Id"] for m in stored if m.headers] == [str(e.id) for e in written]
    assert len({m.headers["Nats-Batch-Id"] for m in stored if m.headers}) == 1

    # The restarted relay's batch holds ids the stream has seen: refused whole, then published one by one,
    # each de-duplicated.
    relay = Relay(scratch_pool, js, "units", poll_seconds=0.2, nc=nc)
    relay.start()
    try:

        async def all_sent() -> bool:
            return not await scratch_pool.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NULL")

        await eventually(all_sent)
    finally:
        await relay.stop()
    assert relay.published == len(written)  # published again ...
    assert (await js.stream_info("UNITS")).state.last_seq == before + len(written)  # ... and de-duplicated

    ids = [e.id for e in written]
    for service, durable in (("awards", "awards-units"), ("events", "events-units")):
        for env in written:
            await eventually(partial(in_copy, stack, service, str(unit_id(env))))
        conn = await asyncpg.connect(stack.db_url(service))
        try:
            assert await conn.fetchval(
                "SELECT count(*) FROM inbox WHERE event_id = ANY($1::uuid[]) AND consumer = $2", ids, durable
            ) == len(written)
        finally:
            await conn.close()


async def test_a_new_relay_takes_over_from_one_that_stopped(stack: Stack, nc: NATS, scratch: str) -> None:
    """Two relays on one database: one leads (advisory lock), the other stands by and takes over.

    On the services' own pool, which gives connections back without resetting them (shared/db.py): the
    leader's lock must go with its stop, or its pooled connection would keep it and nobody would relay.
    """
    js = nc.jetstream()
    scratch_pool = await db.create_pool(scratch, min_size=2, max_size=4)
    first = Relay(scratch_pool, js, "units", poll_seconds=0.1)
    second = Relay(scratch_pool, js, "units", poll_seconds=0.1)
    first.start()
    second.start()
    try:
        batch1 = [unit_event() for _ in range(3)]
        async with scratch_pool.acquire() as conn, conn.transaction():
            await outbox.emit(conn, [(e.data, unit_id(e), 1) for e in batch1], producer="units")

        async def pending() -> int:
            return await scratch_pool.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NULL")

        await eventually(lambda: _is_zero(pending))
        assert sorted([first.published, second.published]) == [0, 3]
        leader, standby = (first, second) if first.published else (second, first)
        await leader.stop()

        await _emit_units(scratch_pool, 2)
        await eventually(lambda: _is_zero(pending))
        assert standby.published == 2
    finally:
        await first.stop()
        await second.stop()
    try:
        assert await _advisory_locks(scratch_pool) == 0  # both stopped: the lock went with its holder

        # A leader interrupted (cancelled, as a stop that times out does) ends its session: no lock stays.
        third = Relay(scratch_pool, js, "units", poll_seconds=0.1)
        third.start()
        await eventually(lambda: _holds_lock(scratch_pool))
        assert third._task is not None
        third._task.cancel()
        await eventually(lambda: _is_zero(partial(_advisory_locks, scratch_pool)))
        fourth = Relay(scratch_pool, js, "units", poll_seconds=0.1)
        fourth.start()
        try:
            await _emit_units(scratch_pool, 1)
            await eventually(lambda: _is_zero(pending))
            assert fourth.published == 1
        finally:
            await fourth.stop()
    finally:
        await scratch_pool.close()


async def _emit_units(pool: asyncpg.Pool, count: int) -> None:
    """`count` new units' events into the outbox, each in a transaction of its own."""
    for _ in range(count):
        async with pool.acquire() as conn, conn.transaction():
            e = unit_event()
            await outbox.emit(conn, [(e.data, unit_id(e), 1)], producer="units")


async def _advisory_locks(pool: asyncpg.Pool) -> int:
    return await pool.fetchval(
        """SELECT count(*) FROM pg_locks
           WHERE locktype = 'advisory' AND granted
             AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"""
    )


async def _holds_lock(pool: asyncpg.Pool) -> bool:
    return await _advisory_locks(pool) == 1


async def _is_zero(count: Callable[[], Awaitable[int]]) -> bool:
    return await count() == 0


async def test_a_stream_without_atomic_batches_gets_every_row_one_by_one(nc: NATS, scratch_pool: asyncpg.Pool) -> None:
    """A stream whose `allow_atomic` is off (or a server before 2.12) refuses the relay's batch: the relay
    publishes the rows one by one, in order, and stops trying batches."""
    js = nc.jetstream()
    stream, prefix = await add_test_stream(js)  # made without allow_atomic
    try:
        written = [unit_event() for _ in range(40)]
        await write_outbox(scratch_pool, written, f"{prefix}.unit.created")
        relay = Relay(scratch_pool, js, "units", poll_seconds=0.1, nc=nc)
        relay.start()
        try:
            await eventually(lambda: _is_zero(partial(_unsent, scratch_pool)))
        finally:
            await relay.stop()
        assert relay.published == len(written)
        assert relay._batches is False
        stored = [await js.get_msg(stream, seq) for seq in range(1, len(written) + 1)]
        assert [m.headers["Nats-Msg-Id"] for m in stored if m.headers] == [str(e.id) for e in written]
        assert (await js.stream_info(stream)).state.messages == len(written)
    finally:
        await js.delete_stream(stream)


async def _unsent(pool: asyncpg.Pool) -> int:
    return await pool.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NULL")
