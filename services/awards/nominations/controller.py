"""Nominations over HTTP: submitted by unit officers, withdrawn by them, read within their scope."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

import asyncpg
from litestar import Controller, get, patch, post
from litestar.params import Body, Parameter

from shared import batches
from shared.auth import Principal, Role, roles
from shared.pagination import Page, PageQuery
from shared.state import ServiceState
from shared.text import contains_pattern

from ..domain.lifecycle import Action
from ..domain.statuses import NominationStatus, NomineeKind
from ..eligibility import service as eligibility
from . import repository
from . import service as nominations  # not `service`: that is the name of the ServiceState dependency
from .schemas import HistoryEntry, Nomination, NominationBatchResult, NominationCreate, NominationUpdate

READERS = roles(Role.ADMIN, Role.COMMITTEE, Role.OFFICER)
NOMINATING = (Role.OFFICER, Role.ADMIN)
NOMINATORS = roles(*NOMINATING)
UNIT_OFFICERS = roles(Role.OFFICER)


class NominationController(Controller):
    path = "/nominations"
    tags = ["nominations"]

    @post("/", guards=[NOMINATORS], summary="Nominate a collective or an individual (officer, admin)")
    async def create_nomination(
        self, data: NominationCreate, service: ServiceState, principal: Principal
    ) -> Nomination:
        """A collective names `nominee_unit_id`, an individual `nominee_person_id`, matching the category's kind.

        An officer nominates only inside its own subtree. 409 when the campaign is
        closed, the kind does not match, or the nominee already holds a live
        (submitted, returned, approved or granted) nomination in the category. A unit or
        person created a moment ago may not have reached this service yet (404).
        """
        return await nominations.create_nomination(service, principal, data)

    @post(
        "/batch",
        guards=[NOMINATORS],
        status_code=200,
        summary="Nominate many at once, each item judged as POST /nominations would judge it (officer, admin)",
    )
    async def create_nominations(
        self,
        data: Annotated[
            dict[str, Any],
            Body(
                description=f'`{{"items": [...]}}`: 1 to {batches.MAX_ITEMS} bodies of `POST /nominations`',
                schema_extra=batches.items_schema("NominationCreate"),
            ),
        ],
        conn: asyncpg.Connection,
        principal: Principal,
    ) -> NominationBatchResult:
        """One outcome per item, in order: `{"index", "status": 201, "nomination"}`, or `{"index", "status",
        "problem"}` with the problem document `POST /nominations` would answer (400, 403, 404, 409). One
        refused item does not refuse the others; an item for a person or unit not known here yet is 404
        (or 409 "not known yet"), so a client sends again just those. The items are decided in one
        transaction and the created ones, each with its audit row and `awards.nomination.submitted`, commit
        together. 400 for the whole request when it has no items or more than 500. With an
        `Idempotency-Key`, the whole answer is replayed.
        """
        items = batches.items_of(data, NominationCreate)
        return NominationBatchResult(await nominations.create_nominations(conn, principal, items))

    @get("/", guards=[READERS], summary="List nominations (officer: its subtree; committee, admin: all)")
    async def list_nominations(
        self,
        pool: asyncpg.Pool,
        principal: Principal,
        paging: PageQuery,
        campaign_id: uuid.UUID | None = None,
        category_id: uuid.UUID | None = None,
        status: NominationStatus | None = None,
        unit_id: Annotated[uuid.UUID | None, Parameter(description="this unit and every unit below it")] = None,
        kind: NomineeKind | None = None,
        q: Annotated[
            str | None, Parameter(max_length=200, description="nominee's name, ignoring case and diacritics")
        ] = None,
        include: Annotated[
            Literal["eligibility"] | None,
            Parameter(description="`eligibility`: each item's checks, as `GET /nominations/{id}/eligibility`"),
        ] = None,
    ) -> Page[Nomination]:
        """Newest first."""
        rows = await repository.list_nominations(
            pool,
            scope_unit_id=principal.scope_unit_id,
            campaign_id=campaign_id,
            category_id=category_id,
            status=status,
            unit_id=unit_id,
            kind=kind,
            pattern=contains_pattern(q) if q else None,
            after=paging.after((datetime, uuid.UUID)),
            limit=paging.limit,
        )
        page = paging.page(rows, lambda n: [n.created_at, str(n.id)])
        if include == "eligibility":
            found = await asyncio.gather(*(eligibility.eligibility_of(pool, n.id) for n in page.items))
            for n, checks in zip(page.items, found, strict=True):
                n.eligibility = checks
        return page

    @get("/{nomination_id:uuid}", guards=[READERS], summary="One nomination, with its tally")
    async def get_nomination(self, nomination_id: uuid.UUID, pool: asyncpg.Pool, principal: Principal) -> Nomination:
        """Once granted, the nomination is the award: its id is the `award_id`."""
        return await nominations.readable(pool, principal, nomination_id)

    @get(
        "/{nomination_id:uuid}/history",
        guards=[READERS],
        summary="Every change of the nomination's status: who, when, from what to what, and why",
    )
    async def nomination_history(
        self, nomination_id: uuid.UUID, pool: asyncpg.Pool, principal: Principal
    ) -> list[HistoryEntry]:
        await nominations.readable(pool, principal, nomination_id)
        return await repository.history(pool, nomination_id)

    @post(
        "/{nomination_id:uuid}/withdraw",
        guards=[NOMINATORS],
        status_code=200,
        summary="Withdraw a submitted nomination (the submitting unit's officer, admin)",
    )
    async def withdraw_nomination(
        self, nomination_id: uuid.UUID, conn: asyncpg.Connection, principal: Principal
    ) -> Nomination:
        """Only before the committee approved or rejected it (409 after)."""
        return await nominations.transition(
            conn, principal, nomination_id, Action.WITHDRAW, scope_unit_id=principal.scope_unit_id
        )

    @patch(
        "/{nomination_id:uuid}",
        guards=[UNIT_OFFICERS],
        summary="Edit the achievements of a submitted or returned nomination (an officer of its unit)",
    )
    async def edit_nomination(
        self, nomination_id: uuid.UUID, data: NominationUpdate, conn: asyncpg.Connection, principal: Principal
    ) -> Nomination:
        """409 once the committee approved or rejected it, or it was withdrawn."""
        return await nominations.edit(conn, principal, nomination_id, data)

    @post(
        "/{nomination_id:uuid}/resubmit",
        guards=[UNIT_OFFICERS],
        status_code=200,
        summary="Send a returned nomination back to the committee (an officer of its unit)",
    )
    async def resubmit_nomination(
        self, nomination_id: uuid.UUID, conn: asyncpg.Connection, principal: Principal
    ) -> Nomination:
        """409 unless it is returned; it is then submitted again, and the committee votes on it."""
        return await nominations.transition(
            conn, principal, nomination_id, Action.RESUBMIT, scope_unit_id=principal.scope_unit_id
        )
