"""The public's say: an approved nomination's public notice, the objections to it, and what they hold back.

A category's `comment_working_days` > 0 puts each nomination it approves on
public notice from the approval day through the last of that many working days
after it (`calendar.window_end`, Vietnam's working days). Anyone may object
meanwhile; the committee resolves each objection. A decision may grant a
nomination only once its window has ended and every objection to it is
resolved, so that the public's say is heard before the award (Luật Thi đua,
khen thưởng 06/2022/QH15 and Nghị định 98/2023/NĐ-CP provide for publicising
the list before an award; the exact article is not confirmed here).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from shared.errors import Conflict, FieldError

from . import calendar

# The public's objections: at most this many per client address in a sliding hour, and per nomination in one.
PER_CLIENT_PER_HOUR = 5
PER_NOMINATION_PER_HOUR = 100
RATE_WINDOW = timedelta(hours=1)

# What an objection may hold (characters, after NFC).
NAME_MAX = 200
CONTACT_MAX = 300
CONTENT_MAX = 5000
RESOLUTION_MAX = 5000


class ObjectionStatus:
    OPEN = "open"
    RESOLVED = "resolved"


@dataclass(frozen=True, slots=True)
class Window:
    """An approval's day and the last day of its public notice (None: the category has no notice)."""

    approved_on: date
    comment_until: date | None


def window(approved_on: date, working_days: int) -> Window:
    """The notice of a nomination approved on `approved_on` in a category of `working_days` (409 off the table)."""
    if working_days <= 0:
        return Window(approved_on, None)
    return Window(approved_on, calendar.window_end(approved_on, working_days))


def on_notice(comment_until: date | None, today: date) -> bool:
    """Whether the window still runs on `today` (its last day included)."""
    return comment_until is not None and today <= comment_until


def check_open_for_objections(comment_until: date | None, today: date) -> None:
    """409 once the window has ended (a nomination never on notice is the caller's 404)."""
    if comment_until is not None and today > comment_until:
        raise Conflict(
            f"the public notice of this nomination ended on {comment_until.isoformat()}: objections are closed",
            kind="notice-ended",
        )


@dataclass(frozen=True, slots=True)
class Held:
    """A listed nomination's notice as it stands: its nominee, its window's last day, its open objections."""

    name: str
    comment_until: date | None
    open_objections: int


def check_decidable(nomination_ids: Sequence[uuid.UUID], held: dict[uuid.UUID, Held], today: date) -> None:
    """409 naming every listed nominee still on notice or with an unresolved objection; else nothing."""
    refused: list[FieldError] = []
    for i, nid in enumerate(nomination_ids):
        h = held.get(nid)
        if h is None:
            continue
        reasons = []
        if on_notice(h.comment_until, today):
            assert h.comment_until is not None
            reasons.append(f"is on public notice until {h.comment_until.strftime('%d/%m/%Y')}")
        if h.open_objections:
            reasons.append(f"has {h.open_objections} unresolved objection(s)")
        if reasons:
            refused.append(FieldError(f"nomination_ids[{i}]", f"{h.name} {' and '.join(reasons)}"))
    if refused:
        names = "; ".join(e.message for e in refused)
        raise Conflict(
            f"the public has not had its say on {len(refused)} of the listed nominations: {names}",
            errors=refused,
            kind="on-notice",
        )


def retry_after(oldest_counted: datetime, now: datetime) -> int:
    """Seconds until the oldest objection counted against a limit leaves the sliding hour (at least 1)."""
    wait = (oldest_counted + RATE_WINDOW - now).total_seconds()
    return max(1, int(wait) + (0 if wait == int(wait) else 1))
