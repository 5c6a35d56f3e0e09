"""Accounts: created by an admin (or from the shell with `thidua create-account`)."""

from __future__ import annotations

import asyncpg
from litestar import post

from shared.auth import roles
from shared.problems import FieldError, Problem

from .. import keys, repository
from ..schemas import Account, AccountCreate


@post("/accounts", guards=[roles("admin")], tags=["accounts"], summary="Create an account")
async def create_account(data: AccountCreate, pool: asyncpg.Pool) -> Account:
    if data.role == "officer" and data.unit_id is None:
        raise Problem(400, "an officer account needs the unit it acts for", errors=[FieldError("unit_id", "required for officer")])
    return await repository.create_account(
        pool, data.username, await keys.hash_password(data.password), data.role, data.unit_id
    )
