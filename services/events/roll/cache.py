"""Answers of the public roll, cached by the roll's version.

The roll is read far more often than it changes. Every change bumps a version
in PostgreSQL and announces it with NOTIFY (projection.bump_version); each
process keeps the version in memory from a LISTEN connection, so serving a
cached answer costs no query at all. While that connection is down, the
version is read per request instead (one tiny query), so an answer is never
served from a version the process cannot vouch for. A poll every few seconds
is the back-stop for anything a notification could miss.

Each answer carries an ETag of its version, kind and query, and one rule
(`conditional`) answers a client that already has it with a 304, whether the
answer is served by the framework or before it (fast_path.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

import asyncpg
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.metrics_core import Metric

from shared import metrics
from shared.state import ServiceState, StateKey

from .projection import NOTIFY_CHANNEL, roll_version

log = logging.getLogger(__name__)

POLL_SECONDS = 5.0
MAX_ENTRIES = 4096
MAX_BYTES = 64 * 1024 * 1024
CACHE_CONTROL = "public, no-cache"  # may be stored, but asked again each time: the roll changes within a second


@dataclass(frozen=True, slots=True)
class Answer:
    body: bytes
    media_type: str
    etag: str
    headers: tuple[tuple[str, str], ...] = ()


Rendered = tuple[bytes, str, tuple[tuple[str, str], ...]]  # body, media type, headers beyond the caching ones


def conditional(
    etag: str, if_none_match: str | None, extra: Iterable[tuple[str, str]] = ()
) -> tuple[int, list[tuple[str, str]]]:
    """How to answer a request with this If-None-Match: 304 when it already has `etag`, else 200; and the
    answer's caching headers (`extra` after them)."""
    headers = [("etag", etag), ("cache-control", CACHE_CONTROL), *extra]
    return (304 if if_none_match is not None and etag in if_none_match else 200), headers


class RollCache:
    """The roll's version as this process knows it, and its answers cached by (version, kind, raw query)."""

    def __init__(self, pool: asyncpg.Pool, database_url: str) -> None:
        self.pool = pool
        self.database_url = database_url
        self.epoch = ""
        self._version = 0
        self._live = False  # True while the LISTEN connection is up
        self._answers: OrderedDict[tuple[int, str, bytes], Answer] = OrderedDict()
        self._bytes = 0
        self._task: asyncio.Task | None = None
        self._stopping = asyncio.Event()
        # Answers served from the cache and answers rendered (a query each), for /metrics: each request counts
        # once, whether the fast path or the framework answered it.
        self.hits = 0
        self.misses = 0

    async def start(self) -> None:
        self.epoch, self._version = await roll_version(self.pool)
        self._task = asyncio.create_task(self._listen(), name="roll-version-listener")

    async def stop(self) -> None:
        self._stopping.set()
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task

    def live_version(self) -> int | None:
        """The version, when the LISTEN connection vouches for it; else None."""
        return self._version if self._live else None

    async def version(self) -> int:
        if not self._live:
            self._set(await roll_version(self.pool))
        return self._version

    async def answer(self, kind: str, key: bytes, render: Callable[[], Awaitable[Rendered]]) -> Answer:
        """The answer of a query (`key`: its raw query string) at the roll's current version: cached, or
        rendered now and kept for the next reader."""
        version = await self.version()
        answer = self.get(version, kind, key)
        if answer is None:
            self.misses += 1
            body, media_type, headers = await render()
            answer = Answer(body, media_type, self.etag(version, kind, key), headers)
            self.put(version, kind, key, answer)
        return answer

    def _set(self, state: tuple[str, int]) -> None:
        epoch, version = state
        if epoch != self.epoch:  # the database was rebuilt: nothing cached holds
            self.epoch, self._version = epoch, version
            self._answers.clear()
            self._bytes = 0
        elif version > self._version:
            self._version = version

    def etag(self, version: int, kind: str, key: bytes) -> str:
        digest = hashlib.blake2b(kind.encode() + b"\0" + key, digest_size=8).hexdigest()
        return f'"{self.epoch[:8]}-{version}-{digest}"'

    def get(self, version: int, kind: str, key: bytes) -> Answer | None:
        answer = self._answers.get((version, kind, key))
        if answer is not None:
            self._answers.move_to_end((version, kind, key))
            self.hits += 1
        return answer

    def put(self, version: int, kind: str, key: bytes, answer: Answer) -> None:
        if version != self._version or len(answer.body) > MAX_BYTES // 8:
            return  # an answer of an old version is already stale; a huge one is not worth the memory
        self._answers[(version, kind, key)] = answer
        self._bytes += len(answer.body)
        while len(self._answers) > MAX_ENTRIES or self._bytes > MAX_BYTES:
            _, old = self._answers.popitem(last=False)
            self._bytes -= len(old.body)

    def _on_notify(self, _conn: object, _pid: int, _channel: str, payload: str) -> None:
        with contextlib.suppress(ValueError):
            version = int(payload)
            if version > self._version:
                self._version = version
                self._drop_older()

    def _drop_older(self) -> None:
        for key in [k for k in self._answers if k[0] < self._version]:
            self._bytes -= len(self._answers.pop(key).body)

    async def _listen(self) -> None:
        while not self._stopping.is_set():
            conn: asyncpg.Connection | None = None
            try:
                conn = await asyncpg.connect(self.database_url)
                lost = asyncio.Event()
                conn.add_termination_listener(lambda _c, lost=lost: lost.set())
                await conn.add_listener(NOTIFY_CHANNEL, self._on_notify)
                # Listening first, then reading: no change can fall between the two.
                self._set(await roll_version(conn))
                self._drop_older()
                self._live = True
                while not lost.is_set() and not self._stopping.is_set():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(lost.wait(), timeout=POLL_SECONDS)
                    if not lost.is_set():
                        self._set(await roll_version(conn))
                        self._drop_older()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("roll version listener failed; reading the version per request", extra={"error": repr(exc)})
            finally:
                self._live = False
                if conn is not None:
                    with contextlib.suppress(Exception):
                        await conn.close()
            if not self._stopping.is_set():
                await asyncio.sleep(1.0)


ROLL: StateKey[RollCache] = StateKey("roll")


async def start_roll_cache(service: ServiceState) -> None:
    roll = RollCache(service.pool, service.settings.database.url)
    await roll.start()
    service.put(ROLL, roll)
    metrics.add_source(service, roll_cache_metrics)


async def roll_cache_metrics(service: ServiceState) -> list[Metric]:
    """This process's roll cache on /metrics: answers served from it, answers rendered, entries and bytes kept."""
    roll = service.find(ROLL)
    if roll is None:
        return []
    pid = [str(os.getpid())]
    hits = CounterMetricFamily(
        "thidua_roll_cache_hits", "Roll answers served from this process's cache; sum over pid.", labels=["pid"]
    )
    misses = CounterMetricFamily(
        "thidua_roll_cache_misses",
        "Roll answers this process rendered (a query) because its cache did not hold them; sum over pid.",
        labels=["pid"],
    )
    entries = GaugeMetricFamily("thidua_roll_cache_entries", "Answers this process's roll cache holds.", labels=["pid"])
    size = GaugeMetricFamily(
        "thidua_roll_cache_bytes", "Bytes of the answers this process's roll cache holds.", labels=["pid"]
    )
    hits.add_metric(pid, roll.hits)
    misses.add_metric(pid, roll.misses)
    entries.add_metric(pid, len(roll._answers))
    size.add_metric(pid, roll._bytes)
    return [hits, misses, entries, size]


async def stop_roll_cache(service: ServiceState) -> None:
    roll = service.find(ROLL)
    if roll is not None:
        await roll.stop()


def provide_roll(service: ServiceState) -> RollCache:
    """The `roll` dependency."""
    return service.get(ROLL)
