"""What the events service consumes, and what it does with each event.

Each handler runs inside the consumer's transaction, beside the inbox row of
the event (shared/consumer.py), so a redelivered event changes nothing; each
applies an event only when it is newer than what the read model holds
(roll/projection.py), so a replayed or late event never brings back an older
state.
"""

from __future__ import annotations

import asyncpg

from shared import account_blocks, events, unit_copy
from shared.consumer import Subscription

from .roll import projection

# Handlers take milliseconds: a message fetched by a process that died comes
# back to another within seconds, not the default half minute.
ACK_WAIT_SECONDS = 5.0


async def on_unit(conn: asyncpg.Connection, env: events.Envelope) -> None:
    """The local copy of the tree (subtree filters), and the unit's name on every row of the roll."""
    assert isinstance(env.data, events.UnitState)
    if await unit_copy.apply(conn, env):
        await projection.apply_unit_changed(conn, env.data.id)


async def on_campaign(conn: asyncpg.Connection, env: events.Envelope) -> None:
    """Campaigns, for the roll's filters and for ceremonies."""
    assert isinstance(env.data, events.CampaignState)
    await projection.apply_campaign(conn, env.data, env.version)


async def on_award_granted(conn: asyncpg.Connection, env: events.Envelope) -> None:
    assert isinstance(env.data, events.AwardGranted)
    await projection.apply_grant(conn, env.data, env.version, env.occurred_at)


async def on_award_revoked(conn: asyncpg.Connection, env: events.Envelope) -> None:
    assert isinstance(env.data, events.AwardRevoked)
    await projection.apply_revoke(conn, env.data, env.version)


UNITS = Subscription(
    durable="events-units",
    stream=events.UNITS_STREAM,
    handlers={
        **dict.fromkeys((events.UnitCreated, events.UnitRenamed, events.UnitMoved), on_unit),
        # Disabled accounts, whose tokens every service refuses (shared/account_blocks.py).
        **dict.fromkeys((events.AccountCreated, events.AccountUpdated), account_blocks.on_account),
    },
    ack_wait=ACK_WAIT_SECONDS,
)

# Nominations and decisions are not public: the roll learns of a decision
# through the awards it grants.
AWARDS = Subscription(
    durable="events-awards",
    stream=events.AWARDS_STREAM,
    handlers={
        events.CampaignCreated: on_campaign,
        events.CampaignUpdated: on_campaign,
        events.AwardGranted: on_award_granted,
        events.AwardRevoked: on_award_revoked,
    },
    ack_wait=ACK_WAIT_SECONDS,
)

SUBSCRIPTIONS = [UNITS, AWARDS]
