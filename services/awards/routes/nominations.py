"""Nominations: submitted by unit officers, reviewed and decided by the committee."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated

import asyncpg
from litestar import Response, get, post
from litestar.params import Parameter

from shared.auth import Principal, roles
from shared.pagination import Page, check_limit, decode_cursor, page
from shared.problems import FieldError, Problem
from shared.text import nfc

from .. import repository
from ..schemas import (
    HistoryEntry,
    Nomination,
    NominationCreate,
    NominationStatus,
    NomineeKind,
    ReasonBody,
    Vote,
    VoteCreate,
    VoteResult,
)
from ._common import officer_scope, optional_text, text

READERS = roles("admin", "committee", "officer")
COMMITTEE = roles("committee")


@post("/nominations", guards=[roles("officer", "admin")], tags=["nominations"],
      summary="Nominate a collective or an individual (officer, admin)")
async def create_nomination(data: NominationCreate, pool: asyncpg.Pool, principal: Principal) -> Nomination:
    """A collective names `nominee_unit_id`, an individual `nominee_person_id`, matching the category's kind.

    An officer nominates only inside its own subtree. 409 when the campaign is
    closed, the kind does not match, or the nominee already holds a live
    (submitted, approved or granted) nomination in the category. A unit or
    person created a moment ago may not have reached this service yet (404).
    """
    if (data.nominee_unit_id is None) == (data.nominee_person_id is None):
        raise Problem(
            400, "name exactly one nominee: nominee_unit_id for a collective, nominee_person_id for an individual",
            errors=[FieldError("nominee_unit_id", "exactly one of nominee_unit_id and nominee_person_id")],
        )
    achievements = text(data.achievements, "achievements")
    scope = officer_scope(principal)
    async with pool.acquire() as conn:
        ctx = await repository.nomination_context(conn, data.category_id, data.nominee_unit_id, data.nominee_person_id, scope)
        if not ctx.category_found:
            raise Problem(404, f"category {data.category_id} does not exist", errors=[FieldError("category_id", "no such category")])
        wanted = "nominee_unit_id" if ctx.nominee_kind == "collective" else "nominee_person_id"
        given = "nominee_unit_id" if data.nominee_unit_id is not None else "nominee_person_id"
        if wanted != given:
            raise Problem(
                409, f"the category is for {ctx.nominee_kind} nominees: send {wanted}, not {given}",
                errors=[FieldError(given, f"the category takes {ctx.nominee_kind} nominees")], type_="/problems/wrong-kind",
            )
        nominee_id = data.nominee_unit_id or data.nominee_person_id
        assert nominee_id is not None
        if not ctx.nominee_found:
            what = "unit" if given == "nominee_unit_id" else "person"
            raise Problem(
                404, f"{what} {nominee_id} is not known to the awards service; if it was just created, retry shortly",
                errors=[FieldError(given, f"no such {what}")],
            )
        if ctx.unit_id is None or ctx.unit_name is None:
            raise Problem(409, "the nominee's unit has not reached the awards service yet; retry shortly",
                          errors=[FieldError(given, "unit not known yet")])
        if not ctx.in_scope:
            raise Problem(403, "an officer nominates only within its own unit and the units below it")
        return await repository.create_nomination(
            conn, principal, ctx, category_id=data.category_id, nominee_id=nominee_id, achievements=achievements
        )


@get("/nominations", guards=[READERS], tags=["nominations"],
     summary="List nominations (officer: its subtree; committee, admin: all)")
async def list_nominations(
    pool: asyncpg.Pool,
    principal: Principal,
    campaign_id: uuid.UUID | None = None,
    category_id: uuid.UUID | None = None,
    status: NominationStatus | None = None,
    unit_id: Annotated[uuid.UUID | None, Parameter(description="this unit and every unit below it")] = None,
    kind: NomineeKind | None = None,
    q: Annotated[str | None, Parameter(max_length=200, description="nominee's name, ignoring case and diacritics")] = None,
    limit: Annotated[int | None, Parameter(description="1..200, default 50")] = None,
    cursor: str | None = None,
) -> Page[Nomination]:
    """Newest first."""
    size = check_limit(limit)
    after = decode_cursor(cursor, (datetime, uuid.UUID))
    rows = await repository.list_nominations(
        pool, scope_unit_id=officer_scope(principal), campaign_id=campaign_id, category_id=category_id, status=status,
        unit_id=unit_id, kind=kind, q=nfc(q) if q else None, after=after, limit=size,  # type: ignore[arg-type]
    )
    return page(rows, size, key=lambda n: [n.created_at, str(n.id)])


async def _readable(pool: asyncpg.Pool, principal: Principal, nomination_id: uuid.UUID) -> Nomination:
    nomination = await repository.get_nomination(pool, nomination_id)
    scope = officer_scope(principal)
    if scope is not None and not await repository.nomination_in_scope(pool, nomination_id, scope):
        raise Problem(403, "an officer sees only the nominations of its own unit and the units below it")
    return nomination


@get("/nominations/{nomination_id:uuid}", guards=[READERS], tags=["nominations"], summary="One nomination, with its tally")
async def get_nomination(nomination_id: uuid.UUID, pool: asyncpg.Pool, principal: Principal) -> Nomination:
    """Once granted, the nomination is the award: its id is the `award_id`."""
    return await _readable(pool, principal, nomination_id)


@get("/nominations/{nomination_id:uuid}/history", guards=[READERS], tags=["nominations"],
     summary="Every change of the nomination's status: who, when, from what to what, and why")
async def nomination_history(nomination_id: uuid.UUID, pool: asyncpg.Pool, principal: Principal) -> list[HistoryEntry]:
    await _readable(pool, principal, nomination_id)
    return await repository.history(pool, nomination_id)


@post("/nominations/{nomination_id:uuid}/withdraw", guards=[roles("officer", "admin")], tags=["nominations"],
      status_code=200, summary="Withdraw a submitted nomination (the submitting unit's officer, admin)")
async def withdraw_nomination(nomination_id: uuid.UUID, pool: asyncpg.Pool, principal: Principal) -> Nomination:
    """Only before the committee approved or rejected it (409 after)."""
    async with pool.acquire() as conn:
        return await repository.transition(conn, principal, nomination_id, "withdraw", scope_unit_id=officer_scope(principal))


@post("/nominations/{nomination_id:uuid}/votes", guards=[COMMITTEE], tags=["review"],
      summary="Cast a committee member's vote; a second vote replaces the first")
async def cast_vote(nomination_id: uuid.UUID, data: VoteCreate, pool: asyncpg.Pool, principal: Principal) -> Response[VoteResult]:
    """201 for a member's first vote on the nomination, 200 when it replaced an earlier one."""
    async with pool.acquire() as conn:
        result = await repository.cast_vote(conn, principal, nomination_id, data.approve, optional_text(data.comment, "comment"))
    return Response(result, status_code=200 if result.replaced else 201)


@get("/nominations/{nomination_id:uuid}/votes", guards=[roles("committee", "admin")], tags=["review"],
     summary="The committee's votes on a nomination (committee, admin)")
async def list_votes(nomination_id: uuid.UUID, pool: asyncpg.Pool) -> list[Vote]:
    return await repository.list_votes(pool, nomination_id)


@post("/nominations/{nomination_id:uuid}/approve", guards=[COMMITTEE], tags=["review"], status_code=200,
      summary="Approve a submitted nomination (committee); never beyond the category's quota")
async def approve_nomination(nomination_id: uuid.UUID, pool: asyncpg.Pool, principal: Principal) -> Nomination:
    """409 when the category's quota is full, also under concurrent approvals, or the nomination is not submitted."""
    async with pool.acquire() as conn:
        return await repository.transition(conn, principal, nomination_id, "approve")


@post("/nominations/{nomination_id:uuid}/reject", guards=[COMMITTEE], tags=["review"], status_code=200,
      summary="Reject a submitted or approved nomination, with a reason (committee)")
async def reject_nomination(nomination_id: uuid.UUID, data: ReasonBody, pool: asyncpg.Pool, principal: Principal) -> Nomination:
    """Rejecting an approved nomination gives its place in the quota back."""
    reason = text(data.reason, "reason")
    async with pool.acquire() as conn:
        return await repository.transition(conn, principal, nomination_id, "reject", reason=reason)
