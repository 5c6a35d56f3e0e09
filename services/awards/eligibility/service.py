"""Eligibility use cases: a nomination checked against its category's rules (at submission, at approval, on
request), and the consequences of a revocation put before the committee.

When the checks run (domain/eligibility.py says what each rule means):
- **Submission** (`POST /nominations`) runs every rule in force; a failed one refuses the nomination (409
  naming each failed check). What each passed rule relied on is recorded (`reliances`) in the transaction
  that writes the nomination. `share_of_unit` there counts the unit's live nominations of the category,
  the new one included: an early refusal of a unit already over its share.
- **Approval** runs them again, in the transaction that takes the category's place (after that row lock,
  so concurrent approvals of a category queue and each counts those approved before it). There
  `share_of_unit` counts the nominations holding a place (approved, granted), the one approved
  included: this is the binding count, since two submissions made at once may both have passed.
- `GET /nominations/{id}/eligibility` answers the submission's view, as of now.

A revocation (`POST /awards/{id}/revoke`) then opens a review item for every live nomination or standing
award that relied on the revoked award, with the reason, its audit row and `awards.review.opened`, in the
revocation's transaction: none is changed or dropped silently; the committee resolves each item
(`POST /reviews/{id}/resolve`), revoking the dependent itself if it must.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

import asyncpg

from shared import events
from shared.auth import Principal
from shared.db import Queryable
from shared.errors import Conflict, NotFound

from .. import publishes
from ..domain import eligibility as rules
from ..domain.lifecycle import LIVE
from ..domain.nominating import NewNomination
from ..publishes import Change
from . import repository
from .schemas import CheckResult, Dependent, Eligibility, ReviewItem

LIVE_STATUSES = sorted(LIVE)
PLACE_STATUSES = ["approved", "granted"]


async def _subject(
    db: Queryable,
    facts: repository.CategoryFacts,
    parsed: Sequence[rules.Rule],
    *,
    nominee_id: uuid.UUID,
    unit_id: uuid.UUID,
    unit_name: str,
    category_id: uuid.UUID,
    nomination_id: uuid.UUID | None,
    statuses: Sequence[str],
) -> rules.Subject:
    titles = rules.share_titles(parsed, facts.year)
    shares = (
        await repository.share_figures(
            db,
            titles,
            unit_id=unit_id,
            category_id=category_id,
            year=facts.year,
            nomination_id=nomination_id,
            statuses=statuses,
        )
        if titles
        else {}
    )
    return rules.Subject(
        year=facts.year,
        category_title=facts.title,
        holdings=await repository.holdings(db, nominee_id, nomination_id),
        unit_name=unit_name,
        shares=shares,
    )


async def check_new(db: Queryable, new: NewNomination, stored_rules: Sequence[dict[str, Any]]) -> list[rules.Check]:
    """The checks of a nomination about to be written; 409 naming the failed ones."""
    parsed = rules.load_rules(stored_rules)
    facts = await repository.category_facts(db, new.category_id)
    subject = await _subject(
        db,
        facts,
        parsed,
        nominee_id=new.nominee.id,
        unit_id=new.unit_id,
        unit_name=new.unit_name,
        category_id=new.category_id,
        nomination_id=None,
        statuses=LIVE_STATUSES,
    )
    checks = rules.evaluate(parsed, subject)
    refused = rules.refusal(checks, new.nominee_name)
    if refused:
        raise refused
    return checks


async def record(conn: asyncpg.Connection, nomination_id: uuid.UUID, checks: Sequence[rules.Check]) -> None:
    await repository.record_reliances(conn, nomination_id, checks)


async def _checks_of(
    db: Queryable, nomination: asyncpg.Record, statuses: Sequence[str]
) -> tuple[int, list[rules.Check]]:
    facts = await repository.category_facts(db, nomination["category_id"])
    parsed = rules.load_rules(facts.rules)
    if not parsed:
        return facts.year, []
    subject = await _subject(
        db,
        facts,
        parsed,
        nominee_id=nomination["nominee_id"],
        unit_id=nomination["unit_id"],
        unit_name=nomination["unit_name"],
        category_id=nomination["category_id"],
        nomination_id=nomination["id"],
        statuses=statuses,
    )
    return facts.year, rules.evaluate(parsed, subject)


async def eligibility_of(db: Queryable, nomination_id: uuid.UUID) -> Eligibility:
    """Every rule in force for the nomination's campaign, checked now (the caller may read the nomination)."""
    nomination = await repository.nomination_row(db, nomination_id)
    year, checks = await _checks_of(db, nomination, LIVE_STATUSES)
    return Eligibility(
        nomination_id=nomination_id,
        eligible=all(c.passed for c in checks),
        reference_date=rules.reference_date(year),
        checks=[CheckResult(**c.as_json()) for c in checks],
    )


async def check_approval(conn: asyncpg.Connection, nomination: asyncpg.Record) -> None:
    """Inside the approval's transaction, after the category's place was taken: 409 naming the failed checks."""
    await _refuse_failed(conn, nomination, PLACE_STATUSES)


async def check_resubmission(conn: asyncpg.Connection, nomination: asyncpg.Record) -> None:
    """A returned nomination sent again is checked as a new one is (the rules, or the nominee's history, may
    have changed while it was with its unit): 409 naming the failed checks."""
    await _refuse_failed(conn, nomination, LIVE_STATUSES)


async def _refuse_failed(conn: asyncpg.Connection, nomination: asyncpg.Record, statuses: Sequence[str]) -> None:
    _, checks = await _checks_of(conn, nomination, statuses)
    refused = rules.refusal(checks, nomination["nominee_name"])
    if refused:
        raise refused


# ------------------------------------------------------------------ a revocation's consequences
def review_event(cls: type[events.ReviewItemState], row: asyncpg.Record) -> events.ReviewItemState:
    return cls(
        id=row["id"],
        nomination_id=row["nomination_id"],
        cause_award_id=row["cause_award_id"],
        status=row["status"],
        reason=row["reason"],
        opened_at=row["created_at"],
        resolution=row["resolution"] or "",
        resolved_at=row["resolved_at"],
    )


def _reason(dep: asyncpg.Record, cause: asyncpg.Record, revocation_reason: str) -> str:
    what = "Khen thưởng" if dep["status"] == "granted" else "Đề nghị"
    return (
        f"{what} {dep['title']} năm {dep['year']} của {dep['name']} dựa vào {dep['relied_title']} năm "
        f"{dep['relied_year']} ({dep['citation']}), nay đã bị thu hồi. Lý do thu hồi: {revocation_reason}"
    )


async def flag_dependents(
    conn: asyncpg.Connection, actor: Principal, award_id: uuid.UUID, revocation_reason: str
) -> list[uuid.UUID]:
    """In the revocation's transaction: a review item for each live nomination or standing award that relied on
    the revoked award, audited and announced (`awards.review.opened`). Returns the new items' ids."""
    cause = await conn.fetchrow("SELECT id, nominee_name FROM nominations WHERE id = $1", award_id)
    opened: list[asyncpg.Record] = []
    seen: set[uuid.UUID] = set()
    for dep in await repository.dependents(conn, award_id):
        if dep["status"] not in LIVE or dep["nomination_id"] in seen:
            continue
        seen.add(dep["nomination_id"])
        item = await repository.open_review_item(
            conn, dep["nomination_id"], award_id, _reason(dep, cause, revocation_reason)
        )
        if item is not None:
            opened.append(item)
    if opened:
        await publishes.audit(
            conn,
            actor,
            [
                Change("review_item", i["id"], "open", to_status="open", reason=i["reason"], after=dict(i))
                for i in opened
            ],
        )
        await publishes.publish(conn, [(review_event(events.ReviewOpened, i), i["id"], 1) for i in opened])
    return [i["id"] for i in opened]


async def dependents_of(db: Queryable, award_id: uuid.UUID) -> list[Dependent]:
    status = await db.fetchval("SELECT status FROM nominations WHERE id = $1", award_id)
    if status not in ("granted", "revoked"):
        raise NotFound("award", award_id)
    rows = await repository.dependents(db, award_id)
    seen: set[uuid.UUID] = set()
    out = []
    for r in rows:
        if r["nomination_id"] in seen:
            continue
        seen.add(r["nomination_id"])
        out.append(Dependent(**dict(r)))
    return out


def review_item(row: asyncpg.Record) -> ReviewItem:
    return ReviewItem(**{k: v for k, v in dict(row).items() if k in ReviewItem.__struct_fields__})


async def resolve(conn: asyncpg.Connection, actor: Principal, item_id: uuid.UUID, resolution: str) -> ReviewItem:
    """The committee's word on an item (409 when it was resolved already), audited and announced."""
    async with conn.transaction():
        before = await repository.lock_review_item(conn, item_id)
        if before["status"] == "resolved":
            raise Conflict("this review item is resolved already", field="resolution")
        row = await repository.resolve_review_item(conn, item_id, resolution, actor.account_id, actor.username)
        await publishes.audit(
            conn,
            actor,
            [
                Change(
                    "review_item",
                    item_id,
                    "resolve",
                    from_status="open",
                    to_status="resolved",
                    reason=resolution,
                    before=dict(before),
                    after=dict(row),
                )
            ],
        )
        await publishes.publish(conn, [(review_event(events.ReviewResolved, row), item_id, row["version"])])
    return review_item(row)
