"""Awards over HTTP. An award is a granted nomination: `award_id` equals `nomination_id`."""

from __future__ import annotations

import uuid
from datetime import date, datetime

import msgspec

from ..domain.statuses import AwardStatus, NomineeKind


class Award(msgspec.Struct):
    """A granted nomination. `award_id` equals `nomination_id`."""

    award_id: uuid.UUID
    nomination_id: uuid.UUID
    status: AwardStatus
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


class StaffAward(Award, kw_only=True):
    """An award as committee and admin read it: with the verification code printed on its certificate
    (`7KQ2-M9XD-3FAB`), which no public answer carries."""

    verification_code: str
