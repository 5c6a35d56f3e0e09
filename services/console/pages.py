"""How the console answers: a page (its template, the layout's context, the security headers), a
redirect, and the page for every refusal and error, never a stack trace.

Every answer carries a Content-Security-Policy that allows no inline script
(the pages have none, and work without JavaScript), forbids framing, and keeps
forms posting here only; signed-in pages are not stored by the browser or any
cache (`no-store`), so the back button after `Đăng xuất` shows nothing.
"""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from litestar import Request, Response
from litestar.datastructures import Cookie, MutableScopeHeaders
from litestar.enums import ScopeType
from litestar.exceptions import (
    HTTPException,
    MethodNotAllowedException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    ValidationException,
)
from litestar.response import Redirect, Template
from litestar.types import ASGIApp, ExceptionHandlersMap, Message, Receive, Scope, Send

from shared.problems import RETRY_AFTER_SECONDS, Problem, is_outage

from . import domain
from .client import Calls, Refused, TokenRefused, Unavailable
from .errors import CsrfRefused, PageForbidden, SignInRequired
from .session.guards import CALLS_KEY, CSRF_FIELD, calls_of, session_in
from .session.service import SESSION_COOKIE

log = logging.getLogger(__name__)

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
VIETNAM = timezone(timedelta(hours=7), "ICT")  # no daylight saving: a fixed offset is exact


def is_https(request: Request[Any, Any, Any]) -> bool:
    """Served over HTTPS: directly, or behind a proxy that says so."""
    return request.url.scheme == "https" or request.headers.get("x-forwarded-proto", "").lower() == "https"


def security_headers() -> dict[str, str]:
    return {
        "Content-Security-Policy": CSP,
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "same-origin",
        "Cache-Control": "no-store",
    }


def cookie(
    request: Request[Any, Any, Any], key: str, value: str, *, max_age: int | None = None, path: str = "/"
) -> Cookie:
    """A cookie the page's script could not read (there is none), sent only to this site's pages."""
    return Cookie(
        key=key,
        value=value,
        path=path,
        httponly=True,
        samesite="lax",
        secure=is_https(request),
        max_age=max_age,
    )


def gone(request: Request[Any, Any, Any], key: str, path: str = "/") -> Cookie:
    return cookie(request, key, "", max_age=0, path=path)


# ------------------------------------------------------------------ formatting for the templates
def vn_date(value: str | date | None) -> str:
    """`2025-12-20` as `20/12/2025`."""
    if not value:
        return ""
    try:
        d = value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    except ValueError:
        return str(value)
    return d.strftime("%d/%m/%Y")


def vn_time(value: str | datetime | None) -> str:
    """An RFC 3339 time as Vietnam reads it: `20/12/2025 14:05`."""
    if not value:
        return ""
    try:
        t = value if isinstance(value, datetime) else datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return str(value)
    if t.tzinfo is None:
        t = t.replace(tzinfo=UTC)
    return t.astimezone(VIETNAM).strftime("%d/%m/%Y %H:%M")


def query(**params: Any) -> str:
    """A query string of the given parameters that have a value ('' when none)."""
    kept = {k: v for k, v in params.items() if v not in (None, "")}
    return "?" + urlencode(kept) if kept else ""


STATIC = Path(__file__).parent / "static"
# The style sheet's URL carries its content's hash: browsers keep it a year, and fetch it again when it changes.
STYLE_URL = "/static/console.css?v=" + hashlib.sha256((STATIC / "console.css").read_bytes()).hexdigest()[:12]

HELPERS = {
    "style_url": STYLE_URL,
    "vn_date": vn_date,
    "vn_time": vn_time,
    "status_name": domain.status_name,
    "action_name": domain.action_name,
    "kind_names": domain.KIND_NAMES,
    "query": query,
    "csrf_field": CSRF_FIELD,
}


def render(
    request: Request[Any, Any, Any],
    template: str,
    *,
    status: int = 200,
    cookies: list[Cookie] | None = None,
    **context: Any,
) -> Template:
    """A page of the console: `template` within the layout (who is signed in, their links, their CSRF token)."""
    session = session_in(request)
    base = {
        **HELPERS,
        "session": session,
        "nav": domain.nav_for(session.role) if session else (),
        "csrf": session.csrf_token if session else "",
        "path": request.url.path,
    }
    return Template(
        template_name=template,
        context={**base, **context},
        status_code=status,
        headers=security_headers(),
        cookies=cookies,
    )


def see_other(path: str, *, cookies: list[Cookie] | None = None) -> Redirect:
    """After a POST: the page to show, fetched with GET (303), so a reload posts nothing again."""
    return Redirect(path, status_code=303, cookies=cookies, headers={"Cache-Control": "no-store"})


def server_timing(calls: Calls) -> str:
    return f'services;dur={calls.seconds * 1000:.1f};desc="{calls.count} calls"'


class PageHeaders:
    """(ASGI middleware of the console's router) Every answer's security headers, and its cost in service
    calls as `Server-Timing: services;dur=<ms>;desc="<n> calls"` (what `domain.LIST_PAGE_CALLS` bounds)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
            return

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableScopeHeaders.from_message(message)
                for name, value in security_headers().items():
                    if name not in headers:
                        headers[name] = value
                calls = (scope.get("state") or {}).get(CALLS_KEY)
                if isinstance(calls, Calls):
                    headers["Server-Timing"] = server_timing(calls)
            await send(message)

        await self.app(scope, receive, sending)


# ------------------------------------------------------------------ errors
MESSAGES = {
    400: ("Yêu cầu không hợp lệ", "Đường dẫn hoặc dữ liệu gửi lên không hợp lệ."),
    403: ("Không được phép", "Bạn không có quyền xem trang này hoặc làm việc này."),
    404: ("Không tìm thấy", "Không có trang hoặc hồ sơ này, hoặc nó nằm ngoài phạm vi của bạn."),
    405: ("Không hỗ trợ", "Trang này không nhận kiểu yêu cầu đó."),
    409: ("Không thực hiện được", "Trạng thái hiện tại không cho phép việc này."),
    413: ("Dữ liệu quá lớn", "Dữ liệu gửi lên vượt quá giới hạn cho phép."),
    429: ("Quá nhiều yêu cầu", "Bạn đã gửi quá nhiều yêu cầu; hãy đợi một lát rồi thử lại."),
    503: ("Dịch vụ tạm thời không trả lời", "Một dịch vụ của hệ thống đang không trả lời; hãy thử lại sau ít phút."),
}
CSRF_MESSAGE = (
    "Biểu mẫu không mang mã xác thực hợp lệ (có thể trang đã mở quá lâu). "
    "Không có gì được thay đổi; hãy tải lại trang rồi thử lại."
)

# The one page that cannot fail: no template, no context.
_INTERNAL = (
    '<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>Lỗi hệ thống</title>'
    '<link rel="stylesheet" href="/static/console.css"></head><body><main class="narrow">'
    "<h1>Đã có lỗi xảy ra</h1><p>Hệ thống gặp lỗi khi xử lý yêu cầu; lỗi đã được ghi lại. "
    'Hãy thử lại sau, hoặc <a href="/">về trang đầu</a>.</p></main></body></html>'
)


def error_page(request: Request[Any, Any, Any], status: int, detail: str | None = None) -> Response[Any]:
    title, text = MESSAGES.get(status, ("Không thực hiện được", "Yêu cầu không thực hiện được."))
    page = render(request, "error.html", status=status, title=title, text=text, detail=detail)
    if status == 503:  # a service or the console's own database is away for a moment
        page.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return page


def to_login(request: Request[Any, Any, Any], next_path: str | None, reason: str | None) -> Response[Any]:
    target = "/login" + query(next=domain.safe_next(next_path, "") or None, ended=reason)
    cookies = [gone(request, SESSION_COOKIE)] if request.cookies.get(SESSION_COOKIE) else None
    return see_other(target, cookies=cookies)


def handle(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    """Every error the console meets, as the page (or redirect) a person should see."""
    try:
        return _answer(request, exc)
    except Exception:  # the error page itself failed: the plain one
        log.exception("error page failed", extra={"path": request.url.path})
        return Response(_INTERNAL, status_code=500, media_type="text/html", headers=security_headers())


def _answer(request: Request[Any, Any, Any], exc: Exception) -> Response[Any]:
    if isinstance(exc, SignInRequired):
        return to_login(request, exc.next_path, exc.reason)
    if isinstance(exc, TokenRefused):
        return to_login(request, None, "locked" if exc.type.endswith("account-disabled") else "ended")
    if isinstance(exc, CsrfRefused):
        return error_page(request, 403, CSRF_MESSAGE)
    if isinstance(exc, PageForbidden | PermissionDeniedException | NotAuthorizedException):
        return error_page(request, 403)
    if isinstance(exc, Refused):
        # A service's refusal no page turned into a form error: a 403 or 404 shows nothing of the thing.
        if exc.status in (403, 404):
            return error_page(request, exc.status)
        return error_page(request, exc.status if 400 <= exc.status < 500 else 400, exc.detail)
    if isinstance(exc, Unavailable):
        log.warning("a service is unavailable", extra={"service": exc.service, "reason": exc.reason})
        return error_page(request, 503)
    if is_outage(exc):  # the console's own database (its sessions)
        log.warning("the console's database is unavailable", extra={"error": repr(exc)})
        return error_page(request, 503)
    if isinstance(exc, NotFoundException):
        return error_page(request, 404)
    if isinstance(exc, MethodNotAllowedException):
        return error_page(request, 405)
    if isinstance(exc, ValidationException):
        return error_page(request, 400)
    if isinstance(exc, HTTPException) and 400 <= exc.status_code < 500:
        return error_page(request, exc.status_code)
    if isinstance(exc, Problem) and 400 <= exc.status < 500:
        return error_page(request, exc.status)
    log.exception("unhandled error", extra={"path": request.url.path}, exc_info=exc)
    return Response(_INTERNAL, status_code=500, media_type="text/html", headers=security_headers())


EXCEPTION_HANDLERS: ExceptionHandlersMap = {Exception: handle}


__all__ = ["EXCEPTION_HANDLERS", "calls_of", "render", "see_other"]
