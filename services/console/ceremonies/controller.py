"""Ceremonies (the events service's): the list, a new one for one or more campaigns, and holding one.

The events service lets the committee and the admin plan and hold a ceremony;
it accepts only campaigns and units its own copy already knows (a campaign
just created reaches it within a second).

Round trips: `/ceremonies` 1; `/ceremonies/new` 2, together (the units to
pick the host from, the campaigns); a change 1, then the page it leads to.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any

from litestar import Controller, Request, Response, get, post

from .. import domain
from ..campaigns.controller import refusal_errors, text_of, ticked_campaigns, unit_and_campaign_choices
from ..client import Api, Refused
from ..pages import VIETNAM, query, render, see_other
from ..session.guards import allow

MANAGERS = allow(*domain.CEREMONY_MANAGERS)
FIELDS = ("title", "held_on", "venue", "host_unit_id", "campaign_ids")
INDEXED = re.compile(r"campaign_ids\[(\d+)\]")
NOTICES = {"created": "Đã tạo lễ khen thưởng.", "held": "Đã ghi nhận: buổi lễ đã được tổ chức."}


class CeremonyController(Controller):
    path = "/ceremonies"
    include_in_schema = False

    @get("/", guards=[MANAGERS])
    async def list_ceremonies(
        self, request: Request[Any, Any, Any], api: Api, cursor: str | None = None, done: str | None = None
    ) -> Response[Any]:
        return await self._list(request, api, cursor=cursor, notice=NOTICES.get(done or ""))

    async def _list(
        self,
        request: Request[Any, Any, Any],
        api: Api,
        *,
        cursor: str | None = None,
        notice: str | None = None,
        errors: dict[str, str] | None = None,
        status: int = 200,
    ) -> Response[Any]:
        page = await api.get("events", "/ceremonies", {"limit": domain.PAGE_SIZE, "cursor": cursor})
        return render(
            request,
            "ceremonies.html",
            status=status,
            ceremonies=page["items"],
            statuses=domain.CEREMONY_STATUS_NAMES,
            notice=notice,
            errors=errors or {},
            next_url="/ceremonies" + query(cursor=page["next_cursor"]) if page.get("next_cursor") else None,
            first_url="/ceremonies" if cursor else None,
        )

    @get("/new", guards=[MANAGERS])
    async def new_form(self, request: Request[Any, Any, Any], api: Api, unit_q: str | None = None) -> Response[Any]:
        today = datetime.now(VIETNAM).date().isoformat()
        return await self._form(
            request, api, unit_q=(unit_q or "").strip()[:200], typed={"held_on": today}, checked=set(), errors={}
        )

    async def _form(
        self,
        request: Request[Any, Any, Any],
        api: Api,
        *,
        unit_q: str,
        typed: dict[str, str],
        checked: set[str],
        errors: dict[str, str],
        error: str | None = None,
        status: int = 200,
    ) -> Response[Any]:
        return render(
            request,
            "ceremony_new.html",
            status=status,
            **await unit_and_campaign_choices(api, unit_q),
            typed=typed,
            checked=checked,
            errors=errors,
            error=error,
            idempotency_key=str(uuid.uuid4()),
        )

    @post("/new", guards=[MANAGERS])
    async def create(self, request: Request[Any, Any, Any], api: Api) -> Response[Any]:
        form = await request.form()
        typed = {name: text_of(form, name) for name in ("title", "held_on", "venue", "host_unit_id")}
        ids = ticked_campaigns(form)
        errors: dict[str, str] = {}
        if not typed["title"].strip():
            errors["title"] = "Nhập tên buổi lễ."
        if not typed["held_on"].strip():
            errors["held_on"] = "Nhập ngày tổ chức."
        if not typed["venue"].strip():
            errors["venue"] = "Nhập địa điểm."
        host = domain.parse_uuid(typed["host_unit_id"])
        if host is None:
            errors["host_unit_id"] = "Chọn đơn vị tổ chức."
        if not ids:
            errors["campaign_ids"] = "Chọn ít nhất một phong trào."
        error = None
        status = 400
        if not errors:
            key = domain.parse_uuid(text_of(form, "idempotency_key"))
            body = {
                "title": typed["title"],
                "held_on": typed["held_on"],
                "venue": typed["venue"],
                "host_unit_id": str(host),
                "campaign_ids": ids,
            }
            try:
                await api.post("events", "/ceremonies", body, idempotency_key=str(key) if key else None)
            except Refused as exc:
                if exc.status == 401:
                    raise
                errors, error = refusal_errors(exc, FIELDS)
                for e in exc.errors:
                    found = INDEXED.fullmatch(e.field)
                    if found and int(found[1]) < len(ids):
                        errors.setdefault("campaign_ids", e.message)
                        error = None
                status = exc.status
            else:
                return see_other("/ceremonies?done=created")
        return await self._form(
            request,
            api,
            unit_q=text_of(form, "unit_q")[:200],
            typed=typed,
            checked=set(ids),
            errors=errors,
            error=error,
            status=status,
        )

    @post("/{ceremony_id:uuid}/hold", guards=[MANAGERS])
    async def hold(self, request: Request[Any, Any, Any], api: Api, ceremony_id: uuid.UUID) -> Response[Any]:
        try:
            await api.post("events", f"/ceremonies/{ceremony_id}/hold")
        except Refused as exc:
            if exc.status in (401, 404):
                raise
            return await self._list(request, api, errors={str(ceremony_id): exc.detail}, status=exc.status)
        return see_other("/ceremonies?done=held")
