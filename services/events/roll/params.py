"""The roll's query parameters, declared once for the JSON list, the CSV
export, the counts and the web page: the `filters` and `roll_page` dependencies
of the roll's controller.

Declared as text, not as ids and numbers, so that the web page's form, which
sends an empty value for "all", means "no filter", and so that every bad value
is a 400 naming its parameter (which the page explains in Vietnamese) and an
unknown id a 404, never a 500. They are checked only when an answer is
rendered: a cached one is found by the raw query string alone.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated

from litestar.params import Parameter

from shared.db import Queryable
from shared.errors import FieldError, NotFound
from shared.pagination import DEFAULT_LIMIT, MAX_LIMIT, Page, decode_cursor, page

from .. import domain
from ..domain import MAX_Q, MAX_YEAR, MIN_YEAR, bad
from . import queries
from .filters import RollFilter, RollKey
from .schemas import Honoree

FILTERS = ("q", "campaign_id", "year", "kind", "unit_id", "category_id", "ceremony_id")


def _value(value: str | None) -> str | None:
    """A parameter as the form sends it: blank is absent."""
    if value is None:
        return None
    return value.strip() or None


def _uuid(value: str | None, name: str) -> uuid.UUID | None:
    value = _value(value)
    if value is None:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        raise bad(name, "is not a valid id (a UUID)") from None


@dataclass(frozen=True, slots=True)
class RollParams:
    """The roll's filters and words, as sent."""

    campaign_id: str | None
    year: str | None
    unit_id: str | None
    kind: str | None
    category_id: str | None
    ceremony_id: str | None
    q: str | None

    def form(self) -> dict[str, str]:
        """The values as the page's form shows them back."""
        return {name: (getattr(self, name) or "").strip() for name in FILTERS}

    def filter(self) -> tuple[RollFilter, str]:
        """The filter, and the words as typed (NFC); 400 naming the first bad value."""
        kind = _value(self.kind)
        checked_kind = domain.kind(kind) if kind is not None else None
        text, words = domain.search_words(self.q or "")
        year = _value(self.year)
        f = RollFilter(
            campaign_id=_uuid(self.campaign_id, "campaign_id"),
            year=domain.year(year) if year is not None else None,
            unit_id=_uuid(self.unit_id, "unit_id"),
            kind=checked_kind,
            category_id=_uuid(self.category_id, "category_id"),
            ceremony_id=_uuid(self.ceremony_id, "ceremony_id"),
            words=words,
        )
        return f, text


@dataclass(frozen=True, slots=True)
class RollPaging:
    """A page of the roll, as sent: its size and the cursor of the page before."""

    limit: str | None
    cursor: str | None

    def size(self, default: int) -> int:
        value = _value(self.limit)
        if value is None:
            return default
        if not (value.isascii() and value.isdigit()) or not 1 <= int(value[:4]) <= MAX_LIMIT or len(value) > 3:
            raise bad("limit", f"must be a whole number from 1 to {MAX_LIMIT}")
        return int(value)

    def after(self) -> RollKey | None:
        value = _value(self.cursor)
        if value is None:
            return None
        if len(value) > 2000:
            raise bad("cursor", "is not valid; start again without it")
        key = decode_cursor(value, (int, str, uuid.UUID))
        assert key is not None
        group, sort_key, award_id = key
        if group not in (0, 1) or "\x00" in sort_key or len(sort_key) > 4000:
            raise bad("cursor", "is not valid; start again without it")
        return (group, sort_key, award_id)


@dataclass(frozen=True, slots=True)
class RollQuery:
    filter: RollFilter
    q: str  # as typed, NFC
    after: RollKey | None
    limit: int

    def page(self, rows: list[tuple[Honoree, RollKey]]) -> Page[Honoree]:
        """Rows fetched with LIMIT limit+1: the extra row says whether a next page exists."""
        found = page(rows, self.limit, key=lambda r: [r[1][0], r[1][1], str(r[1][2])])
        return Page(items=[h for h, _ in found.items], next_cursor=found.next_cursor)


async def resolve(
    conn: Queryable, params: RollParams, paging: RollPaging | None = None, *, default_limit: int = DEFAULT_LIMIT
) -> RollQuery:
    """The query, checked: 400 for a malformed value, 404 for an id not known here."""
    f, text = params.filter()
    after = paging.after() if paging is not None else None
    limit = paging.size(default_limit) if paging is not None else 0
    missing = []
    if f.campaign_id and not await queries.campaign_exists(conn, f.campaign_id):
        missing.append(FieldError("campaign_id", f"no campaign {f.campaign_id} is on the roll"))
    if f.unit_id and not await queries.unit_exists(conn, f.unit_id):
        missing.append(FieldError("unit_id", f"no unit {f.unit_id} is known"))
    if f.category_id and not await queries.category_exists(conn, f.category_id):
        missing.append(FieldError("category_id", f"no award category {f.category_id} is known"))
    if f.ceremony_id and not await queries.ceremony_exists(conn, f.ceremony_id):
        missing.append(FieldError("ceremony_id", f"no ceremony {f.ceremony_id} is known"))
    if missing:
        raise NotFound("filter", detail="; ".join(e.message for e in missing), errors=missing)
    return RollQuery(filter=f, q=text, after=after, limit=limit)


def provide_filters(
    campaign_id: Annotated[str | None, Parameter(description="only this emulation campaign")] = None,
    year: Annotated[str | None, Parameter(description=f"only campaigns of this year ({MIN_YEAR}..{MAX_YEAR})")] = None,
    unit_id: Annotated[str | None, Parameter(description="only this unit and every unit below it")] = None,
    kind: Annotated[str | None, Parameter(description="collective or individual")] = None,
    category_id: Annotated[str | None, Parameter(description="only this award category")] = None,
    ceremony_id: Annotated[str | None, Parameter(description="only the honourees presented at this ceremony")] = None,
    q: Annotated[
        str | None,
        Parameter(description=f"words of the name or unit, ignoring case and diacritics (at most {MAX_Q} characters)"),
    ] = None,
) -> RollParams:
    """The `filters` dependency."""
    return RollParams(
        campaign_id=campaign_id,
        year=year,
        unit_id=unit_id,
        kind=kind,
        category_id=category_id,
        ceremony_id=ceremony_id,
        q=q,
    )


def provide_paging(
    limit: Annotated[str | None, Parameter(description=f"1..{MAX_LIMIT}, default {DEFAULT_LIMIT}")] = None,
    cursor: Annotated[str | None, Parameter(description="the next_cursor of the previous page")] = None,
) -> RollPaging:
    """The `roll_page` dependency: the roll's own paging, where a blank limit (the page's form) is the default."""
    return RollPaging(limit=limit, cursor=cursor)
