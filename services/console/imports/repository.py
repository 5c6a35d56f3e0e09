"""The checked nomination files waiting for `Gửi tất cả`: SQL only."""

from __future__ import annotations

from typing import Any

from shared.db import Queryable


async def stash(db: Queryable, session_hash: bytes, file_name: str, rows: list[dict[str, Any]]) -> None:
    """Keep the session's checked rows, replacing any it had."""
    await db.execute(
        """INSERT INTO nomination_imports (session_hash, file_name, rows) VALUES ($1, $2, $3)
           ON CONFLICT (session_hash) DO UPDATE
           SET file_name = EXCLUDED.file_name, rows = EXCLUDED.rows, created_at = now()""",
        session_hash,
        file_name,
        rows,
    )


async def take(db: Queryable, session_hash: bytes) -> tuple[str, list[dict[str, Any]]] | None:
    """The session's checked rows, removed: a second `Gửi tất cả` of the same page finds none."""
    row = await db.fetchrow(
        "DELETE FROM nomination_imports WHERE session_hash = $1 RETURNING file_name, rows", session_hash
    )
    return None if row is None else (row["file_name"], row["rows"])
