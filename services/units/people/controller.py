"""The people over HTTP: `/people`."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import asyncpg
from litestar import Controller, get, patch, post
from litestar.params import Body, Parameter

from shared import batches
from shared.auth import Principal, Role, authenticated, roles
from shared.pagination import Page, PageQuery

from . import service
from .schemas import Person, PersonBatchResult, PersonCreate, PersonPatch


class PersonController(Controller):
    path = "/people"
    tags = ["people"]

    @post(guards=[roles(Role.ADMIN, Role.OFFICER)], summary="Add a person to a unit")
    async def create_person(self, data: PersonCreate, conn: asyncpg.Connection, principal: Principal) -> Person:
        return await service.create_person(conn, data, scope_id=principal.scope_unit_id)

    @post(
        "/batch",
        guards=[roles(Role.ADMIN, Role.OFFICER)],
        status_code=200,
        summary="Add many people at once, each item judged as POST /people would judge it",
    )
    async def create_people(
        self,
        data: Annotated[
            dict[str, Any],
            Body(
                description=f'`{{"items": [...]}}`: 1 to {batches.MAX_ITEMS} bodies of `POST /people`',
                schema_extra=batches.items_schema("PersonCreate"),
            ),
        ],
        conn: asyncpg.Connection,
        principal: Principal,
    ) -> PersonBatchResult:
        """One outcome per item, in order: `{"index", "status": 201, "person"}`, or `{"index", "status",
        "problem"}` with the problem document `POST /people` would answer. One refused item does not refuse
        the others; the created people, each with its `units.person.created`, commit together. 400 for the
        whole request when it has no items or more than 500. With an `Idempotency-Key`, the whole answer is
        replayed.
        """
        items = batches.items_of(data, PersonCreate)
        return PersonBatchResult(await service.create_people(conn, items, scope_id=principal.scope_unit_id))

    @patch(
        "/{person_id:uuid}",
        guards=[roles(Role.ADMIN, Role.OFFICER)],
        summary="Correct a person's name, position or birth year, or move the person to another unit",
    )
    async def update_person(
        self, person_id: uuid.UUID, data: PersonPatch, conn: asyncpg.Connection, principal: Principal
    ) -> Person:
        changes = service.changes_of(data)
        return await service.update_person(conn, person_id, changes, scope_id=principal.scope_unit_id)

    @get(guards=[authenticated], summary="List and search people (an officer sees its subtree)")
    async def list_people(
        self,
        pool: asyncpg.Pool,
        principal: Principal,
        paging: PageQuery,
        unit_id: Annotated[uuid.UUID | None, Parameter(description="only the people of this unit")] = None,
        under_id: Annotated[
            uuid.UUID | None, Parameter(description="only the people of this unit and the units below it")
        ] = None,
        q: Annotated[
            str | None, Parameter(max_length=200, description="full name, ignoring case and diacritics")
        ] = None,
    ) -> Page[Person]:
        rows = await service.list_people(
            pool,
            unit_id=unit_id,
            under_id=under_id,
            scope_id=principal.scope_unit_id,
            q=q,
            after=paging.after((str, uuid.UUID)),
            limit=paging.limit,
        )
        return paging.page_keyed(rows, lambda person, sort_key: [sort_key, str(person.id)])

    @get("/{person_id:uuid}", guards=[authenticated], summary="One person")
    async def get_person(self, person_id: uuid.UUID, pool: asyncpg.Pool, principal: Principal) -> Person:
        return await service.get_person(pool, person_id, scope_id=principal.scope_unit_id)
