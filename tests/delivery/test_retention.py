"""Messages over time: the streams are bounded (and a stream made before the bounds gets them), the
outbox and the inbox forget what is older than OUTBOX_RETENTION_DAYS, and never an unsent event.

Old rows are written as data (their times in the past), then the routine that runs hourly in the
service's active relay (`Relay.housekeep`) is run.
"""

from __future__ import annotations

import uuid

import asyncpg
from nats.aio.client import Client as NATS
from nats.js.api import StorageType, StreamConfig

from shared import events, messaging
from shared.messaging import DAY_SECONDS, DEAD_LETTER_STREAM, StreamLimits
from shared.outbox import Relay


async def test_a_stream_made_without_limits_gets_them_when_provisioned_again(nc: NATS) -> None:
    js = nc.jetstream()
    tag = uuid.uuid4().hex[:10]
    stream = events.Stream(f"RETENTION_{tag}", (f"retention{tag}.>",))
    # As a version before the limits made it: nothing but the duplicate window.
    await js.add_stream(
        StreamConfig(
            name=stream.name,
            subjects=list(stream.subjects),
            storage=StorageType.FILE,
            duplicate_window=messaging.DUPLICATE_WINDOW_SECONDS,
        )
    )
    try:
        before = (await js.stream_info(stream.name)).config
        assert not before.max_bytes or before.max_bytes < 0
        assert not before.max_age

        await messaging.provision_streams(js, [stream], limits=StreamLimits(max_age_days=7, max_bytes=64 * 1024**2))
        after = (await js.stream_info(stream.name)).config
        assert after.max_age == 7 * DAY_SECONDS
        assert after.max_bytes == 64 * 1024**2
        assert after.duplicate_window == messaging.DUPLICATE_WINDOW_SECONDS  # kept

        # Provisioning again with other limits (a changed setting) updates them again.
        await messaging.provision_streams(js, [stream], limits=StreamLimits(max_age_days=30, max_bytes=1024**3))
        again = (await js.stream_info(stream.name)).config
        assert (again.max_age, again.max_bytes) == (30 * DAY_SECONDS, 1024**3)
    finally:
        await js.delete_stream(stream.name)


async def test_the_running_services_streams_have_the_default_limits(nc: NATS) -> None:
    js = nc.jetstream()
    for name in ("UNITS", "AWARDS", "EVENTS", DEAD_LETTER_STREAM):
        config = (await js.stream_info(name)).config
        assert config.max_age == messaging.DEFAULT_MAX_AGE_DAYS * DAY_SECONDS, name
        assert config.max_bytes == messaging.DEFAULT_MAX_BYTES, name
        assert config.duplicate_window == messaging.DUPLICATE_WINDOW_SECONDS, name


async def test_sent_outbox_rows_and_inbox_rows_past_retention_go_and_unsent_rows_never(
    scratch_pool: asyncpg.Pool,
) -> None:
    ids = {name: uuid.uuid4() for name in ("sent_old", "sent_recent", "unsent_ancient", "unsent_recent")}
    inbox = {name: uuid.uuid4() for name in ("old", "recent")}
    async with scratch_pool.acquire() as conn:
        await conn.executemany(
            "INSERT INTO outbox (id, subject, payload, created_at, sent_at)"
            " VALUES ($1, 'units.test', '', now() - make_interval(days => $2), now() - make_interval(days => $3))",
            [
                (ids["sent_old"], 32, 31),  # sent 31 days ago: past the 30
                (ids["sent_recent"], 30, 29),  # sent 29 days ago: kept
                (ids["unsent_ancient"], 400, None),  # never sent (NATS away for a year): never dropped
                (ids["unsent_recent"], 0, None),
            ],
        )
        await conn.executemany(
            "INSERT INTO inbox (consumer, event_id, subject, processed_at)"
            " VALUES ('retention', $1, 'units.test', now() - make_interval(days => $2))",
            [(inbox["old"], 31), (inbox["recent"], 29)],
        )
        # Housekeeping touches only the database: a NATS client never connected is enough for it.
        await Relay(scratch_pool, NATS().jetstream(), "scratch", retention_days=30).housekeep(conn)

        kept = {r["id"] for r in await conn.fetch("SELECT id FROM outbox")}
        assert kept == {ids["sent_recent"], ids["unsent_ancient"], ids["unsent_recent"]}
        assert {r["event_id"] for r in await conn.fetch("SELECT event_id FROM inbox")} == {inbox["recent"]}

        # A shorter retention (OUTBOX_RETENTION_DAYS=7) takes the 29-day-old rows too, and still no unsent one.
        await Relay(scratch_pool, NATS().jetstream(), "scratch", retention_days=7).housekeep(conn)
        kept = {r["id"] for r in await conn.fetch("SELECT id FROM outbox")}
        assert kept == {ids["unsent_ancient"], ids["unsent_recent"]}
        assert await conn.fetchval("SELECT count(*) FROM inbox") == 0
