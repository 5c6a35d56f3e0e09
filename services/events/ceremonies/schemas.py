"""What the ceremonies take and give over HTTP (see ../schemas.py for what may be public)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

import msgspec

from ..domain import CeremonyStatus
from ..schemas import CampaignRef, Counts

Text = Annotated[str, msgspec.Meta(min_length=1, max_length=300)]


class UnitRef(msgspec.Struct):
    id: uuid.UUID
    name: str | None


class CeremonyCreate(msgspec.Struct, forbid_unknown_fields=True):
    title: Text
    held_on: date
    venue: Text
    host_unit_id: uuid.UUID
    campaign_ids: Annotated[list[uuid.UUID], msgspec.Meta(min_length=1, max_length=50)]


class Ceremony(msgspec.Struct):
    id: uuid.UUID
    title: str
    held_on: date
    venue: str
    host_unit: UnitRef
    campaigns: list[CampaignRef]
    status: CeremonyStatus
    held_at: datetime | None
    created_at: datetime
    # Held: the honourees it recognised. Planned: those it is to recognise
    # (granted awards of its campaigns, decided by its date, not yet presented).
    honorees: Counts
