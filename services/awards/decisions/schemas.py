"""The committee's numbered decisions over HTTP."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated

import msgspec

from ..awards.schemas import Award
from ..schemas import LINE, Name

DecisionNumber = Annotated[str, msgspec.Meta(min_length=1, max_length=100, pattern=LINE)]

MAX_DECISION_NOMINATIONS = 5000


class DecisionCreate(msgspec.Struct, forbid_unknown_fields=True):
    number: DecisionNumber
    signed_on: date
    signer: Name
    nomination_ids: Annotated[list[uuid.UUID], msgspec.Meta(min_length=1, max_length=MAX_DECISION_NOMINATIONS)]


class Decision(msgspec.Struct):
    id: uuid.UUID
    number: str
    signed_on: date
    signer: str
    created_by: uuid.UUID
    created_by_name: str
    created_at: datetime
    nomination_ids: list[uuid.UUID]
    awards: list[Award]


class DecisionSummary(msgspec.Struct):
    id: uuid.UUID
    number: str
    signed_on: date
    signer: str
    created_at: datetime
    awards: int
