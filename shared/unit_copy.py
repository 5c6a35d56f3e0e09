"""The local copy of the unit tree that `awards` and `events` keep.

Fed by `units.*` events, each carrying the unit's whole state and version:
an event older than the copy's row is ignored. Paths are derived here from
the parent links, so events may arrive in any order across units: a unit
whose parent has not arrived yet has no path until it does. Changes to the
tree are serialised by a transaction-level advisory lock, so two consumer
processes applying a move and a child's creation at once cannot leave a
stale path behind.
"""

from __future__ import annotations

import uuid

import asyncpg

from shared import events

TREE_LOCK = 0x756E697473  # "units"


def label(unit_id: uuid.UUID) -> str:
    return unit_id.hex


async def apply(conn: asyncpg.Connection, env: events.Envelope) -> bool:
    """Apply a units.unit.* event; True when it changed the copy."""
    data = env.data
    if not isinstance(data, events.UnitState):
        return False
    await conn.execute("SELECT pg_advisory_xact_lock($1)", TREE_LOCK)
    # The row with its path (below its parent's, as the copy holds it now) in one statement, and
    # whether it has children: only then is the subtree's path computed again. A unit of an import
    # (parents first) is a leaf: one statement by its key, whatever the size of the tree.
    changed = await conn.fetchrow(
        """INSERT INTO units (id, code, name, kind, parent_id, version, path)
           VALUES ($1, $2, $3, $4, $5, $6,
                   CASE WHEN $5::uuid IS NULL THEN text2ltree(replace($1::uuid::text, '-', ''))
                        ELSE (SELECT p.path FROM units p WHERE p.id = $5::uuid) || text2ltree(replace($1::uuid::text, '-', ''))
                   END)
           ON CONFLICT (id) DO UPDATE
               SET code = EXCLUDED.code, name = EXCLUDED.name, kind = EXCLUDED.kind,
                   parent_id = EXCLUDED.parent_id, version = EXCLUDED.version, path = EXCLUDED.path,
                   updated_at = now()
               WHERE units.version < EXCLUDED.version
           RETURNING EXISTS (SELECT 1 FROM units c WHERE c.parent_id = $1) AS has_children""",
        data.id,
        data.code,
        data.name,
        data.kind,
        data.parent_id,
        env.version,
    )
    if changed and changed["has_children"]:
        await _recompute_paths(conn, data.id)
    return changed is not None


async def _recompute_paths(conn: asyncpg.Connection, root: uuid.UUID) -> None:
    await conn.execute(
        """WITH RECURSIVE sub (id, path, depth) AS (
               SELECT u.id,
                      CASE WHEN u.parent_id IS NULL THEN text2ltree(replace(u.id::text, '-', ''))
                           ELSE p.path || text2ltree(replace(u.id::text, '-', '')) END,
                      1
               FROM units u LEFT JOIN units p ON p.id = u.parent_id
               WHERE u.id = $1
               UNION ALL
               SELECT c.id, s.path || text2ltree(replace(c.id::text, '-', '')), s.depth + 1
               FROM units c JOIN sub s ON c.parent_id = s.id
               WHERE s.depth < 100  -- a transient cycle from out-of-order moves must not loop
           )
           UPDATE units u SET path = sub.path FROM sub
           WHERE u.id = sub.id AND u.path IS DISTINCT FROM sub.path""",
        root,
    )


async def is_within(conn: asyncpg.Connection | asyncpg.Pool, unit_id: uuid.UUID, ancestor_id: uuid.UUID) -> bool:
    """Is `unit_id` the unit `ancestor_id` or below it? One indexed query."""
    return bool(
        await conn.fetchval(
            """SELECT EXISTS (SELECT 1 FROM units u, units a
                              WHERE u.id = $1 AND a.id = $2 AND u.path <@ a.path)""",
            unit_id,
            ancestor_id,
        )
    )
