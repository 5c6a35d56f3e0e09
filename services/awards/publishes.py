"""What the awards service publishes, and the audit trail it keeps beside it.

Every change that others must learn of emits its event through the outbox in
the transaction that makes it (`publish`), and every change of a campaign,
nomination, decision or award is written to the append-only `audit_log` in it
too (`audit`). The builders turn the service's rows into `shared.events`
types, for the normal path and for `snapshot.py` (`thidua republish awards`)
alike, so a restated event is the event that was sent.

A new nomination is the one exception to `publish` and `audit`: its insert
is one statement that writes the nomination, its audit row and its outbox row
together (see nominations/repository.py), one round trip for the busiest call;
it takes its outbox row from `outbox_row` here, so its event and envelope are
built the same way as every other.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg
import msgspec

from shared import events, outbox
from shared.auth import Principal

from .attachments.schemas import Attachment
from .campaigns.schemas import Campaign, Category
from .domain.lifecycle import Action
from .domain.notice import Window
from .domain.statuses import NominationStatus, NomineeKind
from .nominations.schemas import Nomination
from .notices.schemas import Objection

PRODUCER = "awards"


# ------------------------------------------------------------------ events
def campaign_event(cls: type[events.CampaignState], c: Campaign) -> events.CampaignState:
    return cls(
        id=c.id,
        code=c.code,
        name=c.name,
        organizer_unit_id=c.organizer_unit_id,
        year=c.year,
        starts_on=c.starts_on,
        ends_on=c.ends_on,
        status=c.status,
        description=c.description,
        categories=tuple(category_state(k) for k in c.categories),
    )


def category_state(k: Category) -> events.CategoryState:
    mark = k.pass_mark
    return events.CategoryState(
        id=k.id,
        code=k.code,
        name=k.name,
        nominee_kind=k.nominee_kind,
        form=k.form,
        quota=k.quota,
        pass_mark_rule=None if mark is None else "at_least" if mark.at_least_percent is not None else "more_than",
        pass_mark_percent=None if mark is None else mark.at_least_percent or mark.more_than_percent,
        secret_ballot=k.secret_ballot,
        comment_working_days=k.comment_working_days,
        rules=tuple(k.rules),
        title=k.title,
    )


def attachment_event(cls: type[events.AttachmentState], a: Attachment, **extra: Any) -> events.AttachmentState:
    """A file added to or removed from a dossier: what it is, never its bytes."""
    return cls(
        id=a.id,
        nomination_id=a.nomination_id,
        filename=a.filename,
        content_type=a.content_type,
        size=a.size,
        sha256=a.sha256,
        uploaded_by=a.uploaded_by,
        uploaded_by_name=a.uploaded_by_name,
        **extra,
    )


def objection_item(o: Objection) -> tuple[events.ObjectionState, uuid.UUID, int]:
    """An objection's event, aggregate and version (1 filed, 2 resolved): never its author's name, contact or words."""
    resolved = o.status == "resolved"
    cls = events.ObjectionResolved if resolved else events.ObjectionFiled
    state = cls(id=o.id, nomination_id=o.nomination_id, status=o.status, filed_at=o.filed_at, resolved_at=o.resolved_at)
    return state, o.id, 2 if resolved else 1


def nomination_event(cls: type[events.NominationState], n: Nomination, **extra: Any) -> events.NominationState:
    return cls(
        id=n.id,
        campaign_id=n.campaign_id,
        category_id=n.category_id,
        nominee_kind=n.nominee_kind,
        nominee_unit_id=n.nominee_unit_id,
        nominee_person_id=n.nominee_person_id,
        nominee_name=n.nominee_name,
        unit_id=n.unit_id,
        unit_name=n.unit_name,
        status=n.status,
        submitting_unit_id=n.submitting_unit_id,
        **extra,
    )


def transition_event(
    action: Action, after: Nomination, reason: str | None, *, window: Window | None = None
) -> events.EventData:
    """The event of a nomination's move by `action` (a grant is announced by its decision, as an award);
    an approval carries its day and its public notice's last day (`window`)."""
    match action:
        case Action.APPROVE:
            return nomination_event(
                events.NominationApproved,
                after,
                approved_on=window.approved_on if window else None,
                comment_until=window.comment_until if window else None,
            )
        case Action.REJECT:
            return nomination_event(events.NominationRejected, after, reason=reason or "")
        case Action.WITHDRAW:
            return nomination_event(events.NominationWithdrawn, after)
        case Action.RETURN:
            return nomination_event(events.NominationReturned, after, reason=reason or "")
        case Action.RESUBMIT:
            return nomination_event(events.NominationResubmitted, after)
        case Action.REVOKE:
            assert after.revoked_at is not None  # set by the revocation itself
            return revoked_event(
                after.id,
                revoked_at=after.revoked_at,
                reason=reason,
                campaign_id=after.campaign_id,
                category_id=after.category_id,
            )
    raise ValueError(f"{action} is announced by a decision, not by a transition")


def granted_event(row: Mapping[str, Any]) -> events.AwardGranted:
    """An award with its honouree's whole data, from a row of `awards.repository.AWARD_SELECT`."""
    collective = row["kind"] == NomineeKind.COLLECTIVE
    return events.AwardGranted(
        award_id=row["award_id"],
        nomination_id=row["nomination_id"],
        kind=row["kind"],
        name=row["name"],
        unit_id=row["unit_id"],
        unit_name=row["unit_name"],
        campaign_id=row["campaign_id"],
        campaign_name=row["campaign_name"],
        year=row["year"],
        category_id=row["category_id"],
        category_name=row["category_name"],
        form=row["form"],
        decision_id=row["decision_id"],
        decision_number=row["decision_number"],
        decision_date=row["decision_date"],
        nominee_unit_id=row["nominee_id"] if collective else None,
        nominee_person_id=None if collective else row["nominee_id"],
        campaign_code=row["campaign_code"],
        category_code=row["category_code"],
        decision_signer=row["decision_signer"],
        granted_at=row["granted_at"],
        verification_code=row["verification_code"] or "",
    )


def revoked_event(
    award_id: uuid.UUID,
    *,
    revoked_at: datetime,
    reason: str | None,
    campaign_id: uuid.UUID,
    category_id: uuid.UUID,
    verification_code: str | None = None,
) -> events.AwardRevoked:
    return events.AwardRevoked(
        award_id=award_id,
        nomination_id=award_id,
        revoked_at=revoked_at,
        reason=reason or "",
        campaign_id=campaign_id,
        category_id=category_id,
        verification_code=verification_code or "",
    )


def award_state(row: Mapping[str, Any]) -> outbox.Item:
    """An award as it stands now, from a row of `AWARD_SELECT`: granted, or revoked, at its current version."""
    data: events.EventData
    if row["status"] == NominationStatus.REVOKED:
        data = revoked_event(
            row["award_id"],
            revoked_at=row["revoked_at"],
            reason=row["revocation_reason"],
            campaign_id=row["campaign_id"],
            category_id=row["category_id"],
            verification_code=row["verification_code"],
        )
    else:
        data = granted_event(row)
    return data, row["award_id"], row["version"]


def outbox_row(item: outbox.Item) -> outbox.Row:
    """The outbox row (id, subject, payload) of `item`, for the statement that writes a nomination with it."""
    return outbox.row(item, producer=PRODUCER)


async def publish(conn: asyncpg.Connection, items: Sequence[outbox.Item]) -> None:
    """Record events in the current transaction; the relay publishes them after commit."""
    await outbox.emit(conn, items, producer=PRODUCER)


# ------------------------------------------------------------------ the audit log
@dataclass(frozen=True, slots=True)
class Change:
    """One audit row: what happened to which entity, from what to what, and why; `before`/`after` as JSON."""

    entity: str  # campaign, nomination, decision or vote
    entity_id: uuid.UUID
    action: str
    from_status: str | None = None
    to_status: str | None = None
    reason: str | None = None
    before: Any = None
    after: Any = None


_AUDIT = """INSERT INTO audit_log (entity, entity_id, action, actor_id, actor_name, actor_role,
                                   from_status, to_status, reason, before, after)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"""


async def audit(conn: asyncpg.Connection, actor: Principal, changes: Iterable[Change]) -> None:
    """Write one audit row per change, in order, all by `actor`, in the current transaction."""
    await conn.executemany(
        _AUDIT,
        [
            (
                c.entity,
                c.entity_id,
                c.action,
                actor.account_id,
                actor.username,
                actor.role,
                c.from_status,
                c.to_status,
                c.reason,
                _jsonable(c.before),
                _jsonable(c.after),
            )
            for c in changes
        ],
    )


def _jsonable(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, asyncpg.Record):
        value = dict(value)
    return msgspec.to_builtins(value)
