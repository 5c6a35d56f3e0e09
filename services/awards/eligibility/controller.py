"""Eligibility over HTTP: a nomination's checks with their reasons, the rule presets, an award's dependents,
and the review items a revocation opened for the committee."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

import asyncpg
from litestar import Controller, get, post
from litestar.params import Parameter

from shared.auth import Principal, Role, roles
from shared.text import paragraph

from ..domain.rule_presets import presets
from ..nominations import service as nominations
from . import repository, service
from .schemas import Dependents, Eligibility, EligibilityList, Preset, Presets, ResolveBody, ReviewItem, ReviewItems

READERS = roles(Role.ADMIN, Role.COMMITTEE, Role.OFFICER)
MANAGERS = roles(Role.ADMIN, Role.COMMITTEE)


class EligibilityController(Controller):
    path = "/"
    tags = ["eligibility"]

    @get(
        "/nominations/{nomination_id:uuid}/eligibility",
        guards=[READERS],
        summary="A nomination checked against its category's rules, each with its reason and citation",
    )
    async def eligibility(self, nomination_id: uuid.UUID, pool: asyncpg.Pool, principal: Principal) -> Eligibility:
        """Its unit's officers (and those above it), the committee and admin. Every rule in force on 1 January
        of the campaign's year, checked now; `eligible` when all pass (no rule: eligible, no checks)."""
        await nominations.readable(pool, principal, nomination_id)
        return await service.eligibility_of(pool, nomination_id)

    @get(
        "/eligibility",
        guards=[READERS],
        summary="Several nominations' checks at once (the review queue's badges)",
    )
    async def eligibility_many(
        self,
        pool: asyncpg.Pool,
        principal: Principal,
        nomination_id: Annotated[list[uuid.UUID], Parameter(max_items=200)],
    ) -> EligibilityList:
        """Up to 200 `nomination_id`s; those the caller may not read (another subtree) or that do not exist
        are left out."""
        found = await repository.readable_ids(pool, list(dict.fromkeys(nomination_id)), principal.scope_unit_id)
        return EligibilityList(items=[await service.eligibility_of(pool, i) for i in found])

    @get("/rules/presets", summary="The starter set of eligibility rules, by the title a category confers (public)")
    async def rule_presets(self) -> Presets:
        """Copy a preset's `rules` into a category (`POST` or `PATCH` of the category). Each rule cites its
        article and carries the dates it is in force."""
        return Presets(items=[Preset(**p) for p in presets()])

    @get(
        "/awards/{award_id:uuid}/dependents",
        guards=[MANAGERS],
        summary="The nominations and awards whose eligibility relied on this award (committee, admin)",
    )
    async def dependents(self, award_id: uuid.UUID, pool: asyncpg.Pool) -> Dependents:
        """Whatever their status now; `review_item_id` names the item a revocation of this award opened."""
        return Dependents(award_id=award_id, items=await service.dependents_of(pool, award_id))

    @get("/reviews", guards=[MANAGERS], summary="What a revocation put before the committee (committee, admin)")
    async def reviews(
        self,
        pool: asyncpg.Pool,
        status: Literal["open", "resolved", "all"] = "open",
        nomination_id: uuid.UUID | None = None,
    ) -> ReviewItems:
        """Oldest first; `open` by default (`all`: both). Each names the nomination or award, the revoked award
        and why; `nomination_id` keeps those of one nomination."""
        rows = await repository.review_items(
            pool,
            status=None if status == "all" else status,
            nomination_ids=[nomination_id] if nomination_id else None,
        )
        return ReviewItems(items=[service.review_item(r) for r in rows])

    @post(
        "/reviews/{item_id:uuid}/resolve",
        guards=[roles(Role.COMMITTEE)],
        status_code=200,
        summary="Record the committee's word on a review item (committee)",
    )
    async def resolve(
        self, item_id: uuid.UUID, data: ResolveBody, conn: asyncpg.Connection, principal: Principal
    ) -> ReviewItem:
        """`resolution` says what the committee did (kept, or revoked in turn with `POST /awards/{id}/revoke`).
        409 when resolved already."""
        return await service.resolve(conn, principal, item_id, paragraph(data.resolution, "resolution"))
