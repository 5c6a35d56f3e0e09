"""What the token calls take and give."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import msgspec

from ..accounts.schemas import Password

# Ours are 76 characters; anything far longer is not one, and is refused before any lookup.
RefreshToken = Annotated[str, msgspec.Meta(min_length=1, max_length=256)]


class TokenRequest(msgspec.Struct, forbid_unknown_fields=True):
    username: Annotated[str, msgspec.Meta(min_length=1, max_length=256)]
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=256)]


class TokenResponse(msgspec.Struct):
    """An access token (a JWT for `Authorization: Bearer`, for `expires_in` seconds) and the refresh token
    that gets the next pair once (`POST /auth/refresh`)."""

    access_token: str
    expires_in: int
    refresh_token: str
    token_type: str = "bearer"


class RefreshRequest(msgspec.Struct, forbid_unknown_fields=True):
    refresh_token: RefreshToken


class PasswordChange(msgspec.Struct, forbid_unknown_fields=True):
    """The caller's new password. With `refresh_token` (the caller's own), that sign-in stays; every other
    sign-in of the account ends."""

    current_password: Annotated[str, msgspec.Meta(min_length=1, max_length=256)]
    new_password: Password
    refresh_token: RefreshToken | None = None


class Me(msgspec.Struct):
    """The caller: its account, and the unit it acts for (with that unit's name)."""

    id: uuid.UUID
    username: str
    role: str
    unit_id: uuid.UUID | None
    unit_name: str | None
    display_name: str | None
    created_at: datetime
