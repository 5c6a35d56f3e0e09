"""How the awards' events change the public notice: a nomination approved with
a comment window is listed; rejected, withdrawn, returned or granted, it leaves;
objections filed and resolved change how many are being considered.

Each applies only what is newer than what the notice holds (the
`version <` guard of each upsert, domain.is_newer), and a nomination that
leaves (but by a grant: see `close_granted`) keeps a bare row (a tombstone, no
names), so a late, repeated or replayed event never lists it again.
"""

from __future__ import annotations

import uuid

import asyncpg

from shared import events
from shared.text import nfc

from ..domain import NoticeState, ObjectionStatus, notice_after
from ..roll.collation import sort_group, sort_key


async def apply_nomination(conn: asyncpg.Connection, d: events.NominationState, version: int) -> bool:
    """The nomination's notice after this event of `version`: listed (approved with a window) or closed."""
    comment_until = d.comment_until if isinstance(d, events.NominationApproved) else None
    if notice_after(d.status, comment_until) == NoticeState.CLOSED:
        return await close(conn, d.id, version)
    assert isinstance(d, events.NominationApproved)  # notice_after lists an approved one only
    name = nfc(d.nominee_name)
    # The names of its campaign and category as this service knows them now (the read joins the
    # current ones too; these are what is shown should the campaign be unknown here).
    names = await conn.fetchrow(
        """SELECT c.name AS campaign_name, x->>'name' AS category_name, x->>'form' AS form
           FROM campaigns c LEFT JOIN jsonb_array_elements(c.categories) x ON x->>'id' = $2::text
           WHERE c.id = $1""",
        d.campaign_id,
        str(d.category_id),
    )
    changed = await conn.fetchval(
        """INSERT INTO notices (id, version, state, kind, name, unit_id, unit_name, campaign_id, category_id,
                                campaign_name, category_name, form, approved_on, comment_until, sort_group, sort_key)
           VALUES ($1, $2, 'listed', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
           ON CONFLICT (id) DO UPDATE
               SET version = EXCLUDED.version, state = 'listed', kind = EXCLUDED.kind, name = EXCLUDED.name,
                   unit_id = EXCLUDED.unit_id, unit_name = EXCLUDED.unit_name,
                   campaign_id = EXCLUDED.campaign_id, category_id = EXCLUDED.category_id,
                   campaign_name = EXCLUDED.campaign_name, category_name = EXCLUDED.category_name,
                   form = EXCLUDED.form, approved_on = EXCLUDED.approved_on,
                   comment_until = EXCLUDED.comment_until, sort_group = EXCLUDED.sort_group,
                   sort_key = EXCLUDED.sort_key, updated_at = now()
               WHERE notices.version < EXCLUDED.version
           RETURNING true""",
        d.id,
        version,
        d.nominee_kind,
        name,
        d.unit_id,
        nfc(d.unit_name),
        d.campaign_id,
        d.category_id,
        names["campaign_name"] if names else None,
        names["category_name"] if names else None,
        names["form"] if names else None,
        d.approved_on,
        comment_until,
        sort_group(d.nominee_kind),
        sort_key(name, d.nominee_kind),
    )
    return bool(changed)


# A notice closed: its names and dates dropped, only its version kept.
_CLEARED = """version = $2, state = 'closed', kind = NULL, name = NULL, unit_id = NULL, unit_name = NULL,
    campaign_id = NULL, category_id = NULL, campaign_name = NULL, category_name = NULL, form = NULL,
    approved_on = NULL, comment_until = NULL, sort_group = NULL, sort_key = NULL, updated_at = now()"""


async def close(conn: asyncpg.Connection, nomination_id: uuid.UUID, version: int) -> bool:
    """The nomination off the notice (rejected, withdrawn, returned), its row kept bare (a tombstone) so that
    an older approval arriving late does not list it."""
    changed = await conn.fetchval(
        f"""INSERT INTO notices (id, version, state) VALUES ($1, $2, 'closed')
            ON CONFLICT (id) DO UPDATE SET {_CLEARED} WHERE notices.version < $2
            RETURNING true""",
        nomination_id,
        version,
    )
    return bool(changed)


async def close_granted(conn: asyncpg.Connection, nomination_id: uuid.UUID, version: int) -> bool:
    """A granted nomination off the notice, when it is there. No tombstone for the others (every award would
    leave one): a decision waits for the window's end (the awards service refuses it before), so an approval
    arriving after its grant carries a window that is over, and is not shown."""
    changed = await conn.fetchval(
        f"UPDATE notices SET {_CLEARED} WHERE id = $1 AND version < $2 RETURNING true", nomination_id, version
    )
    return bool(changed)


async def apply_objection(conn: asyncpg.Connection, d: events.ObjectionState, version: int) -> bool:
    """An objection's status (open or resolved), by its id: counted once however often it arrives."""
    status = ObjectionStatus(d.status)
    changed = await conn.fetchval(
        """INSERT INTO notice_objections (id, notice_id, status, version) VALUES ($1, $2, $3, $4)
           ON CONFLICT (id) DO UPDATE
               SET notice_id = EXCLUDED.notice_id, status = EXCLUDED.status, version = EXCLUDED.version,
                   updated_at = now()
               WHERE notice_objections.version < EXCLUDED.version
           RETURNING true""",
        d.id,
        d.nomination_id,
        status,
        version,
    )
    return bool(changed)
