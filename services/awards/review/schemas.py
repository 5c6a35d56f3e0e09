"""The committee's votes over HTTP."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import msgspec

from ..nominations.schemas import Tally
from ..schemas import TEXT

Comment = Annotated[str, msgspec.Meta(max_length=2000, pattern=TEXT)]


class VoteCreate(msgspec.Struct, forbid_unknown_fields=True):
    approve: bool
    comment: Comment | None = None


class Vote(msgspec.Struct):
    nomination_id: uuid.UUID
    member_id: uuid.UUID
    member_name: str
    approve: bool
    comment: str | None
    cast_at: datetime


class VoteResult(msgspec.Struct):
    vote: Vote | None  # None in a secret ballot: not even the answer to the voter pairs them with a choice
    replaced: bool  # the member had voted before; this vote replaced it (never in a secret ballot)
    tally: Tally
    secret: bool = False  # the category's ballot is secret: the ballot is in the box, once and for all
