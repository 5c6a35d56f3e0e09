"""What the awards service does with the events it consumes."""

from __future__ import annotations

import asyncpg

from shared import events, unit_copy


async def on_units_event(conn: asyncpg.Connection, env: events.Envelope) -> None:
    if isinstance(env.data, events.UnitState):
        await unit_copy.apply(conn, env)
