"""What the people calls take and give."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import msgspec

from shared.batches import ProblemDocument

from ..schemas import Name

Position = Annotated[str, msgspec.Meta(max_length=300)]
BirthYear = Annotated[int, msgspec.Meta(ge=1900, le=2100)]


class PersonCreate(msgspec.Struct, forbid_unknown_fields=True):
    full_name: Name
    unit_id: uuid.UUID
    position: Position | None = None
    birth_year: BirthYear | None = None


class PersonPatch(msgspec.Struct, forbid_unknown_fields=True):
    """Only what is sent changes; `null` clears `position` or `birth_year`."""

    full_name: Name | msgspec.UnsetType = msgspec.UNSET
    unit_id: uuid.UUID | msgspec.UnsetType = msgspec.UNSET
    position: Position | None | msgspec.UnsetType = msgspec.UNSET
    birth_year: BirthYear | None | msgspec.UnsetType = msgspec.UNSET


class Person(msgspec.Struct):
    id: uuid.UUID
    full_name: str
    unit_id: uuid.UUID
    position: str | None
    birth_year: int | None
    version: int
    created_at: datetime
    updated_at: datetime


class PersonOutcome(msgspec.Struct, omit_defaults=True):
    """One item of `POST /people/batch`: 201 and the person, or the single POST's refusal."""

    index: int
    status: int
    person: Person | None = None
    problem: ProblemDocument | None = None


class PersonBatchResult(msgspec.Struct):
    items: list[PersonOutcome]
