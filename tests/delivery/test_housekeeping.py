"""The active relay's hourly housekeeping: old sent outbox rows, old inbox rows and
expired Idempotency-Keys go; pending events and recent rows stay."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import asyncpg
from nats.aio.client import Client as NATS

from shared.outbox import Relay

OLD = datetime(2000, 1, 1, tzinfo=UTC)
NOW = datetime.now(UTC)


async def test_housekeeping_keeps_what_is_pending_or_recent(scratch_pool: asyncpg.Pool) -> None:
    old_sent, old_pending, new_sent = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    old_inbox, new_inbox = uuid.uuid4(), uuid.uuid4()
    async with scratch_pool.acquire() as conn:
        await conn.executemany(
            "INSERT INTO outbox (id, subject, payload, created_at, sent_at) VALUES ($1, 'units.test', '', $2, $3)",
            [
                (old_sent, OLD, OLD),
                (old_pending, OLD, None),  # never sent: never dropped, however old
                (new_sent, NOW, NOW),
            ],
        )
        await conn.executemany(
            "INSERT INTO inbox (consumer, event_id, subject, processed_at) VALUES ('test', $1, 'units.test', $2)",
            [(old_inbox, OLD), (new_inbox, NOW)],
        )
        await conn.executemany(
            "INSERT INTO idempotency_keys (principal, key, method, path, request_hash, created_at)"
            " VALUES ('test', $1, 'POST', '/units', '', $2)",
            [("old-key", OLD), ("new-key", NOW)],
        )
        # Housekeeping touches only the database: a NATS client never connected is enough for it.
        await Relay(scratch_pool, NATS().jetstream(), "scratch", retention_days=30).housekeep(conn)

        assert {r["id"] for r in await conn.fetch("SELECT id FROM outbox")} == {old_pending, new_sent}
        assert {r["event_id"] for r in await conn.fetch("SELECT event_id FROM inbox")} == {new_inbox}
        assert {r["key"] for r in await conn.fetch("SELECT key FROM idempotency_keys")} == {"new-key"}
