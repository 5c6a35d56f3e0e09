"""Nomination use cases: a new nomination, reading one within an officer's scope, and the moves of its lifecycle.

Each change is one transaction with its audit row and its event. Lock order,
as everywhere in the service: the campaign, then the nomination(s) (by id),
then the category, so that no two requests wait on each other in a circle.
"""

from __future__ import annotations

import contextlib
import contextvars
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

import asyncpg
import msgspec

from shared import batches, events, outbox
from shared.auth import Principal
from shared.coalesce import Coalescer
from shared.db import Queryable
from shared.errors import DomainError
from shared.state import ServiceState, StateKey
from shared.text import paragraph

from .. import publishes
from ..council import service as council
from ..domain import access, lifecycle, nominating
from ..domain.lifecycle import Action
from ..domain.nominating import NewNomination
from ..domain.statuses import NominationStatus
from ..eligibility import service as eligibility
from ..notices import service as notices
from ..publishes import Change
from . import repository
from .schemas import Nomination, NominationCreate, NominationOutcome, NominationUpdate, Tally


@dataclass(frozen=True, slots=True)
class Submission:
    """A new nomination asked for: by whom, what, and the context of the request that asks (its outbox row
    keeps that request's trace context and id)."""

    actor: Principal
    data: NominationCreate
    origin: contextvars.Context


# The nominations this process writes together (shared/coalesce.py): set at start (`start_writing`).
WRITER: StateKey[Coalescer[Submission, Nomination]] = StateKey("nominations.writer")


async def start_writing(service: ServiceState) -> None:
    """The startup hook: this process's writer of new nominations, on its pool."""

    async def write(submissions: Sequence[Submission]) -> Sequence[Nomination | Exception]:
        async with outbox.request_connection(service.pool) as conn:
            return await write_nominations(conn, submissions)

    service.put(WRITER, Coalescer("nominations", write))


async def create_nomination(service: ServiceState, actor: Principal, data: NominationCreate) -> Nomination:
    """Check a new nomination against what the service knows, and write it, its audit row and its event at once:
    with the others asked for at the same moment in this process, in one statement (`write_nominations`)."""
    return await service.get(WRITER).submit(Submission(actor, data, contextvars.copy_context()))


async def write_nominations(
    conn: asyncpg.Connection, submissions: Sequence[Submission]
) -> list[Nomination | DomainError]:
    """Each submission judged by the rules of a new nomination and, if they let it through, written: its
    nomination, or its refusal (400, 403, 404, 409), in order. A refusal of one refuses no other.

    Every item's context is read in one statement, and the items of categories without eligibility rules (the
    common case) are written in one statement, each with its audit row and outbox event. An item of a category
    with rules is checked (409 naming the rules it fails) and written with what each passed rule relied on,
    under a savepoint of its own. What is written commits together, or nothing does (the call raises): so a
    call that raised may be made again, whole or item by item (shared/coalesce.py does).
    """
    outcomes: list[Nomination | DomainError | None] = [None] * len(submissions)
    asked: list[tuple[int, Submission, nominating.Nominee, str]] = []
    for i, s in enumerate(submissions):
        try:
            asked.append(
                (
                    i,
                    s,
                    nominating.nominee(s.data.nominee_unit_id, s.data.nominee_person_id),
                    paragraph(s.data.achievements, "achievements"),
                )
            )
        except DomainError as exc:
            outcomes[i] = exc
    # An officer nominates, and submits, for its unit's subtree; the other roles for none in particular.
    contexts = await repository.nomination_contexts(
        conn,
        [
            (s.data.category_id, s.data.nominee_unit_id, s.data.nominee_person_id, s.actor.scope_unit_id)
            for _, s, _, _ in asked
        ],
    )
    plain: list[tuple[int, NewNomination, repository.NewRow]] = []
    ruled: list[tuple[int, NewNomination, repository.NewRow, list[dict[str, Any]]]] = []
    for (i, s, nominee, achievements), (ctx, category_rules) in zip(asked, contexts, strict=True):
        try:
            new = nominating.check(s.data.category_id, nominee, ctx)
        except DomainError as exc:
            outcomes[i] = exc
            continue
        row = _new_row(s, new, achievements)
        if category_rules:
            ruled.append((i, new, row, category_rules))
        else:
            plain.append((i, new, row))
    # All or nothing: the plain items' one statement alone, or a transaction around it and the others.
    async with conn.transaction() if ruled else contextlib.nullcontext():
        written = await repository.insert_nominations(conn, [row for _, _, row in plain], producer=publishes.PRODUCER)
        for (i, new, row), (campaign_open, created_at) in zip(plain, written, strict=True):
            try:  # what the insert found instead, if nothing was written: the campaign closed, or a live one won
                nominating.check_written(new, campaign_open=campaign_open, written=created_at is not None)
            except DomainError as exc:
                outcomes[i] = exc
            else:
                outcomes[i] = _created(row[0], created_at)
        # Each under a savepoint, in the order of category and nominee, as the statement writes its rows.
        for i, new, row, category_rules in sorted(ruled, key=lambda r: (r[1].category_id, r[1].nominee.id)):
            try:
                async with conn.transaction():
                    checks = await eligibility.check_new(conn, new, category_rules)
                    [(campaign_open, created_at)] = await repository.insert_nominations(
                        conn, [row], producer=publishes.PRODUCER
                    )
                    nominating.check_written(new, campaign_open=campaign_open, written=created_at is not None)
                    await eligibility.record(conn, row[0].id, checks)
            except DomainError as exc:
                outcomes[i] = exc
            else:
                outcomes[i] = _created(row[0], created_at)
    return cast(list[Nomination | DomainError], outcomes)


def _new_row(s: Submission, new: NewNomination, achievements: str) -> repository.NewRow:
    """The draft of a nomination the rules let through, and its outbox row (made in its request's context)."""
    now = datetime.now(UTC)  # the row's times are the database's: the draft's are replaced once it is written
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
        submitted_by=s.actor.account_id,
        submitted_by_name=s.actor.username,
        submitting_unit_id=s.actor.scope_unit_id,
        decision_id=None,
        reason=None,
        tally=Tally(0, 0, 0),
        created_at=now,
        updated_at=now,
        granted_at=None,
        revoked_at=None,
    )
    event = publishes.nomination_event(events.NominationSubmitted, draft)
    return draft, s.actor.role, s.origin.run(publishes.outbox_row, (event, draft.id, draft.version))


def _created(draft: Nomination, created_at: datetime | None) -> Nomination:
    """The nomination as written: its times are the database's."""
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
    """Each item judged and written as `create_nomination` judges and writes it (`write_nominations`), in one
    transaction: a refused item writes nothing and refuses no other, and the created ones commit together; if
    the transaction fails (an outage), nothing of the batch is written."""
    origin = contextvars.copy_context()
    wanted = [(i, d) for i, d in enumerate(items) if isinstance(d, NominationCreate)]
    async with conn.transaction():
        written = await write_nominations(conn, [Submission(actor, d, origin) for _, d in wanted])
    outcomes = {
        i: NominationOutcome(index=i, status=d.status, problem=d)
        for i, d in enumerate(items)
        if isinstance(d, batches.ProblemDocument)
    }
    for (i, _), outcome in zip(wanted, written, strict=True):
        if isinstance(outcome, DomainError):
            outcomes[i] = NominationOutcome(index=i, status=outcome.status, problem=batches.problem_of(outcome))
        else:
            outcomes[i] = NominationOutcome(index=i, status=201, nomination=outcome)
    return [outcomes[i] for i in range(len(items))]
