"""The statuses of services/events/domain.py are exactly those the migrations' CHECK constraints allow,
read from the stack's database, so the two cannot drift apart."""

from __future__ import annotations

import re
from enum import StrEnum

import asyncpg
import pytest

from services.events.domain import CeremonyStatus, RollStatus
from tests.support import Stack


async def allowed(stack: Stack, table: str, column: str) -> set[str]:
    """The values a CHECK constraint of `table` allows in `column` (`column IN (...)`, as PostgreSQL restates it)."""
    conn = await asyncpg.connect(stack.db_url("events"))
    try:
        checks = await conn.fetch(
            """SELECT pg_get_constraintdef(c.oid) AS def FROM pg_constraint c
               WHERE c.conrelid = $1::regclass AND c.contype = 'c'""",
            table,
        )
    finally:
        await conn.close()
    found = [r["def"] for r in checks if re.search(rf"\(\(?{column} = ANY", r["def"])]
    assert len(found) == 1, checks
    return set(re.findall(r"'([^']*)'::text", found[0]))


@pytest.mark.parametrize(
    ("table", "column", "enum"), [("ceremonies", "status", CeremonyStatus), ("honorees", "status", RollStatus)]
)
async def test_each_status_enum_is_its_check_constraint(
    stack: Stack, table: str, column: str, enum: type[StrEnum]
) -> None:
    assert await allowed(stack, table, column) == {s.value for s in enum}
