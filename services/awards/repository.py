"""All SQL of the awards service.

Every request is one transaction; every change that others must learn of
emits its event through the outbox in that transaction, and every change of a
campaign, nomination, decision or award is written to the append-only
`audit_log` in it too. Lock order, everywhere: campaign, then nomination(s)
(by id), then category, so that no two requests wait on each other in a circle.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import asyncpg
import msgspec

from shared import events, outbox
from shared.auth import Principal
from shared.problems import FieldError, Problem, conflict, not_found

from . import domain
from .schemas import (
    Award,
    Campaign,
    CampaignCreate,
    Category,
    CategoryCreate,
    Decision,
    DecisionSummary,
    HistoryEntry,
    Nomination,
    Tally,
    Vote,
    VoteResult,
)

PRODUCER = "awards"
Conn = asyncpg.Connection | asyncpg.Pool

CAMPAIGN_COLUMNS = (
    "id, code, name, organizer_unit_id, year, starts_on, ends_on, description, status, version, created_at, updated_at"
)
CATEGORY_COLUMNS = "id, campaign_id, code, name, nominee_kind, form, quota, held, quota - held AS remaining, created_at"
NOMINATION_SELECT = """
    SELECT n.id, n.campaign_id, n.category_id, n.nominee_kind,
           CASE WHEN n.nominee_kind = 'collective' THEN n.nominee_id END AS nominee_unit_id,
           CASE WHEN n.nominee_kind = 'individual' THEN n.nominee_id END AS nominee_person_id,
           n.nominee_name, n.unit_id, n.unit_name, n.achievements, n.status, n.version,
           n.submitted_by, n.submitted_by_name, n.submitting_unit_id, n.decision_id, n.reason,
           n.created_at, n.updated_at, n.granted_at, n.revoked_at,
           t.approve AS tally_approve, t.reject AS tally_reject
    FROM nominations n
    CROSS JOIN LATERAL (SELECT count(*) FILTER (WHERE v.approve) AS approve,
                               count(*) FILTER (WHERE NOT v.approve) AS reject
                        FROM votes v WHERE v.nomination_id = n.id) t"""
AWARD_SELECT = """
    SELECT n.id AS award_id, n.id AS nomination_id, n.status, n.nominee_kind AS kind, n.nominee_id,
           n.nominee_name AS name, n.unit_id, n.unit_name,
           n.campaign_id, k.name AS campaign_name, k.code AS campaign_code, k.year,
           n.category_id, c.name AS category_name, c.code AS category_code, c.form,
           n.decision_id, d.number AS decision_number, d.signed_on AS decision_date, d.signer AS decision_signer,
           n.granted_at, n.revoked_at, CASE WHEN n.status = 'revoked' THEN n.reason END AS revocation_reason,
           n.version
    FROM nominations n
    JOIN campaigns k ON k.id = n.campaign_id
    JOIN categories c ON c.id = n.category_id
    JOIN decisions d ON d.id = n.decision_id"""
# `q` is matched as a substring of the folded text: its own % and _ are literal.
LIKE_Q = "'%' || replace(replace(replace(fold({0}), '\\', '\\\\'), '%', '\\%'), '_', '\\_') || '%'"

_AWARD_FIELDS = set(Award.__struct_fields__)


# ------------------------------------------------------------------ shared pieces
async def _audit(
    conn: asyncpg.Connection,
    actor: Principal,
    entity: str,
    entity_id: uuid.UUID,
    action: str,
    *,
    from_status: str | None = None,
    to_status: str | None = None,
    reason: str | None = None,
    before: Any = None,
    after: Any = None,
) -> None:
    await conn.execute(
        """INSERT INTO audit_log (entity, entity_id, action, actor_id, actor_name, actor_role,
                                  from_status, to_status, reason, before, after)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)""",
        entity, entity_id, action, actor.account_id, actor.username, actor.role,
        from_status, to_status, reason, _jsonable(before), _jsonable(after),
    )


def _jsonable(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, asyncpg.Record):
        value = dict(value)
    return msgspec.to_builtins(value)


async def _emit(conn: asyncpg.Connection, items: list[tuple[events.EventData, object, int]]) -> None:
    await outbox.emit_many(conn, items, producer=PRODUCER)


# ------------------------------------------------------------------ the local copies
async def unit_exists(conn: Conn, unit_id: uuid.UUID) -> bool:
    return bool(await conn.fetchval("SELECT EXISTS (SELECT 1 FROM units WHERE id = $1)", unit_id))


async def unit_within(conn: Conn, unit_id: uuid.UUID, ancestor_id: uuid.UUID) -> bool:
    """Is `unit_id` the unit `ancestor_id` or below it, in the local copy of the tree?"""
    return bool(
        await conn.fetchval(
            "SELECT EXISTS (SELECT 1 FROM units u, units a WHERE u.id = $1 AND a.id = $2 AND u.path <@ a.path)",
            unit_id, ancestor_id,
        )
    )


async def apply_person(conn: asyncpg.Connection, person: events.PersonState, version: int) -> bool:
    """Upsert a person of the copy unless the copy already holds this or a newer version."""
    return bool(
        await conn.fetchval(
            """INSERT INTO people (id, full_name, unit_id, position, version) VALUES ($1, $2, $3, $4, $5)
               ON CONFLICT (id) DO UPDATE
                   SET full_name = EXCLUDED.full_name, unit_id = EXCLUDED.unit_id, position = EXCLUDED.position,
                       version = EXCLUDED.version, updated_at = now()
                   WHERE people.version < EXCLUDED.version
               RETURNING true""",
            person.id, person.full_name, person.unit_id, person.position, version,
        )
    )


# ------------------------------------------------------------------ campaigns
def _category(row: asyncpg.Record) -> Category:
    return Category(**dict(row))


async def _categories_of(conn: Conn, campaign_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[Category]]:
    found: dict[uuid.UUID, list[Category]] = {i: [] for i in campaign_ids}
    rows = await conn.fetch(
        f"SELECT {CATEGORY_COLUMNS} FROM categories WHERE campaign_id = ANY($1::uuid[]) ORDER BY created_at, code",
        campaign_ids,
    )
    for row in rows:
        found[row["campaign_id"]].append(_category(row))
    return found


async def get_campaign(conn: Conn, campaign_id: uuid.UUID) -> Campaign:
    row = await conn.fetchrow(f"SELECT {CAMPAIGN_COLUMNS} FROM campaigns WHERE id = $1", campaign_id)
    if row is None:
        raise not_found("campaign", campaign_id)
    return Campaign(**dict(row), categories=(await _categories_of(conn, [campaign_id]))[campaign_id])


def _campaign_event(cls: type[events.CampaignState], c: Campaign) -> events.CampaignState:
    return cls(
        id=c.id, code=c.code, name=c.name, organizer_unit_id=c.organizer_unit_id, year=c.year,
        starts_on=c.starts_on, ends_on=c.ends_on, status=c.status, description=c.description,
        categories=tuple(
            events.CategoryState(id=k.id, code=k.code, name=k.name, nominee_kind=k.nominee_kind, form=k.form, quota=k.quota)
            for k in c.categories
        ),
    )


async def create_campaign(conn: asyncpg.Connection, actor: Principal, data: CampaignCreate) -> Campaign:
    async with conn.transaction():
        if not await unit_exists(conn, data.organizer_unit_id):
            raise Problem(
                404, f"unit {data.organizer_unit_id} is not known to the awards service (yet)",
                errors=[FieldError("organizer_unit_id", "no such unit")],
            )
        try:
            row = await conn.fetchrow(
                f"""INSERT INTO campaigns (id, code, name, organizer_unit_id, year, starts_on, ends_on, description, created_by)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING {CAMPAIGN_COLUMNS}""",
                uuid.uuid4(), data.code, data.name, data.organizer_unit_id, data.year,
                data.starts_on, data.ends_on, data.description, actor.account_id,
            )
        except asyncpg.UniqueViolationError as exc:
            raise conflict(f"a campaign with code {data.code!r} already exists", "code") from exc
        campaign = Campaign(**dict(row))
        await _audit(conn, actor, "campaign", campaign.id, "create", to_status=campaign.status, after=campaign)
        await _emit(conn, [(_campaign_event(events.CampaignCreated, campaign), campaign.id, campaign.version)])
    return campaign


async def list_campaigns(
    conn: Conn,
    *,
    year: int | None,
    status: str | None,
    organizer_unit_id: uuid.UUID | None,
    q: str | None,
    after: tuple[int, str, uuid.UUID] | None,
    limit: int,
) -> list[tuple[Campaign, str]]:
    """Newest year first, then by name as a Vietnamese reader expects; keyset-paged."""
    rows = await conn.fetch(
        f"""SELECT {CAMPAIGN_COLUMNS}, fold(name) AS sort_key FROM campaigns
            WHERE ($1::int IS NULL OR year = $1)
              AND ($2::text IS NULL OR status = $2)
              AND ($3::uuid IS NULL OR organizer_unit_id = $3)
              AND ($4::text IS NULL OR fold(name) LIKE {LIKE_Q.format('$4')} OR lower(code) = lower($4))
              AND ($5::int IS NULL OR year < $5 OR (year = $5 AND (fold(name), id) > ($6, $7::uuid)))
            ORDER BY year DESC, fold(name), id
            LIMIT $8""",
        year, status, organizer_unit_id, q,
        after[0] if after else None, after[1] if after else None, after[2] if after else None, limit + 1,
    )
    categories = await _categories_of(conn, [r["id"] for r in rows])
    return [
        (Campaign(**{k: v for k, v in dict(r).items() if k != "sort_key"}, categories=categories[r["id"]]), r["sort_key"])
        for r in rows
    ]


async def _lock_campaign(conn: asyncpg.Connection, campaign_id: uuid.UUID) -> asyncpg.Record:
    row = await conn.fetchrow(f"SELECT {CAMPAIGN_COLUMNS} FROM campaigns WHERE id = $1 FOR UPDATE", campaign_id)
    if row is None:
        raise not_found("campaign", campaign_id)
    return row


async def _campaign_changed(conn: asyncpg.Connection, actor: Principal, campaign_id: uuid.UUID, action: str,
                            before: Any, *, from_status: str | None = None) -> Campaign:
    """Bump the campaign's version, audit the change, and announce the full new state."""
    await conn.execute("UPDATE campaigns SET version = version + 1, updated_at = now() WHERE id = $1", campaign_id)
    campaign = await get_campaign(conn, campaign_id)
    await _audit(conn, actor, "campaign", campaign_id, action, from_status=from_status, to_status=campaign.status,
                 before=before, after=campaign)
    await _emit(conn, [(_campaign_event(events.CampaignUpdated, campaign), campaign.id, campaign.version)])
    return campaign


async def set_campaign_status(conn: asyncpg.Connection, actor: Principal, campaign_id: uuid.UUID, status: str) -> Campaign:
    """Close or open a campaign; doing it again changes nothing and answers the same state."""
    async with conn.transaction():
        row = await _lock_campaign(conn, campaign_id)
        if row["status"] == status:
            return await get_campaign(conn, campaign_id)
        await conn.execute("UPDATE campaigns SET status = $2 WHERE id = $1", campaign_id, status)
        return await _campaign_changed(
            conn, actor, campaign_id, "close" if status == "closed" else "open", dict(row), from_status=row["status"]
        )


async def add_category(conn: asyncpg.Connection, actor: Principal, campaign_id: uuid.UUID, data: CategoryCreate) -> Category:
    async with conn.transaction():
        await _lock_campaign(conn, campaign_id)
        try:
            row = await conn.fetchrow(
                f"""INSERT INTO categories (id, campaign_id, code, name, nominee_kind, form, quota)
                    VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {CATEGORY_COLUMNS}""",
                uuid.uuid4(), campaign_id, data.code, data.name, data.nominee_kind, data.form, data.quota,
            )
        except asyncpg.UniqueViolationError as exc:
            raise conflict(f"the campaign already has a category with code {data.code!r}", "code") from exc
        category = _category(row)
        await _campaign_changed(conn, actor, campaign_id, "add_category", None)
    return category


async def update_category(
    conn: asyncpg.Connection, actor: Principal, campaign_id: uuid.UUID, category_id: uuid.UUID,
    *, name: str | None, form: str | None, quota: int | None,
) -> Category:
    async with conn.transaction():
        await _lock_campaign(conn, campaign_id)
        before = await conn.fetchrow(
            f"SELECT {CATEGORY_COLUMNS} FROM categories WHERE id = $1 AND campaign_id = $2 FOR UPDATE", category_id, campaign_id
        )
        if before is None:
            raise not_found("category", category_id)
        if quota is not None and quota < before["held"]:
            raise conflict(
                f"the category already holds {before['held']} approved or granted nominations; "
                f"its quota cannot fall below that", "quota",
            )
        row = await conn.fetchrow(
            f"""UPDATE categories SET name = COALESCE($2, name), form = COALESCE($3, form), quota = COALESCE($4, quota)
                WHERE id = $1 RETURNING {CATEGORY_COLUMNS}""",
            category_id, name, form, quota,
        )
        await _campaign_changed(conn, actor, campaign_id, "update_category", before)
    return _category(row)


# ------------------------------------------------------------------ nominations
def _nomination(row: asyncpg.Record) -> Nomination:
    d = dict(row)
    approve, reject = d.pop("tally_approve"), d.pop("tally_reject")
    return Nomination(**d, tally=Tally(approve=approve, reject=reject, total=approve + reject))


def _nomination_event(cls: type[events.NominationState], n: Nomination, **extra: Any) -> events.NominationState:
    return cls(
        id=n.id, campaign_id=n.campaign_id, category_id=n.category_id, nominee_kind=n.nominee_kind,
        nominee_unit_id=n.nominee_unit_id, nominee_person_id=n.nominee_person_id, nominee_name=n.nominee_name,
        unit_id=n.unit_id, unit_name=n.unit_name, status=n.status, submitting_unit_id=n.submitting_unit_id, **extra,
    )


async def get_nomination(conn: Conn, nomination_id: uuid.UUID) -> Nomination:
    row = await conn.fetchrow(f"{NOMINATION_SELECT} WHERE n.id = $1", nomination_id)
    if row is None:
        raise not_found("nomination", nomination_id)
    return _nomination(row)


class NominationContext(msgspec.Struct):
    """What a new nomination is checked against, read in one query."""

    category_found: bool
    campaign_id: uuid.UUID | None
    nominee_kind: str | None
    campaign_status: str | None
    nominee_found: bool
    nominee_name: str | None
    unit_id: uuid.UUID | None
    unit_name: str | None
    in_scope: bool


# The category, campaign, nominee and officer's scope of a new nomination, in one round trip.
_NOMINATION_CONTEXT = """SELECT c.id IS NOT NULL AS category_found, c.campaign_id, c.nominee_kind, k.status AS campaign_status,
          (nu.id IS NOT NULL OR p.id IS NOT NULL) AS nominee_found,
          COALESCE(nu.name, p.full_name) AS nominee_name, u.id AS unit_id, u.name AS unit_name,
          COALESCE(u.path IS NOT NULL
                   AND ($4::uuid IS NULL OR u.path <@ (SELECT s.path FROM units s WHERE s.id = $4)), false)
              AS in_scope
   FROM (SELECT 1) AS one
   LEFT JOIN categories c ON c.id = $1
   LEFT JOIN campaigns k ON k.id = c.campaign_id
   LEFT JOIN units nu ON nu.id = $2
   LEFT JOIN people p ON p.id = $3
   LEFT JOIN units u ON u.id = COALESCE(nu.id, p.unit_id)"""


async def nomination_context(
    conn: Conn, category_id: uuid.UUID, unit_id: uuid.UUID | None, person_id: uuid.UUID | None,
    scope_unit_id: uuid.UUID | None,
) -> NominationContext:
    row = await conn.fetchrow(_NOMINATION_CONTEXT, category_id, unit_id, person_id, scope_unit_id)
    return NominationContext(**dict(row))


# One statement, so one round trip and its own transaction: the campaign is
# read open under a share lock (a concurrent close waits for it, or it sees the
# close), the partial unique index turns a second live nomination into
# nothing inserted, and the audit row and the outbox row go in with it.
_INSERT_NOMINATION = """
WITH open_campaign AS (
    SELECT id FROM campaigns WHERE id = $2 AND status = 'open' FOR SHARE
), ins AS (
    INSERT INTO nominations (id, campaign_id, category_id, nominee_kind, nominee_id, nominee_name, unit_id, unit_name,
                             achievements, submitted_by, submitted_by_name, submitting_unit_id)
    SELECT $1, id, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12 FROM open_campaign
    ON CONFLICT (category_id, nominee_id) WHERE status IN ('submitted', 'approved', 'granted') DO NOTHING
    RETURNING *
), audit AS (
    INSERT INTO audit_log (entity, entity_id, action, actor_id, actor_name, actor_role, to_status, after)
    SELECT 'nomination', ins.id, 'submit', $10, $11, $13, 'submitted', to_jsonb(ins) FROM ins
), sent AS (
    INSERT INTO outbox (id, subject, payload) SELECT $14, $15, $16 FROM ins
)
SELECT EXISTS (SELECT 1 FROM open_campaign) AS open, ins.created_at,
       CASE WHEN ins.id IS NOT NULL THEN pg_notify($17, '')::text END AS notified
FROM (SELECT 1) AS one LEFT JOIN ins ON true"""


async def create_nomination(
    conn: Conn,
    actor: Principal,
    ctx: NominationContext,
    *,
    category_id: uuid.UUID,
    nominee_id: uuid.UUID,
    achievements: str,
) -> Nomination:
    assert ctx.campaign_id and ctx.nominee_kind and ctx.nominee_name and ctx.unit_id and ctx.unit_name
    nomination_id = uuid.uuid4()
    submitting_unit_id = actor.unit_id if actor.role == "officer" else None
    collective = ctx.nominee_kind == "collective"
    event = events.NominationSubmitted(
        id=nomination_id, campaign_id=ctx.campaign_id, category_id=category_id, nominee_kind=ctx.nominee_kind,
        nominee_unit_id=nominee_id if collective else None, nominee_person_id=None if collective else nominee_id,
        nominee_name=ctx.nominee_name, unit_id=ctx.unit_id, unit_name=ctx.unit_name, status="submitted",
        submitting_unit_id=submitting_unit_id,
    )
    env = events.envelope(event, producer=PRODUCER, aggregate_id=nomination_id, version=1)
    row = await conn.fetchrow(
        _INSERT_NOMINATION,
        nomination_id, ctx.campaign_id, category_id, ctx.nominee_kind, nominee_id, ctx.nominee_name, ctx.unit_id,
        ctx.unit_name, achievements, actor.account_id, actor.username, submitting_unit_id, actor.role,
        env.id, env.type, events.encode(env), outbox.channel(PRODUCER),
    )
    if not row["open"]:
        raise conflict("the campaign is closed; it takes no more nominations", "category_id")
    if row["created_at"] is None:
        raise Problem(
            409, f"{ctx.nominee_name} already has a live nomination in this category",
            errors=[FieldError("nominee_unit_id" if collective else "nominee_person_id", "already nominated in this category")],
        )
    return Nomination(
        id=nomination_id, campaign_id=ctx.campaign_id, category_id=category_id, nominee_kind=ctx.nominee_kind,  # type: ignore[arg-type]
        nominee_unit_id=event.nominee_unit_id, nominee_person_id=event.nominee_person_id,
        nominee_name=ctx.nominee_name, unit_id=ctx.unit_id, unit_name=ctx.unit_name, achievements=achievements,
        status="submitted", version=1, submitted_by=actor.account_id, submitted_by_name=actor.username,
        submitting_unit_id=submitting_unit_id, decision_id=None, reason=None, tally=Tally(0, 0, 0),
        created_at=row["created_at"], updated_at=row["created_at"], granted_at=None, revoked_at=None,
    )


async def list_nominations(
    conn: Conn,
    *,
    scope_unit_id: uuid.UUID | None,
    campaign_id: uuid.UUID | None,
    category_id: uuid.UUID | None,
    status: str | None,
    unit_id: uuid.UUID | None,
    kind: str | None,
    q: str | None,
    after: tuple[datetime, uuid.UUID] | None,
    limit: int,
) -> list[Nomination]:
    """Newest first; `unit_id` and the officer's scope take the whole subtree."""
    rows = await conn.fetch(
        f"""{NOMINATION_SELECT}
            WHERE ($1::uuid IS NULL OR EXISTS (
                      SELECT 1 FROM units u, units s
                      WHERE u.id = n.unit_id AND s.id = $1 AND u.path <@ s.path))
              AND ($2::uuid IS NULL OR n.campaign_id = $2)
              AND ($3::uuid IS NULL OR n.category_id = $3)
              AND ($4::text IS NULL OR n.status = $4)
              AND ($5::uuid IS NULL OR EXISTS (
                      SELECT 1 FROM units u, units s
                      WHERE u.id = n.unit_id AND s.id = $5 AND u.path <@ s.path))
              AND ($6::text IS NULL OR n.nominee_kind = $6)
              AND ($7::text IS NULL OR fold(n.nominee_name) LIKE {LIKE_Q.format('$7')})
              AND ($8::timestamptz IS NULL OR (n.created_at, n.id) < ($8, $9::uuid))
            ORDER BY n.created_at DESC, n.id DESC
            LIMIT $10""",
        scope_unit_id, campaign_id, category_id, status, unit_id, kind, q,
        after[0] if after else None, after[1] if after else None, limit + 1,
    )
    return [_nomination(r) for r in rows]


async def nomination_in_scope(conn: Conn, nomination_id: uuid.UUID, scope_unit_id: uuid.UUID) -> bool:
    return bool(
        await conn.fetchval(
            """SELECT EXISTS (SELECT 1 FROM nominations n, units u, units s
                              WHERE n.id = $1 AND u.id = n.unit_id AND s.id = $2 AND u.path <@ s.path)""",
            nomination_id, scope_unit_id,
        )
    )


async def _lock_nomination(conn: asyncpg.Connection, nomination_id: uuid.UUID) -> asyncpg.Record:
    row = await conn.fetchrow("SELECT * FROM nominations WHERE id = $1 FOR UPDATE", nomination_id)
    if row is None:
        raise not_found("nomination", nomination_id)
    return row


async def _move_quota(conn: asyncpg.Connection, category_id: uuid.UUID, delta: int) -> None:
    if delta > 0:
        # The row lock makes concurrent approvals queue here; each re-reads `held`
        # after the one before it committed, so the quota is never exceeded.
        held = await conn.fetchval(
            "UPDATE categories SET held = held + 1 WHERE id = $1 AND held < quota RETURNING held", category_id
        )
        if held is None:
            quota = await conn.fetchval("SELECT quota FROM categories WHERE id = $1", category_id)
            raise Problem(
                409, f"the category's quota is full: it already holds {quota} approved or granted nominations",
                type_="/problems/quota-full",
            )
    elif delta < 0:
        await conn.execute("UPDATE categories SET held = held - 1 WHERE id = $1", category_id)


async def transition(
    conn: asyncpg.Connection,
    actor: Principal,
    nomination_id: uuid.UUID,
    action: str,
    *,
    reason: str | None = None,
    scope_unit_id: uuid.UUID | None = None,
) -> Nomination:
    """Approve, reject, withdraw or revoke one nomination, atomically, with its audit row and event.

    `scope_unit_id`: the acting officer's unit; the nomination must have been
    submitted from it or a unit below it (or be for a nominee there).
    """
    rule = domain.RULES[action]
    async with conn.transaction():
        before = await _lock_nomination(conn, nomination_id)
        if scope_unit_id is not None:
            owner = before["submitting_unit_id"] or before["unit_id"]
            if not await unit_within(conn, owner, scope_unit_id):
                raise Problem(403, "only an officer of the submitting unit (or a unit above it) may do this")
        why = domain.refusal(rule, before["status"])
        if why:
            raise conflict(why, "status")
        await _move_quota(conn, before["category_id"], domain.quota_delta(before["status"], rule.to_status))
        await conn.execute(
            """UPDATE nominations
               SET status = $2, version = version + 1, updated_at = now(), reason = COALESCE($3, reason),
                   revoked_at = CASE WHEN $2 = 'revoked' THEN now() ELSE revoked_at END
               WHERE id = $1""",
            nomination_id, rule.to_status, reason,
        )
        after = await get_nomination(conn, nomination_id)
        await _audit(conn, actor, "nomination", nomination_id, action, from_status=before["status"],
                     to_status=rule.to_status, reason=reason, before=before, after=after)
        data: events.EventData
        if action == "approve":
            data = _nomination_event(events.NominationApproved, after)
        elif action == "reject":
            data = _nomination_event(events.NominationRejected, after, reason=reason or "")
        elif action == "withdraw":
            data = _nomination_event(events.NominationWithdrawn, after)
        else:
            assert after.revoked_at is not None
            data = _revoked_event(after.id, revoked_at=after.revoked_at, reason=reason,
                                  campaign_id=after.campaign_id, category_id=after.category_id)
        await _emit(conn, [(data, after.id, after.version)])
    return after


async def cast_vote(
    conn: asyncpg.Connection, actor: Principal, nomination_id: uuid.UUID, approve: bool, comment: str | None
) -> VoteResult:
    async with conn.transaction():
        status = await conn.fetchval("SELECT status FROM nominations WHERE id = $1 FOR SHARE", nomination_id)
        if status is None:
            raise not_found("nomination", nomination_id)
        if status != "submitted":
            raise conflict(f"the nomination is {status}; votes are cast only on a submitted nomination", "status")
        row = await conn.fetchrow(
            """INSERT INTO votes (nomination_id, member_id, member_name, approve, comment) VALUES ($1, $2, $3, $4, $5)
               ON CONFLICT (nomination_id, member_id) DO UPDATE
                   SET member_name = EXCLUDED.member_name, approve = EXCLUDED.approve,
                       comment = EXCLUDED.comment, cast_at = now()
               RETURNING nomination_id, member_id, member_name, approve, comment, cast_at, (xmax <> 0) AS replaced""",
            nomination_id, actor.account_id, actor.username, approve, comment,
        )
        vote = Vote(**{k: v for k, v in dict(row).items() if k != "replaced"})
        await _audit(conn, actor, "vote", nomination_id, "replace_vote" if row["replaced"] else "vote", after=vote)
        tally = await conn.fetchrow(
            """SELECT count(*) FILTER (WHERE approve) AS approve, count(*) FILTER (WHERE NOT approve) AS reject
               FROM votes WHERE nomination_id = $1""",
            nomination_id,
        )
    return VoteResult(
        vote=vote, replaced=row["replaced"],
        tally=Tally(approve=tally["approve"], reject=tally["reject"], total=tally["approve"] + tally["reject"]),
    )


async def list_votes(conn: Conn, nomination_id: uuid.UUID) -> list[Vote]:
    await get_nomination(conn, nomination_id)
    rows = await conn.fetch(
        """SELECT nomination_id, member_id, member_name, approve, comment, cast_at FROM votes
           WHERE nomination_id = $1 ORDER BY cast_at, member_id""",
        nomination_id,
    )
    return [Vote(**dict(r)) for r in rows]


async def history(conn: Conn, nomination_id: uuid.UUID) -> list[HistoryEntry]:
    rows = await conn.fetch(
        """SELECT at, action, from_status, to_status, actor_id, actor_name, actor_role, reason FROM audit_log
           WHERE entity_id = $1 AND entity = 'nomination' ORDER BY id""",
        nomination_id,
    )
    return [HistoryEntry(**dict(r)) for r in rows]


# ------------------------------------------------------------------ decisions and awards
def _award(row: asyncpg.Record) -> Award:
    return Award(**{k: v for k, v in dict(row).items() if k in _AWARD_FIELDS})


def _granted_event(row: asyncpg.Record) -> events.AwardGranted:
    collective = row["kind"] == "collective"
    return events.AwardGranted(
        award_id=row["award_id"], nomination_id=row["nomination_id"], kind=row["kind"], name=row["name"],
        unit_id=row["unit_id"], unit_name=row["unit_name"], campaign_id=row["campaign_id"],
        campaign_name=row["campaign_name"], year=row["year"], category_id=row["category_id"],
        category_name=row["category_name"], form=row["form"], decision_id=row["decision_id"],
        decision_number=row["decision_number"], decision_date=row["decision_date"],
        nominee_unit_id=row["nominee_id"] if collective else None,
        nominee_person_id=None if collective else row["nominee_id"],
        campaign_code=row["campaign_code"], category_code=row["category_code"],
        decision_signer=row["decision_signer"], granted_at=row["granted_at"],
    )


def _revoked_event(
    award_id: uuid.UUID, *, revoked_at: datetime, reason: str | None, campaign_id: uuid.UUID, category_id: uuid.UUID
) -> events.AwardRevoked:
    return events.AwardRevoked(
        award_id=award_id, nomination_id=award_id, revoked_at=revoked_at, reason=reason or "",
        campaign_id=campaign_id, category_id=category_id,
    )


async def create_decision(
    conn: asyncpg.Connection, actor: Principal, *, number: str, signed_on: date, signer: str,
    nomination_ids: list[uuid.UUID],
) -> Decision:
    decision_id = uuid.uuid4()
    async with conn.transaction():
        try:
            await conn.execute(
                """INSERT INTO decisions (id, number, signed_on, signer, created_by, created_by_name)
                   VALUES ($1, $2, $3, $4, $5, $6)""",
                decision_id, number, signed_on, signer, actor.account_id, actor.username,
            )
        except asyncpg.UniqueViolationError as exc:
            raise conflict(f"a decision numbered {number!r} already exists", "number") from exc
        # Locked in id order, so two decisions over overlapping lists cannot deadlock.
        rows = await conn.fetch(
            """SELECT n.id, n.status, d.number AS decision_number FROM nominations n
               LEFT JOIN decisions d ON d.id = n.decision_id
               WHERE n.id = ANY($1::uuid[]) ORDER BY n.id FOR UPDATE OF n""",
            nomination_ids,
        )
        found = {r["id"]: r for r in rows}
        position = {nid: i for i, nid in enumerate(nomination_ids)}
        missing = [nid for nid in nomination_ids if nid not in found]
        if missing:
            raise Problem(
                404, f"{len(missing)} of the listed nominations do not exist",
                errors=[FieldError(f"nomination_ids[{position[m]}]", f"nomination {m} does not exist") for m in missing],
            )
        refused: list[FieldError] = []
        for nid in nomination_ids:
            r = found[nid]
            if r["status"] in ("granted", "revoked"):
                refused.append(FieldError(f"nomination_ids[{position[nid]}]",
                                          f"nomination {nid} was already granted by decision {r['decision_number']}"))
            elif r["status"] != "approved":
                refused.append(FieldError(f"nomination_ids[{position[nid]}]",
                                          f"nomination {nid} is {r['status']}, not approved"))
        if refused:
            raise Problem(
                409, f"{len(refused)} of the listed nominations cannot be granted; a decision grants approved nominations only, each once",
                errors=refused, type_="/problems/not-grantable",
            )
        await conn.execute(
            """UPDATE nominations SET status = 'granted', decision_id = $2, version = version + 1,
                                      granted_at = now(), updated_at = now()
               WHERE id = ANY($1::uuid[])""",
            nomination_ids, decision_id,
        )
        granted = await conn.fetch(f"{AWARD_SELECT} WHERE n.id = ANY($1::uuid[]) ORDER BY n.id", nomination_ids)
        await conn.execute(
            """INSERT INTO audit_log (entity, entity_id, action, actor_id, actor_name, actor_role,
                                      from_status, to_status, after)
               SELECT 'nomination', n.id, 'grant', $2, $3, $4, 'approved', 'granted',
                      jsonb_build_object('decision_id', n.decision_id, 'version', n.version)
               FROM nominations n WHERE n.id = ANY($1::uuid[]) ORDER BY n.id""",
            nomination_ids, actor.account_id, actor.username, actor.role,
        )
        decision = await get_decision(conn, decision_id)
        await _audit(conn, actor, "decision", decision_id, "issue", after=decision)
        items: list[tuple[events.EventData, object, int]] = [(_granted_event(r), r["award_id"], r["version"]) for r in granted]
        items.append((
            events.DecisionIssued(id=decision_id, number=number, signed_on=signed_on, signer=signer,
                                  award_ids=tuple(r["award_id"] for r in granted)),
            decision_id, 1,
        ))
        await _emit(conn, items)
    return decision


async def get_decision(conn: Conn, decision_id: uuid.UUID) -> Decision:
    row = await conn.fetchrow(
        "SELECT id, number, signed_on, signer, created_by, created_by_name, created_at FROM decisions WHERE id = $1",
        decision_id,
    )
    if row is None:
        raise not_found("decision", decision_id)
    awards = [_award(r) for r in await conn.fetch(f"{AWARD_SELECT} WHERE n.decision_id = $1 ORDER BY fold(n.nominee_name), n.id", decision_id)]
    return Decision(**dict(row), nomination_ids=[a.nomination_id for a in awards], awards=awards)


async def list_decisions(
    conn: Conn, *, campaign_id: uuid.UUID | None, after: tuple[date, uuid.UUID] | None, limit: int
) -> list[DecisionSummary]:
    rows = await conn.fetch(
        """SELECT d.id, d.number, d.signed_on, d.signer, d.created_at,
                  (SELECT count(*) FROM nominations n WHERE n.decision_id = d.id) AS awards
           FROM decisions d
           WHERE ($1::uuid IS NULL OR EXISTS (SELECT 1 FROM nominations n WHERE n.decision_id = d.id AND n.campaign_id = $1))
             AND ($2::date IS NULL OR (d.signed_on, d.id) < ($2, $3::uuid))
           ORDER BY d.signed_on DESC, d.id DESC
           LIMIT $4""",
        campaign_id, after[0] if after else None, after[1] if after else None, limit + 1,
    )
    return [DecisionSummary(**dict(r)) for r in rows]


async def get_award(conn: Conn, award_id: uuid.UUID, *, include_revoked: bool) -> Award:
    row = await conn.fetchrow(f"{AWARD_SELECT} WHERE n.id = $1", award_id)
    if row is None or (row["status"] == "revoked" and not include_revoked):
        raise not_found("award", award_id)
    return _award(row)


async def list_awards(
    conn: Conn,
    *,
    campaign_id: uuid.UUID | None,
    category_id: uuid.UUID | None,
    year: int | None,
    kind: str | None,
    unit_id: uuid.UUID | None,
    decision_id: uuid.UUID | None,
    q: str | None,
    after: tuple[str, uuid.UUID] | None,
    limit: int,
) -> list[tuple[Award, str]]:
    """Granted, unrevoked awards by the honouree's name as a Vietnamese reader expects."""
    rows = await conn.fetch(
        f"""{AWARD_SELECT.replace('SELECT ', 'SELECT fold(n.nominee_name) AS sort_key, ', 1)}
            WHERE n.status = 'granted'
              AND ($1::uuid IS NULL OR n.campaign_id = $1)
              AND ($2::uuid IS NULL OR n.category_id = $2)
              AND ($3::int IS NULL OR k.year = $3)
              AND ($4::text IS NULL OR n.nominee_kind = $4)
              AND ($5::uuid IS NULL OR EXISTS (
                      SELECT 1 FROM units u, units s WHERE u.id = n.unit_id AND s.id = $5 AND u.path <@ s.path))
              AND ($6::uuid IS NULL OR n.decision_id = $6)
              AND ($7::text IS NULL OR fold(n.nominee_name) LIKE {LIKE_Q.format('$7')})
              AND ($8::text IS NULL OR (fold(n.nominee_name), n.id) > ($8, $9::uuid))
            ORDER BY fold(n.nominee_name), n.id
            LIMIT $10""",
        campaign_id, category_id, year, kind, unit_id, decision_id, q,
        after[0] if after else None, after[1] if after else None, limit + 1,
    )
    return [(_award(r), r["sort_key"]) for r in rows]


async def revoke_award(conn: asyncpg.Connection, actor: Principal, award_id: uuid.UUID, reason: str) -> Award:
    async with conn.transaction():
        exists = await conn.fetchval("SELECT status FROM nominations WHERE id = $1", award_id)
        if exists is None or exists not in ("granted", "revoked"):
            raise not_found("award", award_id)
        await transition(conn, actor, award_id, "revoke", reason=reason)
        return await get_award(conn, award_id, include_revoked=True)
