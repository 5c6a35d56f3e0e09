"""The rules of a directive and of what units report under it, in plain Python (no SQL, no HTTP).

- A directive is issued by a unit for campaigns this service knows, under a code no other directive has.
- A programme (chương trình hành động) is reported once per unit, by a unit strictly below the issuing
  one (the issuing unit's own programme is the directive), on or after the directive's day.
- A session (a study session, a training, a dialogue) is held by the issuing unit or one below it, on or
  after the directive's day, with 1 to 1,000,000 attendees.
- Who reports: an officer for a unit of its own subtree, or the admin (`check_scope`).
- An imported file's cells: dates as Excel or an office writes them, attendees with thousands separators,
  a session's kind in English or Vietnamese.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from enum import StrEnum

from shared.errors import FieldError, Forbidden, Invalid
from shared.text import fold, nfc, problem_in


class SessionKind(StrEnum):
    """What a reported activity was (`directive_sessions.kind`, as its CHECK allows)."""

    STUDY = "study"  # học tập, quán triệt
    TRAINING = "training"  # tập huấn, bồi dưỡng
    DIALOGUE = "dialogue"  # đối thoại
    OTHER = "other"


# A session's attendees: at least one, and no hall in a province holds more than a million.
MIN_ATTENDEES, MAX_ATTENDEES = 1, 1_000_000
# The days a directive and its reports may carry (a year typed as 20144 is a typo, not a plan).
MIN_DAY, MAX_DAY = date(1900, 1, 1), date(2100, 12, 31)
# Rows of one import at most (a province has some 15,000 units).
MAX_IMPORT_ROWS = 20_000
MAX_CODE, MAX_TEXT = 100, 1000

# How a file may spell a session's kind (folded: no case, no diacritics).
KIND_WORDS: dict[str, SessionKind] = {
    "study": SessionKind.STUDY,
    "hoc tap": SessionKind.STUDY,
    "quan triet": SessionKind.STUDY,
    "training": SessionKind.TRAINING,
    "tap huan": SessionKind.TRAINING,
    "boi duong": SessionKind.TRAINING,
    "dialogue": SessionKind.DIALOGUE,
    "doi thoai": SessionKind.DIALOGUE,
    "other": SessionKind.OTHER,
    "khac": SessionKind.OTHER,
}


# The errors a refusal lists at most: a file of 20,000 bad rows is told about its first 500.
MAX_ERRORS = 500


def errors_to_invalid(errors: list[FieldError]) -> Invalid:
    shown = "; ".join(f"{e.field}: {e.message}" for e in errors[:20])
    more = f" (and {len(errors) - 20} more)" if len(errors) > 20 else ""
    return Invalid(shown + more, errors=errors[:MAX_ERRORS])


_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f")


def text(value: str, field: str, limit: int = MAX_TEXT) -> str:
    """A code, number or title as stored: NFC, single spaces, no control characters, not blank."""
    cleaned = nfc(value)
    reason = problem_in(cleaned) or (f"is at most {limit} characters" if len(cleaned) > limit else None)
    if not reason and (bidi := next((c for c in cleaned if c in _BIDI_CONTROLS), None)):
        # A report's number or title is read in the order typed: no character may reorder what follows it.
        reason = f"must not contain the direction control U+{ord(bidi):04X}"
    if reason:
        raise Invalid(f"{field} {reason}", field=field)
    return cleaned


def day(value: date, field: str) -> date:
    if not MIN_DAY <= value <= MAX_DAY:
        raise Invalid(f"{field} must be from {MIN_DAY.year} to {MAX_DAY.year}", field=field)
    return value


def distinct(ids: Sequence[uuid.UUID]) -> list[uuid.UUID]:
    return list(dict.fromkeys(ids))


def check_directive(
    issuing_unit_id: uuid.UUID, unit_known: bool, campaign_ids: Sequence[uuid.UUID], known: Iterable[uuid.UUID]
) -> None:
    """400 naming every id this service does not know: the issuing unit, each unknown campaign."""
    errors: list[FieldError] = []
    if not unit_known:
        errors.append(FieldError("issuing_unit_id", f"no unit {issuing_unit_id} is known here"))
    found = set(known)
    for i, cid in enumerate(campaign_ids):
        if cid not in found:
            errors.append(FieldError(f"campaign_ids[{i}]", f"no campaign {cid} is known here"))
    if errors:
        raise errors_to_invalid(errors)


def check_scope(role_acts_everywhere: bool, within_officer_subtree: bool, unit_id: uuid.UUID) -> None:
    """An officer reports for the units of its own subtree only; the admin for any."""
    if not role_acts_everywhere and not within_officer_subtree:
        raise Forbidden(f"unit {unit_id} is outside your unit's subtree", field="unit_id")


def placement_problem(*, known: bool, below: bool, is_issuer: bool, programme: bool) -> str | None:
    """Why a unit may not report under the directive, or None when it may.

    `below`: the unit is in the issuing unit's subtree (itself included). A programme comes from a unit
    strictly below the issuing one; a session may be the issuing unit's own.
    """
    if not known:
        return "is not a unit known here"
    if not below:
        return "is not under the directive's issuing unit"
    if programme and is_issuer:
        return "is the issuing unit: its programme is the directive itself"
    return None


def date_problem(value: date, directive_day: date) -> str | None:
    if not MIN_DAY <= value <= MAX_DAY:
        return f"must be from {MIN_DAY.year} to {MAX_DAY.year}"
    if value < directive_day:
        return f"must be on or after the directive's day, {directive_day.isoformat()}"
    return None


# ------------------------------------------------------------------ cells of an imported file
_DMY = re.compile(r"(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})")
_YMD = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00)?)?")
_COUNT = re.compile(r"\d{1,3}(?:([.,])\d{3})(?:\1\d{3})*|\d+")


def parse_day(cell: str) -> date | None:
    """A date as a file holds it: ISO (`2013-08-07`, or Excel's `2013-08-07 00:00:00`) or day first, as
    Vietnam writes it (`7/8/2013`, `07-08-2013`, `07.08.2013`); None when it is none of these."""
    cell = cell.strip()
    try:
        if m := _YMD.fullmatch(cell):
            return date(int(m[1]), int(m[2]), int(m[3]))
        if m := _DMY.fullmatch(cell):
            return date(int(m[3]), int(m[2]), int(m[1]))
    except ValueError:
        return None
    return None


def parse_count(cell: str) -> int | None:
    """A whole number as typed: `1234`, `1.234` or `1,234` (thousands); None otherwise."""
    cell = cell.strip().replace(" ", "").replace("\u00a0", "")
    if len(cell) > 20 or not _COUNT.fullmatch(cell):
        return None
    return int(re.sub(r"[.,]", "", cell))


def parse_kind(cell: str) -> SessionKind | None:
    return KIND_WORDS.get(" ".join(fold(cell).split()))


def month_of(value: date | datetime) -> date:
    return date(value.year, value.month, 1)
