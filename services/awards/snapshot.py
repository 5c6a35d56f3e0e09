"""Everything the awards service announces, as fresh state events (`thidua republish awards`).

One `awards.campaign.updated` per campaign (with its categories), then one
event per award: `awards.award.granted` with the honouree's whole data, or
`awards.award.revoked`, each at the nomination's current version and built
by the same functions as the normal path. Nothing consumes the
`awards.nomination.*` and `awards.decision.issued` events (the roll learns
of a decision through its awards), so they are not restated.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg

from shared import events

from .repository import AWARD_SELECT, CAMPAIGN_COLUMNS, _campaign_event, _categories_of, _granted_event, _revoked_event
from .schemas import Campaign

Item = tuple[events.EventData, object, int]


def award_state(row: asyncpg.Record) -> Item:
    data: events.EventData
    if row["status"] == "revoked":
        data = _revoked_event(row["award_id"], revoked_at=row["revoked_at"], reason=row["revocation_reason"],
                              campaign_id=row["campaign_id"], category_id=row["category_id"])
    else:
        data = _granted_event(row)
    return data, row["award_id"], row["version"]


async def snapshot(conn: asyncpg.Connection, batch: int = 1000) -> AsyncIterator[list[Item]]:
    """Every campaign, then every granted or revoked award, `batch` events at a time, from one consistent snapshot."""
    async with conn.transaction(isolation="repeatable_read", readonly=True):
        cursor = await conn.cursor(f"SELECT {CAMPAIGN_COLUMNS} FROM campaigns ORDER BY id")
        while rows := await cursor.fetch(batch):
            categories = await _categories_of(conn, [r["id"] for r in rows])
            campaigns = [Campaign(**dict(r), categories=categories[r["id"]]) for r in rows]
            yield [(_campaign_event(events.CampaignUpdated, c), c.id, c.version) for c in campaigns]
        cursor = await conn.cursor(f"{AWARD_SELECT} WHERE n.status IN ('granted', 'revoked') ORDER BY n.id")
        while rows := await cursor.fetch(batch):
            yield [award_state(r) for r in rows]
