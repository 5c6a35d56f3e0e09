"""What the account calls take and give (the `thidua create-account` command checks with `AccountCreate` too)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import msgspec

from shared.auth import Role

Username = Annotated[str, msgspec.Meta(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9._\-@]*$")]
Password = Annotated[str, msgspec.Meta(min_length=8, max_length=256)]


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
