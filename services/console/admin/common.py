"""What the admin's pages share: a form's text, the units to pick from (found by an accent-free search
of the units service), the names of the units a list mentions, and a refusal as the form's field errors."""

from __future__ import annotations

import asyncio
from typing import Any

from shared.roles import Role

from .. import domain
from ..client import Api, Refused
from ..session.service import Session

UNITS_SHOWN = 50  # a unit select lists at most this many; `Tìm đơn vị` narrows it

UNIT_KIND_NAMES = {
    "party_committee": "Cấp ủy đảng",
    "grassroots_party_org": "Tổ chức cơ sở đảng",
    "government_agency": "Cơ quan nhà nước",
    "fatherland_front": "Mặt trận Tổ quốc",
    "mass_organization": "Đoàn thể chính trị – xã hội",
    "other": "Khác",
}
ROLE_CHOICES = [(r.value, domain.ROLE_NAMES[r]) for r in (Role.OFFICER, Role.COMMITTEE, Role.ADMIN)]


def text(form: Any, name: str, limit: int = 20_000) -> str:
    """A form field's text, or '' when it is missing or a file; cut at `limit` (the service says what is too long)."""
    value = form.get(name)
    return value[:limit] if isinstance(value, str) else ""


def form_errors(exc: Refused, fields: dict[str, str]) -> tuple[dict[str, str], str | None]:
    """A service's refusal as the form's errors (its words, next to the fields it names) and its detail."""
    errors: dict[str, str] = {}
    for e in exc.errors:
        target = fields.get(e.field)
        if target:
            errors.setdefault(target, e.message)
    return errors, exc.detail


def scope_of(session: Session) -> str | None:
    """The subtree an officer acts in (None: the whole tree, for the admin)."""
    return str(session.unit_id) if session.role == Role.OFFICER and session.unit_id else None


async def unit_choices(api: Api, session: Session, q: str, chosen: str | None) -> tuple[list[dict[str, Any]], bool]:
    """The units a select offers: those of the user's reach whose name matches `q` (accent-free) or whose
    code is `q`, and the one already chosen even when the search leaves it out. Returns them and whether
    there were more than shown."""
    want = domain.parse_uuid(chosen)
    calls = [api.get("units", "/units", {"under_id": scope_of(session), "q": q or None, "limit": UNITS_SHOWN})]
    if want is not None:
        calls.append(api.get("units", f"/units/{want}"))
    results = await asyncio.gather(*calls, return_exceptions=True)
    page = results[0]
    if isinstance(page, BaseException):
        raise page
    units: list[dict[str, Any]] = list(page["items"])
    if want is not None and isinstance(results[1], dict) and all(str(u["id"]) != str(want) for u in units):
        units.insert(0, results[1])
    return units, bool(page.get("next_cursor"))


async def unit_names(api: Api, ids: set[str]) -> dict[str, str]:
    """The names of these units, asked together (one call per unit: the units service has no batch call)."""
    wanted = sorted(i for i in ids if domain.parse_uuid(i) is not None)
    found = await asyncio.gather(*(api.get("units", f"/units/{i}") for i in wanted), return_exceptions=True)
    return {i: u["name"] for i, u in zip(wanted, found, strict=True) if isinstance(u, dict)}
