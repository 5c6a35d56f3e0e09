"""The life of a nomination, as plain rules that know nothing of HTTP or SQL.

    submitted -> approved | rejected | withdrawn | returned (by the committee, with a reason)
    returned  -> submitted (resubmitted by its unit's officer) | withdrawn
    approved  -> granted (by a decision) | rejected (the committee changes its mind)
    granted   -> revoked

A category's quota bounds its approved and granted nominations together:
approval takes a place, a rejection after approval or a revocation gives it
back. Submitted, returned, approved and granted nominations are "live": a
nominee holds at most one live nomination per category (a returned one comes
back, it is not replaced); a returned nomination holds no place in the quota.
Its unit's officer edits the achievements while it is submitted or returned.
The committee votes on a submitted nomination only. A granted nomination is an award; revoked, it stays one,
out of the public listings.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from shared.errors import Conflict

from .statuses import NominationStatus

LIVE = frozenset(
    {NominationStatus.SUBMITTED, NominationStatus.RETURNED, NominationStatus.APPROVED, NominationStatus.GRANTED}
)
EDITABLE = frozenset({NominationStatus.SUBMITTED, NominationStatus.RETURNED})
HOLDS_QUOTA = frozenset({NominationStatus.APPROVED, NominationStatus.GRANTED})
AWARDED = frozenset({NominationStatus.GRANTED, NominationStatus.REVOKED})


class Action(StrEnum):
    """What moves a nomination on; the value is the action its audit row records."""

    APPROVE = "approve"
    REJECT = "reject"
    WITHDRAW = "withdraw"
    GRANT = "grant"
    REVOKE = "revoke"
    RETURN = "return"
    RESUBMIT = "resubmit"


@dataclass(frozen=True, slots=True)
class Rule:
    action: Action
    allowed_from: frozenset[NominationStatus]
    to_status: NominationStatus


RULES = {
    Action.APPROVE: Rule(Action.APPROVE, frozenset({NominationStatus.SUBMITTED}), NominationStatus.APPROVED),
    Action.REJECT: Rule(
        Action.REJECT, frozenset({NominationStatus.SUBMITTED, NominationStatus.APPROVED}), NominationStatus.REJECTED
    ),
    Action.WITHDRAW: Rule(Action.WITHDRAW, EDITABLE, NominationStatus.WITHDRAWN),
    Action.GRANT: Rule(Action.GRANT, frozenset({NominationStatus.APPROVED}), NominationStatus.GRANTED),
    Action.REVOKE: Rule(Action.REVOKE, frozenset({NominationStatus.GRANTED}), NominationStatus.REVOKED),
    Action.RETURN: Rule(Action.RETURN, frozenset({NominationStatus.SUBMITTED}), NominationStatus.RETURNED),
    Action.RESUBMIT: Rule(Action.RESUBMIT, frozenset({NominationStatus.RETURNED}), NominationStatus.SUBMITTED),
}
# The actions that need a reason (the service refuses them without one, 400 on `reason`).
NEEDS_REASON = frozenset({Action.REJECT, Action.RETURN})


def quota_delta(before: str, after: str) -> int:
    """+1 when the change takes a place in the category's quota, -1 when it gives one back."""
    return int(after in HOLDS_QUOTA) - int(before in HOLDS_QUOTA)


def refusal(rule: Rule, status: str) -> str | None:
    """Why `rule` cannot apply to a nomination in `status`, or None when it can."""
    if status in rule.allowed_from:
        return None
    if status == rule.to_status:
        return f"the nomination is already {status}"
    allowed = " or ".join(sorted(rule.allowed_from))
    return f"the nomination is {status}; only a {allowed} nomination can be {rule.to_status}"


def check(rule: Rule, status: str) -> None:
    """Refuse (409 on `status`) unless `rule` applies to a nomination in `status`."""
    why = refusal(rule, status)
    if why:
        raise Conflict(why, field="status")


def quota_full(quota: int) -> Conflict:
    """The refusal of an approval that would take a place beyond the category's quota."""
    return Conflict(
        f"the category's quota is full: it already holds {quota} approved or granted nominations", kind="quota-full"
    )


def check_vote(status: str) -> None:
    """Votes are cast on a submitted nomination only: after the decision they would change nothing."""
    if status != NominationStatus.SUBMITTED:
        raise Conflict(f"the nomination is {status}; votes are cast only on a submitted nomination", field="status")


def check_editable(status: str) -> None:
    """The achievements are edited while the committee has not decided: submitted or returned (409 after)."""
    if status not in EDITABLE:
        raise Conflict(
            f"the nomination is {status}; only a submitted or returned nomination can be edited", field="status"
        )


def is_award(status: str) -> bool:
    """Is a nomination in `status` an award (granted, or granted and then revoked)?"""
    return status in AWARDED
