"""What the notice takes and gives over HTTP. Public: names, units, campaigns, categories, dates and how
many objections are being considered; never an objector's name, contact or words (see ../schemas.py)."""

from __future__ import annotations

import uuid
from datetime import date

import msgspec

from ..schemas import CampaignRef, CategoryRef


class Notice(msgspec.Struct):
    """A nomination on public notice; `window_ends_on` is the last day objections are taken."""

    nomination_id: uuid.UUID
    name: str
    kind: str
    unit_name: str
    campaign: CampaignRef
    category: CategoryRef
    form: str
    approved_on: date | None
    window_ends_on: date
    objections_open: int


class Notices(msgspec.Struct):
    items: list[Notice]


class ObjectionIn(msgspec.Struct):
    """An objection as sent in JSON (the page's form sends the same fields form-encoded)."""

    name: str
    contact: str
    content: str


class ObjectionAccepted(msgspec.Struct):
    id: uuid.UUID
