"""Fixtures of the delivery tests: a scratch database, a NATS connection in the test's loop, the consumers' log."""

from __future__ import annotations

import logging
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
from nats.aio.client import Client as NATS

from shared import messaging
from tests.delivery.scratch import LogRecords, create_scratch_database, drop_database
from tests.support import Stack
from thidua import devstack


@pytest.fixture
async def scratch(stack: Stack) -> AsyncIterator[str]:
    url = await create_scratch_database(stack.database_url)
    yield url
    await drop_database(stack.database_url, url)


@pytest.fixture
async def scratch_pool(scratch: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await asyncpg.create_pool(scratch, min_size=1, max_size=4)
    yield pool
    await pool.close()


@pytest.fixture
async def nc(stack: Stack) -> AsyncIterator[NATS]:
    client = await messaging.connect(stack.nats_url, "delivery-tests")
    yield client
    await client.close()


@pytest.fixture
def own_nats() -> Iterator[devstack.LocalNats]:
    """A NATS server of the test's own, to stop, freeze and kill without disturbing the services."""
    with tempfile.TemporaryDirectory(prefix="nats-") as tmp:
        server = devstack.LocalNats(Path(tmp), preferred_port=None)
        server.start()
        try:
            yield server
        finally:
            server.stop()


@pytest.fixture
def consumer_log() -> Iterator[LogRecords]:
    """What `shared.consumer` logs during the test, from INFO up (a skipped event is logged at INFO)."""
    records = LogRecords()
    logger = logging.getLogger("shared.consumer")
    level = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(records)
    yield records
    logger.removeHandler(records)
    logger.setLevel(level)
