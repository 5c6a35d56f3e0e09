"""What the directives take and give over HTTP, and what the report and charts read (helper modules of
this package build the report on `Directive` and `Implementation`: keep their fields stable).

Everything here is public (a directive, the units that reported, the counts): never an account.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated

import msgspec
from litestar.datastructures import UploadFile

from .domain import MAX_ATTENDEES, MIN_ATTENDEES, SessionKind

Code = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
Text = Annotated[str, msgspec.Meta(min_length=1, max_length=1000)]
Attendees = Annotated[int, msgspec.Meta(ge=MIN_ATTENDEES, le=MAX_ATTENDEES)]


# ------------------------------------------------------------------ requests
@dataclass
class DocumentUpload:
    """`multipart/form-data` with one file, in the field `file`."""

    file: UploadFile


class DirectiveCreate(msgspec.Struct, forbid_unknown_fields=True):
    code: Code
    title: Text
    implements: Text
    issuing_unit_id: uuid.UUID
    issued_on: date
    campaign_ids: Annotated[list[uuid.UUID], msgspec.Meta(max_length=50)] = []


class ProgrammeCreate(msgspec.Struct, forbid_unknown_fields=True):
    unit_id: uuid.UUID
    number: Code
    issued_on: date
    title: Text


class SessionCreate(msgspec.Struct, forbid_unknown_fields=True):
    unit_id: uuid.UUID
    held_on: date
    kind: SessionKind
    title: Text
    attendees: Attendees


# ------------------------------------------------------------------ answers
class Directive(msgspec.Struct):
    id: uuid.UUID
    code: str
    title: str
    implements: str
    issuing_unit_id: uuid.UUID
    issuing_unit_name: str | None  # None while the unit has not reached this service's copy
    issued_on: date
    campaign_ids: list[uuid.UUID]
    created_at: datetime


class ProgrammeDocument(msgspec.Struct):
    """What a programme's document is said to be (its bytes at `GET .../programmes/{id}/document`)."""

    filename: str
    size: int  # bytes
    content_type: str  # what the bytes are (PDF or DOCX), whatever the client said
    sha256: str  # hex; also the download's ETag


class Programme(msgspec.Struct):
    id: uuid.UUID
    directive_id: uuid.UUID
    unit_id: uuid.UUID
    unit_name: str | None
    number: str
    issued_on: date
    title: str
    created_at: datetime
    document: ProgrammeDocument | None = None  # the programme's text, once uploaded


class Session(msgspec.Struct):
    id: uuid.UUID
    directive_id: uuid.UUID
    unit_id: uuid.UUID
    unit_name: str | None
    held_on: date
    kind: SessionKind
    title: str
    attendees: int
    created_at: datetime


class Imported(msgspec.Struct):
    """What an import created: `created` rows, all or nothing."""

    created: int


# ------------------------------------------------------------------ the figures
class Coverage(msgspec.Struct):
    """Units of one kind below the issuing unit: `done` of them have a programme, out of `of`."""

    done: int
    of: int


class SessionTotals(msgspec.Struct):
    count: int
    attendees: int


class CampaignHonoured(msgspec.Struct):
    campaign_id: uuid.UUID
    name: str  # "" while the campaign has not reached this service
    collectives: int
    individuals: int


class Honoured(msgspec.Struct):
    """Standing (granted, unrevoked) awards of the directive's campaigns."""

    collectives: int
    individuals: int
    by_campaign: list[CampaignHonoured]


class MissingUnit(msgspec.Struct):
    id: uuid.UUID
    name: str
    kind: str


class Implementation(msgspec.Struct):
    """`GET /directives/{id}/implementation`: programmes by unit kind, sessions, honourees, who has no programme."""

    programmes: dict[str, Coverage]
    sessions: SessionTotals
    honoured: Honoured
    missing: list[MissingUnit]


class DistrictCoverage(msgspec.Struct):
    """One direct child of the issuing unit: of the units of its subtree (itself included), `done` have a
    programme, out of `of`. The `of`s of every child add up to the whole coverage's."""

    unit_id: uuid.UUID
    name: str
    done: int
    of: int


class MonthSessions(msgspec.Struct):
    month: date  # the first of the month
    count: int
    attendees: int
