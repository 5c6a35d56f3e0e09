"""The public roll's query parameters, read the same way by the JSON list, the
CSV export, the stats and the web page.

Read by hand rather than by the framework so that the web page's form, which
sends an empty value for "all", means "no filter", and so that every bad value
is a 400 naming its parameter and an unknown id a 404, never a 500.
"""

from __future__ import annotations

import unicodedata
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

import asyncpg

from shared.pagination import DEFAULT_LIMIT, MAX_LIMIT, decode_cursor
from shared.problems import FieldError, Problem
from shared.text import fold, nfc

from .. import repository
from ..repository import RollFilter, RollKey

MAX_Q = 200
MAX_WORDS = 20
MIN_YEAR, MAX_YEAR = 1900, 2100
KINDS = ("collective", "individual")

# For the OpenAPI page.
DESCRIPTIONS = {
    "campaign_id": "only this emulation campaign",
    "year": f"only campaigns of this year ({MIN_YEAR}..{MAX_YEAR})",
    "unit_id": "only this unit and every unit below it",
    "kind": "collective or individual",
    "category_id": "only this award category",
    "ceremony_id": "only the honourees presented at this ceremony",
    "q": f"words of the name or unit, ignoring case and diacritics (at most {MAX_Q} characters)",
    "limit": f"1..{MAX_LIMIT}, default {DEFAULT_LIMIT}",
    "cursor": "the next_cursor of the previous page",
}


@dataclass(frozen=True, slots=True)
class RollQuery:
    filter: RollFilter
    q: str  # as typed, NFC: the web page shows it back
    after: RollKey | None
    limit: int


def _bad(field: str, message: str) -> Problem:
    return Problem(400, f"{field}: {message}", errors=[FieldError(field, message)])


def _value(params: Mapping[str, str], name: str) -> str | None:
    value = params.get(name)
    if value is None:
        return None
    value = value.strip()
    return value or None


def _uuid(params: Mapping[str, str], name: str) -> uuid.UUID | None:
    value = _value(params, name)
    if value is None:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        raise _bad(name, "is not a valid id (a UUID)") from None


def _year(params: Mapping[str, str]) -> int | None:
    value = _value(params, "year")
    if value is None:
        return None
    if not (value.isascii() and value.isdigit() and len(value) == 4) or not MIN_YEAR <= int(value) <= MAX_YEAR:
        raise _bad("year", f"must be a year from {MIN_YEAR} to {MAX_YEAR}, like 2024")
    return int(value)


def _words(params: Mapping[str, str]) -> tuple[str, tuple[str, ...]]:
    raw = params.get("q") or ""
    if len(raw) > MAX_Q:
        raise _bad("q", f"is at most {MAX_Q} characters; this one has {len(raw)}")
    if any(unicodedata.category(c) in ("Cc", "Cs", "Co") and not c.isspace() for c in raw):
        raise _bad("q", "holds control characters")
    text = nfc(raw)
    words = tuple(dict.fromkeys(w for w in fold(text).split() if w))
    if len(words) > MAX_WORDS:
        raise _bad("q", f"at most {MAX_WORDS} words")
    return text, words


def _limit(params: Mapping[str, str], default: int) -> int:
    value = _value(params, "limit")
    if value is None:
        return default
    if not (value.isascii() and value.isdigit()) or not 1 <= int(value[:4]) <= MAX_LIMIT or len(value) > 3:
        raise _bad("limit", f"must be a whole number from 1 to {MAX_LIMIT}")
    return int(value)


def _cursor(params: Mapping[str, str]) -> RollKey | None:
    value = _value(params, "cursor")
    if value is None:
        return None
    if len(value) > 2000:
        raise _bad("cursor", "is not valid; start again without it")
    key = decode_cursor(value, (int, str, uuid.UUID))
    assert key is not None
    group, sort_key, award_id = key
    if group not in (0, 1) or "\x00" in sort_key or len(sort_key) > 4000:
        raise _bad("cursor", "is not valid; start again without it")
    return (group, sort_key, award_id)


async def parse(
    params: Mapping[str, str], pool: asyncpg.Pool, *, paged: bool = True, default_limit: int = DEFAULT_LIMIT
) -> RollQuery:
    """The query, checked: 400 for a malformed value, 404 for an id not known here."""
    kind = _value(params, "kind")
    if kind is not None and kind not in KINDS:
        raise _bad("kind", "must be collective or individual")
    text, words = _words(params)
    f = RollFilter(
        campaign_id=_uuid(params, "campaign_id"),
        year=_year(params),
        unit_id=_uuid(params, "unit_id"),
        kind=kind,
        category_id=_uuid(params, "category_id"),
        ceremony_id=_uuid(params, "ceremony_id"),
        words=words,
    )
    after = _cursor(params) if paged else None
    limit = _limit(params, default_limit) if paged else 0
    missing = []
    if f.campaign_id and not await repository.campaign_exists(pool, f.campaign_id):
        missing.append(FieldError("campaign_id", f"no campaign {f.campaign_id} is on the roll"))
    if f.unit_id and not await repository.unit_exists(pool, f.unit_id):
        missing.append(FieldError("unit_id", f"no unit {f.unit_id} is known"))
    if f.category_id and not await repository.category_exists(pool, f.category_id):
        missing.append(FieldError("category_id", f"no award category {f.category_id} is known"))
    if f.ceremony_id and not await repository.ceremony_exists(pool, f.ceremony_id):
        missing.append(FieldError("ceremony_id", f"no ceremony {f.ceremony_id} is known"))
    if missing:
        raise Problem(404, "; ".join(e.message for e in missing), errors=missing)
    return RollQuery(filter=f, q=text, after=after, limit=limit)
