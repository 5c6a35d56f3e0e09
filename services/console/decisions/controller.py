"""The committee's decisions: the list, one decision with its awards, and a new one issued from the
approved nominations.

Round trips: `/decisions` 1; `/decisions/{id}` 1; `/decisions/new` 2,
together: the approved nominations and the campaigns that name their
categories.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import date
from typing import Any

from litestar import Controller, Request, Response, get, post

from .. import domain
from ..client import Api, Refused
from ..nominations.controller import categories_of, form_errors
from ..pages import query, render, see_other
from ..session.guards import allow
from ..session.service import Session

READERS = allow(*domain.READERS_OF_REVIEW)
ISSUERS = allow(*domain.REVIEWERS)
APPROVED_SHOWN = 200

INDEXED = re.compile(r"nomination_ids\[(\d+)\]")
FORM_FIELDS = {
    "number": "number",
    "signed_on": "signed_on",
    "signer": "signer",
    "nomination_ids": "nomination_ids",
}


def per_nomination(exc: Refused, ids: list[str]) -> dict[str, str]:
    """The service's reasons about `nomination_ids[i]`, keyed by that nomination's id, to show by its checkbox."""
    found: dict[str, str] = {}
    for e in exc.errors:
        match = INDEXED.fullmatch(e.field)
        if match and int(match[1]) < len(ids):
            found.setdefault(ids[int(match[1])], e.message)
    return found


def _text(form: Any, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


class DecisionController(Controller):
    path = "/decisions"
    include_in_schema = False

    @get("/", guards=[READERS])
    async def list_decisions(
        self, request: Request[Any, Any, Any], api: Api, session: Session, cursor: str | None = None
    ) -> Response[Any]:
        page = await api.get("awards", "/decisions", {"limit": domain.PAGE_SIZE, "cursor": cursor})
        return render(
            request,
            "decisions.html",
            decisions=page["items"],
            next_url="/decisions" + query(cursor=page["next_cursor"]) if page.get("next_cursor") else None,
            first_url="/decisions" if cursor else None,
            can_issue=session.role in domain.REVIEWERS,
        )

    @get("/{decision_id:uuid}", guards=[READERS])
    async def show(
        self, request: Request[Any, Any, Any], api: Api, decision_id: uuid.UUID, done: str | None = None
    ) -> Response[Any]:
        decision = await api.get("awards", f"/decisions/{decision_id}")
        return render(
            request, "decision.html", d=decision, notice="Đã ban hành quyết định." if done == "issued" else None
        )

    @get("/new", guards=[ISSUERS])
    async def new_form(
        self, request: Request[Any, Any, Any], api: Api, campaign_id: str | None = None
    ) -> Response[Any]:
        return await self._form(
            request,
            api,
            campaign_id=campaign_id,
            typed={"number": "", "signed_on": date.today().isoformat(), "signer": ""},
            checked=set(),
        )

    async def _form(
        self,
        request: Request[Any, Any, Any],
        api: Api,
        *,
        campaign_id: str | None,
        typed: dict[str, str],
        checked: set[str],
        errors: dict[str, str] | None = None,
        error: str | None = None,
        status: int = 200,
    ) -> Response[Any]:
        campaign = domain.parse_uuid(campaign_id)
        approved, campaigns = await asyncio.gather(
            api.get("awards", "/nominations", {"status": "approved", "campaign_id": campaign, "limit": APPROVED_SHOWN}),
            api.get("awards", "/campaigns", {"limit": 200}),
        )
        categories = categories_of(campaigns["items"])
        nominations = sorted(
            approved["items"],
            key=lambda n: (
                categories.get(str(n["category_id"]), {}).get("campaign", {}).get("name", ""),
                categories.get(str(n["category_id"]), {}).get("name", ""),
                n["nominee_name"],
            ),
        )
        return render(
            request,
            "decision_new.html",
            status=status,
            nominations=nominations,
            categories=categories,
            campaigns=campaigns["items"],
            chosen=str(campaign) if campaign else "",
            more=bool(approved.get("next_cursor")),
            typed=typed,
            checked=checked,
            errors=errors or {},
            error=error,
            idempotency_key=str(uuid.uuid4()),
        )

    @post("/new", guards=[ISSUERS])
    async def issue(self, request: Request[Any, Any, Any], api: Api, session: Session) -> Response[Any]:
        form = await request.form()
        typed = {name: _text(form, name) for name in ("number", "signed_on", "signer")}
        picked = [domain.parse_uuid(v) for v in form.getall("nomination_id", []) if isinstance(v, str)]
        ids = [str(p) for p in picked if p is not None]
        errors: dict[str, str] = {}
        if not typed["number"].strip():
            errors["number"] = "Nhập số quyết định."
        try:
            date.fromisoformat(typed["signed_on"])
        except ValueError:
            errors["signed_on"] = "Nhập ngày ký (ngày/tháng/năm)."
        if not typed["signer"].strip():
            errors["signer"] = "Nhập người ký."
        if not ids:
            errors["nomination_ids"] = "Chọn ít nhất một đề nghị đã duyệt."
        error = None
        status = 400
        if not errors:
            key = domain.parse_uuid(_text(form, "idempotency_key"))
            try:
                decision = await api.post(
                    "awards",
                    "/decisions",
                    {
                        "number": typed["number"],
                        "signed_on": typed["signed_on"],
                        "signer": typed["signer"],
                        "nomination_ids": ids,
                    },
                    idempotency_key=str(key) if key else None,
                )
            except Refused as exc:
                if exc.status == 401:
                    raise
                errors, error = form_errors(exc, FORM_FIELDS)
                errors.update(per_nomination(exc, ids))
                status = exc.status
            else:
                return see_other(f"/decisions/{decision['id']}?done=issued")
        return await self._form(
            request,
            api,
            campaign_id=_text(form, "campaign_id"),
            typed=typed,
            checked=set(ids),
            errors=errors,
            error=error,
            status=status,
        )
