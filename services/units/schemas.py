"""What the units service takes and gives over HTTP."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Literal

import msgspec

UnitKind = Literal[
    "party_committee", "grassroots_party_org", "government_agency", "fatherland_front", "mass_organization", "other"
]
Role = Literal["admin", "committee", "officer"]

Code = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._\-/]*$")]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=300)]
Username = Annotated[str, msgspec.Meta(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._\-@]*$")]
Password = Annotated[str, msgspec.Meta(min_length=8, max_length=256)]


class TokenRequest(msgspec.Struct, forbid_unknown_fields=True):
    username: Annotated[str, msgspec.Meta(min_length=1, max_length=256)]
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=256)]


class TokenResponse(msgspec.Struct):
    access_token: str
    expires_in: int
    token_type: str = "bearer"


class AccountCreate(msgspec.Struct, forbid_unknown_fields=True):
    username: Username
    password: Password
    role: Role
    unit_id: uuid.UUID | None = None


class Account(msgspec.Struct):
    id: uuid.UUID
    username: str
    role: str
    unit_id: uuid.UUID | None
    created_at: datetime


class Me(msgspec.Struct):
    """The caller: its account, and the unit it acts for (with that unit's name)."""

    id: uuid.UUID
    username: str
    role: str
    unit_id: uuid.UUID | None
    unit_name: str | None
    created_at: datetime


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


class PersonCreate(msgspec.Struct, forbid_unknown_fields=True):
    full_name: Name
    unit_id: uuid.UUID
    position: Annotated[str, msgspec.Meta(max_length=300)] | None = None
    birth_year: Annotated[int, msgspec.Meta(ge=1900, le=2100)] | None = None


class PersonPatch(msgspec.Struct, forbid_unknown_fields=True):
    """Only what is sent changes; `null` clears `position` or `birth_year`."""

    full_name: Name | msgspec.UnsetType = msgspec.UNSET
    unit_id: uuid.UUID | msgspec.UnsetType = msgspec.UNSET
    position: Annotated[str, msgspec.Meta(max_length=300)] | None | msgspec.UnsetType = msgspec.UNSET
    birth_year: Annotated[int, msgspec.Meta(ge=1900, le=2100)] | None | msgspec.UnsetType = msgspec.UNSET


class Person(msgspec.Struct):
    id: uuid.UUID
    full_name: str
    unit_id: uuid.UUID
    position: str | None
    birth_year: int | None
    version: int
    created_at: datetime
    updated_at: datetime


class ImportResult(msgspec.Struct):
    created: int
    items: list[Unit]
