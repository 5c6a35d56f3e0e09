"""What the events service does with the events it consumes.

Each handler runs inside the consumer's transaction, beside the inbox row of
the event (shared/consumer.py), so a redelivered event changes nothing; each
applies an event only when it is newer than what the read model holds, so a
replayed or late event never brings back an older state.
"""

from __future__ import annotations

import asyncpg

from shared import events, unit_copy

from . import repository


async def on_units_event(conn: asyncpg.Connection, env: events.Envelope) -> None:
    """units.>: the local copy of the tree, and the unit names on the roll."""
    if isinstance(env.data, events.UnitState) and await unit_copy.apply(conn, env):
        await repository.apply_unit_changed(conn, env.data.id)


async def on_awards_event(conn: asyncpg.Connection, env: events.Envelope) -> None:
    """awards.>: campaigns (for filters and ceremonies) and the awards on the roll."""
    data = env.data
    if isinstance(data, events.AwardGranted):
        await repository.apply_award_granted(conn, env)
    elif isinstance(data, events.AwardRevoked):
        await repository.apply_award_revoked(conn, env)
    elif isinstance(data, events.CampaignState):
        await repository.apply_campaign(conn, env)
    # Nominations and decisions are not public: the roll learns of a decision
    # through the awards it grants.
