"""The ceremonies' use cases: plan one, hold one. Each checks the rules
(domain.py), writes, and publishes the ceremony's new state in one
transaction."""

from __future__ import annotations

import uuid
from datetime import datetime

import asyncpg

from .. import domain, publishes
from ..roll import projection, queries
from . import repository
from .schemas import Ceremony, CeremonyCreate


async def create(conn: asyncpg.Connection, data: CeremonyCreate, created_by: uuid.UUID) -> Ceremony:
    title = domain.ceremony_text(data.title, "title")
    venue = domain.ceremony_text(data.venue, "venue")
    campaign_ids = domain.distinct_campaigns(data.campaign_ids)
    domain.check_plan(
        data.host_unit_id,
        await queries.unit_exists(conn, data.host_unit_id),
        data.campaign_ids,
        await queries.known_campaigns(conn, campaign_ids),
    )
    async with conn.transaction():
        row = await repository.insert(
            conn,
            title=title,
            held_on=data.held_on,
            venue=venue,
            host_unit_id=data.host_unit_id,
            campaign_ids=campaign_ids,
            created_by=created_by,
        )
        await publishes.publish(conn, [publishes.ceremony_created(row)])
    return await repository.get(conn, row["id"])


async def hold(conn: asyncpg.Connection, ceremony_id: uuid.UUID, now: datetime) -> Ceremony:
    """Record that the ceremony took place: each honouree it presented carries it on the roll."""
    async with conn.transaction():
        current = await repository.lock(conn, ceremony_id)
        domain.check_hold(domain.CeremonyStatus(current["status"]), current["held_on"], domain.vietnam_day(now))
        row = await repository.mark_held(conn, ceremony_id, now)
        count = await projection.present_at(conn, ceremony_id, row["campaign_ids"], row["held_on"])
        await publishes.publish(conn, [publishes.ceremony_held(row, held_at=now, honoree_count=count)])
    return await repository.get(conn, ceremony_id)
