"""Answers of the public roll, cached by the roll's version.

The roll is read far more often than it changes. Every change bumps a version
in PostgreSQL and announces it with NOTIFY (repository.bump_version); each
process keeps the version in memory from a LISTEN connection, so serving a
cached answer costs no query at all. While that connection is down, the
version is read per request instead (one tiny query), so an answer is never
served from a version the process cannot vouch for. A poll every few seconds
is the back-stop for anything a notification could miss.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections import OrderedDict
from dataclasses import dataclass

import asyncpg

from . import repository

log = logging.getLogger(__name__)

POLL_SECONDS = 5.0
MAX_ENTRIES = 4096
MAX_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Answer:
    body: bytes
    media_type: str
    etag: str
    headers: tuple[tuple[str, str], ...] = ()


class RollCache:
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
        self.hits = 0
        self.misses = 0

    async def start(self) -> None:
        self.epoch, self._version = await repository.roll_version(self.pool)
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
            self._set(await repository.roll_version(self.pool))
        return self._version

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
        else:
            self.misses += 1
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
                conn.add_termination_listener(lambda _c: lost.set())
                await conn.add_listener(repository.NOTIFY_CHANNEL, self._on_notify)
                # Listening first, then reading: no change can fall between the two.
                self._set(await repository.roll_version(conn))
                self._drop_older()
                self._live = True
                while not lost.is_set() and not self._stopping.is_set():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(lost.wait(), timeout=POLL_SECONDS)
                    if not lost.is_set():
                        self._set(await repository.roll_version(conn))
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
