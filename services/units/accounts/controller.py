"""The accounts over HTTP: `/accounts`, for admins only."""

from __future__ import annotations

import uuid
from typing import Annotated

import asyncpg
from litestar import Controller, get, patch, post
from litestar.params import Parameter

from shared.auth import Principal, Role, roles
from shared.pagination import Page, PageQuery

from . import repository, service
from .schemas import Account, AccountCreate, AccountPatch, PasswordReset


class AccountController(Controller):
    path = "/accounts"
    tags = ["accounts"]
    guards = [roles(Role.ADMIN)]

    @post(summary="Create an account")
    async def create_account(self, data: AccountCreate, pool: asyncpg.Pool) -> Account:
        # The pool, not one connection: none is held while the password is hashed.
        return await service.create_account(
            pool, data.username, data.password, data.role, data.unit_id, data.display_name
        )

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

    @patch(
        "/{account_id:uuid}",
        summary="Disable or enable an account, or change its role, unit or display name",
        description=(
            "Only what is sent changes. A disabled account cannot sign in or refresh, its sign-ins end, and "
            "every service refuses its tokens (401) within a second. An officer keeps a unit (400 naming "
            "`unit_id`); an admin cannot disable itself or change its own role (409). A new role or unit "
            "reaches the account's tokens at their next refresh."
        ),
    )
    async def update_account(
        self, account_id: uuid.UUID, data: AccountPatch, conn: asyncpg.Connection, principal: Principal
    ) -> Account:
        changes = service.changes_of(data)
        return await service.update_account(conn, account_id, changes, acting_id=principal.account_id)

    @post(
        "/{account_id:uuid}/password",
        status_code=204,
        summary="Set an account's password",
        description="Every sign-in of the account ends: its refresh tokens stop working.",
    )
    async def reset_password(self, account_id: uuid.UUID, data: PasswordReset, pool: asyncpg.Pool) -> None:
        await service.reset_password(pool, account_id, data.password)
