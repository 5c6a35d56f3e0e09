"""What the token calls take and give."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import msgspec


class TokenRequest(msgspec.Struct, forbid_unknown_fields=True):
    username: Annotated[str, msgspec.Meta(min_length=1, max_length=256)]
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=256)]


class TokenResponse(msgspec.Struct):
    access_token: str
    expires_in: int
    token_type: str = "bearer"


class Me(msgspec.Struct):
    """The caller: its account, and the unit it acts for (with that unit's name)."""

    id: uuid.UUID
    username: str
    role: str
    unit_id: uuid.UUID | None
    unit_name: str | None
    created_at: datetime
