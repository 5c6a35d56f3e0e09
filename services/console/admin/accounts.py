"""The admin's accounts: `/accounts` (the list, `Tạo tài khoản`, `Khóa` and `Mở khóa`) and one account's
page (reset its password, change its role, unit or display name). Admin only: others get the 403 page.

Every change is the units service's call (`POST /accounts`, `PATCH /accounts/{id}`,
`POST /accounts/{id}/password`), so its rules stay its own: an officer keeps a unit, an admin
cannot lock itself, a locked account's sessions end everywhere within a second.
Round trips: the list is 1 call, then the names of the units it mentions, together.
"""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, Response, get, post

from shared.roles import Role

from .. import domain
from ..client import Api, Refused
from ..pages import query, render, see_other
from ..session.guards import allow
from ..session.service import Session
from .common import ROLE_CHOICES, form_errors, text, unit_choices, unit_names

ADMIN = allow(Role.ADMIN)

# The units service's field -> the form's field, to show a refusal next to it.
CREATE_FIELDS = {
    "username": "username",
    "password": "password",
    "role": "role",
    "unit_id": "unit_id",
    "display_name": "display_name",
}
EDIT_FIELDS = {"role": "role", "unit_id": "unit_id", "display_name": "display_name", "disabled": "disabled"}
NOTICES = {
    "created": "Đã tạo tài khoản.",
    "locked": "Đã khóa tài khoản; các phiên làm việc của nó đã kết thúc.",
    "unlocked": "Đã mở khóa tài khoản.",
    "saved": "Đã lưu thay đổi.",
    "password": "Đã đặt lại mật khẩu; các phiên làm việc của tài khoản đã kết thúc.",
}


def _empty_form() -> dict[str, str]:
    return {"username": "", "role": Role.OFFICER.value, "unit_id": "", "display_name": ""}


class AccountController(Controller):
    path = "/accounts"
    include_in_schema = False
    guards = [ADMIN]

    @get("/")
    async def list_accounts(
        self,
        request: Request[Any, Any, Any],
        api: Api,
        session: Session,
        q: str | None = None,
        unit_q: str | None = None,
        cursor: str | None = None,
        done: str | None = None,
    ) -> Response[Any]:
        return await self._list_page(
            request,
            api,
            session,
            q=(q or "").strip()[:64],
            unit_q=(unit_q or "").strip()[:200],
            cursor=cursor,
            typed=_empty_form(),
            notice=NOTICES.get(done or ""),
        )

    async def _list_page(
        self,
        request: Request[Any, Any, Any],
        api: Api,
        session: Session,
        *,
        q: str,
        unit_q: str,
        cursor: str | None,
        typed: dict[str, str],
        notice: str | None = None,
        errors: dict[str, str] | None = None,
        error: str | None = None,
        status: int = 200,
    ) -> Response[Any]:
        page = await api.get("units", "/accounts", {"q": q or None, "limit": domain.PAGE_SIZE, "cursor": cursor})
        accounts = page["items"]
        units, more = await unit_choices(api, session, unit_q, typed.get("unit_id"))
        names = {str(u["id"]): u["name"] for u in units}
        names.update(await unit_names(api, {str(a["unit_id"]) for a in accounts if a.get("unit_id")} - set(names)))
        next_url = "/accounts" + query(q=q, cursor=page["next_cursor"]) if page.get("next_cursor") else None
        return render(
            request,
            "accounts.html",
            status=status,
            accounts=accounts,
            unit_names=names,
            role_names=domain.ROLE_NAMES,
            roles=ROLE_CHOICES,
            units=units,
            more_units=more,
            q=q,
            unit_q=unit_q,
            typed=typed,
            errors=errors or {},
            error=error,
            notice=notice,
            next_url=next_url,
            first_url="/accounts" + query(q=q) if cursor else None,
            me=str(session.account_id),
        )

    @post("/new")
    async def create(self, request: Request[Any, Any, Any], api: Api, session: Session) -> Response[Any]:
        form = await request.form()
        typed = {
            "username": text(form, "username", 200).strip(),
            "role": text(form, "role", 50),
            "unit_id": text(form, "unit_id", 100),
            "display_name": text(form, "display_name", 500),
        }
        password = text(form, "password", 1000)
        errors: dict[str, str] = {}
        if not typed["username"]:
            errors["username"] = "Nhập tên đăng nhập."
        if not password:
            errors["password"] = "Nhập mật khẩu."
        if typed["role"] not in {r for r, _ in ROLE_CHOICES}:
            errors["role"] = "Chọn vai trò."
        unit = domain.parse_uuid(typed["unit_id"])
        if typed["unit_id"] and unit is None:
            errors["unit_id"] = "Chọn đơn vị trong danh sách."
        error = None
        status = 400
        if not errors:
            body: dict[str, Any] = {
                "username": typed["username"],
                "password": password,
                "role": typed["role"],
                "unit_id": str(unit) if unit else None,
            }
            if typed["display_name"].strip():
                body["display_name"] = typed["display_name"].strip()
            try:
                await api.post("units", "/accounts", body)
            except Refused as exc:
                if exc.status == 401:
                    raise
                errors, error = form_errors(exc, CREATE_FIELDS)
                status = exc.status
            else:
                return see_other("/accounts?done=created")
        return await self._list_page(
            request,
            api,
            session,
            q="",
            unit_q=text(form, "unit_q", 200),
            cursor=None,
            typed=typed,
            errors=errors,
            error=error,
            status=status,
        )

    # ------------------------------------------------------------ lock, unlock
    @post("/{account_id:uuid}/lock")
    async def lock(
        self, request: Request[Any, Any, Any], api: Api, session: Session, account_id: uuid.UUID
    ) -> Response[Any]:
        return await self._set_disabled(request, api, session, account_id, True)

    @post("/{account_id:uuid}/unlock")
    async def unlock(
        self, request: Request[Any, Any, Any], api: Api, session: Session, account_id: uuid.UUID
    ) -> Response[Any]:
        return await self._set_disabled(request, api, session, account_id, False)

    async def _set_disabled(
        self, request: Request[Any, Any, Any], api: Api, session: Session, account_id: uuid.UUID, disabled: bool
    ) -> Response[Any]:
        form = await request.form()
        try:
            await api.request("PATCH", "units", f"/accounts/{account_id}", json={"disabled": disabled})
        except Refused as exc:
            if exc.status in (401, 404):
                raise
            # e.g. an admin locking itself (409): the account's page says why.
            return await self._account_page(request, api, account_id, session, error=exc.detail, status=exc.status)
        done = "locked" if disabled else "unlocked"
        back = domain.safe_next(text(form, "back", 500), "/accounts")
        return see_other(back + ("&" if "?" in back else "?") + f"done={done}")

    # ------------------------------------------------------------ one account
    @get("/{account_id:uuid}")
    async def show(
        self,
        request: Request[Any, Any, Any],
        api: Api,
        session: Session,
        account_id: uuid.UUID,
        unit_q: str | None = None,
        done: str | None = None,
    ) -> Response[Any]:
        return await self._account_page(
            request, api, account_id, session, unit_q=(unit_q or "").strip()[:200], notice=NOTICES.get(done or "")
        )

    async def _account_page(
        self,
        request: Request[Any, Any, Any],
        api: Api,
        account_id: uuid.UUID,
        session: Session,
        *,
        unit_q: str = "",
        typed: dict[str, str] | None = None,
        notice: str | None = None,
        errors: dict[str, str] | None = None,
        error: str | None = None,
        status: int = 200,
    ) -> Response[Any]:
        account = await api.get("units", f"/accounts/{account_id}")
        current = {
            "role": str(account["role"]),
            "unit_id": str(account["unit_id"] or ""),
            "display_name": account.get("display_name") or "",
        }
        shown = typed or current
        units, more = await unit_choices(api, session, unit_q, shown["unit_id"] or current["unit_id"])
        names = {str(u["id"]): u["name"] for u in units}
        return render(
            request,
            "account.html",
            status=status,
            account=account,
            unit_name=names.get(current["unit_id"], ""),
            role_names=domain.ROLE_NAMES,
            roles=ROLE_CHOICES,
            units=units,
            more_units=more,
            unit_q=unit_q,
            typed=shown,
            errors=errors or {},
            error=error,
            notice=notice,
            me=str(session.account_id),
        )

    @post("/{account_id:uuid}")
    async def save(
        self, request: Request[Any, Any, Any], api: Api, session: Session, account_id: uuid.UUID
    ) -> Response[Any]:
        form = await request.form()
        typed = {
            "role": text(form, "role", 50),
            "unit_id": text(form, "unit_id", 100),
            "display_name": text(form, "display_name", 500),
        }
        errors: dict[str, str] = {}
        if typed["role"] not in {r for r, _ in ROLE_CHOICES}:
            errors["role"] = "Chọn vai trò."
        unit = domain.parse_uuid(typed["unit_id"])
        if typed["unit_id"] and unit is None:
            errors["unit_id"] = "Chọn đơn vị trong danh sách."
        error, status = None, 400
        if not errors:
            body = {
                "role": typed["role"],
                "unit_id": str(unit) if unit else None,
                "display_name": typed["display_name"].strip() or None,
            }
            try:
                await api.request("PATCH", "units", f"/accounts/{account_id}", json=body)
            except Refused as exc:
                if exc.status in (401, 404):
                    raise
                errors, error = form_errors(exc, EDIT_FIELDS)
                status = exc.status
            else:
                return see_other(f"/accounts/{account_id}?done=saved")
        return await self._account_page(
            request,
            api,
            account_id,
            session,
            unit_q=text(form, "unit_q", 200),
            typed=typed,
            errors=errors,
            error=error,
            status=status,
        )

    @post("/{account_id:uuid}/password")
    async def reset_password(
        self, request: Request[Any, Any, Any], api: Api, session: Session, account_id: uuid.UUID
    ) -> Response[Any]:
        form = await request.form()
        password = text(form, "new_password", 1000)
        errors: dict[str, str] = {}
        error, status = None, 400
        if not password:
            errors["new_password"] = "Nhập mật khẩu mới."
        else:
            try:
                await api.post("units", f"/accounts/{account_id}/password", {"password": password})
            except Refused as exc:
                if exc.status in (401, 404):
                    raise
                errors, error = form_errors(exc, {"password": "new_password"})
                status = exc.status
            else:
                return see_other(f"/accounts/{account_id}?done=password")
        return await self._account_page(request, api, account_id, session, errors=errors, error=error, status=status)
