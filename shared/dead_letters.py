"""Dead letters: the events a consumer gave up on, listed, inspected, replayed or discarded.

`shared.consumer` writes a row to `dead_letters` (and a copy on
`dead.<consumer>.<subject>`) when an event cannot be decoded or its handler
failed `MAX_DELIVER` times, and terminates the message: JetStream will not
send it again. This module is what an operator does next (`thidua
dead-letters`), on the consuming service's own database:

- `replay` applies the event through its consumer's own handler, directly:
  the handler's writes, the event id into that consumer's inbox and the
  letter marked replayed commit in ONE transaction, as a delivery would. So
  it is applied once: if the inbox already holds the id (a `thidua resend`
  got it through meanwhile), the handler does not run again and the letter
  is only marked; if the handler still fails, nothing is written and the
  letter stays open; two replays at once are serialised by the row's lock.
  Nothing is published: the other consumers of the subject, which applied
  the event when it first came, see nothing again. (Publishing the payload
  again would reach them all, leave the mark unrelated to the apply, and a
  still-failing event would come back as a new dead letter.)
  Handlers take only a connection (`shared.consumer.Handler`), so running one
  here is running it as the service would; what a service process keeps in
  memory follows its database's notifications (the honour roll's cache).
- `discard` marks it settled without applying it, with a reason.

A settled letter is never deleted: `replayed_at`/`discarded_at` and `note`
are the audit of what happened to it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
import msgspec

from shared import events
from shared.consumer import Subscription

COLUMNS = "id, consumer, subject, event_id, deliveries, error, payload, created_at, replayed_at, discarded_at, note"


class NotReplayable(Exception):
    """The letter cannot be replayed (or discarded): settled already, undecodable, or no handler for it."""


@dataclass(frozen=True, slots=True)
class DeadLetter:
    id: int
    consumer: str
    subject: str
    event_id: str | None
    deliveries: int
    error: str
    payload: bytes
    created_at: datetime
    replayed_at: datetime | None
    discarded_at: datetime | None
    note: str | None

    @classmethod
    def from_row(cls, row: asyncpg.Record) -> DeadLetter:
        return cls(**dict(row))

    @property
    def state(self) -> str:
        if self.replayed_at is not None:
            return "replayed"
        if self.discarded_at is not None:
            return "discarded"
        return "open"

    def envelope(self) -> events.Envelope:
        """The event; raises msgspec.DecodeError / ValidationError when it cannot be decoded."""
        return events.decode(self.payload)

    def decoded(self) -> Any:
        """The envelope as plain data for display; the raw payload (as text) when it does not decode."""
        try:
            return msgspec.to_builtins(self.envelope())
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            return {"undecodable": str(exc), "payload": self.payload.decode("utf-8", errors="replace")}


@dataclass(frozen=True, slots=True)
class Replayed:
    letter: DeadLetter
    applied: bool  # False: the consumer's inbox held the event already, so it was only marked


async def list_letters(
    conn: asyncpg.Connection, consumer: str | None = None, *, settled: bool = False
) -> list[DeadLetter]:
    """The open dead letters (with `settled`, every one), oldest first."""
    rows = await conn.fetch(
        f"SELECT {COLUMNS} FROM dead_letters"
        " WHERE ($1::text IS NULL OR consumer = $1)"
        " AND ($2 OR (replayed_at IS NULL AND discarded_at IS NULL)) ORDER BY id",
        consumer,
        settled,
    )
    return [DeadLetter.from_row(r) for r in rows]


async def get(conn: asyncpg.Connection, letter_id: int) -> DeadLetter | None:
    row = await conn.fetchrow(f"SELECT {COLUMNS} FROM dead_letters WHERE id = $1", letter_id)
    return DeadLetter.from_row(row) if row else None


async def _lock_open(conn: asyncpg.Connection, letter_id: int) -> DeadLetter:
    """The letter, locked until the transaction ends; NotReplayable unless it is open."""
    row = await conn.fetchrow(f"SELECT {COLUMNS} FROM dead_letters WHERE id = $1 FOR UPDATE", letter_id)
    if row is None:
        raise NotReplayable(f"no dead letter {letter_id}")
    letter = DeadLetter.from_row(row)
    if letter.state != "open":
        when = letter.replayed_at or letter.discarded_at
        raise NotReplayable(f"dead letter {letter_id} was {letter.state} already ({when:%Y-%m-%d %H:%M:%S %Z})")
    return letter


async def replay(conn: asyncpg.Connection, letter_id: int, subscriptions: Mapping[str, Subscription]) -> Replayed:
    """Apply an open dead letter through its consumer's handler and mark it replayed, in one transaction.

    `subscriptions` are the consuming service's, by durable name. Raises NotReplayable
    (nothing changed) when the letter is not open, cannot be decoded or has no handler;
    a handler's own failure propagates, and nothing is changed either.
    """
    async with conn.transaction():
        letter = await _lock_open(conn, letter_id)
        subscription = subscriptions.get(letter.consumer)
        if subscription is None:
            raise NotReplayable(f"dead letter {letter_id}: this service has no consumer {letter.consumer!r}")
        try:
            env = letter.envelope()
        except (msgspec.DecodeError, msgspec.ValidationError) as exc:
            raise NotReplayable(f"dead letter {letter_id} cannot be decoded ({exc}): discard it") from exc
        handler = subscription.handlers.get(type(env.data))
        if handler is None:
            raise NotReplayable(f"dead letter {letter_id}: {letter.consumer} does not handle {env.type}")
        # The same inbox row a delivery writes: a consumer applies an event id once, however it came.
        fresh = await conn.fetchval(
            "INSERT INTO inbox (event_id, subject, consumer) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING RETURNING true",
            env.id,
            letter.subject,
            letter.consumer,
        )
        if fresh:
            await handler(conn, env)
        note = "applied by replay" if fresh else "already in the consumer's inbox: marked, not applied again"
        row = await conn.fetchrow(
            f"UPDATE dead_letters SET replayed_at = now(), note = $2 WHERE id = $1 RETURNING {COLUMNS}",
            letter_id,
            note,
        )
    return Replayed(DeadLetter.from_row(row), bool(fresh))


async def discard(conn: asyncpg.Connection, letter_id: int, reason: str) -> DeadLetter:
    """Mark an open dead letter discarded, with the reason: it will not be applied."""
    if not reason.strip():
        raise ValueError("a discarded dead letter needs a reason")
    async with conn.transaction():
        await _lock_open(conn, letter_id)
        row = await conn.fetchrow(
            f"UPDATE dead_letters SET discarded_at = now(), note = $2 WHERE id = $1 RETURNING {COLUMNS}",
            letter_id,
            reason.strip(),
        )
    return DeadLetter.from_row(row)
