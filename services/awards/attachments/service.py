"""A nomination's dossier: adding a file, reading the files, removing one.

Each change is one transaction: the nomination is locked (so an approval
cannot slip in between the check that it may be edited and the write), the
file's row is written or deleted, with the nomination's audit row (`attach`
or `detach`, the file's name, size and SHA-256) and its event
(`awards.attachment.added`/`removed`, metadata only). Whoever may read the
nomination may read its files (`nominations.service.readable`); only an
officer of the unit that submitted it, or of a unit above, changes them.
"""

from __future__ import annotations

import hashlib
import uuid

import asyncpg

from shared import events
from shared.auth import Principal
from shared.errors import NotFound

from .. import publishes
from ..domain import access, dossier
from ..nominations import repository as nominations
from ..nominations.service import readable
from ..publishes import Change
from . import repository
from .schemas import Attachment


def metadata(a: Attachment) -> dict[str, object]:
    """What the audit log keeps of a file: everything but its bytes."""
    return {
        "id": str(a.id),
        "filename": a.filename,
        "size": a.size,
        "content_type": a.content_type,
        "sha256": a.sha256,
    }


async def _lock_editable(conn: asyncpg.Connection, actor: Principal, nomination_id: uuid.UUID) -> asyncpg.Record:
    """The nomination, locked, once the actor may change its dossier now (403, 409 otherwise)."""
    nomination = await nominations.lock_nomination(conn, nomination_id)
    scope = actor.scope_unit_id
    if scope is not None:
        owner = access.responsible_unit(nomination["submitting_unit_id"], nomination["unit_id"])
        access.check_acts_for(await nominations.unit_within(conn, owner, scope))
    dossier.check_editable(nomination["status"])
    return nomination


async def add(
    pool: asyncpg.Pool, actor: Principal, nomination_id: uuid.UUID, content: bytes, sent_name: str | None
) -> Attachment:
    """Check the file by its bytes (before any row is touched), then write it with its audit row and event."""
    checked = dossier.check(content, sent_name)
    digest = hashlib.sha256(content).hexdigest()
    async with pool.acquire() as conn, conn.transaction():
        nomination = await _lock_editable(conn, actor, nomination_id)
        dossier.check_room(await repository.count_of(conn, nomination_id))
        added = await repository.insert(
            conn,
            attachment_id=uuid.uuid4(),
            nomination_id=nomination_id,
            filename=checked.filename,
            content_type=checked.kind.value,
            sha256=digest,
            content=content,
            uploaded_by=actor.account_id,
            uploaded_by_name=actor.username,
        )
        status = nomination["status"]
        change = Change(
            "nomination", nomination_id, "attach", from_status=status, to_status=status, after=metadata(added)
        )
        await publishes.audit(conn, actor, [change])
        await publishes.publish(conn, [(publishes.attachment_event(events.AttachmentAdded, added), added.id, 1)])
    return added


async def list_files(pool: asyncpg.Pool, reader: Principal, nomination_id: uuid.UUID) -> list[Attachment]:
    await readable(pool, reader, nomination_id)
    return await repository.list_of(pool, nomination_id)


async def download(pool: asyncpg.Pool, reader: Principal, attachment_id: uuid.UUID) -> tuple[Attachment, bytes]:
    """The file and its bytes, for whoever may read its nomination."""
    found = await repository.get(pool, attachment_id)
    await readable(pool, reader, found.nomination_id)
    return found, await repository.content_of(pool, attachment_id)


async def remove(pool: asyncpg.Pool, actor: Principal, attachment_id: uuid.UUID) -> None:
    """Delete the file's row; the audit log keeps what it was (its name, size and SHA-256)."""
    found = await repository.get(pool, attachment_id)
    async with pool.acquire() as conn, conn.transaction():
        nomination = await _lock_editable(conn, actor, found.nomination_id)
        if not await repository.delete(conn, attachment_id):  # removed by another request meanwhile
            raise NotFound("attachment", attachment_id)
        status = nomination["status"]
        change = Change(
            "nomination", found.nomination_id, "detach", from_status=status, to_status=status, before=metadata(found)
        )
        await publishes.audit(conn, actor, [change])
        await publishes.publish(
            conn,
            [(publishes.attachment_event(events.AttachmentRemoved, found, removed_by=actor.account_id), found.id, 2)],
        )
