"""What the awards routes share: cleaning text on the way in, and the caller's scope."""

from __future__ import annotations

import unicodedata
import uuid

from shared.auth import Principal
from shared.problems import FieldError, Problem
from shared.text import nfc


def line(value: str, field: str) -> str:
    """One line of text: NFC, white space folded; blank is refused."""
    cleaned = nfc(value)
    if not cleaned:
        raise Problem(400, f"{field} must not be blank", errors=[FieldError(field, "blank")])
    return cleaned


def text(value: str, field: str) -> str:
    """Several lines of text (a record of merit): NFC, its ends trimmed, line breaks kept; blank is refused."""
    cleaned = unicodedata.normalize("NFC", value).strip()
    if not cleaned:
        raise Problem(400, f"{field} must not be blank", errors=[FieldError(field, "blank")])
    return cleaned


def optional_text(value: str | None, field: str) -> str | None:
    if value is None:
        return None
    cleaned = unicodedata.normalize("NFC", value).strip()
    return cleaned or None


def officer_scope(principal: Principal) -> uuid.UUID | None:
    """The unit whose subtree an officer acts for; None for the roles that see everything."""
    if principal.role == "officer":
        if principal.unit_id is None:  # tokens of officers always name a unit; refuse rather than widen
            raise Problem(403, "this officer account is bound to no unit")
        return principal.unit_id
    return None
