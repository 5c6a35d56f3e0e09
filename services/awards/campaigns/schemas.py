"""Campaigns and their categories over HTTP."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any

import msgspec

from ..domain.statuses import CampaignStatus, NomineeKind
from ..schemas import LINE, TEXT, Code, Name

Form = Annotated[str, msgspec.Meta(min_length=1, max_length=100, pattern=LINE)]
Description = Annotated[str, msgspec.Meta(max_length=5000, pattern=TEXT)]
Year = Annotated[int, msgspec.Meta(ge=1945, le=2100)]
Quota = Annotated[int, msgspec.Meta(ge=0, le=1_000_000)]
Percent = Annotated[int, msgspec.Meta(ge=1, le=100)]
WorkingDays = Annotated[int, msgspec.Meta(ge=0, le=60)]


class PassMark(msgspec.Struct, forbid_unknown_fields=True, omit_defaults=True):
    """How many of the council's members entitled to vote must say yes: exactly one of the two is set.

    `{"at_least_percent": 90}`: yes >= 90% of them; `{"more_than_percent": 50}`: yes > 50% of them.
    """

    at_least_percent: Percent | None = None
    more_than_percent: Percent | None = None


class CampaignCreate(msgspec.Struct, forbid_unknown_fields=True):
    code: Code
    name: Name
    organizer_unit_id: uuid.UUID
    year: Year
    starts_on: date | None = None
    ends_on: date | None = None
    description: Description | None = None


class CampaignPatch(msgspec.Struct, forbid_unknown_fields=True):
    """What is sent changes; null clears a date or the description (the name cannot be cleared)."""

    name: Name | msgspec.UnsetType = msgspec.UNSET
    starts_on: date | None | msgspec.UnsetType = msgspec.UNSET
    ends_on: date | None | msgspec.UnsetType = msgspec.UNSET
    description: Description | None | msgspec.UnsetType = msgspec.UNSET


class CategoryCreate(msgspec.Struct, forbid_unknown_fields=True):
    code: Code
    name: Name
    nominee_kind: NomineeKind
    quota: Quota
    form: Form
    pass_mark: PassMark | None = None  # null: the members' votes advise the committee, they do not bind it
    secret_ballot: bool = False
    comment_working_days: WorkingDays = 0  # 0: no public notice before a decision
    # Eligibility rules (domain/eligibility.py), each with its citation; checked there, naming `rules[i].field`.
    rules: list[Any] = msgspec.field(default_factory=list)
    title: Name | None = None  # the title the category confers, as rules name it (null: its name)


class CategoryPatch(msgspec.Struct, forbid_unknown_fields=True):
    """What is sent changes; `pass_mark: null` removes the pass mark."""

    code: Code | msgspec.UnsetType = msgspec.UNSET
    name: Name | msgspec.UnsetType = msgspec.UNSET
    nominee_kind: NomineeKind | msgspec.UnsetType = msgspec.UNSET
    quota: Quota | msgspec.UnsetType = msgspec.UNSET
    form: Form | msgspec.UnsetType = msgspec.UNSET
    pass_mark: PassMark | None | msgspec.UnsetType = msgspec.UNSET
    secret_ballot: bool | msgspec.UnsetType = msgspec.UNSET
    comment_working_days: WorkingDays | msgspec.UnsetType = msgspec.UNSET
    rules: list[Any] | msgspec.UnsetType = msgspec.UNSET
    title: Name | None | msgspec.UnsetType = msgspec.UNSET


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
    pass_mark: PassMark | None
    secret_ballot: bool
    comment_working_days: int
    created_at: datetime
    rules: list[dict[str, Any]] = msgspec.field(default_factory=list)  # eligibility rules, each with its citation
    title: str | None = None  # the title it confers, as rules name it (null: its name)


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
