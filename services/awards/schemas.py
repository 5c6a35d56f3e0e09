"""What the awards service takes and gives over HTTP.

An award is a granted nomination: `award_id` is the id of the nomination the
decision granted, so an award's whole story is the nomination's history.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

import msgspec

NomineeKind = Literal["collective", "individual"]
CampaignStatus = Literal["open", "closed"]
NominationStatus = Literal["submitted", "approved", "rejected", "withdrawn", "granted", "revoked"]

# One line of text: no control characters (a NUL would be refused by PostgreSQL).
_LINE = r"^[^\x00-\x1f\x7f]*$"
# Several lines (a record of merit): tabs and line breaks allowed.
_TEXT = r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$"

Code = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._\-/]*$")]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=300, pattern=_LINE)]
Form = Annotated[str, msgspec.Meta(min_length=1, max_length=100, pattern=_LINE)]
Description = Annotated[str, msgspec.Meta(max_length=5000, pattern=_TEXT)]
Achievements = Annotated[str, msgspec.Meta(min_length=1, max_length=20_000, pattern=_TEXT)]
Reason = Annotated[str, msgspec.Meta(min_length=1, max_length=2000, pattern=_TEXT)]
Comment = Annotated[str, msgspec.Meta(max_length=2000, pattern=_TEXT)]
DecisionNumber = Annotated[str, msgspec.Meta(min_length=1, max_length=100, pattern=_LINE)]
Year = Annotated[int, msgspec.Meta(ge=1945, le=2100)]
Quota = Annotated[int, msgspec.Meta(ge=0, le=1_000_000)]

MAX_DECISION_NOMINATIONS = 5000


# ------------------------------------------------------------------ campaigns
class CampaignCreate(msgspec.Struct, forbid_unknown_fields=True):
    code: Code
    name: Name
    organizer_unit_id: uuid.UUID
    year: Year
    starts_on: date | None = None
    ends_on: date | None = None
    description: Description | None = None


class CategoryCreate(msgspec.Struct, forbid_unknown_fields=True):
    code: Code
    name: Name
    nominee_kind: NomineeKind
    quota: Quota
    form: Form


class CategoryPatch(msgspec.Struct, forbid_unknown_fields=True):
    name: Name | msgspec.UnsetType = msgspec.UNSET
    quota: Quota | msgspec.UnsetType = msgspec.UNSET
    form: Form | msgspec.UnsetType = msgspec.UNSET


class Category(msgspec.Struct):
    id: uuid.UUID
    campaign_id: uuid.UUID
    code: str
    name: str
    nominee_kind: NomineeKind
    form: str
    quota: int
    held: int  # approved or granted nominations, which the quota bounds
    remaining: int
    created_at: datetime


class Campaign(msgspec.Struct):
    id: uuid.UUID
    code: str
    name: str
    organizer_unit_id: uuid.UUID
    year: int
    starts_on: date | None
    ends_on: date | None
    description: str | None
    status: CampaignStatus
    version: int
    created_at: datetime
    updated_at: datetime
    categories: list[Category] = msgspec.field(default_factory=list)


# ------------------------------------------------------------------ nominations
class NominationCreate(msgspec.Struct, forbid_unknown_fields=True):
    """A collective names `nominee_unit_id`, an individual `nominee_person_id`; never both."""

    category_id: uuid.UUID
    achievements: Achievements
    nominee_unit_id: uuid.UUID | None = None
    nominee_person_id: uuid.UUID | None = None


class ReasonBody(msgspec.Struct, forbid_unknown_fields=True):
    reason: Reason


class OptionalReasonBody(msgspec.Struct, forbid_unknown_fields=True):
    reason: Reason | None = None


class VoteCreate(msgspec.Struct, forbid_unknown_fields=True):
    approve: bool
    comment: Comment | None = None


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
    reason: str | None  # of the latest rejection or revocation
    tally: Tally
    created_at: datetime
    updated_at: datetime
    granted_at: datetime | None
    revoked_at: datetime | None


class Vote(msgspec.Struct):
    nomination_id: uuid.UUID
    member_id: uuid.UUID
    member_name: str
    approve: bool
    comment: str | None
    cast_at: datetime


class VoteResult(msgspec.Struct):
    vote: Vote
    replaced: bool  # the member had voted before; this vote replaced it
    tally: Tally


class HistoryEntry(msgspec.Struct):
    at: datetime
    action: str
    from_status: str | None
    to_status: str | None
    actor_id: uuid.UUID
    actor_name: str
    actor_role: str
    reason: str | None


# ------------------------------------------------------------------ decisions and awards
class DecisionCreate(msgspec.Struct, forbid_unknown_fields=True):
    number: DecisionNumber
    signed_on: date
    signer: Name
    nomination_ids: Annotated[list[uuid.UUID], msgspec.Meta(min_length=1, max_length=MAX_DECISION_NOMINATIONS)]


class Award(msgspec.Struct):
    """A granted nomination. `award_id` equals `nomination_id`."""

    award_id: uuid.UUID
    nomination_id: uuid.UUID
    status: Literal["granted", "revoked"]
    kind: NomineeKind
    name: str
    unit_id: uuid.UUID
    unit_name: str
    campaign_id: uuid.UUID
    campaign_name: str
    year: int
    category_id: uuid.UUID
    category_name: str
    form: str
    decision_id: uuid.UUID
    decision_number: str
    decision_date: date
    granted_at: datetime
    revoked_at: datetime | None = None
    revocation_reason: str | None = None


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
