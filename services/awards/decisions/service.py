"""Issuing a decision: one transaction that grants every listed nomination, or none.

Lock order, as everywhere in the service: the nominations, by id (a decision
changes no campaign, and no category's `held`: approval took the place).
"""

from __future__ import annotations

import uuid

import asyncpg

from shared import events, outbox
from shared.auth import Principal
from shared.text import line

from .. import publishes
from ..domain import granting, notice
from ..domain.lifecycle import Action
from ..domain.statuses import NominationStatus
from ..notices import repository as notices
from ..notices import service as notices_service
from ..publishes import Change
from . import repository
from .schemas import Decision, DecisionCreate


async def create_decision(conn: asyncpg.Connection, actor: Principal, data: DecisionCreate) -> Decision:
    granting.check_listed_once(data.nomination_ids)
    number, signer = line(data.number, "number"), line(data.signer, "signer")
    nomination_ids = data.nomination_ids
    decision_id = uuid.uuid4()
    async with conn.transaction():
        await repository.insert_decision(
            conn, decision_id, actor, number=number, signed_on=data.signed_on, signer=signer
        )
        granting.check_grantable(nomination_ids, await repository.lock_listed(conn, nomination_ids))
        # The public's say first: no nominee still on notice or with an unresolved objection (domain/notice.py).
        notice.check_decidable(nomination_ids, await notices.held(conn, nomination_ids), notices_service.today())
        granted = await repository.grant(conn, nomination_ids, decision_id)
        decision = await repository.get_decision(conn, decision_id)
        changes = [
            Change(
                "nomination",
                r["award_id"],
                Action.GRANT,
                from_status=NominationStatus.APPROVED,
                to_status=NominationStatus.GRANTED,
                after={"decision_id": r["decision_id"], "version": r["version"]},
            )
            for r in granted
        ]
        changes.append(Change("decision", decision_id, "issue", after=decision))
        await publishes.audit(conn, actor, changes)
        items: list[outbox.Item] = [(publishes.granted_event(r), r["award_id"], r["version"]) for r in granted]
        issued = events.DecisionIssued(
            id=decision_id,
            number=number,
            signed_on=data.signed_on,
            signer=signer,
            award_ids=tuple(r["award_id"] for r in granted),
        )
        items.append((issued, decision_id, 1))
        await publishes.publish(conn, items)
    return decision
