"""The enums the units service speaks are exactly what its database accepts (the live CHECK constraints)."""

from __future__ import annotations

import re

import asyncpg

from services.units.domain import UnitKind
from shared.auth import Role
from tests.support import Stack


async def check_values(stack: Stack, table: str, column: str) -> set[str]:
    """The values a `column IN (...)` CHECK of `table` allows, as PostgreSQL holds it."""
    conn = await asyncpg.connect(stack.db_url("units"))
    try:
        definitions = await conn.fetch(
            "SELECT pg_get_constraintdef(oid) AS def FROM pg_constraint WHERE conrelid = $1::regclass AND contype = 'c'",
            table,
        )
    finally:
        await conn.close()
    # PostgreSQL stores `kind IN ('a', 'b')` as `(kind = ANY (ARRAY['a'::text, 'b'::text]))`.
    [found] = [d["def"] for d in definitions if re.search(rf"\({column} = ANY \(ARRAY\[", d["def"])]
    return set(re.findall(r"'([^']*)'::text", found))


async def test_unit_kinds_are_the_kinds_the_database_accepts(stack: Stack) -> None:
    assert await check_values(stack, "units", "kind") == {k.value for k in UnitKind}


async def test_roles_are_the_roles_the_database_accepts(stack: Stack) -> None:
    assert await check_values(stack, "accounts", "role") == {r.value for r in Role}
