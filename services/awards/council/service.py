"""The council's use cases: set it, vote under it, recuse, count, and refuse an approval below the pass mark.

A secret ballot is kept as a paper ballot box (migration 005): who has cast
(`secret_ballots_cast`) apart from what was cast (`secret_ballot_box`, counts
only). Nothing of a secret ballot that this service writes or answers pairs a
member with a choice: its audit row says only that the member cast a ballot,
no event is sent for a vote, and the tally, the ballot's record and the
member's own `votes/mine` carry no individual choice.
"""

from __future__ import annotations

import uuid

import asyncpg

from shared import events
from shared.auth import Principal, Role
from shared.db import Queryable
from shared.errors import Conflict, FieldError, Invalid, NotFound
from shared.text import paragraph

from .. import publishes
from ..campaigns.schemas import PassMark
from ..domain import council as rules
from ..domain import lifecycle
from ..publishes import Change
from . import repository
from .schemas import (
    Ballot,
    BallotEntry,
    Candidates,
    Council,
    Member,
    MyVote,
    NamedVote,
    Recusal,
    Votes,
)


def _member(row: asyncpg.Record) -> Member:
    return Member(account_id=row["account_id"], username=row["username"], display_name=row["display_name"])


def _recusal(r: asyncpg.Record) -> Recusal:
    return Recusal(
        account_id=r["account_id"], username=r["username"], display_name=r["display_name"], reason=r["reason"]
    )


def _mark_schema(mark: rules.PassMark | None) -> PassMark | None:
    if mark is None:
        return None
    if mark.rule == rules.Rule.AT_LEAST:
        return PassMark(at_least_percent=mark.percent)
    return PassMark(more_than_percent=mark.percent)


# ------------------------------------------------------------------ the council
async def get_council(db: Queryable, campaign_id: uuid.UUID) -> Council:
    await repository.campaign_exists(db, campaign_id)
    members = [_member(r) for r in await repository.members(db, campaign_id)]
    return Council(campaign_id=campaign_id, member_account_ids=[m.account_id for m in members], members=members)


async def candidates(db: Queryable) -> Candidates:
    return Candidates(items=[_member(r) for r in await repository.candidates(db)])


def _check_members(ids: list[uuid.UUID], known: dict[uuid.UUID, asyncpg.Record]) -> None:
    """Each id once, each a committee account of the copy, not disabled (400 naming the ids)."""
    errors: list[FieldError] = []
    seen: set[uuid.UUID] = set()
    for i, account_id in enumerate(ids):
        field = f"member_account_ids[{i}]"
        account = known.get(account_id)
        if account_id in seen:
            errors.append(FieldError(field, f"{account_id} is named twice"))
        elif account is None:
            errors.append(FieldError(field, f"{account_id} is not an account this service knows"))
        elif account["role"] != Role.COMMITTEE:
            errors.append(FieldError(field, f"{account['username']} is not a committee account"))
        elif account["disabled"]:
            errors.append(FieldError(field, f"{account['username']} is disabled"))
        seen.add(account_id)
    if errors:
        raise Invalid(
            "the council is made of committee accounts, each named once: "
            + "; ".join(f"{e.field}: {e.message}" for e in errors),
            errors=errors,
        )


async def set_council(
    conn: asyncpg.Connection, actor: Principal, campaign_id: uuid.UUID, ids: list[uuid.UUID]
) -> Council:
    """Replace the campaign's council (an empty list: none), with its audit row and `awards.council.set`.

    Refused (409) once a member voted or recused on one of the campaign's
    nominations: the council that counted a ballot stays the one its record names.
    """
    async with conn.transaction():
        await repository.lock_campaign(conn, campaign_id)
        _check_members(ids, await repository.accounts_of(conn, ids))
        before = [r["account_id"] for r in await repository.members(conn, campaign_id)]
        if set(before) != set(ids) and await repository.campaign_has_ballots(conn, campaign_id):
            raise Conflict(
                "members have already voted or recused on this campaign's nominations; its council cannot change",
                field="member_account_ids",
            )
        version = await repository.replace_members(conn, campaign_id, ids)
        after = await get_council(conn, campaign_id)
        await publishes.audit(
            conn,
            actor,
            [
                Change(
                    "council",
                    campaign_id,
                    "set_council",
                    before={"member_account_ids": before},
                    after={"member_account_ids": after.member_account_ids},
                )
            ],
        )
        event = events.CouncilSet(
            campaign_id=campaign_id,
            member_account_ids=tuple(after.member_account_ids),
            member_usernames=tuple(m.username for m in after.members),
        )
        await publishes.publish(conn, [(event, campaign_id, version)])
    return after


# ------------------------------------------------------------------ votes
async def check_voter(conn: asyncpg.Connection, member: Principal, nomination_id: uuid.UUID) -> asyncpg.Record:
    """The nomination's ballot context, once the member may vote on it (403 outside the council or recused)."""
    await repository.serialize_member(conn, nomination_id, member.account_id)
    ctx = await repository.ballot_context(conn, nomination_id, member.account_id)
    rules.check_may_vote(has_council=ctx["has_council"], is_member=ctx["is_member"], recused=ctx["recused"])
    return ctx


async def cast_secret(
    conn: asyncpg.Connection, member: Principal, nomination_id: uuid.UUID, approve: bool, comment: str | None
) -> None:
    """Put the member's ballot in the box, once; its audit row records only that a ballot was cast."""
    rules.check_secret_vote(already_cast=False, comment=comment)
    if not await repository.cast_secret(conn, nomination_id, member.account_id, approve):
        rules.check_secret_vote(already_cast=True, comment=None)
    await publishes.audit(conn, member, [Change("vote", nomination_id, "cast_secret_ballot", after={"secret": True})])


async def tally(db: Queryable, nomination_id: uuid.UUID, *, with_votes: bool = True) -> Votes:
    ctx = await repository.ballot_context(db, nomination_id, None)
    count = await repository.count(db, nomination_id)
    mark = repository.pass_mark(ctx)
    result = Votes(
        yes=count.yes,
        no=count.no,
        members=count.members,
        recused=count.recused,
        entitled=count.entitled,
        secret_ballot=ctx["secret_ballot"],
        council=ctx["has_council"],
        pass_mark=_mark_schema(mark),
        needed=rules.needed(mark, count.entitled) if mark else None,
        passed=rules.passes(mark, count) if mark else None,
        recusals=[_recusal(r) for r in await repository.recusals(db, [nomination_id])],
    )
    if with_votes and not ctx["secret_ballot"]:
        result.votes = [NamedVote(**dict(r)) for r in await repository.open_votes(db, nomination_id)]
    return result


async def my_vote(db: Queryable, member: Principal, nomination_id: uuid.UUID) -> MyVote:
    """The caller's vote (404 before they voted); in a secret ballot, only that it was cast."""
    if await repository.has_cast_secret(db, nomination_id, member.account_id):
        return MyVote(approve=None, comment=None, secret=True)
    row = await repository.own_vote(db, nomination_id, member.account_id)
    if row is None:
        raise NotFound("vote", detail="you have not voted on this nomination")
    return MyVote(approve=row["approve"], comment=row["comment"])


async def recuse(conn: asyncpg.Connection, member: Principal, nomination_id: uuid.UUID, reason: str) -> Votes:
    """The member leaves the vote on this nomination, with a reason; audited, and `awards.nomination.recused`."""
    reason = paragraph(reason, "reason")
    async with conn.transaction():
        status = await conn.fetchval("SELECT status FROM nominations WHERE id = $1 FOR SHARE", nomination_id)
        if status is None:
            raise NotFound("nomination", nomination_id)
        lifecycle.check_vote(status)
        await repository.serialize_member(conn, nomination_id, member.account_id)
        ctx = await repository.ballot_context(conn, nomination_id, member.account_id)
        rules.check_may_recuse(
            has_council=ctx["has_council"], is_member=ctx["is_member"], voted=ctx["voted"], recused=ctx["recused"]
        )
        row = await repository.insert_recusal(conn, nomination_id, member.account_id, member.username, reason)
        await publishes.audit(conn, member, [Change("vote", nomination_id, "recuse", reason=reason, after=dict(row))])
        event = events.MemberRecused(
            nomination_id=nomination_id,
            campaign_id=ctx["campaign_id"],
            category_id=ctx["category_id"],
            account_id=member.account_id,
            username=member.username,
            reason=reason,
            recused_at=row["recused_at"],
        )
        # Its own aggregate: one member's recusal from one nomination, written once.
        await publishes.publish(conn, [(event, f"{nomination_id}/{member.account_id}", 1)])
        return await tally(conn, nomination_id)


# ------------------------------------------------------------------ approval
async def check_approval(conn: asyncpg.Connection, nomination: asyncpg.Record) -> None:
    """In the approving transaction (the nomination locked, so no vote moves meanwhile): 409 below the pass mark."""
    ctx = await repository.ballot_context(conn, nomination["id"], None)
    mark = repository.pass_mark(ctx)
    if mark is None:
        return
    count = await repository.count(conn, nomination["id"])
    rules.check_approval(mark, has_council=ctx["has_council"], count=count)


# ------------------------------------------------------------------ the ballot's record
async def ballot(db: Queryable, campaign_id: uuid.UUID) -> Ballot:
    """Every nomination of the campaign that was voted or recused on, counted; no individual secret vote."""
    council = await get_council(db, campaign_id)
    rows = await repository.balloted_nominations(db, campaign_id)
    entries: list[BallotEntry] = []
    for row in rows:
        t = await tally(db, row["nomination_id"])
        entry = BallotEntry(
            nomination_id=row["nomination_id"],
            nominee_name=row["nominee_name"],
            unit_name=row["unit_name"],
            status=row["status"],
            category_id=row["category_id"],
            category_name=row["category_name"],
            secret_ballot=row["secret_ballot"],
            pass_mark=t.pass_mark,
            needed=t.needed,
            yes=t.yes,
            no=t.no,
            members=t.members,
            recused=t.recused,
            entitled=t.entitled,
            passed=t.passed,
            recusals=t.recusals,
        )
        if not row["secret_ballot"]:
            entry.votes = t.votes
        entries.append(entry)
    return Ballot(campaign_id=campaign_id, council=council.members, nominations=entries)
