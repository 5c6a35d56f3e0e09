"""Campaigns and their categories: the dates a campaign runs between, and the floor under a category's quota."""

from __future__ import annotations

from datetime import date

from shared.errors import Conflict, FieldError, Invalid, NotFound

from .statuses import CampaignStatus


def check_dates(starts_on: date | None, ends_on: date | None) -> None:
    """A campaign may lie in the past (earlier years are entered the same way), but never end before it starts."""
    if starts_on and ends_on and ends_on < starts_on:
        raise Invalid("ends_on must not come before starts_on", errors=[FieldError("ends_on", "before starts_on")])


def unknown_organizer(unit_id: object) -> NotFound:
    """The organizer must be a unit the awards service's copy of the tree holds; a new one may not be there yet."""
    return NotFound(
        "unit",
        unit_id,
        detail=f"unit {unit_id} is not known to the awards service (yet)",
        errors=[FieldError("organizer_unit_id", "no such unit")],
    )


def status_action(status: CampaignStatus) -> str:
    """The audit action that moves a campaign to `status`."""
    return "close" if status == CampaignStatus.CLOSED else "open"


def check_quota(quota: int | None, held: int) -> None:
    """A category's quota cannot fall below the places its approved and granted nominations hold."""
    if quota is not None and quota < held:
        raise Conflict(
            f"the category already holds {held} approved or granted nominations; its quota cannot fall below that",
            field="quota",
        )
