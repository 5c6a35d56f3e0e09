"""Domain errors: what a rule refuses, said without HTTP.

Rules (each service's `domain/`) and repositories raise these; one exception
handler (`shared.problems`) turns each into an RFC 9457 problem document with
the status its kind implies. Code that speaks HTTP itself (guards, the
Idempotency-Key middleware) raises `shared.problems.Problem` instead.
"""

from __future__ import annotations

from typing import ClassVar

import msgspec


class FieldError(msgspec.Struct):
    """What is wrong with one field (or row: `rows[3].name`) of a request."""

    field: str
    message: str


class DomainError(Exception):
    """A refusal by a rule. `kind` names the refusal in the problem's type (`/problems/<kind>`)."""

    status: ClassVar[int] = 400

    def __init__(
        self,
        detail: str,
        *,
        field: str | None = None,
        errors: list[FieldError] | None = None,
        kind: str | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors if errors is not None else ([FieldError(field, detail)] if field else [])
        self.kind = kind


class Invalid(DomainError):
    """The request says something that cannot be: a blank name, a date out of range."""

    status = 400


class Forbidden(DomainError):
    """The caller may not do this, here: an officer outside its own subtree."""

    status = 403


class NotFound(DomainError):
    status = 404

    def __init__(
        self,
        what: str,
        ident: object = None,
        *,
        field: str | None = None,
        detail: str | None = None,
        errors: list[FieldError] | None = None,
    ) -> None:
        super().__init__(detail or f"{what} {ident} does not exist", field=field, errors=errors)


class Conflict(DomainError):
    """The request is well-formed, but the state of things refuses it: a full quota, a closed campaign."""

    status = 409
