"""The SQL of nominations: the new nomination's context and insert, reads, and the moves of its lifecycle."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any

import asyncpg
import msgspec

from shared import outbox
from shared.db import Queryable
from shared.errors import NotFound

from ..domain.nominating import NominationContext
from ..domain.statuses import NominationStatus, NomineeKind
from .schemas import AttachmentRef, HistoryEntry, Nomination, Tally

# The tally counts open votes and a secret ballot's box (council/repository.py) together.
NOMINATION_SELECT = """
    SELECT n.id, n.campaign_id, n.category_id, n.nominee_kind,
           CASE WHEN n.nominee_kind = 'collective' THEN n.nominee_id END AS nominee_unit_id,
           CASE WHEN n.nominee_kind = 'individual' THEN n.nominee_id END AS nominee_person_id,
           n.nominee_name, n.unit_id, n.unit_name, n.achievements, n.status, n.version,
           n.submitted_by, n.submitted_by_name, n.submitting_unit_id, n.decision_id, n.reason,
           n.created_at, n.updated_at, n.granted_at, n.revoked_at,
           t.approve + COALESCE(b.yes, 0) AS tally_approve, t.reject + COALESCE(b.no, 0) AS tally_reject
    FROM nominations n
    CROSS JOIN LATERAL (SELECT count(*) FILTER (WHERE v.approve) AS approve,
                               count(*) FILTER (WHERE NOT v.approve) AS reject
                        FROM votes v WHERE v.nomination_id = n.id) t
    LEFT JOIN secret_ballot_box b ON b.nomination_id = n.id"""


def nomination(row: asyncpg.Record) -> Nomination:
    d = dict(row)
    approve, reject = d.pop("tally_approve"), d.pop("tally_reject")
    return Nomination(**d, tally=Tally(approve=approve, reject=reject, total=approve + reject))


async def get_nomination(db: Queryable, nomination_id: uuid.UUID) -> Nomination:
    row = await db.fetchrow(f"{NOMINATION_SELECT} WHERE n.id = $1", nomination_id)
    if row is None:
        raise NotFound("nomination", nomination_id)
    return nomination(row)


# The category, campaign, nominee and officer's scope of a new nomination, in one round trip.
NOMINATION_CONTEXT = """SELECT c.id IS NOT NULL AS category_found, c.campaign_id, c.nominee_kind, k.status AS campaign_status,
          (nu.id IS NOT NULL OR p.id IS NOT NULL) AS nominee_found,
          COALESCE(nu.name, p.full_name) AS nominee_name, u.id AS unit_id, u.name AS unit_name,
          COALESCE(u.path IS NOT NULL
                   AND ($4::uuid IS NULL OR u.path <@ (SELECT s.path FROM units s WHERE s.id = $4)), false)
              AS in_scope,
          COALESCE(c.rules, '[]'::jsonb) AS category_rules
   FROM (SELECT 1) AS one
   LEFT JOIN categories c ON c.id = $1
   LEFT JOIN campaigns k ON k.id = c.campaign_id
   LEFT JOIN units nu ON nu.id = $2
   LEFT JOIN people p ON p.id = $3
   LEFT JOIN units u ON u.id = COALESCE(nu.id, p.unit_id)"""


async def nomination_context(
    db: Queryable,
    category_id: uuid.UUID,
    unit_id: uuid.UUID | None,
    person_id: uuid.UUID | None,
    scope_unit_id: uuid.UUID | None,
) -> tuple[NominationContext, list[dict[str, Any]]]:
    """The context, and the category's eligibility rules (empty for most: then nothing more is read)."""
    row = dict(await db.fetchrow(NOMINATION_CONTEXT, category_id, unit_id, person_id, scope_unit_id))
    category_rules = list(row.pop("category_rules"))
    return NominationContext(**row), category_rules


def _each_item(sql: str) -> str:
    """`NOMINATION_CONTEXT` for many items: its $1-$3 become the columns of each item, $4 (the scope) stays."""
    columns = {"1": "i.category_id", "2": "i.unit_id", "3": "i.person_id", "4": "$4"}
    found = set(re.findall(r"\$(\d+)", sql))
    assert found <= set(columns), f"NOMINATION_CONTEXT takes parameters {found}: update _each_item"
    lateral = re.sub(r"\$(\d+)", lambda m: columns[m[1]], sql)
    return f"""SELECT x.* FROM unnest($1::uuid[], $2::uuid[], $3::uuid[]) WITH ORDINALITY
                                  AS i(category_id, unit_id, person_id, n)
               CROSS JOIN LATERAL ({lateral}) AS x
               ORDER BY i.n"""


# The contexts of a batch's items, in one statement: the single query's, item by item.
NOMINATION_CONTEXTS = _each_item(NOMINATION_CONTEXT)


async def nomination_contexts(
    db: Queryable,
    items: list[tuple[uuid.UUID, uuid.UUID | None, uuid.UUID | None]],
    scope_unit_id: uuid.UUID | None,
) -> list[tuple[NominationContext, list[dict[str, Any]]]]:
    """`nomination_context` of each (category, unit, person), in order, in one round trip."""
    if not items:
        return []
    categories, units, people = (list(column) for column in zip(*items, strict=True))
    found = []
    for row in await db.fetch(NOMINATION_CONTEXTS, categories, units, people, scope_unit_id):
        d = dict(row)
        category_rules = list(d.pop("category_rules"))
        found.append((NominationContext(**d), category_rules))
    return found


# One statement, so one round trip and its own transaction: the campaign is
# read open under a share lock (a concurrent close waits for it, or it sees the
# close), the partial unique index turns a second live nomination into
# nothing inserted, and the audit row and the outbox row go in with it.
# Lock order: the campaign, then the nomination. No NOTIFY in it (it would
# take PostgreSQL's global notify lock at commit): the relay is woken after it.
INSERT_NOMINATION = """
WITH open_campaign AS (
    SELECT id FROM campaigns WHERE id = $2 AND status = 'open' FOR SHARE
), ins AS (
    INSERT INTO nominations (id, campaign_id, category_id, nominee_kind, nominee_id, nominee_name, unit_id, unit_name,
                             achievements, submitted_by, submitted_by_name, submitting_unit_id)
    SELECT $1, id, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12 FROM open_campaign
    ON CONFLICT (category_id, nominee_id) WHERE status IN ('submitted', 'returned', 'approved', 'granted') DO NOTHING
    RETURNING *
), audit AS (
    INSERT INTO audit_log (entity, entity_id, action, actor_id, actor_name, actor_role, to_status, after)
    SELECT 'nomination', ins.id, 'submit', $10, $11, $13, 'submitted', to_jsonb(ins) FROM ins
), sent AS (
    INSERT INTO outbox (id, subject, payload, traceparent, request_id) SELECT $14, $15, $16, $17, $18 FROM ins
)
SELECT EXISTS (SELECT 1 FROM open_campaign) AS open, ins.created_at
FROM (SELECT 1) AS one LEFT JOIN ins ON true"""


async def insert_nomination(
    db: Queryable,
    nomination: Nomination,
    *,
    actor_role: str,
    outbox_row: outbox.Row,
    producer: str,
) -> tuple[bool, datetime | None]:
    """Write a new nomination, with its audit row and its outbox row; then wake `producer`'s relay.

    Returns whether the campaign was open, and the row's created_at: None when
    nothing was written (the campaign was closed, or the nominee already holds
    a live nomination in the category).
    """
    row = await db.fetchrow(
        INSERT_NOMINATION,
        nomination.id,
        nomination.campaign_id,
        nomination.category_id,
        nomination.nominee_kind,
        nomination.nominee_unit_id or nomination.nominee_person_id,
        nomination.nominee_name,
        nomination.unit_id,
        nomination.unit_name,
        nomination.achievements,
        nomination.submitted_by,
        nomination.submitted_by_name,
        nomination.submitting_unit_id,
        actor_role,
        *outbox_row,
    )
    if row["created_at"] is not None:
        await outbox.announce(db, producer)
    return row["open"], row["created_at"]


async def list_nominations(
    db: Queryable,
    *,
    scope_unit_id: uuid.UUID | None,
    campaign_id: uuid.UUID | None,
    category_id: uuid.UUID | None,
    status: NominationStatus | None,
    unit_id: uuid.UUID | None,
    kind: NomineeKind | None,
    pattern: str | None,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[Nomination]:
    """Newest first; `unit_id` and the officer's scope take the whole subtree; `pattern` finds the folded name."""
    rows = await db.fetch(
        f"""{NOMINATION_SELECT}
            WHERE ($1::uuid IS NULL OR EXISTS (
                      SELECT 1 FROM units u, units s
                      WHERE u.id = n.unit_id AND s.id = $1 AND u.path <@ s.path))
              AND ($2::uuid IS NULL OR n.campaign_id = $2)
              AND ($3::uuid IS NULL OR n.category_id = $3)
              AND ($4::text IS NULL OR n.status = $4)
              AND ($5::uuid IS NULL OR EXISTS (
                      SELECT 1 FROM units u, units s
                      WHERE u.id = n.unit_id AND s.id = $5 AND u.path <@ s.path))
              AND ($6::text IS NULL OR n.nominee_kind = $6)
              AND ($7::text IS NULL OR fold(n.nominee_name) LIKE $7)
              AND ($8::timestamptz IS NULL OR (n.created_at, n.id) < ($8, $9::uuid))
            ORDER BY n.created_at DESC, n.id DESC
            LIMIT $10""",
        scope_unit_id,
        campaign_id,
        category_id,
        status,
        unit_id,
        kind,
        pattern,
        after[0] if after else None,
        after[1] if after else None,
        limit + 1,
    )
    return [nomination(r) for r in rows]


async def nomination_in_scope(db: Queryable, nomination_id: uuid.UUID, scope_unit_id: uuid.UUID) -> bool:
    """Is the nomination's unit (the collective, or the individual's unit) in the subtree of `scope_unit_id`?"""
    return bool(
        await db.fetchval(
            """SELECT EXISTS (SELECT 1 FROM nominations n, units u, units s
                              WHERE n.id = $1 AND u.id = n.unit_id AND s.id = $2 AND u.path <@ s.path)""",
            nomination_id,
            scope_unit_id,
        )
    )


async def unit_within(db: Queryable, unit_id: uuid.UUID, ancestor_id: uuid.UUID) -> bool:
    """Is `unit_id` the unit `ancestor_id` or below it, in the local copy of the tree?"""
    return bool(
        await db.fetchval(
            "SELECT EXISTS (SELECT 1 FROM units u, units a WHERE u.id = $1 AND a.id = $2 AND u.path <@ a.path)",
            unit_id,
            ancestor_id,
        )
    )


async def lock_nomination(conn: asyncpg.Connection, nomination_id: uuid.UUID) -> asyncpg.Record:
    """The nomination's whole row, locked for the transaction."""
    row = await conn.fetchrow("SELECT * FROM nominations WHERE id = $1 FOR UPDATE", nomination_id)
    if row is None:
        raise NotFound("nomination", nomination_id)
    return row


async def take_place(conn: asyncpg.Connection, category_id: uuid.UUID) -> bool:
    """Take one place of the category's quota; False, changing nothing, when none is left."""
    # The row lock makes concurrent approvals queue here; each re-reads `held`
    # after the one before it committed, so the quota is never exceeded.
    held = await conn.fetchval(
        "UPDATE categories SET held = held + 1 WHERE id = $1 AND held < quota RETURNING held", category_id
    )
    return held is not None


async def quota_of(db: Queryable, category_id: uuid.UUID) -> int:
    return int(await db.fetchval("SELECT quota FROM categories WHERE id = $1", category_id))


async def give_back_place(conn: asyncpg.Connection, category_id: uuid.UUID) -> None:
    await conn.execute("UPDATE categories SET held = held - 1 WHERE id = $1", category_id)


async def move(
    conn: asyncpg.Connection, nomination_id: uuid.UUID, status: NominationStatus, reason: str | None
) -> Nomination:
    """Set the nomination's status (and the reason, when one is given), a new version; its whole new state."""
    await conn.execute(
        """UPDATE nominations
           SET status = $2, version = version + 1, updated_at = now(), reason = COALESCE($3, reason),
               revoked_at = CASE WHEN $2 = 'revoked' THEN now() ELSE revoked_at END
           WHERE id = $1""",
        nomination_id,
        status,
        reason,
    )
    return await get_nomination(conn, nomination_id)


async def set_achievements(conn: asyncpg.Connection, nomination_id: uuid.UUID, achievements: str) -> Nomination:
    """Replace the nomination's achievements, a new version; its whole new state."""
    await conn.execute(
        """UPDATE nominations SET achievements = $2, version = version + 1, updated_at = now() WHERE id = $1""",
        nomination_id,
        achievements,
    )
    return await get_nomination(conn, nomination_id)


async def history(db: Queryable, nomination_id: uuid.UUID) -> list[HistoryEntry]:
    """Every step, oldest first, with each version of the dossier it made: the achievements a submission
    or an edit wrote (and, for an edit, those it replaced), the file an `attach` or `detach` added or removed."""
    rows = await db.fetch(
        """SELECT at, action, from_status, to_status, actor_id, actor_name, actor_role, reason,
                  CASE WHEN action IN ('submit', 'edit') THEN after ->> 'achievements' END AS achievements,
                  CASE WHEN action = 'edit' THEN before ->> 'achievements' END AS achievements_before,
                  CASE action WHEN 'attach' THEN after WHEN 'detach' THEN before END AS file
           FROM audit_log
           WHERE entity_id = $1 AND entity = 'nomination' ORDER BY id""",
        nomination_id,
    )
    entries = []
    for r in rows:
        d = dict(r)
        file = d.pop("file")
        entries.append(HistoryEntry(**d, attachment=_attachment_ref(file)))
    return entries


def _attachment_ref(value: object) -> AttachmentRef | None:
    """The file an `attach`/`detach` audit row names (its jsonb, decoded by the pool's codec)."""
    if value is None:
        return None
    return msgspec.convert(value, AttachmentRef)
