"""The transactional outbox and its relay.

`emit` writes an event row in the caller's transaction, beside the state
change it announces, and notifies the relay. The relay, one active per
service (it holds an advisory lock; standbys wait for it), publishes pending
rows in order with `publish_async`, and marks them sent only after JetStream
acknowledged them. A crash in between repeats a publish: the `Nats-Msg-Id`
de-duplication and the consumers' inbox absorb it. Sent rows are kept for the
retention period, so a read model can be rebuilt from them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Sequence
from datetime import datetime

import asyncpg
from nats.js import JetStreamContext

from shared import events, idempotency

log = logging.getLogger(__name__)

BATCH = 500
RELAY_LOCK_BASE = 0x6F7574626F78  # "outbox"; one lock per service database


# An event to publish: its data, the id of the aggregate it is about, and the aggregate's version after it.
Item = tuple[events.EventData, object, int]


def channel(service: str) -> str:
    return f"outbox_{service}"


def row(item: Item, *, producer: str) -> tuple[uuid.UUID, str, bytes]:
    """The outbox row (id, subject, payload) of an event: for `emit`, and for a statement that writes it itself."""
    data, aggregate_id, version = item
    env = events.envelope(data, producer=producer, aggregate_id=aggregate_id, version=version)
    return env.id, env.type, events.encode(env)


async def emit(conn: asyncpg.Connection, items: Sequence[Item], *, producer: str) -> None:
    """Record events in the current transaction; the relay publishes them after commit."""
    if not items:
        return
    await conn.executemany(
        "INSERT INTO outbox (id, subject, payload) VALUES ($1, $2, $3)", [row(i, producer=producer) for i in items]
    )
    await conn.execute("SELECT pg_notify($1, '')", channel(producer))


async def mark_for_resend(
    conn: asyncpg.Connection, service: str, since: datetime, until: datetime | None = None
) -> int:
    """Mark the retained rows written since `since` (and before `until`) unsent; the relay publishes them again.

    The reconciliation path for a broker that lost acknowledged messages:
    JetStream takes back what it no longer holds, de-duplicates what it
    still holds within its duplicate window, and the consumers' inbox and
    version checks make every repeat harmless. Returns how many rows.
    """
    async with conn.transaction():
        status = await conn.execute(
            "UPDATE outbox SET sent_at = NULL WHERE sent_at IS NOT NULL AND created_at >= $1"
            " AND ($2::timestamptz IS NULL OR created_at < $2)",
            since,
            until,
        )
        await conn.execute("SELECT pg_notify($1, '')", channel(service))
    return int(status.split()[-1])


class Relay:
    def __init__(
        self,
        pool: asyncpg.Pool,
        js: JetStreamContext,
        service: str,
        *,
        poll_seconds: float = 1.0,
        retention_days: int = 30,
        ack_timeout: float = 10.0,
    ) -> None:
        self.pool = pool
        self.js = js
        self.service = service
        self.poll_seconds = poll_seconds
        self.retention_days = retention_days
        self.ack_timeout = ack_timeout
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._stopping = False
        self.published = 0

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name=f"outbox-relay-{self.service}")

    async def stop(self) -> None:
        """Finish the batch in flight (its publishes are flushed and marked), then stop."""
        self._stopping = True
        self._wake.set()
        if self._task:
            try:
                await asyncio.wait_for(self._task, timeout=10)
            except TimeoutError:
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task

    async def _run(self) -> None:
        while not self._stopping:
            try:
                await self._lead()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox relay failed; retrying")
                await self._sleep(self.poll_seconds)

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)
        self._wake.clear()

    async def _lead(self) -> None:
        """Hold the service's relay lock on one connection, and relay while holding it."""
        conn: asyncpg.Connection = await self.pool.acquire()
        try:
            lock = RELAY_LOCK_BASE
            while not self._stopping:
                if await conn.fetchval("SELECT pg_try_advisory_lock($1)", lock):
                    break
                await self._sleep(self.poll_seconds)  # another replica relays; stand by
            else:
                return
            await conn.add_listener(channel(self.service), self._on_notify)
            try:
                last_cleanup = 0.0
                loop = asyncio.get_running_loop()
                while True:
                    sent = await self.relay_once(conn)
                    if loop.time() - last_cleanup > 3600:
                        await self.housekeep(conn)
                        last_cleanup = loop.time()
                    if self._stopping:
                        return
                    if sent < BATCH:
                        await self._sleep(self.poll_seconds)
            finally:
                # On a broken connection these fail, and the lock went with the session anyway.
                with contextlib.suppress(Exception):
                    await conn.remove_listener(channel(self.service), self._on_notify)
                    await conn.execute("SELECT pg_advisory_unlock($1)", lock)
        finally:
            await self.pool.release(conn)

    def _on_notify(self, *_: object) -> None:
        self._wake.set()

    async def relay_once(self, conn: asyncpg.Connection) -> int:
        """Publish one batch of pending rows; mark sent what JetStream acknowledged."""
        rows = await conn.fetch(
            "SELECT seq, id, subject, payload FROM outbox WHERE sent_at IS NULL ORDER BY seq LIMIT $1", BATCH
        )
        if not rows:
            return 0
        acked = await self.publish(rows)
        if acked:
            await self.mark_sent(conn, acked)
            self.published += len(acked)
        if len(acked) < len(rows):
            raise RuntimeError("JetStream did not acknowledge every publish")
        return len(acked)

    async def publish(self, rows: list[asyncpg.Record]) -> list[int]:
        """Publish rows in order; the seqs of the acknowledged prefix.

        The first failure and all after it are published again, in order, on
        the next pass. An ack that never comes (the server died with the
        message in flight: nats-py's futures have no deadline) counts as a
        failure after `ack_timeout`, so the relay cannot hang on it.
        """
        futures: list[asyncio.Future] = []
        try:
            for row in rows:
                futures.append(
                    await self.js.publish_async(row["subject"], row["payload"], headers={"Nats-Msg-Id": str(row["id"])})
                )
        except Exception as exc:  # disconnected, or too many in flight: publish the rest next pass
            log.warning("publish failed", extra={"subject": rows[len(futures)]["subject"], "error": repr(exc)})
        if futures:
            _, late = await asyncio.wait(futures, timeout=self.ack_timeout)
            for future in late:
                future.cancel()
        acked: list[int] = []
        for row, future in zip(rows, futures, strict=False):
            if future.cancelled() or future.exception() is not None:
                error = "no ack within the timeout" if future.cancelled() else repr(future.exception())
                log.warning("publish not acknowledged", extra={"subject": row["subject"], "error": error})
                break
            acked.append(row["seq"])
        # Retrieve every failure, so none is reported as never retrieved.
        for future in futures:
            if not future.cancelled():
                future.exception()
        return acked

    async def mark_sent(self, conn: asyncpg.Connection, seqs: list[int]) -> None:
        await conn.execute("UPDATE outbox SET sent_at = now() WHERE seq = ANY($1::bigint[])", seqs)

    async def housekeep(self, conn: asyncpg.Connection) -> None:
        """Hourly housekeeping of the service's messaging tables, done by the one active relay.

        Inbox rows live as long as sent outbox rows: past that no event can be resent
        with its old id, and a replay from the stream is absorbed by the version checks.
        """
        await conn.execute("DELETE FROM outbox WHERE sent_at < now() - make_interval(days => $1)", self.retention_days)
        await conn.execute(
            "DELETE FROM inbox WHERE processed_at < now() - make_interval(days => $1)", self.retention_days
        )
        await idempotency.forget_expired(conn)
