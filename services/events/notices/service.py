"""The notice's use case: a member of the public objects to a nomination on notice.

The objection is not this service's to keep: it is written to the outbox as
`events.objection.received`, in the transaction that counts it against the
sender's address, and the awards service files it (it owns objections). So an
accepted objection is never lost, and nothing of it (least of all the contact)
is kept in any table a public answer reads.
"""

from __future__ import annotations

import math
import uuid
from datetime import datetime

import asyncpg

from shared.errors import Conflict, NotFound
from shared.problems import Problem

from .. import domain, publishes
from . import repository
from .schemas import Notice

RATE_LIMITED = "too many objections from this address; wait and try again"


async def open_notice(conn: asyncpg.Connection, nomination_id: uuid.UUID, now: datetime) -> Notice:
    """The notice an objection is for: 404 when the nomination is not on notice, 409 when its window ended."""
    notice = await repository.find(conn, nomination_id)
    if notice is None:
        raise NotFound("nomination on public notice", nomination_id, field="nomination_id")
    if not domain.is_on_notice(notice.window_ends_on, domain.vietnam_day(now)):
        raise Conflict(
            f"the public notice of this nomination ended on {notice.window_ends_on.isoformat()}",
            field="nomination_id",
            kind="notice-ended",
        )
    return notice


async def object_to(
    conn: asyncpg.Connection,
    nomination_id: uuid.UUID,
    text: domain.ObjectionText,
    address: str,
    now: datetime,
) -> uuid.UUID:
    """Count the objection against `address` (429 over the limit) and send it on, in one transaction.

    The caller has checked the notice (`open_notice`) and the text (`domain.objection_text`).
    """
    objection_id = uuid.uuid4()
    async with conn.transaction():
        count, oldest_age = await repository.throttle_count(conn, address, domain.OBJECTION_WINDOW_SECONDS)
        wait = domain.throttle_wait(count, oldest_age)
        if wait is not None:
            raise Problem(429, RATE_LIMITED, headers={"Retry-After": str(math.ceil(wait))})
        await repository.throttle_add(conn, address)
        await publishes.publish(
            conn,
            [
                publishes.objection_received(
                    objection_id,
                    nomination_id,
                    name=text.name,
                    contact=text.contact,
                    content=text.content,
                    received_at=now,
                )
            ],
        )
    return objection_id
