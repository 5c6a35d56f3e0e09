"""Idempotent consumers of JetStream events.

A durable pull consumer, provisioned explicitly, explicit ack. It fetches
the messages waiting (up to `BATCH`) and applies them in stream order in one
transaction: each handler's writes and each event id in the `inbox` table
commit together, and the acks of the whole batch go after the commit: a
redelivered event finds its id in the inbox and changes nothing. If the
batch's transaction fails because of an event, its messages are applied
again one per transaction, so the good ones commit and the bad one alone is
redelivered. A message whose handler fails `max_deliver` times, or that
cannot be decoded, is written to `dead_letters`, published on
`dead.<consumer>.<subject>`, and terminated: visible, not lost. Each handler
runs in a span that continues the trace of the request that wrote its event,
from the message's `traceparent` header, with its request id in force
(`shared/tracing.py`).

JetStream itself never gives up on a message (its `max_deliver` is unlimited):
a message it stopped redelivering would be neither applied nor dead-lettered,
only gone. So an outage of the database (a connection error, a rollback
forced by a deadlock or a serialization failure) only delays a message (the
whole batch, when the database is out), and a
message whose dead letter cannot be written yet comes back later.

Several processes may bind the same durable: JetStream shares the messages
among them, and the inbox keeps each applied once.

A subscription names the event types it handles, and the durable filters on
exactly their subjects, so a consumer is not sent what it would ignore. An
event of a type this build does not know (a newer producer, during a rolling
upgrade) is acknowledged and logged, never dead-lettered, and leaves no inbox
row; so is a known type the subscription does not handle.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field

import asyncpg
import msgspec
from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import FetchTimeoutError

from shared import db, events, outbox, tracing

log = logging.getLogger(__name__)

Handler = Callable[[asyncpg.Connection, events.Envelope], Awaitable[None]]
# Applies a run of consecutive events (in order) as its handler would one by one, in fewer statements.
BatchHandler = Callable[[asyncpg.Connection, Sequence[events.Envelope]], Awaitable[None]]


@dataclass(frozen=True)
class Subscription:
    """A durable consumer of one stream: the handler of each event type it applies."""

    durable: str
    stream: events.Stream
    handlers: Mapping[type[events.EventData], Handler]
    ack_wait: float = 30.0  # seconds before an unacknowledged message is sent again
    # The durable's filter; by default exactly the subjects of the handled types.
    filter_subjects: tuple[str, ...] | None = None
    # For some types, a handler of many events at once: consecutive events of a batch that share one are
    # given to it together (a 15,000-unit import reaches a copy in a few statements a batch, not two each).
    batch_handlers: Mapping[type[events.EventData], BatchHandler] = field(default_factory=dict)

    @property
    def subjects(self) -> list[str]:
        if self.filter_subjects is not None:
            return list(self.filter_subjects)
        return sorted(events.subject_of(t) for t in self.handlers)


# Failures of the infrastructure, not of the event: retried without end, never dead-lettered.
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.TransactionRollbackError,
    asyncpg.CannotConnectNowError,
    # The server is shutting down or restarting: connections are ended mid-statement (57P01, 57P02).
    asyncpg.AdminShutdownError,
    asyncpg.CrashShutdownError,
    asyncpg.TooManyConnectionsError,
)
MAX_NAK_DELAY = 5.0


# The consumer transaction the running handler is in: one new object per transaction of `apply_all`.
_transaction: contextvars.ContextVar[object | None] = contextvars.ContextVar("consumer_transaction", default=None)


def current_transaction() -> object | None:
    """A token of the consumer transaction a handler runs in (None outside one): what a handler may take
    once for all the events of a batch, such as a transaction-level lock, it keys by this."""
    return _transaction.get()


def transient(exc: BaseException) -> bool:
    """Is `exc` the database or the network being away (every event waits), not an event's fault?"""
    return isinstance(exc, TRANSIENT_ERRORS) or db.connection_lost(exc)


# Messages fetched, applied in one transaction and acknowledged together. A batch must be done
# well within the durable's ack_wait (events' consumers: 5 s); a few hundred unit events take
# a fraction of a second.
BATCH = 256


class Consumer:
    def __init__(
        self,
        pool: asyncpg.Pool,
        js: JetStreamContext,
        subscription: Subscription,
        *,
        max_deliver: int = 5,
        batch: int = BATCH,
    ) -> None:
        self.pool = pool
        self.js = js
        self.subscription = subscription
        self.stream = subscription.stream.name
        self.durable = subscription.durable
        self.subjects = subscription.subjects
        self.handlers = {events.subject_of(t): h for t, h in subscription.handlers.items()}
        self.batch_handlers = {events.subject_of(t): h for t, h in subscription.batch_handlers.items()}
        self.max_deliver = max_deliver
        self.ack_wait = subscription.ack_wait
        self.batch = batch
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self.applied = 0  # events this process applied (not those it found in the inbox)

    def config(self) -> ConsumerConfig:
        return ConsumerConfig(
            durable_name=self.durable,
            deliver_policy=DeliverPolicy.ALL,
            ack_policy=AckPolicy.EXPLICIT,
            ack_wait=self.ack_wait,
            max_deliver=-1,  # the consumer dead-letters after `max_deliver` failures itself
            filter_subjects=self.subjects,
            max_ack_pending=10_000,
        )

    async def provision(self) -> None:
        await self.js.add_consumer(self.stream, self.config())

    async def start(self) -> None:
        await self.provision()
        self._sub = await self.js.pull_subscribe_bind(durable=self.durable, stream=self.stream)
        self._task = asyncio.create_task(self._run(), name=f"consumer-{self.durable}")

    async def stop(self) -> None:
        """Finish the batch in hand (when applied one by one, hand the rest back), then stop fetching."""
        self._stopping = True
        if self._task:
            try:
                await asyncio.wait_for(self._task, timeout=10)
            except TimeoutError:
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task
        with contextlib.suppress(Exception):
            await self._sub.unsubscribe()
        # The count in the message itself, whatever formats the log (granian may own it).
        log.info(
            f"consumer {self.durable} stopped, {self.applied} events applied",
            extra={"consumer": self.durable, "applied": self.applied},
        )

    async def _run(self) -> None:
        while not self._stopping:
            try:
                msgs = await self._sub.fetch(self.batch, timeout=0.5)
            except (FetchTimeoutError, NatsTimeoutError, TimeoutError):
                continue
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("fetch failed", extra={"consumer": self.durable})
                await asyncio.sleep(0.5)
                continue
            try:
                await self.process_batch(msgs)
            except asyncio.CancelledError:
                raise
            except Exception:
                # A batch's trouble (a lost ack, an unreachable database) must not end the
                # loop: unacknowledged, its messages come back after ack_wait.
                log.exception("message not settled", extra={"consumer": self.durable, "messages": len(msgs)})

    async def process_batch(self, msgs: Sequence[Msg]) -> None:
        """Apply fetched messages in one transaction, then acknowledge them all.

        If that transaction fails because of an event (a handler raised), the batch is
        applied again one message per transaction, so that the good events commit and
        the bad one alone follows the path of `process` (redelivery, then dead letter).
        If it fails because of the infrastructure, every message is only delayed.
        """
        if len(msgs) == 1:
            await self.process(msgs[0])
            return
        ready: list[tuple[Msg, events.Envelope, Handler]] = []
        for msg in msgs:
            try:
                prepared = await self._prepare(msg)
            except asyncio.CancelledError:
                raise
            except Exception:  # its skip or dead letter not settled: it comes back after ack_wait
                log.exception("message not settled", extra={"consumer": self.durable, "subject": msg.subject})
                continue
            if prepared is not None:
                ready.append((msg, *prepared))
        if not ready:
            return
        try:
            fresh = await self.apply_all(
                [(env, msg.subject, handler) for msg, env, handler in ready],
                headers=[msg.headers for msg, _, _ in ready],
            )
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if transient(exc) and not isinstance(exc, asyncpg.TransactionRollbackError):
                # The database (or the network to it) is out: every event waits, none is to blame.
                log.warning(
                    "batch not applied; will be redelivered",
                    extra={"consumer": self.durable, "messages": len(ready), "error": repr(exc)},
                )
                await asyncio.gather(*(self._retry_later(msg) for msg, _, _ in ready))
                return
            # An event's fault, or a deadlock or serialization failure of the bigger
            # transaction: one by one, each event settles on its own.
            log.warning(
                "batch not applied; applying its events one by one",
                extra={"consumer": self.durable, "messages": len(ready), "error": repr(exc)},
            )
            for i, (msg, env, handler) in enumerate(ready):
                if self._stopping:
                    # Back to JetStream now, for another replica, rather than after ack_wait.
                    for rest, _, _ in ready[i:]:
                        with contextlib.suppress(Exception):
                            await rest.nak()
                    return
                try:
                    await self._apply_one(msg, env, handler)
                except asyncio.CancelledError:
                    raise
                except Exception:
                    log.exception("message not settled", extra={"consumer": self.durable, "subject": msg.subject})
            return
        self.applied += fresh
        await self.acknowledge([msg for msg, _, _ in ready])

    async def process(self, msg: Msg) -> None:
        """Apply one message in a transaction of its own and settle it with JetStream: ack, nak or dead letter."""
        prepared = await self._prepare(msg)
        if prepared is not None:
            await self._apply_one(msg, *prepared)

    async def _prepare(self, msg: Msg) -> tuple[events.Envelope, Handler] | None:
        """The decoded event and its handler; None when the message is settled already (skipped or dead)."""
        deliveries = msg.metadata.num_delivered if msg.metadata else 1
        try:
            head = events.decode_head(msg.data)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            await self._dead_letter(msg, deliveries, f"undecodable: {exc}", event_id=None)
            return None
        handler = self.handlers.get(head.type)
        if handler is None:
            # A newer producer's event type, or one this subscription does not apply: not poison.
            known = head.type in events.KNOWN_SUBJECTS
            log.info(
                "event skipped: " + ("not handled by this consumer" if known else "a type this version does not know"),
                extra={"consumer": self.durable, "subject": msg.subject, "type": head.type, "event_id": str(head.id)},
            )
            await self.acknowledge([msg])
            return None
        try:
            env = events.decode(msg.data)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            await self._dead_letter(msg, deliveries, f"undecodable: {exc}", event_id=str(head.id))
            return None
        return env, handler

    async def _apply_one(self, msg: Msg, env: events.Envelope, handler: Handler) -> None:
        deliveries = msg.metadata.num_delivered if msg.metadata else 1
        try:
            fresh = await self.apply_all([(env, msg.subject, handler)], headers=[msg.headers])
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            is_transient = transient(exc)
            if deliveries >= self.max_deliver and not is_transient:
                await self._dead_letter(msg, deliveries, repr(exc), event_id=str(env.id))
            else:
                log.warning(
                    "handler failed; will be redelivered",
                    extra={
                        **tracing.ids_of(msg.headers),
                        "consumer": self.durable,
                        "subject": msg.subject,
                        "error": repr(exc),
                        "deliveries": deliveries,
                        "transient": is_transient,
                    },
                )
                await self._retry_later(msg)
            return
        self.applied += fresh
        await self.acknowledge([msg])

    async def _retry_later(self, msg: Msg) -> None:
        deliveries = msg.metadata.num_delivered if msg.metadata else 1
        await msg.nak(delay=min(0.2 * 2**deliveries, MAX_NAK_DELAY))

    async def apply_all(
        self,
        items: Sequence[tuple[events.Envelope, str, Handler]],
        headers: Sequence[Mapping[str, str] | None] = (),
    ) -> int:
        """The events' ids into the inbox and their handlers' writes, in one transaction, in order.

        An event the inbox already held (a redelivery), or that came twice in `items`,
        is not applied again. Returns how many were applied now. Each handler runs in a
        span, the child of its message's `traceparent` (its `headers`, in the order of
        `items`), with its request id in force (`shared/tracing.py`).
        """
        token = _transaction.set(object())
        try:
            async with self.pool.acquire() as conn:
                with outbox.waking_after(conn):
                    async with conn.transaction():
                        rows = await conn.fetch(
                            "INSERT INTO inbox (event_id, subject, consumer) "
                            "SELECT e, s, $3 FROM unnest($1::uuid[], $2::text[]) AS t (e, s) "
                            "ON CONFLICT DO NOTHING RETURNING event_id",
                            [env.id for env, _, _ in items],
                            [subject for _, subject, _ in items],
                            self.durable,
                        )
                        fresh = {row["event_id"] for row in rows}
                        applied = 0
                        run: list[events.Envelope] = []  # consecutive events for one batch handler
                        run_at = 0
                        for i, (env, subject, handler) in enumerate(items):
                            if env.id not in fresh:
                                continue
                            fresh.discard(env.id)
                            applied += 1
                            many = self.batch_handlers.get(env.type)
                            if run and many is not self.batch_handlers.get(run[0].type):
                                await self._apply_run(conn, run, items[run_at][1], headers, run_at)
                                run = []
                            if many is not None:
                                run_at = i if not run else run_at
                                run.append(env)
                                continue
                            with tracing.consuming(
                                self.durable, subject, env.id, headers[i] if i < len(headers) else None
                            ):
                                await handler(conn, env)
                        if run:
                            await self._apply_run(conn, run, items[run_at][1], headers, run_at)
        finally:
            _transaction.reset(token)
        return applied

    async def _apply_run(
        self,
        conn: asyncpg.Connection,
        run: list[events.Envelope],
        subject: str,
        headers: Sequence[Mapping[str, str] | None],
        first: int,
    ) -> None:
        """Consecutive events of one batch handler, in one call; in the span of the first one's message."""
        with tracing.consuming(self.durable, subject, run[0].id, headers[first] if first < len(headers) else None):
            await self.batch_handlers[run[0].type](conn, run)

    async def apply(self, env: events.Envelope, subject: str, handler: Handler) -> bool:
        """One event: True when applied now; False when the inbox already held it (a redelivery)."""
        return bool(await self.apply_all([(env, subject, handler)]))

    async def acknowledge(self, msgs: Sequence[Msg]) -> None:
        """After the commit: a lost ack only means a redelivery, which the inbox absorbs."""
        results = await asyncio.gather(*(msg.ack_sync() for msg in msgs), return_exceptions=True)
        for result in results:
            if isinstance(result, BaseException):
                raise result

    async def _dead_letter(self, msg: Msg, deliveries: int, error: str, *, event_id: str | None) -> None:
        log.error(
            "dead letter",
            extra={**tracing.ids_of(msg.headers), "consumer": self.durable, "subject": msg.subject, "error": error},
        )
        try:
            async with self.pool.acquire() as conn:
                await conn.execute(
                    "INSERT INTO dead_letters (consumer, subject, event_id, deliveries, error, payload) "
                    "VALUES ($1, $2, $3, $4, $5, $6)",
                    self.durable,
                    msg.subject,
                    event_id,
                    deliveries,
                    error,
                    msg.data,
                )
        except Exception as exc:
            # Not recorded yet: keep the message in JetStream and try again later.
            log.warning(
                "dead letter not recorded; will be redelivered",
                extra={"consumer": self.durable, "subject": msg.subject, "error": repr(exc)},
            )
            await msg.nak(delay=MAX_NAK_DELAY)
            return
        try:
            await self.js.publish(
                f"dead.{self.durable}.{msg.subject}", msg.data, headers={"Thidua-Error": " ".join(error.split())[:500]}
            )
        except Exception as exc:  # the dead_letters row is the record; the subject is a convenience
            log.warning("dead letter not published", extra={"consumer": self.durable, "error": repr(exc)})
        await msg.term()
