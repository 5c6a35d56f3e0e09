"""Signing in and out, and changing one's password: `/login`, `/logout`, `/password`, and `/`."""

from __future__ import annotations

import secrets
from typing import Any

import asyncpg
from litestar import Controller, Request, Response, get, post

from shared.roles import Role
from shared.state import service_state

from .. import domain
from ..client import Api, Refused, TokenRefused
from ..pages import cookie, gone, render, see_other
from . import service
from .guards import CSRF_ONLY_SIGNED_IN, LOGIN_COOKIE, LOGIN_FORM, PUBLIC, session_of
from .service import SESSION_COOKIE, Session

BAD_CREDENTIALS = "Sai tên đăng nhập hoặc mật khẩu"
LOCKED = "Tài khoản này đã bị khóa. Hãy liên hệ quản trị hệ thống."
NOTICES = {
    "bye": "Bạn đã đăng xuất.",
    "ended": "Phiên làm việc đã kết thúc. Hãy đăng nhập lại.",
    "locked": "Tài khoản của bạn đã bị khóa; phiên làm việc đã kết thúc.",
}


def home_of(session: Session) -> str:
    return "/review" if session.role == Role.COMMITTEE else "/nominations"


def _text(form: Any, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


class SessionController(Controller):
    path = "/"
    include_in_schema = False

    @get("/", opt={PUBLIC: True})
    async def home(self, request: Request[Any, Any, Any]) -> Response[Any]:
        session = await session_of(request)
        return see_other(home_of(session) if session else "/login")

    @get("/login", opt={PUBLIC: True})
    async def login_form(
        self, request: Request[Any, Any, Any], next: str | None = None, ended: str | None = None
    ) -> Response[Any]:
        session = await session_of(request)
        if session is not None:
            return see_other(domain.safe_next(next, home_of(session)))
        return self._login_page(request, next=next, notice=NOTICES.get(ended or ""))

    def _login_page(
        self,
        request: Request[Any, Any, Any],
        *,
        next: str | None = None,
        notice: str | None = None,
        error: str | None = None,
        errors: dict[str, str] | None = None,
        username: str = "",
        status: int = 200,
    ) -> Response[Any]:
        # The form's CSRF value: the cookie's, or a new one set with the page.
        nonce = request.cookies.get(LOGIN_COOKIE) or ""
        cookies = []
        if len(nonce) < 32:
            nonce = secrets.token_urlsafe(32)
            cookies.append(cookie(request, LOGIN_COOKIE, nonce, path="/login"))
        return render(
            request,
            "login.html",
            status=status,
            cookies=cookies,
            csrf=nonce,
            next=domain.safe_next(next, ""),
            notice=notice,
            error=error,
            errors=errors or {},
            username=username,
            roll_url=service_state(request.app).settings.peers.events_url + "/",
        )

    @post("/login", opt={PUBLIC: True, LOGIN_FORM: True})
    async def login(self, request: Request[Any, Any, Any], pool: asyncpg.Pool, api: Api) -> Response[Any]:
        form = await request.form()
        username, password, next_path = _text(form, "username").strip(), _text(form, "password"), _text(form, "next")
        errors = {}
        if not username:
            errors["username"] = "Nhập tên đăng nhập."
        if not password:
            errors["password"] = "Nhập mật khẩu."
        if errors:
            return self._login_page(request, next=next_path, errors=errors, username=username, status=400)
        try:
            value, session = await service.sign_in(pool, api, username, password)
        except Refused as exc:
            if exc.status == 401 and exc.type.endswith("account-disabled"):
                error = LOCKED
            elif exc.status == 401:
                error = BAD_CREDENTIALS
            elif exc.status == 429:
                wait = f"{exc.retry_after} giây" if (exc.retry_after or "").isdigit() else "một lát"
                error = f"Đăng nhập sai quá nhiều lần. Hãy đợi {wait} rồi thử lại."
            else:
                error = BAD_CREDENTIALS if exc.status == 400 else exc.detail
            # The form was refused, not the page: 400 (a 401 would ask for HTTP authentication).
            status = exc.status if exc.status in (403, 429) else 400
            return self._login_page(request, next=next_path, error=error, username=username, status=status)
        return see_other(
            domain.safe_next(next_path, home_of(session)),
            cookies=[cookie(request, SESSION_COOKIE, value), gone(request, LOGIN_COOKIE, path="/login")],
        )

    @post("/logout", opt={PUBLIC: True, CSRF_ONLY_SIGNED_IN: True})
    async def logout(self, request: Request[Any, Any, Any], pool: asyncpg.Pool, api: Api) -> Response[Any]:
        session = await session_of(request)
        if session is not None:
            await service.end(pool, api, session)
        return see_other("/login?ended=bye", cookies=[gone(request, SESSION_COOKIE)])

    @get("/password")
    async def password_form(self, request: Request[Any, Any, Any], api: Api) -> Response[Any]:
        me = await api.get("units", "/auth/me")
        return render(request, "password.html", me=me, errors={})

    @post("/password")
    async def change_password(self, request: Request[Any, Any, Any], api: Api, session: Session) -> Response[Any]:
        form = await request.form()
        current, new = _text(form, "current_password"), _text(form, "new_password")
        errors = {}
        if not current:
            errors["current_password"] = "Nhập mật khẩu hiện tại."
        if not new:
            errors["new_password"] = "Nhập mật khẩu mới."
        error = None
        if not errors:
            body: dict[str, str] = {"current_password": current, "new_password": new}
            if session.refresh_token:
                body["refresh_token"] = session.refresh_token  # this sign-in stays; the others end
            try:
                await api.post("units", "/auth/password", body)
            except TokenRefused:
                raise
            except Refused as exc:
                errors = exc.by_field()
                if exc.type.endswith("wrong-password"):
                    errors["current_password"] = "Mật khẩu hiện tại không đúng."
                error = exc.detail if not errors or exc.status not in (400, 403) else None
                if exc.status in (404, 405):
                    error = "Dịch vụ đơn vị chưa hỗ trợ đổi mật khẩu."
            else:
                return render(request, "password.html", me=None, errors={}, done=True)
        return render(request, "password.html", me=None, errors=errors, error=error, status=400)
