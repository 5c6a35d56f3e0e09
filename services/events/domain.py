"""The events service's rules, in plain Python: no SQL, no HTTP, no I/O.

- The roll: an event changes it only when newer than what it holds; a revoked
  award stays as a tombstone, so an older grant arriving late cannot bring it
  back; the public sees granted awards only (docs/architecture.md, The messages and What is public).
- A search: how much a citizen may type, which years and kinds exist, and what
  a word matches.
- Ceremonies: what one honours (the granted honourees of its campaigns decided
  by its day, not presented before), that it is held once and not before its
  day (Vietnam's day), and what a plan must name.

The SQL that applies these rules to many rows at once (the projection's
guarded upserts, the stamping of a held ceremony, its counts) says so where it
does; `tests/events/test_domain.py` pins each rule.
"""

from __future__ import annotations

import unicodedata
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from enum import StrEnum

from shared.errors import Conflict, FieldError, Invalid
from shared.text import fold, nfc


# ------------------------------------------------------------------ the roll
class RollStatus(StrEnum):
    """An award on the roll (`honorees.status`, as its CHECK constraint allows)."""

    GRANTED = "granted"
    REVOKED = "revoked"  # a tombstone: kept, never shown


class Kind(StrEnum):
    """Who is honoured: a collective or an individual (the awards' nominee kinds)."""

    COLLECTIVE = "collective"
    INDIVIDUAL = "individual"


def is_newer(version: int, held: int | None) -> bool:
    """Whether an event of `version` changes what the read model holds (`held`: its version, None for nothing).

    Each event carries its aggregate's whole state, so the newest wins and a
    late, repeated or replayed one changes nothing.
    """
    return held is None or version > held


@dataclass(frozen=True, slots=True)
class Entry:
    """What the roll holds of one award: its status and the version of the event that set it."""

    status: RollStatus
    version: int


def apply(held: Entry | None, status: RollStatus, version: int) -> Entry | None:
    """The award's entry after a grant or revoke of `version`, or None when the event changes nothing.

    A revoke that arrives before its grant still leaves its entry: that
    tombstone is what keeps the older grant, when it comes, off the roll.
    """
    if not is_newer(version, held.version if held is not None else None):
        return None
    return Entry(status, version)


def is_public(status: RollStatus) -> bool:
    """The public roll shows granted awards only; a revoked one is a tombstone."""
    return status == RollStatus.GRANTED


# ------------------------------------------------------------------ searches
MAX_Q = 200
MAX_WORDS = 20
MIN_YEAR, MAX_YEAR = 1900, 2100
# Words this long are found anywhere in a name through the trigram index;
# shorter ones have no trigram, and match the start of a word ("an" finds
# "An" and "Anh", not "Lan"), which is what a person typing two letters means.
TRIGRAM = 3


def bad(field: str, message: str) -> Invalid:
    """A 400 naming the parameter at fault: "year: must be ..."."""
    return Invalid(f"{field}: {message}", errors=[FieldError(field, message)])


def search_words(raw: str) -> tuple[str, tuple[str, ...]]:
    """What was typed (NFC, for showing back) and its distinct folded words, each of which must match."""
    if len(raw) > MAX_Q:
        raise bad("q", f"is at most {MAX_Q} characters; this one has {len(raw)}")
    if any(unicodedata.category(c) in ("Cc", "Cs", "Co") and not c.isspace() for c in raw):
        raise bad("q", "holds control characters")
    text = nfc(raw)
    words = tuple(dict.fromkeys(w for w in fold(text).split() if w))
    if len(words) > MAX_WORDS:
        raise bad("q", f"at most {MAX_WORDS} words")
    return text, words


def word_matches(word: str, token: str) -> bool:
    """Whether a folded search word matches a folded word of a name or unit."""
    return word in token if len(word) >= TRIGRAM else token.startswith(word)


def year(value: str) -> int:
    """A campaign year as typed: four digits, within the years the roll can hold."""
    if not (value.isascii() and value.isdigit() and len(value) == 4) or not MIN_YEAR <= int(value) <= MAX_YEAR:
        raise bad("year", f"must be a year from {MIN_YEAR} to {MAX_YEAR}, like 2024")
    return int(value)


def kind(value: str) -> Kind:
    try:
        return Kind(value)
    except ValueError:
        raise bad("kind", "must be collective or individual") from None


# ---------------------------------------------------------------- ceremonies
class CeremonyStatus(StrEnum):
    """A ceremony's status (`ceremonies.status`, as its CHECK constraint allows)."""

    PLANNED = "planned"
    HELD = "held"


VIETNAM = timezone(timedelta(hours=7))  # no daylight saving


def vietnam_day(now: datetime) -> date:
    """The day it is in Vietnam at `now`: a ceremony's day is the province's, not the server's."""
    return now.astimezone(VIETNAM).date()


def ceremony_text(value: str, field: str) -> str:
    """A ceremony's title or venue as stored: NFC, single spaces, never blank."""
    cleaned = nfc(value)
    if not cleaned:
        raise bad(field, "must not be blank")
    return cleaned


def distinct_campaigns(campaign_ids: Sequence[uuid.UUID]) -> list[uuid.UUID]:
    """The campaigns a ceremony is for, each once, in the order first named."""
    return list(dict.fromkeys(campaign_ids))


def check_plan(
    host_unit_id: uuid.UUID, host_known: bool, campaign_ids: Sequence[uuid.UUID], known: Iterable[uuid.UUID]
) -> None:
    """A ceremony is hosted by a unit and held for campaigns that this service knows of."""
    errors: list[FieldError] = []
    if not host_known:
        errors.append(FieldError("host_unit_id", f"no unit {host_unit_id} is known here"))
    found = set(known)
    for i, cid in enumerate(campaign_ids):
        if cid not in found:
            errors.append(FieldError(f"campaign_ids[{i}]", f"no campaign {cid} is known here"))
    if errors:
        raise Invalid("; ".join(e.message for e in errors), errors=errors)


def check_hold(status: CeremonyStatus, held_on: date, today: date) -> None:
    """A ceremony is held once, and on or after its day."""
    if status == CeremonyStatus.HELD:
        raise Conflict("the ceremony has already been held", field="status")
    if held_on > today:
        raise Conflict(
            f"the ceremony is planned for {held_on.isoformat()}; it can be held from that day on", field="held_on"
        )


def presents(
    campaign_ids: Iterable[uuid.UUID],
    held_on: date,
    *,
    campaign_id: uuid.UUID,
    decision_date: date,
    status: RollStatus,
    presented: bool,
) -> bool:
    """Whether a ceremony held on `held_on` for `campaign_ids` presents an award on the roll.

    It honours the granted honourees of its campaigns decided by its day; one
    presented at an earlier ceremony keeps that one. While planned, these are
    the honourees it is to present; once held, each of them carries it.
    """
    return is_public(status) and not presented and campaign_id in set(campaign_ids) and decision_date <= held_on


def presenting_ceremony(held: Iterable[tuple[date, uuid.UUID]], decision_date: date) -> uuid.UUID | None:
    """Of the held ceremonies of an award's campaign (day, id), the one that presented it: the first on or
    after its decision. A grant that reaches the roll after the ceremony was presented there all the same."""
    eligible = sorted((day, cid) for day, cid in held if day >= decision_date)
    return eligible[0][1] if eligible else None


# ------------------------------------------------------------ public notice
# An approved nomination of a category with a comment window is on public
# notice ("niêm yết lấy ý kiến") until the last day of that window, computed
# by the awards service (`comment_until`); anyone may send an objection during
# it. Public comment on those proposed for an award: Nghị định 98/2023/NĐ-CP,
# Điều 46 khoản 1 (as cited by the Ministry of Home Affairs' own notices; the
# article's text is not confirmed here).
class NoticeState(StrEnum):
    """A notice (`notices.state`, as its CHECK constraint allows)."""

    LISTED = "listed"  # approved, with a window: shown while the window runs
    CLOSED = "closed"  # rejected, withdrawn, returned or granted since: never shown again by an older event


class ObjectionStatus(StrEnum):
    """An objection as the awards service announces it (`notice_objections.status`)."""

    OPEN = "open"
    RESOLVED = "resolved"


def notice_after(status: str, comment_until: date | None) -> NoticeState:
    """What a nomination event of `status` makes of its notice: listed only when approved with a window.

    A granted nomination leaves the notice too: a decision waits for the
    window's end (the awards service refuses it before), so by then the
    window is over, and the roll shows the award.
    """
    return NoticeState.LISTED if status == "approved" and comment_until is not None else NoticeState.CLOSED


def is_on_notice(comment_until: date, today: date) -> bool:
    """`comment_until` is the window's last day, in Vietnam: objections are taken through that whole day."""
    return today <= comment_until


# What a member of the public sends: bounded, so a page of notices cannot be flooded.
OBJECTION_LIMITS = {"name": 200, "contact": 200, "content": 5000}
# Objections accepted per client address in an hour, across every worker (the count is in the database).
OBJECTIONS_PER_HOUR = 5
OBJECTION_WINDOW_SECONDS = 3600.0


@dataclass(frozen=True, slots=True)
class ObjectionText:
    name: str
    contact: str
    content: str


def objection_text(name: str, contact: str, content: str) -> ObjectionText:
    """The objection as stored: NFC, no control characters (line breaks kept in the content), within bounds.

    400 naming every field at fault at once, so a form can say each beside its field.
    """
    errors: list[FieldError] = []
    cleaned: dict[str, str] = {}
    for field, raw in (("name", name), ("contact", contact), ("content", content)):
        if field == "content":
            value = unicodedata.normalize("NFC", raw.replace("\r\n", "\n").replace("\r", "\n")).strip()
            allowed = frozenset("\n\t")
        else:
            value = nfc(raw)
            allowed = frozenset()
        limit = OBJECTION_LIMITS[field]
        if not value:
            errors.append(FieldError(field, "is required"))
        elif any(c not in allowed and unicodedata.category(c) in ("Cc", "Cs", "Cn", "Co") for c in value):
            errors.append(FieldError(field, "must not contain control characters"))
        elif len(value) > limit:
            errors.append(FieldError(field, f"is at most {limit} characters; this one has {len(value)}"))
        cleaned[field] = value
    if errors:
        raise Invalid("; ".join(f"{e.field}: {e.message}" for e in errors), errors=errors)
    return ObjectionText(**cleaned)


def throttle_wait(accepted_in_window: int, oldest_age_seconds: float | None) -> float | None:
    """Seconds to wait before this address may send another objection, or None when it may now."""
    if accepted_in_window < OBJECTIONS_PER_HOUR or oldest_age_seconds is None:
        return None
    return max(1.0, OBJECTION_WINDOW_SECONDS - oldest_age_seconds)
