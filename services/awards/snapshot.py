"""Everything the awards service announces, as fresh state events (`thidua republish awards`).

One `awards.campaign.updated` per campaign (with its categories), then one
event per award: `awards.award.granted` with the honouree's whole data, or
`awards.award.revoked`, each at the nomination's current version; then what
the public notice page shows: each approved nomination with a notice
(`awards.nomination.approved` with its window) and each objection
(`awards.objection.filed` or `resolved`, nothing of its author). All are built
by the same functions as the normal path (`publishes.py`). Nothing consumes
the other `awards.nomination.*`, the `awards.attachment.*`, `awards.council.*`,
`awards.decision.issued` and `awards.review.*` events (the roll learns of a
decision through its awards), so they are not restated.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg

from shared import events
from shared.outbox import Item

from .awards.repository import AWARD_SELECT
from .campaigns.repository import CAMPAIGN_COLUMNS, campaign, categories_of
from .domain.lifecycle import Action
from .domain.notice import Window
from .nominations.repository import NOMINATION_SELECT, nomination
from .notices.repository import OBJECTION_COLUMNS
from .notices.schemas import Objection
from .publishes import award_state, campaign_event, objection_item, transition_event


async def snapshot(conn: asyncpg.Connection, batch: int = 1000) -> AsyncIterator[list[Item]]:
    """Every campaign, then every granted or revoked award, `batch` events at a time, from one consistent snapshot."""
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        cursor = await conn.cursor(f"SELECT {CAMPAIGN_COLUMNS} FROM campaigns ORDER BY id")
        while rows := await cursor.fetch(batch):
            categories = await categories_of(conn, [r["id"] for r in rows])
            campaigns = [campaign(r, categories[r["id"]]) for r in rows]
            yield [(campaign_event(events.CampaignUpdated, c), c.id, c.version) for c in campaigns]
        cursor = await conn.cursor(f"{AWARD_SELECT} WHERE n.status IN ('granted', 'revoked') ORDER BY n.id")
        while rows := await cursor.fetch(batch):
            yield [award_state(r) for r in rows]
        cursor = await conn.cursor(
            """SELECT id, approved_on, comment_until FROM nominations
               WHERE status = 'approved' AND comment_until IS NOT NULL ORDER BY id"""
        )
        while rows := await cursor.fetch(batch):
            found = await conn.fetch(f"{NOMINATION_SELECT} WHERE n.id = ANY($1::uuid[])", [r["id"] for r in rows])
            on_notice = {n.id: n for n in map(nomination, found)}
            yield [
                (
                    transition_event(
                        Action.APPROVE, on_notice[r["id"]], None, window=Window(r["approved_on"], r["comment_until"])
                    ),
                    r["id"],
                    on_notice[r["id"]].version,
                )
                for r in rows
            ]
        cursor = await conn.cursor(f"SELECT {OBJECTION_COLUMNS} FROM objections ORDER BY id")
        while rows := await cursor.fetch(batch):
            yield [objection_item(Objection(**dict(r))) for r in rows]
