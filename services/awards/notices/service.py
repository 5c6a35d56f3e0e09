"""The public's say: opening an approved nomination's notice, filing objections (over HTTP or from the events
service), resolving them, and the check a decision makes.

Lock order, as everywhere in the service: the nomination, then the objection.
An objection locks its nomination FOR SHARE, so a decision granting it (which
locks it FOR UPDATE) either sees the objection or is seen by it.
"""

from __future__ import annotations

import hashlib
import unicodedata
import uuid
from datetime import date, datetime
from typing import NoReturn
from zoneinfo import ZoneInfo

import asyncpg

from shared import events
from shared.auth import Principal
from shared.errors import Conflict, NotFound
from shared.problems import Problem
from shared.text import line, paragraph

from .. import publishes
from ..domain import notice
from ..domain.statuses import NominationStatus
from ..publishes import Change
from . import repository
from .schemas import Objection, ObjectionCreate, ObjectionCreated, ResolveBody

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")

# Who files an objection in the audit log: the public has no account.
PUBLIC = Principal(account_id=uuid.UUID(int=0), username="public", role="public", unit_id=None)
PUBLIC_VIA_EVENTS = Principal(
    account_id=uuid.UUID(int=0), username="public (events service)", role="public", unit_id=None
)


def today() -> date:
    """Today in Vietnam: the day a notice's window is measured in."""
    return datetime.now(VIETNAM).date()


def client_key(address: str) -> str:
    """The sender's address, hashed: the rate limit counts by it, and the address itself is not kept."""
    return hashlib.sha256(f"thidua-objection:{address}".encode()).hexdigest()


async def open_window(conn: asyncpg.Connection, nomination_id: uuid.UUID, category_id: uuid.UUID) -> notice.Window:
    """At approval: store the day and its notice's last day (its category's working days; none for 0)."""
    window = notice.window(today(), await repository.category_window_days(conn, category_id))
    await repository.set_window(conn, nomination_id, window.approved_on, window.comment_until)
    return window


async def _file(
    conn: asyncpg.Connection,
    actor: Principal,
    objection_id: uuid.UUID,
    nomination_id: uuid.UUID,
    *,
    name: str,
    contact: str,
    content: str,
    client: str | None,
    source: str,
    filed_at: datetime | None,
) -> Objection | None:
    """Write one objection, its audit row and its event; None (nothing written) when that id is already filed."""
    filed = await repository.insert_objection(
        conn,
        objection_id,
        nomination_id,
        name=name,
        contact=contact,
        content=content,
        client=client,
        source=source,
        filed_at=filed_at,
    )
    if filed is None:
        return None
    after = {"id": filed.id, "nomination_id": filed.nomination_id, "status": filed.status, "source": source}
    await publishes.audit(conn, actor, [Change("objection", filed.id, "file", to_status=filed.status, after=after)])
    await publishes.publish(conn, [publishes.objection_item(filed)])
    return filed


async def object_publicly(
    conn: asyncpg.Connection, nomination_id: uuid.UUID, data: ObjectionCreate, address: str
) -> ObjectionCreated:
    """A member of the public objects to a nomination on notice: 404 if it is not, 409 once it ended, 429 too many."""
    name, contact = line(data.name, "name"), line(data.contact, "contact")
    content = paragraph(data.content, "content")
    client = client_key(address)
    async with conn.transaction():
        row = await repository.lock_for_objection(conn, nomination_id)
        if row is None or row["comment_until"] is None:
            raise NotFound("notice", detail=f"nomination {nomination_id} is not on public notice")
        if row["status"] != NominationStatus.APPROVED:
            raise Conflict(
                f"nomination {nomination_id} is no longer on public notice (it is {row['status']})",
                kind="notice-ended",
            )
        notice.check_open_for_objections(row["comment_until"], today())
        await repository.lock_rate(conn, client, nomination_id)
        sends = await repository.recent_sends(conn, client, nomination_id, int(notice.RATE_WINDOW.total_seconds()))
        if sends["by_client"] >= notice.PER_CLIENT_PER_HOUR:
            _too_many(f"at most {notice.PER_CLIENT_PER_HOUR} objections an hour from one address", sends, "client")
        if sends["to_nomination"] >= notice.PER_NOMINATION_PER_HOUR:
            _too_many(
                f"at most {notice.PER_NOMINATION_PER_HOUR} objections an hour to one nomination", sends, "nomination"
            )
        objection_id = uuid.uuid4()
        await _file(
            conn,
            PUBLIC,
            objection_id,
            nomination_id,
            name=name,
            contact=contact,
            content=content,
            client=client,
            source="awards",
            filed_at=None,
        )
        await repository.count_send(conn, client, nomination_id)
    return ObjectionCreated(id=objection_id)


def _too_many(detail: str, sends: asyncpg.Record, which: str) -> NoReturn:
    wait = notice.retry_after(sends[f"{which}_oldest"], sends["now"])
    raise Problem(429, f"{detail}; try again later", headers={"Retry-After": str(wait)})


def _received_text(value: str, *, multiline: bool, limit: int) -> str:
    """An objection's text as the events service sent it, stored whatever it holds: NFC, no control characters."""
    allowed = {"\n", "\t"} if multiline else set()
    kept = "".join(c for c in unicodedata.normalize("NFC", value) if c in allowed or unicodedata.category(c)[0] != "C")
    kept = kept.strip() if multiline else " ".join(kept.split())
    return (kept or "(trống)")[:limit]


async def file_received(conn: asyncpg.Connection, received: events.ObjectionReceived) -> bool:
    """File an objection the events service received, with the same row, audit and event as over HTTP.

    Idempotent: the objection's id is the one the events service gave it, so a
    repeat files nothing. Filed even after its window or once the nomination
    left approval (nothing the public said is lost: the committee sees it). A
    nomination this service does not know is refused (the consumer dead-letters
    it, visibly)."""
    if await conn.fetchval("SELECT true FROM nominations WHERE id = $1 FOR SHARE", received.nomination_id) is None:
        raise NotFound("nomination", received.nomination_id)
    filed = await _file(
        conn,
        PUBLIC_VIA_EVENTS,
        received.id,
        received.nomination_id,
        name=_received_text(received.name, multiline=False, limit=notice.NAME_MAX),
        contact=_received_text(received.contact, multiline=False, limit=notice.CONTACT_MAX),
        content=_received_text(received.content, multiline=True, limit=notice.CONTENT_MAX),
        client=None,
        source="events",
        filed_at=received.received_at,
    )
    return filed is not None


async def resolve(conn: asyncpg.Connection, actor: Principal, objection_id: uuid.UUID, data: ResolveBody) -> Objection:
    """The committee resolves an open objection, saying how; 409 when it is already resolved."""
    resolution = paragraph(data.resolution, "resolution")
    async with conn.transaction():
        before = await repository.lock_objection(conn, objection_id)
        if before.status == notice.ObjectionStatus.RESOLVED:
            raise Conflict(f"objection {objection_id} is already resolved", kind="objection-resolved")
        after = await repository.resolve(conn, objection_id, resolution, actor.account_id, actor.username)
        change = Change(
            "objection",
            objection_id,
            "resolve",
            from_status=before.status,
            to_status=after.status,
            reason=resolution,
            after={"id": after.id, "nomination_id": after.nomination_id, "status": after.status},
        )
        await publishes.audit(conn, actor, [change])
        await publishes.publish(conn, [publishes.objection_item(after)])
    return after
