"""The accounts' use cases: creating one (over HTTP and from the `thidua` command alike), an admin's change
of one (disable, enable, role, unit, display name), and an admin's reset of its password.

Every change others must learn of publishes the whole account
(`units.account.created/updated`) in its own transaction; disabling or
enabling also records it in this service's `account_blocks` (whose NOTIFY
tells every process here) and ends the account's sign-ins.
`count_accounts` lets the command bootstrap the first admin on an empty database.
"""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import msgspec

from shared import account_blocks
from shared.db import Queryable
from shared.errors import FieldError, Invalid, NotFound
from shared.text import optional_line

from .. import domain, publishes
from ..auth import repository as sign_ins
from . import passwords, repository
from .repository import FIELDS, count_accounts
from .schemas import Account, AccountPatch

__all__ = ["changes_of", "count_accounts", "create_account", "reset_password", "update_account"]


async def create_account(
    conn: Queryable,
    username: str,
    password: str,
    role: str,
    unit_id: uuid.UUID | None = None,
    display_name: str | None = None,
) -> Account:
    """An account of `role` (a `shared.auth.Role`); an officer's acts for `unit_id`.

    `conn` may be the pool: no connection is held while the password is hashed.
    """
    domain.check_new_account(role, unit_id)
    name = optional_line(display_name, "display_name")
    password_hash = await passwords.hash_password(password)
    if isinstance(conn, asyncpg.Pool):
        async with conn.acquire() as acquired:
            return await _insert(acquired, username, password_hash, role, unit_id, name)
    return await _insert(conn, username, password_hash, role, unit_id, name)


async def _insert(
    conn: asyncpg.Connection,
    username: str,
    password_hash: str,
    role: str,
    unit_id: uuid.UUID | None,
    display_name: str | None,
) -> Account:
    async with conn.transaction():
        account = await repository.insert_account(conn, username, password_hash, role, unit_id, display_name)
        await publishes.publish(conn, [publishes.account_created(account)])
    return account


def changes_of(patch: AccountPatch) -> dict[str, Any]:
    """What a patch sets, text cleaned; at least one field."""
    changes: dict[str, Any] = {}
    if patch.disabled is not msgspec.UNSET:
        changes["disabled"] = patch.disabled
    if patch.role is not msgspec.UNSET:
        changes["role"] = str(patch.role)
    if patch.unit_id is not msgspec.UNSET:
        changes["unit_id"] = patch.unit_id
    if patch.display_name is not msgspec.UNSET:
        changes["display_name"] = optional_line(patch.display_name, "display_name")
    if not changes:
        raise Invalid(
            "send at least one of disabled, role, unit_id, display_name",
            errors=[FieldError("body", "nothing to change")],
        )
    return changes


async def update_account(
    conn: asyncpg.Connection, account_id: uuid.UUID, changes: dict[str, Any], *, acting_id: uuid.UUID
) -> Account:
    """Apply an admin's `changes` (from `changes_of`); `acting_id` is that admin's account."""
    async with conn.transaction():
        account = await repository.account_for_update(conn, account_id)
        current = {k: getattr(account, k) for k in FIELDS}
        changed = domain.account_changes(acting_id=acting_id, account_id=account_id, current=current, wanted=changes)
        if not changed:
            return account
        new = {**current, **changed}
        updated = await repository.save_account(conn, account_id, *(new[k] for k in FIELDS))
        await publishes.publish(conn, [publishes.account_updated(updated)])
        if "disabled" in changed:
            # Every process of this service refuses its tokens from the commit on (the
            # others from the event); its sign-ins end, so enabling it later revives none.
            await account_blocks.record(conn, account_id, disabled=updated.disabled, version=updated.version)
            if updated.disabled:
                await sign_ins.end_sign_ins(conn, account_id, "disabled")
    return updated


async def reset_password(pool: asyncpg.Pool, account_id: uuid.UUID, password: str) -> None:
    """An admin sets an account's password; every sign-in of the account ends."""
    password_hash = await passwords.hash_password(password)  # before taking a connection
    async with pool.acquire() as conn, conn.transaction():
        if not await repository.set_password(conn, account_id, password_hash):
            raise NotFound("account", account_id)
        await sign_ins.end_sign_ins(conn, account_id, "reset")
