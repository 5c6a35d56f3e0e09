"""Campaigns and their categories: the list (every role reads it), a new campaign, a campaign's page
with its categories, and the committee's and admin's changes: edit the campaign (name, dates,
description), add a category, edit one (name, form, quota), close and reopen the campaign.

Round trips: `/campaigns` 1; `/campaigns/new` 1 (the units to pick the
organizer from); `/campaigns/{id}` 2, one after the other (the campaign
with its categories, then its organizer's name). Each change is 1 call, then the page
it leads to.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from litestar import Controller, Request, Response, get, post

from .. import domain
from ..client import Api, Refused
from ..pages import query, render, see_other
from ..session.guards import allow
from ..session.service import Session

READERS = allow(*domain.CAMPAIGN_READERS)
MANAGERS = allow(*domain.CAMPAIGN_MANAGERS)
UNITS_SHOWN = 200

CAMPAIGN_FIELDS = ("code", "name", "organizer_unit_id", "year", "starts_on", "ends_on", "description")
CATEGORY_FIELDS = ("code", "name", "nominee_kind", "quota", "form")
EDIT_FIELDS = ("name", "form", "quota")
CAMPAIGN_EDIT_FIELDS = ("name", "starts_on", "ends_on", "description")
NOTICES = {
    "created": "Đã tạo phong trào.",
    "category": "Đã thêm danh hiệu, hình thức.",
    "edited": "Đã lưu danh hiệu, hình thức.",
    "updated": "Đã lưu thông tin phong trào.",
    "closed": "Đã đóng phong trào: không nhận thêm đề nghị; việc xét duyệt vẫn tiếp tục.",
    "opened": "Đã mở lại phong trào.",
}
# A body the service's schema refused names its field only in the message: "… - at `$.code`".
AT_FIELD = re.compile(r"at `\$\.(\w+)`")


def text_of(form: Any, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def refusal_errors(exc: Refused, fields: tuple[str, ...], prefix: str = "") -> tuple[dict[str, str], str | None]:
    """A service's refusal as the form's field errors, in its words, keyed `prefix + field`; and its detail
    when no field of the form is named (shown above the form)."""
    errors: dict[str, str] = {}
    for e in exc.errors:
        name = e.field
        if name == "body":
            found = AT_FIELD.search(e.message)
            name = found.group(1) if found else name
        if name in fields:
            errors.setdefault(prefix + name, e.message)
    return errors, None if errors else exc.detail


async def pick_units(api: Api, q: str) -> tuple[list[dict[str, Any]], bool]:
    """Units to pick an organizer or a host from: those whose names match `q` (without diacritics), or,
    without a search, the party committees (the units that organize campaigns and ceremonies)."""
    params: dict[str, Any] = {"q": q, "limit": UNITS_SHOWN} if q else {"kind": "party_committee", "limit": UNITS_SHOWN}
    page = await api.get("units", "/units", params)
    return page["items"], bool(page.get("next_cursor"))


def int_or_none(value: str) -> int | None:
    try:
        return int(value.strip())
    except ValueError:
        return None


class CampaignController(Controller):
    path = "/campaigns"
    include_in_schema = False

    @get("/", guards=[READERS])
    async def list_campaigns(
        self,
        request: Request[Any, Any, Any],
        api: Api,
        session: Session,
        status: str | None = None,
        cursor: str | None = None,
    ) -> Response[Any]:
        wanted = status if status in domain.CAMPAIGN_STATUS_NAMES else None
        page = await api.get("awards", "/campaigns", {"status": wanted, "limit": domain.PAGE_SIZE, "cursor": cursor})
        return render(
            request,
            "campaigns.html",
            campaigns=page["items"],
            chosen=wanted or "",
            statuses=domain.CAMPAIGN_STATUS_NAMES,
            next_url="/campaigns" + query(status=wanted, cursor=page["next_cursor"])
            if page.get("next_cursor")
            else None,
            first_url="/campaigns" + query(status=wanted) if cursor else None,
            can_manage=session.role in domain.CAMPAIGN_MANAGERS,
        )

    # ------------------------------------------------------------ a new campaign
    @get("/new", guards=[MANAGERS])
    async def new_form(self, request: Request[Any, Any, Any], api: Api, unit_q: str | None = None) -> Response[Any]:
        return await self._new_page(request, api, unit_q=(unit_q or "").strip()[:200], typed={}, errors={})

    async def _new_page(
        self,
        request: Request[Any, Any, Any],
        api: Api,
        *,
        unit_q: str,
        typed: dict[str, str],
        errors: dict[str, str],
        error: str | None = None,
        status: int = 200,
    ) -> Response[Any]:
        units, more = await pick_units(api, unit_q)
        return render(
            request,
            "campaign_new.html",
            status=status,
            units=units,
            more_units=more,
            unit_q=unit_q,
            typed=typed,
            errors=errors,
            error=error,
            idempotency_key=str(uuid.uuid4()),
        )

    @post("/new", guards=[MANAGERS])
    async def create(self, request: Request[Any, Any, Any], api: Api) -> Response[Any]:
        form = await request.form()
        typed = {name: text_of(form, name) for name in CAMPAIGN_FIELDS}
        typed["description"] = domain.textarea(typed["description"])
        errors: dict[str, str] = {}
        for name, message in (
            ("code", "Nhập mã phong trào."),
            ("name", "Nhập tên phong trào."),
            ("year", "Nhập năm."),
        ):
            if not typed[name].strip():
                errors[name] = message
        organizer = domain.parse_uuid(typed["organizer_unit_id"])
        if organizer is None:
            errors["organizer_unit_id"] = "Chọn đơn vị tổ chức."
        year = int_or_none(typed["year"])
        if typed["year"].strip() and year is None:
            errors["year"] = "Năm là một số, ví dụ 2025."
        error = None
        status = 400
        if not errors:
            body = {
                "code": typed["code"].strip(),
                "name": typed["name"],
                "organizer_unit_id": str(organizer),
                "year": year,
                "starts_on": typed["starts_on"] or None,
                "ends_on": typed["ends_on"] or None,
                "description": typed["description"] if typed["description"].strip() else None,
            }
            key = domain.parse_uuid(text_of(form, "idempotency_key"))
            try:
                created = await api.post("awards", "/campaigns", body, idempotency_key=str(key) if key else None)
            except Refused as exc:
                if exc.status == 401:
                    raise
                errors, error = refusal_errors(exc, CAMPAIGN_FIELDS)
                status = exc.status
            else:
                return see_other(f"/campaigns/{created['id']}?done=created")
        return await self._new_page(
            request,
            api,
            unit_q=text_of(form, "unit_q")[:200],
            typed=typed,
            errors=errors,
            error=error,
            status=status,
        )

    # ------------------------------------------------------------ one campaign and its categories
    @get("/{campaign_id:uuid}", guards=[READERS])
    async def show(
        self,
        request: Request[Any, Any, Any],
        api: Api,
        session: Session,
        campaign_id: uuid.UUID,
        done: str | None = None,
    ) -> Response[Any]:
        return await self._page(request, api, session, campaign_id, notice=NOTICES.get(done or ""))

    async def _page(
        self,
        request: Request[Any, Any, Any],
        api: Api,
        session: Session,
        campaign_id: uuid.UUID,
        *,
        notice: str | None = None,
        errors: dict[str, str] | None = None,
        error: str | None = None,
        typed: dict[str, str] | None = None,
        edited: dict[str, dict[str, str]] | None = None,
        campaign_typed: dict[str, str] | None = None,
        status: int = 200,
    ) -> Response[Any]:
        campaign = await api.get("awards", f"/campaigns/{campaign_id}")
        organizer = await api.get("units", f"/units/{domain.parse_uuid(str(campaign['organizer_unit_id']))}")
        return render(
            request,
            "campaign.html",
            status=status,
            c=campaign,
            organizer=organizer,
            notice=notice,
            errors=errors or {},
            error=error,
            typed=typed or {"nominee_kind": "individual"},
            edited=edited or {},
            campaign_typed=campaign_typed or {},
            statuses=domain.CAMPAIGN_STATUS_NAMES,
            can_manage=session.role in domain.CAMPAIGN_MANAGERS,
            idempotency_key=str(uuid.uuid4()),
        )

    @post("/{campaign_id:uuid}/edit", guards=[MANAGERS])
    async def edit_campaign(
        self, request: Request[Any, Any, Any], api: Api, session: Session, campaign_id: uuid.UUID
    ) -> Response[Any]:
        """The campaign's name, dates and description, as the form shows them all: an empty date or
        description clears it."""
        form = await request.form()
        typed = {name: text_of(form, name) for name in CAMPAIGN_EDIT_FIELDS}
        typed["description"] = domain.textarea(typed["description"])
        errors: dict[str, str] = {}
        error = None
        status = 400
        if not typed["name"].strip():
            errors["edit_name"] = "Nhập tên phong trào."
        else:
            body = {
                "name": typed["name"],
                "starts_on": typed["starts_on"] or None,
                "ends_on": typed["ends_on"] or None,
                "description": typed["description"] if typed["description"].strip() else None,
            }
            try:
                await api.request("PATCH", "awards", f"/campaigns/{campaign_id}", json=body)
            except Refused as exc:
                if exc.status in (401, 404):
                    raise
                errors, error = refusal_errors(exc, CAMPAIGN_EDIT_FIELDS, "edit_")
                status = exc.status
            else:
                return see_other(f"/campaigns/{campaign_id}?done=updated")
        return await self._page(
            request, api, session, campaign_id, errors=errors, error=error, campaign_typed=typed, status=status
        )

    @post("/{campaign_id:uuid}/categories", guards=[MANAGERS])
    async def add_category(
        self, request: Request[Any, Any, Any], api: Api, session: Session, campaign_id: uuid.UUID
    ) -> Response[Any]:
        form = await request.form()
        typed = {name: text_of(form, name) for name in CATEGORY_FIELDS}
        errors: dict[str, str] = {}
        for name, message in (
            ("code", "Nhập mã danh hiệu."),
            ("name", "Nhập tên danh hiệu."),
            ("form", "Nhập hình thức khen thưởng."),
            ("quota", "Nhập chỉ tiêu."),
        ):
            if not typed[name].strip():
                errors["new_" + name] = message
        if typed["nominee_kind"] not in domain.KIND_NAMES:
            errors["new_nominee_kind"] = "Chọn tập thể hoặc cá nhân."
        quota = int_or_none(typed["quota"])
        if typed["quota"].strip() and quota is None:
            errors["new_quota"] = "Chỉ tiêu là một số nguyên."
        error = None
        status = 400
        if not errors:
            body = {
                "code": typed["code"].strip(),
                "name": typed["name"],
                "nominee_kind": typed["nominee_kind"],
                "quota": quota,
                "form": typed["form"],
            }
            key = domain.parse_uuid(text_of(form, "idempotency_key"))
            try:
                await api.post(
                    "awards", f"/campaigns/{campaign_id}/categories", body, idempotency_key=str(key) if key else None
                )
            except Refused as exc:
                if exc.status in (401, 404):
                    raise
                errors, error = refusal_errors(exc, CATEGORY_FIELDS, "new_")
                status = exc.status
            else:
                return see_other(f"/campaigns/{campaign_id}?done=category")
        return await self._page(
            request, api, session, campaign_id, errors=errors, error=error, typed=typed, status=status
        )

    @post("/{campaign_id:uuid}/categories/{category_id:uuid}", guards=[MANAGERS])
    async def edit_category(
        self,
        request: Request[Any, Any, Any],
        api: Api,
        session: Session,
        campaign_id: uuid.UUID,
        category_id: uuid.UUID,
    ) -> Response[Any]:
        form = await request.form()
        typed = {name: text_of(form, name) for name in EDIT_FIELDS}
        prefix = f"{category_id}_"
        errors: dict[str, str] = {}
        if not typed["name"].strip():
            errors[prefix + "name"] = "Nhập tên danh hiệu."
        if not typed["form"].strip():
            errors[prefix + "form"] = "Nhập hình thức khen thưởng."
        quota = int_or_none(typed["quota"])
        if quota is None:
            errors[prefix + "quota"] = "Chỉ tiêu là một số nguyên."
        error = None
        status = 400
        if not errors:
            try:
                await api.request(
                    "PATCH",
                    "awards",
                    f"/campaigns/{campaign_id}/categories/{category_id}",
                    json={"name": typed["name"], "form": typed["form"], "quota": quota},
                )
            except Refused as exc:
                if exc.status in (401, 404):
                    raise
                errors, error = refusal_errors(exc, EDIT_FIELDS, prefix)
                if not errors and exc.status == 409:
                    # A quota below the places held: the service says so without naming a field.
                    errors, error = {prefix + "quota": exc.detail}, None
                status = exc.status
            else:
                return see_other(f"/campaigns/{campaign_id}?done=edited#dm-{category_id}")
        return await self._page(
            request,
            api,
            session,
            campaign_id,
            errors=errors,
            error=error,
            edited={str(category_id): typed},
            status=status,
        )

    @post("/{campaign_id:uuid}/close", guards=[MANAGERS])
    async def close(
        self, request: Request[Any, Any, Any], api: Api, session: Session, campaign_id: uuid.UUID
    ) -> Response[Any]:
        return await self._status(request, api, session, campaign_id, "close", "closed")

    @post("/{campaign_id:uuid}/open", guards=[MANAGERS])
    async def reopen(
        self, request: Request[Any, Any, Any], api: Api, session: Session, campaign_id: uuid.UUID
    ) -> Response[Any]:
        return await self._status(request, api, session, campaign_id, "open", "opened")

    async def _status(
        self,
        request: Request[Any, Any, Any],
        api: Api,
        session: Session,
        campaign_id: uuid.UUID,
        call: str,
        done: str,
    ) -> Response[Any]:
        try:
            await api.post("awards", f"/campaigns/{campaign_id}/{call}")
        except Refused as exc:
            if exc.status in (401, 404):
                raise
            return await self._page(
                request, api, session, campaign_id, errors={"status": exc.detail}, status=exc.status
            )
        return see_other(f"/campaigns/{campaign_id}?done={done}")


__all__ = ["CampaignController", "pick_units", "refusal_errors", "text_of"]
