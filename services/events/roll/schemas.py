"""What the public honour roll answers with (see ../schemas.py for what may be public)."""

from __future__ import annotations

import uuid
from datetime import date

import msgspec

from ..schemas import CampaignRef, CategoryRef, Counts


class CeremonyRef(msgspec.Struct):
    id: uuid.UUID
    title: str
    held_on: date
    venue: str


class Honoree(msgspec.Struct, gc=False):
    """One granted, unrevoked award on the public roll.

    Not tracked by the garbage collector (it holds no container that could make a cycle): the roll's search
    index keeps many of them (index.py), and a full collection would walk every one.
    """

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


class Stats(Counts):
    pass
