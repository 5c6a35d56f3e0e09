"""Keyset pagination: `?limit=` and an opaque `?cursor=` holding the last sort key."""

from __future__ import annotations

import base64
import binascii
from typing import Any, Generic, TypeVar

import msgspec

from shared.problems import FieldError, Problem

T = TypeVar("T")

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


class Page(msgspec.Struct, Generic[T]):
    items: list[T]
    next_cursor: str | None


def check_limit(limit: int | None) -> int:
    if limit is None:
        return DEFAULT_LIMIT
    if not 1 <= limit <= MAX_LIMIT:
        raise Problem(400, f"limit must be between 1 and {MAX_LIMIT}", errors=[FieldError("limit", f"must be 1..{MAX_LIMIT}")])
    return limit


def encode_cursor(key: list[Any]) -> str:
    return base64.urlsafe_b64encode(msgspec.json.encode(key)).rstrip(b"=").decode()


def decode_cursor(cursor: str | None, types: tuple[type, ...]) -> tuple[Any, ...] | None:
    """The sort key a cursor holds, checked against `types`; 400 if edited or foreign."""
    if cursor is None or cursor == "":
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        return msgspec.json.decode(raw, type=tuple[types])  # type: ignore[valid-type]
    except (binascii.Error, ValueError, msgspec.DecodeError, msgspec.ValidationError) as exc:
        raise Problem(400, "the cursor is not valid; start again without it", errors=[FieldError("cursor", "not valid")]) from exc


def page(rows: list[T], limit: int, key: Any) -> Page[T]:
    """Rows fetched with LIMIT limit+1: the extra row says whether a next page exists."""
    if len(rows) > limit:
        rows = rows[:limit]
        return Page(items=rows, next_cursor=encode_cursor(key(rows[-1])))
    return Page(items=rows, next_cursor=None)
