"""Campaign and category use cases: each one transaction, with its audit row and its event.

Lock order, as everywhere in the service: the campaign first (then its category).
Every change to a campaign or to one of its categories is a new version of the
campaign, announced with its whole state (`awards.campaign.updated`).
"""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg
import msgspec

from shared import events
from shared.auth import Principal
from shared.errors import FieldError, Invalid
from shared.text import line

from .. import publishes
from ..domain import campaigns as rules
from ..domain import eligibility
from ..domain.statuses import CampaignStatus
from ..publishes import Change
from . import repository
from .schemas import Campaign, CampaignCreate, CampaignPatch, Category, CategoryCreate, CategoryPatch, PassMark


async def create_campaign(conn: asyncpg.Connection, actor: Principal, data: CampaignCreate) -> Campaign:
    async with conn.transaction():
        if not await repository.unit_exists(conn, data.organizer_unit_id):
            raise rules.unknown_organizer(data.organizer_unit_id)
        campaign = await repository.insert_campaign(conn, data, actor.account_id)
        await publishes.audit(
            conn, actor, [Change("campaign", campaign.id, "create", to_status=campaign.status, after=campaign)]
        )
        await publishes.publish(
            conn, [(publishes.campaign_event(events.CampaignCreated, campaign), campaign.id, campaign.version)]
        )
    return campaign


async def _campaign_changed(
    conn: asyncpg.Connection,
    actor: Principal,
    campaign_id: uuid.UUID,
    action: str,
    before: Any,
    *,
    from_status: str | None = None,
) -> Campaign:
    """Bump the campaign's version, audit the change, and announce the full new state."""
    campaign = await repository.bump_campaign(conn, campaign_id)
    change = Change(
        "campaign",
        campaign_id,
        action,
        from_status=from_status,
        to_status=campaign.status,
        before=before,
        after=campaign,
    )
    await publishes.audit(conn, actor, [change])
    await publishes.publish(
        conn, [(publishes.campaign_event(events.CampaignUpdated, campaign), campaign.id, campaign.version)]
    )
    return campaign


async def set_campaign_status(
    conn: asyncpg.Connection, actor: Principal, campaign_id: uuid.UUID, status: CampaignStatus
) -> Campaign:
    """Close or open a campaign; doing it again changes nothing and answers the same state."""
    async with conn.transaction():
        row = await repository.lock_campaign(conn, campaign_id)
        if row["status"] == status:
            return await repository.get_campaign(conn, campaign_id)
        await repository.set_campaign_status(conn, campaign_id, status)
        return await _campaign_changed(
            conn, actor, campaign_id, rules.status_action(status), dict(row), from_status=row["status"]
        )


async def update_campaign(
    conn: asyncpg.Connection, actor: Principal, campaign_id: uuid.UUID, patch: CampaignPatch
) -> Campaign:
    """Change a campaign's name, dates or description (what `patch` sends; null clears a date or the description)."""
    async with conn.transaction():
        row = await repository.lock_campaign(conn, campaign_id)

        def merged(value: Any, column: str) -> Any:
            return row[column] if value is msgspec.UNSET else value

        starts_on, ends_on = merged(patch.starts_on, "starts_on"), merged(patch.ends_on, "ends_on")
        # Checked against what the campaign will be: a new end may fall before the start it keeps.
        rules.check_dates(starts_on, ends_on)
        await repository.update_campaign(
            conn,
            campaign_id,
            name=merged(patch.name, "name"),
            starts_on=starts_on,
            ends_on=ends_on,
            description=merged(patch.description, "description"),
        )
        return await _campaign_changed(conn, actor, campaign_id, "update", dict(row))


def _pass_mark_columns(mark: PassMark | None) -> dict[str, Any]:
    rule, percent = rules.pass_mark_columns(mark.at_least_percent, mark.more_than_percent) if mark else (None, None)
    return {"pass_mark_rule": rule, "pass_mark_percent": percent}


def category_values(data: CategoryCreate) -> dict[str, Any]:
    """A new category's columns, text normalised (NFC, one line)."""
    return {
        "code": data.code.strip(),
        "name": line(data.name, "name"),
        "nominee_kind": data.nominee_kind,
        "form": line(data.form, "form"),
        "quota": data.quota,
        "secret_ballot": data.secret_ballot,
        "comment_working_days": data.comment_working_days,
        **_pass_mark_columns(data.pass_mark),
        # Eligibility rules, checked (400 naming `rules[i].field`), stored as the domain writes them.
        "rules": [r.as_json() for r in eligibility.parse_rules(data.rules, nominee_kind=data.nominee_kind)],
        "title": line(data.title, "title") if data.title is not None else None,
    }


def category_changes(patch: CategoryPatch) -> dict[str, Any]:
    """The columns a PATCH sets (400 when it sets none)."""
    changes: dict[str, Any] = {
        field: getattr(patch, field)
        for field in ("code", "nominee_kind", "quota", "secret_ballot", "comment_working_days")
        if getattr(patch, field) is not msgspec.UNSET
    }
    if isinstance(patch.code, str):
        changes["code"] = patch.code.strip()
    if patch.name is not msgspec.UNSET:
        changes["name"] = line(patch.name, "name")
    if patch.form is not msgspec.UNSET:
        changes["form"] = line(patch.form, "form")
    if patch.pass_mark is not msgspec.UNSET:
        changes.update(_pass_mark_columns(patch.pass_mark))
    if patch.rules is not msgspec.UNSET:
        changes["rules"] = patch.rules  # checked against the category's kind once it is locked (update_category)
    if patch.title is not msgspec.UNSET:
        changes["title"] = line(patch.title, "title") if patch.title is not None else None
    if not changes:
        raise Invalid(
            "send at least one field of the category to change", errors=[FieldError("body", "nothing to change")]
        )
    return changes


async def add_category(
    conn: asyncpg.Connection, actor: Principal, campaign_id: uuid.UUID, data: CategoryCreate
) -> Category:
    values = category_values(data)
    async with conn.transaction():
        await repository.lock_campaign(conn, campaign_id)
        category = await repository.insert_category(conn, campaign_id, values)
        await _campaign_changed(conn, actor, campaign_id, "add_category", None)
    return category


async def update_category(
    conn: asyncpg.Connection, actor: Principal, campaign_id: uuid.UUID, category_id: uuid.UUID, patch: CategoryPatch
) -> Category:
    """Change what `patch` sends; the quota never falls below the places held, and a category in use keeps its kind
    and the secrecy of its ballot (409)."""
    changes = category_changes(patch)
    async with conn.transaction():
        await repository.lock_campaign(conn, campaign_id)
        before = await repository.lock_category(conn, campaign_id, category_id)
        kind = changes.get("nominee_kind", before["nominee_kind"])
        if "rules" in changes:
            changes["rules"] = [r.as_json() for r in eligibility.parse_rules(changes["rules"], nominee_kind=kind)]
        else:
            eligibility.check_kind_change(eligibility.load_rules(before["rules"]), kind)
        rules.check_quota(changes.get("quota"), before["held"])
        nominations, ballots = await repository.category_use(conn, category_id)
        rules.check_category_change(
            {c for c, v in changes.items() if v != before[c]},
            nominations=nominations,
            ballots=ballots,
            secret_ballot_before=before["secret_ballot"],
            secret_ballot_after=changes.get("secret_ballot", before["secret_ballot"]),
        )
        category = await repository.update_category(conn, category_id, changes)
        await _campaign_changed(conn, actor, campaign_id, "update_category", before)
    return category
