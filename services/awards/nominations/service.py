"""Nomination use cases: a new nomination, reading one within an officer's scope, and the moves of its lifecycle.

Each change is one transaction with its audit row and its event. Lock order,
as everywhere in the service: the campaign, then the nomination(s) (by id),
then the category, so that no two requests wait on each other in a circle.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, cast

import asyncpg
import msgspec

from shared import batches, events
from shared.auth import Principal
from shared.db import Queryable
from shared.errors import DomainError
from shared.text import paragraph

from .. import publishes
from ..council import service as council
from ..domain import access, lifecycle, nominating
from ..domain.lifecycle import Action
from ..domain.nominating import NominationContext
from ..domain.statuses import NominationStatus
from ..eligibility import service as eligibility
from ..notices import service as notices
from ..publishes import Change
from . import repository
from .schemas import Nomination, NominationCreate, NominationOutcome, NominationUpdate, Tally


async def create_nomination(
    db: Queryable,
    actor: Principal,
    data: NominationCreate,
    *,
    context: tuple[NominationContext, list[dict[str, Any]]] | None = None,
) -> Nomination:
    """Check the nomination against what the service knows, then write it, its audit row and its event at once.

    `context`: what `repository.nomination_context` would read, read already (a batch reads every item's at once).
    """
    nominee = nominating.nominee(data.nominee_unit_id, data.nominee_person_id)
    achievements = paragraph(data.achievements, "achievements")
    # An officer nominates, and submits, for its unit's subtree; the other roles for none in particular.
    scope = actor.scope_unit_id
    ctx, category_rules = context or await repository.nomination_context(
        db, data.category_id, data.nominee_unit_id, data.nominee_person_id, scope
    )
    new = nominating.check(data.category_id, nominee, ctx)
    # The row's times are the database's: the draft's are replaced by them once it is written.
    now = datetime.now(UTC)
    draft = Nomination(
        id=uuid.uuid4(),
        campaign_id=new.campaign_id,
        category_id=new.category_id,
        nominee_kind=new.nominee.kind,
        nominee_unit_id=new.nominee_unit_id,
        nominee_person_id=new.nominee_person_id,
        nominee_name=new.nominee_name,
        unit_id=new.unit_id,
        unit_name=new.unit_name,
        achievements=achievements,
        status=NominationStatus.SUBMITTED,
        version=1,
        submitted_by=actor.account_id,
        submitted_by_name=actor.username,
        submitting_unit_id=scope,
        decision_id=None,
        reason=None,
        tally=Tally(0, 0, 0),
        created_at=now,
        updated_at=now,
        granted_at=None,
        revoked_at=None,
    )
    event = publishes.nomination_event(events.NominationSubmitted, draft)
    outbox_row = publishes.outbox_row((event, draft.id, draft.version))
    if not category_rules:  # the common path: one statement, one round trip
        campaign_open, created_at = await repository.insert_nomination(
            db, draft, actor_role=actor.role, outbox_row=outbox_row, producer=publishes.PRODUCER
        )
        nominating.check_written(new, campaign_open=campaign_open, written=created_at is not None)
        return msgspec.structs.replace(draft, created_at=created_at, updated_at=created_at)
    # A category with eligibility rules: checked (409 naming the failed ones), then written with what each
    # passed rule relied on, in one transaction (eligibility/service.py).
    conn = cast(asyncpg.Connection, db)
    async with conn.transaction():
        checks = await eligibility.check_new(conn, new, category_rules)
        campaign_open, created_at = await repository.insert_nomination(
            conn, draft, actor_role=actor.role, outbox_row=outbox_row, producer=publishes.PRODUCER
        )
        nominating.check_written(new, campaign_open=campaign_open, written=created_at is not None)
        await eligibility.record(conn, draft.id, checks)
    return msgspec.structs.replace(draft, created_at=created_at, updated_at=created_at)


async def readable(db: Queryable, reader: Principal, nomination_id: uuid.UUID) -> Nomination:
    """The nomination, if `reader` may see it: an officer sees those of its subtree only."""
    nomination = await repository.get_nomination(db, nomination_id)
    scope = reader.scope_unit_id
    if scope is not None:
        access.check_sees(await repository.nomination_in_scope(db, nomination_id, scope))
    return nomination


async def transition(
    conn: asyncpg.Connection,
    actor: Principal,
    nomination_id: uuid.UUID,
    action: Action,
    *,
    reason: str | None = None,
    scope_unit_id: uuid.UUID | None = None,
) -> Nomination:
    """Approve, reject, withdraw, return, resubmit or revoke one nomination, atomically, with its audit row and event.

    `scope_unit_id`: the acting officer's unit; the nomination must have been
    submitted from it or a unit below it (or be for a nominee there).
    """
    rule = lifecycle.RULES[action]
    if action in lifecycle.NEEDS_REASON:
        reason = paragraph(reason or "", "reason")
    async with conn.transaction():
        before = await repository.lock_nomination(conn, nomination_id)
        if scope_unit_id is not None:
            owner = access.responsible_unit(before["submitting_unit_id"], before["unit_id"])
            access.check_acts_for(await repository.unit_within(conn, owner, scope_unit_id))
        lifecycle.check(rule, before["status"])
        if action == Action.APPROVE:
            await council.check_approval(conn, before)  # 409 below the category's pass mark (council/service.py)
        delta = lifecycle.quota_delta(before["status"], rule.to_status)
        if delta > 0 and not await repository.take_place(conn, before["category_id"]):
            raise lifecycle.quota_full(await repository.quota_of(conn, before["category_id"]))
        if action == Action.APPROVE:  # after the place's row lock: the binding count of share_of_unit
            await eligibility.check_approval(conn, before)
        elif action == Action.RESUBMIT:
            await eligibility.check_resubmission(conn, before)
        if delta < 0:
            await repository.give_back_place(conn, before["category_id"])
        after = await repository.move(conn, nomination_id, rule.to_status, reason)
        # Approval opens its public notice, if its category has one (notices/service.py).
        window = await notices.open_window(conn, nomination_id, after.category_id) if action == Action.APPROVE else None
        change = Change(
            "nomination",
            nomination_id,
            action,
            from_status=before["status"],
            to_status=rule.to_status,
            reason=reason,
            before=before,
            after=after,
        )
        await publishes.audit(conn, actor, [change])
        event = publishes.transition_event(action, after, reason, window=window)
        await publishes.publish(conn, [(event, after.id, after.version)])
    return after


async def edit(
    conn: asyncpg.Connection, actor: Principal, nomination_id: uuid.UUID, data: NominationUpdate
) -> Nomination:
    """Replace the achievements of a submitted or returned nomination of the actor's unit, with its audit row and event.

    The audit row (`edit`) keeps the nomination before and after, so the history
    shows what the achievements were.
    """
    achievements = paragraph(data.achievements, "achievements")
    async with conn.transaction():
        before = await repository.lock_nomination(conn, nomination_id)
        scope = actor.scope_unit_id
        if scope is not None:
            owner = access.responsible_unit(before["submitting_unit_id"], before["unit_id"])
            access.check_acts_for(await repository.unit_within(conn, owner, scope))
        lifecycle.check_editable(before["status"])
        after = await repository.set_achievements(conn, nomination_id, achievements)
        change = Change(
            "nomination",
            nomination_id,
            "edit",
            from_status=before["status"],
            to_status=after.status,
            before=before,
            after=after,
        )
        await publishes.audit(conn, actor, [change])
        await publishes.publish(
            conn, [(publishes.nomination_event(events.NominationUpdated, after), after.id, after.version)]
        )
    return after


# ------------------------------------------------------------------ many at once (POST /nominations/batch)
async def create_nominations(
    conn: asyncpg.Connection, actor: Principal, items: list[NominationCreate | batches.ProblemDocument]
) -> list[NominationOutcome]:
    """Each item judged and written as `create_nomination` judges and writes it, in one transaction.

    Every item's context is read in one statement. The items are written in the order of their category and
    nominee, so two batches naming the same nominees wait for each other in one order, never in a circle;
    each with its audit row and outbox event, as one alone. A refused item writes nothing and refuses no
    other (a category with eligibility rules checks and writes its item under a savepoint). The created
    ones commit together: if the transaction fails (an outage), nothing of the batch is written.
    """
    outcomes: dict[int, NominationOutcome] = {
        i: NominationOutcome(index=i, status=d.status, problem=d)
        for i, d in enumerate(items)
        if isinstance(d, batches.ProblemDocument)
    }
    wanted = [(i, d) for i, d in enumerate(items) if isinstance(d, NominationCreate)]
    async with conn.transaction():
        contexts = await repository.nomination_contexts(
            conn, [(d.category_id, d.nominee_unit_id, d.nominee_person_id) for _, d in wanted], actor.scope_unit_id
        )
        order = sorted(
            range(len(wanted)),
            key=lambda k: (
                str(wanted[k][1].category_id),
                str(wanted[k][1].nominee_unit_id or wanted[k][1].nominee_person_id),
            ),
        )
        for k in order:
            i, data = wanted[k]
            try:
                created = await create_nomination(conn, actor, data, context=contexts[k])
            except DomainError as exc:
                outcomes[i] = NominationOutcome(index=i, status=exc.status, problem=batches.problem_of(exc))
            else:
                outcomes[i] = NominationOutcome(index=i, status=201, nomination=created)
    return [outcomes[i] for i in range(len(items))]
