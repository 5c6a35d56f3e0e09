"""The public notice over HTTP: what is on notice, an objection as the public sends it, as the committee reads it."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

import msgspec

from ..domain import notice
from ..schemas import LINE, TEXT

ObjectorName = Annotated[str, msgspec.Meta(min_length=1, max_length=notice.NAME_MAX, pattern=LINE)]
Contact = Annotated[str, msgspec.Meta(min_length=1, max_length=notice.CONTACT_MAX, pattern=LINE)]
Content = Annotated[str, msgspec.Meta(min_length=1, max_length=notice.CONTENT_MAX, pattern=TEXT)]
Resolution = Annotated[str, msgspec.Meta(min_length=1, max_length=notice.RESOLUTION_MAX, pattern=TEXT)]


class Notice(msgspec.Struct):
    """An approved nomination on public notice: what the public may know of it, never who objected."""

    nomination_id: uuid.UUID
    name: str
    kind: str  # "collective" | "individual"
    unit_name: str
    campaign: str
    category: str
    approved_on: date
    window_ends_on: date
    campaign_id: uuid.UUID
    category_id: uuid.UUID
    form: str
    objections_open: int


class ObjectionCreate(msgspec.Struct, forbid_unknown_fields=True):
    """An objection by a member of the public: who (never shown publicly), how to reach them, and what."""

    name: ObjectorName
    contact: Contact
    content: Content


class ObjectionCreated(msgspec.Struct):
    id: uuid.UUID


class Objection(msgspec.Struct):
    """An objection as the committee and admin read it, with the objector's name and contact."""

    id: uuid.UUID
    nomination_id: uuid.UUID
    name: str
    contact: str
    content: str
    filed_at: datetime
    source: str  # "awards" (this service's POST) | "events" (the events service's notice page)
    status: str  # "open" | "resolved"
    resolution: str | None
    resolved_by: uuid.UUID | None
    resolved_by_name: str | None
    resolved_at: datetime | None


class Objections(msgspec.Struct):
    """A nomination's objections, oldest first, with its notice: `comment_until` None when it had none."""

    items: list[Objection]
    approved_on: date | None
    comment_until: date | None
    on_notice: bool


class ResolveBody(msgspec.Struct, forbid_unknown_fields=True):
    resolution: Resolution
