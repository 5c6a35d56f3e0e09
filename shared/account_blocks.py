"""Disabled accounts: their tokens refused by every service within a second, though unexpired.

Each service keeps which accounts are disabled in its own database (the
`account_blocks` migration set): the units service writes it in the
transaction that disables or enables an account; awards and events apply the
`units.account.*` events to it (`on_account`, named in their `consumes.py`).
Every write that may change the set of disabled accounts sends `NOTIFY
account_blocks` in the same transaction; a new account that is not disabled
(most writes: one per account created) sends none, as it changes nothing a
process holds. A NOTIFY makes PostgreSQL commit under its global notify lock,
but these writes are rare (an account disabled, enabled or edited), apply one
at a time in each service, and must reach every process of every replica
within a second: for them the NOTIFY stays (docs/architecture.md).

Every process (each granian worker of each replica) holds the disabled ids in
memory (`AccountBlocks`): loaded at start, read again whenever a notification
arrives on its own LISTEN connection, and every few seconds as a back-stop.
A JetStream durable hands each event to one process only, so the consumer
cannot be what tells the others; the notification reaches them all. The
token verifier (`shared.auth.TokenVerifier`) asks `account_id in blocks`: a set
lookup, nothing more, on every request.

The skeleton (`shared/web.py`) starts it for every service whose migrations
name this set; a service that verifies tokens names it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid

import asyncpg

from shared import events
from shared.db import Queryable
from shared.state import ServiceState, StateKey

log = logging.getLogger(__name__)

MIGRATION_SET = "account_blocks"
CHANNEL = "account_blocks"
# The back-stop: a notification lost with its connection is made good within this.
RELOAD_SECONDS = 5.0
RECONNECT_SECONDS = 0.5
QUERY_TIMEOUT = 5.0


async def record(conn: asyncpg.Connection, account_id: uuid.UUID, *, disabled: bool, version: int) -> bool:
    """Record whether an account is disabled, at its `version`, in the caller's transaction.

    An older version than the one held changes nothing. A change that may
    change the disabled set notifies every process of this service at commit.
    True when it changed the row.
    """
    changed = await conn.fetchrow(
        """INSERT INTO account_blocks (account_id, disabled, version) VALUES ($1, $2, $3)
           ON CONFLICT (account_id) DO UPDATE
               SET disabled = EXCLUDED.disabled, version = EXCLUDED.version, updated_at = now()
               WHERE account_blocks.version < EXCLUDED.version
           RETURNING xmax = 0 AS inserted""",
        account_id,
        disabled,
        version,
    )
    if changed is not None and (disabled or not changed["inserted"]):
        # Delivered at commit, and only if it commits: no process reloads a change that did not happen.
        await conn.execute("SELECT pg_notify($1, '')", CHANNEL)
    return changed is not None


async def on_account(conn: asyncpg.Connection, env: events.Envelope) -> None:
    """The handler of `units.account.created/updated` in the services that consume them."""
    if isinstance(env.data, events.AccountState):
        await record(conn, env.data.id, disabled=env.data.disabled, version=env.version)


async def disabled_ids(conn: Queryable) -> frozenset[uuid.UUID]:
    rows = await conn.fetch("SELECT account_id FROM account_blocks WHERE disabled", timeout=QUERY_TIMEOUT)
    return frozenset(r["account_id"] for r in rows)


class AccountBlocks:
    """The disabled account ids as this process knows them; `account_id in blocks` is the whole cost."""

    def __init__(self, pool: asyncpg.Pool, database_url: str, *, reload_seconds: float = RELOAD_SECONDS) -> None:
        self.pool = pool
        self.database_url = database_url
        self.reload_seconds = reload_seconds
        self._ids: frozenset[uuid.UUID] = frozenset()
        self._task: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self.live = False  # True while the LISTEN connection is up

    def __contains__(self, account_id: object) -> bool:
        return account_id in self._ids

    def __len__(self) -> int:
        return len(self._ids)

    async def start(self) -> None:
        self._ids = await disabled_ids(self.pool)
        self._task = asyncio.create_task(self._listen(), name="account-blocks-listener")

    async def stop(self) -> None:
        self._stopping.set()
        if self._task:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task

    async def _listen(self) -> None:
        while not self._stopping.is_set():
            try:
                await self._follow()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("account blocks listener failed; reconnecting", extra={"error": repr(exc)})
                # Not listening: read through the pool meanwhile, so the set does not go stale.
                with contextlib.suppress(Exception):
                    self._ids = await disabled_ids(self.pool)
            finally:
                self.live = False
            if not self._stopping.is_set():
                await asyncio.sleep(RECONNECT_SECONDS)

    async def _follow(self) -> None:
        """Listen on one connection, reading the set at each notification and every `reload_seconds`."""
        conn = await asyncpg.connect(self.database_url, timeout=QUERY_TIMEOUT)
        try:
            wake = asyncio.Event()
            lost = asyncio.Event()

            def on_lost(_conn: object) -> None:
                lost.set()
                wake.set()

            conn.add_termination_listener(on_lost)
            await conn.add_listener(CHANNEL, lambda *_: wake.set())
            self.live = True
            while not lost.is_set() and not self._stopping.is_set():
                # Listening first, then reading: no change can fall between the two. A
                # notification that arrives during the read wakes the next one.
                wake.clear()
                self._ids = await disabled_ids(conn)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), timeout=self.reload_seconds)
        finally:
            with contextlib.suppress(Exception):
                await conn.close()


BLOCKS: StateKey[AccountBlocks] = StateKey("account_blocks")


async def start(service: ServiceState) -> None:
    """At start: load the set, keep it current, and have the token verifier refuse its accounts."""
    blocks = AccountBlocks(service.pool, service.settings.database.url)
    await blocks.start()
    service.put(BLOCKS, blocks)
    service.verifier.refuse_accounts(blocks)


async def stop(service: ServiceState) -> None:
    blocks = service.find(BLOCKS)
    if blocks is not None:
        await blocks.stop()
