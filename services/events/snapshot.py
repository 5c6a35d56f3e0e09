"""Every ceremony, as a fresh state event (`thidua republish events`).

`events.ceremony.created` for a planned ceremony, `events.ceremony.held` for
a held one (with the honourees it presents now), each at the ceremony's
current version and built by the same function as the normal path.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg

from shared import events

from .repository import _ceremony_event

Item = tuple[events.EventData, object, int]


def ceremony_state(row: asyncpg.Record) -> Item:
    data: events.EventData
    if row["status"] == "held":
        data = _ceremony_event(events.CeremonyHeld, row, held_at=row["held_at"], honoree_count=row["honoree_count"])
    else:
        data = _ceremony_event(events.CeremonyCreated, row)
    return data, row["id"], row["version"]


async def snapshot(conn: asyncpg.Connection, batch: int = 1000) -> AsyncIterator[list[Item]]:
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        cursor = await conn.cursor(
            """SELECT c.*, (SELECT count(*) FROM honorees h WHERE h.ceremony_id = c.id AND h.status = 'granted')
                          AS honoree_count
               FROM ceremonies c ORDER BY c.id"""
        )
        while rows := await cursor.fetch(batch):
            yield [ceremony_state(r) for r in rows]
