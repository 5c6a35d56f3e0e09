"""The published language: every event the services exchange over NATS.

One envelope for every event; its `data` is a tagged union whose tag is also
the NATS subject (`<service>.<thing>.<happened>`). Producers and consumers
import these types and nothing else. Evolve by adding fields with defaults;
never change a field's type; unknown fields are ignored by older consumers.

Every event carries the whole current state of its aggregate and the
aggregate's version, so a consumer applies an event only when it is newer
than what it holds: a late or replayed event never brings back an older state.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, cast

import msgspec


@dataclass(frozen=True, slots=True)
class Stream:
    """A JetStream stream: the subjects one service publishes on."""

    name: str
    subjects: tuple[str, ...]


UNITS_STREAM = Stream("UNITS", ("units.>",))
AWARDS_STREAM = Stream("AWARDS", ("awards.>",))
EVENTS_STREAM = Stream("EVENTS", ("events.>",))


class EventData(msgspec.Struct, tag_field="type", kw_only=True, frozen=True):
    """Base of every event's data; the subclass's tag is its subject."""


# ---------------------------------------------------------------- units.>
class UnitState(EventData, kw_only=True, frozen=True):
    id: uuid.UUID
    code: str
    name: str
    kind: str
    parent_id: uuid.UUID | None


class UnitCreated(UnitState, tag="units.unit.created", kw_only=True, frozen=True):
    pass


class UnitRenamed(UnitState, tag="units.unit.renamed", kw_only=True, frozen=True):
    pass


class UnitMoved(UnitState, tag="units.unit.moved", kw_only=True, frozen=True):
    previous_parent_id: uuid.UUID | None = None


class PersonState(EventData, kw_only=True, frozen=True):
    """A person, without what may not leave the units service (birth year)."""

    id: uuid.UUID
    full_name: str
    unit_id: uuid.UUID
    position: str | None = None


class PersonCreated(PersonState, tag="units.person.created", kw_only=True, frozen=True):
    pass


class PersonUpdated(PersonState, tag="units.person.updated", kw_only=True, frozen=True):
    pass


class AccountState(EventData, kw_only=True, frozen=True):
    """An account as other services may know it: never its password or anything of its sign-ins.

    `disabled` is what every service acts on: a disabled account's tokens are
    refused everywhere (shared/account_blocks.py).
    """

    id: uuid.UUID
    username: str
    role: str
    unit_id: uuid.UUID | None = None
    disabled: bool = False
    display_name: str | None = None


class AccountCreated(AccountState, tag="units.account.created", kw_only=True, frozen=True):
    pass


class AccountUpdated(AccountState, tag="units.account.updated", kw_only=True, frozen=True):
    """Disabled or enabled, its role, unit or display name changed (not its password: that is not news)."""


# ---------------------------------------------------------------- awards.>
class CategoryState(msgspec.Struct, kw_only=True, frozen=True):
    id: uuid.UUID
    code: str
    name: str
    nominee_kind: str  # "collective" | "individual"
    form: str
    quota: int
    pass_mark_rule: str | None = None  # "at_least" | "more_than" (of the members entitled to vote) | None
    pass_mark_percent: int | None = None
    secret_ballot: bool = False
    comment_working_days: int = 0  # how long an approved nomination stays on public notice
    # Eligibility rules (services/awards/domain/eligibility.py), each with its kind, fields, citation and dates.
    rules: tuple[dict[str, Any], ...] = ()
    title: str | None = None  # the title the category confers, as rules name it (None: its name)


class CampaignState(EventData, kw_only=True, frozen=True):
    id: uuid.UUID
    code: str
    name: str
    organizer_unit_id: uuid.UUID
    year: int
    starts_on: date | None = None
    ends_on: date | None = None
    status: str  # "open" | "closed"
    categories: tuple[CategoryState, ...] = ()
    description: str | None = None


class CampaignCreated(CampaignState, tag="awards.campaign.created", kw_only=True, frozen=True):
    pass


class CampaignUpdated(CampaignState, tag="awards.campaign.updated", kw_only=True, frozen=True):
    """A category was added, or the campaign was closed or opened."""


class NominationState(EventData, kw_only=True, frozen=True):
    id: uuid.UUID
    campaign_id: uuid.UUID
    category_id: uuid.UUID
    nominee_kind: str
    nominee_unit_id: uuid.UUID | None = None
    nominee_person_id: uuid.UUID | None = None
    nominee_name: str
    unit_id: uuid.UUID  # the collective itself, or the individual's unit
    status: str
    unit_name: str = ""
    submitting_unit_id: uuid.UUID | None = None


class NominationSubmitted(NominationState, tag="awards.nomination.submitted", kw_only=True, frozen=True):
    pass


class NominationApproved(NominationState, tag="awards.nomination.approved", kw_only=True, frozen=True):
    """`comment_until`: the last day of its public notice (its category's comment window in working days),
    None when the category has none."""

    approved_on: date | None = None
    comment_until: date | None = None


class NominationRejected(NominationState, tag="awards.nomination.rejected", kw_only=True, frozen=True):
    reason: str = ""


class NominationWithdrawn(NominationState, tag="awards.nomination.withdrawn", kw_only=True, frozen=True):
    pass


class NominationReturned(NominationState, tag="awards.nomination.returned", kw_only=True, frozen=True):
    """The committee sent the nomination back to its unit to be completed; `reason` says what is missing."""

    reason: str = ""


class NominationResubmitted(NominationState, tag="awards.nomination.resubmitted", kw_only=True, frozen=True):
    pass


class NominationUpdated(NominationState, tag="awards.nomination.updated", kw_only=True, frozen=True):
    """The unit's officer edited the nomination's achievements (while submitted or returned)."""


class AwardGranted(EventData, tag="awards.award.granted", kw_only=True, frozen=True):
    """Everything the honour roll shows of an award, so nobody calls back."""

    award_id: uuid.UUID
    nomination_id: uuid.UUID
    kind: str  # "collective" | "individual"
    name: str
    unit_id: uuid.UUID
    unit_name: str
    campaign_id: uuid.UUID
    campaign_name: str
    year: int
    category_id: uuid.UUID
    category_name: str
    form: str
    decision_id: uuid.UUID
    decision_number: str
    decision_date: date
    # The award is the granted nomination: award_id == nomination_id, and the
    # envelope's version is the nomination's, so granted < revoked.
    nominee_unit_id: uuid.UUID | None = None  # a collective
    nominee_person_id: uuid.UUID | None = None  # an individual
    campaign_code: str = ""
    category_code: str = ""
    decision_signer: str = ""
    granted_at: datetime | None = None
    # The code printed on the certificate (shared/verification.py, canonical form): the events service
    # answers `/verify/{code}` from this event alone. "" from a producer older than the codes.
    verification_code: str = ""


class AwardRevoked(EventData, tag="awards.award.revoked", kw_only=True, frozen=True):
    award_id: uuid.UUID
    nomination_id: uuid.UUID
    revoked_at: datetime
    reason: str = ""
    campaign_id: uuid.UUID | None = None
    category_id: uuid.UUID | None = None
    # Set when the award is restated (`thidua republish`), so a verifier that never saw the grant still
    # answers that its code was revoked; "" otherwise (the grant carried it).
    verification_code: str = ""


class DecisionIssued(EventData, tag="awards.decision.issued", kw_only=True, frozen=True):
    id: uuid.UUID
    number: str
    signed_on: date
    signer: str
    award_ids: tuple[uuid.UUID, ...]


class AttachmentState(EventData, kw_only=True, frozen=True):
    """A file of a nomination's dossier: what it is, never its bytes (they stay in the awards service).

    The aggregate is the attachment: version 1 when added, 2 when removed."""

    id: uuid.UUID
    nomination_id: uuid.UUID
    filename: str
    content_type: str
    size: int
    sha256: str
    uploaded_by: uuid.UUID | None = None
    uploaded_by_name: str = ""


class AttachmentAdded(AttachmentState, tag="awards.attachment.added", kw_only=True, frozen=True):
    pass


class AttachmentRemoved(AttachmentState, tag="awards.attachment.removed", kw_only=True, frozen=True):
    removed_by: uuid.UUID | None = None


class ObjectionState(EventData, kw_only=True, frozen=True):
    """An objection to a nomination on public notice: never the objector's name, contact or words."""

    id: uuid.UUID
    nomination_id: uuid.UUID
    status: str  # "open" | "resolved"
    filed_at: datetime
    resolved_at: datetime | None = None


class ObjectionFiled(ObjectionState, tag="awards.objection.filed", kw_only=True, frozen=True):
    pass


class ObjectionResolved(ObjectionState, tag="awards.objection.resolved", kw_only=True, frozen=True):
    pass


class CouncilSet(EventData, tag="awards.council.set", kw_only=True, frozen=True):
    """A campaign's council (the committee accounts that vote on its nominations); none when empty."""

    campaign_id: uuid.UUID
    member_account_ids: tuple[uuid.UUID, ...] = ()
    member_usernames: tuple[str, ...] = ()  # in the order of member_account_ids


class MemberRecused(EventData, tag="awards.council.recused", kw_only=True, frozen=True):
    """A council member does not take part in the vote on a nomination, and why (a recusal is not secret)."""

    nomination_id: uuid.UUID
    campaign_id: uuid.UUID
    category_id: uuid.UUID
    account_id: uuid.UUID
    username: str
    reason: str = ""
    recused_at: datetime | None = None


class ReviewItemState(EventData, kw_only=True, frozen=True):
    """A nomination or award put before the committee again because an award its eligibility relied on was
    revoked (services/awards/eligibility/): version 1 when opened, 2 when the committee resolved it."""

    id: uuid.UUID
    nomination_id: uuid.UUID  # the dependent: a nomination, or the award it became
    cause_award_id: uuid.UUID  # the revoked award it relied on
    status: str  # "open" | "resolved"
    reason: str = ""
    opened_at: datetime | None = None
    resolution: str = ""
    resolved_at: datetime | None = None


class ReviewOpened(ReviewItemState, tag="awards.review.opened", kw_only=True, frozen=True):
    pass


class ReviewResolved(ReviewItemState, tag="awards.review.resolved", kw_only=True, frozen=True):
    pass


# ---------------------------------------------------------------- events.>
class CeremonyState(EventData, kw_only=True, frozen=True):
    id: uuid.UUID
    title: str
    held_on: date
    venue: str
    host_unit_id: uuid.UUID
    campaign_ids: tuple[uuid.UUID, ...]
    status: str  # "planned" | "held"
    held_at: datetime | None = None  # when it was recorded as held
    honoree_count: int = 0  # held: the honourees it presented


class CeremonyCreated(CeremonyState, tag="events.ceremony.created", kw_only=True, frozen=True):
    pass


class CeremonyHeld(CeremonyState, tag="events.ceremony.held", kw_only=True, frozen=True):
    pass


class ObjectionReceived(EventData, tag="events.objection.received", kw_only=True, frozen=True):
    """An objection sent by a member of the public from the events service's notice page, for the awards
    service to file (it owns objections). The EVENTS stream is internal: the contact travels, never shown."""

    id: uuid.UUID
    nomination_id: uuid.UUID
    name: str
    contact: str
    content: str
    received_at: datetime


AnyEvent = (
    UnitCreated
    | UnitRenamed
    | UnitMoved
    | PersonCreated
    | PersonUpdated
    | AccountCreated
    | AccountUpdated
    | CampaignCreated
    | CampaignUpdated
    | NominationSubmitted
    | NominationApproved
    | NominationRejected
    | NominationWithdrawn
    | NominationReturned
    | NominationResubmitted
    | NominationUpdated
    | AwardGranted
    | AwardRevoked
    | DecisionIssued
    | AttachmentAdded
    | AttachmentRemoved
    | ObjectionFiled
    | ObjectionResolved
    | CouncilSet
    | MemberRecused
    | ReviewOpened
    | ReviewResolved
    | CeremonyCreated
    | CeremonyHeld
    | ObjectionReceived
)


class Envelope(msgspec.Struct, kw_only=True, frozen=True):
    id: uuid.UUID  # also the Nats-Msg-Id
    type: str  # the subject
    occurred_at: datetime
    producer: str
    aggregate_id: str
    version: int  # the aggregate's version after this event
    data: AnyEvent


class Head(msgspec.Struct, kw_only=True, frozen=True):
    """An envelope read without its data: enough to route, skip or dead-letter an event of any type."""

    id: uuid.UUID
    type: str


def subject_of(data: EventData | type[EventData]) -> str:
    """An event type's tag, which is also its NATS subject."""
    cls = data if isinstance(data, type) else type(data)
    return cast(str, cls.__struct_config__.tag)


# Every subject this build knows; an event of another type is from a newer producer.
KNOWN_SUBJECTS = frozenset(subject_of(t) for t in AnyEvent.__args__)


def envelope(data: EventData, *, producer: str, aggregate_id: object, version: int) -> Envelope:
    if subject_of(data) not in KNOWN_SUBJECTS:
        raise TypeError(f"{type(data).__name__} is not in AnyEvent: add it there to publish it")
    return Envelope(
        id=uuid.uuid4(),
        type=subject_of(data),
        occurred_at=datetime.now(UTC),
        producer=producer,
        aggregate_id=str(aggregate_id),
        version=version,
        data=cast(AnyEvent, data),  # checked above: its tag is one of AnyEvent's
    )


_encoder = msgspec.json.Encoder()
_decoder = msgspec.json.Decoder(Envelope)
_head_decoder = msgspec.json.Decoder(Head)


def encode(env: Envelope) -> bytes:
    return _encoder.encode(env)


def decode(payload: bytes) -> Envelope:
    return _decoder.decode(payload)


def decode_head(payload: bytes) -> Head:
    return _head_decoder.decode(payload)
