"""The council over HTTP: its members, a nomination's tally and votes, a recusal, the ballot's record."""

from __future__ import annotations

import uuid
from typing import Annotated

import msgspec

from ..campaigns.schemas import PassMark
from ..schemas import Reason

MemberIds = Annotated[list[uuid.UUID], msgspec.Meta(max_length=200)]


class CouncilPut(msgspec.Struct, forbid_unknown_fields=True):
    member_account_ids: MemberIds  # committee accounts; an empty list: no council


class Member(msgspec.Struct):
    account_id: uuid.UUID
    username: str
    display_name: str | None


class Council(msgspec.Struct):
    campaign_id: uuid.UUID
    member_account_ids: list[uuid.UUID]
    members: list[Member]


class Candidates(msgspec.Struct):
    items: list[Member]  # committee accounts, not disabled


class NamedVote(msgspec.Struct):
    account_id: uuid.UUID
    username: str
    display_name: str | None
    approve: bool
    comment: str | None


class Recusal(msgspec.Struct):
    account_id: uuid.UUID
    username: str
    display_name: str | None
    reason: str


class Votes(msgspec.Struct, omit_defaults=True):
    """A nomination's tally. `votes` (who voted what) is absent in a secret ballot."""

    yes: int
    no: int
    members: int  # the council's size, or the committee members who voted (no council)
    recused: int
    entitled: int  # members - recused
    secret_ballot: bool
    council: bool  # the campaign has a council
    pass_mark: PassMark | None
    needed: int | None  # the yes votes the pass mark needs, when there is one
    passed: bool | None  # whether it is reached; None without a pass mark (votes advise)
    recusals: list[Recusal]  # who recused and why (a recusal is not secret)
    votes: list[NamedVote] | msgspec.UnsetType = msgspec.UNSET


class MyVote(msgspec.Struct, omit_defaults=True):
    """The caller's own vote; in a secret ballot only that it was cast."""

    approve: bool | None
    comment: str | None
    secret: bool = False


class RecuseBody(msgspec.Struct, forbid_unknown_fields=True):
    reason: Reason


class BallotEntry(msgspec.Struct, omit_defaults=True):
    nomination_id: uuid.UUID
    nominee_name: str
    unit_name: str
    status: str
    category_id: uuid.UUID
    category_name: str
    secret_ballot: bool
    pass_mark: PassMark | None
    needed: int | None
    yes: int
    no: int
    members: int
    recused: int
    entitled: int
    passed: bool | None  # None: the category has no pass mark (votes advise)
    recusals: list[Recusal]
    votes: list[NamedVote] | msgspec.UnsetType = msgspec.UNSET  # open ballots only


class Ballot(msgspec.Struct):
    """The ballot's record of a campaign (biên bản kiểm phiếu): the council and each nomination's count."""

    campaign_id: uuid.UUID
    council: list[Member]
    nominations: list[BallotEntry]
