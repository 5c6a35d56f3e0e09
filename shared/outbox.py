"""The transactional outbox and its relay.

`emit` writes an event row in the caller's transaction, beside the state
change it announces, and wakes the relay. The relay, one active per
service (it holds an advisory lock; standbys wait for it), publishes pending
rows in order, a batch of them as one JetStream atomic batch (one ack, one
write to disk) or else one by one with `publish_async`, and marks them sent
only after JetStream acknowledged them. A crash in between repeats a publish:
the `Nats-Msg-Id` de-duplication and the consumers' inbox absorb it. Sent rows are kept for the
retention period, so a read model can be rebuilt from them. A row keeps the
trace context and request id of its writer; the relay publishes each row in a
span of its own and sends them on as the message's `traceparent` and
`X-Request-ID` headers (`shared/tracing.py`).

No write sends a NOTIFY inside its transaction: PostgreSQL commits notifying
transactions one at a time under a global lock, which held the writes near a
thousand a second. A write wakes the relay of its own process instead (an
asyncio.Event: `wake`, `announce`); a woken leader polls for `busy_seconds`,
1 ms after the wake at first and less often down to every `busy_poll_seconds`,
so rows committed just after the wake are published at once; while rows
flow, passes are `gather_seconds` (2 ms) apart, so that under load one pass
takes many. A request's connection (`request_connection`) and a consumer's
batch hold their wakes until
their transaction is over (`waking_after`), so the relay is woken just after
the commit; any other `emit` wakes at once, before its commit. A standby relay
(another granian worker, another replica) passes its process's wakes on to
the leader with a NOTIFY of its own, outside any write, one each
`busy_seconds / 2` at most. A process that runs no relay of the service (a
command run by hand) notifies in the transaction, as before. The idle poll
(`poll_seconds`) is the back-stop for a wake lost, or a transaction that
commits more than `busy_seconds` after its `emit`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from datetime import datetime

import asyncpg
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext

from shared import events, idempotency, tracing
from shared.db import Queryable

log = logging.getLogger(__name__)

BATCH = 1000
MAX_ATOMIC_BATCH = 1000  # nats-server's limit on the messages of one atomic batch
# Fewer rows go one by one: a batch's commit costs a grant's few events about 3 ms more on their way to
# the roll (p50 16 against 13 ms, tests/awards/bench_nominations.py), for nothing saved.
MIN_ATOMIC_BATCH = 16
ATOMIC_PUBLISH_DISABLED = 10174  # JetStream's error code: "atomic publish is disabled" (the stream's setting)
RELAY_LOCK_BASE = 0x6F7574626F78  # "outbox"; one lock per service database


# An event to publish: its data, the id of the aggregate it is about, and the aggregate's version after it.
Item = tuple[events.EventData, object, int]


def channel(service: str) -> str:
    return f"outbox_{service}"


# The relays running in this process, by service: the ones a write here wakes.
_local: dict[str, set[Relay]] = {}


# Connections whose holder wakes the relays once done with them, after their commit: id -> services written.
_held: dict[int, set[str]] = {}


@contextlib.contextmanager
def waking_after(conn: object) -> Iterator[None]:
    """Hold the relay wakes of the `emit`s on `conn` until the block ends: wake after the commit, not before it.

    The relay, woken before the commit, would look before the rows are there and poll again; woken after it,
    its first look finds them. A transaction rolled back wakes the relay for nothing, which is harmless.
    """
    key = id(conn)
    _held[key] = set()
    try:
        yield
    finally:
        for service in _held.pop(key, ()):
            wake(service)


@contextlib.asynccontextmanager
async def request_connection(pool: asyncpg.Pool) -> AsyncIterator[asyncpg.Connection]:
    """A pooled connection for one request (or one batch of them), given back when the block ends; the relay is
    woken of the events written on it then, after their commit.

    Giving it back can fail when the server went away after the work was done (PostgreSQL stopping sends every
    idle connection a FATAL): the pool has dropped that connection already, and the answer stands; it must not
    become a 500 after a commit (`make drill` found one).
    """
    conn = await pool.acquire()
    try:
        with waking_after(conn):
            yield conn
    finally:
        try:
            await pool.release(conn)
        except (asyncpg.PostgresError, asyncpg.InterfaceError, asyncpg.InternalClientError, OSError) as exc:
            log.warning("a connection could not be given back to the pool; dropped", extra={"error": repr(exc)})


def wake(service: str) -> bool:
    """Tell this process's relay of `service` that outbox rows are written (or about to commit).

    False when this process runs no relay of the service: then the caller notifies.
    """
    relays = _local.get(service)
    if not relays:
        return False
    for relay in relays:
        relay.hint()
    return True


async def announce(conn: Queryable, service: str) -> None:
    """After a statement that wrote outbox rows on its own (and committed them): wake the relay."""
    if not wake(service):
        await conn.execute("SELECT pg_notify($1, '')", channel(service))


# An outbox row's columns: id, subject, payload, traceparent, request_id.
Row = tuple[uuid.UUID, str, bytes, str | None, str | None]
INSERT_ROWS = "INSERT INTO outbox (id, subject, payload, traceparent, request_id) VALUES ($1, $2, $3, $4, $5)"


def row(item: Item, *, producer: str) -> Row:
    """The outbox row of an event: for `emit`, and for a statement that writes it itself.

    With the trace context and request id of the writer (a request, a consumer's handler), for the relay
    to pass on.
    """
    data, aggregate_id, version = item
    env = events.envelope(data, producer=producer, aggregate_id=aggregate_id, version=version)
    return env.id, env.type, events.encode(env), tracing.traceparent(), tracing.REQUEST_ID.get()


async def emit(conn: asyncpg.Connection, items: Sequence[Item], *, producer: str) -> None:
    """Record events in the current transaction; the relay publishes them after commit.

    On a connection held by `waking_after`, the relay is woken when the holder is done (after the commit).
    Otherwise the wake comes before the commit, and the woken relay keeps polling every few milliseconds for
    a while, so it sees the rows as soon as they commit.
    """
    if not items:
        return
    await conn.executemany(INSERT_ROWS, [row(i, producer=producer) for i in items])
    held = _held.get(id(conn))
    if held is not None and _local.get(producer):
        held.add(producer)
    elif not wake(producer):
        # No relay here (a command run by hand): the leader elsewhere hears of it at commit.
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
        busy_seconds: float = 1.0,
        busy_poll_seconds: float = 0.005,
        gather_seconds: float = 0.002,
        nc: NATS | None = None,
    ) -> None:
        self.pool = pool
        self.js = js
        # With the client (the services pass it), a batch of rows goes as one atomic batch (`_publish_batch`).
        self.nc = nc
        self._batches = nc is not None
        self.service = service
        self.poll_seconds = poll_seconds
        self.retention_days = retention_days
        self.ack_timeout = ack_timeout
        # After a wake, or a pass that found rows, the leader polls every busy_poll_seconds for busy_seconds.
        self.busy_seconds = busy_seconds
        self.busy_poll_seconds = busy_poll_seconds
        # After a pass that sent rows, the pause before the next (docs/architecture.md, "Hot routes before the
        # framework": 2 ms took POST /nominations from 1.43k to 1.59k a second; 5 ms added 6 ms to a grant's p50).
        self.gather_seconds = gather_seconds
        self._busy_until = 0.0
        self._woken_at = 0.0
        self._hinted = False  # a write in this process since a standby last passed the wake on
        self._passed_at = -busy_seconds
        self._wake = asyncio.Event()
        self._task: asyncio.Task | None = None
        self._stopping = False
        self.published = 0

    def start(self) -> None:
        _local.setdefault(self.service, set()).add(self)
        self._task = asyncio.create_task(self._run(), name=f"outbox-relay-{self.service}")

    def hint(self) -> None:
        """Rows were written in this process: relay them now (leading), or wake the leader (standing by)."""
        self._hinted = True
        self._woken_at = time.monotonic()
        self._busy_until = self._woken_at + self.busy_seconds
        self._wake.set()

    async def stop(self) -> None:
        """Finish the batch in flight (its publishes are flushed and marked), then stop."""
        _local.get(self.service, set()).discard(self)
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
        clean = False  # the session holds neither the lock nor the LISTEN
        try:
            lock = RELAY_LOCK_BASE
            while not self._stopping:
                if await conn.fetchval("SELECT pg_try_advisory_lock($1)", lock):
                    break
                await self._stand_by(conn)  # another process relays
            else:
                clean = True
                return
            try:
                await conn.add_listener(channel(self.service), self._on_notify)
                last_cleanup = 0.0
                loop = asyncio.get_running_loop()
                while True:
                    sent = await self.relay_once(conn)
                    if loop.time() - last_cleanup > 3600:
                        await self.housekeep(conn)
                        last_cleanup = loop.time()
                    if self._stopping:
                        return
                    now = time.monotonic()
                    if sent:
                        self._busy_until = max(self._busy_until, now + self.busy_seconds)
                    if sent >= BATCH:
                        continue
                    if sent:
                        # Rows are flowing: let the next ones gather for gather_seconds, wakes or not, so that
                        # under load a pass takes many rows (one read, one publish round, one commit of the
                        # marks) instead of one or two a wake.
                        await asyncio.sleep(self.gather_seconds)
                        self._wake.clear()
                    elif now < self._busy_until:
                        # Woken before the commit (`emit` is), or the rows are not there yet: look again
                        # soon, 1 ms after the wake, then less and less often, down to busy_poll_seconds.
                        await self._sleep(min(self.busy_poll_seconds, max(0.001, (now - self._woken_at) / 2)))
                    else:
                        await self._sleep(self.poll_seconds)
            finally:
                with contextlib.suppress(Exception):  # then the session ends below, and the lock with it
                    await conn.remove_listener(channel(self.service), self._on_notify)
                    await conn.execute("SELECT pg_advisory_unlock($1)", lock)
                    clean = True
        finally:
            # The pool does not reset what it is given back (shared/db.py): a session that may still hold
            # the lock or the LISTEN (interrupted, or its connection broken) ends here, and they with it.
            if not clean:
                conn.terminate()
            await self.pool.release(conn)

    def _on_notify(self, *_: object) -> None:
        # A standby passing on its writes' wake, or rows marked for resend.
        self._woken_at = time.monotonic()
        self._busy_until = self._woken_at + self.busy_seconds
        self._wake.set()

    async def _stand_by(self, conn: asyncpg.Connection) -> None:
        """Wait `poll_seconds` for the lock to be tried again; meanwhile pass this process's wakes on.

        One NOTIFY, on this connection and in a transaction of its own, wakes the
        leader for `busy_seconds`; so one each half of that is enough, however
        many writes this process makes.
        """
        deadline = time.monotonic() + self.poll_seconds
        while not self._stopping:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            await self._sleep(left)
            if self._hinted and not self._stopping:
                pause = self._passed_at + self.busy_seconds / 2 - time.monotonic()
                if pause > 0:
                    await asyncio.sleep(pause)
                self._hinted = False
                await conn.execute("SELECT pg_notify($1, '')", channel(self.service))
                self._passed_at = time.monotonic()

    async def relay_once(self, conn: asyncpg.Connection) -> int:
        """Publish one batch of pending rows; mark sent what JetStream acknowledged."""
        rows = await conn.fetch(
            "SELECT seq, id, subject, payload, traceparent, request_id FROM outbox WHERE sent_at IS NULL"
            " ORDER BY seq LIMIT $1",
            BATCH,
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
        # Each row's publish in a span, the child of its writer's, passed on in the message's headers.
        spans: list[tracing.Span | None] = []
        all_headers: list[dict[str, str]] = []
        for row in rows:
            headers = {"Nats-Msg-Id": str(row["id"])}
            span = tracing.publishing(row["subject"], headers["Nats-Msg-Id"], row.get("traceparent"))
            spans.append(span)
            # The publish's own context; without a span (silent), the writer's as it is.
            traceparent = tracing.traceparent(span) if span is not None else row.get("traceparent")
            if traceparent:
                headers["traceparent"] = traceparent
            if row.get("request_id"):
                headers[tracing.REQUEST_ID_HEADER] = row["request_id"]
            all_headers.append(headers)
        if len(rows) >= MIN_ATOMIC_BATCH and await self._publish_batch(rows, all_headers):
            for span in spans:
                tracing.published(span, None)
            return [row["seq"] for row in rows]
        futures: list[asyncio.Future] = []
        try:
            for row, headers in zip(rows, all_headers, strict=True):
                futures.append(await self.js.publish_async(row["subject"], row["payload"], headers=headers))
        except Exception as exc:  # disconnected, or too many in flight: publish the rest next pass
            row = rows[len(futures)]
            log.warning(
                "publish failed",
                extra={**_ids(row), "subject": row["subject"], "error": repr(exc)},
            )
        if futures:
            _, late = await asyncio.wait(futures, timeout=self.ack_timeout)
            for future in late:
                future.cancel()
        acked: list[int] = []
        for row, future in zip(rows, futures, strict=False):
            if future.cancelled() or future.exception() is not None:
                error = "no ack within the timeout" if future.cancelled() else repr(future.exception())
                log.warning("publish not acknowledged", extra={**_ids(row), "subject": row["subject"], "error": error})
                break
            acked.append(row["seq"])
        for i, span in enumerate(spans):
            tracing.published(span, None if i < len(acked) else "not acknowledged; published again on the next pass")
        # Retrieve every failure, so none is reported as never retrieved.
        for future in futures:
            if not future.cancelled():
                future.exception()
        return acked

    async def _publish_batch(self, rows: list[asyncpg.Record], all_headers: list[dict[str, str]]) -> bool:
        """Publish `rows` as one JetStream atomic batch (nats-server 2.12+): all stored, in order, or none.

        One acknowledgement, and with `sync_interval: always` one write to disk, for the whole batch instead
        of one each (a 15,000-unit import: `tests/delivery/bench_import.py`). False when the batch was not
        stored whole: the rows are then published one by one, which is always correct. That is the way
        after a crash between a publish and its mark, as the server refuses a batch holding a message id it
        has already seen, while a single publish of it is de-duplicated; a server without atomic batches
        (older, or the stream's `allow_atomic` off) turns batches off for this relay.
        """
        if not self._batches or self.nc is None or len(rows) > MAX_ATOMIC_BATCH:
            return False
        batch_id = uuid.uuid4().hex
        last = len(rows)
        try:
            for i, (row, headers) in enumerate(zip(rows, all_headers, strict=True), start=1):
                headers = {**headers, "Nats-Batch-Id": batch_id, "Nats-Batch-Sequence": str(i)}
                if i < last:
                    await self.nc.publish(row["subject"], row["payload"], headers=headers)
                else:
                    headers["Nats-Batch-Commit"] = "1"
                    reply = await self.nc.request(
                        row["subject"], row["payload"], timeout=self.ack_timeout, headers=headers
                    )
        except Exception as exc:  # disconnected, or no answer in time: one by one, de-duplicated
            log.warning("atomic batch not acknowledged", extra={"rows": last, "error": repr(exc)})
            return False
        try:
            ack = json.loads(reply.data)
        except ValueError:
            ack = {}
        if ack.get("batch") == batch_id and ack.get("count") == last:
            return True
        error = ack.get("error") or {}
        if error.get("err_code") == ATOMIC_PUBLISH_DISABLED or ("seq" in ack and "batch" not in ack):
            # The stream's `allow_atomic` off, or a server before 2.12 (it stored each message as it came):
            # one by one from now on. Any other refusal (a message id already seen, a timeout) is this batch's.
            self._batches = False
            log.warning("atomic batches unavailable; publishing one by one", extra={"answer": reply.data[:200]})
        return False

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


def _ids(row: asyncpg.Record) -> dict[str, str | None]:
    """The trace id and request id of an outbox row, for a log line about it."""
    return tracing.ids_of({"traceparent": row.get("traceparent") or "", "X-Request-ID": row.get("request_id") or ""})
