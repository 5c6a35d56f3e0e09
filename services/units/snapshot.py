"""Everything the units service owns, as fresh state events (`thidua republish units`).

The reconciliation path that does not depend on what the broker or the
outbox still holds: one event per unit (parents before children) and per
person, each with the aggregate's current whole state and version, built by
the same code as the normal path. A consumer applies one whose aggregate it
lacks or holds at an older version, and ignores the rest.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg

from shared import events

from .repository import PERSON_COLUMNS, UNIT_COLUMNS, _person, _person_event, _unit, _unit_event

Item = tuple[events.EventData, object, int]


def unit_state(row: asyncpg.Record) -> Item:
    unit = _unit(row)
    # The envelope's version is what consumers compare; the subject only names
    # the last change. A unit never changed since its creation is "created".
    cls = events.UnitCreated if unit.version == 1 else events.UnitRenamed
    return _unit_event(cls, unit), unit.id, unit.version


def person_state(row: asyncpg.Record) -> Item:
    person = _person(row)
    return _person_event(events.PersonUpdated, person), person.id, person.version


async def snapshot(conn: asyncpg.Connection, batch: int = 1000) -> AsyncIterator[list[Item]]:
    """The current state of every unit and person, `batch` events at a time, from one consistent snapshot."""
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        for query, build in (
            (f"SELECT {UNIT_COLUMNS} FROM units ORDER BY nlevel(path), id", unit_state),
            (f"SELECT {PERSON_COLUMNS} FROM people ORDER BY id", person_state),
        ):
            cursor = await conn.cursor(query)
            while rows := await cursor.fetch(batch):
                yield [build(r) for r in rows]
