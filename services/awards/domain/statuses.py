"""The status sets of the awards service: one enum each, whose values are exactly those
the migrations' CHECK constraints allow (tests/awards/test_statuses.py holds them to it)."""

from __future__ import annotations

from enum import StrEnum


class NominationStatus(StrEnum):
    SUBMITTED = "submitted"
    RETURNED = "returned"  # sent back by the committee to be completed, then resubmitted
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    GRANTED = "granted"
    REVOKED = "revoked"


class AwardStatus(StrEnum):
    """An award is a nomination a decision granted: these are the nomination statuses it can have."""

    GRANTED = "granted"
    REVOKED = "revoked"


class CampaignStatus(StrEnum):
    OPEN = "open"  # takes nominations
    CLOSED = "closed"  # takes none; review, approval and decisions go on


class NomineeKind(StrEnum):
    COLLECTIVE = "collective"  # a unit
    INDIVIDUAL = "individual"  # a person
