"""The awards service's rules, without a server: each allowed move, each refusal and the problem it answers."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date
from functools import partial
from typing import Any

import pytest

from services.awards.domain import access, campaigns, granting, lifecycle, nominating
from services.awards.domain.lifecycle import RULES, Action
from services.awards.domain.nominating import NominationContext, Nominee
from services.awards.domain.statuses import AwardStatus, CampaignStatus, NominationStatus, NomineeKind
from shared.auth import Role
from shared.errors import DomainError
from shared.problems import from_domain

S = NominationStatus


def refused(call: Callable[[], Any]) -> dict[str, Any]:
    """The problem document (without `instance`) that `call`'s refusal is answered with."""
    with pytest.raises(DomainError) as caught:
        call()
    problem = from_domain(caught.value)
    return {
        "status": problem.status,
        "type": problem.type,
        "detail": problem.detail,
        "errors": [(e.field, e.message) for e in problem.errors],
    }


# ------------------------------------------------------------------ statuses
def test_an_award_status_is_a_nomination_status() -> None:
    assert {s.value for s in AwardStatus} == {"granted", "revoked"} <= {s.value for s in NominationStatus}
    assert lifecycle.AWARDED == {S.GRANTED, S.REVOKED} == {NominationStatus(s) for s in AwardStatus}


def test_status_enums_are_their_strings() -> None:
    """What asyncpg returns (a str) compares equal to the member, and a member formats as its value."""
    assert NominationStatus("submitted") is S.SUBMITTED and f"{S.APPROVED}" == "approved"
    assert "open" in {CampaignStatus.OPEN} and "individual" in {NomineeKind.INDIVIDUAL}


# ------------------------------------------------------------------ the lifecycle
ALLOWED = {
    Action.APPROVE: {S.SUBMITTED},
    Action.REJECT: {S.SUBMITTED, S.APPROVED},
    Action.WITHDRAW: {S.SUBMITTED, S.RETURNED},
    Action.GRANT: {S.APPROVED},
    Action.REVOKE: {S.GRANTED},
    Action.RETURN: {S.SUBMITTED},
    Action.RESUBMIT: {S.RETURNED},
}
TO = {
    Action.APPROVE: S.APPROVED,
    Action.REJECT: S.REJECTED,
    Action.WITHDRAW: S.WITHDRAWN,
    Action.GRANT: S.GRANTED,
    Action.REVOKE: S.REVOKED,
    Action.RETURN: S.RETURNED,
    Action.RESUBMIT: S.SUBMITTED,
}


@pytest.mark.parametrize("action", list(Action))
@pytest.mark.parametrize("status", list(NominationStatus))
def test_each_action_from_each_status(action: Action, status: NominationStatus) -> None:
    rule = RULES[action]
    assert rule.action == action and rule.to_status == TO[action]
    if status in ALLOWED[action]:
        assert lifecycle.refusal(rule, status) is None
        lifecycle.check(rule, status)
    else:
        why = lifecycle.refusal(rule, status)
        assert why is not None
        assert refused(lambda: lifecycle.check(rule, status)) == {
            "status": 409,
            "type": "about:blank",
            "detail": why,
            "errors": [("status", why)],
        }


@pytest.mark.parametrize(
    ("action", "status", "message"),
    [
        (Action.APPROVE, S.APPROVED, "the nomination is already approved"),
        (Action.WITHDRAW, S.WITHDRAWN, "the nomination is already withdrawn"),
        (Action.REVOKE, S.REVOKED, "the nomination is already revoked"),
        (
            Action.WITHDRAW,
            S.APPROVED,
            "the nomination is approved; only a returned or submitted nomination can be withdrawn",
        ),
        (Action.RETURN, S.RETURNED, "the nomination is already returned"),
        (Action.RETURN, S.APPROVED, "the nomination is approved; only a submitted nomination can be returned"),
        (Action.RESUBMIT, S.SUBMITTED, "the nomination is already submitted"),
        (Action.RESUBMIT, S.REJECTED, "the nomination is rejected; only a returned nomination can be submitted"),
        (Action.APPROVE, S.REJECTED, "the nomination is rejected; only a submitted nomination can be approved"),
        (
            Action.REJECT,
            S.GRANTED,
            "the nomination is granted; only a approved or submitted nomination can be rejected",
        ),
        (Action.GRANT, S.SUBMITTED, "the nomination is submitted; only a approved nomination can be granted"),
        (Action.REVOKE, S.APPROVED, "the nomination is approved; only a granted nomination can be revoked"),
    ],
)
def test_refusal_messages(action: Action, status: NominationStatus, message: str) -> None:
    assert lifecycle.refusal(RULES[action], status) == message
    assert lifecycle.refusal(RULES[action], str(status)) == message  # as the database hands it over


@pytest.mark.parametrize(
    ("before", "after", "delta"),
    [
        (S.SUBMITTED, S.APPROVED, 1),  # approval takes a place
        (S.APPROVED, S.REJECTED, -1),  # rejection after approval gives it back
        (S.GRANTED, S.REVOKED, -1),  # so does a revocation
        (S.APPROVED, S.GRANTED, 0),  # the grant keeps the approval's place
        (S.SUBMITTED, S.REJECTED, 0),
        (S.SUBMITTED, S.WITHDRAWN, 0),
        (S.SUBMITTED, S.RETURNED, 0),  # a returned nomination holds no place
        (S.RETURNED, S.SUBMITTED, 0),
    ],
)
def test_quota_delta(before: NominationStatus, after: NominationStatus, delta: int) -> None:
    assert lifecycle.quota_delta(before, after) == delta


def test_live_and_quota_holding_statuses() -> None:
    # A returned nomination is still the nominee's one nomination in the category: it comes back, resubmitted.
    assert {"submitted", "returned", "approved", "granted"} == lifecycle.LIVE
    assert {"approved", "granted"} == lifecycle.HOLDS_QUOTA


def test_quota_full() -> None:
    def approve_beyond() -> None:
        raise lifecycle.quota_full(20)

    assert refused(approve_beyond) == {
        "status": 409,
        "type": "/problems/quota-full",
        "detail": "the category's quota is full: it already holds 20 approved or granted nominations",
        "errors": [],
    }


def test_votes_only_on_a_submitted_nomination() -> None:
    lifecycle.check_vote(S.SUBMITTED)
    for status in set(NominationStatus) - {S.SUBMITTED}:
        message = f"the nomination is {status}; votes are cast only on a submitted nomination"
        assert refused(partial(lifecycle.check_vote, status)) == {
            "status": 409,
            "type": "about:blank",
            "detail": message,
            "errors": [("status", message)],
        }


def test_a_return_and_a_rejection_need_a_reason() -> None:
    assert {Action.REJECT, Action.RETURN} == lifecycle.NEEDS_REASON


def test_achievements_edited_while_submitted_or_returned() -> None:
    assert {S.SUBMITTED, S.RETURNED} == lifecycle.EDITABLE
    for status in lifecycle.EDITABLE:
        lifecycle.check_editable(status)
    for status in set(NominationStatus) - lifecycle.EDITABLE:
        message = f"the nomination is {status}; only a submitted or returned nomination can be edited"
        assert refused(partial(lifecycle.check_editable, status)) == {
            "status": 409,
            "type": "about:blank",
            "detail": message,
            "errors": [("status", message)],
        }


def test_only_granted_and_revoked_nominations_are_awards() -> None:
    assert {s for s in NominationStatus if lifecycle.is_award(s)} == {S.GRANTED, S.REVOKED}
    assert lifecycle.is_award("granted") and not lifecycle.is_award("approved")


# ------------------------------------------------------------------ a new nomination
CATEGORY = uuid.uuid4()
CAMPAIGN = uuid.uuid4()
UNIT = uuid.uuid4()
PERSON = uuid.uuid4()


def context(**overrides: Any) -> NominationContext:
    """The context of a collective nomination that passes every check."""
    values: dict[str, Any] = {
        "category_found": True,
        "campaign_id": CAMPAIGN,
        "nominee_kind": "collective",
        "campaign_status": "open",
        "nominee_found": True,
        "nominee_name": "Chi bộ Ấp Một",
        "unit_id": UNIT,
        "unit_name": "Chi bộ Ấp Một",
        "in_scope": True,
    }
    return NominationContext(**{**values, **overrides})


def test_exactly_one_nominee() -> None:
    assert nominating.nominee(UNIT, None) == Nominee(NomineeKind.COLLECTIVE, UNIT)
    assert nominating.nominee(None, PERSON) == Nominee(NomineeKind.INDIVIDUAL, PERSON)
    assert nominating.nominee(UNIT, None).field == "nominee_unit_id"
    assert nominating.nominee(None, PERSON).field == "nominee_person_id"
    for unit_id, person_id in ((None, None), (UNIT, PERSON)):
        assert refused(partial(nominating.nominee, unit_id, person_id)) == {
            "status": 400,
            "type": "about:blank",
            "detail": "name exactly one nominee: nominee_unit_id for a collective, nominee_person_id for an individual",
            "errors": [("nominee_unit_id", "exactly one of nominee_unit_id and nominee_person_id")],
        }


def test_a_nomination_that_passes_every_check() -> None:
    new = nominating.check(CATEGORY, Nominee(NomineeKind.COLLECTIVE, UNIT), context())
    assert (new.campaign_id, new.category_id, new.nominee_name, new.unit_id) == (
        CAMPAIGN,
        CATEGORY,
        "Chi bộ Ấp Một",
        UNIT,
    )
    assert (new.nominee_unit_id, new.nominee_person_id) == (UNIT, None)
    person = nominating.check(
        CATEGORY,
        Nominee(NomineeKind.INDIVIDUAL, PERSON),
        context(nominee_kind="individual", nominee_name="Nguyễn Thị Ánh"),
    )
    assert (person.nominee_unit_id, person.nominee_person_id, person.unit_name) == (None, PERSON, "Chi bộ Ấp Một")


def test_unknown_category() -> None:
    ctx = context(category_found=False, campaign_id=None, nominee_kind=None, campaign_status=None)
    assert refused(lambda: nominating.check(CATEGORY, Nominee(NomineeKind.COLLECTIVE, UNIT), ctx)) == {
        "status": 404,
        "type": "about:blank",
        "detail": f"category {CATEGORY} does not exist",
        "errors": [("category_id", "no such category")],
    }


def test_kind_must_match_the_category() -> None:
    ctx = context(nominee_kind="individual")
    assert refused(lambda: nominating.check(CATEGORY, Nominee(NomineeKind.COLLECTIVE, UNIT), ctx)) == {
        "status": 409,
        "type": "/problems/wrong-kind",
        "detail": "the category is for individual nominees: send nominee_person_id, not nominee_unit_id",
        "errors": [("nominee_unit_id", "the category takes individual nominees")],
    }
    assert refused(lambda: nominating.check(CATEGORY, Nominee(NomineeKind.INDIVIDUAL, PERSON), context())) == {
        "status": 409,
        "type": "/problems/wrong-kind",
        "detail": "the category is for collective nominees: send nominee_unit_id, not nominee_person_id",
        "errors": [("nominee_person_id", "the category takes collective nominees")],
    }


def test_nominee_must_be_known() -> None:
    gone = {"nominee_found": False, "nominee_name": None, "unit_id": None, "unit_name": None, "in_scope": False}
    assert refused(lambda: nominating.check(CATEGORY, Nominee(NomineeKind.COLLECTIVE, UNIT), context(**gone))) == {
        "status": 404,
        "type": "about:blank",
        "detail": f"unit {UNIT} is not known to the awards service; if it was just created, retry shortly",
        "errors": [("nominee_unit_id", "no such unit")],
    }
    ctx = context(nominee_kind="individual", **gone)
    assert refused(lambda: nominating.check(CATEGORY, Nominee(NomineeKind.INDIVIDUAL, PERSON), ctx)) == {
        "status": 404,
        "type": "about:blank",
        "detail": f"person {PERSON} is not known to the awards service; if it was just created, retry shortly",
        "errors": [("nominee_person_id", "no such person")],
    }


def test_nominees_unit_must_be_known() -> None:
    ctx = context(nominee_kind="individual", unit_id=None, unit_name=None, in_scope=False)
    assert refused(lambda: nominating.check(CATEGORY, Nominee(NomineeKind.INDIVIDUAL, PERSON), ctx)) == {
        "status": 409,
        "type": "about:blank",
        "detail": "the nominee's unit has not reached the awards service yet; retry shortly",
        "errors": [("nominee_person_id", "unit not known yet")],
    }


def test_nominee_must_be_in_the_officers_scope() -> None:
    ctx = context(in_scope=False, campaign_status="closed")  # the scope is checked before the campaign
    assert refused(lambda: nominating.check(CATEGORY, Nominee(NomineeKind.COLLECTIVE, UNIT), ctx)) == {
        "status": 403,
        "type": "about:blank",
        "detail": "an officer nominates only within its own unit and the units below it",
        "errors": [],
    }


CLOSED = {
    "status": 409,
    "type": "about:blank",
    "detail": "the campaign is closed; it takes no more nominations",
    "errors": [("category_id", "the campaign is closed; it takes no more nominations")],
}


def test_campaign_must_be_open() -> None:
    ctx = context(campaign_status="closed")
    assert refused(lambda: nominating.check(CATEGORY, Nominee(NomineeKind.COLLECTIVE, UNIT), ctx)) == CLOSED


def test_what_the_insert_found() -> None:
    new = nominating.check(CATEGORY, Nominee(NomineeKind.COLLECTIVE, UNIT), context())
    nominating.check_written(new, campaign_open=True, written=True)
    # Closed between the check and the insert: the same refusal.
    assert refused(lambda: nominating.check_written(new, campaign_open=False, written=False)) == CLOSED
    assert refused(lambda: nominating.check_written(new, campaign_open=True, written=False)) == {
        "status": 409,
        "type": "about:blank",
        "detail": "Chi bộ Ấp Một already has a live nomination in this category",
        "errors": [("nominee_unit_id", "already nominated in this category")],
    }


# ------------------------------------------------------------------ what a decision may grant
A, B, C = sorted(uuid.uuid4() for _ in range(3))


def test_each_nomination_listed_once() -> None:
    granting.check_listed_once([A, B, C])
    assert refused(lambda: granting.check_listed_once([A, B, C, B])) == {
        "status": 400,
        "type": "about:blank",
        "detail": f"nomination {B} is listed twice",
        "errors": [("nomination_ids[3]", "repeats nomination_ids[1]")],
    }


def test_approved_nominations_are_grantable() -> None:
    listed = granting.Listed(status="approved", decision_number=None)
    granting.check_grantable([A, B], {A: listed, B: listed})


def test_listed_nominations_must_exist() -> None:
    listed = granting.Listed(status="approved", decision_number=None)
    assert refused(lambda: granting.check_grantable([A, B, C], {B: listed})) == {
        "status": 404,
        "type": "about:blank",
        "detail": "2 of the listed nominations do not exist",
        "errors": [
            ("nomination_ids[0]", f"nomination {A} does not exist"),
            ("nomination_ids[2]", f"nomination {C} does not exist"),
        ],
    }


def test_only_approved_nominations_each_once() -> None:
    found = {
        A: granting.Listed(status="approved", decision_number=None),
        B: granting.Listed(status="granted", decision_number="12/QĐ-UBND"),
        C: granting.Listed(status="submitted", decision_number=None),
    }
    assert refused(lambda: granting.check_grantable([C, A, B], found)) == {
        "status": 409,
        "type": "/problems/not-grantable",
        "detail": "2 of the listed nominations cannot be granted; "
        "a decision grants approved nominations only, each once",
        "errors": [
            ("nomination_ids[0]", f"nomination {C} is submitted, not approved"),
            ("nomination_ids[2]", f"nomination {B} was already granted by decision 12/QĐ-UBND"),
        ],
    }
    revoked = {A: granting.Listed(status="revoked", decision_number="7/QĐ")}
    assert refused(lambda: granting.check_grantable([A], revoked))["errors"] == [
        ("nomination_ids[0]", f"nomination {A} was already granted by decision 7/QĐ")
    ]


# ------------------------------------------------------------------ campaigns and their categories
def test_campaign_dates() -> None:
    campaigns.check_dates(date(2025, 1, 1), date(2025, 1, 1))
    campaigns.check_dates(None, date(2025, 1, 1))
    campaigns.check_dates(date(2019, 2, 1), None)  # the past is entered the same way
    assert refused(lambda: campaigns.check_dates(date(2025, 5, 1), date(2025, 1, 1))) == {
        "status": 400,
        "type": "about:blank",
        "detail": "ends_on must not come before starts_on",
        "errors": [("ends_on", "before starts_on")],
    }


def test_quota_floor() -> None:
    campaigns.check_quota(None, 5)  # the quota is not being changed
    campaigns.check_quota(5, 5)
    campaigns.check_quota(0, 0)
    message = "the category already holds 5 approved or granted nominations; its quota cannot fall below that"
    assert refused(lambda: campaigns.check_quota(4, 5)) == {
        "status": 409,
        "type": "about:blank",
        "detail": message,
        "errors": [("quota", message)],
    }


def test_unknown_organizer_and_status_actions() -> None:
    def create() -> None:
        raise campaigns.unknown_organizer(UNIT)

    assert refused(create) == {
        "status": 404,
        "type": "about:blank",
        "detail": f"unit {UNIT} is not known to the awards service (yet)",
        "errors": [("organizer_unit_id", "no such unit")],
    }
    assert campaigns.status_action(CampaignStatus.CLOSED) == "close"
    assert campaigns.status_action(CampaignStatus.OPEN) == "open"


# ------------------------------------------------------------------ who may
def test_who_acts_for_and_sees_a_nomination() -> None:
    submitting, nominee_unit = uuid.uuid4(), uuid.uuid4()
    assert access.responsible_unit(submitting, nominee_unit) == submitting
    assert access.responsible_unit(None, nominee_unit) == nominee_unit  # submitted by an admin
    access.check_acts_for(True)
    access.check_sees(True)
    assert refused(lambda: access.check_acts_for(False)) == {
        "status": 403,
        "type": "about:blank",
        "detail": "only an officer of the submitting unit (or a unit above it) may do this",
        "errors": [],
    }
    assert refused(lambda: access.check_sees(False))["detail"] == (
        "an officer sees only the nominations of its own unit and the units below it"
    )


def test_who_sees_a_revoked_award() -> None:
    assert set(Role) >= access.REVOKED_READERS
    assert access.sees_revoked(Role.COMMITTEE) and access.sees_revoked(Role.ADMIN)
    assert not access.sees_revoked(Role.OFFICER) and not access.sees_revoked(None)
    assert access.award_visible("granted", revoked_too=False)
    assert not access.award_visible("revoked", revoked_too=False)
    assert access.award_visible("revoked", revoked_too=True)
    assert not access.award_visible("approved", revoked_too=True)  # approved is not an award yet
