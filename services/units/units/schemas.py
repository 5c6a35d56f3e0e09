"""What the unit tree's calls take and give."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import msgspec

from ..domain import UnitKind
from ..schemas import Name

Code = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._\-/]*$")]


class UnitCreate(msgspec.Struct, forbid_unknown_fields=True):
    code: Code
    name: Name
    kind: UnitKind
    parent_id: uuid.UUID | None = None


class UnitImportRow(msgspec.Struct, forbid_unknown_fields=True):
    code: Code
    name: Name
    kind: UnitKind
    parent_code: Code | None = None


class UnitPatch(msgspec.Struct, forbid_unknown_fields=True):
    name: Name | msgspec.UnsetType = msgspec.UNSET
    parent_id: uuid.UUID | None | msgspec.UnsetType = msgspec.UNSET


class Unit(msgspec.Struct):
    id: uuid.UUID
    code: str
    name: str
    kind: str
    parent_id: uuid.UUID | None
    depth: int
    version: int
    created_at: datetime
    updated_at: datetime


class ImportResult(msgspec.Struct):
    created: int
    items: list[Unit]
