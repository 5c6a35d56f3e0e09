"""Idempotent consumers of JetStream events.

A durable pull consumer, provisioned explicitly, explicit ack. For each
message the handler's writes and the event id in the `inbox` table commit in
one transaction, and the ack goes after the commit: a redelivered event finds
its id in the inbox and changes nothing. A message whose handler fails
`max_deliver` times, or that cannot be decoded, is written to `dead_letters`,
published on `dead.<consumer>.<subject>`, and terminated: visible, not lost.

JetStream itself never gives up on a message (its `max_deliver` is unlimited):
a message it stopped redelivering would be neither applied nor dead-lettered,
only gone. So an outage of the database (a connection error, a rollback
forced by a deadlock or a serialization failure) only delays a message, and a
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
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

import asyncpg
import msgspec
from nats.aio.msg import Msg
from nats.errors import TimeoutError as NatsTimeoutError
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy
from nats.js.errors import FetchTimeoutError

from shared import events

log = logging.getLogger(__name__)

Handler = Callable[[asyncpg.Connection, events.Envelope], Awaitable[None]]


@dataclass(frozen=True)
class Subscription:
    """A durable consumer of one stream: the handler of each event type it applies."""

    durable: str
    stream: events.Stream
    handlers: Mapping[type[events.EventData], Handler]
    ack_wait: float = 30.0  # seconds before an unacknowledged message is sent again
    # The durable's filter; by default exactly the subjects of the handled types.
    filter_subjects: tuple[str, ...] | None = None

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
    asyncpg.TooManyConnectionsError,
)
MAX_NAK_DELAY = 5.0


class Consumer:
    def __init__(
        self,
        pool: asyncpg.Pool,
        js: JetStreamContext,
        subscription: Subscription,
        *,
        max_deliver: int = 5,
        batch: int = 64,
    ) -> None:
        self.pool = pool
        self.js = js
        self.subscription = subscription
        self.stream = subscription.stream.name
        self.durable = subscription.durable
        self.subjects = subscription.subjects
        self.handlers = {events.subject_of(t): h for t, h in subscription.handlers.items()}
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
        """Finish the message in hand, hand the rest of the batch back, then stop fetching."""
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
            for i, msg in enumerate(msgs):
                if self._stopping:
                    # Back to JetStream now, for another replica, rather than after ack_wait.
                    for rest in msgs[i:]:
                        with contextlib.suppress(Exception):
                            await rest.nak()
                    break
                try:
                    await self.process(msg)
                except asyncio.CancelledError:
                    raise
                except Exception:
                    # One message's trouble (a lost ack, an unreachable database) must not
                    # end the loop: unacknowledged, the message comes back after ack_wait.
                    log.exception("message not settled", extra={"consumer": self.durable, "subject": msg.subject})

    async def process(self, msg: Msg) -> None:
        """Apply one message and settle it with JetStream: ack, nak or dead letter."""
        deliveries = msg.metadata.num_delivered if msg.metadata else 1
        try:
            head = events.decode_head(msg.data)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            await self._dead_letter(msg, deliveries, f"undecodable: {exc}", event_id=None)
            return
        handler = self.handlers.get(head.type)
        if handler is None:
            # A newer producer's event type, or one this subscription does not apply: not poison.
            known = head.type in events.KNOWN_SUBJECTS
            log.info(
                "event skipped: " + ("not handled by this consumer" if known else "a type this version does not know"),
                extra={"consumer": self.durable, "subject": msg.subject, "type": head.type, "event_id": str(head.id)},
            )
            await self.acknowledge(msg)
            return
        try:
            env = events.decode(msg.data)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            await self._dead_letter(msg, deliveries, f"undecodable: {exc}", event_id=str(head.id))
            return
        try:
            fresh = await self.apply(env, msg.subject, handler)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            transient = isinstance(exc, TRANSIENT_ERRORS)
            if deliveries >= self.max_deliver and not transient:
                await self._dead_letter(msg, deliveries, repr(exc), event_id=str(env.id))
            else:
                log.warning(
                    "handler failed; will be redelivered",
                    extra={
                        "consumer": self.durable,
                        "subject": msg.subject,
                        "error": repr(exc),
                        "deliveries": deliveries,
                        "transient": transient,
                    },
                )
                await msg.nak(delay=min(0.2 * 2**deliveries, MAX_NAK_DELAY))
            return
        if fresh:
            self.applied += 1
        await self.acknowledge(msg)

    async def apply(self, env: events.Envelope, subject: str, handler: Handler) -> bool:
        """The event's id into the inbox and the handler's writes, in one transaction.

        True when applied now; False when the inbox already held it (a redelivery).
        """
        async with self.pool.acquire() as conn, conn.transaction():
            fresh = await conn.fetchval(
                "INSERT INTO inbox (event_id, subject, consumer) VALUES ($1, $2, $3) "
                "ON CONFLICT DO NOTHING RETURNING true",
                env.id,
                subject,
                self.durable,
            )
            if fresh:
                await handler(conn, env)
        return bool(fresh)

    async def acknowledge(self, msg: Msg) -> None:
        """After the commit: a lost ack only means a redelivery, which the inbox absorbs."""
        await msg.ack_sync()

    async def _dead_letter(self, msg: Msg, deliveries: int, error: str, *, event_id: str | None) -> None:
        log.error("dead letter", extra={"consumer": self.durable, "subject": msg.subject, "error": error})
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
