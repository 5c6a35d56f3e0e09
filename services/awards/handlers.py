"""What the awards service does with the events it consumes: it keeps local
copies of the unit tree and of people, so a nomination is checked without a
call to the units service. Each event carries its aggregate's version; an
older one than the copy holds changes nothing."""

from __future__ import annotations

import asyncpg

from shared import events, unit_copy

from . import repository


async def on_units_event(conn: asyncpg.Connection, env: events.Envelope) -> None:
    if isinstance(env.data, events.UnitState):
        await unit_copy.apply(conn, env)
    elif isinstance(env.data, events.PersonState):
        await repository.apply_person(conn, env.data, env.version)
