"""People of the units: added and corrected by an admin, or by an officer inside its subtree."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

import asyncpg
import msgspec
from litestar import get, patch, post
from litestar.params import Parameter

from shared.auth import Principal, authenticated, roles
from shared.pagination import Page, check_limit, decode_cursor, page
from shared.problems import FieldError, Problem
from shared.text import nfc

from .. import names, repository
from ..schemas import Person, PersonCreate, PersonPatch


def _scope(principal: Principal) -> uuid.UUID | None:
    """The subtree a caller is confined to: an officer's unit; nobody else is confined."""
    if principal.role != "officer":
        return None
    if principal.unit_id is None:  # no token we issue says this; refuse rather than see everything
        raise Problem(403, "this officer account is not bound to a unit")
    return principal.unit_id


def _out_of_scope() -> Problem:
    return Problem(403, "an officer acts only for its own unit and the units below it")


@post("/people", guards=[roles("admin", "officer")], tags=["people"], summary="Add a person to a unit")
async def create_person(data: PersonCreate, pool: asyncpg.Pool, principal: Principal) -> Person:
    full_name = names.clean(data.full_name, "full_name")
    position = names.clean_optional(data.position, "position")
    async with pool.acquire() as conn:
        return await repository.create_person(
            conn, full_name, data.unit_id, position, data.birth_year, scope_id=_scope(principal)
        )


@patch(
    "/people/{person_id:uuid}",
    guards=[roles("admin", "officer")],
    tags=["people"],
    summary="Correct a person's name, position or birth year, or move the person to another unit",
)
async def update_person(person_id: uuid.UUID, data: PersonPatch, pool: asyncpg.Pool, principal: Principal) -> Person:
    changes: dict[str, Any] = {}
    if data.full_name is not msgspec.UNSET:
        changes["full_name"] = names.clean(data.full_name, "full_name")
    if data.unit_id is not msgspec.UNSET:
        changes["unit_id"] = data.unit_id
    if data.position is not msgspec.UNSET:
        changes["position"] = names.clean_optional(data.position, "position")
    if data.birth_year is not msgspec.UNSET:
        changes["birth_year"] = data.birth_year
    if not changes:
        raise Problem(400, "send at least one of full_name, unit_id, position, birth_year",
                      errors=[FieldError("body", "nothing to change")])
    async with pool.acquire() as conn:
        return await repository.update_person(conn, person_id, changes, scope_id=_scope(principal))


@get("/people", guards=[authenticated], tags=["people"], summary="List and search people (an officer sees its subtree)")
async def list_people(
    pool: asyncpg.Pool,
    principal: Principal,
    unit_id: Annotated[uuid.UUID | None, Parameter(description="only the people of this unit")] = None,
    under_id: Annotated[uuid.UUID | None, Parameter(description="only the people of this unit and the units below it")] = None,
    q: Annotated[str | None, Parameter(max_length=200, description="full name, ignoring case and diacritics")] = None,
    limit: Annotated[int | None, Parameter(description="1..200, default 50")] = None,
    cursor: str | None = None,
) -> Page[Person]:
    size = check_limit(limit)
    after = decode_cursor(cursor, (str, uuid.UUID))
    scope = _scope(principal)
    if scope is not None:
        # Asking for a unit outside the subtree is refused, not answered with an empty page.
        for asked in (unit_id, under_id):
            if asked is not None and not await repository.unit_in_scope(pool, asked, scope):
                raise _out_of_scope()
    rows = await repository.list_people(
        pool, unit_id=unit_id, under_id=under_id, scope_unit_id=scope, q=nfc(q) if q else None, after=after, limit=size
    )
    result = page(rows, size, key=lambda r: [r[1], str(r[0].id)])
    return Page(items=[p for p, _ in result.items], next_cursor=result.next_cursor)


@get("/people/{person_id:uuid}", guards=[authenticated], tags=["people"], summary="One person")
async def get_person(person_id: uuid.UUID, pool: asyncpg.Pool, principal: Principal) -> Person:
    person = await repository.get_person(pool, person_id)
    scope = _scope(principal)
    if scope is not None and not await repository.unit_in_scope(pool, person.unit_id, scope):
        raise _out_of_scope()
    return person
