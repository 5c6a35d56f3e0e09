"""Who may act on, or see, which nomination or award, beyond the role guards of the calls.

An officer acts for its unit's subtree (`Principal.scope_unit_id`): it sees
the nominations of units there, and withdraws those submitted from there or,
when no officer submitted it, those for a nominee there. Committee and admin
see revoked awards; everyone else sees only the granted ones.
"""

from __future__ import annotations

import uuid

from shared.errors import Forbidden
from shared.roles import Role

from .lifecycle import AWARDED
from .statuses import NominationStatus


def responsible_unit(submitting_unit_id: uuid.UUID | None, unit_id: uuid.UUID) -> uuid.UUID:
    """The unit whose officers (and the officers above it) act for a nomination."""
    return submitting_unit_id or unit_id


def check_acts_for(in_scope: bool) -> None:
    if not in_scope:
        raise Forbidden("only an officer of the submitting unit (or a unit above it) may do this")


def check_sees(in_scope: bool) -> None:
    if not in_scope:
        raise Forbidden("an officer sees only the nominations of its own unit and the units below it")


REVOKED_READERS = frozenset({Role.COMMITTEE, Role.ADMIN})


def sees_revoked(role: str | None) -> bool:
    return role in REVOKED_READERS


def award_visible(status: str, *, revoked_too: bool) -> bool:
    """Is a nomination in `status` an award this caller may see?"""
    return status in AWARDED and (status != NominationStatus.REVOKED or revoked_too)
