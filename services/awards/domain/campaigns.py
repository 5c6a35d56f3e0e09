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


def pass_mark_columns(at_least_percent: int | None, more_than_percent: int | None) -> tuple[str | None, int | None]:
    """A category's pass mark as stored (`pass_mark_rule`, `pass_mark_percent`); exactly one of the two is given.

    "More than 100%" can never be reached, so it is refused with the rest.
    """
    if (at_least_percent is None) == (more_than_percent is None):
        raise Invalid(
            "a pass mark is either at_least_percent or more_than_percent",
            errors=[FieldError("pass_mark", "give exactly one of at_least_percent and more_than_percent")],
        )
    if at_least_percent is not None:
        return "at_least", at_least_percent
    if more_than_percent == 100:
        raise Invalid(
            "no vote can pass more than 100%",
            errors=[FieldError("pass_mark.more_than_percent", "must be below 100")],
        )
    return "more_than", more_than_percent


def check_category_change(
    changes: set[str], *, nominations: int, ballots: int, secret_ballot_before: bool, secret_ballot_after: bool
) -> None:
    """What may no longer change once a category is in use (409 on the field).

    Its kind, once nominations were made for it (they name a unit or a person);
    whether its ballot is secret, once a member voted on one of its nominations
    (an open vote would be exposed, or a secret one mixed with named ones).
    """
    if "nominee_kind" in changes and nominations:
        raise Conflict(
            f"the category already has {nominations} nominations; its nominee kind cannot change",
            field="nominee_kind",
        )
    if secret_ballot_before != secret_ballot_after and ballots:
        raise Conflict(
            "members have already voted in this category; whether its ballot is secret cannot change",
            field="secret_ballot",
        )
