"""What the roll and the ceremonies both answer with: campaigns, categories, counts.

Public answers are built only from these types and those of each feature's
`schemas.py`, and they hold only what may be public: names, units, awards,
decisions, ceremonies. Never a birth year, an account, a nomination or a
version (docs/architecture.md, What is public).
"""

from __future__ import annotations

import uuid

import msgspec


class CampaignRef(msgspec.Struct):
    id: uuid.UUID
    name: str
    year: int


class CategoryRef(msgspec.Struct):
    id: uuid.UUID
    name: str


class KindCounts(msgspec.Struct):
    collective: int = 0
    individual: int = 0


class CategoryCount(msgspec.Struct):
    campaign: CampaignRef
    category: CategoryRef
    form: str
    collective: int
    individual: int
    total: int


class Counts(msgspec.Struct):
    total: int
    by_kind: KindCounts
    by_category: list[CategoryCount]
