"""Everything the units service owns, as fresh state events (`thidua republish units`).

The reconciliation path that does not depend on what the broker or the
outbox still holds: one event per unit (parents before children), per
person and per account, each with the aggregate's current whole state and version, built by
the same code as the normal path. A consumer applies one whose aggregate it
lacks or holds at an older version, and ignores the rest.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg

from shared import outbox

from . import publishes
from .accounts.repository import ACCOUNT_COLUMNS, account_from_row
from .people.repository import PERSON_COLUMNS, person_from_row
from .units.repository import UNIT_COLUMNS, unit_from_row


def unit_state(row: asyncpg.Record) -> outbox.Item:
    unit = unit_from_row(row)
    # The envelope's version is what consumers compare; the subject only names
    # the last change. A unit never changed since its creation is "created".
    return publishes.unit_created(unit) if unit.version == 1 else publishes.unit_renamed(unit)


def person_state(row: asyncpg.Record) -> outbox.Item:
    return publishes.person_updated(person_from_row(row))


def account_state(row: asyncpg.Record) -> outbox.Item:
    account = account_from_row(row)
    return publishes.account_created(account) if account.version == 1 else publishes.account_updated(account)


async def snapshot(conn: asyncpg.Connection, batch: int = 1000) -> AsyncIterator[list[outbox.Item]]:
    """The current state of every unit, person and account, `batch` events at a time, from one consistent snapshot."""
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        for query, build in (
            (f"SELECT {UNIT_COLUMNS} FROM units ORDER BY nlevel(path), id", unit_state),
            (f"SELECT {PERSON_COLUMNS} FROM people ORDER BY id", person_state),
            (f"SELECT {ACCOUNT_COLUMNS} FROM accounts ORDER BY id", account_state),
        ):
            cursor = await conn.cursor(query)
            while rows := await cursor.fetch(batch):
                yield [build(r) for r in rows]
