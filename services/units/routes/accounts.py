"""Accounts: created by an admin (or from the shell with `thidua create-account`)."""

from __future__ import annotations

import uuid
from typing import Annotated

import asyncpg
from litestar import get, post
from litestar.params import Parameter

from shared.auth import roles
from shared.pagination import Page, check_limit, decode_cursor, page
from shared.problems import FieldError, Problem

from .. import keys, repository
from ..schemas import Account, AccountCreate, Role


def check_new_account(data: AccountCreate) -> None:
    """What the schema cannot say: an officer acts for exactly one unit."""
    if data.role == "officer" and data.unit_id is None:
        raise Problem(400, "an officer account needs the unit it acts for", errors=[FieldError("unit_id", "required for officer")])


@post("/accounts", guards=[roles("admin")], tags=["accounts"], summary="Create an account")
async def create_account(data: AccountCreate, pool: asyncpg.Pool) -> Account:
    check_new_account(data)
    return await repository.create_account(
        pool, data.username, await keys.hash_password(data.password), data.role, data.unit_id
    )


@get("/accounts", guards=[roles("admin")], tags=["accounts"], summary="List accounts by username")
async def list_accounts(
    pool: asyncpg.Pool,
    role: Role | None = None,
    unit_id: uuid.UUID | None = None,
    q: Annotated[str | None, Parameter(max_length=64, description="part of the username, any case")] = None,
    limit: Annotated[int | None, Parameter(description="1..200, default 50")] = None,
    cursor: str | None = None,
) -> Page[Account]:
    size = check_limit(limit)
    after = decode_cursor(cursor, (str,))
    rows = await repository.list_accounts(
        pool, role=role, unit_id=unit_id, q=q or None, after=after[0] if after else None, limit=size
    )
    return page(rows, size, key=lambda a: [a.username.lower()])


@get("/accounts/{account_id:uuid}", guards=[roles("admin")], tags=["accounts"], summary="One account")
async def get_account(account_id: uuid.UUID, pool: asyncpg.Pool) -> Account:
    return await repository.get_account(pool, account_id)
