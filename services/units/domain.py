"""The rules of the units service, in plain functions: no SQL, no HTTP, no I/O.

The unit tree (its depth limit, no cycles on a move or in an import, the path
every unit stores), the kinds of unit, who may act where, what an account
must name and how an admin may change it, and sign-ins (the login throttle's
limits, refresh tokens and what presenting one does). Each rule takes the facts it needs (a path, whether a unit lies in
an officer's subtree) and raises `shared.errors`; the use cases fetch the facts
under the right lock and call these (`docs/architecture.md`).
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Collection, Mapping, Sequence
from enum import StrEnum
from typing import Any, Protocol, TypeVar

from shared.errors import Conflict, FieldError, Forbidden, Invalid
from shared.roles import Role


class UnitKind(StrEnum):
    """What a unit is; exactly the values of the `units.kind` CHECK."""

    PARTY_COMMITTEE = "party_committee"
    GRASSROOTS_PARTY_ORG = "grassroots_party_org"
    GOVERNMENT_AGENCY = "government_agency"
    FATHERLAND_FRONT = "fatherland_front"
    MASS_ORGANIZATION = "mass_organization"
    OTHER = "other"


# Deeper than any real administration; keeps every path well inside what the
# ltree GiST index can hold.
MAX_DEPTH = 32
MAX_IMPORT_ROWS = 20_000

# Failed logins allowed per (address, username) in a window, before 429. The
# count lives in the database, so every replica enforces the same limit.
LOGIN_MAX_FAILURES = 10
LOGIN_WINDOW_SECONDS = 60.0
# And per username across every address (behind a proxy all clients share one
# address; a guesser may have many): more than one address's worth, longer.
LOGIN_ACCOUNT_MAX_FAILURES = 30
LOGIN_ACCOUNT_WINDOW_SECONDS = 300.0

# A refresh token works once and for this long; each refresh gives a new one.
REFRESH_TOKEN_TTL_SECONDS = 30 * 24 * 3600

OUT_OF_SCOPE = "an officer acts only for its own unit and the units below it"


# ------------------------------------------------------------------ the tree
# A unit's path is the ids from the root down to it, dashes removed, joined by
# dots (an ltree): "is X under Y" is one indexed `<@` in SQL, and here a prefix.
def label(unit_id: uuid.UUID) -> str:
    return unit_id.hex


def child_path(parent_path: str | None, unit_id: uuid.UUID) -> str:
    """The path of `unit_id` placed under `parent_path` (a root when None)."""
    return label(unit_id) if parent_path is None else f"{parent_path}.{label(unit_id)}"


def depth(path: str) -> int:
    """How many levels down `path` ends: a root is 1."""
    return path.count(".") + 1


def is_within(path: str, top: str) -> bool:
    """Whether `path` is `top` or lies below it (ltree's `path <@ top`)."""
    return path == top or path.startswith(top + ".")


def check_depth(levels: int, field: str) -> None:
    """Refuse a change that would make the tree deeper than `MAX_DEPTH`; `field` names what caused it."""
    if levels > MAX_DEPTH:
        raise Conflict(
            f"the unit tree may be at most {MAX_DEPTH} levels deep",
            errors=[FieldError(field, f"would make the tree deeper than {MAX_DEPTH} levels")],
        )


def no_parent(parent_id: uuid.UUID) -> Invalid:
    return Invalid(f"parent unit {parent_id} does not exist", errors=[FieldError("parent_id", "no such unit")])


def new_unit_path(unit_id: uuid.UUID, parent_path: str | None) -> str:
    """The path of a new unit under `parent_path`, within the depth limit."""
    path = child_path(parent_path, unit_id)
    check_depth(depth(path), "parent_id")
    return path


def check_unit_change(unit_id: uuid.UUID, *, rename: bool, move: bool, parent_id: uuid.UUID | None) -> None:
    """What a change of a unit must say before anything is looked up."""
    if not rename and not move:
        raise Invalid("send a new name, a new parent_id, or both", errors=[FieldError("body", "nothing to change")])
    if move and parent_id == unit_id:
        raise Conflict("a unit cannot be its own parent", errors=[FieldError("parent_id", "is the unit itself")])


def moved_path(unit_id: uuid.UUID, old_path: str, parent_path: str | None, subtree_height: int) -> str:
    """The new path of a unit moved under `parent_path` (a root when None), with its subtree.

    `subtree_height` is how many levels its subtree reaches below it (0 for a
    leaf): the deepest of them must stay within the limit too.
    """
    if parent_path is not None and is_within(parent_path, old_path):
        raise Conflict("a unit cannot be moved under itself or one of its own sub-units", field="parent_id")
    path = child_path(parent_path, unit_id)
    check_depth(depth(path) + subtree_height, "parent_id")
    return path


# ------------------------------------------------------------------ import
class ImportRow(Protocol):
    """What the import rules read of a row: its code, and its parent's (in the file or stored)."""

    code: str
    parent_code: str | None


R = TypeVar("R", bound=ImportRow)


def _key(code: str) -> str:
    return code.lower()  # codes are unique regardless of case


def import_codes(rows: Sequence[tuple[int, ImportRow]]) -> list[str]:
    """Every code an import names, its own and its parents': those to look up among the stored units."""
    return list({_key(r.code) for _, r in rows} | {_key(r.parent_code) for _, r in rows if r.parent_code})


def check_import(rows: Sequence[tuple[int, R]], stored: Collection[str]) -> dict[str, tuple[int, R]]:
    """The import's rows by code, once each; every error at once, naming its row.

    `rows` pairs each unit with its row number as the client counts it;
    `stored` holds the (lower-case) codes among `import_codes` already taken.
    """
    errors: list[FieldError] = []
    by_code: dict[str, tuple[int, R]] = {}
    for number, r in rows:
        key = _key(r.code)
        if key in by_code:
            errors.append(FieldError(f"row {number}.code", f"code {r.code!r} repeats row {by_code[key][0]}"))
        else:
            by_code[key] = (number, r)
    for number, r in rows:
        if _key(r.code) in stored:
            errors.append(FieldError(f"row {number}.code", f"a unit with code {r.code!r} already exists"))
        if r.parent_code and _key(r.parent_code) not in by_code and _key(r.parent_code) not in stored:
            errors.append(FieldError(f"row {number}.parent_code", f"no unit has code {r.parent_code!r}"))
    if errors:
        raise Invalid(f"{len(errors)} error(s) in the import; nothing was imported", errors=errors)
    return by_code


def import_paths(
    by_code: Mapping[str, tuple[int, ImportRow]], ids: Mapping[str, uuid.UUID], stored: Mapping[str, str]
) -> dict[str, str]:
    """The path of every imported unit, walking up each chain once (no recursion: files may be deep).

    `by_code` is what `check_import` returns, `ids` the new id of each code,
    `stored` the path of each stored unit a row names as its parent.
    """
    paths: dict[str, str] = {}
    for start in by_code:
        chain: list[str] = []
        on_chain: set[str] = set()
        current = start
        base = ""
        while current not in paths:
            if current in on_chain:
                cycle = chain[chain.index(current) :]
                raise Invalid(
                    "the import's parent codes form a cycle; nothing was imported",
                    errors=[FieldError(f"row {by_code[c][0]}.parent_code", "forms a cycle") for c in cycle],
                )
            chain.append(current)
            on_chain.add(current)
            parent_code = by_code[current][1].parent_code
            parent = _key(parent_code) if parent_code else None
            if parent is None:
                break
            if parent in by_code:
                current = parent
                continue
            base = stored[parent] + "."
            break
        else:
            base = paths[current] + "."
        for code in reversed(chain):
            paths[code] = base + label(ids[code])
            check_depth(depth(paths[code]), f"row {by_code[code][0]}.parent_code")
            base = paths[code] + "."
    return paths


# ------------------------------------------------------------------ who may act where
def check_in_scope(in_scope: bool) -> None:
    """An officer acts within its own subtree; `in_scope` says whether the unit at hand lies there."""
    if not in_scope:
        raise Forbidden(OUT_OF_SCOPE)


def check_placement(unit_id: uuid.UUID, in_scope: bool | None) -> None:
    """A person goes into a unit that exists (`in_scope` None when it does not) and lies in the caller's scope."""
    if in_scope is None:
        raise Invalid(f"unit {unit_id} does not exist", errors=[FieldError("unit_id", "no such unit")])
    check_in_scope(in_scope)


# ------------------------------------------------------------------ accounts
def check_new_account(role: str, unit_id: uuid.UUID | None) -> None:
    """What the schema cannot say: an officer acts for exactly one unit."""
    if role == Role.OFFICER and unit_id is None:
        raise Invalid(
            "an officer account needs the unit it acts for", errors=[FieldError("unit_id", "required for officer")]
        )


def account_changes(
    *, acting_id: uuid.UUID, account_id: uuid.UUID, current: Mapping[str, Any], wanted: Mapping[str, Any]
) -> dict[str, Any]:
    """What an admin's change of an account really changes (`wanted` against `current`), once allowed.

    An admin may not disable itself nor change its own role (nobody could
    undo it if it were the last admin: 409), and an officer keeps a unit.
    """
    changed = {k: v for k, v in wanted.items() if current[k] != v}
    if account_id == acting_id:
        if changed.get("disabled") is True:
            raise Conflict("an admin cannot disable its own account", field="disabled")
        if "role" in changed:
            raise Conflict("an admin cannot change its own role", field="role")
    role = changed.get("role", current["role"])
    unit_id = changed.get("unit_id", current["unit_id"])
    if role == Role.OFFICER and unit_id is None:
        raise Invalid("an officer account needs the unit it acts for", field="unit_id")
    return changed


# ------------------------------------------------------------------ sign-ins
def login_wait(
    *, pair_attempts: int, pair_wait: float, account_attempts: int | None, account_wait: float | None
) -> float | None:
    """Seconds before signing in may be tried again, or None when this attempt may go on.

    The counts include this attempt: per (address, username), and per username
    across addresses (None when not counted, because the first limit refused it).
    """
    if pair_attempts > LOGIN_MAX_FAILURES:
        return max(1.0, pair_wait)
    if account_attempts is not None and account_attempts > LOGIN_ACCOUNT_MAX_FAILURES:
        return max(1.0, account_wait or 0.0)
    return None


def new_refresh_token(sign_in_id: uuid.UUID) -> str:
    """A refresh token of a sign-in: opaque to clients; it names its sign-in, and its secret is random."""
    return f"{sign_in_id.hex}.{secrets.token_urlsafe(32)}"


def refresh_token_digest(token: str) -> bytes:
    """What is stored of a refresh token (SHA-256: the token is random, nothing to stretch)."""
    return hashlib.sha256(token.encode()).digest()


def read_refresh_token(token: str) -> uuid.UUID | None:
    """The sign-in a refresh token names, or None when it is not one of ours."""
    head, dot, secret = token.partition(".")
    if not dot or len(head) != 32 or not secret:
        return None
    try:
        return uuid.UUID(hex=head)
    except ValueError:
        return None


class Refresh(StrEnum):
    """What presenting a refresh token does."""

    ROTATE = "rotate"  # the current token of a live sign-in: a new pair of tokens
    UNKNOWN = "unknown"
    ENDED = "ended"
    REUSED = "reused"  # an older token of the sign-in: the sign-in ends
    EXPIRED = "expired"
    DISABLED = "disabled"


REFUSALS = {
    Refresh.UNKNOWN: "the refresh token is not valid; sign in again",
    Refresh.ENDED: "this sign-in has ended; sign in again",
    Refresh.REUSED: "this refresh token was already used, so the sign-in has ended; sign in again",
    Refresh.EXPIRED: "the refresh token has expired; sign in again",
    Refresh.DISABLED: "this account is disabled",
}


def refresh_outcome(*, found: bool, current: bool, ended: bool, expired: bool, disabled: bool) -> Refresh:
    """The fate of a presented refresh token, from the state of the sign-in it names.

    `current`: it is that sign-in's latest token. Any other token naming the
    sign-in was issued by us and already used (rotation): whoever holds it now,
    it was copied, and the sign-in ends for both holders.
    """
    if not found:
        return Refresh.UNKNOWN
    if disabled:  # said first: it is why the sign-in ended, and what the user must know
        return Refresh.DISABLED
    if ended:
        return Refresh.ENDED
    if not current:
        return Refresh.REUSED
    if expired:
        return Refresh.EXPIRED
    return Refresh.ROTATE
