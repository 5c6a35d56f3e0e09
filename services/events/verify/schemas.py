"""What `GET /verify/{code}` answers: whom a certificate honours, for what, under which decision, and whether
the award stands. Nothing private: no person id, no birth year, no achievements."""

from __future__ import annotations

from datetime import date
from typing import Literal

import msgspec


class Verification(msgspec.Struct):
    code: str  # as printed: 7KQ2-M9XD-3FAB
    name: str | None  # None only for a revoked award whose grant this service never received
    kind: str | None  # "collective" | "individual"
    unit_name: str | None
    campaign: str | None
    category: str | None
    form: str | None  # Bằng khen, Giấy khen...
    decision_number: str | None
    decision_date: date | None
    status: Literal["standing", "revoked"]
    year: int | None = None
