"""People of the units: created by an admin, or by an officer inside its subtree."""

from __future__ import annotations

import uuid
from typing import Annotated

import asyncpg
from litestar import get, post
from litestar.params import Parameter

from shared.auth import Principal, authenticated, roles
from shared.pagination import Page, check_limit, decode_cursor, page
from shared.problems import Problem
from shared.text import nfc

from .. import repository
from ..schemas import Person, PersonCreate


async def _check_scope(pool: asyncpg.Pool, principal: Principal, unit_id: uuid.UUID) -> None:
    if principal.role == "officer" and not await repository.unit_within(pool, unit_id, principal.unit_id):  # type: ignore[arg-type]
        raise Problem(403, "an officer acts only for its own unit and the units below it")


@post("/people", guards=[roles("admin", "officer")], tags=["people"], summary="Add a person to a unit")
async def create_person(data: PersonCreate, pool: asyncpg.Pool, principal: Principal) -> Person:
    await _check_scope(pool, principal, data.unit_id)
    async with pool.acquire() as conn:
        return await repository.create_person(
            conn, nfc(data.full_name), data.unit_id, nfc(data.position) if data.position else None, data.birth_year
        )


@get("/people", guards=[authenticated], tags=["people"], summary="List and search people (an officer sees its subtree)")
async def list_people(
    pool: asyncpg.Pool,
    principal: Principal,
    unit_id: uuid.UUID | None = None,
    q: Annotated[str | None, Parameter(max_length=200)] = None,
    limit: int | None = None,
    cursor: str | None = None,
) -> Page[Person]:
    size = check_limit(limit)
    after = decode_cursor(cursor, (str, uuid.UUID))
    scope = principal.unit_id if principal.role == "officer" else None
    rows = await repository.list_people(
        pool, unit_id=unit_id, scope_unit_id=scope, q=nfc(q) if q else None, after=after, limit=size
    )
    result = page(rows, size, key=lambda r: [r[1], str(r[0].id)])
    return Page(items=[p for p, _ in result.items], next_cursor=result.next_cursor)


@get("/people/{person_id:uuid}", guards=[authenticated], tags=["people"], summary="One person")
async def get_person(person_id: uuid.UUID, pool: asyncpg.Pool, principal: Principal) -> Person:
    person = await repository.get_person(pool, person_id)
    await _check_scope(pool, principal, person.unit_id)
    return person
