"""The status enums and sets of the awards domain hold exactly what the live database's constraints allow."""

from __future__ import annotations

import re
from enum import StrEnum

import asyncpg

from services.awards.domain import lifecycle
from services.awards.domain.statuses import CampaignStatus, NominationStatus, NomineeKind
from tests.support import Stack

# The constraint on one column, as PostgreSQL restates it: CHECK ((status = ANY (ARRAY['open'::text, ...])))
COLUMN_CHECK = """
    SELECT pg_get_constraintdef(c.oid) FROM pg_constraint c
    JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
    WHERE c.contype = 'c' AND c.conrelid = $1::regclass AND cardinality(c.conkey) = 1 AND a.attname = $2"""


def values(definition: str) -> set[str]:
    return set(re.findall(r"'([^']*)'::text", definition))


def members(enum: type[StrEnum]) -> set[str]:
    return {m.value for m in enum}


async def test_enums_are_the_check_constraints(stack: Stack) -> None:
    conn = await asyncpg.connect(stack.db_url("awards"))
    try:
        for table, column, enum in [
            ("campaigns", "status", CampaignStatus),
            ("categories", "nominee_kind", NomineeKind),
            ("nominations", "nominee_kind", NomineeKind),
            ("nominations", "status", NominationStatus),
        ]:
            checks = [r[0] for r in await conn.fetch(COLUMN_CHECK, table, column)]
            assert len(checks) == 1, (table, column, checks)
            assert values(checks[0]) == members(enum), (table, column, checks[0])
        # The live statuses are those of the unique index that keeps one live nomination per nominee and category.
        index = await conn.fetchval("SELECT indexdef FROM pg_indexes WHERE indexname = 'nominations_live'")
        assert values(index) == lifecycle.LIVE, index
        # An award (a granted or revoked nomination) is exactly a nomination with a decision.
        decided = await conn.fetchval(
            """SELECT pg_get_constraintdef(oid) FROM pg_constraint
               WHERE conrelid = 'nominations'::regclass AND contype = 'c'
                 AND pg_get_constraintdef(oid) LIKE '%decision_id%' AND pg_get_constraintdef(oid) LIKE '%status%'"""
        )
        assert values(decided) == lifecycle.AWARDED, decided
    finally:
        await conn.close()
