"""NATS JetStream: the connection, and the streams provisioned explicitly.

A service provisions (idempotently) the stream it publishes on, the streams
its subscriptions read and the dead-letter stream, so the start order of the
services does not matter; each consumer provisions its own durable. On a
cluster, NATS_URL lists the servers (comma-separated) and NATS_STREAM_REPLICAS
(3) sets each stream's replica count; a durable consumer takes its stream's.
See deploy/README.md.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

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


def stream_config(stream: Stream, replicas: int = 1) -> StreamConfig:
    return StreamConfig(
        name=stream.name,
        subjects=list(stream.subjects),
        storage=StorageType.FILE,
        duplicate_window=DUPLICATE_WINDOW_SECONDS,
        num_replicas=replicas,
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


async def provision_streams(js: JetStreamContext, streams: Iterable[Stream], replicas: int = 1) -> None:
    """Create or update each stream, and the dead-letter stream."""
    wanted = {s.name: s for s in (*streams, DEAD_LETTERS)}
    for stream in wanted.values():
        config = stream_config(stream, replicas)
        try:
            await js.stream_info(stream.name)
        except NotFoundError:
            try:
                await js.add_stream(config)
                log.info("stream created", extra={"stream": stream.name})
                continue
            except BadRequestError:  # created by a replica in the meantime
                pass
        await js.update_stream(config)
