"""What the events service publishes (stream EVENTS): each ceremony's state,
`events.ceremony.created` when planned and `events.ceremony.held` when held,
and `events.objection.received` for an objection sent from the notice page,
through its one outbox path."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import asyncpg

from shared import events, outbox

from .domain import CeremonyStatus

PRODUCER = "events"


def _state(cls: type[events.CeremonyState], row: Mapping[str, Any], **extra: Any) -> outbox.Item:
    data = cls(
        id=row["id"],
        title=row["title"],
        held_on=row["held_on"],
        venue=row["venue"],
        host_unit_id=row["host_unit_id"],
        campaign_ids=tuple(row["campaign_ids"]),
        status=row["status"],
        **extra,
    )
    return data, row["id"], row["version"]


def ceremony_created(row: Mapping[str, Any]) -> outbox.Item:
    """A planned ceremony (a row of `ceremonies`), at its version."""
    return _state(events.CeremonyCreated, row)


def ceremony_held(row: Mapping[str, Any], *, held_at: datetime, honoree_count: int) -> outbox.Item:
    """A held ceremony, with the honourees it presents."""
    return _state(events.CeremonyHeld, row, held_at=held_at, honoree_count=honoree_count)


def ceremony_state(row: Mapping[str, Any]) -> outbox.Item:
    """A ceremony's current state, whichever it is (a row with its `honoree_count`)."""
    if row["status"] == CeremonyStatus.HELD:
        return ceremony_held(row, held_at=row["held_at"], honoree_count=row["honoree_count"])
    return ceremony_created(row)


def objection_received(
    objection_id: uuid.UUID, nomination_id: uuid.UUID, *, name: str, contact: str, content: str, received_at: datetime
) -> outbox.Item:
    """An objection sent from the notice page, for the awards service to file (it owns objections).

    Its own aggregate, at version 1: it is sent once and never changes here."""
    data = events.ObjectionReceived(
        id=objection_id,
        nomination_id=nomination_id,
        name=name,
        contact=contact,
        content=content,
        received_at=received_at,
    )
    return data, objection_id, 1


async def publish(conn: asyncpg.Connection, items: Sequence[outbox.Item]) -> None:
    """Written to the outbox in the caller's transaction, published by the relay after it commits."""
    await outbox.emit(conn, items, producer=PRODUCER)
