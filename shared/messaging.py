"""NATS JetStream: the connection, and the streams provisioned explicitly.

A service provisions (idempotently) the stream it publishes on, the streams
its subscriptions read and the dead-letter stream, so the start order of the
services does not matter; each consumer provisions its own durable. On a
cluster, NATS_URL lists the servers (comma-separated) and NATS_STREAM_REPLICAS
(3) sets each stream's replica count; a durable consumer takes its stream's.
See deploy/README.md.

Every stream is bounded: messages older than NATS_STREAM_MAX_AGE_DAYS (30)
go, and past NATS_STREAM_MAX_BYTES (1 GiB) the oldest go first. A stream is
a transport, not the record: the outbox keeps each sent event for
OUTBOX_RETENTION_DAYS, and `thidua resend` / `thidua republish` restate what
a stream no longer holds (docs/architecture.md, "Messages over time"). A
stream made before the limits, or with other ones, is updated to them when a
service starts.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass

import nats
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext
from nats.js.api import StorageType, StreamConfig
from nats.js.errors import BadRequestError, NotFoundError

from shared.events import Stream

log = logging.getLogger(__name__)

DUPLICATE_WINDOW_SECONDS = 15 * 60  # longer than any relay retry after a crash
DEAD_LETTER_STREAM = "DEADLETTER"
# Poison messages, by consumer: dead.<consumer>.<original subject>
DEAD_LETTERS = Stream(DEAD_LETTER_STREAM, ("dead.>",))


DAY_SECONDS = 24 * 3600
DEFAULT_MAX_AGE_DAYS = 30.0  # as long as the outbox keeps sent events (OUTBOX_RETENTION_DAYS)
DEFAULT_MAX_BYTES = 1024**3  # per stream; a file stream reserves it in the server's JetStream store


@dataclass(frozen=True, slots=True)
class StreamLimits:
    """How long and how much a stream keeps; the oldest messages go first (JetStream's DiscardPolicy.OLD)."""

    max_age_days: float = DEFAULT_MAX_AGE_DAYS
    max_bytes: int = DEFAULT_MAX_BYTES

    def __post_init__(self) -> None:
        if self.max_age_days <= 0 or self.max_bytes <= 0:
            # 0 would mean "unlimited" to JetStream: say so explicitly instead of by accident.
            raise ValueError("stream limits must be positive (NATS_STREAM_MAX_AGE_DAYS, NATS_STREAM_MAX_BYTES)")


def stream_config(stream: Stream, replicas: int = 1, limits: StreamLimits | None = None) -> StreamConfig:
    limits = limits or StreamLimits()
    return StreamConfig(
        name=stream.name,
        subjects=list(stream.subjects),
        storage=StorageType.FILE,
        duplicate_window=DUPLICATE_WINDOW_SECONDS,
        num_replicas=replicas,
        max_age=limits.max_age_days * DAY_SECONDS,
        max_bytes=limits.max_bytes,
        allow_atomic=True,  # the relay publishes a batch of outbox rows as one atomic batch (shared/outbox.py)
    )


def _differs(have: StreamConfig, want: StreamConfig) -> bool:
    """Does the stream's current configuration differ from the wanted one in what `stream_config` sets?"""
    return (
        sorted(have.subjects or []) != sorted(want.subjects or [])
        or have.num_replicas != want.num_replicas
        or have.max_bytes != want.max_bytes
        # Durations come back from the server in nanoseconds, converted to float seconds.
        or round(have.max_age or 0) != round(want.max_age or 0)
        or round(have.duplicate_window or 0) != round(want.duplicate_window or 0)
        or bool(have.allow_atomic) != bool(want.allow_atomic)
    )


async def connect(url: str, name: str) -> NATS:
    async def on_error(exc: Exception) -> None:
        log.warning("nats error", extra={"error": repr(exc)})

    return await nats.connect(
        [server.strip() for server in url.split(",") if server.strip()],  # a cluster: several URLs
        name=name,
        error_cb=on_error,
        max_reconnect_attempts=-1,
        reconnect_time_wait=0.5,
        connect_timeout=5,
    )


async def provision_streams(
    js: JetStreamContext, streams: Iterable[Stream], replicas: int = 1, limits: StreamLimits | None = None
) -> None:
    """Create each stream, and the dead-letter stream; update one whose configuration differs (its limits)."""
    wanted = {s.name: s for s in (*streams, DEAD_LETTERS)}
    for stream in wanted.values():
        config = stream_config(stream, replicas, limits)
        try:
            info = await js.stream_info(stream.name)
        except NotFoundError:
            try:
                await js.add_stream(config)
                log.info("stream created", extra={"stream": stream.name})
                continue
            except BadRequestError:  # created by a replica in the meantime
                info = await js.stream_info(stream.name)
        if _differs(info.config, config):
            await js.update_stream(config)
            log.info(
                "stream updated",
                extra={"stream": stream.name, "max_age_s": config.max_age, "max_bytes": config.max_bytes},
            )
