"""The SQL of a nomination's dossier: its files' rows, with or without their bytes."""

from __future__ import annotations

import uuid

import asyncpg

from shared.db import Queryable
from shared.errors import NotFound

from .schemas import Attachment

COLUMNS = "id, nomination_id, filename, size, content_type, sha256, uploaded_by, uploaded_by_name, created_at"


def attachment(row: asyncpg.Record) -> Attachment:
    return Attachment(**{k: row[k] for k in Attachment.__struct_fields__})


async def insert(
    conn: asyncpg.Connection,
    *,
    attachment_id: uuid.UUID,
    nomination_id: uuid.UUID,
    filename: str,
    content_type: str,
    sha256: str,
    content: bytes,
    uploaded_by: uuid.UUID,
    uploaded_by_name: str,
) -> Attachment:
    row = await conn.fetchrow(
        f"""INSERT INTO attachments (id, nomination_id, filename, content_type, size, sha256, content,
                                     uploaded_by, uploaded_by_name)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
            RETURNING {COLUMNS}""",
        attachment_id,
        nomination_id,
        filename,
        content_type,
        len(content),
        sha256,
        content,
        uploaded_by,
        uploaded_by_name,
    )
    return attachment(row)


async def count_of(conn: asyncpg.Connection, nomination_id: uuid.UUID) -> int:
    return int(await conn.fetchval("SELECT count(*) FROM attachments WHERE nomination_id = $1", nomination_id))


async def list_of(db: Queryable, nomination_id: uuid.UUID) -> list[Attachment]:
    """Oldest first, as they were added."""
    rows = await db.fetch(
        f"SELECT {COLUMNS} FROM attachments WHERE nomination_id = $1 ORDER BY created_at, id", nomination_id
    )
    return [attachment(r) for r in rows]


async def get(db: Queryable, attachment_id: uuid.UUID) -> Attachment:
    row = await db.fetchrow(f"SELECT {COLUMNS} FROM attachments WHERE id = $1", attachment_id)
    if row is None:
        raise NotFound("attachment", attachment_id)
    return attachment(row)


async def content_of(db: Queryable, attachment_id: uuid.UUID) -> bytes:
    content = await db.fetchval("SELECT content FROM attachments WHERE id = $1", attachment_id)
    if content is None:
        raise NotFound("attachment", attachment_id)
    return bytes(content)


async def delete(conn: asyncpg.Connection, attachment_id: uuid.UUID) -> bool:
    return (await conn.execute("DELETE FROM attachments WHERE id = $1", attachment_id)) == "DELETE 1"
