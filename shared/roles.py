"""Who an account is: the three roles, a plain enum that rules may import without HTTP."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """The units service's `accounts.role` CHECK holds the same three."""

    ADMIN = "admin"  # manages units, people and accounts
    COMMITTEE = "committee"  # the standing committee: campaigns, review, decisions, ceremonies
    OFFICER = "officer"  # a unit's officer: its people and nominations, within its subtree
