"""What the events service takes and gives over HTTP.

Public answers are built only from these types, and they hold only what may be
public (DESIGN.md, Security): names, units, awards, decisions, ceremonies.
Never a birth year, an account, a nomination or a version.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

import msgspec

Kind = Literal["collective", "individual"]
Text = Annotated[str, msgspec.Meta(min_length=1, max_length=300)]


class CampaignRef(msgspec.Struct):
    id: uuid.UUID
    name: str
    year: int


class CategoryRef(msgspec.Struct):
    id: uuid.UUID
    name: str


class CeremonyRef(msgspec.Struct):
    id: uuid.UUID
    title: str
    held_on: date
    venue: str


class Honoree(msgspec.Struct):
    """One granted, unrevoked award on the public roll."""

    award_id: uuid.UUID
    kind: str
    name: str
    unit_id: uuid.UUID
    unit_name: str
    campaign: CampaignRef
    category: CategoryRef
    form: str
    decision_number: str
    decision_date: date
    ceremony: CeremonyRef | None


class KindCounts(msgspec.Struct):
    collective: int = 0
    individual: int = 0


class CategoryCount(msgspec.Struct):
    campaign: CampaignRef
    category: CategoryRef
    form: str
    collective: int
    individual: int
    total: int


class Counts(msgspec.Struct):
    total: int
    by_kind: KindCounts
    by_category: list[CategoryCount]


class Stats(Counts):
    pass


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
    status: str  # "planned" | "held"
    held_at: datetime | None
    created_at: datetime
    # Held: the honourees it recognised. Planned: those it is to recognise
    # (granted awards of its campaigns, decided by its date, not yet presented).
    honorees: Counts
