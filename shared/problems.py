"""RFC 9457 problem documents: how every service answers an error.

`Problem` is the HTTP error raised where HTTP is spoken (guards, middleware,
query parsing); the domain's refusals (`shared.errors`) are mapped here by one
handler, with the status their kind implies.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import asyncpg
from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.types import ExceptionHandlersMap

from shared.db import connection_lost
from shared.errors import DomainError, FieldError

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"

TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    413: "Content Too Large",
    415: "Unsupported Media Type",
    422: "Unprocessable Content",
    429: "Too Many Requests",
    500: "Internal Server Error",
    503: "Service Unavailable",
}


class Problem(Exception):
    """Raise anywhere in a request: it becomes an application/problem+json answer."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        errors: list[FieldError] | None = None,
        type_: str = "about:blank",
        title: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.errors = errors or []
        self.type = type_
        self.title = title or TITLES.get(status, "Error")
        self.headers = headers or {}


def problem_response(problem: Problem, instance: str | None = None) -> Response:
    body: dict[str, Any] = {
        "type": problem.type,
        "title": problem.title,
        "status": problem.status,
        "detail": problem.detail,
    }
    if instance:
        body["instance"] = instance
    if problem.errors:
        body["errors"] = [{"field": e.field, "message": e.message} for e in problem.errors]
    return Response(content=body, status_code=problem.status, media_type=PROBLEM_JSON, headers=problem.headers)


_NAMED_FIELD = re.compile(r"^Object (?:missing required|contains unknown) field `(?P<field>[^`]+)`$")


def _field_error(item: dict[str, Any]) -> FieldError:
    """One of Litestar's validation items as the field it is about."""
    key = item.get("key")
    source = item.get("source")
    message = str(item.get("message", "invalid"))
    if key == "data" and source in (None, "body"):
        # Litestar names the whole body "data": say which field of it, or that it is missing.
        named = _NAMED_FIELD.match(message)
        if named:
            return FieldError(named["field"], message)
        if message == "'data'":
            return FieldError("body", "the request body is empty; send a JSON object")
        return FieldError("body", message)
    if key:
        return FieldError(str(key), message)
    return FieldError("body" if source in (None, "body") else str(source), message)


def from_validation(exc: ValidationException) -> Problem:
    items = exc.extra if isinstance(exc.extra, list) else []
    errors = [_field_error(i) for i in items if isinstance(i, dict)]
    if errors and all(e.field == "body" for e in errors):
        detail = errors[0].message
    elif errors:
        detail = "; ".join(f"{e.field}: {e.message}" for e in errors)
    else:
        detail = str(exc.detail)
        errors = [FieldError("body", detail)]
    return Problem(400, detail, errors=errors)


def handle_problem(request: Request, exc: Problem) -> Response:
    return problem_response(exc, request.url.path)


def from_domain(exc: DomainError) -> Problem:
    return Problem(
        exc.status, exc.detail, errors=exc.errors, type_=f"/problems/{exc.kind}" if exc.kind else "about:blank"
    )


def handle_domain(request: Request, exc: DomainError) -> Response:
    return problem_response(from_domain(exc), request.url.path)


def handle_http(request: Request, exc: HTTPException) -> Response:
    if isinstance(exc, ValidationException):
        return problem_response(from_validation(exc), request.url.path)
    status = exc.status_code
    if status >= 500:
        log.error("server error", extra={"path": request.url.path, "detail": exc.detail})
    detail = exc.detail or TITLES.get(status, "Error")
    if status == 413:
        detail = "the request body is too large"
    return problem_response(Problem(status, detail, headers=dict(exc.headers or {})), request.url.path)


# How long a client should wait before it tries again when a server is away (the supervisor of `thidua run`
# starts a stopped PostgreSQL again after half a second; a managed server fails over in seconds).
RETRY_AFTER_SECONDS = 2

# What a call meets when its database is away, restarting or overloaded: the connection refused, reset or
# timed out, the server shutting down or starting up (57P01..57P03), a query cancelled by statement_timeout
# (57014), too many connections (53300). Not the client's fault, nor a bug: 503 with Retry-After.
OUTAGES: tuple[type[BaseException], ...] = (
    ConnectionError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
    asyncpg.exceptions.InsufficientResourcesError,
)


def is_outage(exc: BaseException) -> bool:
    """Does `exc` mean that a server this call needs is unreachable for now (not a bug, not a bad request)?"""
    if isinstance(exc, OUTAGES):
        return True
    return connection_lost(exc)


def outage(path: str) -> Response:
    """The answer to a call whose database is away: 503, a problem document, and when to try again."""
    problem = Problem(
        503,
        "the service's database cannot be reached at the moment; nothing was changed, try again shortly",
        type_="/problems/unavailable",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )
    return problem_response(problem, path)


def handle_outage(request: Request, exc: Exception) -> Response:
    if not is_outage(exc):
        return handle_unexpected(request, exc)
    log.warning("a server is unavailable", extra={"path": request.url.path, "error": repr(exc)})
    return outage(request.url.path)


def handle_database(request: Request, exc: asyncpg.PostgresError) -> Response:
    """Safety net: a database refusal caused by the client's data is a 4xx, not a 500; an outage is a 503."""
    if is_outage(exc):
        return handle_outage(request, exc)
    if isinstance(exc, asyncpg.UniqueViolationError):
        problem = Problem(409, "that value is already taken" + _constraint(exc))
    elif isinstance(exc, (asyncpg.ForeignKeyViolationError, asyncpg.CheckViolationError)):
        problem = Problem(409, "the change conflicts with existing data" + _constraint(exc))
    elif isinstance(exc, (asyncpg.DataError, asyncpg.StringDataRightTruncationError)):
        problem = Problem(400, f"invalid value: {exc.message}" if hasattr(exc, "message") else "invalid value")
    elif isinstance(exc, asyncpg.SerializationError | asyncpg.DeadlockDetectedError):
        problem = Problem(409, "a concurrent change conflicted with this one; try again")
    else:
        return handle_unexpected(request, exc)
    return problem_response(problem, request.url.path)


def _constraint(exc: asyncpg.PostgresError) -> str:
    name = getattr(exc, "constraint_name", None)
    return f" ({name})" if name else ""


def handle_recursion(request: Request, exc: RecursionError) -> Response:
    """msgspec gives up on JSON nested deeper than it decodes with a RecursionError, not a DecodeError."""
    if "while deserializing" in str(exc):
        detail = "the JSON body is nested too deeply"
        return problem_response(Problem(400, detail, errors=[FieldError("body", detail)]), request.url.path)
    return handle_unexpected(request, exc)


def handle_unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error", extra={"path": request.url.path}, exc_info=exc)
    return problem_response(Problem(500, "an unexpected error occurred; it has been logged"), request.url.path)


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    Problem: handle_problem,
    DomainError: handle_domain,
    HTTPException: handle_http,
    asyncpg.PostgresError: handle_database,
    ConnectionError: handle_outage,
    TimeoutError: handle_outage,
    asyncpg.InterfaceError: handle_outage,
    asyncpg.InternalClientError: handle_outage,
    RecursionError: handle_recursion,
    Exception: handle_unexpected,
}

__all__ = ["PROBLEM_JSON", "EXCEPTION_HANDLERS", "FieldError", "MediaType", "Problem"]
