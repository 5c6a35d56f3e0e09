"""What the account calls take and give (the `thidua create-account` command checks with `AccountCreate` too)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import msgspec

from shared.auth import Role

Username = Annotated[str, msgspec.Meta(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._\-@]*$")]
Password = Annotated[str, msgspec.Meta(min_length=8, max_length=256)]
# Length and type only: shared.text.optional_line cleans it (blank means none).
DisplayName = Annotated[str, msgspec.Meta(max_length=200)]


class AccountCreate(msgspec.Struct, forbid_unknown_fields=True):
    username: Username
    password: Password
    role: Role
    unit_id: uuid.UUID | None = None
    display_name: DisplayName | None = None


class AccountPatch(msgspec.Struct, forbid_unknown_fields=True):
    """Only what is sent changes; `null` (or blank) clears `display_name`, and `unit_id` of a non-officer."""

    disabled: bool | msgspec.UnsetType = msgspec.UNSET
    role: Role | msgspec.UnsetType = msgspec.UNSET
    unit_id: uuid.UUID | None | msgspec.UnsetType = msgspec.UNSET
    display_name: DisplayName | None | msgspec.UnsetType = msgspec.UNSET


class PasswordReset(msgspec.Struct, forbid_unknown_fields=True):
    """An admin sets an account's password; every sign-in of the account ends."""

    password: Password


class Account(msgspec.Struct):
    id: uuid.UUID
    username: str
    role: str
    unit_id: uuid.UUID | None
    display_name: str | None
    disabled: bool
    version: int
    created_at: datetime
    updated_at: datetime
