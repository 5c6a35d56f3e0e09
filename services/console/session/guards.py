"""Who may reach a page, and the CSRF check: guards, and the `session` and `api` dependencies.

`protect` guards every console route (the console's router names it): it
finds the request's session (once; kept in the request's state), sends the
browser to `/login` when a page needs one, and refuses (403, before the
handler runs, so nothing changes) a POST whose `_csrf_token` is not the
session's. The sign-in form, posted before any session exists, carries
instead the random value of a cookie set with the form (`LOGIN_COOKIE`), which
a page of another site can neither read nor set. `allow(...)` narrows a page
to roles.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from typing import Any, cast

from litestar import Request
from litestar.connection import ASGIConnection
from litestar.handlers.base import BaseRouteHandler

from shared import account_blocks
from shared.state import service_state

from ..client import HTTP, Api, Calls, base_urls
from ..errors import CsrfRefused, PageForbidden, SignInRequired
from . import service
from .service import SESSION_COOKIE, Session

LOGIN_COOKIE = "thidua_login"  # the sign-in form's CSRF value, before there is a session
CSRF_FIELD = "_csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# Handler options (`opt=`): a page anyone may open; the sign-in form's CSRF check; sign-out without a session.
PUBLIC = "public"
LOGIN_FORM = "login_form"
CSRF_ONLY_SIGNED_IN = "csrf_only_signed_in"

_SESSION = "console_session"
CALLS_KEY = "console_calls"


def calls_of(connection: ASGIConnection) -> Calls:
    """The service calls this request made (the answer's `Server-Timing` reports them)."""
    state = connection.scope.setdefault("state", {})
    calls = state.get(CALLS_KEY)
    if calls is None:
        calls = state[CALLS_KEY] = Calls()
    return cast(Calls, calls)


def anonymous_api(connection: ASGIConnection) -> Api:
    svc = service_state(connection.app)
    return Api(svc.get(HTTP), base_urls(svc.settings), None, calls_of(connection))


def session_in(connection: ASGIConnection) -> Session | None:
    """The session already found for this request (None before `protect` ran, or without one)."""
    state = connection.scope.get("state") or {}
    return cast(Session | None, state.get(_SESSION))


async def session_of(connection: ASGIConnection) -> Session | None:
    state = connection.scope.setdefault("state", {})
    if _SESSION in state:
        return cast(Session | None, state[_SESSION])
    svc = service_state(connection.app)
    found = await service.current(svc.pool, anonymous_api(connection), connection.cookies.get(SESSION_COOKIE))
    blocks = svc.find(account_blocks.BLOCKS)
    if found is not None and blocks is not None and found.account_id in blocks:
        # Locked: the session ends now, whatever page this is (docs/architecture.md, account_blocks).
        await service.drop(svc.pool, found.id_hash)
        state[_SESSION] = None
        raise SignInRequired(reason="locked")
    state[_SESSION] = found
    return found


async def protect(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    method = connection.scope.get("method", "GET")
    if handler.opt.get(PUBLIC) and method in SAFE_METHODS:
        return  # a public page (or the style sheet) looks for the session itself, if it cares
    session = await session_of(connection)
    if session is None and not handler.opt.get(PUBLIC):
        target = connection.url.path + (f"?{connection.url.query}" if connection.url.query else "")
        raise SignInRequired(
            target if method in SAFE_METHODS else None, reason="ended" if _had_cookie(connection) else None
        )
    if method not in SAFE_METHODS:
        await _check_csrf(connection, handler, session)


def _had_cookie(connection: ASGIConnection) -> bool:
    return bool(connection.cookies.get(SESSION_COOKIE))


async def _check_csrf(connection: ASGIConnection, handler: BaseRouteHandler, session: Session | None) -> None:
    if session is None and handler.opt.get(CSRF_ONLY_SIGNED_IN):
        return  # signing out without a session changes nothing
    sent = connection.headers.get(CSRF_HEADER)
    if not sent and isinstance(connection, Request):
        value = (await connection.form()).get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    expected = [session.csrf_token] if session is not None else []
    if handler.opt.get(LOGIN_FORM):
        expected.append(connection.cookies.get(LOGIN_COOKIE) or "")
    if not sent or not any(e and hmac.compare_digest(sent.encode(), e.encode()) for e in expected):
        raise CsrfRefused()


def allow(*roles: str) -> Callable[[ASGIConnection, BaseRouteHandler], Awaitable[None]]:
    """A guard after `protect`: the session's role must be one of `roles` (403 page otherwise)."""

    async def guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
        session = await session_of(connection)
        if session is None:
            raise SignInRequired(connection.url.path)
        if session.role not in roles:
            raise PageForbidden()

    guard.__name__ = f"allow_{'_'.join(roles)}"
    return guard


async def provide_session(request: Request[Any, Any, Any]) -> Session:
    """The signed-in user (the page's guard made sure there is one)."""
    session = await session_of(request)
    if session is None:
        raise SignInRequired(request.url.path)
    return session


async def provide_optional_session(request: Request[Any, Any, Any]) -> Session | None:
    return await session_of(request)


async def provide_api(request: Request[Any, Any, Any]) -> Api:
    """The services, as the signed-in user; a token a service refuses ends the session on the spot."""
    session = await session_of(request)
    api = anonymous_api(request)
    if session is None:
        return api
    svc = service_state(request.app)

    async def ended() -> None:
        await service.drop(svc.pool, session.id_hash)

    return api.as_user(session.access_token, on_token_refused=ended)
