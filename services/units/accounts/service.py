"""Creating accounts, the one way: over HTTP (`POST /accounts`) and from the `thidua` command alike.

`create_account` checks the account rules, hashes the password and stores
the account; the command uses it, and `count_accounts`, to bootstrap the
first admin on an empty database.
"""

from __future__ import annotations

import uuid

from shared.db import Queryable

from .. import domain
from . import passwords, repository
from .repository import count_accounts
from .schemas import Account

__all__ = ["count_accounts", "create_account"]


async def create_account(
    conn: Queryable, username: str, password: str, role: str, unit_id: uuid.UUID | None = None
) -> Account:
    """An account of `role` (a `shared.auth.Role`); an officer's acts for `unit_id`."""
    domain.check_new_account(role, unit_id)
    return await repository.insert_account(conn, username, await passwords.hash_password(password), role, unit_id)
