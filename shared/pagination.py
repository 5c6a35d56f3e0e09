"""Keyset pagination: `?limit=` and an opaque `?cursor=` holding the last sort key."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, Generic, TypeVar

import msgspec
from litestar.params import Parameter

from shared.errors import FieldError, Invalid

T = TypeVar("T")
K = TypeVar("K")

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


class Page(msgspec.Struct, Generic[T]):
    items: list[T]
    next_cursor: str | None


def check_limit(limit: int | None) -> int:
    if limit is None:
        return DEFAULT_LIMIT
    if not 1 <= limit <= MAX_LIMIT:
        raise Invalid(
            f"limit must be between 1 and {MAX_LIMIT}", errors=[FieldError("limit", f"must be 1..{MAX_LIMIT}")]
        )
    return limit


def encode_cursor(key: list[Any]) -> str:
    return base64.urlsafe_b64encode(msgspec.json.encode(key)).rstrip(b"=").decode()


def decode_cursor(cursor: str | None, types: tuple[type, ...]) -> tuple[Any, ...] | None:
    """The sort key a cursor holds, checked against `types`; 400 if edited or foreign."""
    if cursor is None or cursor == "":
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        # A tuple type built at run time from the list's key types: mypy cannot follow it, msgspec can.
        return msgspec.json.decode(raw, type=tuple[types])  # type: ignore[valid-type]
    except (binascii.Error, ValueError, msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise Invalid(
            "the cursor is not valid; start again without it", errors=[FieldError("cursor", "not valid")]
        ) from exc


def page(rows: list[T], limit: int, key: Any) -> Page[T]:
    """Rows fetched with LIMIT limit+1: the extra row says whether a next page exists."""
    if len(rows) > limit:
        rows = rows[:limit]
        return Page(items=rows, next_cursor=encode_cursor(key(rows[-1])))
    return Page(items=rows, next_cursor=None)


@dataclass(frozen=True, slots=True)
class PageQuery:
    """A list call's `?limit=` and `?cursor=`, declared once for every list (the `paging` dependency)."""

    limit: int
    cursor: str | None

    def after(self, types: tuple[type, ...]) -> tuple[Any, ...] | None:
        """The sort key after which this page starts, checked against the list's key `types`."""
        return decode_cursor(self.cursor, types)

    def page(self, rows: list[T], key: Callable[[T], list[Any]]) -> Page[T]:
        return page(rows, self.limit, key)

    def page_keyed(self, rows: list[tuple[T, K]], key: Callable[[T, K], list[Any]]) -> Page[T]:
        """Rows that come with their sort key beside them, `(item, sort_key)`: a page of the items."""
        result = page(rows, self.limit, lambda r: key(r[0], r[1]))
        return Page(items=[item for item, _ in result.items], next_cursor=result.next_cursor)


def provide_page_query(
    limit: Annotated[
        int | None, Parameter(query="limit", description=f"1..{MAX_LIMIT}, default {DEFAULT_LIMIT}")
    ] = None,
    cursor: Annotated[
        str | None, Parameter(query="cursor", description="the next_cursor of the page before; absent for the first")
    ] = None,
) -> PageQuery:
    return PageQuery(limit=check_limit(limit), cursor=cursor)
