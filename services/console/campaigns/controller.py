"""Campaigns and their categories: the list (every role reads it), a new campaign, a campaign's page
with its categories, and the committee's and admin's changes: edit the campaign (name, dates,
description), add a category, edit one (name, form, quota), close and reopen the campaign.

Round trips: `/campaigns` 1; `/campaigns/new` 1 (the units to pick the
organizer from); `/campaigns/{id}` 2, one after the other (the campaign
with its categories, then its organizer's name, and for the committee and
admin, at once with it, the council and its candidates); the ballot's
record (`/campaigns/{id}/ballot`) 1 (two calls at once). Each change is 1 call, then the page
it leads to.
"""

from __future__ import annotations

import asyncio
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
CAMPAIGNS_SHOWN = 200

CAMPAIGN_FIELDS = ("code", "name", "organizer_unit_id", "year", "starts_on", "ends_on", "description")
CATEGORY_FIELDS = ("code", "name", "nominee_kind", "quota", "form")
EDIT_FIELDS = ("name", "form", "quota")
# How the council decides a category (the awards service's pass_mark, secret_ballot, comment_working_days).
RULE_FIELDS = ("pass_mark_rule", "pass_mark_percent", "secret_ballot", "comment_working_days")
PASS_MARK_RULES = {"at_least": "at_least_percent", "more_than": "more_than_percent"}
CAMPAIGN_EDIT_FIELDS = ("name", "starts_on", "ends_on", "description")
NOTICES = {
    "created": "Đã tạo phong trào.",
    "category": "Đã thêm danh hiệu, hình thức.",
    "edited": "Đã lưu danh hiệu, hình thức.",
    "updated": "Đã lưu thông tin phong trào.",
    "closed": "Đã đóng phong trào: không nhận thêm đề nghị; việc xét duyệt vẫn tiếp tục.",
    "opened": "Đã mở lại phong trào.",
    "council": "Đã lưu hội đồng.",
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


async def unit_and_campaign_choices(api: Api, unit_q: str) -> dict[str, Any]:
    """What a form picking a unit and campaigns shows (`_pickers.html`), fetched at once: the units to pick
    from (`pick_units`) and the campaigns to tick."""
    (units, more), campaigns = await asyncio.gather(
        pick_units(api, unit_q), api.get("awards", "/campaigns", {"limit": CAMPAIGNS_SHOWN})
    )
    return {"units": units, "more_units": more, "unit_q": unit_q, "campaigns": campaigns["items"]}


def ticked_campaigns(form: Any) -> list[str]:
    """The ids of the campaigns ticked on such a form (a `campaign_id` each); anything not an id is left out."""
    picked = (domain.parse_uuid(v) for v in form.getall("campaign_id", []) if isinstance(v, str))
    return [str(p) for p in picked if p is not None]


def category_rules(form: Any, prefix: str) -> tuple[dict[str, Any], dict[str, str], dict[str, str]]:
    """The category form's `Tỷ lệ phiếu đồng ý`, `Bỏ phiếu kín` and `Số ngày làm việc lấy ý kiến`: the
    body's part, the errors (keyed `prefix + field`) and what was typed."""
    typed = {name: text_of(form, name) for name in RULE_FIELDS}
    errors: dict[str, str] = {}
    body: dict[str, Any] = {"secret_ballot": typed["secret_ballot"] == "1", "pass_mark": None}
    rule = typed["pass_mark_rule"]
    if rule in PASS_MARK_RULES:
        percent = int_or_none(typed["pass_mark_percent"])
        if percent is None:
            errors[prefix + "pass_mark_percent"] = "Nhập tỷ lệ phần trăm, ví dụ 90."
        else:
            body["pass_mark"] = {PASS_MARK_RULES[rule]: percent}
    elif rule:
        errors[prefix + "pass_mark_rule"] = "Chọn cách tính tỷ lệ phiếu."
    days = int_or_none(typed["comment_working_days"] or "0")
    if days is None:
        errors[prefix + "comment_working_days"] = "Số ngày là một số nguyên."
    else:
        body["comment_working_days"] = days
    return body, errors, typed


def rule_errors(exc: Refused, prefix: str) -> dict[str, str]:
    """The service's refusal of a category's rules, by the form's fields."""
    errors: dict[str, str] = {}
    for e in exc.errors:
        name = e.field
        if name == "body":
            found = AT_FIELD.search(e.message)
            name = found.group(1) if found else name
        if name.startswith("pass_mark"):
            errors.setdefault(prefix + "pass_mark_percent", e.message)
        elif name in ("secret_ballot", "comment_working_days"):
            errors.setdefault(prefix + name, e.message)
    return errors


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
        council_typed: list[str] | None = None,
        status: int = 200,
    ) -> Response[Any]:
        campaign = await api.get("awards", f"/campaigns/{campaign_id}")
        organizer_call = api.get("units", f"/units/{domain.parse_uuid(str(campaign['organizer_unit_id']))}")
        council: dict[str, Any] = {"member_account_ids": [], "members": []}
        candidates: list[dict[str, Any]] = []
        if session.role in domain.CAMPAIGN_MANAGERS:
            got: tuple[Any, Any, Any] = await asyncio.gather(
                organizer_call,
                api.get("awards", f"/campaigns/{campaign_id}/council"),
                api.get("awards", "/council/candidates"),
            )
            organizer, council, candidates = got[0], got[1], got[2]["items"]
        else:
            organizer = await organizer_call
        chosen = council_typed if council_typed is not None else [str(i) for i in council["member_account_ids"]]
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
            council=council,
            candidates=candidates,
            council_chosen=set(chosen),
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
        rules, rules_errors, rules_typed = category_rules(form, "new_")
        errors.update(rules_errors)
        typed.update(rules_typed)
        error = None
        status = 400
        if not errors:
            body = {
                "code": typed["code"].strip(),
                "name": typed["name"],
                "nominee_kind": typed["nominee_kind"],
                "quota": quota,
                "form": typed["form"],
                **rules,
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
                errors.update(rule_errors(exc, "new_"))
                error = None if errors else exc.detail
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
        rules, rules_errors, rules_typed = category_rules(form, prefix)
        errors.update(rules_errors)
        typed.update(rules_typed)
        error = None
        status = 400
        if not errors:
            try:
                await api.request(
                    "PATCH",
                    "awards",
                    f"/campaigns/{campaign_id}/categories/{category_id}",
                    json={"name": typed["name"], "form": typed["form"], "quota": quota, **rules},
                )
            except Refused as exc:
                if exc.status in (401, 404):
                    raise
                errors, error = refusal_errors(exc, EDIT_FIELDS, prefix)
                errors.update(rule_errors(exc, prefix))
                if errors:
                    error = None
                if not errors and exc.status == 409 and any(e.field == "secret_ballot" for e in exc.errors):
                    errors, error = {prefix + "secret_ballot": exc.detail}, None
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

    @post("/{campaign_id:uuid}/council", guards=[MANAGERS])
    async def set_council(
        self, request: Request[Any, Any, Any], api: Api, session: Session, campaign_id: uuid.UUID
    ) -> Response[Any]:
        """`Lưu hội đồng`: the checked committee accounts become the campaign's council (none checked: none)."""
        form = await request.form()
        chosen = [v for v in form.getall("member_account_ids", []) if isinstance(v, str)]
        ids = [str(i) for i in (domain.parse_uuid(v) for v in chosen) if i is not None]
        try:
            await api.request("PUT", "awards", f"/campaigns/{campaign_id}/council", json={"member_account_ids": ids})
        except Refused as exc:
            if exc.status in (401, 404):
                raise
            return await self._page(
                request, api, session, campaign_id, errors={"council": exc.detail}, council_typed=ids, status=exc.status
            )
        return see_other(f"/campaigns/{campaign_id}?done=council#hoi-dong")

    @get("/{campaign_id:uuid}/ballot", guards=[MANAGERS])
    async def ballot(self, request: Request[Any, Any, Any], api: Api, campaign_id: uuid.UUID) -> Response[Any]:
        """`Biên bản kiểm phiếu`: the council and each voted nomination's count (no secret vote's member)."""
        campaign, ballot = await asyncio.gather(
            api.get("awards", f"/campaigns/{campaign_id}"), api.get("awards", f"/campaigns/{campaign_id}/ballot")
        )
        return render(request, "campaign_ballot.html", c=campaign, ballot=ballot)

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
