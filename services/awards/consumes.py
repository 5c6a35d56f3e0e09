"""What the awards service consumes: units' events, to keep local copies of the unit tree, people and accounts.

With the copies a nomination is checked without a call to the units service.
Each event carries its aggregate's version; an older one than the copy holds
changes nothing.
"""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from shared import account_blocks, events, unit_copy
from shared.consumer import Subscription

from .council import repository as council
from .notices import service as notices


async def on_unit(conn: asyncpg.Connection, env: events.Envelope) -> None:
    await unit_copy.apply(conn, env)


async def on_units(conn: asyncpg.Connection, envs: Sequence[events.Envelope]) -> None:
    """`on_unit` for consecutive unit events at once (an import)."""
    await unit_copy.apply_many(conn, envs)


async def on_person(conn: asyncpg.Connection, env: events.Envelope) -> None:
    await on_people(conn, [env])


async def on_people(conn: asyncpg.Connection, envs: Sequence[events.Envelope]) -> None:
    """`on_person` for consecutive person events at once (a bulk import): one upsert, each person's newest."""
    newest: dict[object, tuple[events.PersonState, int]] = {}
    for env in envs:
        if isinstance(env.data, events.PersonState) and env.version > newest.get(env.data.id, (env.data, 0))[1]:
            newest[env.data.id] = (env.data, env.version)
    if not newest:
        return
    people = list(newest.values())
    await conn.execute(
        """INSERT INTO people (id, full_name, unit_id, position, version)
           SELECT * FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::text[], $5::int[])
           ON CONFLICT (id) DO UPDATE
               SET full_name = EXCLUDED.full_name, unit_id = EXCLUDED.unit_id, position = EXCLUDED.position,
                   version = EXCLUDED.version, updated_at = now()
               WHERE people.version < EXCLUDED.version""",
        [p.id for p, _ in people],
        [p.full_name for p, _ in people],
        [p.unit_id for p, _ in people],
        [p.position for p, _ in people],
        [v for _, v in people],
    )


async def on_account(conn: asyncpg.Connection, env: events.Envelope) -> None:
    """Disabled accounts (shared/account_blocks.py), and the copy of accounts the council is made of."""
    await account_blocks.on_account(conn, env)
    if isinstance(env.data, events.AccountState):
        a = env.data
        await council.apply_account(
            conn,
            account_id=a.id,
            username=a.username,
            display_name=a.display_name,
            role=a.role,
            unit_id=a.unit_id,
            version=env.version,
        )


UNITS = Subscription(
    durable="awards-units",
    stream=events.UNITS_STREAM,
    handlers={
        events.UnitCreated: on_unit,
        events.UnitRenamed: on_unit,
        events.UnitMoved: on_unit,
        events.PersonCreated: on_person,
        events.PersonUpdated: on_person,
        # Disabled accounts, whose tokens every service refuses (shared/account_blocks.py), and the
        # copy of accounts (the council's members and their names).
        events.AccountCreated: on_account,
        events.AccountUpdated: on_account,
    },
    batch_handlers={
        **dict.fromkeys((events.UnitCreated, events.UnitRenamed, events.UnitMoved), on_units),
        **dict.fromkeys((events.PersonCreated, events.PersonUpdated), on_people),
    },
)


async def on_objection(conn: asyncpg.Connection, env: events.Envelope) -> None:
    """An objection the public sent from the events service's notice page: filed here, once (its id)."""
    if isinstance(env.data, events.ObjectionReceived):
        await notices.file_received(conn, env.data)


# The events service's stream: objections from its public notice page. The service provisions the streams its
# subscriptions read at start (shared/messaging.py), so EVENTS exists whichever service starts first.
EVENTS = Subscription(
    durable="awards-events",
    stream=events.EVENTS_STREAM,
    handlers={events.ObjectionReceived: on_objection},
)
