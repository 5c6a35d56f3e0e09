"""The console's own rules, in plain code: what a session may last, who sees which page and link,
how the services' statuses read in Vietnamese, and where a sign-in may send the browser next.

The console holds no business data: every rule about nominations, quotas and
decisions stays the services' rule. What is here is only what a web console
decides for itself.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from shared.roles import Role

# ------------------------------------------------------------------ sessions
# A session ends after this long without a request, and in any case after MAX_AGE.
IDLE_LIMIT = timedelta(minutes=30)
MAX_AGE = timedelta(hours=12)
# The access token is refreshed when it has less than this left, so no service call meets an expired one.
REFRESH_MARGIN = timedelta(seconds=60)
# `last_seen_at` is written at most this often: a page costs no database write most of the time.
TOUCH_EVERY = timedelta(seconds=60)


@dataclass(frozen=True, slots=True)
class SessionTimes:
    created_at: datetime
    last_seen_at: datetime
    access_expires_at: datetime


def session_over(times: SessionTimes, now: datetime) -> bool:
    """Has the session passed its idle limit or its maximum age?"""
    return now - times.last_seen_at > IDLE_LIMIT or now - times.created_at > MAX_AGE


def needs_refresh(times: SessionTimes, now: datetime) -> bool:
    return times.access_expires_at - now < REFRESH_MARGIN


def needs_touch(times: SessionTimes, now: datetime) -> bool:
    return now - times.last_seen_at > TOUCH_EVERY


def safe_next(target: str | None, default: str = "/") -> str:
    """Where to go after signing in: a path of this site only (never `//host` or `https://host`)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    if any(ord(c) < 0x20 or c == "\x7f" for c in target):
        return default
    return target


# ------------------------------------------------------------------ who sees what
ROLE_NAMES: dict[str, str] = {
    Role.ADMIN: "Quản trị hệ thống",
    Role.COMMITTEE: "Thường trực Hội đồng",
    Role.OFFICER: "Cán bộ đơn vị",
}


@dataclass(frozen=True, slots=True)
class Link:
    path: str
    text: str


# The links of UI.md by role, in the order they are shown (`nav_for` adds the pages several roles share).
NAV: dict[str, tuple[Link, ...]] = {
    Role.OFFICER: (Link("/nominations", "Hồ sơ đề nghị"), Link("/nominations/new", "Đề nghị mới")),
    Role.COMMITTEE: (
        Link("/nominations", "Hồ sơ đề nghị"),
        Link("/review", "Xét duyệt"),
        Link("/decisions", "Quyết định"),
    ),
    Role.ADMIN: (Link("/nominations", "Hồ sơ đề nghị"),),
}
# The committee's campaigns and ceremonies, after each role's links above (officers read the campaigns).
NAV_CAMPAIGNS = Link("/campaigns", "Phong trào")
NAV_NOTICES = Link("/notices", "Niêm yết")  # what is on public notice (committee, admin)
NAV_CEREMONIES = Link("/ceremonies", "Lễ khen thưởng")
# Carrying out a directive: officers report their units' programmes and sessions, the committee follows.
NAV_DIRECTIVES = Link("/directives", "Chương trình hành động")
# The admin's pages (people also for officers: those of their subtree), last.
NAV_PEOPLE = Link("/people", "Người")
NAV_ADMIN = (Link("/units", "Đơn vị"), Link("/accounts", "Tài khoản"))
PEOPLE_KEEPERS = frozenset({Role.OFFICER, Role.ADMIN})

# The pages and actions each role may use (the services decide the rest, nomination by nomination).
NOMINATORS = frozenset({Role.OFFICER, Role.ADMIN})  # new nominations, withdrawal
UNIT_OFFICERS = frozenset({Role.OFFICER})  # edit a submitted or returned nomination's achievements, resubmit it
REVIEWERS = frozenset({Role.COMMITTEE})  # votes, approval, rejection, decisions
READERS_OF_REVIEW = frozenset({Role.COMMITTEE, Role.ADMIN})  # the review queue and the decisions, read only for admin
CAMPAIGN_MANAGERS = frozenset({Role.COMMITTEE, Role.ADMIN})  # create campaigns, add and edit categories, close, reopen
CAMPAIGN_READERS = frozenset({Role.OFFICER, Role.COMMITTEE, Role.ADMIN})
REVOKERS = frozenset({Role.COMMITTEE})  # the awards service lets only the committee revoke
CEREMONY_MANAGERS = frozenset({Role.COMMITTEE, Role.ADMIN})  # the events service lets both plan and hold
DIRECTIVE_READERS = frozenset({Role.OFFICER, Role.COMMITTEE, Role.ADMIN})  # figures, charts, the report
DIRECTIVE_REPORTERS = frozenset({Role.OFFICER, Role.ADMIN})  # a unit's programme and sessions (events decides)
DIRECTIVE_ISSUERS = frozenset({Role.COMMITTEE, Role.ADMIN})  # a new directive, for campaigns


def nav_for(role: str) -> tuple[Link, ...]:
    links = NAV.get(role, ())
    if role in READERS_OF_REVIEW:
        links = (*links, NAV_NOTICES)
    if role in CAMPAIGN_READERS:
        links = (*links, NAV_CAMPAIGNS)
    if role in CEREMONY_MANAGERS:
        links = (*links, NAV_CEREMONIES)
    if role in DIRECTIVE_READERS:
        links = (*links, NAV_DIRECTIVES)
    if role in PEOPLE_KEEPERS:
        links = (*links, NAV_PEOPLE)
    if role == Role.ADMIN:
        links = (*links, *NAV_ADMIN)
    return links


# ------------------------------------------------------------------ the services' words in Vietnamese
STATUS_NAMES = {
    "submitted": "Đã gửi",
    "returned": "Trả lại",
    "approved": "Đã duyệt",
    "rejected": "Không duyệt",
    "withdrawn": "Đã rút",
    "granted": "Đã khen thưởng",
    "revoked": "Đã thu hồi",
}
# What the awards service filters nominations on.
FILTER_STATUSES = ("submitted", "returned", "approved", "rejected", "withdrawn", "granted", "revoked")

ACTION_NAMES = {
    "submit": "Gửi đề nghị",
    "create": "Gửi đề nghị",
    "approve": "Duyệt",
    "reject": "Không duyệt",
    "withdraw": "Rút đề nghị",
    "grant": "Khen thưởng",
    "revoke": "Thu hồi",
    "return": "Trả lại",
    "resubmit": "Gửi lại",
    "edit": "Sửa thành tích",
    "attach": "Đính kèm tệp",
    "detach": "Xóa tệp đính kèm",
    "vote": "Bỏ phiếu",
}

KIND_NAMES = {"collective": "Tập thể", "individual": "Cá nhân"}
CAMPAIGN_STATUS_NAMES = {"open": "Đang nhận đề nghị", "closed": "Đã đóng"}
CEREMONY_STATUS_NAMES = {"planned": "Dự kiến", "held": "Đã tổ chức"}


def status_name(status: str) -> str:
    return STATUS_NAMES.get(status, status)


def action_name(action: str) -> str:
    return ACTION_NAMES.get(action, action)


# ------------------------------------------------------------------ what a form sends
def parse_uuid(value: str | None) -> uuid.UUID | None:
    """A UUID from a form or a query, or None for anything else (never a path segment made of user text)."""
    if not value:
        return None
    try:
        return uuid.UUID(value.strip())
    except ValueError:
        return None


def textarea(value: str) -> str:
    """A textarea's text as typed: browsers send its line breaks as CR LF, the services store LF."""
    return value.replace("\r\n", "\n").replace("\r", "\n")


# A nominee in the form's select names its kind with its id: "unit:<id>" or "person:<id>".
NOMINEE_FIELDS = {"unit": "nominee_unit_id", "person": "nominee_person_id"}


def parse_nominee(value: str | None) -> tuple[str, uuid.UUID] | None:
    """The nominee a form names, as the awards service's field and the id; None when it names none."""
    if not value or ":" not in value:
        return None
    kind, _, ident = value.partition(":")
    field = NOMINEE_FIELDS.get(kind)
    parsed = parse_uuid(ident)
    if field is None or parsed is None:
        return None
    return field, parsed


def nominee_value(kind: str, ident: object) -> str:
    return f"{'unit' if kind == 'collective' else 'person'}:{ident}"


# ------------------------------------------------------------------ speed
# A page that lists nominations costs at most this many calls to the services (the nominations, and
# the campaigns that name their categories), whatever the number listed; a token refresh, once in
# a quarter of an hour, is on top. Each answer says how many it took (`Server-Timing`).
LIST_PAGE_CALLS = 2
PAGE_SIZE = 50
