"""What the delivery tests build on: scratch databases, test streams, events, a counting handler.

A scratch database holds the shared tables every service has (outbox, inbox,
dead letters) and the unit tree copy, plus `applications`: one row each time
a handler ran, with no unique key, so an event applied twice shows as two rows.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
import uuid
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
from nats.js import JetStreamContext
from nats.js.api import StorageType, StreamConfig

from shared import events, unit_copy
from shared.consumer import BatchHandler, Handler, Subscription
from shared.db import SHARED_MIGRATIONS
from tests.support import Stack

ROOT = Path(__file__).resolve().parents[2]
THIDUA = Path(sys.executable).parent / "thidua"  # the console script, as an operator runs it

APPLICATIONS = """CREATE TABLE applications (
    event_id   uuid NOT NULL,
    subject    text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
)"""


async def create_scratch_database(server_url: str) -> str:
    """A new database on the stack's server with the shared tables; its URL."""
    name = f"thidua_scratch_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    url = urlunsplit(urlsplit(server_url)._replace(path=f"/{name}"))
    conn = await asyncpg.connect(url)
    try:
        for folder in ("common", "unit_copy"):
            for path in sorted((SHARED_MIGRATIONS / folder).glob("[0-9][0-9][0-9]_*.sql")):
                await conn.execute(path.read_text(encoding="utf-8"))
        await conn.execute(APPLICATIONS)
    finally:
        await conn.close()
    return url


async def drop_database(server_url: str, url: str) -> None:
    admin = await asyncpg.connect(server_url)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{urlsplit(url).path.lstrip("/")}" WITH (FORCE)')
    finally:
        await admin.close()


async def counting_handler(conn: asyncpg.Connection, env: events.Envelope) -> None:
    """Apply a unit event to the copy, and count that the handler ran."""
    await conn.execute("INSERT INTO applications (event_id, subject) VALUES ($1, $2)", env.id, env.type)
    await unit_copy.apply(conn, env)


async def counting_batch_handler(conn: asyncpg.Connection, envs: Sequence[events.Envelope]) -> None:
    """`counting_handler` for consecutive unit events at once, as the services' copies apply them."""
    await conn.executemany(
        "INSERT INTO applications (event_id, subject) VALUES ($1, $2)", [(env.id, env.type) for env in envs]
    )
    await unit_copy.apply_many(conn, envs)


async def add_test_stream(js: JetStreamContext) -> tuple[str, str]:
    """A stream of its own for one test: (name, subject prefix)."""
    tag = uuid.uuid4().hex[:10]
    name, prefix = f"DELIVERY_{tag}", f"delivery{tag}"
    await js.add_stream(
        StreamConfig(name=name, subjects=[f"{prefix}.>"], storage=StorageType.FILE, duplicate_window=900)
    )
    return name, prefix


async def settled(js: JetStreamContext, stream: str, durable: str, count: int) -> bool:
    """Has the durable acknowledged the stream's first `count` messages, with none pending?"""
    info = await js.consumer_info(stream, durable)
    return info.ack_floor.stream_seq == count and not info.num_ack_pending


UNIT_EVENTS = (events.UnitCreated, events.UnitRenamed, events.UnitMoved)


def subscription(
    stream: str,
    durable: str,
    subjects: list[str],
    handler: Handler,
    *,
    ack_wait: float = 30.0,
    batch_handler: BatchHandler | None = None,
) -> Subscription:
    """A durable on a test's own stream: `handler` (and `batch_handler`) for every unit event, whatever
    subject carries it."""
    return Subscription(
        durable=durable,
        stream=events.Stream(stream, tuple(subjects)),
        handlers=dict.fromkeys(UNIT_EVENTS, handler),
        ack_wait=ack_wait,
        filter_subjects=tuple(subjects),
        batch_handlers=dict.fromkeys(UNIT_EVENTS, batch_handler) if batch_handler else {},
    )


class LogRecords(logging.Handler):
    """Log records kept as their messages, for a test to look for one."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def unit_event(
    *, unit_id: uuid.UUID | None = None, name: str | None = None, version: int = 1, parent_id: uuid.UUID | None = None
) -> events.Envelope:
    unit_id = unit_id or uuid.uuid4()
    data = (events.UnitCreated if version == 1 else events.UnitRenamed)(
        id=unit_id,
        code=f"D-{unit_id.hex[:10]}",
        name=name or f"Chi bộ {unit_id.hex[:6]}",
        kind="grassroots_party_org",
        parent_id=parent_id,
    )
    return events.envelope(data, producer="units", aggregate_id=unit_id, version=version)


async def write_outbox(pool: asyncpg.Pool, written: list[events.Envelope], subject: str | None = None) -> None:
    """`written` put straight into the scratch outbox in one transaction, with no wake: as a writer that died
    before waking its relay leaves them. Each under its own type, or `subject`."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.executemany(
            "INSERT INTO outbox (id, subject, payload) VALUES ($1, $2, $3)",
            [(env.id, subject or env.type, events.encode(env)) for env in written],
        )


def unit_id(env: events.Envelope) -> uuid.UUID:
    """The id of the unit a unit event (from `unit_event`) is about."""
    assert isinstance(env.data, events.UnitState)
    return env.data.id


async def crash(role: str, *args: str) -> str:
    """Run a crasher (tests/delivery/crashers.py) to its SIGKILL; its output."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.delivery.crashers",
        role,
        *args,
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=60)
    assert proc.returncode == -9, f"the {role} did not die at its crash point: {proc.returncode}\n{err.decode()}"
    return out.decode()


async def run_thidua(stack: Stack, *args: str, timeout: float = 120) -> tuple[int, str, str]:
    """Run the `thidua` command against the stack's servers: its exit code, output and errors."""
    proc = await asyncio.create_subprocess_exec(
        str(THIDUA),
        *args,
        env={**os.environ, **stack.env},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), timeout=timeout)
    assert proc.returncode is not None
    return proc.returncode, out.decode(), err.decode()
