"""What a new nomination is checked against before it is written.

A collective names `nominee_unit_id`, an individual `nominee_person_id`,
exactly one of them, matching its category's kind. The nominee (and its
unit) must be known to the awards service's copies, the nominee must lie in
the nominating officer's subtree, and the campaign must be open. The last
two rules, campaign open and at most one live nomination per nominee and
category, are also kept by the insert itself under concurrency: the refusals
here are the same ones it answers.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from shared.errors import Conflict, FieldError, Forbidden, Invalid, NotFound

from .statuses import CampaignStatus, NomineeKind

FIELDS = {NomineeKind.COLLECTIVE: "nominee_unit_id", NomineeKind.INDIVIDUAL: "nominee_person_id"}
WHAT = {NomineeKind.COLLECTIVE: "unit", NomineeKind.INDIVIDUAL: "person"}


@dataclass(frozen=True, slots=True)
class Nominee:
    """Who a request nominates: its kind follows from the field it was named in."""

    kind: NomineeKind
    id: uuid.UUID

    @property
    def field(self) -> str:
        return FIELDS[self.kind]


def nominee(unit_id: uuid.UUID | None, person_id: uuid.UUID | None) -> Nominee:
    """The one nominee a request names; 400 when it names none or both."""
    if unit_id is not None and person_id is None:
        return Nominee(NomineeKind.COLLECTIVE, unit_id)
    if person_id is not None and unit_id is None:
        return Nominee(NomineeKind.INDIVIDUAL, person_id)
    raise Invalid(
        "name exactly one nominee: nominee_unit_id for a collective, nominee_person_id for an individual",
        errors=[FieldError("nominee_unit_id", "exactly one of nominee_unit_id and nominee_person_id")],
    )


@dataclass(frozen=True, slots=True)
class NominationContext:
    """What a new nomination is checked against, as the database holds it (read in one query)."""

    category_found: bool
    campaign_id: uuid.UUID | None
    nominee_kind: str | None  # the category's
    campaign_status: str | None
    nominee_found: bool
    nominee_name: str | None
    unit_id: uuid.UUID | None  # the collective itself, or the individual's unit
    unit_name: str | None
    in_scope: bool  # the nominee's unit lies in the nominating officer's subtree (always, for other roles)


@dataclass(frozen=True, slots=True)
class NewNomination:
    """A nomination the checks let through: everything its row records of the nominee, as it is now."""

    campaign_id: uuid.UUID
    category_id: uuid.UUID
    nominee: Nominee
    nominee_name: str
    unit_id: uuid.UUID
    unit_name: str

    @property
    def nominee_unit_id(self) -> uuid.UUID | None:
        return self.nominee.id if self.nominee.kind == NomineeKind.COLLECTIVE else None

    @property
    def nominee_person_id(self) -> uuid.UUID | None:
        return self.nominee.id if self.nominee.kind == NomineeKind.INDIVIDUAL else None


def check(category_id: uuid.UUID, nominee: Nominee, ctx: NominationContext) -> NewNomination:
    """The nomination of `nominee` in the category, or the first rule it breaks, in this order."""
    if not ctx.category_found or ctx.campaign_id is None or ctx.nominee_kind is None:
        raise NotFound("category", category_id, errors=[FieldError("category_id", "no such category")])
    kind = NomineeKind(ctx.nominee_kind)
    if nominee.kind != kind:
        raise Conflict(
            f"the category is for {kind} nominees: send {FIELDS[kind]}, not {nominee.field}",
            errors=[FieldError(nominee.field, f"the category takes {kind} nominees")],
            kind="wrong-kind",
        )
    what = WHAT[kind]
    if not ctx.nominee_found or ctx.nominee_name is None:
        raise NotFound(
            what,
            nominee.id,
            detail=f"{what} {nominee.id} is not known to the awards service; if it was just created, retry shortly",
            errors=[FieldError(nominee.field, f"no such {what}")],
        )
    if ctx.unit_id is None or ctx.unit_name is None:
        raise Conflict(
            "the nominee's unit has not reached the awards service yet; retry shortly",
            errors=[FieldError(nominee.field, "unit not known yet")],
        )
    if not ctx.in_scope:
        raise Forbidden("an officer nominates only within its own unit and the units below it")
    if ctx.campaign_status != CampaignStatus.OPEN:
        raise campaign_closed()
    return NewNomination(
        campaign_id=ctx.campaign_id,
        category_id=category_id,
        nominee=nominee,
        nominee_name=ctx.nominee_name,
        unit_id=ctx.unit_id,
        unit_name=ctx.unit_name,
    )


def campaign_closed() -> Conflict:
    return Conflict("the campaign is closed; it takes no more nominations", field="category_id")


def already_live(nomination: NewNomination) -> Conflict:
    """One live nomination per nominee and category, whoever submits it."""
    return Conflict(
        f"{nomination.nominee_name} already has a live nomination in this category",
        errors=[FieldError(nomination.nominee.field, "already nominated in this category")],
    )


def check_written(nomination: NewNomination, *, campaign_open: bool, written: bool) -> None:
    """What the insert found, as the same refusals: the campaign closed meanwhile, or a live nomination won."""
    if not campaign_open:
        raise campaign_closed()
    if not written:
        raise already_live(nomination)
