"""Every name the units service stores: NFC, white space folded, nothing invisible.

The schemas check length and type; what is left after normalisation is
checked here, so a name of spaces or one carrying control characters is a 400
that names its field, never a database refusal.
"""

from __future__ import annotations

import unicodedata

from shared.problems import FieldError, Problem
from shared.text import nfc

# Control characters, lone surrogates, unassigned and private-use code points:
# nothing a name typed in Word or Excel holds, and NUL cannot be stored at all.
_REFUSED = {"Cc", "Cs", "Cn", "Co"}


def problem_in(value: str) -> str | None:
    """Why `value` (already NFC) cannot be a name, or None when it can."""
    if not value:
        return "must not be empty or only spaces"
    bad = next((c for c in value if unicodedata.category(c) in _REFUSED), None)
    if bad is not None:
        return f"must not contain the control character U+{ord(bad):04X}"
    return None


def clean(value: str, field: str) -> str:
    """`value` as stored: NFC, single spaces; 400 naming `field` when nothing printable is left."""
    normal = nfc(value)
    reason = problem_in(normal)
    if reason:
        raise Problem(400, f"{field} {reason}", errors=[FieldError(field, reason)])
    return normal


def clean_optional(value: str | None, field: str) -> str | None:
    """An optional text: empty after normalisation means absent."""
    if value is None:
        return None
    normal = nfc(value)
    if not normal:
        return None
    return clean(normal, field)
