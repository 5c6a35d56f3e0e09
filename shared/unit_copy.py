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

import contextvars
import uuid
from collections.abc import Sequence

import asyncpg

from shared import consumer, events

TREE_LOCK = 0x756E697473  # "units"


def label(unit_id: uuid.UUID) -> str:
    return unit_id.hex


async def apply(conn: asyncpg.Connection, env: events.Envelope) -> bool:
    """Apply a units.unit.* event; True when it changed the copy."""
    data = env.data
    if not isinstance(data, events.UnitState):
        return False
    await _lock_tree(conn)
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
        await _recompute_paths(conn, [data.id])
    return changed is not None


# The consumer transaction (shared/consumer.py) that holds the tree's lock: taken once for a batch's events.
_locked_in: contextvars.ContextVar[object | None] = contextvars.ContextVar("unit_tree_locked_in", default=None)


async def apply_many(conn: asyncpg.Connection, envs: Sequence[events.Envelope]) -> list[uuid.UUID]:
    """Apply consecutive units.unit.* events as `apply` would one by one; the ids of the units that changed.

    Events carry a unit's whole state: of a unit's events only the newest counts. All rows in one
    statement, each path below its parent's as the copy held it; then, in one more, the paths computed
    again below the units that have children, have no path yet, or whose parent came in the same batch.
    """
    newest: dict[uuid.UUID, tuple[events.UnitState, int]] = {}
    for env in envs:
        data = env.data
        if isinstance(data, events.UnitState) and env.version > newest.get(data.id, (data, 0))[1]:
            newest[data.id] = (data, env.version)
    if not newest:
        return []
    await _lock_tree(conn)
    states = list(newest.values())
    changed = await conn.fetch(
        """INSERT INTO units (id, code, name, kind, parent_id, version, path)
           SELECT t.id, t.code, t.name, t.kind, t.parent_id, t.version,
                  CASE WHEN t.parent_id IS NULL THEN text2ltree(replace(t.id::text, '-', ''))
                       ELSE (SELECT p.path FROM units p WHERE p.id = t.parent_id)
                            || text2ltree(replace(t.id::text, '-', ''))
                  END
           FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::uuid[], $6::int[])
                AS t (id, code, name, kind, parent_id, version)
           ON CONFLICT (id) DO UPDATE
               SET code = EXCLUDED.code, name = EXCLUDED.name, kind = EXCLUDED.kind,
                   parent_id = EXCLUDED.parent_id, version = EXCLUDED.version, path = EXCLUDED.path,
                   updated_at = now()
               WHERE units.version < EXCLUDED.version
           RETURNING id,
                     path IS NULL OR parent_id = ANY($1::uuid[])
                     OR EXISTS (SELECT 1 FROM units c WHERE c.parent_id = units.id) AS again""",
        [d.id for d, _ in states],
        [d.code for d, _ in states],
        [d.name for d, _ in states],
        [d.kind for d, _ in states],
        [d.parent_id for d, _ in states],
        [v for _, v in states],
    )
    again = [r["id"] for r in changed if r["again"]]
    if again:
        await _recompute_paths(conn, again)
    return [r["id"] for r in changed]


async def _lock_tree(conn: asyncpg.Connection) -> None:
    """The tree's transaction-level lock, in a statement of its own: the next statement's snapshot is
    taken after it, so it sees every change to the tree committed before the lock was granted."""
    transaction = consumer.current_transaction()
    if transaction is not None and _locked_in.get() is transaction:
        return
    await conn.execute("SELECT pg_advisory_xact_lock($1)", TREE_LOCK)
    _locked_in.set(transaction)


async def _recompute_paths(conn: asyncpg.Connection, roots: list[uuid.UUID]) -> None:
    """The paths of `roots` and of everything below them, from their parents' paths as the copy holds them.

    A unit below two of the roots is reached twice: the walk from the higher root, the longer one, is the
    one that read the fresh paths above it, so it is the one kept.
    """
    await conn.execute(
        """WITH RECURSIVE sub (id, path, depth, seen) AS (
               SELECT u.id,
                      CASE WHEN u.parent_id IS NULL THEN text2ltree(replace(u.id::text, '-', ''))
                           ELSE p.path || text2ltree(replace(u.id::text, '-', '')) END,
                      1, ARRAY[u.id]
               FROM units u LEFT JOIN units p ON p.id = u.parent_id
               WHERE u.id = ANY($1::uuid[])
               UNION ALL
               SELECT c.id, s.path || text2ltree(replace(c.id::text, '-', '')), s.depth + 1, s.seen || c.id
               FROM units c JOIN sub s ON c.parent_id = s.id
               -- A transient cycle from out-of-order moves is walked once round, not on and on (a path
               -- of a hundred labels would not fit the index); the move that ends it sets it right.
               WHERE c.id <> ALL (s.seen) AND s.depth < 100
           ),
           best AS (SELECT DISTINCT ON (id) id, path FROM sub ORDER BY id, depth DESC)
           UPDATE units u SET path = best.path FROM best
           WHERE u.id = best.id AND u.path IS DISTINCT FROM best.path""",
        roots,
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
