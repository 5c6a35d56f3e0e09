"""How the events the roll consumes change it: campaigns, grants, revocations,
unit renames, and a held ceremony's stamp on the honourees it presented.

Each applies only what is newer than what the roll holds (domain.is_newer: the
`WHERE version < EXCLUDED.version` of each upsert), and a revoke leaves a
tombstone (domain.apply), so a redelivered, late or replayed event never
brings back an older state.

Every change that a public answer could show bumps the roll's version in the
same transaction and announces it (NOTIFY roll_changed), so that cached
answers keyed by the version (cache.py) are never served stale for long.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime

import asyncpg

from shared import events
from shared.db import Queryable
from shared.text import nfc

from ..domain import presenting_ceremony
from .collation import sort_group, sort_key

NOTIFY_CHANNEL = "roll_changed"


# ------------------------------------------------------------ roll version
async def bump_version(conn: asyncpg.Connection) -> int:
    """Mark the roll changed; call inside the transaction that changed it."""
    version = await conn.fetchval("UPDATE roll_state SET version = version + 1 RETURNING version")
    await conn.execute("SELECT pg_notify($1, $2)", NOTIFY_CHANNEL, str(version))
    return int(version)


async def roll_version(conn: Queryable) -> tuple[str, int]:
    row = await conn.fetchrow("SELECT epoch, version FROM roll_state")
    return row["epoch"], int(row["version"])


# --------------------------------------------------------------- campaigns
async def apply_campaign(conn: asyncpg.Connection, data: events.CampaignState, version: int) -> bool:
    """The campaign as announced, and its (new) names on every row of the roll."""
    categories = [
        {"id": str(c.id), "name": nfc(c.name), "nominee_kind": c.nominee_kind, "form": c.form} for c in data.categories
    ]
    changed = await conn.fetchval(
        """INSERT INTO campaigns (id, code, name, year, organizer_unit_id, status, categories, version)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
           ON CONFLICT (id) DO UPDATE
               SET code = EXCLUDED.code, name = EXCLUDED.name, year = EXCLUDED.year,
                   organizer_unit_id = EXCLUDED.organizer_unit_id, status = EXCLUDED.status,
                   categories = EXCLUDED.categories, version = EXCLUDED.version, updated_at = now()
               WHERE campaigns.version < EXCLUDED.version
           RETURNING true""",
        data.id,
        data.code,
        nfc(data.name),
        data.year,
        data.organizer_unit_id,
        data.status,
        categories,
        version,
    )
    if not changed:
        return False
    # The roll shows a campaign and its categories under their current names.
    await conn.execute(
        """UPDATE honorees SET campaign_name = $2, year = $3, updated_at = now()
           WHERE campaign_id = $1 AND (campaign_name, year) IS DISTINCT FROM ($2, $3)""",
        data.id,
        nfc(data.name),
        data.year,
    )
    await conn.execute(
        """UPDATE honorees h SET category_name = c.name, updated_at = now()
           FROM jsonb_to_recordset($2::jsonb) AS c (id uuid, name text)
           WHERE h.campaign_id = $1 AND h.category_id = c.id AND h.category_name IS DISTINCT FROM c.name""",
        data.id,
        categories,
    )
    await bump_version(conn)  # the campaign filters of the page change too
    return True


# ------------------------------------------------------------------ awards
async def apply_grant(conn: asyncpg.Connection, d: events.AwardGranted, version: int, occurred_at: datetime) -> bool:
    """The award on the roll, under the current names of its unit, campaign and category."""
    name = nfc(d.name)
    # The local copies are newer than, or as new as, what the award carried,
    # or they will be: a pending rename reaches every row when it arrives.
    current = await conn.fetchrow(
        """SELECT (SELECT name FROM units WHERE id = $1) AS unit_name,
                  c.name AS campaign_name, c.year,
                  (SELECT x->>'name' FROM jsonb_array_elements(c.categories) x WHERE x->>'id' = $3::text) AS category_name
           FROM (SELECT 1) one LEFT JOIN campaigns c ON c.id = $2""",
        d.unit_id,
        d.campaign_id,
        str(d.category_id),
    )
    held = await conn.fetch(
        "SELECT held_on, id FROM ceremonies WHERE status = 'held' AND $1::uuid = ANY(campaign_ids)", d.campaign_id
    )
    ceremony_id = presenting_ceremony([(r["held_on"], r["id"]) for r in held], d.decision_date)
    changed = await conn.fetchval(
        """INSERT INTO honorees (award_id, version, status, kind, name, unit_id, unit_name, campaign_id,
                                 campaign_name, year, category_id, category_name, form, decision_number,
                                 decision_date, ceremony_id, sort_group, sort_key, granted_at)
           VALUES ($1, $2, 'granted', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)
           ON CONFLICT (award_id) DO UPDATE
               SET version = EXCLUDED.version, status = 'granted', kind = EXCLUDED.kind, name = EXCLUDED.name,
                   unit_id = EXCLUDED.unit_id, unit_name = EXCLUDED.unit_name,
                   campaign_id = EXCLUDED.campaign_id, campaign_name = EXCLUDED.campaign_name,
                   year = EXCLUDED.year, category_id = EXCLUDED.category_id,
                   category_name = EXCLUDED.category_name, form = EXCLUDED.form,
                   decision_number = EXCLUDED.decision_number, decision_date = EXCLUDED.decision_date,
                   ceremony_id = COALESCE(honorees.ceremony_id, EXCLUDED.ceremony_id),
                   sort_group = EXCLUDED.sort_group, sort_key = EXCLUDED.sort_key,
                   granted_at = EXCLUDED.granted_at, updated_at = now()
               WHERE honorees.version < EXCLUDED.version
           RETURNING true""",
        d.award_id,
        version,
        d.kind,
        name,
        d.unit_id,
        current["unit_name"] or nfc(d.unit_name),
        d.campaign_id,
        current["campaign_name"] or nfc(d.campaign_name),
        current["year"] or d.year,
        d.category_id,
        current["category_name"] or nfc(d.category_name),
        nfc(d.form),
        nfc(d.decision_number),
        d.decision_date,
        ceremony_id,
        sort_group(d.kind),
        sort_key(name, d.kind),
        d.granted_at or occurred_at,
    )
    if changed:
        await bump_version(conn)
    return bool(changed)


async def apply_revoke(conn: asyncpg.Connection, d: events.AwardRevoked, version: int) -> bool:
    """The award off the public roll, its row kept as a tombstone."""
    # A revoke that arrives before its grant leaves a tombstone that the
    # older grant, when it comes, cannot overwrite.
    changed = await conn.fetchval(
        """INSERT INTO honorees (award_id, version, status) VALUES ($1, $2, 'revoked')
           ON CONFLICT (award_id) DO UPDATE
               SET version = EXCLUDED.version, status = 'revoked', updated_at = now()
               WHERE honorees.version < EXCLUDED.version
           RETURNING true""",
        d.award_id,
        version,
    )
    if changed:
        await bump_version(conn)
    return bool(changed)


async def apply_units_changed(conn: asyncpg.Connection, unit_ids: Sequence[uuid.UUID]) -> int:
    """After the unit copy changed: every public row of those units shows its current name.

    Only granted rows (a revoked one is a tombstone nobody sees): so the roll's partial index by unit
    finds them, and a unit's event costs its own rows, not a scan of the whole roll.
    """
    status = await conn.execute(
        """UPDATE honorees h SET unit_name = u.name, updated_at = now()
           FROM units u WHERE u.id = ANY($1::uuid[]) AND h.unit_id = u.id AND h.status = 'granted'
             AND h.unit_name IS DISTINCT FROM u.name""",
        unit_ids,
    )
    count = int(status.split()[-1])
    if count:
        await bump_version(conn)
    return count


async def present_at(
    conn: asyncpg.Connection, ceremony_id: uuid.UUID, campaign_ids: Sequence[uuid.UUID], held_on: date
) -> int:
    """A ceremony was held: each honouree it presented (domain.presents) carries it from now on.

    One presented at an earlier ceremony keeps that one. Returns how many it presented.
    """
    stamped = await conn.execute(
        """UPDATE honorees SET ceremony_id = $1, updated_at = now()
           WHERE campaign_id = ANY($2::uuid[]) AND status = 'granted' AND ceremony_id IS NULL
             AND decision_date <= $3""",
        ceremony_id,
        list(campaign_ids),
        held_on,
    )
    await bump_version(conn)
    return int(stamped.split()[-1])
