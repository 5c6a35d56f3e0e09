"""The life of a nomination, as plain rules that know nothing of HTTP or SQL.

    submitted -> approved | rejected | withdrawn
    approved  -> granted (by a decision) | rejected (the committee changes its mind)
    granted   -> revoked

A category's quota bounds its approved and granted nominations together:
approval takes a place, a rejection after approval or a revocation gives it
back. Submitted, approved and granted nominations are "live": a nominee holds
at most one live nomination per category.
"""

from __future__ import annotations

from dataclasses import dataclass

LIVE = frozenset({"submitted", "approved", "granted"})
HOLDS_QUOTA = frozenset({"approved", "granted"})


@dataclass(frozen=True, slots=True)
class Rule:
    action: str
    allowed_from: frozenset[str]
    to_status: str


RULES = {
    "approve": Rule("approve", frozenset({"submitted"}), "approved"),
    "reject": Rule("reject", frozenset({"submitted", "approved"}), "rejected"),
    "withdraw": Rule("withdraw", frozenset({"submitted"}), "withdrawn"),
    "grant": Rule("grant", frozenset({"approved"}), "granted"),
    "revoke": Rule("revoke", frozenset({"granted"}), "revoked"),
}


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
