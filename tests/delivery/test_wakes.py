"""The relay is woken without a NOTIFY in the writing transaction.

PostgreSQL commits notifying transactions one at a time under a global lock;
so a write wakes the relay of its own process instead, a standby relay passes
the wake on to the leader in another process, and the idle poll is the
back-stop for a wake lost. Each relay here polls once an hour when idle: only
the wake gets the rows out, unless the test says otherwise.
"""

from __future__ import annotations

import asyncio
import sys
import uuid
from functools import partial

import asyncpg
import httpx
from nats.aio.client import Client as NATS

from shared import outbox
from shared.outbox import Relay
from tests.awards.helpers import campaign, category, nomination_body, unit_here
from tests.delivery.scratch import ROOT, unit_event, unit_id, write_outbox
from tests.support import Api, Stack, eventually

IDLE = 3600.0


async def leading(pool: asyncpg.Pool | asyncpg.Connection) -> bool:
    """Does a relay hold the outbox lock of this database?"""
    return bool(
        await pool.fetchval(
            """SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database
               WHERE l.locktype = 'advisory' AND l.granted AND d.datname = current_database()"""
        )
    )


async def all_sent(pool: asyncpg.Pool, count: int) -> bool:
    """Are there `count` rows in the scratch outbox, all of them sent?"""
    row = await pool.fetchrow(
        "SELECT count(*) AS written, count(*) FILTER (WHERE sent_at IS NULL) AS pending FROM outbox"
    )
    return bool(row["written"] == count and row["pending"] == 0)


async def test_a_write_wakes_the_relay_of_its_process_and_sends_no_notify(
    nc: NATS, scratch: str, scratch_pool: asyncpg.Pool
) -> None:
    relay = Relay(scratch_pool, nc.jetstream(), "units", poll_seconds=IDLE)
    heard: list[str] = []
    listener = await asyncpg.connect(scratch)
    await listener.add_listener(outbox.channel("units"), lambda *args: heard.append(args[3]))
    relay.start()
    try:
        await eventually(lambda: leading(scratch_pool))
        for count in (3, 6):  # the first pass after taking the lock, then a relay asleep
            written = [unit_event() for _ in range(3)]
            async with scratch_pool.acquire() as conn, conn.transaction():
                await outbox.emit(conn, [(e.data, unit_id(e), 1) for e in written], producer="units")
            await eventually(partial(all_sent, scratch_pool, count))
        # A notification committed after the writes reaches the listener after any of theirs.
        await scratch_pool.execute("SELECT pg_notify($1, 'last')", outbox.channel("units"))

        async def last_heard() -> bool:
            return "last" in heard

        await eventually(last_heard)
        assert heard == ["last"]
        assert relay.published == 6
    finally:
        await relay.stop()
        await listener.close()


async def test_a_write_in_another_process_wakes_the_leader_through_its_standby(
    stack: Stack, nc: NATS, scratch: str, scratch_pool: asyncpg.Pool
) -> None:
    relay = Relay(scratch_pool, nc.jetstream(), "units", poll_seconds=IDLE)
    relay.start()
    try:
        await eventually(lambda: leading(scratch_pool))
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.delivery.writer",
            *("--db", scratch, "--nats", stack.nats_url, "--service", "units", "--count", "5"),
            cwd=ROOT,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
        assert proc.returncode == 0, err.decode()
        assert out.decode().strip() == "sent 5 published here 0"
        assert relay.published == 5
    finally:
        await relay.stop()


async def test_a_lost_wake_is_made_good_by_the_poll(nc: NATS, scratch_pool: asyncpg.Pool) -> None:
    """Rows committed with no wake at all: written while no relay ran (it restarted between the
    commit and the wake), and written while it runs (the writer died before waking it)."""

    async def write_unannounced() -> None:
        await write_outbox(scratch_pool, [unit_event() for _ in range(3)])

    await write_unannounced()
    relay = Relay(scratch_pool, nc.jetstream(), "units", poll_seconds=0.2)
    relay.start()
    try:
        await eventually(lambda: all_sent(scratch_pool, 3))
        await write_unannounced()
        await eventually(lambda: all_sent(scratch_pool, 6))
        assert relay.published == 6
    finally:
        await relay.stop()


async def test_nominations_in_any_worker_reach_the_relay_of_another(stack: Stack, admin: Api) -> None:
    """Two granian workers, one relay leading: each nomination is one statement with no NOTIFY,
    and the worker that wrote it wakes the relay, in its process or through its standby."""
    unit = await unit_here(admin, name=f"Chi bộ đánh thức {uuid.uuid4().hex[:4]}", kind="grassroots_party_org")
    nominees = [await unit_here(admin, name=f"Tổ {i}", kind="other", parent_id=unit["id"]) for i in range(12)]
    officer = await admin.as_new("officer", unit["id"])
    c = await campaign(admin, unit["id"])
    k = await category(admin, c["id"], "collective", quota=100)
    main_awards = stack.services["awards"]
    replica = stack.service_process("awards", RELAY_POLL_SECONDS=str(IDLE))
    replica.workers = 2
    await asyncio.to_thread(main_awards.stop)
    conn = await asyncpg.connect(stack.db_url("awards"))
    try:
        replica.start()
        await asyncio.to_thread(replica.wait_ready, 60)
        await eventually(lambda: leading(conn), timeout=30)
        since = await conn.fetchval("SELECT clock_timestamp()")
        ids = []
        for nominee in nominees:
            # A new connection each time: granian spreads connections over its workers.
            async with httpx.AsyncClient(timeout=30, headers={"Authorization": f"Bearer {officer.token}"}) as client:
                resp = await client.post(
                    f"{replica.url}/nominations", json=nomination_body(k["id"], unit_id=nominee["id"])
                )
            assert resp.status_code == 201, resp.text
            ids.append(uuid.UUID(resp.json()["id"]))

        async def relayed() -> bool:
            row = await conn.fetchrow(
                "SELECT count(*) AS written, count(*) FILTER (WHERE sent_at IS NULL) AS pending FROM outbox"
                " WHERE subject = 'awards.nomination.submitted' AND created_at >= $1",
                since,
            )
            return row["written"] == len(nominees) and row["pending"] == 0

        await eventually(relayed, timeout=10)
        assert await conn.fetchval("SELECT count(*) FROM nominations WHERE id = ANY($1::uuid[])", ids) == len(ids)
    finally:
        await conn.close()
        await officer.aclose()
        await asyncio.to_thread(replica.stop)
        main_awards.start()
        await asyncio.to_thread(main_awards.wait_ready)


async def test_a_held_wake_comes_after_the_commit(nc: NATS, scratch_pool: asyncpg.Pool) -> None:
    """A request's connection holds its wakes until the handler is done: the relay's first look finds the rows.

    This relay does not poll again after a wake (`busy_seconds=0`), so a wake before the commit would find
    nothing and leave the rows for the hourly poll.
    """
    relay = Relay(scratch_pool, nc.jetstream(), "units", poll_seconds=IDLE, busy_seconds=0)
    relay.start()
    try:
        await eventually(lambda: leading(scratch_pool))
        written = [unit_event() for _ in range(2)]
        async with scratch_pool.acquire() as conn:
            with outbox.waking_after(conn):
                async with conn.transaction():
                    await outbox.emit(conn, [(e.data, unit_id(e), 1) for e in written], producer="units")
                    await asyncio.sleep(0.2)  # the relay, had it been woken now, would have looked already
        await eventually(partial(all_sent, scratch_pool, 2))
        assert relay.published == 2
    finally:
        await relay.stop()
