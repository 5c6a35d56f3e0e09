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


# The category, campaign, nominee and officer's scope of a new nomination: one item's.
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


def _each_item(sql: str) -> str:
    """`NOMINATION_CONTEXT` for many items: its $1-$4 become the columns of each item."""
    columns = {"1": "i.category_id", "2": "i.unit_id", "3": "i.person_id", "4": "i.scope_unit_id"}
    found = set(re.findall(r"\$(\d+)", sql))
    assert found <= set(columns), f"NOMINATION_CONTEXT takes parameters {found}: update _each_item"
    lateral = re.sub(r"\$(\d+)", lambda m: columns[m[1]], sql)
    return f"""SELECT x.* FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[]) WITH ORDINALITY
                                  AS i(category_id, unit_id, person_id, scope_unit_id, n)
               CROSS JOIN LATERAL ({lateral}) AS x
               ORDER BY i.n"""


# The contexts of many items, in one statement: the single query's, item by item.
NOMINATION_CONTEXTS = _each_item(NOMINATION_CONTEXT)

# What a context asks of: (category, nominee unit, nominee person, the officer's scope unit).
Asked = tuple[uuid.UUID, uuid.UUID | None, uuid.UUID | None, uuid.UUID | None]


async def nomination_contexts(
    db: Queryable, items: list[Asked]
) -> list[tuple[NominationContext, list[dict[str, Any]]]]:
    """Each item's context, and its category's eligibility rules (empty for most), in order, in one round trip."""
    if not items:
        return []
    found = []
    for row in await db.fetch(NOMINATION_CONTEXTS, *(list(column) for column in zip(*items, strict=True))):
        d = dict(row)
        category_rules = list(d.pop("category_rules"))
        found.append((NominationContext(**d), category_rules))
    return found


# One statement for many new nominations, so one round trip and its own transaction (unless in one): the
# campaigns are read open under a share lock (a concurrent close waits for it, or it sees the close), the
# partial unique index turns a second live nomination into nothing inserted, and each row's audit row and
# outbox row go in with it. The rows go in the order of their category and nominee, so two statements naming
# the same nominees wait for each other in one order, never in a circle. Lock order: the campaigns, then the
# nominations. No NOTIFY in it (it would take PostgreSQL's global notify lock at commit): the relay is woken
# after it. One item's answer per item, in order: was its campaign open, and its row's created_at (None when
# nothing was written: the campaign was closed, or the nominee already holds a live nomination there).
INSERT_NOMINATIONS = """
WITH item AS (
    SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::uuid[], $6::text[], $7::uuid[],
                         $8::text[], $9::text[], $10::uuid[], $11::text[], $12::uuid[], $13::text[],
                         $14::uuid[], $15::text[], $16::bytea[], $17::text[], $18::text[]) WITH ORDINALITY
        AS i(id, campaign_id, category_id, nominee_kind, nominee_id, nominee_name, unit_id, unit_name,
             achievements, submitted_by, submitted_by_name, submitting_unit_id, actor_role,
             event_id, subject, payload, traceparent, request_id, n)
), open_campaign AS (
    SELECT id FROM campaigns WHERE id IN (SELECT campaign_id FROM item) AND status = 'open' ORDER BY id FOR SHARE
), ins AS (
    INSERT INTO nominations (id, campaign_id, category_id, nominee_kind, nominee_id, nominee_name, unit_id, unit_name,
                             achievements, submitted_by, submitted_by_name, submitting_unit_id)
    SELECT i.id, i.campaign_id, i.category_id, i.nominee_kind, i.nominee_id, i.nominee_name, i.unit_id, i.unit_name,
           i.achievements, i.submitted_by, i.submitted_by_name, i.submitting_unit_id
    FROM item i JOIN open_campaign c ON c.id = i.campaign_id
    ORDER BY i.category_id, i.nominee_id
    ON CONFLICT (category_id, nominee_id) WHERE status IN ('submitted', 'returned', 'approved', 'granted') DO NOTHING
    RETURNING *
), audit AS (
    INSERT INTO audit_log (entity, entity_id, action, actor_id, actor_name, actor_role, to_status, after)
    SELECT 'nomination', ins.id, 'submit', ins.submitted_by, ins.submitted_by_name, i.actor_role, 'submitted',
           to_jsonb(ins)
    FROM ins JOIN item i ON i.id = ins.id
), sent AS (
    INSERT INTO outbox (id, subject, payload, traceparent, request_id)
    SELECT i.event_id, i.subject, i.payload, i.traceparent, i.request_id FROM ins JOIN item i ON i.id = ins.id
)
SELECT c.id IS NOT NULL AS open, ins.created_at
FROM item i LEFT JOIN open_campaign c ON c.id = i.campaign_id LEFT JOIN ins ON ins.id = i.id
ORDER BY i.n"""

# A new nomination to write: its draft, the role its submitter acts in (the audit row's), and its outbox row.
NewRow = tuple[Nomination, str, outbox.Row]


async def insert_nominations(db: Queryable, rows: list[NewRow], *, producer: str) -> list[tuple[bool, datetime | None]]:
    """Write new nominations, each with its audit row and its outbox row; then wake `producer`'s relay.

    Per row, in order: whether its campaign was open, and its created_at (None when nothing was written).
    """
    if not rows:
        return []
    columns: list[list[Any]] = [[] for _ in range(18)]
    for n, actor_role, outbox_row in rows:
        values = (
            n.id,
            n.campaign_id,
            n.category_id,
            n.nominee_kind,
            n.nominee_unit_id or n.nominee_person_id,
            n.nominee_name,
            n.unit_id,
            n.unit_name,
            n.achievements,
            n.submitted_by,
            n.submitted_by_name,
            n.submitting_unit_id,
            actor_role,
            *outbox_row,
        )
        for column, value in zip(columns, values, strict=True):
            column.append(value)
    found = [(r["open"], r["created_at"]) for r in await db.fetch(INSERT_NOMINATIONS, *columns)]
    if any(created_at is not None for _, created_at in found):
        await outbox.announce(db, producer)
    return found


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
