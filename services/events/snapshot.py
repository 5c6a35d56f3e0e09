"""Every ceremony, as a fresh state event (`thidua republish events`), and the
rebuild of the roll (`thidua rebuild events`).

`events.ceremony.created` for a planned ceremony, `events.ceremony.held` for
a held one (with the honourees it presents now), each at the ceremony's
current version and built by the same function as the normal path
(publishes.py).
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg

from shared.outbox import Item

from .publishes import ceremony_state
from .roll.projection import bump_version


async def snapshot(conn: asyncpg.Connection, batch: int = 1000) -> AsyncIterator[list[Item]]:
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        cursor = await conn.cursor(
            """SELECT c.*, (SELECT count(*) FROM honorees h WHERE h.ceremony_id = c.id AND h.status = 'granted')
                          AS honoree_count
               FROM ceremonies c ORDER BY c.id"""
        )
        while rows := await cursor.fetch(batch):
            yield [ceremony_state(r) for r in rows]


# ------------------------------------------------------------------ rebuild
# `thidua rebuild events`: the roll and its campaigns restated from the awards
# service, including what `republish` alone cannot mend (a row whose award
# the source no longer has, a row corrupted at its current version). Rows are
# not emptied first: the roll stays up, and each honouree keeps the ceremony
# that presented it (a stamp the awards service does not know of).
async def begin_rebuild(conn: asyncpg.Connection) -> int:
    """Mark every row of the roll and every campaign unconfirmed (version 0): any restated event is newer.

    Returns how many roll rows await confirmation.
    """
    async with conn.transaction():
        await conn.execute("UPDATE campaigns SET version = 0 WHERE version <> 0")
        status = await conn.execute("UPDATE honorees SET version = 0 WHERE version <> 0")
    return int(status.split()[-1])


async def finish_rebuild(conn: asyncpg.Connection) -> tuple[int, int]:
    """After the restated events were applied: drop what the source did not confirm. (roll rows, campaigns)."""
    async with conn.transaction():
        rows = int((await conn.execute("DELETE FROM honorees WHERE version = 0")).split()[-1])
        campaigns = int((await conn.execute("DELETE FROM campaigns WHERE version = 0")).split()[-1])
        if rows or campaigns:
            await bump_version(conn)
    return rows, campaigns
