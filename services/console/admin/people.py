"""The people of the units: `/people` (the list with an accent-free search, and `Thêm người`) and a
person's page (`/people/{id}`: correct the name, position, unit, birth year). The admin sees
everyone; an officer, its subtree only (the units service decides: a person outside it is its 403
or 404, shown as that page and nothing of the person).

Round trips: the list 1, then together the names of the units it mentions and the unit select.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from litestar import Controller, Request, Response, get, post

from .. import domain
from ..client import Api, Refused
from ..pages import query, render, see_other
from ..session.guards import allow
from ..session.service import Session
from .common import form_errors, scope_of, text, unit_choices, unit_names

PEOPLE_KEEPERS = allow(*domain.PEOPLE_KEEPERS)
FIELDS = {"full_name": "full_name", "position": "position", "unit_id": "unit_id", "birth_year": "birth_year"}
NOTICES = {"created": "Đã thêm người.", "saved": "Đã lưu thay đổi."}


def read_person(form: Any) -> tuple[dict[str, str], dict[str, str], dict[str, Any]]:
    """What the form says of a person: as typed, the errors found before any call, and the service's body."""
    typed = {
        "full_name": text(form, "full_name", 1000),
        "position": text(form, "position", 1000),
        "unit_id": text(form, "unit_id", 100),
        "birth_year": text(form, "birth_year", 20).strip(),
    }
    errors: dict[str, str] = {}
    if not typed["full_name"].strip():
        errors["full_name"] = "Nhập họ và tên."
    unit = domain.parse_uuid(typed["unit_id"])
    if unit is None:
        errors["unit_id"] = "Chọn đơn vị."
    year: int | None = None
    if typed["birth_year"]:
        if typed["birth_year"].isdigit() and len(typed["birth_year"]) == 4:
            year = int(typed["birth_year"])
        else:
            errors["birth_year"] = "Năm sinh là một số có 4 chữ số, ví dụ 1975."
    body: dict[str, Any] = {
        "full_name": typed["full_name"].strip(),
        "unit_id": str(unit) if unit else None,
        "position": typed["position"].strip() or None,
        "birth_year": year,
    }
    return typed, errors, body


class PeopleController(Controller):
    path = "/people"
    include_in_schema = False
    guards = [PEOPLE_KEEPERS]

    @get("/")
    async def list_people(
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
            q=(q or "").strip()[:200],
            unit_q=(unit_q or "").strip()[:200],
            cursor=cursor,
            typed={"full_name": "", "position": "", "unit_id": "", "birth_year": ""},
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
        page, (units, more) = await asyncio.gather(
            api.get(
                "units",
                "/people",
                {"under_id": scope_of(session), "q": q or None, "limit": domain.PAGE_SIZE, "cursor": cursor},
            ),
            unit_choices(api, session, unit_q, typed.get("unit_id")),
        )
        names = {str(u["id"]): u["name"] for u in units}
        names.update(await unit_names(api, {str(p["unit_id"]) for p in page["items"]} - set(names)))
        next_url = "/people" + query(q=q, cursor=page["next_cursor"]) if page.get("next_cursor") else None
        return render(
            request,
            "people.html",
            status=status,
            people=page["items"],
            unit_names=names,
            units=units,
            more_units=more,
            q=q,
            unit_q=unit_q,
            typed=typed,
            errors=errors or {},
            error=error,
            notice=notice,
            next_url=next_url,
            first_url="/people" + query(q=q) if cursor else None,
        )

    @post("/new")
    async def create(self, request: Request[Any, Any, Any], api: Api, session: Session) -> Response[Any]:
        form = await request.form()
        typed, errors, body = read_person(form)
        error, status = None, 400
        if not errors:
            try:
                await api.post("units", "/people", {k: v for k, v in body.items() if v is not None})
            except Refused as exc:
                if exc.status == 401:
                    raise
                errors, error = form_errors(exc, FIELDS)
                status = exc.status
            else:
                return see_other("/people?done=created")
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

    # ------------------------------------------------------------ one person
    @get("/{person_id:uuid}")
    async def show(
        self,
        request: Request[Any, Any, Any],
        api: Api,
        session: Session,
        person_id: uuid.UUID,
        unit_q: str | None = None,
        done: str | None = None,
    ) -> Response[Any]:
        return await self._person_page(
            request, api, session, person_id, unit_q=(unit_q or "").strip()[:200], notice=NOTICES.get(done or "")
        )

    async def _person_page(
        self,
        request: Request[Any, Any, Any],
        api: Api,
        session: Session,
        person_id: uuid.UUID,
        *,
        unit_q: str = "",
        typed: dict[str, str] | None = None,
        errors: dict[str, str] | None = None,
        error: str | None = None,
        notice: str | None = None,
        status: int = 200,
    ) -> Response[Any]:
        person = await api.get("units", f"/people/{person_id}")
        shown = typed or {
            "full_name": person["full_name"],
            "position": person.get("position") or "",
            "unit_id": str(person["unit_id"]),
            "birth_year": str(person["birth_year"]) if person.get("birth_year") else "",
        }
        units, more = await unit_choices(api, session, unit_q, shown["unit_id"] or str(person["unit_id"]))
        return render(
            request,
            "person.html",
            status=status,
            person=person,
            units=units,
            more_units=more,
            unit_q=unit_q,
            typed=shown,
            errors=errors or {},
            error=error,
            notice=notice,
        )

    @post("/{person_id:uuid}")
    async def save(
        self, request: Request[Any, Any, Any], api: Api, session: Session, person_id: uuid.UUID
    ) -> Response[Any]:
        form = await request.form()
        typed, errors, body = read_person(form)
        error, status = None, 400
        if not errors:
            try:
                await api.request("PATCH", "units", f"/people/{person_id}", json=body)
            except Refused as exc:
                if exc.status in (401, 404) or (exc.status == 403 and not exc.errors):
                    raise
                errors, error = form_errors(exc, FIELDS)
                status = exc.status
            else:
                return see_other(f"/people/{person_id}?done=saved")
        return await self._person_page(
            request,
            api,
            session,
            person_id,
            unit_q=text(form, "unit_q", 200),
            typed=typed,
            errors=errors,
            error=error,
            status=status,
        )
