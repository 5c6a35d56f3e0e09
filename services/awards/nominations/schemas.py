"""Nominations over HTTP: what an officer sends, what a nomination and its history look like."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import msgspec

from shared.batches import ProblemDocument

from ..domain.statuses import NominationStatus, NomineeKind
from ..eligibility.schemas import Eligibility
from ..schemas import TEXT

Achievements = Annotated[str, msgspec.Meta(min_length=1, max_length=20_000, pattern=TEXT)]


class NominationCreate(msgspec.Struct, forbid_unknown_fields=True):
    """A collective names `nominee_unit_id`, an individual `nominee_person_id`; never both."""

    category_id: uuid.UUID
    achievements: Achievements
    nominee_unit_id: uuid.UUID | None = None
    nominee_person_id: uuid.UUID | None = None


class NominationUpdate(msgspec.Struct, forbid_unknown_fields=True):
    """What the unit's officer may change while the committee has not decided: the achievements."""

    achievements: Achievements


class Tally(msgspec.Struct):
    approve: int
    reject: int
    total: int


class Nomination(msgspec.Struct):
    id: uuid.UUID
    campaign_id: uuid.UUID
    category_id: uuid.UUID
    nominee_kind: NomineeKind
    nominee_unit_id: uuid.UUID | None
    nominee_person_id: uuid.UUID | None
    nominee_name: str
    unit_id: uuid.UUID  # the collective itself, or the individual's unit
    unit_name: str
    achievements: str
    status: NominationStatus
    version: int
    submitted_by: uuid.UUID
    submitted_by_name: str
    submitting_unit_id: uuid.UUID | None
    decision_id: uuid.UUID | None
    reason: str | None  # of the latest return, rejection or revocation
    tally: Tally
    created_at: datetime
    updated_at: datetime
    granted_at: datetime | None
    revoked_at: datetime | None
    # Only in `GET /nominations?include=eligibility` (the review queue's badges, without a call of their own).
    eligibility: Eligibility | msgspec.UnsetType = msgspec.UNSET


class AttachmentRef(msgspec.Struct):
    """A file of the dossier as a history step names it (the bytes of a removed file are not kept)."""

    id: uuid.UUID
    filename: str
    size: int
    content_type: str
    sha256: str


class HistoryEntry(msgspec.Struct):
    at: datetime
    action: str
    from_status: str | None
    to_status: str | None
    actor_id: uuid.UUID
    actor_name: str
    actor_role: str
    reason: str | None
    # Each version of the dossier: the achievements this step wrote (`submit`, `edit`), those an edit
    # replaced, and the file an `attach` added or a `detach` removed.
    achievements: str | None = None
    achievements_before: str | None = None
    attachment: AttachmentRef | None = None


class NominationOutcome(msgspec.Struct, omit_defaults=True):
    """One item of `POST /nominations/batch`: 201 and the nomination, or the single POST's refusal."""

    index: int
    status: int
    nomination: Nomination | None = None
    problem: ProblemDocument | None = None


class NominationBatchResult(msgspec.Struct):
    items: list[NominationOutcome]
