"""What the events service consumes, and what it does with each event.

Each handler runs inside the consumer's transaction, beside the inbox row of
the event (shared/consumer.py), so a redelivered event changes nothing; each
applies an event only when it is newer than what the read model holds
(roll/projection.py), so a replayed or late event never brings back an older
state.
"""

from __future__ import annotations

from collections.abc import Sequence

import asyncpg

from shared import account_blocks, events, unit_copy
from shared.consumer import Subscription

from .notices import projection as notices
from .roll import projection
from .verify import projection as verify

# Handlers take milliseconds: a message fetched by a process that died comes
# back to another within seconds, not the default half minute.
ACK_WAIT_SECONDS = 5.0


async def on_unit(conn: asyncpg.Connection, env: events.Envelope) -> None:
    """The local copy of the tree (subtree filters), and the unit's name on every row of the roll."""
    assert isinstance(env.data, events.UnitState)
    if await unit_copy.apply(conn, env):
        await projection.apply_units_changed(conn, [env.data.id])


async def on_units(conn: asyncpg.Connection, envs: Sequence[events.Envelope]) -> None:
    """`on_unit` for consecutive unit events at once (an import)."""
    changed = await unit_copy.apply_many(conn, envs)
    if changed:
        await projection.apply_units_changed(conn, changed)


async def on_campaign(conn: asyncpg.Connection, env: events.Envelope) -> None:
    """Campaigns, for the roll's filters and for ceremonies."""
    assert isinstance(env.data, events.CampaignState)
    await projection.apply_campaign(conn, env.data, env.version)


async def on_award_granted(conn: asyncpg.Connection, env: events.Envelope) -> None:
    """The award on the roll; its nomination off the public notice (the envelope's version is the nomination's)."""
    assert isinstance(env.data, events.AwardGranted)
    await projection.apply_grant(conn, env.data, env.version, env.occurred_at)
    await notices.close_granted(conn, env.data.nomination_id, env.version)
    await verify.apply_grant(conn, env.data, env.version)  # its certificate's code, for /verify


async def on_award_revoked(conn: asyncpg.Connection, env: events.Envelope) -> None:
    assert isinstance(env.data, events.AwardRevoked)
    await projection.apply_revoke(conn, env.data, env.version)
    await verify.apply_revoke(conn, env.data, env.version)  # /verify then says it was revoked


async def on_nomination(conn: asyncpg.Connection, env: events.Envelope) -> None:
    """The public notice: approved with a comment window, a nomination is listed; rejected, withdrawn or
    returned, it leaves (notices/projection.py)."""
    assert isinstance(env.data, events.NominationState)
    await notices.apply_nomination(conn, env.data, env.version)


async def on_objection(conn: asyncpg.Connection, env: events.Envelope) -> None:
    """How many objections to a notice the committee is considering (never the objector's data)."""
    assert isinstance(env.data, events.ObjectionState)
    await notices.apply_objection(conn, env.data, env.version)


UNITS = Subscription(
    durable="events-units",
    stream=events.UNITS_STREAM,
    handlers={
        **dict.fromkeys((events.UnitCreated, events.UnitRenamed, events.UnitMoved), on_unit),
        # Disabled accounts, whose tokens every service refuses (shared/account_blocks.py).
        **dict.fromkeys((events.AccountCreated, events.AccountUpdated), account_blocks.on_account),
    },
    batch_handlers=dict.fromkeys((events.UnitCreated, events.UnitRenamed, events.UnitMoved), on_units),
    ack_wait=ACK_WAIT_SECONDS,
)

# Decisions are not public: the roll learns of a decision through the awards
# it grants. A nomination is public only while on notice: approved with a
# comment window, until the window ends (notices/); the events that take an
# approved one off it are handled too (submitted, resubmitted and updated
# come before any approval, and are not sent here). Adding subjects here
# widens the existing durable's filter at the next start (shared/consumer.py).
AWARDS = Subscription(
    durable="events-awards",
    stream=events.AWARDS_STREAM,
    handlers={
        events.CampaignCreated: on_campaign,
        events.CampaignUpdated: on_campaign,
        events.AwardGranted: on_award_granted,
        events.AwardRevoked: on_award_revoked,
        **dict.fromkeys(
            (
                events.NominationApproved,
                events.NominationRejected,
                events.NominationWithdrawn,
                events.NominationReturned,
            ),
            on_nomination,
        ),
        **dict.fromkeys((events.ObjectionFiled, events.ObjectionResolved), on_objection),
    },
    ack_wait=ACK_WAIT_SECONDS,
)

SUBSCRIPTIONS = [UNITS, AWARDS]
