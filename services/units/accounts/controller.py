"""The accounts over HTTP: `/accounts`, for admins only."""

from __future__ import annotations

import uuid
from typing import Annotated

import asyncpg
from litestar import Controller, get, post
from litestar.params import Parameter

from shared.auth import Role, roles
from shared.pagination import Page, PageQuery

from . import repository, service
from .schemas import Account, AccountCreate


class AccountController(Controller):
    path = "/accounts"
    tags = ["accounts"]
    guards = [roles(Role.ADMIN)]

    @post(summary="Create an account")
    async def create_account(self, data: AccountCreate, pool: asyncpg.Pool) -> Account:
        # The pool, not one connection: none is held while the password is hashed.
        return await service.create_account(pool, data.username, data.password, data.role, data.unit_id)

    @get(summary="List accounts by username")
    async def list_accounts(
        self,
        pool: asyncpg.Pool,
        paging: PageQuery,
        role: Role | None = None,
        unit_id: uuid.UUID | None = None,
        q: Annotated[str | None, Parameter(max_length=64, description="part of the username, any case")] = None,
    ) -> Page[Account]:
        after = paging.after((str,))
        rows = await repository.list_accounts(
            pool, role=role, unit_id=unit_id, q=q or None, after=after[0] if after else None, limit=paging.limit
        )
        return paging.page(rows, lambda account: [account.username.lower()])

    @get("/{account_id:uuid}", summary="One account")
    async def get_account(self, account_id: uuid.UUID, pool: asyncpg.Pool) -> Account:
        return await repository.get_account(pool, account_id)
