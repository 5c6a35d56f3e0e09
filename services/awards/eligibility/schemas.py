"""Eligibility over HTTP: a nomination's checks, the rule presets, an award's dependents, the review items."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import msgspec

from ..schemas import Reason


class CheckResult(msgspec.Struct):
    rule: dict[str, Any]  # the rule as the category holds it (kind, its fields, citation, dates)
    passed: bool
    reason: str  # in Vietnamese, with the years and figures it looked at
    citation: str
    index: int  # the rule's place in the category's list


class Eligibility(msgspec.Struct):
    nomination_id: uuid.UUID
    eligible: bool
    reference_date: date  # whose rules apply: 1 January of the campaign's year
    checks: list[CheckResult]


class EligibilityList(msgspec.Struct):
    items: list[Eligibility]


class Preset(msgspec.Struct):
    title: str
    rules: list[dict[str, Any]]


class Presets(msgspec.Struct):
    items: list[Preset]


class Dependent(msgspec.Struct):
    """A nomination or award whose eligibility relied on an award."""

    nomination_id: uuid.UUID
    name: str
    kind: str
    status: str
    unit_name: str
    campaign_name: str
    year: int
    title: str
    form: str
    rule_kind: str
    citation: str
    relied_title: str
    relied_year: int
    review_item_id: uuid.UUID | None
    review_status: str | None


class Dependents(msgspec.Struct):
    award_id: uuid.UUID
    items: list[Dependent]


class ReviewItem(msgspec.Struct):
    """A nomination or award before the committee again: an award it relied on was revoked (`reason`)."""

    id: uuid.UUID
    nomination_id: uuid.UUID
    cause_award_id: uuid.UUID
    reason: str
    status: str  # "open" | "resolved"
    resolution: str | None
    resolved_by_name: str | None
    resolved_at: datetime | None
    created_at: datetime
    name: str
    kind: str
    nomination_status: str
    unit_name: str
    campaign_name: str
    year: int
    title: str
    cause_name: str


class ReviewItems(msgspec.Struct):
    items: list[ReviewItem]


class ResolveBody(msgspec.Struct, forbid_unknown_fields=True):
    resolution: Reason
