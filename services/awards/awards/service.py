"""Award use cases: reading one as the caller may see it, and revoking one."""

from __future__ import annotations

import uuid

import asyncpg

from shared.auth import Principal
from shared.db import Queryable
from shared.errors import NotFound

from ..domain import access, lifecycle
from ..domain.lifecycle import Action
from ..eligibility import service as eligibility
from ..nominations.service import transition
from . import repository
from .schemas import Award


async def get_award(db: Queryable, award_id: uuid.UUID, caller: Principal | None) -> Award:
    """A granted award for anyone; a revoked one only for the roles that see revoked awards, who also
    read its verification code."""
    row = await repository.find_award(db, award_id)
    revoked_too = access.sees_revoked(caller.role if caller else None)
    if row is None or not access.award_visible(row["status"], revoked_too=revoked_too):
        raise NotFound("award", award_id)
    return repository.staff_award(row) if revoked_too else repository.award(row)


async def revoke_award(conn: asyncpg.Connection, actor: Principal, award_id: uuid.UUID, reason: str) -> Award:
    """Revoke a granted award: a nomination's move like any other, audited and announced (`awards.award.revoked`)."""
    async with conn.transaction():
        status = await repository.status_of(conn, award_id)
        if status is None or not lifecycle.is_award(status):
            raise NotFound("award", award_id)
        await transition(conn, actor, award_id, Action.REVOKE, reason=reason)
        # What relied on this award goes before the committee, with the reason (eligibility/service.py).
        await eligibility.flag_dependents(conn, actor, award_id, reason)
        row = await repository.find_award(conn, award_id)
        return repository.award(row)
