"""The SQL of verification: one award by its code."""

from __future__ import annotations

from shared import verification
from shared.db import Queryable

from .schemas import Verification


async def by_code(db: Queryable, code: str) -> Verification | None:
    """The award whose canonical code is `code`, or None."""
    row = await db.fetchrow(
        """SELECT code, status, kind, name, unit_name, campaign_name, year, category_name, form,
                  decision_number, decision_date
           FROM verifications WHERE code = $1""",
        code,
    )
    if row is None:
        return None
    return Verification(
        code=verification.display(row["code"]),
        name=row["name"],
        kind=row["kind"],
        unit_name=row["unit_name"],
        campaign=row["campaign_name"],
        category=row["category_name"],
        form=row["form"],
        decision_number=row["decision_number"],
        decision_date=row["decision_date"],
        status=row["status"],
        year=row["year"],
    )
