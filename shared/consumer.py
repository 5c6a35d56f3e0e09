"""Idempotent consumers of JetStream events.

A durable pull consumer, provisioned explicitly, explicit ack. For each
message the handler's writes and the event id in the `inbox` table commit in
one transaction, and the ack goes after the commit: a redelivered event finds
its id in the inbox and changes nothing. A message that fails `max_deliver`
times, or cannot be decoded, is written to `dead_letters`, published on
`dead.<consumer>.<subject>`, and terminated: visible, not lost.

Several processes may bind the same durable: JetStream shares the messages
among them, and the inbox keeps each applied once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

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


class Consumer:
    def __init__(
        self,
        pool: asyncpg.Pool,
        js: JetStreamContext,
        *,
        stream: str,
        durable: str,
        subjects: list[str],
        handler: Handler,
        max_deliver: int = 5,
        ack_wait: float = 30.0,
        batch: int = 64,
    ) -> None:
        self.pool = pool
        self.js = js
        self.stream = stream
        self.durable = durable
        self.subjects = subjects
        self.handler = handler
        self.max_deliver = max_deliver
        self.ack_wait = ack_wait
        self.batch = batch
        self._task: asyncio.Task | None = None
        self._stopping = False
        self.applied = 0

    def config(self) -> ConsumerConfig:
        return ConsumerConfig(
            durable_name=self.durable,
            deliver_policy=DeliverPolicy.ALL,
            ack_policy=AckPolicy.EXPLICIT,
            ack_wait=self.ack_wait,
            max_deliver=self.max_deliver,
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
        """Finish the message in hand, then stop fetching."""
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
            for msg in msgs:
                await self.process(msg)

    async def process(self, msg: Msg) -> None:
        deliveries = msg.metadata.num_delivered if msg.metadata else 1
        try:
            env = events.decode(msg.data)
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            await self._dead_letter(msg, deliveries, f"undecodable: {exc}", event_id=None)
            return
        try:
            async with self.pool.acquire() as conn, conn.transaction():
                fresh = await conn.fetchval(
                    "INSERT INTO inbox (event_id, subject, consumer) VALUES ($1, $2, $3) "
                    "ON CONFLICT DO NOTHING RETURNING true",
                    env.id,
                    msg.subject,
                    self.durable,
                )
                if fresh:
                    await self.handler(conn, env)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            if deliveries >= self.max_deliver:
                await self._dead_letter(msg, deliveries, repr(exc), event_id=str(env.id))
            else:
                log.warning(
                    "handler failed; will be redelivered",
                    extra={"consumer": self.durable, "subject": msg.subject, "error": repr(exc)},
                )
                await msg.nak(delay=min(0.2 * 2**deliveries, 5.0))
            return
        if fresh:
            self.applied += 1
        await msg.ack_sync()

    async def _dead_letter(self, msg: Msg, deliveries: int, error: str, *, event_id: str | None) -> None:
        log.error(
            "dead letter", extra={"consumer": self.durable, "subject": msg.subject, "error": error}
        )
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
        with contextlib.suppress(Exception):
            await self.js.publish(
                f"dead.{self.durable}.{msg.subject}", msg.data, headers={"Thidua-Error": error[:500]}
            )
        await msg.term()
